/* The FSBL key derivation with the OEM secret inside a PKCS#11 token: the
 * token runs CKM_AES_CMAC over the KDF block, so the secret never leaves it. */
#include <string.h>

#include <openssl/crypto.h>

#include "oem_secret.h"
#include "p11.h"
#include "uri.h"

/* The key object must be AES-128: a longer key would give another K silently. */
static int check_len(struct p11_session *ps, CK_OBJECT_HANDLE key, struct err *e)
{
	CK_ULONG vlen = 0;
	CK_ATTRIBUTE t = { CKA_VALUE_LEN, &vlen, sizeof vlen };
	if (ps->f->C_GetAttributeValue(ps->s, key, &t, 1) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: cannot read CKA_VALUE_LEN of the OEM secret key", ps->name);
	if (vlen != OEM_SECRET_LEN)
		return err_set(e, ERR_KEYSTORE, "%s: the OEM secret key is %lu bytes, expected an AES-128 key (16)",
			       ps->name, (unsigned long)vlen);
	return 0;
}

static int token_cmac(struct p11_session *ps, CK_OBJECT_HANDLE key, uint32_t dc, struct oem_key *out,
		      struct err *e)
{
	uint8_t block[OEM_KDF_BLOCK_LEN];
	oem_kdf_block(dc, block);
	CK_MECHANISM mech = { CKM_AES_CMAC, NULL, 0 };
	CK_ULONG len = sizeof out->k;
	CK_RV rv = ps->f->C_SignInit(ps->s, &mech, key);
	if (rv == CKR_KEY_FUNCTION_NOT_PERMITTED)
		return err_set(e, ERR_KEYSTORE, "%s: the OEM secret key does not allow signing (CKA_SIGN), "
			       "which CKM_AES_CMAC needs", ps->name);
	if (rv == CKR_OK)
		rv = ps->f->C_Sign(ps->s, block, sizeof block, out->k, &len);
	if (rv != CKR_OK || len != OEM_KEY_LEN) {
		oem_key_clear(out);
		return err_set(e, ERR_KEYSTORE, "%s: CKM_AES_CMAC in the token failed (CKR 0x%lx, %lu bytes)",
			       ps->name, (unsigned long)rv, (unsigned long)len);
	}
	return 0;
}

int oem_derive_pkcs11(const char *uri, uint32_t dc, struct oem_key *key, struct err *e)
{
	struct p11_session ps;
	int rc = p11_session_open(&ps, uri, e);
	if (rc) {
		char shown[1024];
		uri_redact(uri, shown, sizeof shown);
		if (!strstr(e ? e->msg : "", "pkcs11:"))
			err_prefix(e, "%s", shown);
		return rc;
	}
	CK_OBJECT_HANDLE h;
	rc = p11_find_key(&ps, CKO_SECRET_KEY, CKK_AES, &h, e);
	if (!rc)
		rc = check_len(&ps, h, e);
	if (!rc)
		rc = token_cmac(&ps, h, dc, key, e);
	p11_session_close(&ps);
	return rc;
}
