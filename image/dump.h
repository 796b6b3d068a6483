#ifndef IMAGE_DUMP_H
#define IMAGE_DUMP_H

#include <stdio.h>

#include "digest.h"
#include "image.h"
#include "verify.h"

/* Human-readable dump of every field, to a stream the caller chooses. */
void stm32_dump(FILE *out, const char *name, const struct stm32_image *img,
		const struct image_sums *sums);
void stm32_dump_verdict(FILE *out, const struct rom_verdict *v);

#endif
