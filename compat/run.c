/* One process, the two-phase code: prepare into a private temporary
 * directory, sign the digest, then inject and verify with the assembler's own
 * checks. The header bytes are those stm32-prep writes for the same inputs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assemble/assemble.h"
#include "common/fileio.h"
#include "common/uri.h"
#include "compat.h"
#include "sign/engine.h"

static int fail(const struct err *e)
{
	fprintf(stderr, "stm32-sign-compat: %s\n", e->msg);
	return e->code ? (int)e->code : ERR_INTERNAL;
}

static void default_output(struct compat_opts *o, char *buf, size_t n)
{
	if (o->output)
		return;
	const char *in = o->spec.input;
	const char *dot = strrchr(in, '.');
	const char *slash = strrchr(in, '/');
	int stem = dot && (!slash || dot > slash) ? (int)(dot - in) : (int)strlen(in);
	snprintf(buf, n, "%.*s_Signed.stm32", stem, in);
	o->output = buf;
}

/* Which table entry is the signing key: as ST's tool, match its public key. */
static int key_index(const struct compat_opts *o, const struct keystore *ks, uint32_t *idx,
		     struct err *e)
{
	int rc = prep_keyset_load(o->spec.keyset, e);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < o->keyset.n; i++)
		if (pubkey_equal(&o->keyset.keys[i], &ks->pub)) {
			*idx = i;
			return 0;
		}
	char fp[17];
	pubkey_fingerprint(&ks->pub, fp);
	return err_set(e, ERR_VERIFY, "the private key (%s, fingerprint %s) is none of the %u --public-key files",
		       ks->signer, fp, o->keyset.n);
}

static int check_flags(const struct compat_opts *o, const struct stm32_image *img, struct err *e)
{
	if (!o->has_flags || o->flags == img->flags)
		return 0;
	if ((o->flags & FLAG_DECRYPT) && !img->has_decrypt)
		return err_set(e, ERR_USAGE,
			       "--option-flags 0x%08x ask for FSBL decryption: give --enc-key FILE and --enc-dc N",
			       o->flags);
	return err_set(e, ERR_USAGE, "--option-flags 0x%08x differ from the header's 0x%08x", o->flags,
		       img->flags);
}

/* The library's warning (a 32-byte OEM secret), then the flags check. */
static int prepared(const struct compat_opts *o, const struct prep_result *r, struct err *e)
{
	if (r->warn[0] && !o->silent)
		fprintf(stderr, "stm32-sign-compat: warning: %s\n", r->warn);
	return check_flags(o, &r->img, e);
}

static int prepare_unsigned(struct compat_opts *o, struct err *e)
{
	struct atomic_file af;
	struct prep_result r;
	int rc = atomic_open(&af, o->output, e);
	if (!rc && !(rc = prep_image(&o->spec, &af, &r, e)) && !(rc = prepared(o, &r, e)))
		rc = atomic_commit(&af, e);
	if (rc)
		atomic_abort(&af);
	return rc;
}

struct session {
	char tmpdir[PATH_MAX];
	struct keystore ks;
	struct mf_image im;
	struct sig_entry sig;
};

static int prepare_into(struct compat_opts *o, struct session *s, struct err *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	path_dirname(o->output, dir, sizeof dir);
	snprintf(s->tmpdir, sizeof s->tmpdir, "%s/.stm32-sign-compat.XXXXXX", dir);
	if (!mkdtemp(s->tmpdir))
		return err_set(e, ERR_IO, "%s: cannot create a temporary directory: %s", dir, strerror(errno));
	snprintf(path, sizeof path, "%s/prepared.stm32", s->tmpdir);
	struct atomic_file af;
	struct prep_result r;
	int rc = atomic_open(&af, path, e);
	if (!rc && !(rc = prep_image(&o->spec, &af, &r, e)) && !(rc = prepared(o, &r, e)))
		rc = atomic_commit(&af, e);
	if (rc)
		atomic_abort(&af);
	else
		prep_manifest_entry(&o->spec, &r, "prepared.stm32", &s->im);
	return rc;
}

static int sign_and_assemble(struct compat_opts *o, struct session *s, struct err *e)
{
	void *w = s->ks.ops->worker_open(&s->ks, e);
	if (!w)
		return e->code ? (int)e->code : ERR_KEYSTORE;
	int rc = sign_one(&s->ks, w, &s->im, &s->sig, e);
	s->ks.ops->worker_close(&s->ks, w);
	if (rc)
		return rc;
	struct asm_item it;
	memset(&it, 0, sizeof it);
	it.im = &s->im;
	it.sig = &s->sig;
	it.af.fd = -1;
	snprintf(it.output, sizeof it.output, "%s", o->output);
	struct asm_opts ao = { .keep_going = 0 };
	if ((rc = asm_check_bindings(&it, s->tmpdir, e)) || (rc = asm_build(&it, &ao, e)))
		return rc;
	return atomic_rename(&it.af, e);
}

static void cleanup(struct session *s)
{
	char path[PATH_MAX + 32];
	if (!s->tmpdir[0])
		return;
	snprintf(path, sizeof path, "%s/prepared.stm32", s->tmpdir);
	unlink(path);
	rmdir(s->tmpdir);
}

static int run_signed(struct compat_opts *o, struct err *e)
{
	struct session s;
	memset(&s, 0, sizeof s);
	char uri[MF_URI_MAX];
	if (strstr(o->private_key, ":"))
		snprintf(uri, sizeof uri, "%s", o->private_key);
	else
		snprintf(uri, sizeof uri, "file:%s", o->private_key);
	if (!strncmp(uri, "file:", 5) && !o->silent)
		fprintf(stderr, "stm32-sign-compat: warning: %s is a key file on disk: for development only\n", uri);
	int rc = keystore_open(&s.ks, uri, &o->cfg, e);
	if (!rc)
		rc = s.ks.ops->public_key(&s.ks, e);
	if (!rc && o->has_algo && o->algo != s.ks.pub.algo)
		rc = err_set(e, ERR_USAGE, "--algorithm %u (%s), but the private key is %s", o->algo,
			     ecc_algo_name(o->algo), ecc_algo_name(s.ks.pub.algo));
	if (!rc)
		rc = key_index(o, &s.ks, &o->spec.key_index, e);
	uri_redact(uri, o->spec.key_uri, sizeof o->spec.key_uri);
	if (!rc)
		rc = prepare_into(o, &s, e);
	if (!rc)
		rc = sign_and_assemble(o, &s, e);
	cleanup(&s);
	if (s.ks.ops)
		keystore_close(&s.ks);
	return rc;
}

/* ST's tool refuses a v2.x table of other than 8 keys; so do we. */
static int usage_keys(const struct stm32_layout *l, uint32_t n)
{
	fprintf(stderr, "stm32-sign-compat: header %s needs %u public keys (-pubk), got %u: ST's signing "
			"tool always writes a full table\n", l->name, l->max_keys, n);
	return ERR_USAGE;
}

int compat_run(struct compat_opts *o)
{
	struct err e = { 0 };
	char outbuf[4200];
	if (!o->spec.input)
		return o->dump ? compat_dump(o->dump) : ERR_USAGE;
	default_output(o, outbuf, sizeof outbuf);
	snprintf(o->spec.id, sizeof o->spec.id, "image");
	o->spec.align = 32; /* ST's tool, every version: counted in image_length */
	const struct stm32_layout *l = o->spec.layout;
	if (!o->no_keys && l && l->max_keys > 1 && o->keyset.n && o->keyset.n != l->max_keys)
		return usage_keys(l, o->keyset.n);
	int rc;
	if (o->no_keys || !o->keyset.n) {
		if (!o->no_keys && o->private_key)
			return fail(&(struct err){ ERR_USAGE, "--private-key needs --public-key (or give --no-keys)" });
		rc = prepare_unsigned(o, &e);
	} else {
		if (!o->private_key)
			return fail(&(struct err){ ERR_USAGE, "--public-key needs --private-key (a key URI or PEM file)" });
		rc = run_signed(o, &e);
	}
	if (rc)
		return fail(&e);
	if (!o->silent)
		printf("stm32-sign-compat: %s written and verified\n", o->output);
	return o->dump ? compat_dump(o->dump) : 0;
}
