/* Streaming over an image file: the digest of the hashed range and the
 * payload checksum, in one pass with a fixed buffer. */
#ifndef IMAGE_DIGEST_H
#define IMAGE_DIGEST_H

#include <stdint.h>

#include "image.h"

#define STREAM_CHUNK (1u << 20)

struct image_sums {
	uint8_t digest[32];     /* SHA-256 of the hashed range */
	uint32_t checksum;      /* sum of payload bytes */
	uint64_t trailing;      /* bytes in the file past the image */
};

/* hdr holds the header bytes (img->header_size of them). */
int stm32_file_sums(int fd, const struct stm32_image *img, const uint8_t *hdr,
		    struct image_sums *out, struct err *e);

/* SHA-256 over the concatenation of byte ranges [start, end) of a file. */
int file_ranges_sha256(int fd, const uint64_t (*ranges)[2], size_t n, uint8_t out[32],
		       struct err *e);
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
