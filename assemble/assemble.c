#include "assemble.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "image/digest.h"

int asm_check_documents(const struct manifest *m, const struct sigdoc *d, const char *mpath,
			const char *spath, struct err *e)
{
	char want[65], got[65];
	if (memcmp(d->manifest_sha256, m->sha256, 32)) {
		hex_encode(m->sha256, 32, want);
		hex_encode(d->manifest_sha256, 32, got);
		return err_set(e, ERR_VERIFY,
			       "%s answers another manifest: manifest_sha256 %s, but %s has SHA-256 %s",
			       spath, got, mpath, want);
	}
	if (!d->complete)
		return err_set(e, ERR_VERIFY, "%s is incomplete (an interrupted signing run): "
					      "finish it with kms-sign-digest --resume", spath);
	for (size_t i = 0; i < d->n; i++)
		if (!manifest_find(m, d->entries[i].id))
			return err_set(e, ERR_VERIFY, "%s: image %s is not in the manifest %s", spath,
				       d->entries[i].id, mpath);
	for (size_t i = 0; i < m->n; i++)
		if (!sigdoc_find(d, m->images[i].id))
			return err_set(e, ERR_VERIFY, "image %s: no signature in %s", m->images[i].id, spath);
	return 0;
}

static int file_sha256_path(const char *path, uint8_t out[32], struct err *e)
{
	int fd;
	uint64_t size;
	int rc = file_open_regular(path, &fd, &size, e);
	if (rc)
		return rc;
	rc = file_range_sha256(fd, 0, size, out, e);
	close(fd);
	return rc;
}

int asm_check_bindings(struct asm_item *it, const char *mdir, struct err *e)
{
	const struct mf_image *im = it->im;
	const struct sig_entry *s = it->sig;
	if (s->algo != im->key.algo || memcmp(s->digest, im->digest, mf_digest_len(im)))
		return err_set(e, ERR_VERIFY, "image %s: check digest: the signature is for another digest",
			       im->id);
	if (memcmp(s->public_key, im->key.xy, ecc_xy_len(im->key.algo)))
		return err_set(e, ERR_VERIFY, "image %s: check key: signed by another key than the manifest's",
			       im->id);
	if (ecdsa_verify_digest(&im->key, im->digest, s->raw, NULL))
		return err_set(e, ERR_VERIFY,
			       "image %s: check signature: does not verify over the manifest's digest with its key",
			       im->id);
	if (path_join_inside(mdir, im->file, it->input, sizeof it->input, e))
		return err_prefix(e, "image %s: file", im->id);
	uint8_t sha[32];
	int rc = file_sha256_path(it->input, sha, e);
	if (rc)
		return err_prefix(e, "image %s", im->id);
	if (memcmp(sha, im->file_sha256, 32))
		return err_set(e, ERR_VERIFY,
			       "image %s: check file: %s changed since stm32-prep (SHA-256 differs from the manifest)",
			       im->id, it->input);
	return 0;
}

static int copy_with_signature(int in, int out, const uint8_t *sig, size_t siglen, uint64_t size,
			       struct err *e)
{
	uint8_t *buf = malloc(STREAM_CHUNK);
	if (!buf)
		return err_set(e, ERR_INTERNAL, "out of memory");
	uint64_t off = 0;
	int rc = 0;
	while (off < size && !rc) {
		size_t want = size - off < STREAM_CHUNK ? (size_t)(size - off) : STREAM_CHUNK;
		long n = fd_read_full(in, buf, want);
		if (n != (long)want) {
			rc = err_set(e, ERR_IO, "read failed");
			break;
		}
		if (off == 0 && want >= OFF_SIGNATURE + siglen)
			memcpy(buf + OFF_SIGNATURE, sig, siglen);
		if (fd_write_all(out, buf, want))
			rc = err_set(e, ERR_IO, "write failed: %s", strerror(errno));
		off += want;
	}
	free(buf);
	return rc;
}

/* One manifest field against the header: named when it differs. */
static int field(const char *id, const char *name, uint64_t file, uint64_t mf, struct err *e)
{
	if (file == mf)
		return 0;
	return err_set(e, ERR_VERIFY, "image %s: check %s: the file has 0x%llx, the manifest 0x%llx",
		       id, name, (unsigned long long)file, (unsigned long long)mf);
}

static int check_segments(const struct mf_image *im, const struct stm32_image *img, struct err *e)
{
	struct seg segs[STM32_MAX_SEGS];
	size_t n = stm32_signed_segments(img, segs);
	int same = n == im->nsegs;
	for (size_t i = 0; same && i < n; i++)
		same = segs[i].start == im->segs[i].start && segs[i].end == im->segs[i].end;
	if (same)
		return 0;
	char text[128];
	return err_set(e, ERR_VERIFY, "image %s: check signed segments: the header signs %s, the manifest says otherwise",
		       im->id, segs_text(segs, n, text, sizeof text));
}

/* Every claim of the manifest (what the operator reviewed) must hold in the file. */
static int check_header(const struct asm_item *it, const struct stm32_image *img, struct err *e)
{
	const struct mf_image *im = it->im;
	uint8_t th[32];
	int rc;
	if (strcmp(img->layout->name, im->header))
		return err_set(e, ERR_VERIFY, "image %s: check header: file is v%s, manifest says %s", im->id,
			       img->layout->name, im->header);
	if (!img->has_auth)
		return err_set(e, ERR_VERIFY, "image %s: check key: the header has no key table", im->id);
	if ((rc = field(im->id, "binary type", img->binary_type, im->binary_type, e)) ||
	    (rc = field(im->id, "image version", img->image_version, im->image_version, e)) ||
	    (im->has_addresses && (rc = field(im->id, "load address", img->load, im->load, e))) ||
	    (im->has_addresses && (rc = field(im->id, "entry point", img->entry, im->entry, e))) ||
	    (rc = field(im->id, "key index", img->pk_idx, im->key_index, e)))
		return rc;
	if (!pubkey_equal(&img->key, &im->key))
		return err_set(e, ERR_VERIFY, "image %s: check public key: the header embeds another key than the manifest's",
			       im->id);
	stm32_table_hash(img, th);
	if (memcmp(th, im->table_hash, 32))
		return err_set(e, ERR_VERIFY, "image %s: check table hash: the header's key table hashes to "
			       "another OTP value than the manifest's", im->id);
	return check_segments(im, img, e);
}

static int check_digest(const struct mf_image *im, const struct image_sums *sums, struct err *e)
{
	if (sums->digest_len == mf_digest_len(im) && !memcmp(sums->digest, im->digest, sums->digest_len))
		return 0;
	return err_set(e, ERR_VERIFY, "image %s: check digest: the file's signed bytes do not hash to the manifest's digest",
		       im->id);
}

/* Verify the finished temp file from its bytes alone, in the ROM's order. */
static int verify_output(struct asm_item *it, const struct asm_opts *o, struct err *e)
{
	struct image_file f;
	struct image_sums sums;
	int rc = image_file_open(it->af.tmp, &f, e);
	if (rc)
		return err_prefix(e, "image %s: finished image", it->im->id);
	it->encrypted = f.img.has_decrypt;
	it->dc = f.img.dec_dc;
	if (!(rc = check_header(it, &f.img, e)) && !(rc = stm32_file_sums(f.fd, &f.img, f.hdr, &sums, e)) &&
	    !(rc = check_digest(it->im, &sums, e))) {
		stm32_rom_verify(&f.img, &sums, o->has_otp ? o->otp : it->im->table_hash, &it->verdict);
		if (!it->verdict.ok)
			rc = err_set(e, ERR_VERIFY, "image %s: check %s: %s", it->im->id,
				     rom_check_name(it->verdict.first_failed),
				     it->verdict.msg[it->verdict.first_failed]);
		it->img = f.img;
		it->has_img = it->verdict.ok;
	}
	image_file_close(&f);
	return rc;
}

int asm_build(struct asm_item *it, const struct asm_opts *o, struct err *e)
{
	int in = open(it->input, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (in < 0 || fstat(in, &st)) {
		if (in >= 0)
			close(in);
		return err_set(e, ERR_IO, "image %s: %s: %s", it->im->id, it->input, strerror(errno));
	}
	atomic_remove_stale(it->output);
	int rc = atomic_open(&it->af, it->output, e);
	if (!rc && (rc = copy_with_signature(in, it->af.fd, it->sig->raw, ecc_sig_len(it->sig->algo),
					     (uint64_t)st.st_size, e)))
		err_prefix(e, "image %s: %s", it->im->id, it->output);
	close(in);
	if (!rc)
		rc = atomic_close(&it->af, e);
	if (!rc)
		rc = verify_output(it, o, e);
	if (rc)
		atomic_abort(&it->af);
	return rc;
}
