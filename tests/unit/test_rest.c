/* The pieces of the token-header stores that need no server: which answers
 * are retried, Retry-After in both forms, base64url. */
#include <criterion/criterion.h>
#include <string.h>

#include "sign/http.h"
#include "sign/crc32c.h"
#include "sign/ratelimit.h"
#include "sign/rest.h"

Test(rest, throttling_and_server_faults_are_retried_and_nothing_else)
{
	static const long retry[] = { 408, 429, 500, 502, 503, 504 };
	static const long fatal[] = { 200, 400, 401, 403, 404, 409, 412, 501, 505 };
	for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++)
		cr_expect(rest_retryable(retry[i]), "%ld", retry[i]);
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		cr_expect(!rest_retryable(fatal[i]), "%ld", fatal[i]);
}

Test(rest, retry_after_is_read_as_seconds_or_as_an_http_date)
{
	time_t now = 1767225600; /* Thu, 01 Jan 2026 00:00:00 GMT */
	cr_expect_eq(http_retry_after("7", now), 7);
	cr_expect_eq(http_retry_after("0", now), 0);
	cr_expect_eq(http_retry_after("-3", now), 0);
	cr_expect_eq(http_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now), 30);
	cr_expect_eq(http_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now), 0, "a date in the past");
	cr_expect_eq(http_retry_after("soon", now), 0);
}

/* Regression: STS retried after fixed waits (0.4 s, 0.8 s); every retry now
 * waits a random share (full jitter) of the doubling, capped wait. */
Test(rest, regression_backoff_is_jittered_within_the_doubling_capped_wait)
{
	int differ = 0;
	double first = backoff_jitter(200, 2000, 1);
	for (int i = 0; i < 200; i++) {
		double w1 = backoff_jitter(200, 2000, 1), w5 = backoff_jitter(200, 2000, 5);
		cr_expect(w1 >= 0 && w1 <= 0.4, "attempt 1 waits at most 0.4 s, not %f", w1);
		cr_expect(w5 >= 0 && w5 <= 2.0, "attempt 5 waits at most the 2 s cap, not %f", w5);
		differ += w1 != first;
	}
	cr_expect_gt(differ, 150, "the waits are random: %d of 200 differ from the first", differ);
}

Test(rest, base64url_round_trips_without_padding_and_refuses_plain_base64)
{
	uint8_t in[48], out[64];
	char text[80];
	size_t len;
	for (size_t n = 0; n <= sizeof in; n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)(0xfb + i * 7);
		b64url_encode(in, n, text);
		cr_expect_null(strpbrk(text, "+/="), "%s", text);
		cr_assert_eq(b64url_decode(text, out, sizeof out, &len), 0, "%zu: %s", n, text);
		cr_expect_eq(len, n);
		cr_expect_arr_eq(out, in, n);
	}
	cr_expect_neq(b64url_decode("ab+/", out, sizeof out, &len), 0);
	cr_expect_neq(b64url_decode("abc=", out, sizeof out, &len), 0);
	cr_expect_neq(b64url_decode("a", out, sizeof out, &len), 0);
}

Test(rest, crc32c_gives_the_castagnoli_check_value_and_the_empty_value)
{
	cr_expect_eq(crc32c("123456789", 9), 0xE3069283u);
	cr_expect_eq(crc32c("", 0), 0u);
	/* RFC 3720 B.4: 32 bytes of zeros, of 0xFF */
	uint8_t z[32] = { 0 }, f[32];
	memset(f, 0xFF, sizeof f);
	cr_expect_eq(crc32c(z, sizeof z), 0x8A9136AAu);
	cr_expect_eq(crc32c(f, sizeof f), 0x62A8AB43u);
}
