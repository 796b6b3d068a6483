/* -dump: the header with the field names of ST's signing tool. */
#include <stdio.h>

#include "common/hex.h"
#include "compat.h"
#include "image/digest.h"
#include "image/verify.h"

static void key_lines(const struct stm32_image *img)
{
	char hex[129];
	hex_encode(img->key.xy, ECC_XY, hex);
	printf("ECDSA algorithm                : %u\n", img->key.algo);
	printf("ECDSA public key               : %s\n", hex);
	if (img->layout->id == HDR_V10)
		return;
	printf("Public key index               : %u\n", img->pk_idx);
	printf("Number of public keys          : %u\n", img->nb_pk);
	for (uint32_t i = 0; i < img->nb_pk; i++) {
		hex_encode(img->table[i], 32, hex);
		printf("Public key hash %u              : %s\n", i, hex);
	}
}

int compat_dump(const char *path)
{
	struct err e = { 0 };
	struct image_file f;
	if (image_file_open(path, &f, &e)) {
		fprintf(stderr, "stm32-sign-compat: %s\n", e.msg);
		return e.code;
	}
	const struct stm32_image *img = &f.img;
	char sig[129];
	hex_encode(img->signature, ECC_RAW_SIG, sig);
	printf("Magic number                   : 0x53544D32 (STM2)\n");
	printf("Image signature                : %s\n", sig);
	printf("Image checksum                 : 0x%08X\n", img->checksum);
	printf("Header version                 : %s\n", img->layout->name);
	printf("Image length                   : 0x%08X\n", img->image_length);
	printf("Image entry point              : 0x%08X\n", img->entry);
	printf("Load address                   : 0x%08X\n", img->load);
	printf("Image version                  : 0x%08X\n", img->image_version);
	printf("%-31s: 0x%08X\n", img->layout->id == HDR_V10 ? "Option flags" : "Extension flags", img->flags);
	if (img->layout->id != HDR_V10)
		printf("Extension headers length       : 0x%08X\n", img->ext_len);
	printf("Binary type                    : 0x%02X\n", img->binary_type);
	if (img->has_auth)
		key_lines(img);
	image_file_close(&f);
	return 0;
}
