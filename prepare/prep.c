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

static int setup_header(const struct prep_spec *s, const struct prep_input *in,
			struct stm32_image *img, struct layout_plan *p, struct err *e)
{
	const struct stm32_layout *l = s->layout ? s->layout : in->is_stm32 ? in->hdr.layout : NULL;
	if (!l)
		return err_set(e, ERR_USAGE, "%s: a raw payload needs --header or --soc", s->input);
	stm32_init(img, l);
	header_fields(s, in, img);
	int rc = head_padding(s, in, img, &p->head, e);
	if (rc)
		return rc;
	uint64_t len = p->head + in->payload_len;
	if (s->align > 1)
		len = (len + s->align - 1) / s->align * s->align;
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

/* Pass 1: the checksum (a cheap sum) so that the header is final before the
 * file hash starts. */
static int sum_payload(const struct prep_input *in, uint8_t *buf, uint32_t *sum, struct err *e)
{
	*sum = 0;
	return fd_for_each_chunk(in->fd, in->payload_off, in->payload_len, buf, STREAM_CHUNK,
				 sum_chunk, sum, e);
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

static int emit_zeros(uint64_t n, uint8_t *buf, struct two_hashes *h, struct err *e)
{
	memset(buf, 0, n < STREAM_CHUNK ? (size_t)n : STREAM_CHUNK);
	int rc = 0;
	while (n && !rc) {
		size_t k = n < STREAM_CHUNK ? (size_t)n : STREAM_CHUNK;
		rc = emit(buf, k, h, e);
		n -= k;
	}
	return rc;
}

/* Pass 2: the payload between its zeros, into the output, hashing. */
static int copy_payload(const struct prep_input *in, const struct layout_plan *p, uint8_t *buf,
			struct two_hashes *h, struct err *e)
{
	int rc = emit_zeros(p->head, buf, h, e);
	if (!rc)
		rc = fd_for_each_chunk(in->fd, in->payload_off, in->payload_len, buf, STREAM_CHUNK,
				       emit, h, e);
	if (!rc)
		rc = emit_zeros(p->tail, buf, h, e);
	return rc;
}

/* The header: written whole; its bytes inside the signed segments are
 * digested. The payload part of the segments (the rows' segments cover it
 * exactly once: a unit test holds that) is digested as it is copied. */
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

static int write_image(const struct prep_input *in, const struct layout_plan *p,
		       struct stm32_image *img, int out, struct prep_result *r, struct err *e)
{
	uint8_t *buf = malloc(STREAM_CHUNK);
	uint8_t hdr[STM32_MAX_HEADER];
	struct two_hashes h = { out, EVP_MD_CTX_new(), EVP_MD_CTX_new() };
	int rc = 0;
	if (!buf || !h.digest || !h.file || !EVP_DigestInit_ex(h.digest, stm32_md(img), NULL) ||
	    !EVP_DigestInit_ex(h.file, EVP_sha256(), NULL))
		rc = err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc)
		rc = sum_payload(in, buf, &img->checksum, e);
	if (!rc)
		rc = stm32_build_header(img, hdr, sizeof hdr, e);
	if (!rc)
		rc = emit_header(img, hdr, r, &h, e);
	if (!rc)
		rc = copy_payload(in, p, buf, &h, e);
	if (!rc && (!EVP_DigestFinal_ex(h.digest, r->digest, NULL) ||
		    !EVP_DigestFinal_ex(h.file, r->file_sha256, NULL)))
		rc = err_set(e, ERR_INTERNAL, "digest failed");
	r->digest_len = stm32_digest_len(img);
	EVP_MD_CTX_free(h.digest);
	EVP_MD_CTX_free(h.file);
	free(buf);
	return rc;
}

int prep_image(const struct prep_spec *s, struct atomic_file *out, struct prep_result *r,
	       struct err *e)
{
	struct prep_input in = { .fd = -1 };
	struct layout_plan plan = { 0, 0 };
	memset(r, 0, sizeof *r);
	int rc = s->keyset ? prep_keyset_load(s->keyset, e) : 0;
	if (!rc)
		rc = open_input(s->input, &in, e);
	if (!rc)
		rc = setup_header(s, &in, &r->img, &plan, e);
	if (!rc)
		rc = write_image(&in, &plan, &r->img, out->fd, r, e);
	if (in.fd >= 0)
		close(in.fd);
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
