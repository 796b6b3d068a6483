/* The verbs of kms-sign-digest: sign a manifest, export a public key. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "common/jsonrun.h"
#include "common/uri.h"
#include "engine.h"
#include "journal.h"
#include "manifest/sigdoc.h"

static int fail(const struct err *e)
{
	jsonrun_error("%s", e->msg);
	return e->code ? (int)e->code : ERR_INTERNAL;
}

static void review(const struct manifest *m)
{
	char hex[2 * ECC_DIGEST_MAX + 1];
	printf("Release %s: %zu image(s) to sign\n", m->release[0] ? m->release : "(unnamed)", m->n);
	printf("%-24s %-36s %-4s %-7s %-8s %-64s %s\n", "ID", "FILE", "HDR", "VERSION", "KEY IDX",
	       "DIGEST", "KEY");
	for (size_t i = 0; i < m->n; i++) {
		const struct mf_image *im = &m->images[i];
		char uri[MF_URI_MAX + 16];
		hex_encode(im->digest, mf_digest_len(im), hex);
		uri_redact(im->key_uri, uri, sizeof uri);
		printf("%-24s %-36s %-4s %-7u %-8u %s %s\n", im->id, im->file, im->header,
		       im->image_version, im->key_index, hex, uri);
	}
}

/* One keystore per distinct URI, in manifest order. */
struct stores {
	struct keystore *ks;
	size_t n;
};

static size_t store_index(const struct stores *s, const char *uri)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->ks[i].uri, uri))
			return i;
	return s->n;
}

static int open_stores(const struct manifest *m, const struct sign_config *cfg,
		       struct stores *s, struct err *e)
{
	s->ks = calloc(m->n ? m->n : 1, sizeof *s->ks);
	s->n = 0;
	if (!s->ks)
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < m->n; i++) {
		if (store_index(s, m->images[i].key_uri) < s->n)
			continue;
		int rc = keystore_open(&s->ks[s->n], m->images[i].key_uri, cfg, e);
		if (rc)
			return err_prefix(e, "image %s", m->images[i].id);
		s->n++;
		if (s->ks[s->n - 1].dev_only)
			fprintf(stderr, "kms-sign-digest: warning: %s is a key file on disk: for development only\n",
				s->ks[s->n - 1].uri);
	}
	return 0;
}

static void close_stores(struct stores *s)
{
	for (size_t i = 0; i < s->n; i++)
		keystore_close(&s->ks[i]);
	free(s->ks);
}

/* Fetch each key once and compare with every image that names it, before any
 * Sign call. */
static int check_keys(const struct manifest *m, struct stores *s, struct err *e)
{
	for (size_t i = 0; i < s->n; i++) {
		int rc = s->ks[i].ops->public_key(&s->ks[i], e);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct mf_image *im = &m->images[i];
		const struct keystore *ks = &s->ks[store_index(s, im->key_uri)];
		if (pubkey_equal(&ks->pub, &im->key))
			continue;
		char want[17], got[17];
		pubkey_fingerprint(&im->key, want);
		pubkey_fingerprint(&ks->pub, got);
		char uri[MF_URI_MAX + 16];
		uri_redact(im->key_uri, uri, sizeof uri);
		return err_set(e, ERR_VERIFY,
			       "image %s: key %s holds public key %s (%s), but the manifest expects %s (%s) "
			       "at table index %u; nothing was signed",
			       im->id, uri, got, ecc_algo_name(ks->pub.algo), want,
			       ecc_algo_name(im->key.algo), im->key_index);
	}
	return 0;
}

/* --resume: keep the signatures of a previous run that still verify. */
static int load_previous(const char *path, const struct manifest *m, struct sigdoc *prev,
			 struct err *e)
{
	char jpath[4200];
	sigdoc_init(prev);
	journal_path(path, jpath, sizeof jpath);
	if (!access(path, F_OK)) {
		int rc = sigdoc_read(path, prev, e);
		if (rc)
			return rc;
		if (memcmp(prev->manifest_sha256, m->sha256, 32))
			return err_set(e, ERR_INPUT, "%s answers another manifest: cannot resume from it", path);
	}
	journal_read(jpath, m, prev);
	return 0;
}

/* Without --resume, a journal of paid signatures is never thrown away silently. */
static int refuse_unfinished(const char *output, struct err *e)
{
	char jpath[4200];
	journal_path(output, jpath, sizeof jpath);
	if (access(jpath, F_OK))
		return 0;
	return err_set(e, ERR_USAGE, "%s holds signatures of an interrupted run: add --resume to keep them "
				     "(or delete it to sign everything again)", jpath);
}

static int previous_ok(const struct sigdoc *prev, const struct mf_image *im, struct sig_entry *out)
{
	const struct sig_entry *s = sigdoc_find(prev, im->id);
	if (!s || s->algo != im->key.algo || memcmp(s->digest, im->digest, mf_digest_len(im)) ||
	    memcmp(s->public_key, im->key.xy, ecc_xy_len(im->key.algo)) ||
	    ecdsa_verify_digest(&im->key, im->digest, s->raw, NULL))
		return 0;
	*out = *s;
	return 1;
}

struct run {
	const struct sign_opts *o;
	const struct manifest *m;
	struct sign_task *tasks;
	int journal;
};

static void collect(const struct run *r, struct sigdoc *d, struct err *e)
{
	sigdoc_init(d);
	memcpy(d->manifest_sha256, r->m->sha256, 32);
	snprintf(d->release, sizeof d->release, "%s", r->m->release);
	for (size_t i = 0; i < r->m->n; i++)
		if (r->tasks[i].state == 1)
			sigdoc_add(d, &r->tasks[i].result, e);
	d->complete = d->n == r->m->n;
}

static void journal_append(struct engine *en, const struct sign_task *t, void *arg)
{
	struct run *r = arg;
	if (isatty(STDERR_FILENO) && !r->o->quiet)
		fprintf(stderr, "\rsigned %zu/%zu", en->done, en->n);
	if (r->journal >= 0 && journal_write(r->journal, &t->result))
		r->journal = -1; /* the batch goes on; the final document still holds everything */
}

static void print_summary(const struct run *r, const struct sigdoc *d, size_t resumed)
{
	if (r->o->json) { /* with -q too: --json asks for the document */
		json_object *o = jsonrun_doc();
		json_object_object_add(o, "images", json_object_new_int64((int64_t)r->m->n));
		json_object_object_add(o, "signed", json_object_new_int64((int64_t)(d->n - resumed)));
		json_object_object_add(o, "resumed", json_object_new_int64((int64_t)resumed));
		json_object_object_add(o, "complete", json_object_new_boolean(d->complete));
		json_object_object_add(o, "output", json_object_new_string(r->o->output));
		return;
	}
	if (r->o->quiet)
		return;
	char hex[17];
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\n");
	for (size_t i = 0; i < d->n; i++) {
		hex_encode(d->entries[i].raw, 8, hex);
		printf("%-24s signed by %s  r=%s...\n", d->entries[i].id, d->entries[i].signer, hex);
	}
	printf("%zu of %zu image(s) signed (%zu kept from a previous run) -> %s\n", d->n, r->m->n,
	       resumed, r->o->output);
}

static int sign_all(struct run *r, struct stores *s, const struct sigdoc *prev, struct err *e)
{
	size_t resumed = 0;
	for (size_t i = 0; i < r->m->n; i++) {
		r->tasks[i].im = &r->m->images[i];
		r->tasks[i].store = store_index(s, r->m->images[i].key_uri);
		if (previous_ok(prev, &r->m->images[i], &r->tasks[i].result)) {
			r->tasks[i].state = 1;
			resumed++;
		}
	}
	char jpath[4200];
	journal_path(r->o->output, jpath, sizeof jpath);
	r->journal = open(jpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct engine en = { .tasks = r->tasks, .n = r->m->n, .stores = s->ks, .nstores = s->n,
			     .jobs = r->o->cfg.jobs, .on_signed = journal_append, .arg = r };
	int rc = engine_run(&en);
	struct sigdoc d;
	collect(r, &d, e);
	int wrc = sigdoc_write(&d, r->o->output, e);
	if (r->journal >= 0)
		close(r->journal);
	if (!wrc && d.complete)
		unlink(jpath); /* everything is in the document now */
	if (!rc && !wrc)
		print_summary(r, &d, resumed);
	sigdoc_free(&d);
	if (rc) {
		for (size_t i = 0; i < r->m->n; i++)
			if (r->tasks[i].state == -1) {
				*e = r->tasks[i].err;
				break;
			}
		if (e->code == ERR_OK)
			err_set(e, (enum err_code)rc, "signing stopped early");
		return rc;
	}
	return wrc;
}

int cmd_sign(struct sign_opts *o)
{
	struct err e = { 0 };
	struct manifest m;
	struct sigdoc prev;
	struct stores s = { 0 };
	if (manifest_read(o->manifest, &m, &e))
		return fail(&e);
	if (o->review) {
		review(&m);
		manifest_free(&m);
		return 0;
	}
	sigdoc_init(&prev);
	char mdir[4096];
	path_dirname(o->manifest, mdir, sizeof mdir);
	o->cfg.base_dir = mdir; /* file: key paths are relative to the manifest, as its file: paths */
	int rc = o->resume ? load_previous(o->output, &m, &prev, &e) : refuse_unfinished(o->output, &e);
	if (!rc)
		rc = open_stores(&m, &o->cfg, &s, &e);
	if (!rc)
		rc = check_keys(&m, &s, &e);
	struct run r = { .o = o, .m = &m, .tasks = calloc(m.n ? m.n : 1, sizeof(struct sign_task)) };
	if (!rc && !r.tasks)
		rc = err_set(&e, ERR_INTERNAL, "out of memory");
	if (!rc)
		rc = sign_all(&r, &s, &prev, &e);
	free(r.tasks);
	close_stores(&s);
	sigdoc_free(&prev);
	manifest_free(&m);
	return rc ? fail(&e) : 0;
}

int cmd_pubkey(struct sign_opts *o)
{
	struct err e = { 0 };
	struct keystore ks;
	char *pem = NULL;
	int rc = keystore_open(&ks, o->pubkey_uri, &o->cfg, &e);
	if (!rc && !(rc = ks.ops->public_key(&ks, &e)))
		rc = pubkey_to_pem(&ks.pub, &pem, &e);
	if (!rc) {
		if (o->output)
			rc = file_write_atomic(o->output, pem, strlen(pem), &e);
		else if (o->json)
			json_object_object_add(jsonrun_doc(), "public_key_pem", json_object_new_string(pem));
		else
			fputs(pem, stdout);
	}
	if (!rc && o->json) {
		char fp[17];
		pubkey_fingerprint(&ks.pub, fp);
		json_object *d = jsonrun_doc();
		json_object_object_add(d, "algorithm", json_object_new_string(ecc_algo_name(ks.pub.algo)));
		json_object_object_add(d, "fingerprint", json_object_new_string(fp));
		json_object_object_add(d, "signer", json_object_new_string(ks.signer));
		json_object_object_add(d, "output", o->output ? json_object_new_string(o->output) : NULL);
	} else if (!rc && !o->quiet) {
		char fp[17], shown[1024];
		pubkey_fingerprint(&ks.pub, fp);
		uri_redact(o->pubkey_uri, shown, sizeof shown); /* a pin-value is never shown */
		fprintf(stderr, "%s: %s key, fingerprint %s, signer %s\n", shown,
			ecc_algo_name(ks.pub.algo), fp, ks.signer);
	}
	free(pem);
	if (ks.ops)
		keystore_close(&ks);
	return rc ? fail(&e) : 0;
}
