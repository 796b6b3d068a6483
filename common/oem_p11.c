/* The FSBL key derivation with the OEM secret inside a PKCS#11 token: the
 * token runs CKM_AES_CMAC over the KDF block, so the secret never leaves it. */
#include <string.h>

#include <openssl/crypto.h>

#include "oem_secret.h"
#include "p11.h"

/* The key object must be AES-128: a longer key would give another K silently. */
static int check_len(struct p11_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, struct err *e)
{
	CK_ULONG vlen = 0;
	CK_ATTRIBUTE t = { CKA_VALUE_LEN, &vlen, sizeof vlen };
	if (m->f->C_GetAttributeValue(s, key, &t, 1) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: cannot read CKA_VALUE_LEN of the OEM secret key", m->name);
	if (vlen != OEM_SECRET_LEN)
		return err_set(e, ERR_KEYSTORE, "%s: the OEM secret key is %lu bytes, expected an AES-128 key (16)",
			       m->name, (unsigned long)vlen);
	return 0;
}

static int token_cmac(struct p11_module *m, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE key, uint32_t dc,
		      struct oem_key *out, struct err *e)
{
	uint8_t block[OEM_KDF_BLOCK_LEN];
	oem_kdf_block(dc, block);
	CK_MECHANISM mech = { CKM_AES_CMAC, NULL, 0 };
	CK_ULONG len = sizeof out->k;
	CK_RV rv = m->f->C_SignInit(s, &mech, key);
	if (rv == CKR_KEY_FUNCTION_NOT_PERMITTED)
		return err_set(e, ERR_KEYSTORE, "%s: the OEM secret key does not allow signing (CKA_SIGN), "
			       "which CKM_AES_CMAC needs", m->name);
	if (rv == CKR_OK)
		rv = m->f->C_Sign(s, block, sizeof block, out->k, &len);
	if (rv != CKR_OK || len != OEM_KEY_LEN) {
		oem_key_clear(out);
		return err_set(e, ERR_KEYSTORE, "%s: CKM_AES_CMAC in the token failed (CKR 0x%lx, %lu bytes)",
			       m->name, (unsigned long)rv, (unsigned long)len);
	}
	return 0;
}

int oem_derive_pkcs11(const char *uri, uint32_t dc, struct oem_key *key, struct err *e)
{
	struct p11_module m;
	int rc = p11_module_open(&m, uri, e);
	if (rc)
		return rc;
	CK_SESSION_HANDLE s;
	rc = p11_session_open(&m, &s, e);
	if (!rc) {
		CK_OBJECT_HANDLE h;
		rc = p11_find_key(&m, s, CKO_SECRET_KEY, CKK_AES, &h, e);
		if (!rc)
			rc = check_len(&m, s, h, e);
		if (!rc)
			rc = token_cmac(&m, s, h, dc, key, e);
		p11_session_close(&m, s);
	}
	p11_module_close(&m);
	return rc;
}
