#include "explain.h"

#include <string.h>

#include <openssl/sha.h>

#include "common/bytes.h"
#include "image/digest.h"

struct ctx {
	int fd;
	const struct stm32_image *img;
	const uint8_t *hdr;   /* the header as in the file */
	const uint8_t *right; /* the digest the ROM computes */
	struct seg segs[STM32_MAX_SEGS];
	size_t nsegs;
	uint64_t end;         /* header + image_length */
};

/* The next try, or NULL when the table is full (EXPLAIN_MAX). */
static struct explain_try *add(struct explanation *ex, const char *name)
{
	if (ex->n >= EXPLAIN_MAX)
		return NULL;
	struct explain_try *t = &ex->tries[ex->n++];
	t->name = name;
	return t;
}

static void found(struct explanation *ex, struct explain_try *t, const char *advice)
{
	if (t->matched && ex->matched < 0) {
		ex->matched = (int)(t - ex->tries);
		snprintf(ex->advice, sizeof ex->advice, "%s", advice);
	}
}

static struct explain_try *try_digest(const struct ctx *c, struct explanation *ex, const char *name,
				      const uint8_t *d, size_t dlen, const char *advice)
{
	struct explain_try *t = add(ex, name);
	if (!t)
		return NULL;
	t->matched = ecdsa_verify_len(&c->img->key, d, dlen, c->img->signature, NULL) == 0;
	found(ex, t, advice);
	return t;
}

/* hdr: the header bytes to use below the header's end (the file's, or a copy). */
static void try_segs(const struct ctx *c, struct explanation *ex, const char *name,
		     const uint8_t *hdr, const struct seg *s, size_t n, const char *advice)
{
	uint8_t d[ECC_DIGEST_MAX];
	if (segs_digest(c->fd, hdr, c->img->header_size, stm32_md(c->img), s, n, NULL, d, NULL))
		return;
	struct explain_try *t = try_digest(c, ex, name, d, stm32_digest_len(c->img), advice);
	if (t)
		segs_text(s, n, t->what, sizeof t->what);
}

/* v2.2 and v2.3 leave the non-authenticated fields out: a signer that hashed
 * straight through them is the public MP23 case. */
static void try_contiguous(const struct ctx *c, struct explanation *ex)
{
	if (c->nsegs < 2)
		return;
	const struct seg one = { c->segs[0].start, c->end };
	char advice[512];
	snprintf(advice, sizeof advice,
		 "the signature covers [0x%llx, 0x%llx) in one piece, but header %s signs %s: the 8 bytes "
		 "at 0x%llx..0x%llx (non-authenticated payload length and hash) are not signed. Hash the "
		 "segments without them (stm32-prep does), as ST's signing tool does.",
		 (unsigned long long)one.start, (unsigned long long)one.end, c->img->layout->name,
		 ex->tries[0].what, (unsigned long long)c->segs[0].end,
		 (unsigned long long)c->segs[1].start - 1);
	try_segs(c, ex, "contiguous-range", c->hdr, &one, 1, advice);
}

static void try_end_of_file(const struct ctx *c, struct explanation *ex)
{
	uint64_t size = c->img->file_size;
	if (size <= c->end)
		return;
	struct seg s[STM32_MAX_SEGS];
	memcpy(s, c->segs, sizeof s);
	s[c->nsegs - 1].end = size;
	char advice[512];
	snprintf(advice, sizeof advice,
		 "the signature runs to the end of the file (0x%llx): %llu bytes past image_length "
		 "(e.g. alignment padding) were hashed, but the ROM stops at 0x%llx. Hash only to "
		 "header + image_length, or count the padding in image_length (stm32-prep --align).",
		 (unsigned long long)size, (unsigned long long)(size - c->end), (unsigned long long)c->end);
	try_segs(c, ex, "hash-to-end-of-file", c->hdr, s, c->nsegs, advice);
}

static void try_double_hash(const struct ctx *c, struct explanation *ex)
{
	uint8_t d[ECC_DIGEST_MAX];
	uint32_t n = stm32_digest_len(c->img);
	EVP_Digest(c->right, n, d, NULL, stm32_md(c->img), NULL);
	struct explain_try *t = try_digest(c, ex, "hash-of-hash", d, n,
		   "the signer hashed the digest again (AWS KMS MessageType=RAW, or PKCS#11 "
		   "CKM_ECDSA_SHA256 on a digest). Sign the digest itself: KMS MessageType=DIGEST, "
		   "PKCS#11 CKM_ECDSA.");
	if (t)
		snprintf(t->what, sizeof t->what, "hash of the digest");
}

/* A P-384 key signs a SHA-384 digest; a SHA-256 one is the usual slip. */
static void try_sha256_for_384(const struct ctx *c, struct explanation *ex)
{
	uint8_t d[32];
	if (stm32_digest_len(c->img) != 48 ||
	    segs_digest(c->fd, c->hdr, c->img->header_size, EVP_sha256(), c->segs, c->nsegs, NULL, d, NULL))
		return;
	struct explain_try *t = try_digest(c, ex, "sha256-for-p384", d, 32,
		   "the segments were hashed with SHA-256, but a 384-bit key signs their SHA-384 "
		   "(AWS KMS ECDSA_SHA_384 with a 48-byte DIGEST).");
	if (t)
		snprintf(t->what, sizeof t->what, "SHA-256 of the signed segments");
}

static void try_partial(const struct ctx *c, struct explanation *ex)
{
	struct seg hdr[STM32_MAX_SEGS];
	size_t n = 0;
	for (size_t i = 0; i < c->nsegs && c->segs[i].start < c->img->header_size; i++, n++) {
		hdr[n] = c->segs[i];
		if (hdr[n].end > c->img->header_size)
			hdr[n].end = c->img->header_size;
	}
	const struct seg pay = { c->img->header_size, c->end };
	try_segs(c, ex, "header-only", c->hdr, hdr, n,
		 "only the header was hashed; the ROM hashes header and payload together.");
	try_segs(c, ex, "payload-only", c->hdr, &pay, 1,
		 "only the payload was hashed; the ROM hashes the signed header fields and the payload together.");
}

/* From offset 0, with the signature field zero as it was when the hash ran. */
static void try_from_zero(const struct ctx *c, struct explanation *ex)
{
	uint8_t copy[STM32_MAX_HEADER];
	memcpy(copy, c->hdr, c->img->header_size);
	memset(copy + OFF_SIGNATURE, 0, c->img->layout->sig_field);
	const struct seg all = { 0, c->end };
	char advice[256];
	snprintf(advice, sizeof advice,
		 "the hash started at offset 0 (magic, zero signature field, checksum); the ROM starts at 0x%llx.",
		 (unsigned long long)c->segs[0].start);
	try_segs(c, ex, "from-offset-0", copy, &all, 1, advice);
}

/* The segments of another header version: a signer built for another SoC. */
static void try_other_rows(const struct ctx *c, struct explanation *ex)
{
	static char advice[HDR_COUNT][200];
	struct seg tried[HDR_COUNT + 2][STM32_MAX_SEGS];
	size_t ntried[HDR_COUNT + 2], k = 0;
	const struct seg one = { c->segs[0].start, c->end };
	memcpy(tried[k], c->segs, sizeof tried[0]), ntried[k++] = c->nsegs;
	tried[k][0] = one, ntried[k++] = 1;
	for (int i = 0; i < HDR_COUNT; i++) {
		struct stm32_image other = *c->img;
		struct seg s[STM32_MAX_SEGS] = { { 0, 0 } };
		other.layout = &stm32_layouts[i];
		size_t n = stm32_signed_segments(&other, s), j;
		for (j = 0; j < k && !(ntried[j] == n && !memcmp(tried[j], s, n * sizeof s[0])); j++)
			;
		if (j < k)
			continue; /* the image's own rule, or one tried already */
		memcpy(tried[k], s, sizeof tried[0]), ntried[k++] = n;
		snprintf(advice[i], sizeof advice[i], "the signature follows header %s's rule (%s); this header is %s.",
			 other.layout->name, other.layout->socs, c->img->layout->name);
		try_segs(c, ex, other.layout->name, c->hdr, s, n, advice[i]);
	}
}

/* A DER -> raw conversion that dropped a leading zero byte of r or s. */
static void try_short_halves(const struct ctx *c, struct explanation *ex)
{
	const uint8_t *sig = c->img->signature;
	size_t w = ecc_coord(c->img->key.algo);
	for (int which = 0; which < 2 && w; which++) {
		uint8_t fixed[ECC_RAW_SIG_MAX] = { 0 };
		if (which == 0) { /* r was written one byte short: s starts one byte early */
			memcpy(fixed + 1, sig, w - 1);
			memcpy(fixed + w, sig + w - 1, w);
		} else { /* s was written one byte short */
			memcpy(fixed, sig, w);
			memcpy(fixed + w + 1, sig + w, w - 1);
		}
		struct explain_try *t = add(ex, which ? "short-s" : "short-r");
		if (!t)
			return;
		snprintf(t->what, sizeof t->what, "%s re-padded to %zu bytes", which ? "s" : "r", w);
		t->matched = ecdsa_verify_digest(&c->img->key, c->right, fixed, NULL) == 0;
		char advice[256];
		snprintf(advice, sizeof advice,
			 "the DER to raw conversion dropped a leading zero byte of %s: each half must be "
			 "left-padded to %zu bytes (BN_bn2binpad). This fails for about 1 signature in 128.",
			 which ? "s" : "r", w);
		found(ex, t, advice);
	}
}

void explain_signature(int fd, const struct stm32_image *img, const uint8_t *hdr,
		       const uint8_t *digest, struct explanation *ex)
{
	memset(ex, 0, sizeof *ex);
	ex->matched = -1;
	struct ctx c = { .fd = fd, .img = img, .hdr = hdr, .right = digest };
	c.nsegs = stm32_signed_segments(img, c.segs);
	c.end = stm32_image_end(img);
	if (bytes_all_zero(img->signature, img->layout->sig_field)) {
		snprintf(ex->advice, sizeof ex->advice,
			 "unsigned: the signature field is all zero. A prepared file was flashed: run "
			 "kms-sign-digest and stm32-assemble, and flash the assembled image.");
		return;
	}
	struct explain_try *self = add(ex, "rom-rule"); /* the first: never NULL */
	segs_text(c.segs, c.nsegs, self->what, sizeof self->what);
	try_contiguous(&c, ex);
	try_end_of_file(&c, ex);
	try_double_hash(&c, ex);
	try_sha256_for_384(&c, ex);
	try_partial(&c, ex);
	try_from_zero(&c, ex);
	try_other_rows(&c, ex);
	try_short_halves(&c, ex);
	if (ex->matched < 0)
		snprintf(ex->advice, sizeof ex->advice,
			 "no known construction matches: the image was signed by another key, or "
			 "the header or payload changed after signing.");
}

/* The OTP value as the ROM reads it, word by word: a word fused in the other byte order. */
static int words_swapped(const uint8_t *a, const uint8_t *b)
{
	for (int w = 0; w < 8; w++)
		for (int i = 0; i < 4; i++)
			if (a[4 * w + i] != b[4 * w + 3 - i])
				return 0;
	return 1;
}

static void explain_otp(const struct stm32_image *img, const uint8_t *otp, const uint8_t *xy_hash,
			struct explanation *ex)
{
	uint8_t th[32];
	stm32_table_hash(img, th);
	if (!memcmp(otp, th, 32))
		return;
	const char *why;
	if (img->layout->otp == OTP_TABLE_HASH && !memcmp(otp, xy_hash, 32))
		why = "the OTP value is SHA-256(X||Y) of the signing key (KeyGen's publicKeyHashNN.bin); "
		      "the ROM expects the hash of the whole table (publicKeysHashHashes.bin, stm32-prep keys).";
	else if (img->layout->otp == OTP_TABLE_HASH && !memcmp(otp, img->table[img->pk_idx], 32))
		why = "the OTP value is the table entry of the signing key; the ROM expects the hash of the "
		      "whole table (publicKeysHashHashes.bin, stm32-prep keys).";
	else if (words_swapped(otp, th))
		why = "the OTP value is the table hash with each 32-bit word byte-reversed: OTP word i is "
		      "the big-endian value of hash bytes [4i, 4i+4) (stm32-prep keys prints the words).";
	else
		why = "the OTP value is not this image's table hash: the image was prepared with another "
		      "key set than the one fused (compare stm32-prep keys on the fused key files).";
	snprintf(ex->key_advice, sizeof ex->key_advice, "%s", why);
}

void explain_keys(const struct stm32_image *img, const uint8_t *otp, struct explanation *ex)
{
	if (!img->has_auth)
		return;
	uint8_t xy_hash[32];
	SHA256(img->key.xy, ecc_xy_len(img->key.algo), xy_hash);
	if (img->layout->otp == OTP_TABLE_HASH && !memcmp(img->table[img->pk_idx], xy_hash, 32)) {
		snprintf(ex->key_advice, sizeof ex->key_advice,
			 "table entry %u is SHA-256(X||Y) (KeyGen's publicKeyHashNN.bin), and an OTP value "
			 "computed over such entries matches such a table: a table entry is "
			 "SHA-256(LE32(algo)||X||Y). Rebuild the table and the OTP value with stm32-prep.",
			 img->pk_idx);
		return;
	}
	if (otp)
		explain_otp(img, otp, xy_hash, ex);
}

void explain_print(FILE *out, const struct explanation *ex)
{
	fprintf(out, "  Explain:\n");
	for (size_t i = 0; i < ex->n; i++)
		fprintf(out, "    %-20s %-5s %s\n", ex->tries[i].name,
			ex->tries[i].matched ? "MATCH" : "no", ex->tries[i].what);
	if (ex->advice[0])
		fprintf(out, "  Diagnosis: %s\n", ex->advice);
	if (ex->key_advice[0])
		fprintf(out, "  Keys: %s\n", ex->key_advice);
}
