/* libFuzzer: the STM32 header parser and everything that reads a parsed header. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "assemble/explain.h"
#include "image/digest.h"
#include "image/dump.h"
#include "image/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stm32_image img;
	struct err e;
	size_t hdr = size < STM32_MAX_HEADER ? size : STM32_MAX_HEADER;
	if (stm32_parse(data, hdr, size, &img, &e))
		return 0;
	struct image_sums sums = { .checksum = checksum_update(0, data + img.header_size, img.image_length) };
	struct rom_verdict v;
	uint8_t otp[32] = { 0 };
	stm32_rom_verify(&img, &sums, otp, &v);
	struct explanation ex = { .matched = -1 };
	explain_keys(&img, otp, &ex);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		stm32_dump(null, "fuzz", &img, &sums);
		stm32_dump_verdict(null, &v);
		fclose(null);
	}
	return 0;
}
