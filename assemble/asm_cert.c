/* stm32-assemble for TF-A certificates: each certificate from its TBS and
 * its signature, then each FIP's chain checked as BL2 will check it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "common/fileio.h"
#include "tbbr/cert.h"
#include "tbbr/chain.h"
#include "tbbr/fip.h"

#define TBS_MAX 0x8000u
#define FIP_IMAGE_MAX (256u << 20)

int asm_cert_output(const char *dir, const struct mf_image *im, char *out, size_t n)
{
	if (!strcmp(im->fip, "fip"))
		return snprintf(out, n, "%s/%s.crt", dir, im->cert) >= (int)n;
	return snprintf(out, n, "%s/%s.%s.crt", dir, im->fip, im->cert) >= (int)n;
}

static int write_temp(struct asm_item *it, const uint8_t *data, size_t len, struct err *e)
{
	atomic_remove_stale(it->output);
	int rc = atomic_open(&it->af, it->output, e);
	if (rc)
		return rc;
	if (fd_write_all(it->af.fd, data, len))
		rc = err_set(e, ERR_IO, "%s: write failed: %s", it->output, strerror(errno));
	if (!rc)
		rc = atomic_close(&it->af, e);
	if (rc)
		atomic_abort(&it->af);
	return rc;
}

int asm_build_cert(struct asm_item *it, struct err *e)
{
	const struct mf_image *im = it->im;
	uint8_t *tbs, h[32], der[ECC_DER_SIG_MAX];
	size_t len, dlen;
	int rc = file_read_all(it->input, TBS_MAX, &tbs, &len, e);
	if (rc)
		return err_prefix(e, "image %s", im->id);
	sha256(tbs, len, h);
	if (memcmp(h, im->file_sha256, 32))
		rc = err_set(e, ERR_VERIFY, "image %s: check file: %s changed since stm32-prep", im->id, it->input);
	/* The signer records r || s (verified); the certificate carries its DER. */
	if (!rc && (rc = sig_raw_to_der(it->sig->raw, it->sig->algo, der, sizeof der, &dlen, e)))
		err_prefix(e, "image %s: signature", im->id);
	if (!rc)
		rc = tbbr_cert_wrap(tbs, len, der, dlen, &it->cert, &it->cert_len, e);
	free(tbs);
	if (!rc)
		rc = write_temp(it, it->cert, it->cert_len, e);
	return rc ? err_prefix(e, "certificate %s", im->cert), e->code : 0;
}

static struct asm_item *find_item(struct asm_item *items, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(items[i].im->id, id))
			return &items[i];
	return NULL;
}

static int add_certs(struct asm_item *items, size_t n, const struct mf_fip *f, struct tbbr_check *k,
		     struct err *e)
{
	for (size_t i = 0; i < k->chain->ncerts; i++) {
		char id[2 * MF_ID_MAX];
		snprintf(id, sizeof id, "%s.%s", f->id, k->chain->certs[i]->name);
		struct asm_item *it = find_item(items, n, id);
		if (!it || it->im->kind != MF_KIND_TBBR_CERT)
			return err_set(e, ERR_INPUT, "certificate %s: not in the manifest", k->chain->certs[i]->name);
		if (!it->ok)
			return err_set(e, ERR_VERIFY, "certificate %s failed: the FIP is not built", it->im->cert);
		k->der[i] = it->cert;
		k->len[i] = it->cert_len;
		if (k->chain->certs[i]->signer == TBBR_KEY_ROOT)
			k->root_key = &it->im->key;
	}
	return 0;
}

/* Each image read (it goes into the FIP), checked against the manifest and hashed. */
static int read_images(const struct mf_fip *f, const char *mdir, uint8_t **data, size_t *len,
		       struct tbbr_check *k, struct err *e)
{
	for (size_t i = 0; i < f->nimages; i++) {
		const struct mf_fip_image *fi = &f->images[i];
		char path[4096];
		int img = tbbr_img_from_name(fi->name), rc;
		if (img < 0)
			return err_set(e, ERR_INPUT, "image %s: not an image TF-A's certificates hash", fi->name);
		if ((rc = path_join_inside(mdir, fi->file, path, sizeof path, e)) ||
		    (rc = file_read_all(path, FIP_IMAGE_MAX, &data[i], &len[i], e)))
			return err_prefix(e, "image %s", fi->name);
		sha256(data[i], len[i], k->hash[img]);
		if (memcmp(k->hash[img], fi->sha256, 32))
			return err_set(e, ERR_VERIFY, "image %s: check file: %s changed since stm32-prep", fi->name, path);
		k->have_image |= 1u << img;
	}
	return 0;
}

/* The root key's source: the release's FSBL (verified here); without one, the
 * table hash the manifest recorded, or the OTP alone (MP15). */
static int root_source(struct asm_item *items, size_t n, const struct mf_fip *f, const struct asm_opts *o,
		       struct tbbr_check *k, struct err *e)
{
	if (f->fsbl[0]) {
		struct asm_item *fs = find_item(items, n, f->fsbl);
		if (!fs || fs->im->kind != MF_KIND_STM32)
			return err_set(e, ERR_INPUT, "fsbl %s: not an image of the manifest", f->fsbl);
		if (!fs->ok || !fs->has_img)
			return err_set(e, ERR_VERIFY, "fsbl %s failed: its key table cannot vouch for the root key", f->fsbl);
		k->fsbl = &fs->img;
		k->otp = o->has_otp ? o->otp : fs->im->table_hash;
		return 0;
	}
	/* Prepared against an FSBL key table (stm32-prep fip --pubkey ... --key-index):
	 * the slot was checked there; here its table hash against --otp. */
	for (size_t i = 0; i < n; i++) {
		const struct mf_image *im = items[i].im;
		if (im->kind != MF_KIND_TBBR_CERT || strcmp(im->fip, f->id) || !im->has_key_index)
			continue;
		if (o->has_otp && memcmp(im->table_hash, o->otp, 32))
			return err_set(e, ERR_VERIFY, "certificate %s: the root key's FSBL key table (slot %u) hashes to "
				       "another value than the OTP", im->cert, im->key_index);
		return 0;
	}
	k->otp = o->has_otp ? o->otp : NULL; /* the root key alone: SHA-256(X || Y) (MP15) */
	return 0;
}

static int cert_uuid(const struct tbbr_cert *ce, uint8_t uuid[FIP_UUID_LEN])
{
	return ce->fip_name ? fip_name_uuid(ce->fip_name, uuid) : fip_uuid_parse(ce->fip_uuid, uuid);
}

/* The FIP as fiptool lays it out: the certificates and the images (not the
 * DDR firmware: tbbr_img_packed), in fiptool's order (the cfg certificate
 * after its table). */
static int pack(const struct tbbr_check *k, const struct mf_fip *f, uint8_t **data, const size_t *len,
		struct asm_item *fit, struct err *e)
{
	struct fip_entry v[TBBR_MAX_CERTS + MF_FIP_MAX_IMAGES];
	size_t n = 0;
	memset(v, 0, sizeof v);
	for (size_t i = 0; i < k->chain->ncerts; i++, n++) {
		if (cert_uuid(k->chain->certs[i], v[n].uuid))
			return err_set(e, ERR_INTERNAL, "no FIP UUID for %s", k->chain->certs[i]->name);
		v[n].data = k->der[i];
		v[n].len = k->len[i];
	}
	for (size_t i = 0; i < f->nimages; i++, n++) {
		enum tbbr_img img = (enum tbbr_img)tbbr_img_from_name(f->images[i].name);
		const char *name = tbbr_img_fip_name(img);
		if (!tbbr_img_packed(img)) {
			n--;
			continue;
		}
		if (!name || fip_name_uuid(name, v[n].uuid))
			return err_set(e, ERR_INTERNAL, "no FIP UUID for %s", f->images[i].name);
		v[n].data = data[i];
		v[n].len = len[i];
	}
	fip_sort_as_fiptool(v, n);
	struct buf out;
	buf_init(&out, (size_t)FIP_IMAGE_MAX * 2);
	int rc = fip_build(v, n, &out, e);
	if (!rc)
		rc = write_temp(fit, (const uint8_t *)buf_cstr(&out), buf_len(&out), e);
	buf_free(&out);
	return rc;
}

int asm_fip(struct asm_item *items, size_t n, struct asm_item *fit, const struct mf_fip *f,
	    const struct asm_opts *o, const char *mdir, struct err *e)
{
	struct tbbr_check k;
	uint8_t *data[MF_FIP_MAX_IMAGES] = { 0 };
	size_t len[MF_FIP_MAX_IMAGES] = { 0 };
	memset(&k, 0, sizeof k);
	if (!(k.chain = tbbr_chain_find(f->chain)))
		return err_set(e, ERR_INPUT, "FIP %s: chain '%s' is not stm32mp1, stm32mp2 or tbbr", f->id, f->chain);
	k.has_nv = 1;
	k.nv[TBBR_NV_TRUSTED] = f->nv_trusted;
	k.nv[TBBR_NV_NON_TRUSTED] = f->nv_non_trusted;
	int rc = add_certs(items, n, f, &k, e);
	if (!rc)
		rc = read_images(f, mdir, data, len, &k, e);
	if (!rc)
		rc = root_source(items, n, f, o, &k, e);
	if (!rc)
		rc = tbbr_chain_check(&k, e);
	if (!rc)
		rc = pack(&k, f, data, len, fit, e);
	for (size_t i = 0; i < MF_FIP_MAX_IMAGES; i++)
		free(data[i]);
	return rc ? err_prefix(e, "FIP %s", f->id), e->code : 0;
}
