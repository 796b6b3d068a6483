#include "fip_prep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/num.h"
#include "common/uri.h"
#include "common/vec.h"
#include "image/image.h"
#include "tbbr/cert.h"

#define FIP_IMAGE_MAX (256u << 20)

void stage_init(struct stage *s)
{
	memset(s, 0, sizeof *s);
}

int stage_write(struct stage *s, const char *path, const void *data, size_t len, struct err *e)
{
	size_t cap = s->cap;
	if (vec_grow((void **)&s->tmp, &cap, s->n, sizeof *s->tmp, 4096) ||
	    vec_grow((void **)&s->final, &s->cap, s->n, sizeof *s->final, 4096))
		return err_set(e, ERR_INTERNAL, "out of memory");
	struct atomic_file af;
	atomic_remove_stale(path);
	int rc = atomic_open(&af, path, e);
	if (rc)
		return rc;
	if (fd_write_all(af.fd, data, len)) {
		atomic_abort(&af);
		return err_set(e, ERR_IO, "%s: write failed: %s", path, strerror(errno));
	}
	if ((rc = atomic_close(&af, e))) {
		atomic_abort(&af);
		return rc;
	}
	snprintf(s->tmp[s->n], sizeof s->tmp[0], "%s", af.tmp);
	snprintf(s->final[s->n++], sizeof s->final[0], "%s", path);
	return 0;
}

int stage_commit(struct stage *s, struct err *e)
{
	for (size_t i = 0; i < s->n; i++) {
		struct atomic_file af = { .fd = -1 };
		snprintf(af.path, sizeof af.path, "%s", s->final[i]);
		snprintf(af.tmp, sizeof af.tmp, "%s", s->tmp[i]);
		if (atomic_rename(&af, e))
			return e->code;
		s->tmp[i][0] = '\0';
	}
	return 0;
}

void stage_abort(struct stage *s)
{
	for (size_t i = 0; i < s->n; i++)
		unlink(s->tmp[i][0] ? s->tmp[i] : s->final[i]);
	s->n = 0;
}

void stage_free(struct stage *s)
{
	free(s->tmp);
	free(s->final);
	memset(s, 0, sizeof *s);
}

int fip_parse_key_arg(struct fip_spec *f, const char *arg, struct err *e)
{
	const char *eq = strchr(arg, '='), *comma = eq ? strchr(eq, ',') : NULL;
	char role[32];
	if (!eq || !comma || eq == arg || (size_t)(eq - arg) >= sizeof role)
		return err_set(e, ERR_USAGE, "--key '%s' is not ROLE=PUBKEY.pem,URI", arg);
	snprintf(role, sizeof role, "%.*s", (int)(eq - arg), arg);
	int k = tbbr_key_from_name(role);
	if (k < 0)
		return err_set(e, ERR_USAGE, "--key %s: the role is not root, trusted-world, non-trusted-world, "
			       "tos, nt or soc", role);
	struct fip_key_spec *ks = &f->keys[k];
	if (ks->have)
		return err_set(e, ERR_USAGE, "--key %s is given twice", role);
	if ((size_t)(comma - eq - 1) >= sizeof ks->path || strlen(comma + 1) >= sizeof ks->uri || !comma[1])
		return err_set(e, ERR_USAGE, "--key %s: the key file or URI is empty or too long", role);
	if (!uri_known_scheme(comma + 1))
		return err_set(e, ERR_USAGE, "--key %s: '%.60s' is not a key URI: " URI_SCHEMES_TEXT, role, comma + 1);
	if (uri_has_pin_value(comma + 1))
		return err_set(e, ERR_USAGE, "--key %s: the URI holds pin-value: the manifest would carry the PIN; "
			       "use pin-source=file:PATH", role);
	snprintf(ks->path, sizeof ks->path, "%.*s", (int)(comma - eq - 1), eq + 1);
	snprintf(ks->uri, sizeof ks->uri, "%s", comma + 1);
	ks->have = 1;
	return 0;
}

int fip_parse_image_arg(struct fip_spec *f, const char *arg, struct err *e)
{
	const char *eq = strchr(arg, '=');
	char name[32];
	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof name)
		return err_set(e, ERR_USAGE, "--image '%s' is not NAME=FILE", arg);
	snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
	int i = tbbr_img_from_name(name);
	if (i < 0)
		return err_set(e, ERR_USAGE, "--image %s: not bl31, bl32, bl32-extra1, bl32-extra2, bl33, hw-config, "
			       "fw-config, soc-fw-config, tos-fw-config, nt-fw-config or ddr-fw", name);
	if (f->images[i])
		return err_set(e, ERR_USAGE, "--image %s is given twice", name);
	if (!(f->images[i] = strdup(eq + 1)))
		return err_set(e, ERR_INTERNAL, "out of memory");
	return 0;
}

void fip_spec_free(struct fip_spec *f)
{
	for (int i = 0; i < TBBR_NIMAGES; i++) {
		free(f->images[i]);
		f->images[i] = NULL;
	}
}

int fip_not_before(int64_t *out, struct err *e)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;
	*out = TBBR_DEFAULT_EPOCH;
	if (!sde || !*sde)
		return 0;
	/* notBefore may be any time up to notAfter (9999-12-31) */
	if (num_parse_u64(sde, (uint64_t)TBBR_NOT_AFTER, &v))
		return err_set(e, ERR_USAGE, "SOURCE_DATE_EPOCH '%.20s' is not a number of seconds up to "
			       "9999-12-31 (the certificates' notAfter)", sde);
	*out = (int64_t)v;
	return 0;
}

/* Root: a slot of the FSBL key table. Given: it must be that slot's key;
 * not given: that slot's key, with the URI the caller set. */
static int resolve_root(struct fip_spec *f, struct err *e)
{
	struct fip_key_spec *r = &f->keys[TBBR_KEY_ROOT];
	if (!f->table)
		return 0;
	if (f->slot >= f->table->n)
		return err_set(e, ERR_USAGE, "root key: slot %u is past the %u-key table", f->slot, f->table->n);
	if (!r->have && r->uri[0]) {
		r->key = f->table->keys[f->slot];
		r->have = 1;
		return 0;
	}
	if (r->have && !pubkey_equal(&r->key, &f->table->keys[f->slot]))
		return err_set(e, ERR_VERIFY, "root key %s is not slot %u of the FSBL key table (BL2 takes the root "
			       "key hash from pk_hashes[pk_idx])", r->path, f->slot);
	return 0;
}

static int check_roles(struct fip_spec *f, struct err *e)
{
	for (int k = 0; k < TBBR_NKEYS; k++) {
		int used = tbbr_chain_uses_key(f->chain, (enum tbbr_key)k);
		if (f->keys[k].have && !used)
			return err_set(e, ERR_USAGE, "--key %s: chain %s has no certificate it signs",
				       tbbr_key_name((enum tbbr_key)k), f->chain->name);
		if (!f->keys[k].have && used)
			return err_set(e, ERR_USAGE, "chain %s needs --key %s=PUBKEY.pem,URI", f->chain->name,
				       tbbr_key_name((enum tbbr_key)k));
	}
	for (int i = 0; i < TBBR_NIMAGES; i++) {
		int required, used = tbbr_chain_uses_image(f->chain, (enum tbbr_img)i, &required);
		if (f->images[i] && !used)
			return err_set(e, ERR_USAGE, "--image %s: chain %s has no certificate that hashes it",
				       tbbr_img_name((enum tbbr_img)i), f->chain->name);
		if (!f->images[i] && required)
			return err_set(e, ERR_USAGE, "chain %s needs --image %s=FILE", f->chain->name,
				       tbbr_img_name((enum tbbr_img)i));
	}
	return 0;
}

int fip_spec_resolve(struct fip_spec *f, struct err *e)
{
	for (int k = 0; k < TBBR_NKEYS; k++) {
		struct fip_key_spec *ks = &f->keys[k];
		if (ks->have && ks->path[0] && pubkey_load_file(ks->path, &ks->key, e))
			return err_prefix(e, "--key %s", tbbr_key_name((enum tbbr_key)k));
	}
	int rc = resolve_root(f, e);
	return rc ? rc : check_roles(f, e);
}

/* Hash each image and stage its copy as ID.NAME.bin next to the manifest. */
static int stage_images(const struct fip_spec *f, const char *dir, struct stage *st, struct tbbr_values *v,
			struct mf_fip *mf, struct err *e)
{
	for (int i = 0; i < TBBR_NIMAGES; i++) {
		if (!f->images[i])
			continue;
		uint8_t *buf;
		size_t len;
		char path[4096];
		struct mf_fip_image *fi = &mf->images[mf->nimages++];
		int rc = file_read_all(f->images[i], FIP_IMAGE_MAX, &buf, &len, e);
		if (rc)
			return err_prefix(e, "--image %s", tbbr_img_name((enum tbbr_img)i));
		sha256(buf, len, v->hash[i]);
		v->have_image |= 1u << i;
		memcpy(fi->sha256, v->hash[i], 32);
		snprintf(fi->name, sizeof fi->name, "%s", tbbr_img_name((enum tbbr_img)i));
		snprintf(fi->file, sizeof fi->file, "%s.%s.bin", f->id, tbbr_img_name((enum tbbr_img)i));
		snprintf(path, sizeof path, "%s/%s", dir, fi->file);
		rc = stage_write(st, path, buf, len, e);
		free(buf);
		if (rc)
			return rc;
	}
	return 0;
}

static void cert_entry(const struct fip_spec *f, const struct tbbr_cert *ce, const uint8_t *tbs, size_t len,
		       struct mf_image *im)
{
	const struct fip_key_spec *ks = &f->keys[ce->signer];
	memset(im, 0, sizeof *im);
	im->kind = MF_KIND_TBBR_CERT;
	snprintf(im->id, sizeof im->id, "%s.%s", f->id, ce->name);
	snprintf(im->fip, sizeof im->fip, "%s", f->id);
	snprintf(im->cert, sizeof im->cert, "%s", ce->name);
	snprintf(im->role, sizeof im->role, "%s", tbbr_key_name(ce->signer));
	snprintf(im->file, sizeof im->file, "%s.%s.tbs", f->id, ce->name);
	sha256(tbs, len, im->file_sha256);
	memcpy(im->digest, im->file_sha256, 32);
	snprintf(im->key_uri, sizeof im->key_uri, "%s", ks->uri);
	im->key = ks->key;
	if (ce->signer == TBBR_KEY_ROOT && f->table) {
		struct stm32_image img;
		stm32_init(&img, f->layout);
		if (!stm32_set_keys(&img, f->table->keys, f->table->n, f->slot, NULL)) {
			im->has_key_index = 1;
			im->key_index = f->slot;
			stm32_table_hash(&img, im->table_hash);
		}
	}
}

static int stage_certs(const struct fip_spec *f, const struct tbbr_values *v, const char *dir,
		       struct stage *st, struct manifest *m, struct err *e)
{
	struct tbbr_stamp stamp;
	tbbr_stamp_default(&stamp, f->not_before);
	for (size_t i = 0; i < f->chain->ncerts; i++) {
		const struct tbbr_cert *ce = f->chain->certs[i];
		uint8_t *tbs;
		size_t len;
		struct mf_image im;
		char path[4096];
		int rc = tbbr_tbs_build(ce, v, &stamp, &tbs, &len, e);
		if (rc)
			return err_prefix(e, "FIP %s", f->id);
		cert_entry(f, ce, tbs, len, &im);
		snprintf(path, sizeof path, "%s/%s", dir, im.file);
		rc = stage_write(st, path, tbs, len, e);
		free(tbs);
		if (rc || (rc = manifest_add(m, &im, e)))
			return rc;
	}
	return 0;
}

int prep_fip(const struct fip_spec *f, const char *dir, struct stage *st, struct manifest *m,
	     struct err *e)
{
	struct tbbr_values v;
	struct mf_fip mf;
	memset(&v, 0, sizeof v);
	memset(&mf, 0, sizeof mf);
	snprintf(mf.id, sizeof mf.id, "%s", f->id);
	snprintf(mf.chain, sizeof mf.chain, "%s", f->chain->name);
	snprintf(mf.fsbl, sizeof mf.fsbl, "%s", f->fsbl);
	mf.nv_trusted = v.nv[TBBR_NV_TRUSTED] = f->nv[TBBR_NV_TRUSTED];
	mf.nv_non_trusted = v.nv[TBBR_NV_NON_TRUSTED] = f->nv[TBBR_NV_NON_TRUSTED];
	for (int k = 0; k < TBBR_NKEYS; k++)
		if (f->keys[k].have) {
			v.key[k] = f->keys[k].key;
			v.have_key |= 1u << k;
		}
	int rc = stage_images(f, dir, st, &v, &mf, e);
	if (!rc)
		rc = stage_certs(f, &v, dir, st, m, e);
	if (!rc)
		rc = manifest_add_fip(m, &mf, e);
	return rc;
}
