#include "num.h"

#include <errno.h>
#include <stdlib.h>

int num_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !*s)
		return -1;
	int base = 10;
	const char *digits = s;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
	}
	/* strtoull accepts signs and spaces: insist on a digit first. */
	char c = digits[0];
	int ok = (c >= '0' && c <= '9') ||
		 (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
	if (!ok)
		return -1;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(digits, &end, base);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

int num_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	if (num_parse_u64(s, UINT32_MAX, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}
