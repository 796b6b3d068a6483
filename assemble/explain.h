/* Why does the ROM reject this signature? Try the known wrong constructions
 * and report the one the signature does verify over. */
#ifndef ASSEMBLE_EXPLAIN_H
#define ASSEMBLE_EXPLAIN_H

#include <stdio.h>

#include "image/image.h"

#define EXPLAIN_MAX 12

struct explain_try {
	const char *name;   /* short id, e.g. "hash-to-end-of-file" */
	char what[256];     /* what was hashed */
	int matched;
};

struct explanation {
	size_t n;
	struct explain_try tries[EXPLAIN_MAX];
	int matched;        /* index of the first match, -1 when none */
	char advice[512];
	char key_advice[512]; /* about table entries / OTP, when relevant */
};

/* digest: SHA-256 of the ROM's hashed range, as the caller computed it. */
void explain_signature(int fd, const struct stm32_image *img, const uint8_t digest[32],
		       struct explanation *ex);
/* Table entry or OTP built from SHA-256(X||Y) instead of SHA-256(algo||X||Y). */
void explain_keys(const struct stm32_image *img, const uint8_t *otp, struct explanation *ex);
void explain_print(FILE *out, const struct explanation *ex);

#endif
