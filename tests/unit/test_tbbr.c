/* The TBSCertificates we build equal cert_create's (tests/vectors/tbbr: TF-A
 * v2.8.0 PLAT=stm32mp1 and ST's PLAT=stm32mp2) byte for byte once serial and
 * validity are cert_create's, and cert_create's signatures verify over ours. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "tbbr/cert.h"
#include "tests/helpers/tbbr_vec.h"
#include "tests/helpers/testutil.h"

struct vec_case {
	char dir[8], chain[12], cert[24]; /* arrays: Criterion copies parameters into another process */
};

/* Every certificate of the vectors folder. */
static struct vec_case vec_cases[] = {
	{ "mp13", "stm32mp13", "stm32mp_cfg_cert" },
	{ "mp13", "stm32mp13", "trusted_key" },
	{ "mp13", "stm32mp13", "tos_fw_key" },
	{ "mp13", "stm32mp13", "tos_fw_content" },
	{ "mp13", "stm32mp13", "nt_fw_key" },
	{ "mp13", "stm32mp13", "nt_fw_content" },
	{ "mp25", "stm32mp25", "stm32mp_cfg_cert" },
	{ "mp25", "stm32mp25", "trusted_key" },
	{ "mp25", "stm32mp25", "soc_fw_key" },
	{ "mp25", "stm32mp25", "soc_fw_content" },
	{ "mp25", "stm32mp25", "tos_fw_key" },
	{ "mp25", "stm32mp25", "tos_fw_content" },
	{ "mp25", "stm32mp25", "nt_fw_key" },
	{ "mp25", "stm32mp25", "nt_fw_content" },
};

ParameterizedTestParameters(tbbr, tbs_equals_cert_create_and_its_signature_verifies_over_it)
{
	return cr_make_param_array(struct vec_case, vec_cases, sizeof vec_cases / sizeof vec_cases[0]);
}

ParameterizedTest(struct vec_case *c, tbbr, tbs_equals_cert_create_and_its_signature_verifies_over_it)
{
	const struct tbbr_chain *ch = tbbr_chain_find(c->chain);
	const struct tbbr_cert *ce = tbbr_chain_cert(ch, c->cert);
	cr_assert(ce);
	struct tbbr_values vals;
	tbbr_vec_values(fixture("vectors/tbbr"), c->chain[7] == '1' ? 3 : 7, &vals);
	char rel[96];
	snprintf(rel, sizeof rel, "vectors/tbbr/%s/%s.crt", c->dir, c->cert);
	struct tbbr_vec_cert vc;
	tbbr_vec_read_cert(fixture(rel), &vc);
	uint8_t *tbs;
	size_t len;
	struct err e = { 0 };
	cr_assert_eq(tbbr_tbs_build(ce, &vals, &vc.stamp, &tbs, &len, &e), 0, "%s", e.msg);
	cr_assert_eq(len, vc.tbs_len, "%s/%s: %zu bytes, cert_create %zu", c->dir, c->cert, len, vc.tbs_len);
	cr_assert_eq(memcmp(tbs, vc.tbs, len), 0, "%s/%s: TBS differs", c->dir, c->cert);
	uint8_t h[32], raw[ECC_RAW_SIG_MAX];
	sha256(tbs, len, h);
	cr_assert_eq(sig_der_to_raw(vc.sig, vc.sig_len, ECC_P256, raw, &e), 0, "%s", e.msg);
	cr_assert_eq(ecdsa_verify_digest(&vals.key[ce->signer], h, raw, &e), 0, "%s/%s: %s", c->dir,
		     c->cert, e.msg);
	uint8_t *whole;
	size_t wlen;
	cr_assert_eq(tbbr_cert_wrap(tbs, len, vc.sig, vc.sig_len, &whole, &wlen, &e), 0);
	cr_assert_eq(wlen, vc.der_len);
	cr_assert_eq(memcmp(whole, vc.der, wlen), 0, "%s/%s: certificate differs", c->dir, c->cert);
	free(whole);
	free(tbs);
	tbbr_vec_cert_free(&vc);
}

Test(tbbr, same_inputs_give_the_same_tbs_and_the_serial_follows_the_content)
{
	struct tbbr_values vals;
	tbbr_vec_values(fixture("vectors/tbbr"), 7, &vals);
	const struct tbbr_cert *ce = tbbr_chain_cert(tbbr_chain_find("stm32mp25"), "trusted_key");
	struct tbbr_stamp st;
	tbbr_stamp_default(&st, TBBR_DEFAULT_EPOCH);
	uint8_t *a, *b, *c;
	size_t la, lb, lc;
	struct err e = { 0 };
	cr_assert_eq(tbbr_tbs_build(ce, &vals, &st, &a, &la, &e), 0, "%s", e.msg);
	cr_assert_eq(tbbr_tbs_build(ce, &vals, &st, &b, &lb, &e), 0, "%s", e.msg);
	cr_assert(la == lb && !memcmp(a, b, la));
	vals.nv[TBBR_NV_TRUSTED] = 8;
	cr_assert_eq(tbbr_tbs_build(ce, &vals, &st, &c, &lc, &e), 0, "%s", e.msg);
	cr_assert(memcmp(a + 13, c + 13, 8), "the serial changes with the content");
	free(a), free(b), free(c);
}

Test(tbbr, a_missing_image_or_key_is_named)
{
	struct tbbr_values vals;
	tbbr_vec_values(fixture("vectors/tbbr"), 7, &vals);
	const struct tbbr_chain *ch = tbbr_chain_find("stm32mp25");
	struct tbbr_stamp st;
	tbbr_stamp_default(&st, TBBR_DEFAULT_EPOCH);
	uint8_t *d;
	size_t l;
	struct err e = { 0 };
	vals.have_image &= ~(1u << TBBR_IMG_DDR_FW);
	cr_assert_eq(tbbr_tbs_build(tbbr_chain_cert(ch, "stm32mp_cfg_cert"), &vals, &st, &d, &l, &e), ERR_INPUT);
	cr_assert(strstr(e.msg, "stm32mp_cfg_cert: no ddr-fw image"), "%s", e.msg);
	vals.have_key &= ~(1u << TBBR_KEY_SOC);
	cr_assert_eq(tbbr_tbs_build(tbbr_chain_cert(ch, "soc_fw_key"), &vals, &st, &d, &l, &e), ERR_INPUT);
	cr_assert(strstr(e.msg, "soc_fw_key: no soc key"), "%s", e.msg);
}
