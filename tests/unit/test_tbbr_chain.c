/* tbbr_chain_check on cert_create's certificates (tests/vectors/tbbr) with
 * ST-signed FSBL headers (tests/vectors/st-signed: k0 = the vectors' root key):
 * the chain holds, and each break is named by certificate and field. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tbbr/cert.h"
#include "tbbr/certparse.h"
#include "tbbr/chain.h"
#include "tests/helpers/tbbr_vec.h"
#include "tests/helpers/testutil.h"

enum tamper { T_NONE, T_BL33, T_SWAP, T_OTP, T_NV_RELEASE, T_NV_MIXED, T_VERSION, T_TRAILING,
	      T_ALG2, T_MISSING, T_NO_BL33 };

struct chain_case {
	char dir[8], soc[12], fsbl[24];
	enum tamper t;
	char want[160]; /* "" : the chain holds */
};

static struct chain_case chain_cases[] = {
	{ "mp25", "stm32mp25", "v22_p256", T_NONE, "" },
	{ "mp13", "stm32mp13", "v20_p256", T_NONE, "" },
	{ "mp13", "stm32mp15", "v10_p256", T_NONE, "" },
	{ "mp25", "stm32mp25", "v22_p256_idx5", T_NONE,
	  "certificate stm32mp_cfg_cert: the root key (" },
	{ "mp25", "stm32mp25", "v22_p256", T_BL33,
	  "certificate nt_fw_content: bl33 hash (1.3.6.1.4.1.4128.2100.1201) is not the SHA-256 of the bl33 image" },
	{ "mp25", "stm32mp25", "v22_p256", T_SWAP,
	  "certificate tos_fw_content: the signature does not verify with the tos key of tos_fw_key" },
	{ "mp25", "stm32mp25", "v22_p256", T_OTP, "the FSBL header's key table does not hash to the OTP value" },
	{ "mp25", "stm32mp25", "v22_p256", T_NV_RELEASE,
	  "certificate stm32mp_cfg_cert: trusted NV counter is 7, the release's is 8" },
	{ "mp25", "stm32mp25", "v22_p256", T_NV_MIXED,
	  "certificate nt_fw_content: non-trusted NV counter is 3, but nt_fw_key has 7" },
	{ "mp25", "stm32mp25", "v22_p256", T_VERSION,
	  "certificate trusted_key: version: the bytes are not A0 03 02 01 02 (v3)" },
	{ "mp25", "stm32mp25", "v22_p256", T_TRAILING,
	  "certificate trusted_key: not one DER Certificate filling the whole entry" },
	{ "mp25", "stm32mp25", "v22_p256", T_ALG2, "certificate trusted_key: the two signature algorithm fields differ" },
	{ "mp25", "stm32mp25", "v22_p256", T_MISSING, "certificate soc_fw_content: missing from the FIP" },
	{ "mp25", "stm32mp25", "v22_p256", T_NO_BL33, "" }, /* not loaded from the FIP: not checked here */
};

ParameterizedTestParameters(tbbr_chain, holds_or_names_what_breaks_it)
{
	return cr_make_param_array(struct chain_case, chain_cases, sizeof chain_cases / sizeof chain_cases[0]);
}

static void load_fsbl(const char *name, struct stm32_image *img)
{
	char rel[96];
	snprintf(rel, sizeof rel, "vectors/st-signed/out/%s.stm32", name);
	size_t len;
	uint8_t *b = read_file(fixture(rel), &len);
	cr_assert(b, "%s", rel);
	struct err e = { 0 };
	cr_assert_eq(stm32_parse(b, len < STM32_MAX_HEADER ? len : STM32_MAX_HEADER, len, img, &e), 0, "%s", e.msg);
	free(b);
}

static uint8_t *cert_file(const char *dir, const char *name, size_t *len)
{
	char rel[96];
	snprintf(rel, sizeof rel, "vectors/tbbr/%s/%s.crt", dir, name);
	uint8_t *b = read_file(fixture(rel), len);
	cr_assert(b, "%s", rel);
	uint8_t *big = realloc(b, *len + 1); /* room for T_TRAILING */
	cr_assert(big);
	return big;
}

static size_t idx(const struct tbbr_chain *ch, const char *name)
{
	for (size_t i = 0; i < ch->ncerts; i++)
		if (!strcmp(ch->certs[i]->name, name))
			return i;
	cr_assert_fail("no %s", name);
	return 0;
}

static void tamper(struct chain_case *c, struct tbbr_check *k, uint8_t **bufs, uint8_t otp[32])
{
	const struct tbbr_chain *ch = k->chain;
	size_t tk = idx(ch, "trusted_key");
	switch (c->t) {
	case T_BL33: k->hash[TBBR_IMG_BL33][0] ^= 1; break;
	case T_OTP: otp[31] ^= 1; break;
	case T_NV_RELEASE: k->has_nv = 1; k->nv[0] = 8; k->nv[1] = 7; break;
	case T_VERSION: bufs[tk][12] = 0x01; break;
	case T_TRAILING: bufs[tk][k->len[tk]++] = 0; break;
	case T_ALG2: /* the last byte of the outer algorithm: after 30 82 LL LL, the TBS (30 82 LL LL ...) */
		bufs[tk][4 + 4 + (size_t)(bufs[tk][6] << 8 | bufs[tk][7]) + 11] ^= 0x01;
		break;
	case T_MISSING: k->der[idx(ch, "soc_fw_content")] = NULL; break;
	case T_NO_BL33: k->have_image &= ~(1u << TBBR_IMG_BL33); break;
	case T_SWAP: {
		size_t a = idx(ch, "tos_fw_content"), b = idx(ch, "nt_fw_content");
		const uint8_t *d = k->der[a];
		size_t l = k->len[a];
		k->der[a] = k->der[b], k->len[a] = k->len[b], k->der[b] = d, k->len[b] = l;
		break;
	}
	case T_NV_MIXED: {
		size_t n = idx(ch, "nt_fw_content");
		free(bufs[n]);
		bufs[n] = cert_file("mp13", "nt_fw_content", &k->len[n]);
		k->der[n] = bufs[n];
		break;
	}
	default: break;
	}
}

ParameterizedTest(struct chain_case *c, tbbr_chain, holds_or_names_what_breaks_it)
{
	struct tbbr_check k;
	struct tbbr_values v;
	struct stm32_image fsbl;
	uint8_t *bufs[TBBR_MAX_CERTS] = { 0 }, otp[32];
	memset(&k, 0, sizeof k);
	k.chain = tbbr_chain_find(c->soc);
	tbbr_vec_values(fixture("vectors/tbbr"), 0, &v);
	memcpy(k.hash, v.hash, sizeof k.hash);
	k.have_image = v.have_image;
	for (size_t i = 0; i < k.chain->ncerts; i++) {
		bufs[i] = cert_file(c->dir, k.chain->certs[i]->name, &k.len[i]);
		k.der[i] = bufs[i];
	}
	load_fsbl(c->fsbl, &fsbl);
	stm32_table_hash(&fsbl, otp);
	k.fsbl = &fsbl;
	k.otp = otp;
	tamper(c, &k, bufs, otp);
	struct err e = { 0 };
	int rc = tbbr_chain_check(&k, &e);
	if (!c->want[0])
		cr_expect_eq(rc, 0, "%s with %s: %s", c->dir, c->fsbl, e.msg);
	else
		cr_expect(rc && strstr(e.msg, c->want), "%s tamper %d: rc %d: %s", c->dir, c->t, rc, e.msg);
	for (size_t i = 0; i < TBBR_MAX_CERTS; i++)
		free(bufs[i]);
}

/* The OTP rule is the SoC row's: MP15's OTP value is SHA-256(X || Y) of the
 * root key; MP13 and MP2x hold the FSBL key table's hash, which cannot be
 * checked without that FSBL (the MP15 rule used to be applied to them). */
struct otp_case {
	char soc[12];     /* a SoC row, or a chain name (its row's rule) */
	int flip;         /* a wrong OTP value */
	int code;
	char want[160];
};

ParameterizedTestParameters(tbbr_chain, regression_an_otp_value_without_an_fsbl_is_checked_by_the_socs_rule)
{
	static struct otp_case cases[] = {
		{ "stm32mp15", 0, 0, "" },
		{ "stm32mp15", 1, ERR_VERIFY, "SHA-256(X || Y) of the root key is not the OTP value (the rule of stm32mp15)" },
		{ "stm32mp13", 0, ERR_USAGE, "the OTP value cannot be checked for stm32mp13 without the signed FSBL: it is "
					    "the hash of the FSBL header's key table; give the FSBL" },
		{ "stm32mp1", 0, ERR_USAGE, "cannot be checked for stm32mp1 without the signed FSBL: it is per SoC" },
	};
	return cr_make_param_array(struct otp_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct otp_case *c, tbbr_chain, regression_an_otp_value_without_an_fsbl_is_checked_by_the_socs_rule)
{
	struct tbbr_check k;
	struct tbbr_values v;
	uint8_t *bufs[TBBR_MAX_CERTS] = { 0 }, otp[32];
	memset(&k, 0, sizeof k);
	const struct tbbr_soc *soc = tbbr_soc_find(c->soc);
	k.chain = tbbr_chain_find(c->soc);
	k.otp_rule = soc ? soc->otp : TBBR_OTP_UNSET;
	k.soc = soc ? soc->name : NULL;
	tbbr_vec_values(fixture("vectors/tbbr"), 3, &v);
	memcpy(k.hash, v.hash, sizeof k.hash);
	k.have_image = v.have_image;
	for (size_t i = 0; i < k.chain->ncerts; i++) {
		bufs[i] = cert_file("mp13", k.chain->certs[i]->name, &k.len[i]);
		k.der[i] = bufs[i];
	}
	sha256(v.key[TBBR_KEY_ROOT].xy, 64, otp);
	otp[0] ^= (uint8_t)c->flip;
	k.otp = otp;
	struct err e = { 0 };
	cr_expect_eq(tbbr_chain_check(&k, &e), c->code, "%s: %s", c->soc, e.msg);
	cr_expect(strstr(e.msg, c->want), "%s: %s", c->soc, e.msg);
	for (size_t i = 0; i < TBBR_MAX_CERTS; i++)
		free(bufs[i]);
}

/* Each refusal BL2's parser or the chain check makes, named: one field of a
 * genuine MP25 chain changed (and the certificate signed again when the
 * check comes after its signature). */
enum mutation { M_EXT_NOT_LAST, M_NOT_ECDSA_SHA256, M_NV_NOT_INTEGER, M_NOT_DIGESTINFO, M_NOT_RELEASE_ROOT,
		M_ROOT_DIFFERS };

struct refusal {
	enum mutation m;
	int code;
	char want[160];
};

ParameterizedTestParameters(tbbr_chain, refuses_by_name)
{
	static struct refusal cases[] = {
		{ M_EXT_NOT_LAST, ERR_INPUT,
		  "certificate stm32mp_cfg_cert: the extensions are missing or not the last field of the TBS" },
		{ M_NOT_ECDSA_SHA256, ERR_VERIFY, "certificate stm32mp_cfg_cert: signature algorithm is not ecdsa-with-SHA256" },
		{ M_NV_NOT_INTEGER, ERR_INPUT,
		  "certificate stm32mp_cfg_cert: trusted NV counter (1.3.6.1.4.1.4128.2100.1) is not an INTEGER" },
		{ M_NOT_DIGESTINFO, ERR_INPUT,
		  "certificate stm32mp_cfg_cert: hw-config hash (1.3.6.1.4.1.4128.2100.203) is not a SHA-256 DigestInfo" },
		{ M_NOT_RELEASE_ROOT, ERR_VERIFY, ") is not the release's root key" },
		{ M_ROOT_DIFFERS, ERR_VERIFY, "certificate trusted_key: its root key is not stm32mp_cfg_cert's" },
	};
	return cr_make_param_array(struct refusal, cases, sizeof cases / sizeof cases[0]);
}

/* Certificate i becomes tbs signed with the vectors' key NAME. */
static void resign(struct tbbr_check *k, uint8_t **bufs, size_t i, const uint8_t *tbs, size_t tbs_len, const char *name)
{
	char rel[64];
	snprintf(rel, sizeof rel, "vectors/tbbr/keys/%s.pem", name);
	FILE *f = fopen(fixture(rel), "r");
	cr_assert(f, "%s", rel);
	EVP_PKEY *pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert(pk);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[160], *out;
	size_t slen = sizeof sig, len;
	cr_assert(md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
		  EVP_DigestSign(md, sig, &slen, tbs, tbs_len) == 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	struct err e = { 0 };
	cr_assert_eq(tbbr_cert_wrap(tbs, tbs_len, sig, slen, &out, &len, &e), 0, "%s", e.msg);
	free(bufs[i]);
	bufs[i] = out;
	k->der[i] = out;
	k->len[i] = len;
}

static void parse(const struct tbbr_check *k, size_t i, struct tbbr_x509 *x)
{
	struct err e = { 0 };
	cr_assert_eq(tbbr_x509_parse(k->der[i], k->len[i], x, &e), 0, "%s", e.msg);
}

/* Certificate i's TBS with byte off (from the TBS start) xor-ed, signed again by name. */
static void flip_and_resign(struct tbbr_check *k, uint8_t **bufs, size_t i, size_t off, uint8_t with, const char *name)
{
	struct tbbr_x509 x;
	parse(k, i, &x);
	uint8_t *tbs = malloc(x.tbs_len);
	cr_assert(tbs && off < x.tbs_len);
	memcpy(tbs, x.tbs, x.tbs_len);
	tbs[off] ^= with;
	resign(k, bufs, i, tbs, x.tbs_len, name);
	free(tbs);
}

static void ext_not_last(struct tbbr_check *k, uint8_t **bufs)
{
	struct tbbr_x509 x;
	parse(k, 0, &x);
	cr_assert(x.tbs[1] == 0x82);
	uint8_t *tbs = malloc(x.tbs_len + 2), *out;
	size_t len, body = (size_t)(x.tbs[2] << 8 | x.tbs[3]) + 2;
	memcpy(tbs, x.tbs, x.tbs_len);
	tbs[2] = (uint8_t)(body >> 8), tbs[3] = (uint8_t)body;
	tbs[x.tbs_len] = 0x05, tbs[x.tbs_len + 1] = 0x00; /* a NULL after the extensions */
	struct err e = { 0 };
	cr_assert_eq(tbbr_cert_wrap(tbs, x.tbs_len + 2, x.sig, x.sig_len, &out, &len, &e), 0, "%s", e.msg);
	free(tbs);
	free(bufs[0]);
	bufs[0] = out, k->der[0] = out, k->len[0] = len;
}

static void mutate(enum mutation m, struct tbbr_check *k, uint8_t **bufs, struct pubkey *other)
{
	struct tbbr_x509 x, y;
	const struct tbbr_x509_ext *v;
	size_t tk = idx(k->chain, "trusted_key"), tos = idx(k->chain, "tos_fw_key");
	cr_assert_eq(idx(k->chain, "stm32mp_cfg_cert"), 0);
	parse(k, 0, &x);
	struct err e = { 0 };
	switch (m) {
	case M_EXT_NOT_LAST: ext_not_last(k, bufs); break;
	case M_NOT_ECDSA_SHA256: /* ecdsa-with-SHA224 in both algorithm fields */
		bufs[0][(size_t)(x.alg - bufs[0]) + 11] ^= 3;
		bufs[0][(size_t)(x.tbs - bufs[0]) + x.tbs_len + 11] ^= 3;
		break;
	case M_NV_NOT_INTEGER: /* INTEGER 7 becomes OCTET STRING 07 */
		v = tbbr_x509_ext_find(&x, "1.3.6.1.4.1.4128.2100.1");
		cr_assert(v && v->val[0] == 0x02);
		flip_and_resign(k, bufs, 0, (size_t)(v->val - x.tbs), 0x02 ^ 0x04, "rot");
		break;
	case M_NOT_DIGESTINFO: /* sha256 (2.16.840.1.101.3.4.2.1) becomes sha384 (.2.2) */
		v = tbbr_x509_ext_find(&x, "1.3.6.1.4.1.4128.2100.203");
		cr_assert(v && v->val[13] == 0x02 && v->val[14] == 0x01);
		flip_and_resign(k, bufs, 0, (size_t)(v->val - x.tbs) + 14, 0x01 ^ 0x02, "rot");
		break;
	case M_NOT_RELEASE_ROOT:
		cr_assert_eq(pubkey_load_file(fixture("vectors/tbbr/keys/tw.pub.pem"), other, &e), 0, "%s", e.msg);
		k->root_key = other;
		break;
	case M_ROOT_DIFFERS: /* trusted_key's subject key becomes the trusted-world key */
		parse(k, tk, &x);
		parse(k, tos, &y);
		cr_assert_eq(x.spki_len, y.spki_len);
		memcpy(bufs[tk] + (x.spki - bufs[tk]), y.spki, y.spki_len);
		break;
	}
}

ParameterizedTest(struct refusal *c, tbbr_chain, refuses_by_name)
{
	struct tbbr_check k;
	struct tbbr_values v;
	struct stm32_image fsbl;
	struct pubkey other;
	uint8_t *bufs[TBBR_MAX_CERTS] = { 0 }, otp[32];
	memset(&k, 0, sizeof k);
	k.chain = tbbr_chain_find("stm32mp25");
	tbbr_vec_values(fixture("vectors/tbbr"), 0, &v);
	memcpy(k.hash, v.hash, sizeof k.hash);
	k.have_image = v.have_image;
	for (size_t i = 0; i < k.chain->ncerts; i++) {
		bufs[i] = cert_file("mp25", k.chain->certs[i]->name, &k.len[i]);
		k.der[i] = bufs[i];
	}
	load_fsbl("v22_p256", &fsbl);
	stm32_table_hash(&fsbl, otp);
	k.fsbl = &fsbl;
	k.otp = otp;
	struct err e = { 0 };
	cr_assert_eq(tbbr_chain_check(&k, &e), 0, "the genuine chain holds: %s", e.msg);
	mutate(c->m, &k, bufs, &other);
	cr_expect_eq(tbbr_chain_check(&k, &e), c->code, "mutation %d: %s", c->m, e.msg);
	cr_expect(strstr(e.msg, c->want), "mutation %d: %s", c->m, e.msg);
	for (size_t i = 0; i < TBBR_MAX_CERTS; i++)
		free(bufs[i]);
}
