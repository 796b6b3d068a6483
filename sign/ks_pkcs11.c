/* pkcs11:token=...;object=...?module-path=...&pin-source=file:... (RFC 7512),
 * parsed and loaded with p11-kit. Each worker opens its own session and
 * finds the private key inside it: handles never cross sessions. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/p11.h"
#include "keystore.h"
#include "pin.h"
#include "signer_conf.h"

struct p11_worker {
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE key;
};

static int p11_open(struct keystore *ks, const struct sign_config *cfg, struct err *e)
{
	(void)cfg;
	struct p11_module *m = calloc(1, sizeof *m);
	if (!m)
		return err_set(e, ERR_INTERNAL, "out of memory");
	int rc;
	if (ks->conf) {
		/* module and PIN from the signer configuration, never from the URI */
		char pin[256];
		int has_pin = 0;
		rc = pin_read(ks->conf, ks->conf->uri, pin, sizeof pin, &has_pin, e);
		if (!rc)
			rc = p11_module_open_as(m, ks->uri, ks->conf->module, has_pin ? pin : NULL, e);
		OPENSSL_cleanse(pin, sizeof pin);
	} else {
		rc = p11_module_open(m, ks->uri, e);
	}
	if (rc) {
		free(m);
		return rc;
	}
	/* from here on, the URI without its PIN names the key in messages */
	snprintf(ks->signer, sizeof ks->signer, "%s", m->name);
	snprintf(ks->principal, sizeof ks->principal, "pkcs11 %s", m->token);
	ks->state = m;
	return 0;
}

static void *p11_worker_open(struct keystore *ks, struct err *e)
{
	struct p11_module *m = ks->state;
	struct p11_worker *w = calloc(1, sizeof *w);
	if (!w) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	if (p11_session_open(m, &w->session, e)) {
		free(w);
		return NULL;
	}
	if (p11_find_key(m, w->session, CKO_PRIVATE_KEY, (CK_KEY_TYPE)-1, &w->key, e)) {
		p11_session_close(m, w->session);
		free(w);
		return NULL;
	}
	return w;
}

static void p11_worker_close(struct keystore *ks, void *arg)
{
	struct p11_worker *w = arg;
	p11_session_close(ks->state, w->session);
	free(w);
}

/* CKA_EC_PARAMS: the DER OID of each curve the ROM takes. */
static const struct {
	uint32_t algo;
	uint8_t len;
	uint8_t oid[11];
} p11_curves[] = {
	{ ECC_P256, 10, { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 } },
	{ ECC_BRAINPOOL_P256T1, 11, { 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x08 } },
	{ ECC_P384, 7, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 } },
	{ ECC_BRAINPOOL_P384T1, 11, { 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0c } },
};

static int parse_point(const uint8_t *pt, CK_ULONG n, const uint8_t *params, CK_ULONG pn,
		       struct pubkey *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < sizeof p11_curves / sizeof p11_curves[0]; i++)
		if (pn == p11_curves[i].len && !memcmp(params, p11_curves[i].oid, pn))
			out->algo = p11_curves[i].algo;
	CK_ULONG xy = ecc_xy_len(out->algo);
	if (!xy)
		return -1;
	if (n == xy + 3 && pt[0] == 0x04 && pt[1] == xy + 1) /* DER OCTET STRING */
		pt += 2, n -= 2;
	if (n != xy + 1 || pt[0] != 0x04)
		return -1;
	memcpy(out->xy, pt + 1, xy);
	return 0;
}

static int p11_public_key(struct keystore *ks, struct err *e)
{
	struct p11_module *m = ks->state;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE obj;
	uint8_t point[128], params[64];
	CK_ATTRIBUTE t[2] = { { CKA_EC_POINT, point, sizeof point }, { CKA_EC_PARAMS, params, sizeof params } };
	int rc = p11_session_open(m, &s, e);
	if (rc)
		return rc;
	/* the public half of the one matching private key, by its CKA_ID */
	CK_OBJECT_HANDLE priv;
	rc = p11_find_key(m, s, CKO_PRIVATE_KEY, (CK_KEY_TYPE)-1, &priv, e);
	if (!rc)
		rc = p11_find_public_of(m, s, priv, &obj, e);
	if (!rc && (m->f->C_GetAttributeValue(s, obj, t, 2) != CKR_OK ||
		    parse_point(point, t[0].ulValueLen, params, t[1].ulValueLen, &ks->pub)))
		rc = err_set(e, ERR_KEYSTORE, "%s: the key is not P-256, brainpoolP256t1, P-384 or brainpoolP384t1",
			     ks->signer);
	p11_session_close(m, s);
	ks->have_pub = rc == 0;
	return rc;
}

static int p11_sign(struct keystore *ks, void *arg, const uint8_t *digest, size_t dlen,
		    struct ks_sig *out, struct err *e)
{
	struct p11_module *m = ks->state;
	struct p11_worker *w = arg;
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 }; /* the digest as it is: never hashed again */
	CK_ULONG len = sizeof out->raw;
	CK_RV rv = m->f->C_SignInit(w->session, &mech, w->key);
	if (rv == CKR_OK)
		rv = m->f->C_Sign(w->session, (CK_BYTE_PTR)digest, dlen, out->raw, &len);
	if (rv != CKR_OK || len != ecc_sig_len(ks->pub.algo))
		return err_set(e, ERR_KEYSTORE, "%s: C_Sign failed (CKR 0x%lx, %lu bytes)", ks->signer,
			       (unsigned long)rv, (unsigned long)len);
	snprintf(out->signer, sizeof out->signer, "%s", ks->signer);
	return ks_sig_from_raw(ks, out, e);
}

static void p11_close(struct keystore *ks)
{
	if (!ks->state)
		return;
	p11_module_close(ks->state);
	free(ks->state);
	ks->state = NULL;
}

const struct ks_ops ks_pkcs11_ops = {
	.scheme = "pkcs11",
	.open = p11_open,
	.public_key = p11_public_key,
	.worker_open = p11_worker_open,
	.sign = p11_sign,
	.worker_close = p11_worker_close,
	.close = p11_close,
};
