#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/ecdsa.h"
#include "common/hex.h"
#include "manifest/sigdoc.h"

static EVP_PKEY *gen(struct pubkey *pub)
{
	EVP_PKEY *pk = EVP_EC_gen("prime256v1");
	cr_assert_not_null(pk);
	cr_assert_eq(pubkey_from_evp(pk, pub, NULL), 0);
	return pk;
}

static size_t sign_der(EVP_PKEY *pk, const uint8_t d[32], uint8_t *der)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t len = ECC_DER_SIG_MAX;
	cr_assert(EVP_PKEY_sign_init(c) > 0 && EVP_PKEY_sign(c, der, &len, d, 32) > 0);
	EVP_PKEY_CTX_free(c);
	return len;
}

Test(ecdsa, ten_thousand_signatures_with_forced_short_r_or_s_all_verify_after_conversion,
     .timeout = 120)
{
	struct pubkey pub;
	EVP_PKEY *pk = gen(&pub);
	int short_seen = 0;
	for (int i = 0; i < 10000; i++) {
		uint8_t d[32], der[ECC_DER_SIG_MAX], raw[ECC_RAW_SIG_MAX];
		RAND_bytes(d, 32);
		size_t len = sign_der(pk, d, der);
		cr_assert_eq(sig_der_to_raw(der, len, ECC_P256, raw, NULL), 0, "signature %d", i);
		/* every 50th: sign again until r or s needs left-padding */
		while (i % 50 == 0 && raw[0] != 0 && raw[32] != 0) {
			len = sign_der(pk, d, der);
			cr_assert_eq(sig_der_to_raw(der, len, ECC_P256, raw, NULL), 0, "signature %d", i);
		}
		if (raw[0] == 0 || raw[32] == 0)
			short_seen++;
		cr_assert_eq(ecdsa_verify_digest(&pub, d, raw, NULL), 0, "signature %d (DER %zu bytes)", i, len);
	}
	cr_expect_geq(short_seen, 150, "only %d short r/s exercised", short_seen);
	EVP_PKEY_free(pk);
}

Test(ecdsa, raw_to_der_to_raw_round_trips_with_leading_zeros)
{
	uint8_t raw[64] = { 0 }, der[ECC_DER_SIG_MAX], back[64];
	size_t len;
	raw[31] = 5;                    /* r = 5 */
	raw[33] = 0x80, raw[63] = 1;    /* s needs a sign byte */
	cr_assert_eq(sig_raw_to_der(raw, ECC_P256, der, sizeof der, &len, NULL), 0);
	cr_assert_eq(sig_der_to_raw(der, len, ECC_P256, back, NULL), 0);
	cr_expect_eq(memcmp(raw, back, 64), 0);
}

struct bad_der {
	char name[48];
	char hex[200];
	char msg[64];
};

static struct bad_der bad_ders[] = {
	{ "trailing_bytes", "3006020101020101" "00", "trailing bytes" },
	{ "negative_r", "30060201ff020101", "not DER" },
	{ "zero_s", "3006020101020100", "zero or negative" },
	{ "s_equal_to_the_order", "3026020101022100ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
	  "not below the curve order" },
	{ "not_a_sequence", "0406020101020101", "not DER" },
	{ "truncated", "30060201010201", "not DER" },
	/* regression (fuzz_der): OpenSSL accepts a long-form length; DER does not */
	{ "long_form_sequence_length",
	  "308146022100" "9216f8e7549d72000000000000015c5b5343c13172923c0626003e120012e9cf"
	  "022100" "8ab03a93c9c8764b72a938e31bb352f00f4bae6946f02efbcf9c8a5e6c056b98", "not canonical DER" },
	{ "integer_with_a_needless_zero_byte", "300702020001020101", "not DER" },
};

ParameterizedTestParameters(der, is_rejected)
{
	return cr_make_param_array(struct bad_der, bad_ders, sizeof bad_ders / sizeof bad_ders[0]);
}

ParameterizedTest(struct bad_der *c, der, is_rejected)
{
	uint8_t der[128], raw[64];
	size_t len;
	cr_assert_eq(hex_decode(c->hex, der, sizeof der, &len), 0);
	struct err e = { 0 };
	cr_expect_neq(sig_der_to_raw(der, len, ECC_P256, raw, &e), 0, "%s accepted", c->name);
	cr_expect(strstr(e.msg, c->msg) != NULL, "%s: %s", c->name, e.msg);
}

Test(sig_parse_any, accepts_hex_and_base64_of_der_and_raw)
{
	struct pubkey pub;
	EVP_PKEY *pk = gen(&pub);
	uint8_t d[32] = { 1 }, der[ECC_DER_SIG_MAX], raw[64], got[64];
	size_t len = sign_der(pk, d, der);
	cr_assert_eq(sig_der_to_raw(der, len, ECC_P256, raw, NULL), 0);
	char hex[200], b64[200];
	hex_encode(der, len, hex);
	cr_expect_eq(sig_parse_any(hex, ECC_P256, got, NULL), 0);
	cr_expect_eq(memcmp(got, raw, 64), 0, "hex DER");
	b64_encode(der, len, b64);
	cr_expect_eq(sig_parse_any(b64, ECC_P256, got, NULL), 0);
	cr_expect_eq(memcmp(got, raw, 64), 0, "base64 DER");
	hex_encode(raw, 64, hex);
	cr_expect_eq(sig_parse_any(hex, ECC_P256, got, NULL), 0);
	cr_expect_eq(memcmp(got, raw, 64), 0, "hex raw");
	b64_encode(raw, 64, b64);
	cr_expect_eq(sig_parse_any(b64, ECC_P256, got, NULL), 0);
	cr_expect_eq(memcmp(got, raw, 64), 0, "base64 raw");
	EVP_PKEY_free(pk);
}
