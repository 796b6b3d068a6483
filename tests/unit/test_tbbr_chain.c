/* tbbr_chain_check on cert_create's certificates (tests/vectors/tbbr) with
 * ST-signed FSBL headers (tests/vectors/st-signed: k0 = the vectors' root key):
 * the chain holds, and each break is named by certificate and field. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tbbr/chain.h"
#include "tests/helpers/tbbr_vec.h"
#include "tests/helpers/testutil.h"

enum tamper { T_NONE, T_OTHER_SLOT, T_BL33, T_SWAP, T_OTP, T_NV_RELEASE, T_NV_MIXED, T_VERSION, T_TRAILING,
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

Test(tbbr_chain, an_otp_value_alone_is_the_mp15_rule_sha256_of_x_and_y)
{
	struct tbbr_check k;
	struct tbbr_values v;
	uint8_t *bufs[TBBR_MAX_CERTS] = { 0 }, otp[32];
	memset(&k, 0, sizeof k);
	k.chain = tbbr_chain_find("stm32mp15");
	tbbr_vec_values(fixture("vectors/tbbr"), 3, &v);
	memcpy(k.hash, v.hash, sizeof k.hash);
	k.have_image = v.have_image;
	for (size_t i = 0; i < k.chain->ncerts; i++) {
		bufs[i] = cert_file("mp13", k.chain->certs[i]->name, &k.len[i]);
		k.der[i] = bufs[i];
	}
	sha256(v.key[TBBR_KEY_ROOT].xy, 64, otp);
	k.otp = otp;
	struct err e = { 0 };
	cr_expect_eq(tbbr_chain_check(&k, &e), 0, "%s", e.msg);
	otp[0] ^= 1;
	cr_expect_eq(tbbr_chain_check(&k, &e), ERR_VERIFY);
	cr_expect(strstr(e.msg, "SHA-256(X || Y) of the root key is not the OTP value"), "%s", e.msg);
	for (size_t i = 0; i < TBBR_MAX_CERTS; i++)
		free(bufs[i]);
}
