/* The fips: list of a release file: per FIP its chip, the FSBL of the same
 * release whose key table holds the root key, NV counters, the keys of the
 * other roles and the images (paths relative to the release file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/uri.h"
#include "release.h"

static int read_keys(const struct ynode *map, const char *dir, struct fip_spec *f, const char *ctx,
		     struct err *e)
{
	const struct ynode *keys = ymap_get(map, "keys");
	static const char *const fields[] = { "pubkey", "uri", NULL };
	if (!keys)
		return 0;
	if (keys->type != YN_MAP)
		return err_set(e, ERR_INPUT, "%s: line %zu: keys must map roles to {pubkey, uri}", ctx, keys->line);
	for (size_t i = 0; i + 1 < keys->n; i += 2) {
		const char *role = keys->kids[i]->str;
		const struct ynode *k = keys->kids[i + 1];
		int r = tbbr_key_from_name(role);
		char kctx[600], file[MF_PATH_MAX];
		snprintf(kctx, sizeof kctx, "%s: keys: %s", ctx, role);
		if (r < 0)
			return err_set(e, ERR_INPUT, "%s: not root, trusted-world, non-trusted-world, tos, nt or soc", kctx);
		struct fip_key_spec *ks = &f->keys[r];
		int rc;
		if (k->type != YN_MAP || (rc = ymap_only(k, fields, kctx, e)))
			return k->type != YN_MAP ? err_set(e, ERR_INPUT, "%s: must be {pubkey, uri}", kctx) : rc;
		if ((rc = yget_str(k, "pubkey", file, sizeof file, kctx, e)) ||
		    (rc = yget_str(k, "uri", ks->uri, sizeof ks->uri, kctx, e)))
			return rc;
		if (!uri_known_scheme(ks->uri))
			return err_set(e, ERR_INPUT, "%s: uri '%.60s' is not a key URI: " URI_SCHEMES_TEXT, kctx, ks->uri);
		if (uri_has_pin_value(ks->uri))
			return err_set(e, ERR_INPUT, "%s: uri holds pin-value; use pin-source=file:PATH", kctx);
		if (path_join_inside(dir, file, ks->path, sizeof ks->path, e))
			return err_prefix(e, "%s: pubkey", kctx);
		ks->have = 1;
	}
	return 0;
}

static int read_images(const struct ynode *map, const char *dir, struct fip_spec *f, const char *ctx,
		       struct err *e)
{
	const struct ynode *imgs = ymap_get(map, "images");
	if (!imgs || imgs->type != YN_MAP)
		return err_set(e, ERR_INPUT, "%s: images must map names (bl32, bl33, ...) to files", ctx);
	for (size_t i = 0; i + 1 < imgs->n; i += 2) {
		const char *name = imgs->kids[i]->str;
		const struct ynode *v = imgs->kids[i + 1];
		int img = tbbr_img_from_name(name);
		char path[4096];
		if (img < 0)
			return err_set(e, ERR_INPUT, "%s: images: '%s' is not bl31, bl32, bl32-extra1, bl32-extra2, bl33, "
				       "hw-config, fw-config, soc-fw-config, tos-fw-config, nt-fw-config or ddr-fw", ctx, name);
		if (v->type != YN_SCALAR)
			return err_set(e, ERR_INPUT, "%s: images: %s must be a file name", ctx, name);
		if (path_join_inside(dir, v->str, path, sizeof path, e))
			return err_prefix(e, "%s: images: %s", ctx, name);
		if (!(f->images[img] = strdup(path)))
			return err_set(e, ERR_INTERNAL, "out of memory");
	}
	return 0;
}

static int read_counters(const struct ynode *map, struct fip_spec *f, const char *ctx, struct err *e)
{
	uint64_t both = UINT64_MAX, t = UINT64_MAX, nt = UINT64_MAX;
	int rc;
	if ((rc = yget_u64_opt(map, "nv_counter", UINT32_MAX, &both, ctx, e)) ||
	    (rc = yget_u64_opt(map, "nv_trusted", UINT32_MAX, &t, ctx, e)) ||
	    (rc = yget_u64_opt(map, "nv_non_trusted", UINT32_MAX, &nt, ctx, e)))
		return rc;
	if (both == UINT64_MAX && (t == UINT64_MAX || nt == UINT64_MAX))
		return err_set(e, ERR_INPUT, "%s: needs nv_counter (or nv_trusted and nv_non_trusted)", ctx);
	f->nv[TBBR_NV_TRUSTED] = (uint32_t)(t != UINT64_MAX ? t : both);
	f->nv[TBBR_NV_NON_TRUSTED] = (uint32_t)(nt != UINT64_MAX ? nt : both);
	return 0;
}

static int read_fip(const struct ynode *map, size_t i, const char *path, const char *dir, struct fip_spec *f,
		    struct err *e)
{
	static const char *const fields[] = { "id", "soc", "fsbl", "nv_counter", "nv_trusted", "nv_non_trusted",
					      "keys", "images", NULL };
	char ctx[512], soc[32];
	snprintf(ctx, sizeof ctx, "%s: fips[%zu]", path, i);
	int rc;
	if ((rc = ymap_only(map, fields, ctx, e)) || (rc = yget_str(map, "id", f->id, sizeof f->id, ctx, e)))
		return rc;
	if (!manifest_id_valid(f->id))
		return err_set(e, ERR_INPUT, "%s: id '%s' must be 1-63 of A-Z a-z 0-9 . _ -", ctx, f->id);
	snprintf(ctx, sizeof ctx, "%s: fip %s", path, f->id);
	if ((rc = yget_str(map, "soc", soc, sizeof soc, ctx, e)) ||
	    (rc = yget_str_opt(map, "fsbl", f->fsbl, sizeof f->fsbl, ctx, e)))
		return rc;
	if (!(f->chain = tbbr_chain_find(soc)))
		return err_set(e, ERR_INPUT, "%s: soc '%s' is not stm32mp13, stm32mp15, stm32mp21, stm32mp23 or stm32mp25",
			       ctx, soc);
	if ((rc = read_counters(map, f, ctx, e)) || (rc = read_keys(map, dir, f, ctx, e)) ||
	    (rc = read_images(map, dir, f, ctx, e)))
		return rc;
	if (!f->fsbl[0] && !f->keys[TBBR_KEY_ROOT].have)
		return err_set(e, ERR_INPUT, "%s: needs fsbl (the image whose key table holds the root key) or keys: root",
			       ctx);
	return 0;
}

int release_read_fips(const struct ynode *root, const char *path, const char *dir, struct release *r,
		      struct err *e)
{
	const struct ynode *seq = ymap_get(root, "fips");
	if (!seq)
		return 0;
	if (!(seq = yget_seq(root, "fips", path, e)))
		return e->code;
	if (seq->n > MANIFEST_MAX_FIPS)
		return err_set(e, ERR_INPUT, "%s: more than %d fips", path, MANIFEST_MAX_FIPS);
	if (!(r->fips = calloc(seq->n ? seq->n : 1, sizeof *r->fips)))
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < seq->n; i++) {
		r->nfips = i + 1;
		int rc = read_fip(seq->kids[i], i, path, dir, &r->fips[i], e);
		if (rc)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->fips[j].id, r->fips[i].id))
				return err_set(e, ERR_INPUT, "%s: fip %s: duplicate id", path, r->fips[i].id);
	}
	return 0;
}
