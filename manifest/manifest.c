#include "manifest.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/fileio.h"
#include "common/num.h"
#include "common/vec.h"
#include "mf_internal.h"
#include "ytree.h"
#include "yout.h"

void manifest_init(struct manifest *m)
{
	memset(m, 0, sizeof *m);
}

void manifest_free(struct manifest *m)
{
	free(m->images);
	free(m->fips);
	memset(m, 0, sizeof *m);
}

/* 1..max characters of A-Z a-z 0-9 . _ - and the extra ones, not starting
 * with '.' or '-' (no hidden files, no options). */
static int plain_name(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._-", c) || strchr(extra, c)))
			return 0;
	}
	return 1;
}

int manifest_id_valid(const char *id)
{
	return plain_name(id, MF_ID_MAX - 1, "");
}

int manifest_file_name_valid(const char *name)
{
	return plain_name(name, 200, "+");
}

const struct mf_image *manifest_find(const struct manifest *m, const char *id)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->images[i].id, id))
			return &m->images[i];
	return NULL;
}

int manifest_add(struct manifest *m, const struct mf_image *img, struct err *e)
{
	if (manifest_find(m, img->id))
		return err_set(e, ERR_INPUT, "duplicate image id '%s'", img->id);
	if (vec_grow((void **)&m->images, &m->cap, m->n, sizeof *m->images, MANIFEST_MAX_IMAGES))
		return err_set(e, ERR_INPUT, "more than %d images, or out of memory", MANIFEST_MAX_IMAGES);
	m->images[m->n++] = *img;
	return 0;
}

int manifest_add_fip(struct manifest *m, const struct mf_fip *f, struct err *e)
{
	if (manifest_find_fip(m, f->id))
		return err_set(e, ERR_INPUT, "duplicate FIP id '%s'", f->id);
	if (vec_grow((void **)&m->fips, &m->capfips, m->nfips, sizeof *m->fips, MANIFEST_MAX_FIPS))
		return err_set(e, ERR_INPUT, "more than %d FIPs, or out of memory", MANIFEST_MAX_FIPS);
	m->fips[m->nfips++] = *f;
	return 0;
}

const struct mf_fip *manifest_find_fip(const struct manifest *m, const char *id)
{
	for (size_t i = 0; i < m->nfips; i++)
		if (!strcmp(m->fips[i].id, id))
			return &m->fips[i];
	return NULL;
}

uint32_t mf_digest_len(const struct mf_image *im)
{
	return ecc_digest_len(im->key.algo);
}

static void write_segs(struct yout *y, const struct mf_image *im)
{
	char buf[32];
	yout_key(y, "signed");
	yout_seq(y, 1);
	for (size_t i = 0; i < im->nsegs; i++) {
		yout_seq(y, 1);
		snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)im->segs[i].start);
		yout_str(y, buf);
		snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)im->segs[i].end);
		yout_str(y, buf);
		yout_end_seq(y);
	}
	yout_end_seq(y);
}

static void write_image(struct yout *y, const struct mf_image *im)
{
	if (im->kind == MF_KIND_TBBR_CERT) {
		mf_write_cert(y, im);
		return;
	}
	yout_map(y);
	yout_kv(y, "id", im->id);
	yout_kv(y, "file", im->file);
	yout_kv_bytes(y, "file_sha256", im->file_sha256, 32);
	yout_kv_quoted(y, "header", im->header);
	yout_kv_hex32(y, "binary_type", im->binary_type);
	yout_kv_u64(y, "image_version", im->image_version);
	yout_kv_hex32(y, "load", im->load);
	yout_kv_hex32(y, "entry", im->entry);
	write_segs(y, im);
	yout_kv(y, "digest_algorithm", ecc_curve(im->key.algo)->digest);
	yout_kv_bytes(y, "digest", im->digest, mf_digest_len(im));
	yout_kv(y, "algorithm", ecc_manifest_algorithm(im->key.algo));
	yout_key(y, "key");
	yout_map(y);
	yout_kv(y, "uri", im->key_uri);
	yout_kv_u64(y, "index", im->key_index);
	yout_kv_bytes(y, "public_key", im->key.xy, ecc_xy_len(im->key.algo));
	yout_kv_bytes(y, "table_hash", im->table_hash, 32);
	yout_end_map(y);
	yout_end_map(y);
}

int manifest_write(const struct manifest *m, const char *path, struct err *e)
{
	struct atomic_file af;
	int rc = atomic_open_stream(&af, path, e);
	if (rc)
		return rc;
	struct yout y;
	yout_open(&y, af.fp, e);
	yout_map(&y);
	/* Format 3 only when it is needed: a manifest of STM32 images alone
	 * stays readable by the tools that know format 2. */
	int v3 = m->nfips > 0;
	for (size_t i = 0; i < m->n; i++)
		v3 |= m->images[i].kind != MF_KIND_STM32;
	yout_kv(&y, "format", v3 ? MANIFEST_FORMAT_V3 : MANIFEST_FORMAT);
	yout_kv_quoted(&y, "release", m->release);
	yout_key(&y, "images");
	yout_seq(&y, 0);
	for (size_t i = 0; i < m->n; i++)
		write_image(&y, &m->images[i]);
	yout_end_seq(&y);
	if (m->nfips)
		mf_write_fips(&y, m);
	yout_end_map(&y);
	if ((rc = yout_close(&y, e))) {
		atomic_abort(&af);
		return err_prefix(e, "%s", path);
	}
	return atomic_commit(&af, e);
}

static int seg_bound(const struct ynode *n, uint64_t *out, const char *ctx, struct err *e)
{
	if (n->type != YN_SCALAR || num_parse_u64(n->str, 0x100000000ull + 0x2000, out))
		return err_set(e, ERR_INPUT, "%s: line %zu: a signed segment bound must be a number",
			       ctx, n->line);
	return 0;
}

static int read_pair(const struct ynode *r, struct mf_seg *s, const char *ctx, struct err *e)
{
	int rc;
	if (r->type != YN_SEQ || r->n != 2)
		return err_set(e, ERR_INPUT, "%s: line %zu: a signed segment must be [start, end]", ctx,
			       r->line);
	if ((rc = seg_bound(r->kids[0], &s->start, ctx, e)) ||
	    (rc = seg_bound(r->kids[1], &s->end, ctx, e)))
		return rc;
	if (s->start >= s->end)
		return err_set(e, ERR_INPUT, "%s: line %zu: signed segment [0x%llx, 0x%llx) is empty",
			       ctx, r->line, (unsigned long long)s->start, (unsigned long long)s->end);
	return 0;
}

/* Format 2: signed: [[s0, e0], [s1, e1], ...]; format 1: signed_range: [s, e]. */
static int read_segs(const struct ynode *map, int v1, struct mf_image *im, const char *ctx,
		     struct err *e)
{
	const struct ynode *r = yget_seq(map, v1 ? "signed_range" : "signed", ctx, e);
	if (!r)
		return e->code;
	if (v1 && !strcmp(im->header, "2.2"))
		return err_set(e, ERR_INPUT,
			       "%s: a format 1 manifest signs header 2.2 over 0x78..0x7F, which the ROM does not "
			       "sign: prepare the image again (stm32-prep writes format 2) before anything is signed",
			       ctx);
	if (v1) {
		im->nsegs = 1;
		return read_pair(r, &im->segs[0], ctx, e);
	}
	if (r->n < 1 || r->n > MF_MAX_SEGS)
		return err_set(e, ERR_INPUT, "%s: line %zu: signed must list 1 to %d segments", ctx,
			       r->line, MF_MAX_SEGS);
	im->nsegs = r->n;
	for (size_t i = 0; i < r->n; i++) {
		int rc = read_pair(r->kids[i], &im->segs[i], ctx, e);
		if (rc)
			return rc;
		if (i && im->segs[i].start < im->segs[i - 1].end)
			return err_set(e, ERR_INPUT, "%s: line %zu: signed segments overlap or are out of order",
				       ctx, r->line);
	}
	return 0;
}

/* key: {uri, public_key, index, table_hash}; index and table_hash are
 * required for a header's key and go together when optional (a certificate's
 * key, bound to a key table only when it is the root). */
int mf_read_key(const struct ynode *map, struct mf_image *im, int index_optional, const char *ctx,
		struct err *e)
{
	static const char *const fields[] = { "uri", "index", "public_key", "table_hash", NULL };
	const struct ynode *k = ymap_get(map, "key");
	if (!k)
		return err_set(e, ERR_INPUT, "%s: missing field 'key'", ctx);
	char kctx[256];
	snprintf(kctx, sizeof kctx, "%s: key", ctx);
	int rc;
	if ((rc = ymap_only(k, fields, kctx, e)) ||
	    (rc = yget_str(k, "uri", im->key_uri, sizeof im->key_uri, kctx, e)) ||
	    (rc = yget_hex(k, "public_key", im->key.xy, ecc_xy_len(im->key.algo), kctx, e)))
		return rc;
	int indexed = !index_optional || ymap_get(k, "index") != NULL;
	if (index_optional && !indexed != !ymap_get(k, "table_hash"))
		return err_set(e, ERR_INPUT, "%s: index and table_hash go together", kctx);
	im->has_key_index = index_optional && indexed; /* a certificate's root binding */
	uint64_t idx = 0;
	if (indexed && ((rc = yget_u64(k, "index", 7, &idx, kctx, e)) ||
				  (rc = yget_hex(k, "table_hash", im->table_hash, 32, kctx, e))))
		return rc;
	im->key_index = (uint32_t)idx;
	return 0;
}

static const char *const known_headers[] = { "1.0", "2.0", "2.2", "2.3", NULL };

int mf_read_algorithm(const struct ynode *map, int v1, struct mf_image *im, const char *ctx,
		      struct err *e)
{
	char alg[48], dig[16];
	int rc = yget_str(map, "algorithm", alg, sizeof alg, ctx, e);
	if (rc)
		return rc;
	if (ecc_algo_from_manifest(alg, &im->key.algo))
		return err_set(e, ERR_INPUT, "%s: algorithm '%s' is not ecdsa-p256-sha256, "
					     "ecdsa-brainpoolp256t1-sha256, ecdsa-p384-sha384 or "
					     "ecdsa-brainpoolp384t1-sha384", ctx, alg);
	if (v1)
		return 0;
	if ((rc = yget_str(map, "digest_algorithm", dig, sizeof dig, ctx, e)))
		return rc;
	if (strcmp(dig, ecc_curve(im->key.algo)->digest))
		return err_set(e, ERR_INPUT, "%s: digest_algorithm '%s' does not go with %s (%s)", ctx,
			       dig, alg, ecc_curve(im->key.algo)->digest);
	return 0;
}

static int read_header_fields(const struct ynode *map, int v1, struct mf_image *im,
			      const char *ctx, struct err *e)
{
	uint64_t type, ver, load = 0, entry = 0;
	int rc;
	if ((rc = yget_str(map, "header", im->header, sizeof im->header, ctx, e)) ||
	    (rc = yget_u64(map, "binary_type", 0xFF, &type, ctx, e)) ||
	    (rc = yget_u64(map, "image_version", UINT32_MAX, &ver, ctx, e)))
		return rc;
	if (!v1 && ((rc = yget_u64(map, "load", UINT32_MAX, &load, ctx, e)) ||
		    (rc = yget_u64(map, "entry", UINT32_MAX, &entry, ctx, e))))
		return rc;
	im->binary_type = (uint32_t)type;
	im->image_version = (uint32_t)ver;
	im->has_addresses = !v1;
	im->load = (uint32_t)load;
	im->entry = (uint32_t)entry;
	for (size_t i = 0; known_headers[i]; i++)
		if (!strcmp(im->header, known_headers[i]))
			return 0;
	return err_set(e, ERR_INPUT, "%s: header '%s' is not 1.0, 2.0, 2.2 or 2.3", ctx, im->header);
}

static int read_image(const struct ynode *map, size_t i, const char *name, int version,
		      struct mf_image *im, struct err *e)
{
	int v1 = version == 1;
	static const char *const fields_v2[] = { "id", "file", "file_sha256", "header",
						 "binary_type", "image_version", "load", "entry",
						 "signed", "digest_algorithm", "digest",
						 "algorithm", "key", NULL };
	static const char *const fields_v1[] = { "id", "file", "file_sha256", "header",
						 "binary_type", "image_version", "signed_range",
						 "digest", "algorithm", "key", NULL };
	char ctx[256];
	snprintf(ctx, sizeof ctx, "%s: images[%zu]", name, i);
	memset(im, 0, sizeof *im);
	int rc = yget_str(map, "id", im->id, sizeof im->id, ctx, e);
	if (rc)
		return rc;
	if (!manifest_id_valid(im->id))
		return err_set(e, ERR_INPUT, "%s: id '%s' must be 1-63 of A-Z a-z 0-9 . _ -", ctx, im->id);
	snprintf(ctx, sizeof ctx, "%s: image %s", name, im->id);
	if (ymap_get(map, "kind")) {
		if (version < 3)
			return err_set(e, ERR_INPUT, "%s: 'kind' needs format %s", ctx, MANIFEST_FORMAT_V3);
		return mf_read_cert(map, im, ctx, e);
	}
	if ((rc = ymap_only(map, v1 ? fields_v1 : fields_v2, ctx, e)) ||
	    (rc = yget_str(map, "file", im->file, sizeof im->file, ctx, e)) ||
	    (rc = yget_hex(map, "file_sha256", im->file_sha256, 32, ctx, e)) ||
	    (rc = read_header_fields(map, v1, im, ctx, e)) ||
	    (rc = read_segs(map, v1, im, ctx, e)) ||
	    (rc = mf_read_algorithm(map, v1, im, ctx, e)) ||
	    (rc = yget_hex(map, "digest", im->digest, mf_digest_len(im), ctx, e)) ||
	    (rc = mf_read_key(map, im, 0, ctx, e)))
		return rc;
	return 0;
}

static int parse_root(const struct ynode *root, const char *name, struct manifest *m,
		      struct err *e)
{
	static const char *const fields[] = { "format", "release", "images", NULL };
	static const char *const fields_v3[] = { "format", "release", "images", "fips", NULL };
	char fmt[64];
	int rc;
	if ((rc = yget_str(root, "format", fmt, sizeof fmt, name, e)))
		return rc;
	int version = !strcmp(fmt, MANIFEST_FORMAT_V1) ? 1 : !strcmp(fmt, MANIFEST_FORMAT) ? 2
		      : !strcmp(fmt, MANIFEST_FORMAT_V3) ? 3 : 0;
	if (!version)
		return err_set(e, ERR_INPUT, "%s: format '%s' is not %s (or %s, %s)", name, fmt,
			       MANIFEST_FORMAT, MANIFEST_FORMAT_V1, MANIFEST_FORMAT_V3);
	if ((rc = ymap_only(root, version == 3 ? fields_v3 : fields, name, e)))
		return rc;
	if ((rc = yget_str_opt(root, "release", m->release, sizeof m->release, name, e)))
		return rc;
	const struct ynode *seq = yget_seq(root, "images", name, e);
	if (!seq)
		return e->code;
	for (size_t i = 0; i < seq->n; i++) {
		struct mf_image im;
		if ((rc = read_image(seq->kids[i], i, name, version, &im, e)))
			return rc;
		if ((rc = manifest_add(m, &im, e)))
			return err_prefix(e, "%s", name);
	}
	return version == 3 ? mf_read_fips(root, name, m, e) : 0;
}

int manifest_parse(const uint8_t *buf, size_t len, const char *name, struct manifest *m,
		   struct err *e)
{
	manifest_init(m);
	SHA256(buf, len, m->sha256);
	struct ynode *root = ytree_parse(buf, len, name, e);
	if (!root)
		return e->code;
	int rc = parse_root(root, name, m, e);
	ytree_free(root);
	if (rc)
		manifest_free(m);
	return rc;
}

int manifest_read(const char *path, struct manifest *m, struct err *e)
{
	uint8_t *buf;
	size_t len;
	int rc = file_read_all(path, YTREE_MAX_DOC, &buf, &len, e);
	if (rc)
		return rc;
	rc = manifest_parse(buf, len, path, m, e);
	free(buf);
	return rc;
}
