#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/fileio.h"

/* Sum of bytes, eight at a time: bytes are spread into four 16-bit lanes of a
 * 64-bit word (SWAR) and the lanes are folded before they can overflow. */
uint32_t checksum_update(uint32_t sum, const uint8_t *p, size_t n)
{
	const uint64_t lo = 0x00FF00FF00FF00FFull;
	uint64_t total = 0;
	size_t i = 0;
	while (n - i >= 8) {
		uint64_t lanes = 0;
		/* 2 x 128 words add at most 256 x 255 per lane: below 2^16 */
		size_t words = (n - i) / 8 < 128 ? (n - i) / 8 : 128;
		for (size_t w = 0; w < words; w++, i += 8) {
			uint64_t x;
			memcpy(&x, p + i, 8);
			lanes += (x & lo) + ((x >> 8) & lo);
		}
		lanes = (lanes & 0x0000FFFF0000FFFFull) + ((lanes >> 16) & 0x0000FFFF0000FFFFull);
		total += (lanes & 0xFFFFFFFFull) + (lanes >> 32);
	}
	for (; i < n; i++)
		total += p[i];
	return sum + (uint32_t)total;
}

struct hash_sum {
	EVP_MD_CTX *md;   /* or NULL */
	uint32_t *sum;    /* or NULL */
};

static int hash_sum_chunk(const uint8_t *p, size_t n, void *arg, struct err *e)
{
	struct hash_sum *hs = arg;
	if (hs->md && !EVP_DigestUpdate(hs->md, p, n))
		return err_set(e, ERR_INTERNAL, "SHA-256 failed");
	if (hs->sum)
		*hs->sum = checksum_update(*hs->sum, p, n);
	return 0;
}

/* Stream [off, off+len) of fd through a SHA-256 context and an optional sum. */
static int stream_range(int fd, uint64_t off, uint64_t len, EVP_MD_CTX *md,
			uint32_t *sum, struct err *e)
{
	uint8_t *buf = malloc(STREAM_CHUNK);
	if (!buf)
		return err_set(e, ERR_INTERNAL, "out of memory");
	struct hash_sum hs = { md, sum };
	int rc = fd_for_each_chunk(fd, off, len, buf, STREAM_CHUNK, hash_sum_chunk, &hs, e);
	free(buf);
	return rc;
}

int stm32_file_sums(int fd, const struct stm32_image *img, const uint8_t *hdr,
		    struct image_sums *out, struct err *e)
{
	uint64_t start, end;
	stm32_hashed_range(img, &start, &end);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return err_set(e, ERR_INTERNAL, "SHA-256 init failed");
	}
	/* header part of the range from the buffer, payload from the file */
	EVP_DigestUpdate(md, hdr + start, img->header_size - start);
	out->checksum = 0;
	int rc = stream_range(fd, img->header_size, img->image_length, md, &out->checksum, e);
	if (!rc && !EVP_DigestFinal_ex(md, out->digest, NULL))
		rc = err_set(e, ERR_INTERNAL, "SHA-256 failed");
	EVP_MD_CTX_free(md);
	out->trailing = img->file_size > end ? img->file_size - end : 0;
	return rc;
}

int file_ranges_sha256(int fd, const uint64_t (*ranges)[2], size_t n, uint8_t out[32],
		       struct err *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return err_set(e, ERR_INTERNAL, "SHA-256 init failed");
	}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = stream_range(fd, ranges[i][0], ranges[i][1] - ranges[i][0], md, NULL, e);
	if (!rc && !EVP_DigestFinal_ex(md, out, NULL))
		rc = err_set(e, ERR_INTERNAL, "SHA-256 failed");
	EVP_MD_CTX_free(md);
	return rc;
}

int file_range_sha256(int fd, uint64_t off, uint64_t len, uint8_t out[32], struct err *e)
{
	const uint64_t r[1][2] = { { off, off + len } };
	return file_ranges_sha256(fd, r, 1, out, e);
}

int image_file_open(const char *path, struct image_file *f, struct err *e)
{
	memset(f, 0, sizeof *f);
	int rc = file_open_regular(path, &f->fd, &f->size, e);
	if (rc)
		return rc;
	size_t want = f->size < STM32_MAX_HEADER ? (size_t)f->size : STM32_MAX_HEADER;
	long n = fd_read_full(f->fd, f->hdr, want);
	if (n != (long)want) {
		image_file_close(f);
		return err_set(e, ERR_IO, "%s: read failed", path);
	}
	f->hdr_len = want;
	rc = stm32_parse(f->hdr, f->hdr_len, f->size, &f->img, e);
	if (rc) {
		err_prefix(e, "%s", path);
		image_file_close(f);
	}
	return rc;
}

void image_file_close(struct image_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
