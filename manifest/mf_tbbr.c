/* Format 3 of the manifest: TF-A certificate entries (kind: tbbr-cert) and
 * the FIPs they go into. */
#include <stdio.h>
#include <string.h>

#include "mf_internal.h"

#define KIND_TBBR_CERT "tbbr-cert"

void mf_write_cert(struct yout *y, const struct mf_image *im)
{
	yout_map(y);
	yout_kv(y, "id", im->id);
	yout_kv(y, "kind", KIND_TBBR_CERT);
	yout_kv(y, "fip", im->fip);
	yout_kv(y, "certificate", im->cert);
	yout_kv(y, "role", im->role);
	yout_kv(y, "file", im->file);
	yout_kv_bytes(y, "file_sha256", im->file_sha256, 32);
	yout_kv(y, "digest_algorithm", ecc_curve(im->key.algo)->digest);
	yout_kv_bytes(y, "digest", im->digest, mf_digest_len(im));
	yout_kv(y, "algorithm", ecc_manifest_algorithm(im->key.algo));
	yout_key(y, "key");
	yout_map(y);
	yout_kv(y, "uri", im->key_uri);
	if (im->has_key_index)
		yout_kv_u64(y, "index", im->key_index);
	yout_kv_bytes(y, "public_key", im->key.xy, ecc_xy_len(im->key.algo));
	if (im->has_key_index)
		yout_kv_bytes(y, "table_hash", im->table_hash, 32);
	yout_end_map(y);
	yout_end_map(y);
}

static void write_fip(struct yout *y, const struct mf_fip *f)
{
	yout_map(y);
	yout_kv(y, "id", f->id);
	yout_kv(y, "soc", f->soc);
	yout_kv(y, "chain", f->chain);
	if (f->fsbl[0])
		yout_kv(y, "fsbl", f->fsbl);
	yout_kv_u64(y, "nv_trusted", f->nv_trusted);
	yout_kv_u64(y, "nv_non_trusted", f->nv_non_trusted);
	yout_key(y, "images");
	yout_seq(y, 0);
	for (size_t i = 0; i < f->nimages; i++) {
		yout_map(y);
		yout_kv(y, "name", f->images[i].name);
		yout_kv(y, "file", f->images[i].file);
		yout_kv_bytes(y, "sha256", f->images[i].sha256, 32);
		yout_end_map(y);
	}
	yout_end_seq(y);
	yout_end_map(y);
}

void mf_write_fips(struct yout *y, const struct manifest *m)
{
	yout_key(y, "fips");
	yout_seq(y, 0);
	for (size_t i = 0; i < m->nfips; i++)
		write_fip(y, &m->fips[i]);
	yout_end_seq(y);
}

int mf_read_cert(const struct ynode *map, struct mf_image *im, const char *ctx, struct err *e)
{
	static const char *const fields[] = { "id", "kind", "fip", "certificate", "role", "file", "file_sha256",
					      "digest_algorithm", "digest", "algorithm", "key", NULL };
	char kind[32];
	int rc;
	if ((rc = ymap_only(map, fields, ctx, e)) || (rc = yget_str(map, "kind", kind, sizeof kind, ctx, e)))
		return rc;
	if (strcmp(kind, KIND_TBBR_CERT))
		return err_set(e, ERR_INPUT, "%s: kind '%s' is not %s", ctx, kind, KIND_TBBR_CERT);
	im->kind = MF_KIND_TBBR_CERT;
	if ((rc = yget_str(map, "fip", im->fip, sizeof im->fip, ctx, e)) ||
	    (rc = yget_str(map, "certificate", im->cert, sizeof im->cert, ctx, e)) ||
	    (rc = yget_str(map, "role", im->role, sizeof im->role, ctx, e)) ||
	    (rc = yget_str(map, "file", im->file, sizeof im->file, ctx, e)) ||
	    (rc = yget_hex(map, "file_sha256", im->file_sha256, 32, ctx, e)) ||
	    (rc = mf_read_algorithm(map, 0, im, ctx, e)) ||
	    (rc = yget_hex(map, "digest", im->digest, mf_digest_len(im), ctx, e)) ||
	    (rc = mf_read_key(map, im, 1, ctx, e)))
		return rc;
	/* They name output files (CERT.crt, FIP.bin): plain names only. */
	if (!manifest_id_valid(im->fip) || !manifest_id_valid(im->cert) || !manifest_id_valid(im->role))
		return err_set(e, ERR_INPUT, "%s: fip, certificate and role must be 1-63 of A-Z a-z 0-9 . _ -", ctx);
	if (ecc_digest_len(im->key.algo) != 32 || memcmp(im->digest, im->file_sha256, 32))
		return err_set(e, ERR_INPUT, "%s: a TF-A certificate signs SHA-256 of its TBS file: "
			       "digest must equal file_sha256 (ecdsa-with-SHA256)", ctx);
	return 0;
}

static int read_fip_image(const struct ynode *map, struct mf_fip_image *fi, const char *ctx,
			  struct err *e)
{
	static const char *const fields[] = { "name", "file", "sha256", NULL };
	int rc;
	if ((rc = ymap_only(map, fields, ctx, e)) ||
	    (rc = yget_str(map, "name", fi->name, sizeof fi->name, ctx, e)) ||
	    (rc = yget_str(map, "file", fi->file, sizeof fi->file, ctx, e)) ||
	    (rc = yget_hex(map, "sha256", fi->sha256, 32, ctx, e)))
		return rc;
	return 0;
}

/* The SoC names the OTP rule (MP13 and MP15 share a chain, not the rule). */
static int read_soc(const struct ynode *map, struct mf_fip *f, const char *ctx, struct err *e)
{
	if (!ymap_get(map, "soc"))
		return err_set(e, ERR_INPUT, "%s: no soc: the chain alone does not say which OTP rule applies "
			       "(MP13 and MP15 share one); prepare the FIP again with this stm32-prep", ctx);
	int rc = yget_str(map, "soc", f->soc, sizeof f->soc, ctx, e);
	if (!rc && !manifest_id_valid(f->soc))
		rc = err_set(e, ERR_INPUT, "%s: soc must be 1-63 of A-Z a-z 0-9 . _ -", ctx);
	return rc;
}

static int read_fip(const struct ynode *map, size_t i, const char *name, struct mf_fip *f,
		    struct err *e)
{
	static const char *const fields[] = { "id", "soc", "chain", "fsbl", "nv_trusted", "nv_non_trusted",
					      "images", NULL };
	char ctx[256];
	snprintf(ctx, sizeof ctx, "%s: fips[%zu]", name, i);
	memset(f, 0, sizeof *f);
	uint64_t t, nt;
	int rc;
	if ((rc = ymap_only(map, fields, ctx, e)) || (rc = yget_str(map, "id", f->id, sizeof f->id, ctx, e)) ||
	    (rc = read_soc(map, f, ctx, e)) || (rc = yget_str(map, "chain", f->chain, sizeof f->chain, ctx, e)) ||
	    (rc = yget_str_opt(map, "fsbl", f->fsbl, sizeof f->fsbl, ctx, e)) ||
	    (rc = yget_u64(map, "nv_trusted", UINT32_MAX, &t, ctx, e)) ||
	    (rc = yget_u64(map, "nv_non_trusted", UINT32_MAX, &nt, ctx, e)))
		return rc;
	if (!manifest_id_valid(f->id) || !manifest_id_valid(f->chain) || (f->fsbl[0] && !manifest_id_valid(f->fsbl)))
		return err_set(e, ERR_INPUT, "%s: id, chain and fsbl must be 1-63 of A-Z a-z 0-9 . _ -", ctx);
	f->nv_trusted = (uint32_t)t;
	f->nv_non_trusted = (uint32_t)nt;
	const struct ynode *seq = yget_seq(map, "images", ctx, e);
	if (!seq)
		return e->code;
	if (seq->n > MF_FIP_MAX_IMAGES)
		return err_set(e, ERR_INPUT, "%s: more than %d images", ctx, MF_FIP_MAX_IMAGES);
	for (size_t j = 0; j < seq->n; j++)
		if ((rc = read_fip_image(seq->kids[j], &f->images[j], ctx, e)))
			return rc;
	f->nimages = seq->n;
	return 0;
}

int mf_read_fips(const struct ynode *root, const char *name, struct manifest *m, struct err *e)
{
	if (!ymap_get(root, "fips"))
		return 0;
	const struct ynode *seq = yget_seq(root, "fips", name, e);
	if (!seq)
		return e->code;
	for (size_t i = 0; i < seq->n; i++) {
		struct mf_fip f;
		int rc = read_fip(seq->kids[i], i, name, &f, e);
		if (rc || (rc = manifest_add_fip(m, &f, e)))
			return rc;
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->images[i].kind == MF_KIND_TBBR_CERT && !manifest_find_fip(m, m->images[i].fip))
			return err_set(e, ERR_INPUT, "%s: image %s: FIP '%s' is not in fips", name, m->images[i].id,
				       m->images[i].fip);
	return 0;
}
