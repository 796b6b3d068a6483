/* Why does the ROM reject this image? Try the known wrong constructions of
 * the signature, the key table and the OTP value, and report the one the
 * image matches, with what to change. */
#ifndef ASSEMBLE_EXPLAIN_H
#define ASSEMBLE_EXPLAIN_H

#include <stdio.h>

#include "image/image.h"

#define EXPLAIN_MAX 16

struct explain_try {
	const char *name;   /* short id, e.g. "contiguous-range" */
	char what[160];     /* what was hashed */
	int matched;
};

struct explanation {
	size_t n;
	struct explain_try tries[EXPLAIN_MAX];
	int matched;        /* index of the first match, -1 when none */
	char advice[640];
	char key_advice[640]; /* about table entries / OTP, when relevant */
};

/* hdr: the header bytes; digest: of the ROM's signed segments, as the caller
 * computed it. */
void explain_signature(int fd, const struct stm32_image *img, const uint8_t *hdr,
		       const uint8_t *digest, struct explanation *ex);
/* Table entry or OTP value made the wrong way, or the OTP of another key set. */
void explain_keys(const struct stm32_image *img, const uint8_t *otp, struct explanation *ex);
void explain_print(FILE *out, const struct explanation *ex);

#endif
