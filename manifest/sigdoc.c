#include "sigdoc.h"

#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/hex.h"
#include "common/vec.h"
#include "ytree.h"
#include "yout.h"

void sigdoc_init(struct sigdoc *d)
{
	memset(d, 0, sizeof *d);
	d->complete = 1;
}

void sigdoc_free(struct sigdoc *d)
{
	free(d->entries);
	memset(d, 0, sizeof *d);
}

const struct sig_entry *sigdoc_find(const struct sigdoc *d, const char *id)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->entries[i].id, id))
			return &d->entries[i];
	return NULL;
}

int sigdoc_add(struct sigdoc *d, const struct sig_entry *s, struct err *e)
{
	if (sigdoc_find(d, s->id))
		return err_set(e, ERR_INPUT, "duplicate signature for image '%s'", s->id);
	if (vec_grow((void **)&d->entries, &d->cap, d->n, sizeof *d->entries, MANIFEST_MAX_IMAGES))
		return err_set(e, ERR_INPUT, "more than %d signatures, or out of memory", MANIFEST_MAX_IMAGES);
	d->entries[d->n++] = *s;
	return 0;
}

static void write_entry(struct yout *y, const struct sig_entry *s)
{
	char b64[4 * ((ECC_DER_SIG_MAX + 2) / 3) + 1];
	yout_map(y);
	yout_kv(y, "id", s->id);
	yout_kv(y, "algorithm", ecc_manifest_algorithm(s->algo));
	yout_kv_bytes(y, "digest", s->digest, ecc_digest_len(s->algo));
	yout_kv(y, "key_uri", s->key_uri);
	yout_kv(y, "signer", s->signer);
	yout_kv_bytes(y, "public_key", s->public_key, ecc_xy_len(s->algo));
	b64_encode(s->der, s->der_len, b64);
	yout_kv(y, "signature_der", b64);
	yout_kv_bytes(y, "signature", s->raw, ecc_sig_len(s->algo));
	yout_end_map(y);
}

int sigdoc_write(const struct sigdoc *d, const char *path, struct err *e)
{
	struct atomic_file af;
	int rc = atomic_open_stream(&af, path, e);
	if (rc)
		return rc;
	struct yout y;
	yout_open(&y, af.fp, e);
	yout_map(&y);
	yout_kv(&y, "format", SIGDOC_FORMAT);
	yout_kv_bytes(&y, "manifest_sha256", d->manifest_sha256, 32);
	yout_kv_quoted(&y, "release", d->release);
	yout_kv(&y, "complete", d->complete ? "true" : "false");
	yout_key(&y, "signatures");
	yout_seq(&y, 0);
	for (size_t i = 0; i < d->n; i++)
		write_entry(&y, &d->entries[i]);
	yout_end_seq(&y);
	yout_end_map(&y);
	if ((rc = yout_close(&y, e))) {
		atomic_abort(&af);
		return err_prefix(e, "%s", path);
	}
	return atomic_commit(&af, e);
}

int sig_parse_any(const char *text, uint32_t algo, uint8_t *raw, struct err *e)
{
	uint8_t bin[256];
	size_t len = 0;
	size_t n = strlen(text);
	size_t rawlen = ecc_sig_len(algo);
	int is_hex = n % 2 == 0 && strspn(text, "0123456789abcdefABCDEF") == n;
	if (n > 300 || (is_hex ? hex_decode(text, bin, sizeof bin, &len)
			       : b64_decode(text, bin, sizeof bin, &len)))
		return err_set(e, ERR_INPUT, "signature is neither hex nor base64");
	if (len == rawlen && bin[0] != 0x30) {
		memcpy(raw, bin, rawlen);
		return 0;
	}
	/* A raw value starting with 0x30 could be DER: DER is tried first,
	 * and raw is the fallback when it is not valid DER. */
	struct err tmp = { 0 };
	if (!sig_der_to_raw(bin, len, algo, raw, &tmp))
		return 0;
	if (len == rawlen) {
		memcpy(raw, bin, rawlen);
		return 0;
	}
	return err_set(e, ERR_INPUT, "signature: %s", tmp.msg);
}

/* Format 2 names the curve; format 1 was P-256 widths (algorithm 1). */
static int read_entry_algo(const struct ynode *m, int v1, struct sig_entry *s, const char *ctx,
			   struct err *e)
{
	char alg[48];
	s->algo = ECC_P256;
	if (v1)
		return 0;
	int rc = yget_str(m, "algorithm", alg, sizeof alg, ctx, e);
	if (!rc && ecc_algo_from_manifest(alg, &s->algo))
		rc = err_set(e, ERR_INPUT, "%s: algorithm '%s' is not a known ECDSA algorithm", ctx, alg);
	return rc;
}

static int read_entry(const struct ynode *m, size_t i, const char *name, int v1,
		      struct sigdoc *d, struct err *e)
{
	static const char *const fields[] = { "id", "algorithm", "digest", "key_uri", "signer",
					      "public_key", "signature_der", "signature", NULL };
	static const char *const fields_v1[] = { "id", "digest", "key_uri", "signer",
						 "public_key", "signature_der", "signature", NULL };
	struct sig_entry s;
	char ctx[256], der[256] = "", rawtxt[256] = "";
	memset(&s, 0, sizeof s);
	snprintf(ctx, sizeof ctx, "%s: signatures[%zu]", name, i);
	int rc = yget_str(m, "id", s.id, sizeof s.id, ctx, e);
	if (rc)
		return rc;
	snprintf(ctx, sizeof ctx, "%s: image %s", name, s.id);
	if ((rc = ymap_only(m, v1 ? fields_v1 : fields, ctx, e)) ||
	    (rc = read_entry_algo(m, v1, &s, ctx, e)) ||
	    (rc = yget_hex(m, "digest", s.digest, ecc_digest_len(s.algo), ctx, e)) ||
	    (rc = yget_str_opt(m, "key_uri", s.key_uri, sizeof s.key_uri, ctx, e)) ||
	    (rc = yget_str_opt(m, "signer", s.signer, sizeof s.signer, ctx, e)) ||
	    (rc = yget_hex(m, "public_key", s.public_key, ecc_xy_len(s.algo), ctx, e)) ||
	    (rc = yget_str_opt(m, "signature_der", der, sizeof der, ctx, e)) ||
	    (rc = yget_str_opt(m, "signature", rawtxt, sizeof rawtxt, ctx, e)))
		return rc;
	if (!der[0] && !rawtxt[0])
		return err_set(e, ERR_INPUT, "%s: no signature (signature or signature_der)", ctx);
	if ((rc = sig_parse_any(rawtxt[0] ? rawtxt : der, s.algo, s.raw, e)))
		return err_prefix(e, "%s", ctx);
	if (der[0]) {
		uint8_t fromder[ECC_RAW_SIG_MAX];
		if (b64_decode(der, s.der, sizeof s.der, &s.der_len) ||
		    sig_der_to_raw(s.der, s.der_len, s.algo, fromder, e))
			return err_set(e, ERR_INPUT, "%s: signature_der is not base64 DER", ctx);
		if (rawtxt[0] && memcmp(fromder, s.raw, ecc_sig_len(s.algo)))
			return err_set(e, ERR_INPUT, "%s: signature and signature_der disagree", ctx);
	} else if ((rc = sig_raw_to_der(s.raw, s.algo, s.der, sizeof s.der, &s.der_len, e))) {
		return rc;
	}
	return sigdoc_add(d, &s, e) ? err_prefix(e, "%s", name) : 0;
}

static int read_root(const struct ynode *root, const char *name, struct sigdoc *d, struct err *e)
{
	static const char *const fields[] = { "format", "manifest_sha256", "release", "complete",
					      "signatures", NULL };
	char fmt[64], complete[8] = "true";
	int rc;
	if ((rc = ymap_only(root, fields, name, e)) ||
	    (rc = yget_str(root, "format", fmt, sizeof fmt, name, e)))
		return rc;
	int v1 = !strcmp(fmt, SIGDOC_FORMAT_V1);
	if (strcmp(fmt, SIGDOC_FORMAT) && !v1)
		return err_set(e, ERR_INPUT, "%s: format '%s' is not %s", name, fmt, SIGDOC_FORMAT);
	if ((rc = yget_hex(root, "manifest_sha256", d->manifest_sha256, 32, name, e)) ||
	    (rc = yget_str_opt(root, "release", d->release, sizeof d->release, name, e)) ||
	    (rc = yget_str_opt(root, "complete", complete, sizeof complete, name, e)))
		return rc;
	if (strcmp(complete, "true") && strcmp(complete, "false"))
		return err_set(e, ERR_INPUT, "%s: complete must be true or false", name);
	d->complete = !strcmp(complete, "true");
	const struct ynode *seq = yget_seq(root, "signatures", name, e);
	if (!seq)
		return e->code;
	for (size_t i = 0; i < seq->n; i++)
		if ((rc = read_entry(seq->kids[i], i, name, v1, d, e)))
			return rc;
	return 0;
}

int sigdoc_parse(const uint8_t *buf, size_t len, const char *name, struct sigdoc *d, struct err *e)
{
	sigdoc_init(d);
	struct ynode *root = ytree_parse(buf, len, name, e);
	if (!root)
		return e->code;
	int rc = read_root(root, name, d, e);
	ytree_free(root);
	if (rc)
		sigdoc_free(d);
	return rc;
}

int sigdoc_read(const char *path, struct sigdoc *d, struct err *e)
{
	sigdoc_init(d);
	uint8_t *buf;
	size_t len;
	int rc = file_read_all(path, YTREE_MAX_DOC, &buf, &len, e);
	if (rc)
		return rc;
	rc = sigdoc_parse(buf, len, path, d, e);
	free(buf);
	return rc;
}
