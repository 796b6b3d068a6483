/* -dump: the header with the field names of ST's signing tool. */
#include <stdio.h>

#include "common/hex.h"
#include "compat.h"
#include "image/digest.h"
#include "image/verify.h"

static void key_lines(const struct stm32_image *img)
{
	char hex[2 * ECC_XY_MAX + 1];
	hex_encode(img->key.xy, ecc_xy_len(img->key.algo), hex);
	printf("ECDSA algorithm                : %u\n", img->key.algo);
	printf("ECDSA public key               : %s\n", hex);
	if (img->layout->otp == OTP_KEY_HASH)
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
	char sig[2 * ECC_RAW_SIG_MAX + 1];
	hex_encode(img->signature, stm32_sig_len(img), sig);
	printf("Magic number                   : 0x53544D32 (STM2)\n");
	printf("Image signature                : %s\n", sig);
	printf("Image checksum                 : 0x%08X\n", img->checksum);
	printf("Header version                 : %s\n", img->layout->name);
	printf("Image length                   : 0x%08X\n", img->image_length);
	printf("Image entry point              : 0x%08X\n", img->entry);
	printf("Load address                   : 0x%08X\n", img->load);
	printf("Image version                  : 0x%08X\n", img->image_version);
	printf("%-31s: 0x%08X\n", img->layout->flags_name, img->flags);
	if (img->layout->off_ext_len)
		printf("Extension headers length       : 0x%08X\n", img->ext_len);
	printf("Binary type                    : 0x%02X\n", img->binary_type);
	if (img->layout->off_nonauth_len) {
		printf("Non-authenticated payload length: 0x%08X\n", img->nonauth_len);
		printf("Non-authenticated payload hash : 0x%08X\n", img->nonauth_hash);
	}
	if (img->has_auth)
		key_lines(img);
	image_file_close(&f);
	return 0;
}
