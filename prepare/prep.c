#include "prep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/bytes.h"
#include "image/digest.h"
#include "image/fsbl_crypt.h"

int prep_keyset_load(struct prep_keyset *ks, struct err *e)
{
	for (uint32_t i = 0; !ks->loaded && i < ks->n; i++) {
		int rc = pubkey_load_file(ks->paths[i], &ks->keys[i], e);
		if (rc)
			return err_prefix(e, "public key %u", i);
	}
	ks->loaded = 1;
	return 0;
}

/* The input: a raw payload, or an unsigned .stm32 whose fields are defaults. */
struct prep_input {
	int fd;
	uint64_t size;
	uint64_t payload_off;
	uint64_t payload_len;
	int is_stm32;
	struct stm32_image hdr; /* when is_stm32 */
	uint8_t first[8];       /* the raw payload's first bytes (zero past its end) */
};

static int open_input(const char *path, struct prep_input *in, struct err *e)
{
	memset(in, 0, sizeof *in);
	int rc = file_open_regular(path, &in->fd, &in->size, e);
	if (rc)
		return rc;
	uint8_t head[STM32_MAX_HEADER];
	size_t want = in->size < sizeof head ? (size_t)in->size : sizeof head;
	if (fd_read_full(in->fd, head, want) != (long)want)
		return err_set(e, ERR_IO, "%s: read failed", path);
	in->payload_len = in->size;
	memcpy(in->first, head, want < sizeof in->first ? want : sizeof in->first);
	if (want < 4 || memcmp(head, STM32_MAGIC, 4))
		return 0; /* a raw payload */
	rc = stm32_parse(head, want, in->size, &in->hdr, e);
	if (rc)
		return err_prefix(e, "%s (an .stm32 input)", path);
	if (in->hdr.has_decrypt)
		return err_set(e, ERR_INPUT,
			       "%s: encrypted FSBL (decryption extension): re-preparing would break the encryption; prepare the plain payload instead",
			       path);
	if (!bytes_all_zero(in->hdr.signature, in->hdr.layout->sig_field))
		return err_set(e, ERR_INPUT,
			       "%s: already signed (signature at 0x04 is not zero); prepare the unsigned image",
			       path);
	in->is_stm32 = 1;
	in->payload_off = in->hdr.header_size;
	in->payload_len = in->hdr.image_length;
	return 0;
}

/* Zeros before the payload: to the row's payload offset for a raw payload
 * (v2.3: 0x400, as ST's tool writes it), none for an .stm32 input, whose
 * image bytes are kept as they are; --payload-offset overrides both. */
static int head_padding(const struct prep_spec *s, const struct prep_input *in,
			const struct stm32_image *img, uint64_t *pad, struct err *e)
{
	uint32_t want = s->has_payload_offset ? s->payload_offset
			: in->is_stm32 ? 0 : img->layout->payload_offset;
	*pad = 0;
	if (!want)
		return 0;
	if (want < img->header_size)
		return err_set(e, ERR_USAGE, "%s: payload offset 0x%x is inside the 0x%x-byte header",
			       s->input, want, img->header_size);
	*pad = want - img->header_size;
	return 0;
}

static void header_fields(const struct prep_spec *s, const struct prep_input *in,
			  struct stm32_image *img)
{
	const struct stm32_layout *l = img->layout;
	if (!in->is_stm32) {
		uint32_t w = l->entry_from_word;
		img->entry = w && w - 1 + 4 <= sizeof in->first ? le32_get(in->first, w - 1) : 0;
		img->load = l->default_load;
	} else {
		img->entry = in->hdr.entry;
		img->load = in->hdr.load;
		img->image_version = in->hdr.image_version;
		img->binary_type = in->hdr.binary_type;
	}
	if (s->has_entry)
		img->entry = s->entry;
	if (s->has_load)
		img->load = s->load;
	if (s->has_version)
		img->image_version = s->image_version;
	if (s->has_type)
		img->binary_type = s->type;
}

/* The image: head padding, the payload, and zeros to the alignment. */
struct layout_plan {
	uint64_t head, tail;
};

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* --align, and for an encrypted image also 32, as ST's tool pads it. */
static uint64_t image_align(const struct prep_spec *s)
{
	uint64_t a = s->align > 1 ? s->align : 1;
	if (s->oem_secret)
		a = a / gcd64(a, FSBL_ALIGN) * FSBL_ALIGN;
	return a;
}

static int check_decrypt(const struct prep_spec *s, const struct stm32_layout *l, struct err *e)
{
	if (s->oem_secret && !l->can_decrypt)
		return err_set(e, ERR_USAGE,
			       "%s: header %s has no FSBL decryption extension: --oem-secret needs a header that has one (MP13, MP2x, N6)",
			       s->input, l->name);
	return 0;
}

static int setup_header(const struct prep_spec *s, const struct prep_input *in,
			struct stm32_image *img, struct layout_plan *p, struct err *e)
{
	const struct stm32_layout *l = s->layout ? s->layout : in->is_stm32 ? in->hdr.layout : NULL;
	if (!l)
		return err_set(e, ERR_USAGE, "%s: a raw payload needs --header or --soc", s->input);
	int rc = check_decrypt(s, l, e);
	if (rc)
		return rc;
	stm32_init(img, l);
	header_fields(s, in, img);
	if ((rc = head_padding(s, in, img, &p->head, e)))
		return rc;
	uint64_t a = image_align(s), len = p->head + in->payload_len;
	len = (len + a - 1) / a * a;
	if (len > UINT32_MAX - img->header_size)
		return err_set(e, ERR_INPUT, "%s: payload of %llu bytes does not fit the 32-bit image length",
			       s->input, (unsigned long long)len);
	img->image_length = (uint32_t)len;
	p->tail = len - p->head - in->payload_len;
	if (s->keyset)
		return stm32_set_keys(img, s->keyset->keys, s->keyset->n, s->key_index, e);
	return 0;
}

static int sum_chunk(const uint8_t *p, size_t n, void *arg, struct err *e)
{
	(void)e;
	uint32_t *sum = arg;
	*sum = checksum_update(*sum, p, n);
	return 0;
}

static int feed_zeros(uint64_t n, uint8_t *buf, chunk_fn fn, void *arg, struct err *e)
{
	memset(buf, 0, n < STREAM_CHUNK ? (size_t)n : STREAM_CHUNK);
	int rc = 0;
	while (n && !rc) {
		size_t k = n < STREAM_CHUNK ? (size_t)n : STREAM_CHUNK;
		rc = fn(buf, k, arg, e);
		n -= k;
	}
	return rc;
}

/* The plain image bytes, in order, to fn: head zeros, the payload, tail zeros. */
static int feed_plain(const struct prep_input *in, const struct layout_plan *p, uint8_t *buf,
		      chunk_fn fn, void *arg, struct err *e)
{
	int rc = feed_zeros(p->head, buf, fn, arg, e);
	if (!rc)
		rc = fd_for_each_chunk(in->fd, in->payload_off, in->payload_len, buf, STREAM_CHUNK,
				       fn, arg, e);
	if (!rc)
		rc = feed_zeros(p->tail, buf, fn, arg, e);
	return rc;
}

/* Where the image bytes come from: the plain bytes, or (key set) their
 * encryption under IV hash16. */
struct source {
	const char *path;          /* the input, for messages */
	const struct prep_input *in;
	const struct layout_plan *plan;
	const struct oem_key *key; /* NULL: not encrypted */
	uint8_t hash16[FSBL_HASH16_LEN];
	uint8_t *buf;
};

/* One pass of the plain bytes through an FSBL stream: FSBL_HASH sets
 * src->hash16; FSBL_ENCRYPT hands the ciphertext to fn and checks that the
 * plaintext still hashes to src->hash16 (the input did not change). */
static int feed_fsbl(struct source *src, enum fsbl_mode mode, chunk_fn fn, void *arg, struct err *e)
{
	struct fsbl_stream *fs;
	int hash = mode == FSBL_HASH;
	int rc = fsbl_stream_new(&fs, mode, src->key, hash ? NULL : src->hash16, fn, arg, e);
	if (rc)
		return rc;
	rc = feed_plain(src->in, src->plan, src->buf, fsbl_stream_chunk, fs, e);
	if (!rc && (rc = fsbl_stream_final(fs, hash ? src->hash16 : NULL, e)))
		err_prefix(e, "%s", src->path); /* the input changed between the passes */
	fsbl_stream_free(fs);
	return rc;
}

/* The image bytes as they go into the file. */
static int feed_image(struct source *src, chunk_fn fn, void *arg, struct err *e)
{
	if (src->key)
		return feed_fsbl(src, FSBL_ENCRYPT, fn, arg, e);
	return feed_plain(src->in, src->plan, src->buf, fn, arg, e);
}

struct two_hashes {
	int fd;             /* the output */
	EVP_MD_CTX *digest; /* the signed segments */
	EVP_MD_CTX *file;   /* the whole output file */
};

static int emit(const uint8_t *p, size_t n, void *arg, struct err *e)
{
	struct two_hashes *h = arg;
	if (fd_write_all(h->fd, p, n))
		return err_set(e, ERR_IO, "write failed: %s", strerror(errno));
	if (!EVP_DigestUpdate(h->digest, p, n) || !EVP_DigestUpdate(h->file, p, n))
		return err_set(e, ERR_INTERNAL, "digest failed");
	return 0;
}

/* The header: written whole; its bytes inside the signed segments are
 * digested. The payload part of the segments (the rows' segments cover it
 * exactly once: a unit test holds that) is digested as it is written. */
static int emit_header(struct stm32_image *img, const uint8_t *hdr, struct prep_result *r,
		       struct two_hashes *h, struct err *e)
{
	r->nsegs = stm32_signed_segments(img, r->segs);
	if (fd_write_all(h->fd, hdr, img->header_size))
		return err_set(e, ERR_IO, "write failed: %s", strerror(errno));
	if (!EVP_DigestUpdate(h->file, hdr, img->header_size))
		return err_set(e, ERR_INTERNAL, "digest failed");
	for (size_t i = 0; i < r->nsegs; i++) {
		uint64_t s = r->segs[i].start, end = r->segs[i].end;
		if (end > img->header_size)
			end = img->header_size;
		if (s < end && !EVP_DigestUpdate(h->digest, hdr + s, end - s))
			return err_set(e, ERR_INTERNAL, "digest failed");
	}
	return 0;
}

/* Pass A sums the image bytes (the checksum covers what is in the file: the
 * ciphertext when encrypted), so that the header is final before pass B
 * writes header and image bytes through both hashes. An encrypted image is
 * thus encrypted twice rather than read back. */
static int write_image(struct source *src, struct stm32_image *img, int out,
		       struct prep_result *r, struct err *e)
{
	uint8_t hdr[STM32_MAX_HEADER];
	struct two_hashes h = { out, EVP_MD_CTX_new(), EVP_MD_CTX_new() };
	int rc = 0;
	if (!h.digest || !h.file || !EVP_DigestInit_ex(h.digest, stm32_md(img), NULL) ||
	    !EVP_DigestInit_ex(h.file, EVP_sha256(), NULL))
		rc = err_set(e, ERR_INTERNAL, "out of memory");
	img->checksum = 0;
	if (!rc)
		rc = feed_image(src, sum_chunk, &img->checksum, e);
	if (!rc)
		rc = stm32_build_header(img, hdr, sizeof hdr, e);
	if (!rc)
		rc = emit_header(img, hdr, r, &h, e);
	if (!rc)
		rc = feed_image(src, emit, &h, e);
	if (!rc && (!EVP_DigestFinal_ex(h.digest, r->digest, NULL) ||
		    !EVP_DigestFinal_ex(h.file, r->file_sha256, NULL)))
		rc = err_set(e, ERR_INTERNAL, "digest failed");
	r->digest_len = stm32_digest_len(img);
	EVP_MD_CTX_free(h.digest);
	EVP_MD_CTX_free(h.file);
	return rc;
}

/* Encryption: the key from the OEM secret, hash16 of the padded plaintext
 * (the IV), the decryption extension and its flag. */
static int setup_encryption(const struct prep_spec *s, struct source *src, struct oem_key *key,
			    struct prep_result *r, struct err *e)
{
	int rc = oem_derive_key(s->oem_secret, s->dc, key, r->warn, e);
	if (rc)
		return rc;
	src->key = key;
	if ((rc = feed_fsbl(src, FSBL_HASH, NULL, NULL, e)))
		return rc;
	return stm32_set_decrypt(&r->img, s->dc, src->hash16, e);
}

int prep_image(const struct prep_spec *s, struct atomic_file *out, struct prep_result *r,
	       struct err *e)
{
	struct prep_input in = { .fd = -1 };
	struct layout_plan plan = { 0, 0 };
	struct oem_key key;
	struct source src = { s->input, &in, &plan, NULL, { 0 }, malloc(STREAM_CHUNK) };
	memset(r, 0, sizeof *r);
	int rc = src.buf ? 0 : err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc && s->keyset)
		rc = prep_keyset_load(s->keyset, e);
	if (!rc)
		rc = open_input(s->input, &in, e);
	if (!rc)
		rc = setup_header(s, &in, &r->img, &plan, e);
	if (!rc && s->oem_secret)
		rc = setup_encryption(s, &src, &key, r, e);
	if (!rc)
		rc = write_image(&src, &r->img, out->fd, r, e);
	if (in.fd >= 0)
		close(in.fd);
	if (s->oem_secret)
		oem_key_clear(&key);
	free(src.buf);
	if (!rc && r->img.has_auth)
		stm32_table_hash(&r->img, r->table_hash);
	return rc;
}

void prep_manifest_entry(const struct prep_spec *s, const struct prep_result *r,
			 const char *file, struct mf_image *m)
{
	memset(m, 0, sizeof *m);
	snprintf(m->id, sizeof m->id, "%s", s->id);
	snprintf(m->file, sizeof m->file, "%s", file);
	memcpy(m->file_sha256, r->file_sha256, 32);
	snprintf(m->header, sizeof m->header, "%s", r->img.layout->name);
	m->binary_type = r->img.binary_type;
	m->image_version = r->img.image_version;
	m->has_addresses = 1;
	m->load = r->img.load;
	m->entry = r->img.entry;
	m->nsegs = r->nsegs;
	for (size_t i = 0; i < r->nsegs; i++) {
		m->segs[i].start = r->segs[i].start;
		m->segs[i].end = r->segs[i].end;
	}
	memcpy(m->digest, r->digest, r->digest_len);
	snprintf(m->key_uri, sizeof m->key_uri, "%s", s->key_uri);
	m->key_index = r->img.pk_idx;
	m->key = r->img.key;
	memcpy(m->table_hash, r->table_hash, 32);
}
