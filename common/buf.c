#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->priv_max = max;
}

void buf_free(struct buf *b)
{
	free(b->priv_p);
	memset(b, 0, sizeof *b);
}

void buf_wipe_free(struct buf *b)
{
	if (b->priv_p)
		OPENSSL_cleanse(b->priv_p, b->priv_cap);
	buf_free(b);
}

void buf_reset(struct buf *b)
{
	b->priv_len = 0;
	b->priv_failed = 0;
	if (b->priv_p)
		b->priv_p[0] = '\0';
}

int buf_fail(struct buf *b)
{
	b->priv_failed = 1;
	if (b->priv_p)
		b->priv_p[0] = '\0';
	b->priv_len = 0;
	return -1;
}

static int grow(struct buf *b, size_t need)
{
	if (b->priv_failed)
		return -1;
	if (need < b->priv_len || need + 1 > b->priv_max)
		return buf_fail(b);
	if (need + 1 <= b->priv_cap)
		return 0;
	size_t cap = b->priv_cap ? b->priv_cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if (cap > b->priv_max)
		cap = b->priv_max;
	char *p = realloc(b->priv_p, cap);
	if (!p)
		return buf_fail(b);
	b->priv_p = p;
	b->priv_cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (grow(b, b->priv_len + len))
		return -1;
	if (len)
		memcpy(b->priv_p + b->priv_len, data, len);
	b->priv_len += len;
	b->priv_p[b->priv_len] = '\0';
	return 0;
}

int buf_str(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_ch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return buf_fail(b);
	if (grow(b, b->priv_len + (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->priv_p + b->priv_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->priv_len += (size_t)n;
	return 0;
}

const char *buf_cstr(const struct buf *b)
{
	if (b->priv_failed)
		return NULL;
	return b->priv_p ? b->priv_p : "";
}

size_t buf_len(const struct buf *b)
{
	return b->priv_failed ? 0 : b->priv_len;
}

int buf_ok(const struct buf *b)
{
	return !b->priv_failed;
}
