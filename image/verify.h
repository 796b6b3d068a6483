/* Verification of a finished image, from its bytes alone, in the ROM's order. */
#ifndef IMAGE_VERIFY_H
#define IMAGE_VERIFY_H

#include "digest.h"
#include "image.h"

enum rom_check {
	CHECK_SIGNED,      /* authentication requested at all */
	CHECK_TABLE_HASH,  /* key table hash == OTP value */
	CHECK_KEY_ENTRY,   /* SHA-256(algo||X||Y) == table[pk_idx] */
	CHECK_SIGNATURE,   /* ECDSA over the digest of the hashed range */
	CHECK_DECRYPT,     /* FSBL decryption: SHA-256(plaintext)[0:16] == hash16 */
	CHECK_CHECKSUM,    /* payload checksum */
	CHECK_COUNT
};

struct rom_verdict {
	int ok;                       /* every check passed */
	enum rom_check first_failed;  /* when !ok */
	int checked[CHECK_COUNT];     /* 1 when the check ran */
	int passed[CHECK_COUNT];
	char msg[CHECK_COUNT][256];   /* what each check saw */
	int not_decrypted;            /* encrypted, and no key to check the decryption */
};

const char *rom_check_name(enum rom_check c);

/* The decryption check runs when sums->decrypted (stm32_file_decrypt). */
/* otp: the expected 32-byte OTP value, or NULL to skip that check. */
void stm32_rom_verify(const struct stm32_image *img, const struct image_sums *sums,
		      const uint8_t *otp, struct rom_verdict *v);

#endif
