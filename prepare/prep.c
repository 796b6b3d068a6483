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

int prep_load_keys(const struct prep_spec *s, struct pubkey *keys, struct err *e)
{
	for (uint32_t i = 0; i < s->nkeys; i++) {
		int rc = pubkey_load_file(s->pubkeys[i], &keys[i], e);
		if (rc)
			return err_prefix(e, "public key %u", i);
	}
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
	if (want < 4 || memcmp(head, STM32_MAGIC, 4))
		return 0; /* a raw payload */
	rc = stm32_parse(head, want, in->size, &in->hdr, e);
	if (rc)
		return err_prefix(e, "%s (an .stm32 input)", path);
	if (in->hdr.has_decrypt)
		return err_set(e, ERR_INPUT,
			       "%s: encrypted FSBL (decryption extension): re-preparing would break the encryption; prepare the plain payload instead",
			       path);
	if (!bytes_all_zero(in->hdr.signature, ECC_RAW_SIG))
		return err_set(e, ERR_INPUT,
			       "%s: already signed (signature at 0x04 is not zero); prepare the unsigned image",
			       path);
	in->is_stm32 = 1;
	in->payload_off = in->hdr.header_size;
	in->payload_len = in->hdr.image_length;
	return 0;
}

static int setup_header(const struct prep_spec *s, const struct prep_input *in,
			const struct pubkey *keys, struct stm32_image *img, struct err *e)
{
	const struct stm32_layout *l = s->layout ? s->layout : in->is_stm32 ? in->hdr.layout : NULL;
	if (!l)
		return err_set(e, ERR_USAGE, "%s: a raw payload needs --header or --soc", s->input);
	stm32_init(img, l);
	if (in->is_stm32) {
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
	uint64_t len = in->payload_len;
	if (s->align > 1)
		len = (len + s->align - 1) / s->align * s->align;
	if (len > UINT32_MAX - img->header_size)
		return err_set(e, ERR_INPUT, "%s: payload of %llu bytes does not fit the 32-bit image length",
			       s->input, (unsigned long long)len);
	img->image_length = (uint32_t)len;
	if (s->nkeys)
		return stm32_set_keys(img, keys, s->nkeys, s->key_index, e);
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
	EVP_MD_CTX *digest; /* the hashed range */
	EVP_MD_CTX *file;   /* the whole output file */
};

static int emit(const uint8_t *p, size_t n, void *arg, struct err *e)
{
	struct two_hashes *h = arg;
	if (fd_write_all(h->fd, p, n))
		return err_set(e, ERR_IO, "write failed: %s", strerror(errno));
	EVP_DigestUpdate(h->digest, p, n);
	EVP_DigestUpdate(h->file, p, n);
	return 0;
}

/* Pass 2: copy the payload and alignment zeros into the output, hashing. */
static int copy_payload(const struct prep_input *in, uint64_t pad, uint8_t *buf,
			struct two_hashes *h, struct err *e)
{
	int rc = fd_for_each_chunk(in->fd, in->payload_off, in->payload_len, buf, STREAM_CHUNK,
				   emit, h, e);
	if (rc || !pad)
		return rc;
	memset(buf, 0, pad);
	return emit(buf, (size_t)pad, h, e);
}

static int write_image(const struct prep_input *in, struct stm32_image *img, int out,
		       struct prep_result *r, struct err *e)
{
	uint8_t *buf = malloc(STREAM_CHUNK);
	uint8_t hdr[STM32_MAX_HEADER];
	struct two_hashes h = { out, EVP_MD_CTX_new(), EVP_MD_CTX_new() };
	int rc = 0;
	if (!buf || !h.digest || !h.file || !EVP_DigestInit_ex(h.digest, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(h.file, EVP_sha256(), NULL))
		rc = err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc)
		rc = sum_payload(in, buf, &img->checksum, e);
	if (!rc)
		rc = stm32_build_header(img, hdr, sizeof hdr, e);
	if (!rc) {
		stm32_hashed_range(img, &r->range_start, &r->range_end);
		EVP_DigestUpdate(h.file, hdr, r->range_start);
		if (fd_write_all(out, hdr, r->range_start))
			rc = err_set(e, ERR_IO, "write failed: %s", strerror(errno));
		else
			rc = emit(hdr + r->range_start, img->header_size - r->range_start, &h, e);
	}
	if (!rc)
		rc = copy_payload(in, img->image_length - in->payload_len, buf, &h, e);
	if (!rc) {
		EVP_DigestFinal_ex(h.digest, r->digest, NULL);
		EVP_DigestFinal_ex(h.file, r->file_sha256, NULL);
	}
	EVP_MD_CTX_free(h.digest);
	EVP_MD_CTX_free(h.file);
	free(buf);
	return rc;
}

int prep_image(const struct prep_spec *s, struct atomic_file *out, struct prep_result *r,
	       struct err *e)
{
	struct pubkey keys[STM32_MAX_KEYS];
	struct prep_input in = { .fd = -1 };
	memset(r, 0, sizeof *r);
	int rc = prep_load_keys(s, keys, e);
	if (!rc)
		rc = open_input(s->input, &in, e);
	if (!rc)
		rc = setup_header(s, &in, keys, &r->img, e);
	if (!rc)
		rc = write_image(&in, &r->img, out->fd, r, e);
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
	m->range_start = r->range_start;
	m->range_end = r->range_end;
	memcpy(m->digest, r->digest, 32);
	snprintf(m->key_uri, sizeof m->key_uri, "%s", s->key_uri);
	m->key_index = r->img.pk_idx;
	m->key = r->img.key;
	memcpy(m->table_hash, r->table_hash, 32);
}
