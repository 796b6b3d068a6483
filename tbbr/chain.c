#include "chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "certparse.h"

struct state {
	const struct tbbr_check *c;
	struct tbbr_x509 x[TBBR_MAX_CERTS];
	int nv_from[TBBR_NCOUNTERS];          /* index of the certificate that set nv, or -1 */
	uint32_t nv[TBBR_NCOUNTERS];
};

static const char *cert_name(const struct state *s, size_t i)
{
	return s->c->chain->certs[i]->name;
}

static size_t cert_index(const struct tbbr_chain *ch, const struct tbbr_cert *ce)
{
	size_t i = 0;
	while (i < ch->ncerts && ch->certs[i] != ce)
		i++;
	return i;
}

static int parse_all(struct state *s, struct err *e)
{
	for (size_t i = 0; i < s->c->chain->ncerts; i++) {
		if (!s->c->der[i])
			return err_set(e, ERR_VERIFY, "certificate %s: missing from the FIP", cert_name(s, i));
		int rc = tbbr_x509_parse(s->c->der[i], s->c->len[i], &s->x[i], e);
		if (rc)
			return err_prefix(e, "certificate %s", cert_name(s, i));
		if (!tbbr_x509_alg_is_ecdsa_sha256(&s->x[i]))
			return err_set(e, ERR_VERIFY, "certificate %s: signature algorithm is not ecdsa-with-SHA256",
				       cert_name(s, i));
	}
	return 0;
}

/* The extension of a row, required to be there. */
static const struct tbbr_x509_ext *row_ext(const struct state *s, size_t i, const struct tbbr_ext *x,
					   const char *what, struct err *e)
{
	const struct tbbr_x509_ext *v = tbbr_x509_ext_find(&s->x[i], x->oid);
	if (!v)
		err_set(e, ERR_VERIFY, "certificate %s: no %s extension (%s)", cert_name(s, i), what, x->oid);
	return v;
}

/* The key that signs certificate i: its own subject key for the root key
 * (checked against the header and OTP elsewhere), else the PK extension of
 * the certificate that holds that key. */
static int signer_key(const struct state *s, size_t i, struct pubkey *k, char *from, size_t fn, struct err *e)
{
	const struct tbbr_chain *ch = s->c->chain;
	enum tbbr_key role = ch->certs[i]->signer;
	const struct tbbr_cert *holder = tbbr_chain_key_holder(ch, role);
	if (!holder) {
		snprintf(from, fn, "its own subject public key");
		if (pubkey_from_spki(s->x[i].spki, s->x[i].spki_len, k, e))
			return err_prefix(e, "certificate %s: subject public key", cert_name(s, i));
		return 0;
	}
	size_t h = cert_index(ch, holder);
	for (size_t j = 0; j < TBBR_MAX_EXTS && holder->ext[j].oid; j++) {
		const struct tbbr_ext *x = &holder->ext[j];
		if (x->kind != TBBR_EXT_PK || x->arg != (int)role)
			continue;
		const struct tbbr_x509_ext *v = row_ext(s, h, x, tbbr_key_name(role), e);
		if (!v)
			return e->code;
		snprintf(from, fn, "the %s key of %s (%s)", tbbr_key_name(role), holder->name, x->oid);
		if (pubkey_from_spki(v->val, v->len, k, e))
			return err_prefix(e, "certificate %s: extension %s", holder->name, x->oid);
		return 0;
	}
	return err_set(e, ERR_INTERNAL, "chain %s: no key for %s", ch->name, cert_name(s, i));
}

static int check_signature(const struct state *s, size_t i, struct err *e)
{
	struct pubkey k;
	char from[160];
	uint8_t h[32], raw[ECC_RAW_SIG_MAX];
	int rc = signer_key(s, i, &k, from, sizeof from, e);
	if (rc)
		return rc;
	sha256(s->x[i].tbs, s->x[i].tbs_len, h);
	if (sig_der_to_raw(s->x[i].sig, s->x[i].sig_len, k.algo, raw, e))
		return err_prefix(e, "certificate %s: signatureValue", cert_name(s, i));
	if (ecdsa_verify_digest(&k, h, raw, NULL))
		return err_set(e, ERR_VERIFY, "certificate %s: the signature does not verify with %s",
			       cert_name(s, i), from);
	return 0;
}

static int check_nv(struct state *s, size_t i, const struct tbbr_ext *x, struct err *e)
{
	const char *name = tbbr_counter_name((enum tbbr_counter)x->arg);
	char what[40];
	snprintf(what, sizeof what, "%s NV counter", name);
	const struct tbbr_x509_ext *v = row_ext(s, i, x, what, e);
	if (!v)
		return e->code;
	const uint8_t *p = v->val;
	ASN1_INTEGER *n = d2i_ASN1_INTEGER(NULL, &p, (long)v->len);
	uint64_t val;
	int ok = n && p == v->val + v->len && ASN1_INTEGER_get_uint64(&val, n) && val <= UINT32_MAX;
	ASN1_INTEGER_free(n);
	if (!ok)
		return err_set(e, ERR_INPUT, "certificate %s: %s (%s) is not an INTEGER", cert_name(s, i), what, x->oid);
	if (s->c->has_nv && val != s->c->nv[x->arg])
		return err_set(e, ERR_VERIFY, "certificate %s: %s is %llu, the release's is %u", cert_name(s, i), what,
			       (unsigned long long)val, s->c->nv[x->arg]);
	if (s->nv_from[x->arg] >= 0 && val != s->nv[x->arg])
		return err_set(e, ERR_VERIFY, "certificate %s: %s is %llu, but %s has %u", cert_name(s, i), what,
			       (unsigned long long)val, cert_name(s, (size_t)s->nv_from[x->arg]), s->nv[x->arg]);
	s->nv_from[x->arg] = (int)i;
	s->nv[x->arg] = (uint32_t)val;
	return 0;
}

static int check_hash(const struct state *s, size_t i, const struct tbbr_ext *x, struct err *e)
{
	const char *img = tbbr_img_name((enum tbbr_img)x->arg);
	char what[48];
	snprintf(what, sizeof what, "%s hash", img);
	const struct tbbr_x509_ext *v = row_ext(s, i, x, what, e);
	if (!v)
		return e->code;
	const uint8_t *p = v->val;
	X509_SIG *sig = d2i_X509_SIG(NULL, &p, (long)v->len);
	const X509_ALGOR *alg = NULL;
	const ASN1_OCTET_STRING *os = NULL;
	if (sig)
		X509_SIG_get0(sig, &alg, &os);
	int ok = sig && p == v->val + v->len && OBJ_obj2nid(alg->algorithm) == NID_sha256 &&
		 ASN1_STRING_length(os) == 32;
	uint8_t h[32];
	if (ok)
		memcpy(h, ASN1_STRING_get0_data(os), 32);
	X509_SIG_free(sig);
	if (!ok)
		return err_set(e, ERR_INPUT, "certificate %s: %s (%s) is not a SHA-256 DigestInfo", cert_name(s, i),
			       what, x->oid);
	if (!(s->c->have_image & (1u << x->arg)))
		return 0; /* not loaded from this FIP: checked where BL2 loads it from */
	if (memcmp(h, s->c->hash[x->arg], 32))
		return err_set(e, ERR_VERIFY, "certificate %s: %s (%s) is not the SHA-256 of the %s image",
			       cert_name(s, i), what, x->oid, img);
	return 0;
}

static int check_exts(struct state *s, size_t i, struct err *e)
{
	const struct tbbr_cert *ce = s->c->chain->certs[i];
	for (size_t j = 0; j < TBBR_MAX_EXTS && ce->ext[j].oid; j++) {
		const struct tbbr_ext *x = &ce->ext[j];
		int rc;
		if (x->kind == TBBR_EXT_NVCTR)
			rc = check_nv(s, i, x, e);
		else if (x->kind == TBBR_EXT_HASH)
			rc = check_hash(s, i, x, e);
		else
			rc = row_ext(s, i, x, tbbr_key_name((enum tbbr_key)x->arg), e) ? 0 : (int)e->code;
		if (rc)
			return rc;
	}
	return 0;
}

static int check_otp_alone(const struct pubkey *root, const uint8_t *otp, struct err *e)
{
	uint8_t h[32];
	sha256(root->xy, ecc_xy_len(root->algo), h);
	if (memcmp(h, otp, 32))
		return err_set(e, ERR_VERIFY, "certificate trusted_key: SHA-256(X || Y) of the root key is not the OTP "
			       "value (the MP15 rule); for MP13 and MP2x give the signed FSBL, whose key table holds it");
	return 0;
}

/* The root key as BL2 takes it: pk_hashes[pk_idx] of the ROM-verified FSBL
 * header, whose table hash is the OTP value. */
static int check_root_source(const struct tbbr_check *c, const struct pubkey *root, const char *by,
			     struct err *e)
{
	uint8_t entry[32], th[32];
	char fp[17];
	pubkey_fingerprint(root, fp);
	if (c->root_key && !pubkey_equal(root, c->root_key))
		return err_set(e, ERR_VERIFY, "certificate %s: the root key (%s) is not the release's root key", by, fp);
	if (!c->fsbl)
		return c->otp ? check_otp_alone(root, c->otp, e) : 0;
	stm32_key_entry(root, entry);
	if (!c->fsbl->has_auth || memcmp(entry, c->fsbl->table[c->fsbl->pk_idx], 32))
		return err_set(e, ERR_VERIFY, "certificate %s: the root key (%s) is not pk_hashes[%u] of the FSBL header: "
			       "SHA-256(LE32(algo) || X || Y) differs (signed by another key than the FSBL's)", by, fp,
			       c->fsbl->pk_idx);
	stm32_table_hash(c->fsbl, th);
	if (c->otp && memcmp(th, c->otp, 32))
		return err_set(e, ERR_VERIFY, "the FSBL header's key table does not hash to the OTP value");
	return 0;
}

static int check_root(const struct state *s, struct err *e)
{
	const struct tbbr_chain *ch = s->c->chain;
	struct pubkey root, k;
	int have = 0;
	size_t first = 0;
	for (size_t i = 0; i < ch->ncerts; i++) {
		if (ch->certs[i]->signer != TBBR_KEY_ROOT)
			continue;
		if (pubkey_from_spki(s->x[i].spki, s->x[i].spki_len, have ? &k : &root, e))
			return err_prefix(e, "certificate %s: subject public key", cert_name(s, i));
		if (have && !pubkey_equal(&k, &root))
			return err_set(e, ERR_VERIFY, "certificate %s: its root key is not %s's", cert_name(s, i),
				       cert_name(s, first));
		if (!have)
			first = i;
		have = 1;
	}
	return have ? check_root_source(s->c, &root, cert_name(s, first), e) : 0;
}

int tbbr_chain_check(const struct tbbr_check *c, struct err *e)
{
	struct state *s = calloc(1, sizeof *s);
	if (!s)
		return err_set(e, ERR_INTERNAL, "out of memory");
	s->c = c;
	for (int k = 0; k < TBBR_NCOUNTERS; k++)
		s->nv_from[k] = -1;
	int rc = parse_all(s, e);
	if (!rc)
		rc = check_root(s, e);
	for (size_t i = 0; !rc && i < c->chain->ncerts; i++)
		if (!(rc = check_signature(s, i, e)))
			rc = check_exts(s, i, e);
	free(s);
	return rc;
}
