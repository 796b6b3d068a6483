/* A growable byte buffer with a hard maximum size. Once an append fails (the
 * maximum, or memory) the buffer stays failed: later appends do nothing and
 * the readers give NULL and 0, so a failed buffer cannot be used as if it
 * were whole. Read it only through buf_cstr / buf_len / buf_ok. */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>

struct buf {
	/* private: use the functions below */
	char *priv_p;
	size_t priv_len, priv_cap, priv_max;
	int priv_failed;
};

void buf_init(struct buf *b, size_t max);
/* Free (after wiping, when the contents may be secret: buf_wipe_free). */
void buf_free(struct buf *b);
void buf_wipe_free(struct buf *b);
/* Empty and usable again (clears the failure too). */
void buf_reset(struct buf *b);
/* Appends return 0, or -1 when the buffer is (now) failed. */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_str(struct buf *b, const char *s);
int buf_ch(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Mark the buffer failed (a producer ran out of memory); returns -1. */
int buf_fail(struct buf *b);
/* NUL-terminated contents: "" when empty, NULL when failed. */
const char *buf_cstr(const struct buf *b);
/* Length of the contents; 0 when failed. */
size_t buf_len(const struct buf *b);
int buf_ok(const struct buf *b);

#endif
