/* A growable byte buffer with a hard maximum size. Once it overflows it stays
 * failed; the owner checks buf_ok() once at the end. */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len, cap, max;
	int failed;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_str(struct buf *b, const char *s);
void buf_ch(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminated contents ("" when empty or failed). */
const char *buf_cstr(struct buf *b);
int buf_ok(const struct buf *b);

#endif
