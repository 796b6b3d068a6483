#include "ecdsa.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "hex.h"

static const struct ecc_curve curves[] = {
	{ ECC_P256, "prime256v1", "P-256", "ecdsa-p256-sha256", "sha256", 32, 32 },
	{ ECC_BRAINPOOL_P256T1, "brainpoolP256t1", "brainpoolP256t1",
	  "ecdsa-brainpoolp256t1-sha256", "sha256", 32, 32 },
	{ ECC_P384, "secp384r1", "P-384", "ecdsa-p384-sha384", "sha384", 48, 48 },
	{ ECC_BRAINPOOL_P384T1, "brainpoolP384t1", "brainpoolP384t1",
	  "ecdsa-brainpoolp384t1-sha384", "sha384", 48, 48 },
};

const struct ecc_curve *ecc_curve(uint32_t algo)
{
	for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
		if (curves[i].algo == algo)
			return &curves[i];
	return NULL;
}

uint32_t ecc_coord(uint32_t algo)
{
	const struct ecc_curve *c = ecc_curve(algo);
	return c ? c->coord : 0;
}

uint32_t ecc_xy_len(uint32_t algo)
{
	return 2 * ecc_coord(algo);
}

uint32_t ecc_sig_len(uint32_t algo)
{
	return 2 * ecc_coord(algo);
}

uint32_t ecc_digest_len(uint32_t algo)
{
	const struct ecc_curve *c = ecc_curve(algo);
	return c ? c->digest_len : 0;
}

const EVP_MD *ecc_md(uint32_t algo)
{
	const struct ecc_curve *c = ecc_curve(algo);
	if (!c)
		return NULL;
	return c->digest_len == 48 ? EVP_sha384() : EVP_sha256();
}

int pubkey_equal(const struct pubkey *a, const struct pubkey *b)
{
	return a->algo == b->algo && !memcmp(a->xy, b->xy, ecc_xy_len(a->algo));
}

const char *ecc_algo_name(uint32_t algo)
{
	const struct ecc_curve *c = ecc_curve(algo);
	return c ? c->name : NULL;
}

const char *ecc_manifest_algorithm(uint32_t algo)
{
	const struct ecc_curve *c = ecc_curve(algo);
	return c ? c->manifest : NULL;
}

int ecc_algo_from_manifest(const char *name, uint32_t *algo)
{
	for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
		if (!strcmp(curves[i].manifest, name)) {
			*algo = curves[i].algo;
			return 0;
		}
	return -1;
}

void sha256(const void *data, size_t len, uint8_t out[32])
{
	SHA256(data, len, out);
}

int pubkey_from_evp(EVP_PKEY *pk, struct pubkey *out, struct err *e)
{
	char group[64] = "";
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
					    sizeof group, NULL))
		return err_set(e, ERR_INPUT, "not an elliptic-curve key");
	const struct ecc_curve *c = NULL;
	for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
		if (!strcmp(curves[i].group, group))
			c = &curves[i];
	if (!c)
		return err_set(e, ERR_INPUT,
			       "key is on curve %s; the ROM accepts P-256, brainpoolP256t1, "
			       "P-384 or brainpoolP384t1", group);
	BIGNUM *x = NULL, *y = NULL;
	int w = (int)c->coord;
	memset(out, 0, sizeof *out);
	int ok = EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
		 EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) &&
		 BN_bn2binpad(x, out->xy, w) == w && BN_bn2binpad(y, out->xy + w, w) == w;
	BN_free(x);
	BN_free(y);
	if (!ok)
		return err_set(e, ERR_INPUT, "cannot read the public point");
	out->algo = c->algo;
	return 0;
}

static EVP_PKEY *load_any(BIO *bio)
{
	EVP_PKEY *pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pk)
		return pk;
	BIO_reset(bio);
	/* A private key file also holds the public half; never ask for a password. */
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"");
	if (pk)
		return pk;
	BIO_reset(bio);
	pk = d2i_PUBKEY_bio(bio, NULL);
	return pk;
}

int pubkey_load_file(const char *path, struct pubkey *out, struct err *e)
{
	BIO *bio = BIO_new_file(path, "rb");
	if (!bio)
		return err_set(e, ERR_IO, "%s: cannot open", path);
	EVP_PKEY *pk = load_any(bio);
	BIO_free(bio);
	ERR_clear_error();
	if (!pk)
		return err_set(e, ERR_INPUT,
			       "%s: not a PEM or DER EC public key (or its point is not on its curve)",
			       path);
	int rc = pubkey_from_evp(pk, out, e);
	EVP_PKEY_free(pk);
	if (rc)
		err_prefix(e, "%s", path);
	return rc;
}

int pubkey_from_spki(const uint8_t *der, size_t len, struct pubkey *out, struct err *e)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);
	ERR_clear_error();
	if (!pk || p != der + len) {
		EVP_PKEY_free(pk);
		return err_set(e, ERR_INPUT, "not a DER SubjectPublicKeyInfo");
	}
	int rc = pubkey_from_evp(pk, out, e);
	EVP_PKEY_free(pk);
	return rc;
}

EVP_PKEY *pubkey_to_evp(const struct pubkey *k, struct err *e)
{
	const struct ecc_curve *c = ecc_curve(k->algo);
	if (!c) {
		err_set(e, ERR_INPUT, "unknown ecc algorithm %u", k->algo);
		return NULL;
	}
	uint8_t point[1 + ECC_XY_MAX];
	size_t plen = 1 + 2 * (size_t)c->coord;
	point[0] = 0x04;
	memcpy(point + 1, k->xy, plen - 1);
	EVP_PKEY *pk = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (bld && ctx &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->group, 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, plen) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) > 0)
		if (EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
			pk = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	/* fromdata does not always check the point: do it explicitly. */
	if (pk) {
		EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new(pk, NULL);
		int ok = chk && EVP_PKEY_public_check(chk) > 0;
		EVP_PKEY_CTX_free(chk);
		if (!ok) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
	}
	ERR_clear_error();
	if (!pk)
		err_set(e, ERR_INPUT, "public key X||Y is not a point on %s", c->name);
	return pk;
}

int pubkey_to_pem(const struct pubkey *k, char **pem, struct err *e)
{
	EVP_PKEY *pk = pubkey_to_evp(k, e);
	if (!pk)
		return e ? e->code : ERR_INPUT;
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = 0;
	if (!bio || !PEM_write_bio_PUBKEY(bio, pk)) {
		rc = err_set(e, ERR_INTERNAL, "cannot encode the public key");
	} else {
		char *data;
		long n = BIO_get_mem_data(bio, &data);
		*pem = malloc((size_t)n + 1);
		if (!*pem) {
			rc = err_set(e, ERR_INTERNAL, "out of memory");
		} else {
			memcpy(*pem, data, (size_t)n);
			(*pem)[n] = '\0';
		}
	}
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return rc;
}

void pubkey_fingerprint(const struct pubkey *k, char out[17])
{
	uint8_t h[32];
	sha256(k->xy, ecc_xy_len(k->algo), h);
	hex_encode(h, 8, out);
}

/* Order of the curve, for the range check of r and s from a DER signature. */
static BIGNUM *curve_order(const struct ecc_curve *c)
{
	EC_GROUP *g = c ? EC_GROUP_new_by_curve_name(OBJ_sn2nid(c->group)) : NULL;
	BIGNUM *n = g ? BN_dup(EC_GROUP_get0_order(g)) : NULL;
	EC_GROUP_free(g);
	return n;
}

/* OpenSSL's decoder accepts BER (long-form lengths, padded integers): DER is
 * what re-encoding gives back byte for byte. Found by fuzz_der. */
static int der_is_canonical(const ECDSA_SIG *sig, const uint8_t *der, size_t len)
{
	unsigned char *again = NULL;
	int n = i2d_ECDSA_SIG(sig, &again);
	int same = n > 0 && (size_t)n == len && !memcmp(again, der, len);
	OPENSSL_free(again);
	return same;
}

int sig_der_to_raw(const uint8_t *der, size_t len, uint32_t algo,
		   uint8_t *raw, struct err *e)
{
	const struct ecc_curve *c = ecc_curve(algo);
	if (!c)
		return err_set(e, ERR_INPUT, "unknown ecc algorithm %u", algo);
	int w = (int)c->coord;
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	ERR_clear_error();
	if (!sig)
		return err_set(e, ERR_INPUT, "signature is not DER SEQUENCE { INTEGER r, INTEGER s }");
	int rc = 0;
	const BIGNUM *r = ECDSA_SIG_get0_r(sig), *s = ECDSA_SIG_get0_s(sig);
	BIGNUM *n = curve_order(c);
	if (p != der + len)
		rc = err_set(e, ERR_INPUT, "DER signature has %zu trailing bytes",
			     (size_t)(der + len - p));
	else if (BN_is_negative(r) || BN_is_negative(s) || BN_is_zero(r) || BN_is_zero(s))
		rc = err_set(e, ERR_INPUT, "signature r or s is zero or negative");
	else if (!n || BN_cmp(r, n) >= 0 || BN_cmp(s, n) >= 0)
		rc = err_set(e, ERR_INPUT, "signature r or s is not below the curve order");
	else if (BN_bn2binpad(r, raw, w) != w || BN_bn2binpad(s, raw + w, w) != w)
		rc = err_set(e, ERR_INPUT, "signature r or s wider than %d bytes", w);
	else if (!der_is_canonical(sig, der, len))
		rc = err_set(e, ERR_INPUT, "signature is BER, not canonical DER (e.g. a long-form length)");
	BN_free(n);
	ECDSA_SIG_free(sig);
	return rc;
}

int sig_raw_to_der(const uint8_t *raw, uint32_t algo, uint8_t *der, size_t max,
		   size_t *len, struct err *e)
{
	int w = (int)ecc_coord(algo);
	if (!w)
		return err_set(e, ERR_INPUT, "unknown ecc algorithm %u", algo);
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, w, NULL);
	BIGNUM *s = BN_bin2bn(raw + w, w, NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(s);
		return err_set(e, ERR_INTERNAL, "out of memory");
	}
	int n = i2d_ECDSA_SIG(sig, NULL);
	int rc = 0;
	if (n <= 0 || (size_t)n > max) {
		rc = err_set(e, ERR_INTERNAL, "cannot encode the signature");
	} else {
		unsigned char *p = der;
		*len = (size_t)i2d_ECDSA_SIG(sig, &p);
	}
	ECDSA_SIG_free(sig);
	return rc;
}

int ecdsa_verify_digest(const struct pubkey *k, const uint8_t *digest,
			const uint8_t *raw, struct err *e)
{
	return ecdsa_verify_len(k, digest, ecc_digest_len(k->algo), raw, e);
}

int ecdsa_verify_len(const struct pubkey *k, const uint8_t *digest, size_t dlen,
		     const uint8_t *raw, struct err *e)
{
	uint8_t der[ECC_DER_SIG_MAX];
	size_t der_len;
	int rc = sig_raw_to_der(raw, k->algo, der, sizeof der, &der_len, e);
	if (rc)
		return rc;
	EVP_PKEY *pk = pubkey_to_evp(k, e);
	if (!pk)
		return e ? e->code : ERR_INPUT;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pk, NULL);
	int v = -1;
	if (ctx && EVP_PKEY_verify_init(ctx) > 0)
		v = EVP_PKEY_verify(ctx, der, der_len, digest, dlen);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	if (v == 1)
		return 0;
	return err_set(e, ERR_VERIFY, "ECDSA signature does not verify over the digest");
}
