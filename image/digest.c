#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/fileio.h"
#include "fsbl_crypt.h"

/* Sum of bytes, eight at a time: bytes are spread into four 16-bit lanes of a
 * 64-bit word (SWAR) and the lanes are folded before they can overflow.
 * make bench compares it with the plain byte loop in one run (bench/checksum.c):
 * it was faster there (1.2x to 5.6x, gcc 12 -O2 leaves the plain loop scalar
 * when the length is not known), so it stays. */
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

/* One segment: the part below hdr_len from the buffer, the rest streamed
 * from the file (and summed when sum is given: the rows' segments cover the
 * payload exactly once, a unit test holds that). */
static int digest_segment(int fd, const uint8_t *hdr, uint64_t hdr_len, const struct seg *s,
			  EVP_MD_CTX *md, uint32_t *sum, struct err *e)
{
	if (s->start < hdr_len &&
	    !EVP_DigestUpdate(md, hdr + s->start, (s->end < hdr_len ? s->end : hdr_len) - s->start))
		return err_set(e, ERR_INTERNAL, "digest failed");
	if (s->end <= hdr_len)
		return 0;
	uint64_t from = s->start > hdr_len ? s->start : hdr_len;
	return stream_range(fd, from, s->end - from, md, sum, e);
}

int segs_digest(int fd, const uint8_t *hdr, uint64_t hdr_len, const EVP_MD *md,
		const struct seg *segs, size_t n, uint32_t *sum, uint8_t *out, struct err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL)) {
		EVP_MD_CTX_free(ctx);
		return err_set(e, ERR_INTERNAL, "digest init failed");
	}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = digest_segment(fd, hdr, hdr_len, &segs[i], ctx, sum, e);
	if (!rc && !EVP_DigestFinal_ex(ctx, out, NULL))
		rc = err_set(e, ERR_INTERNAL, "digest failed");
	EVP_MD_CTX_free(ctx);
	return rc;
}

int stm32_file_sums(int fd, const struct stm32_image *img, const uint8_t *hdr,
		    struct image_sums *out, struct err *e)
{
	struct seg segs[STM32_MAX_SEGS];
	size_t n = stm32_signed_segments(img, segs);
	memset(out, 0, sizeof *out); /* not decrypted until stm32_file_decrypt */
	out->digest_len = stm32_digest_len(img);
	uint64_t end = stm32_image_end(img);
	out->trailing = img->file_size > end ? img->file_size - end : 0;
	return segs_digest(fd, hdr, img->header_size, stm32_md(img), segs, n, &out->checksum,
			   out->digest, e);
}

static int discard(const uint8_t *p, size_t n, void *arg, struct err *e)
{
	(void)p, (void)n, (void)arg, (void)e;
	return 0;
}

int stm32_file_decrypt(int fd, const struct stm32_image *img, const struct oem_key *key,
		       struct image_sums *out, struct err *e)
{
	out->decrypted = 0;
	if (img->image_length % FSBL_BLOCK)
		return err_set(e, ERR_INPUT, "image length at 0x%02x is 0x%x: not a multiple of %d, so not AES-CBC ciphertext",
			       img->layout->off_length, img->image_length, FSBL_BLOCK);
	uint8_t *buf = malloc(STREAM_CHUNK);
	struct fsbl_stream *s = NULL;
	int rc = buf ? fsbl_stream_new(&s, FSBL_DECRYPT, key, img->hash16, discard, NULL, e)
		     : err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc)
		rc = fd_for_each_chunk(fd, img->header_size, img->image_length, buf, STREAM_CHUNK,
				       fsbl_stream_chunk, s, e);
	if (!rc) {
		/* ERR_VERIFY (hash16 differs) is the check's result, not an error */
		struct err ignored = { 0 };
		rc = fsbl_stream_final(s, out->plain_hash16, &ignored);
		if (rc == ERR_VERIFY || !rc)
			rc = 0, out->decrypted = 1;
		else
			*e = ignored;
	}
	fsbl_stream_free(s);
	free(buf);
	return rc;
}

int file_range_sha256(int fd, uint64_t off, uint64_t len, uint8_t out[32], struct err *e)
{
	const struct seg s = { off, off + len };
	return segs_digest(fd, NULL, 0, EVP_sha256(), &s, 1, NULL, out, e);
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
