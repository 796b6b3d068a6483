#include "release.h"

#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/uri.h"
#include "manifest/ytree.h"

struct rctx {
	const char *path;
	char dir[4096];
	const struct ynode *keysets;
	struct release *r;
	struct err *e;
};

static int rel_path(struct rctx *R, const char *ctx, const char *field, const char *name,
		    char *out, size_t outsz)
{
	if (path_join_inside(R->dir, name, out, outsz, R->e))
		return err_prefix(R->e, "%s: %s", ctx, field);
	return 0;
}

/* A named keyset, read (and its keys loaded) the first time an image uses it. */
static int find_keyset(struct rctx *R, const char *name, const char *ctx, struct prep_keyset **out)
{
	struct release *r = R->r;
	for (size_t k = 0; k < r->nkeysets; k++)
		if (!strcmp(r->keyset_names[k], name))
			return *out = &r->keysets[k], 0;
	const struct ynode *set = ymap_get(R->keysets, name);
	if (!set)
		return err_set(R->e, ERR_INPUT, "%s: keyset '%s' is not defined under keysets", ctx, name);
	if (set->type != YN_SEQ || set->n < 1 || set->n > STM32_MAX_KEYS)
		return err_set(R->e, ERR_INPUT, "%s: keyset '%s' must list 1 to 8 public key files (line %zu)",
			       ctx, name, set->line);
	struct prep_keyset *ks = &r->keysets[r->nkeysets];
	for (size_t i = 0; i < set->n; i++) {
		int rc;
		if (set->kids[i]->type != YN_SCALAR)
			return err_set(R->e, ERR_INPUT, "%s: keyset '%s' entry %zu is not a file name",
				       ctx, name, i);
		if ((rc = rel_path(R, ctx, "keyset", set->kids[i]->str, ks->paths[i], sizeof ks->paths[i])))
			return rc;
	}
	ks->n = (uint32_t)set->n;
	if (prep_keyset_load(ks, R->e))
		return err_prefix(R->e, "%s: keyset '%s'", ctx, name);
	snprintf(r->keyset_names[r->nkeysets++], sizeof r->keyset_names[0], "%s", name);
	return *out = ks, 0;
}

static int read_keyset(struct rctx *R, const struct ynode *im, struct prep_spec *s,
		       const char *ctx)
{
	char name[64];
	int rc = yget_str_opt(im, "keyset", name, sizeof name, ctx, R->e);
	if (rc || !name[0])
		return rc;
	if ((rc = find_keyset(R, name, ctx, &s->keyset)))
		return rc;
	uint64_t idx = 0;
	if ((rc = yget_u64(im, "key_index", 7, &idx, ctx, R->e)) ||
	    (rc = yget_str(im, "key_uri", s->key_uri, sizeof s->key_uri, ctx, R->e)))
		return rc;
	s->key_index = (uint32_t)idx;
	if (!uri_known_scheme(s->key_uri))
		return err_set(R->e, ERR_INPUT, "%s: key_uri '%.60s' is not a key URI: " URI_SCHEMES_TEXT, ctx,
			       s->key_uri);
	if (uri_has_pin_value(s->key_uri))
		return err_set(R->e, ERR_INPUT, "%s: key_uri holds pin-value: the manifest would carry the PIN; use pin-source=file:PATH", ctx);
	return 0;
}

static int read_layout(struct rctx *R, const struct ynode *im, struct prep_spec *s,
		       const char *ctx)
{
	char hv[16] = "", soc[32] = "";
	int rc;
	if ((rc = yget_str_opt(im, "header", hv, sizeof hv, ctx, R->e)) ||
	    (rc = yget_str_opt(im, "soc", soc, sizeof soc, ctx, R->e)))
		return rc;
	if (hv[0] && layout_refused_name(hv))
		return err_set(R->e, ERR_INPUT, "%s: %s", ctx, layout_refused_name(hv));
	if (hv[0] && !(s->layout = layout_by_name(hv)))
		return err_set(R->e, ERR_INPUT, "%s: header '%s' is not %s", ctx, hv, layout_names());
	if (soc[0]) {
		const struct stm32_layout *l = layout_by_soc(soc);
		if (!l)
			return err_set(R->e, ERR_INPUT, "%s: soc '%s' is not %s", ctx, soc, layout_soc_names());
		if (s->layout && s->layout != l)
			return err_set(R->e, ERR_INPUT, "%s: soc %s uses header %s, not %s", ctx, soc,
				       l->name, s->layout->name);
		s->layout = l;
	}
	return 0;
}

/* oem_secret: a file relative to the release, or a pkcs11: URI (without a
 * PIN in it); derivation_constant with it and only with it. */
static int read_encryption(struct rctx *R, const struct ynode *im, struct prep_spec *s,
			   const char *ctx)
{
	char src[MF_PATH_MAX > MF_URI_MAX ? MF_PATH_MAX : MF_URI_MAX] = "", path[4096];
	uint64_t dc = UINT64_MAX;
	int rc;
	if ((rc = yget_str_opt(im, "oem_secret", src, sizeof src, ctx, R->e)) ||
	    (rc = yget_u64_opt(im, "derivation_constant", UINT32_MAX, &dc, ctx, R->e)))
		return rc;
	if (!src[0] && dc == UINT64_MAX)
		return 0;
	if (!src[0] || dc == UINT64_MAX)
		return err_set(R->e, ERR_INPUT, "%s: oem_secret and derivation_constant go together (%s is missing)",
			       ctx, src[0] ? "derivation_constant" : "oem_secret");
	if (uri_has_pin_value(src))
		return err_set(R->e, ERR_INPUT, "%s: oem_secret holds pin-value; use pin-source=file:PATH", ctx);
	if (!oem_src_is_pkcs11(src) && (rc = rel_path(R, ctx, "oem_secret", src, path, sizeof path)))
		return rc;
	if (!(s->oem_secret = strdup(oem_src_is_pkcs11(src) ? src : path)))
		return err_set(R->e, ERR_INTERNAL, "out of memory");
	s->dc = (uint32_t)dc;
	if (s->layout && !s->layout->can_decrypt)
		return err_set(R->e, ERR_INPUT, "%s: oem_secret: header %s has no FSBL decryption extension",
			       ctx, s->layout->name);
	return 0;
}

static int opt_u32(struct rctx *R, const struct ynode *im, const char *key, int *has,
		   uint32_t *v, const char *ctx)
{
	uint64_t x = UINT64_MAX;
	int rc = yget_u64_opt(im, key, UINT32_MAX, &x, ctx, R->e);
	if (!rc && x != UINT64_MAX) {
		*has = 1;
		*v = (uint32_t)x;
	}
	return rc;
}

static int read_fields(struct rctx *R, const struct ynode *im, struct prep_spec *s,
		       char *output, const char *ctx)
{
	char input[MF_PATH_MAX], path[4096], type[16] = "";
	int rc, has_align = 0;
	if ((rc = yget_str(im, "input", input, sizeof input, ctx, R->e)) ||
	    (rc = rel_path(R, ctx, "input", input, path, sizeof path)))
		return rc;
	if (!(s->input = strdup(path)))
		return err_set(R->e, ERR_INTERNAL, "out of memory");
	if ((rc = yget_str_opt(im, "output", output, MF_PATH_MAX, ctx, R->e)) ||
	    (rc = read_layout(R, im, s, ctx)) ||
	    (rc = yget_str_opt(im, "type", type, sizeof type, ctx, R->e)) ||
	    (rc = opt_u32(R, im, "load", &s->has_load, &s->load, ctx)) ||
	    (rc = opt_u32(R, im, "entry", &s->has_entry, &s->entry, ctx)) ||
	    (rc = opt_u32(R, im, "image_version", &s->has_version, &s->image_version, ctx)) ||
	    (rc = opt_u32(R, im, "align", &has_align, &s->align, ctx)) ||
	    (rc = opt_u32(R, im, "payload_offset", &s->has_payload_offset, &s->payload_offset, ctx)) ||
	    (rc = read_keyset(R, im, s, ctx)) ||
	    (rc = read_encryption(R, im, s, ctx)))
		return rc;
	if (type[0]) {
		if (stm32_binary_type_parse(type, &s->type))
			return err_set(R->e, ERR_INPUT, "%s: type '%s' is not fsbl, ssbl, teeh, teed, teex, copro, optee, m33 or a number up to 0xff",
				       ctx, type);
		s->has_type = 1;
	}
	if (s->align > 65536)
		return err_set(R->e, ERR_INPUT, "%s: align %u is above 65536", ctx, s->align);
	if (!output[0])
		snprintf(output, MF_PATH_MAX, "%s.prepared.stm32", s->id);
	if (!manifest_file_name_valid(output))
		return err_set(R->e, ERR_INPUT, "%s: output '%s' must be a plain file name (1-200 of A-Z a-z 0-9 . _ + -)",
			       ctx, output);
	return 0;
}

static int read_image(struct rctx *R, const struct ynode *im, size_t i, struct release *r)
{
	static const char *const fields[] = { "id", "input", "output", "header", "soc", "type",
					      "load", "entry", "image_version", "align",
					      "payload_offset", "keyset", "key_index", "key_uri",
					      "oem_secret", "derivation_constant", NULL };
	char ctx[512];
	struct prep_spec *s = &r->specs[i];
	memset(s, 0, sizeof *s);
	snprintf(ctx, sizeof ctx, "%s: images[%zu]", R->path, i);
	int rc = yget_str(im, "id", s->id, sizeof s->id, ctx, R->e);
	if (rc)
		return rc;
	if (!manifest_id_valid(s->id))
		return err_set(R->e, ERR_INPUT, "%s: id '%s' must be 1-63 of A-Z a-z 0-9 . _ -", ctx, s->id);
	snprintf(ctx, sizeof ctx, "%s: image %s", R->path, s->id);
	for (size_t j = 0; j < i; j++)
		if (!strcmp(r->specs[j].id, s->id))
			return err_set(R->e, ERR_INPUT, "%s: duplicate image id (also images[%zu])", ctx, j);
	if ((rc = ymap_only(im, fields, ctx, R->e)) ||
	    (rc = read_fields(R, im, s, r->outputs[i], ctx)))
		return rc;
	for (size_t j = 0; j < i; j++)
		if (!strcmp(r->outputs[j], r->outputs[i]))
			return err_set(R->e, ERR_INPUT, "%s: output '%s' is also images[%zu]'s", ctx,
				       r->outputs[i], j);
	return 0;
}

static int read_root(struct rctx *R, const struct ynode *root, struct release *r)
{
	static const char *const fields[] = { "format", "release", "keysets", "images", "fips", NULL };
	char fmt[64];
	int rc;
	if ((rc = ymap_only(root, fields, R->path, R->e)) ||
	    (rc = yget_str(root, "format", fmt, sizeof fmt, R->path, R->e)))
		return rc;
	if (strcmp(fmt, RELEASE_FORMAT))
		return err_set(R->e, ERR_INPUT, "%s: format '%s' is not %s", R->path, fmt, RELEASE_FORMAT);
	if ((rc = yget_str_opt(root, "release", r->name, sizeof r->name, R->path, R->e)))
		return rc;
	R->keysets = ymap_get(root, "keysets");
	if (R->keysets && R->keysets->type != YN_MAP)
		return err_set(R->e, ERR_INPUT, "%s: keysets must map names to lists of key files", R->path);
	size_t nsets = R->keysets ? R->keysets->n / 2 : 0;
	r->keysets = calloc(nsets ? nsets : 1, sizeof *r->keysets);
	r->keyset_names = calloc(nsets ? nsets : 1, sizeof *r->keyset_names);
	if (!r->keysets || !r->keyset_names)
		return err_set(R->e, ERR_INTERNAL, "out of memory");
	const struct ynode *seq = yget_seq(root, "images", R->path, R->e);
	if (!seq)
		return R->e->code;
	if (seq->n == 0 || seq->n > MANIFEST_MAX_IMAGES)
		return err_set(R->e, ERR_INPUT, "%s: images must list 1 to %d images", R->path,
			       MANIFEST_MAX_IMAGES);
	r->specs = calloc(seq->n, sizeof *r->specs);
	r->outputs = calloc(seq->n, sizeof *r->outputs);
	if (!r->specs || !r->outputs)
		return err_set(R->e, ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < seq->n; i++) {
		r->n = i + 1;
		if ((rc = read_image(R, seq->kids[i], i, r)))
			return rc;
	}
	return release_read_fips(root, R->path, R->dir, r, R->e);
}

int release_parse(const uint8_t *buf, size_t len, const char *path, struct release *r,
		  struct err *e)
{
	memset(r, 0, sizeof *r);
	struct rctx R = { .path = path, .r = r, .e = e };
	path_dirname(path, R.dir, sizeof R.dir);
	struct ynode *root = ytree_parse(buf, len, path, e);
	if (!root)
		return e->code;
	int rc = read_root(&R, root, r);
	ytree_free(root);
	if (rc)
		release_free(r);
	return rc;
}

int release_read(const char *path, struct release *r, struct err *e)
{
	uint8_t *buf;
	size_t len;
	memset(r, 0, sizeof *r);
	int rc = file_read_all(path, YTREE_MAX_DOC, &buf, &len, e);
	if (rc)
		return rc;
	rc = release_parse(buf, len, path, r, e);
	free(buf);
	return rc;
}

void release_free(struct release *r)
{
	for (size_t i = 0; r->specs && i < r->n; i++) {
		free(r->specs[i].input);
		free((char *)r->specs[i].oem_secret);
	}
	free(r->specs);
	for (size_t i = 0; r->fips && i < r->nfips; i++)
		fip_spec_free(&r->fips[i]);
	free(r->fips);
	free(r->keysets);
	free(r->keyset_names);
	free(r->outputs);
	memset(r, 0, sizeof *r);
}
