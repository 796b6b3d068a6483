/* Streaming over an image file: the digest of the hashed range and the
 * payload checksum, in one pass with a fixed buffer. */
#ifndef IMAGE_DIGEST_H
#define IMAGE_DIGEST_H

#include <stdint.h>

#include <openssl/evp.h>

#include "common/oem_secret.h"
#include "image.h"

#define STREAM_CHUNK (1u << 20)

struct image_sums {
	uint8_t digest[ECC_DIGEST_MAX]; /* of the signed segments */
	uint32_t digest_len;            /* 32 (SHA-256) or 48 (SHA-384) */
	uint32_t checksum;              /* sum of payload bytes */
	uint64_t trailing;              /* bytes in the file past the image */
	/* FSBL decryption (stm32_file_decrypt), for the ROM's decryption check */
	int decrypted;                  /* 1: the payload was decrypted */
	uint8_t plain_hash16[16];       /* SHA-256 of the decrypted payload, first 16 bytes */
};

/* hdr holds the header bytes (img->header_size of them). The digest is the
 * embedded key's (stm32_md) over the row's signed segments. */
int stm32_file_sums(int fd, const struct stm32_image *img, const uint8_t *hdr,
		    struct image_sums *out, struct err *e);

/* Decrypt the payload of an encrypted image (img->has_decrypt) in memory,
 * streaming, with key (derived from the OEM secret and img->dec_dc): sets
 * out->decrypted and out->plain_hash16, which the ROM compares with the
 * extension's hash16 (stm32_rom_verify). A wrong key is not an error here;
 * a length that is not a multiple of 16 is (ERR_INPUT). */
int stm32_file_decrypt(int fd, const struct stm32_image *img, const struct oem_key *key,
		       struct image_sums *out, struct err *e);

/* A digest (md) over the concatenation of segments of a file, the bytes
 * below hdr_len taken from hdr instead (hdr may be NULL with hdr_len 0); sum,
 * when given, adds up every byte read from the file. out holds
 * EVP_MD_get_size(md) bytes. */
int segs_digest(int fd, const uint8_t *hdr, uint64_t hdr_len, const EVP_MD *md,
		const struct seg *segs, size_t n, uint32_t *sum, uint8_t *out, struct err *e);
/* SHA-256 of a byte range of a file [off, off+len). */
int file_range_sha256(int fd, uint64_t off, uint64_t len, uint8_t out[32], struct err *e);

/* Sum of bytes as u8 mod 2^32 (the image checksum). */
uint32_t checksum_update(uint32_t sum, const uint8_t *p, size_t n);

/* Open an image file, read and parse its header. */
struct image_file {
	int fd;
	uint64_t size;
	uint8_t hdr[STM32_MAX_HEADER];
	size_t hdr_len;
	struct stm32_image img;
};
int image_file_open(const char *path, struct image_file *f, struct err *e);
void image_file_close(struct image_file *f);

#endif
