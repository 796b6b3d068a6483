#include "cert.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

void tbbr_stamp_default(struct tbbr_stamp *s, int64_t not_before)
{
	memset(s, 0, sizeof *s);
	s->not_before = not_before;
	s->not_after = TBBR_NOT_AFTER;
}

static int add_conf_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = ex && X509_add_ext(x, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -1;
}

static int add_der_ext(X509 *x, const char *oid, const uint8_t *der, int len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ex = NULL;
	if (obj && os && ASN1_OCTET_STRING_set(os, der, len))
		ex = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
	int ok = ex && X509_add_ext(x, ex, -1);
	X509_EXTENSION_free(ex);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return ok ? 0 : -1;
}

/* DigestInfo { AlgorithmIdentifier { sha256, NULL }, OCTET STRING hash }:
 * X509_SIG is that structure. */
static int digest_info(const uint8_t hash[32], uint8_t **der)
{
	X509_SIG *sig = X509_SIG_new();
	X509_ALGOR *alg;
	ASN1_OCTET_STRING *os;
	int len = -1;
	if (!sig)
		return -1;
	X509_SIG_getm(sig, &alg, &os);
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) &&
	    ASN1_OCTET_STRING_set(os, hash, 32))
		len = i2d_X509_SIG(sig, der);
	X509_SIG_free(sig);
	return len;
}

static int nvctr_der(uint32_t value, uint8_t **der)
{
	ASN1_INTEGER *i = ASN1_INTEGER_new();
	int len = i && ASN1_INTEGER_set_uint64(i, value) ? i2d_ASN1_INTEGER(i, der) : -1;
	ASN1_INTEGER_free(i);
	return len;
}

static int pk_der(const struct pubkey *k, uint8_t **der, struct err *e)
{
	EVP_PKEY *pk = pubkey_to_evp(k, e);
	int len = pk ? i2d_PUBKEY(pk, der) : -1;
	EVP_PKEY_free(pk);
	return len;
}

static int ext_value(const struct tbbr_ext *x, const struct tbbr_values *v, uint8_t **der,
		     struct err *e)
{
	static const uint8_t zeros[32];
	switch (x->kind) {
	case TBBR_EXT_NVCTR:
		return nvctr_der(v->nv[x->arg], der);
	case TBBR_EXT_PK:
		return pk_der(&v->key[x->arg], der, e);
	case TBBR_EXT_HASH:
		return digest_info(v->have_image & (1u << x->arg) ? v->hash[x->arg] : zeros, der);
	}
	return -1;
}

static int check_inputs(const struct tbbr_cert *ce, const struct tbbr_values *v, struct err *e)
{
	if (!(v->have_key & (1u << ce->signer)))
		return err_set(e, ERR_INPUT, "certificate %s: no %s key", ce->name, tbbr_key_name(ce->signer));
	for (size_t j = 0; j < TBBR_MAX_EXTS && ce->ext[j].oid; j++) {
		const struct tbbr_ext *x = &ce->ext[j];
		if (x->kind == TBBR_EXT_PK && !(v->have_key & (1u << x->arg)))
			return err_set(e, ERR_INPUT, "certificate %s: no %s key", ce->name,
				       tbbr_key_name((enum tbbr_key)x->arg));
		if (x->kind == TBBR_EXT_HASH && !x->optional && !(v->have_image & (1u << x->arg)))
			return err_set(e, ERR_INPUT, "certificate %s: no %s image", ce->name,
				       tbbr_img_name((enum tbbr_img)x->arg));
	}
	for (int k = 0; k < TBBR_NKEYS; k++)
		if ((v->have_key & (1u << k)) && ecc_coord(v->key[k].algo) != 32)
			return err_set(e, ERR_INPUT, "certificate %s: the %s key is %s; TF-A's certificates "
				       "here are ecdsa-with-SHA256 with a 256-bit curve", ce->name,
				       tbbr_key_name((enum tbbr_key)k), ecc_algo_name(v->key[k].algo));
	return 0;
}

static int add_row_exts(X509 *x, const struct tbbr_cert *ce, const struct tbbr_values *v,
			struct err *e)
{
	for (size_t j = 0; j < TBBR_MAX_EXTS && ce->ext[j].oid; j++) {
		uint8_t *der = NULL;
		int len = ext_value(&ce->ext[j], v, &der, e);
		int rc = len > 0 ? add_der_ext(x, ce->ext[j].oid, der, len) : -1;
		OPENSSL_free(der);
		if (rc)
			return err_set(e, ERR_INTERNAL, "certificate %s: cannot encode extension %s", ce->name,
				       ce->ext[j].oid);
	}
	return 0;
}

static int set_names_times(X509 *x, const struct tbbr_cert *ce, const struct tbbr_stamp *st)
{
	X509_NAME *n = X509_NAME_new();
	ASN1_TIME *t0 = ASN1_TIME_set(NULL, (time_t)st->not_before);
	ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)st->not_after);
	int ok = n && t0 && t1 &&
		 X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)ce->cn, -1, -1, 0) &&
		 X509_set_subject_name(x, n) && X509_set_issuer_name(x, n) && X509_set1_notBefore(x, t0) &&
		 X509_set1_notAfter(x, t1);
	X509_NAME_free(n);
	ASN1_TIME_free(t0);
	ASN1_TIME_free(t1);
	return ok ? 0 : -1;
}

/* The certificate without signature, as cert_create fills it before X509_sign. */
static X509 *tbs_x509(const struct tbbr_cert *ce, const struct tbbr_values *v,
		      const struct tbbr_stamp *st, uint64_t serial, struct err *e)
{
	X509 *x = X509_new();
	EVP_PKEY *pk = pubkey_to_evp(&v->key[ce->signer], e);
	/* X509_sign sets the TBS algorithm; we have no key here, so set it as it would. */
	X509_ALGOR *alg = x ? (X509_ALGOR *)X509_get0_tbs_sigalg(x) : NULL;
	int ok = x && pk && alg && X509_set_version(x, 2) &&
		 ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) &&
		 X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL) &&
		 !set_names_times(x, ce, st) && X509_set_pubkey(x, pk) &&
		 !add_conf_ext(x, NID_subject_key_identifier, "hash") &&
		 !add_conf_ext(x, NID_authority_key_identifier, "keyid:always") &&
		 !add_conf_ext(x, NID_basic_constraints, "CA:FALSE");
	EVP_PKEY_free(pk);
	if (ok && !add_row_exts(x, ce, v, e))
		return x;
	if (!e || !e->code)
		err_set(e, ERR_INTERNAL, "certificate %s: cannot build the TBSCertificate", ce->name);
	X509_free(x);
	return NULL;
}

static int tbs_der(const struct tbbr_cert *ce, const struct tbbr_values *v,
		   const struct tbbr_stamp *st, uint64_t serial, uint8_t **der, size_t *len,
		   struct err *e)
{
	X509 *x = tbs_x509(ce, v, st, serial, e);
	if (!x)
		return e->code;
	uint8_t *p = NULL;
	int n = i2d_re_X509_tbs(x, &p);
	X509_free(x);
	*der = n > 0 ? malloc((size_t)n) : NULL;
	if (*der)
		memcpy(*der, p, (size_t)n);
	OPENSSL_free(p);
	if (!*der)
		return err_set(e, ERR_INTERNAL, "certificate %s: cannot encode the TBSCertificate", ce->name);
	*len = (size_t)n;
	return 0;
}

int tbbr_tbs_build(const struct tbbr_cert *ce, const struct tbbr_values *v,
		   const struct tbbr_stamp *st, uint8_t **der, size_t *len, struct err *e)
{
	int rc = check_inputs(ce, v, e);
	if (rc)
		return rc;
	if (st->has_serial)
		return tbs_der(ce, v, st, st->serial, der, len, e);
	if ((rc = tbs_der(ce, v, st, 1, der, len, e)))
		return rc;
	uint8_t h[32];
	SHA256(*der, *len, h);
	free(*der);
	uint64_t serial = 0;
	for (int i = 0; i < 8; i++)
		serial = serial << 8 | h[i];
	serial &= 0x7fffffffffffffffull;
	return tbs_der(ce, v, st, serial ? serial : 1, der, len, e);
}

/* DER tag and definite length (at most 0xFFFF: certificates are small). */
static size_t der_head(uint8_t *p, uint8_t tag, size_t len)
{
	p[0] = tag;
	if (len < 0x80) {
		p[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		p[1] = 0x81;
		p[2] = (uint8_t)len;
		return 3;
	}
	p[1] = 0x82;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	return 4;
}

int tbbr_cert_wrap(const uint8_t *tbs, size_t tbs_len, const uint8_t *sig, size_t sig_len,
		   uint8_t **out, size_t *out_len, struct err *e)
{
	static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	if (tbs_len > 0x8000 || sig_len > 0x100)
		return err_set(e, ERR_INPUT, "a TBSCertificate of %zu bytes or a signature of %zu is too long",
			       tbs_len, sig_len);
	uint8_t bit[4];
	size_t nbit = der_head(bit, 0x03, sig_len + 1);
	size_t body = tbs_len + sizeof alg + nbit + 1 + sig_len;
	uint8_t head[4];
	size_t nhead = der_head(head, 0x30, body);
	uint8_t *p = malloc(nhead + body);
	if (!p)
		return err_set(e, ERR_INTERNAL, "out of memory");
	size_t o = 0;
	memcpy(p, head, nhead), o += nhead;
	memcpy(p + o, tbs, tbs_len), o += tbs_len;
	memcpy(p + o, alg, sizeof alg), o += sizeof alg;
	memcpy(p + o, bit, nbit), o += nbit;
	p[o++] = 0; /* no unused bits */
	memcpy(p + o, sig, sig_len), o += sig_len;
	*out = p;
	*out_len = o;
	return 0;
}
