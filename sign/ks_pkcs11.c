/* pkcs11:token=...;object=...?module-path=...&pin-source=file:... (RFC 7512),
 * parsed and loaded with p11-kit. Each worker opens its own session and
 * finds the private key inside it: handles never cross sessions. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "keystore.h"

struct p11 {
	P11KitUri *uri;
	CK_FUNCTION_LIST *f;
	CK_SLOT_ID slot;
	char pin[256];
	int has_pin;
	pthread_mutex_t mu;
};

struct p11_worker {
	CK_SESSION_HANDLE session;
	CK_OBJECT_HANDLE key;
};

static int read_pin(struct p11 *p, const char *uri, struct err *e)
{
	const char *v = p11_kit_uri_get_pin_value(p->uri);
	const char *src = p11_kit_uri_get_pin_source(p->uri);
	if (v) {
		snprintf(p->pin, sizeof p->pin, "%s", v);
		p->has_pin = 1;
	} else if (src) {
		const char *path = !strncmp(src, "file:", 5) ? src + 5 : src;
		FILE *f = fopen(path, "r");
		if (!f || !fgets(p->pin, sizeof p->pin, f)) {
			if (f)
				fclose(f);
			return err_set(e, ERR_KEYSTORE, "%s: cannot read the PIN from pin-source", uri);
		}
		fclose(f);
		p->pin[strcspn(p->pin, "\r\n")] = '\0';
		p->has_pin = 1;
	}
	/* The PIN never appears again: not in the signer name, not in messages. */
	p11_kit_uri_set_pin_value(p->uri, NULL);
	p11_kit_uri_set_pin_source(p->uri, NULL);
	return 0;
}

static int find_slot(struct p11 *p, const char *uri, struct err *e)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	if (p->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_GetSlotList failed", uri);
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO info;
		if (p->f->C_GetTokenInfo(slots[i], &info) == CKR_OK &&
		    p11_kit_uri_match_token_info(p->uri, &info) == 1) {
			p->slot = slots[i];
			return 0;
		}
	}
	return err_set(e, ERR_KEYSTORE, "%s: no token matches the URI (%lu token(s) present)", uri,
		       (unsigned long)n);
}

static void p11_close(struct keystore *ks);

static int p11_open(struct keystore *ks, const struct sign_config *cfg, struct err *e)
{
	(void)cfg;
	struct p11 *p = calloc(1, sizeof *p);
	if (!p)
		return err_set(e, ERR_INTERNAL, "out of memory");
	ks->state = p;
	pthread_mutex_init(&p->mu, NULL);
	p->uri = p11_kit_uri_new();
	if (!p->uri || p11_kit_uri_parse(ks->uri, P11_KIT_URI_FOR_ANY, p->uri) != P11_KIT_URI_OK)
		return err_set(e, ERR_USAGE, "%s: not a PKCS#11 URI (RFC 7512)", ks->signer);
	int rc = read_pin(p, "pkcs11 key", e);
	if (rc)
		return rc;
	/* from here on, the URI without its PIN names the key in messages */
	char *clean = NULL;
	if (p11_kit_uri_format(p->uri, P11_KIT_URI_FOR_ANY, &clean) == P11_KIT_URI_OK) {
		snprintf(ks->signer, sizeof ks->signer, "%s", clean);
		free(clean);
	}
	const char *module = p11_kit_uri_get_module_path(p->uri);
	if (!module)
		module = getenv("PKCS11_MODULE_PATH");
	if (!module)
		return err_set(e, ERR_USAGE, "%s: add ?module-path=/path/to/module.so to the URI", ks->signer);
	p->f = p11_kit_module_load(module, 0);
	if (!p->f)
		return err_set(e, ERR_KEYSTORE, "%s: cannot load PKCS#11 module %s", ks->signer, module);
	if (p11_kit_module_initialize(p->f) != CKR_OK) {
		p11_kit_module_release(p->f);
		p->f = NULL;
		return err_set(e, ERR_KEYSTORE, "%s: C_Initialize failed", ks->signer);
	}
	return find_slot(p, ks->signer, e);
}

/* Object search by class and the URI's label (object=) and id (id=): exactly one
 * must match. */
static int find_object(struct p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
		       CK_OBJECT_HANDLE *out, const char *signer, struct err *e)
{
	const char *what = cls == CKO_PRIVATE_KEY ? "private key" : "public key";
	CK_ATTRIBUTE t[3] = { { CKA_CLASS, &cls, sizeof cls } };
	CK_ULONG n = 1, found = 0;
	CK_OBJECT_HANDLE h[2];
	CK_ATTRIBUTE_PTR label = p11_kit_uri_get_attribute(p->uri, CKA_LABEL);
	CK_ATTRIBUTE_PTR id = p11_kit_uri_get_attribute(p->uri, CKA_ID);
	if (label)
		t[n++] = *label;
	if (id)
		t[n++] = *id;
	if (p->f->C_FindObjectsInit(s, t, n) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_FindObjectsInit failed", signer);
	CK_RV rv = p->f->C_FindObjects(s, h, 2, &found);
	p->f->C_FindObjectsFinal(s);
	if (rv != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_FindObjects failed (0x%lx)", signer, (unsigned long)rv);
	if (found == 0)
		return err_set(e, ERR_KEYSTORE, "%s: no %s object matches the URI%s", signer, what,
			       p->has_pin ? "" : " (without a PIN only public objects are visible: add pin-source=)");
	if (found > 1)
		return err_set(e, ERR_KEYSTORE, "%s: more than one %s object matches: add id= or a unique object=",
			       signer, what);
	*out = h[0];
	return 0;
}

static int login(struct p11 *p, CK_SESSION_HANDLE s, const char *signer, struct err *e)
{
	if (!p->has_pin)
		return 0;
	pthread_mutex_lock(&p->mu);
	CK_RV rv = p->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)p->pin, strlen(p->pin));
	pthread_mutex_unlock(&p->mu);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	if (rv == CKR_PIN_INCORRECT)
		return err_set(e, ERR_KEYSTORE, "%s: login refused: CKR_PIN_INCORRECT (wrong PIN)", signer);
	if (rv == CKR_PIN_LOCKED)
		return err_set(e, ERR_KEYSTORE, "%s: login refused: CKR_PIN_LOCKED (the token locked the PIN)", signer);
	return err_set(e, ERR_KEYSTORE, "%s: C_Login failed (0x%lx)", signer, (unsigned long)rv);
}

static void *p11_worker_open(struct keystore *ks, struct err *e)
{
	struct p11 *p = ks->state;
	struct p11_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	if (p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &w->session) != CKR_OK) {
		free(w);
		err_set(e, ERR_KEYSTORE, "%s: C_OpenSession failed", ks->signer);
		return NULL;
	}
	if (login(p, w->session, ks->signer, e) ||
	    find_object(p, w->session, CKO_PRIVATE_KEY, &w->key, ks->signer, e)) {
		p->f->C_CloseSession(w->session);
		free(w);
		return NULL;
	}
	return w;
}

static void p11_worker_close(struct keystore *ks, void *arg)
{
	struct p11 *p = ks->state;
	struct p11_worker *w = arg;
	p->f->C_CloseSession(w->session);
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
	struct p11 *p = ks->state;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE obj;
	uint8_t point[128], params[64];
	CK_ATTRIBUTE t[2] = { { CKA_EC_POINT, point, sizeof point }, { CKA_EC_PARAMS, params, sizeof params } };
	if (p->f->C_OpenSession(p->slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
		return err_set(e, ERR_KEYSTORE, "%s: C_OpenSession failed", ks->signer);
	int rc = login(p, s, ks->signer, e);
	if (!rc)
		rc = find_object(p, s, CKO_PUBLIC_KEY, &obj, ks->signer, e);
	if (!rc && (p->f->C_GetAttributeValue(s, obj, t, 2) != CKR_OK ||
		    parse_point(point, t[0].ulValueLen, params, t[1].ulValueLen, &ks->pub)))
		rc = err_set(e, ERR_KEYSTORE, "%s: the key is not P-256, brainpoolP256t1, P-384 or brainpoolP384t1",
			     ks->signer);
	p->f->C_CloseSession(s);
	ks->have_pub = rc == 0;
	return rc;
}

static int p11_sign(struct keystore *ks, void *arg, const uint8_t *digest, size_t dlen,
		    struct ks_sig *out, struct err *e)
{
	struct p11 *p = ks->state;
	struct p11_worker *w = arg;
	CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 }; /* the digest as it is: never hashed again */
	CK_ULONG len = sizeof out->raw;
	CK_RV rv = p->f->C_SignInit(w->session, &mech, w->key);
	if (rv == CKR_OK)
		rv = p->f->C_Sign(w->session, (CK_BYTE_PTR)digest, dlen, out->raw, &len);
	if (rv != CKR_OK || len != ecc_sig_len(ks->pub.algo))
		return err_set(e, ERR_KEYSTORE, "%s: C_Sign failed (CKR 0x%lx, %lu bytes)", ks->signer,
			       (unsigned long)rv, (unsigned long)len);
	snprintf(out->signer, sizeof out->signer, "%s", ks->signer);
	return ks_sig_from_raw(ks, out, e);
}

static void p11_close(struct keystore *ks)
{
	struct p11 *p = ks->state;
	if (!p)
		return;
	if (p->f) {
		p11_kit_module_finalize(p->f);
		p11_kit_module_release(p->f);
	}
	if (p->uri)
		p11_kit_uri_free(p->uri);
	OPENSSL_cleanse(p->pin, sizeof p->pin);
	pthread_mutex_destroy(&p->mu);
	free(p);
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
