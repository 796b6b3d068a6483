/* The growable buffer: a failed buffer cannot be read as if it were whole. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/buf.h"

Test(buf, appends_after_an_overflow_do_nothing_and_readers_get_null_and_zero)
{
	struct buf b;
	buf_init(&b, 16);
	cr_expect_eq(buf_str(&b, "0123456789"), 0);
	cr_expect_eq(buf_len(&b), 10);
	cr_expect_eq(buf_str(&b, "0123456789"), -1, "an append past the maximum reports it");
	cr_expect_eq(buf_ch(&b, 'x'), -1, "a failed buffer stays failed");
	cr_expect_eq(buf_printf(&b, "%d", 1), -1);
	cr_expect_null(buf_cstr(&b), "a failed buffer has no contents to read");
	cr_expect_eq(buf_len(&b), 0, "nor a length that could be sent with another pointer");
	cr_expect_not(buf_ok(&b));
	buf_reset(&b);
	cr_expect(buf_ok(&b));
	cr_expect_str_eq(buf_cstr(&b), "");
	buf_free(&b);
}

Test(buf, an_empty_buffer_reads_as_the_empty_string)
{
	struct buf b;
	buf_init(&b, 16);
	cr_expect_str_eq(buf_cstr(&b), "");
	cr_expect_eq(buf_len(&b), 0);
	cr_expect_eq(buf_printf(&b, "%s=%d", "k", 7), 0);
	cr_expect_str_eq(buf_cstr(&b), "k=7");
	buf_wipe_free(&b);
}
