#include "hex.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	size_t n = strlen(s);
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

int hex_decode_exact(const char *s, uint8_t *out, size_t want)
{
	size_t got;
	if (hex_decode(s, out, want, &got) || got != want)
		return -1;
	return 0;
}

void b64_encode(const uint8_t *in, size_t len, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int b64_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s);
	if (n == 0) {
		*len = 0;
		return 0;
	}
	if (n % 4 || n > 4 * ((max + 2) / 3) + 4)
		return -1;
	size_t pad = 0;
	if (s[n - 1] == '=')
		pad++;
	if (s[n - 2] == '=')
		pad++;
	size_t raw = n / 4 * 3;
	if (raw - pad > max)
		return -1;
	unsigned char *tmp = malloc(raw + 1);
	if (!tmp)
		return -1;
	int ok = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n) == (int)raw;
	if (ok) {
		memcpy(out, tmp, raw - pad);
		*len = raw - pad;
	}
	free(tmp);
	return ok ? 0 : -1;
}
