#include "explain.h"

#include <string.h>

#include <openssl/sha.h>

#include "image/digest.h"

struct ctx {
	int fd;
	const struct stm32_image *img;
	const uint8_t *right; /* the digest the ROM computes */
	uint64_t start, end;
};

static struct explain_try *add(struct explanation *ex, const char *name)
{
	struct explain_try *t = &ex->tries[ex->n++];
	t->name = name;
	return t;
}

static void try_digest(const struct ctx *c, struct explanation *ex, const char *name,
		       const uint8_t d[32], const char *advice)
{
	struct explain_try *t = add(ex, name);
	t->matched = ecdsa_verify_digest(&c->img->key, d, c->img->signature, NULL) == 0;
	if (t->matched && ex->matched < 0) {
		ex->matched = (int)(t - ex->tries);
		snprintf(ex->advice, sizeof ex->advice, "%s", advice);
	}
}

static void try_ranges(const struct ctx *c, struct explanation *ex, const char *name,
		       const uint64_t (*r)[2], size_t n, const char *advice)
{
	uint8_t d[32];
	if (file_ranges_sha256(c->fd, r, n, d, NULL))
		return;
	try_digest(c, ex, name, d, advice);
	snprintf(ex->tries[ex->n - 1].what, sizeof ex->tries[0].what, "SHA-256 of [0x%llx, 0x%llx)%s",
		 (unsigned long long)r[0][0], (unsigned long long)r[0][1], n > 1 ? " + more" : "");
}

static void try_end_of_file(const struct ctx *c, struct explanation *ex)
{
	uint64_t size = c->img->file_size;
	if (size <= c->end)
		return;
	const uint64_t r[1][2] = { { c->start, size } };
	char advice[512];
	snprintf(advice, sizeof advice,
		 "the signature covers [0x%llx, end of file 0x%llx): %llu bytes past image_length "
		 "(e.g. alignment padding) were hashed, but the ROM stops at 0x%llx. Hash only "
		 "[0x48, header + image_length), or count the padding in image_length (stm32-prep --align).",
		 (unsigned long long)c->start, (unsigned long long)size,
		 (unsigned long long)(size - c->end), (unsigned long long)c->end);
	try_ranges(c, ex, "hash-to-end-of-file", r, 1, advice);
}

static void try_double_hash(const struct ctx *c, struct explanation *ex)
{
	uint8_t d[32];
	SHA256(c->right, 32, d);
	try_digest(c, ex, "hash-of-hash", d,
		   "the signer hashed the digest again (AWS KMS MessageType=RAW, or PKCS#11 "
		   "CKM_ECDSA_SHA256 on a digest). Sign the 32-byte digest itself: KMS "
		   "MessageType=DIGEST, PKCS#11 CKM_ECDSA.");
	snprintf(ex->tries[ex->n - 1].what, sizeof ex->tries[0].what, "SHA-256(SHA-256 of the range)");
}

static void try_partial(const struct ctx *c, struct explanation *ex)
{
	const uint64_t hdr[1][2] = { { c->start, c->img->header_size } };
	const uint64_t pay[1][2] = { { c->img->header_size, c->end } };
	const uint64_t from0[1][2] = { { 0, c->end } };
	try_ranges(c, ex, "header-only", hdr, 1,
		   "only the header was hashed; the ROM hashes header and payload together.");
	try_ranges(c, ex, "payload-only", pay, 1,
		   "only the payload was hashed; the ROM hashes from 0x48 through the end of the payload, header included.");
	try_ranges(c, ex, "from-offset-0", from0, 1,
		   "the hash started at offset 0 (magic, signature, checksum); the ROM starts at 0x48.");
	if (c->img->layout->id != HDR_V10) {
		const uint64_t v23[2][2] = { { 0x68, 0x98 }, { 0xA0, 0xA0 + (uint64_t)c->img->ext_len + c->img->image_length } };
		try_ranges(c, ex, "v2.3-range", v23, 2,
			   "the signature covers the v2.3 (STM32MP21) range; this header is not v2.3.");
	}
}

/* A DER -> raw conversion that dropped a leading zero byte of r or s. */
static void try_short_halves(const struct ctx *c, struct explanation *ex)
{
	const uint8_t *sig = c->img->signature;
	for (int which = 0; which < 2; which++) {
		uint8_t fixed[ECC_RAW_SIG] = { 0 };
		if (which == 0) { /* r was written as 31 bytes: s starts one byte early */
			memcpy(fixed + 1, sig, 31);
			memcpy(fixed + 32, sig + 31, 32);
		} else { /* s was written as 31 bytes */
			memcpy(fixed, sig, 32);
			memcpy(fixed + 33, sig + 32, 31);
		}
		struct explain_try *t = add(ex, which ? "short-s" : "short-r");
		snprintf(t->what, sizeof t->what, "%s re-padded to 32 bytes", which ? "s" : "r");
		t->matched = ecdsa_verify_digest(&c->img->key, c->right, fixed, NULL) == 0;
		if (t->matched && ex->matched < 0) {
			ex->matched = (int)(t - ex->tries);
			snprintf(ex->advice, sizeof ex->advice,
				 "the DER to raw conversion dropped a leading zero byte of %s: each half must be "
				 "left-padded to 32 bytes (BN_bn2binpad). This fails for about 1 signature in 128.",
				 which ? "s" : "r");
		}
	}
}

void explain_signature(int fd, const struct stm32_image *img, const uint8_t digest[32],
		       struct explanation *ex)
{
	memset(ex, 0, sizeof *ex);
	ex->matched = -1;
	struct ctx c = { .fd = fd, .img = img, .right = digest };
	stm32_hashed_range(img, &c.start, &c.end);
	try_end_of_file(&c, ex);
	try_double_hash(&c, ex);
	try_partial(&c, ex);
	try_short_halves(&c, ex);
	if (ex->matched < 0)
		snprintf(ex->advice, sizeof ex->advice,
			 "no known construction matches: the image was signed by another key, or "
			 "the header or payload changed after signing.");
}

void explain_keys(const struct stm32_image *img, const uint8_t *otp, struct explanation *ex)
{
	if (!img->has_auth)
		return;
	uint8_t xy_hash[32];
	SHA256(img->key.xy, ECC_XY, xy_hash);
	if (img->layout->id != HDR_V10 && !memcmp(img->table[img->pk_idx], xy_hash, 32))
		snprintf(ex->key_advice, sizeof ex->key_advice,
			 "table entry %u is SHA-256(X||Y) (KeyGen's publicKeyHashNN.bin); a table entry "
			 "is SHA-256(LE32(algo)||X||Y). Rebuild the table with stm32-prep.", img->pk_idx);
	else if (otp && img->layout->id != HDR_V10 && !memcmp(otp, xy_hash, 32))
		snprintf(ex->key_advice, sizeof ex->key_advice,
			 "the OTP value is SHA-256(X||Y) of one key (KeyGen's publicKeyHashNN.bin); "
			 "the ROM expects the hash of the whole table (publicKeysHashHashes.bin, "
			 "stm32-prep keys).");
}

void explain_print(FILE *out, const struct explanation *ex)
{
	fprintf(out, "  Explain:\n");
	for (size_t i = 0; i < ex->n; i++)
		fprintf(out, "    %-20s %-5s %s\n", ex->tries[i].name,
			ex->tries[i].matched ? "MATCH" : "no", ex->tries[i].what);
	fprintf(out, "  Diagnosis: %s\n", ex->advice);
	if (ex->key_advice[0])
		fprintf(out, "  Keys: %s\n", ex->key_advice);
}
