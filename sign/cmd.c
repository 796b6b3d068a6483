/* The verbs of kms-sign-digest: sign a manifest, export a public key. */
#include <errno.h>
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
#include "audit.h"
#include "common/paths.h"
#include "manifest/sigdoc.h"
#include "policy.h"
#include "review.h"
#include "trust.h"

volatile sig_atomic_t sign_interrupted;

static int fail(const struct err *e)
{
	jsonrun_error("%s", e->msg);
	return e->code ? (int)e->code : ERR_INTERNAL;
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
		       const struct signer_conf *conf, struct stores *s, struct err *e)
{
	s->ks = calloc(m->n ? m->n : 1, sizeof *s->ks);
	s->n = 0;
	if (!s->ks)
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < m->n; i++) {
		if (store_index(s, m->images[i].key_uri) < s->n)
			continue;
		const struct key_conf *kc;
		int rc = trust_manifest_key(m->images[i].key_uri, conf, &kc, e);
		if (!rc)
			rc = keystore_open_key(&s->ks[s->n], m->images[i].key_uri, cfg, kc, 1, e);
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
		char where[96];
		if (im->kind == MF_KIND_TBBR_CERT)
			snprintf(where, sizeof where, "as the %s key of TF-A certificate %s", im->role, im->cert);
		else
			snprintf(where, sizeof where, "at table index %u", im->key_index);
		return err_set(e, ERR_VERIFY,
			       "image %s: key %s holds public key %s (%s), but the manifest expects %s (%s) "
			       "%s; nothing was signed",
			       im->id, uri, got, ecc_algo_name(ks->pub.algo), want,
			       ecc_algo_name(im->key.algo), where);
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

/* Without --resume, a journal of paid signatures is never thrown away
 * silently; an empty one (a run that failed before signing) is. */
static int refuse_unfinished(const char *output, struct err *e)
{
	char jpath[4200];
	struct stat st;
	journal_path(output, jpath, sizeof jpath);
	if (stat(jpath, &st))
		return 0;
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		unlink(jpath);
		return 0;
	}
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
	int journal_failed;
	char jpath[4200];
	struct stores *stores;
	struct audit audit;
	struct err audit_err;
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
	if (r->journal >= 0 && journal_write(r->journal, &t->result)) {
		/* nothing more is signed: a signature that cannot be kept is not paid for */
		r->journal_failed = 1;
		en->abort = 1;
	}
	if (!r->audit_err.code &&
	    audit_append(&r->audit, &t->result, r->stores->ks[t->store].principal, &r->audit_err))
		en->abort = 1; /* no signature goes unaudited */
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

/* The command that finishes the run: its configuration and audit log too,
 * so that no signature of the rest goes unaudited. */
static void resume_command(const struct run *r, char *out, size_t n)
{
	snprintf(out, n, "kms-sign-digest --resume%s%s%s%s%s%s '%s' -o '%s'",
		 r->o->config ? " --config '" : "", r->o->config ? r->o->config : "", r->o->config ? "'" : "",
		 r->o->audit_log ? " --audit-log '" : "", r->o->audit_log ? r->o->audit_log : "",
		 r->o->audit_log ? "'" : "", r->o->manifest, r->o->output);
}

/* A batch that stopped: what was kept, what failed, how to go on. */
static void print_partial(const struct run *r, size_t resumed)
{
	size_t ok = 0, failed = 0;
	char cmd[9000];
	json_object *ids = json_object_new_array();
	for (size_t i = 0; i < r->m->n; i++) {
		ok += r->tasks[i].state == 1;
		if (r->tasks[i].state == -1) {
			failed++;
			json_object_array_add(ids, json_object_new_string(r->tasks[i].im->id));
		}
	}
	resume_command(r, cmd, sizeof cmd);
	if (r->o->json) { /* the run's one document: error and exit_code come at its end */
		json_object *o = jsonrun_doc();
		json_object_object_add(o, "images", json_object_new_int64((int64_t)r->m->n));
		json_object_object_add(o, "signed", json_object_new_int64((int64_t)(ok - resumed)));
		json_object_object_add(o, "resumed", json_object_new_int64((int64_t)resumed));
		json_object_object_add(o, "failed", json_object_new_int64((int64_t)failed));
		json_object_object_add(o, "failed_ids", json_object_get(ids));
		json_object_object_add(o, "complete", json_object_new_boolean(0));
		json_object_object_add(o, "journal", json_object_new_string(r->jpath));
		json_object_object_add(o, "resume", json_object_new_string(cmd));
	}
	if (isatty(STDERR_FILENO) && !r->o->quiet)
		fprintf(stderr, "\n");
	fprintf(stderr, "kms-sign-digest: stopped: %zu of %zu image(s) signed and kept in %s (%zu from a "
		"previous run), %zu failed, %zu not attempted\n", ok, r->m->n, ok ? r->jpath : "no file",
		resumed, failed, r->m->n - ok - failed);
	for (size_t i = 0; i < json_object_array_length(ids) && i < 20; i++)
		fprintf(stderr, "kms-sign-digest: failed: %s\n", json_object_get_string(json_object_array_get_idx(ids, i)));
	if (ok)
		fprintf(stderr, "kms-sign-digest: continue with: %s\n", cmd);
	json_object_put(ids);
}

/* Before anything is fetched or signed: the output's directory exists (made
 * as -o asks) and takes a file, and the journal is created. */
static int preflight(struct run *r, struct err *e)
{
	const struct sign_opts *o = r->o;
	struct atomic_file af;
	int rc = path_refuse_same(o->output, "-o", o->manifest, "the manifest", e);
	journal_path(o->output, r->jpath, sizeof r->jpath);
	if (!rc)
		rc = path_refuse_same(r->jpath, "the journal", o->manifest, "the manifest", e);
	if (!rc && o->conf.path[0])
		rc = path_refuse_same(o->output, "-o", o->conf.path, "the signer configuration", e);
	if (!rc)
		rc = path_make_parents(o->output, e);
	if (!rc && !(rc = atomic_open(&af, o->output, e)))
		atomic_abort(&af);
	if (rc)
		return err_prefix(e, "nothing was signed");
	r->journal = open(r->jpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (r->journal < 0)
		return err_set(e, ERR_IO, "%s: cannot create the journal: %s; nothing was signed", r->jpath,
			       strerror(errno));
	const char *log = o->audit_log ? o->audit_log : o->conf.audit_log[0] ? o->conf.audit_log : NULL;
	r->audit.manifest_sha256 = r->m->sha256;
	r->audit.release = r->m->release;
	if (log && (rc = audit_open(&r->audit, log, e)))
		return err_prefix(e, "nothing was signed");
	return 0;
}

/* A run that fails leaves no empty journal behind to block the next one. */
static void drop_empty_journal(struct run *r)
{
	struct stat st;
	if (r->journal >= 0)
		close(r->journal);
	r->journal = -1;
	if (r->jpath[0] && !stat(r->jpath, &st) && st.st_size == 0)
		unlink(r->jpath);
}

static void mark_resumed(struct run *r, struct stores *s, const struct sigdoc *prev, size_t *resumed)
{
	*resumed = 0;
	for (size_t i = 0; i < r->m->n; i++) {
		r->tasks[i].im = &r->m->images[i];
		r->tasks[i].store = store_index(s, r->m->images[i].key_uri);
		if (previous_ok(prev, &r->m->images[i], &r->tasks[i].result)) {
			r->tasks[i].state = 1;
			(*resumed)++;
		}
	}
}

/* The first failed task's error, or why the batch stopped. */
static int batch_error(const struct run *r, int rc, struct err *e)
{
	if (r->audit_err.code) {
		*e = r->audit_err;
		return e->code;
	}
	if (sign_interrupted)
		return err_set(e, ERR_KEYSTORE, "interrupted: no more images were sent for signing");
	if (r->journal_failed)
		return err_set(e, ERR_IO, "%s: cannot append to the journal: stopped before paying for "
			       "signatures that could not be kept", r->jpath);
	for (size_t i = 0; i < r->m->n; i++)
		if (r->tasks[i].state == -1) {
			*e = r->tasks[i].err;
			return rc;
		}
	return err_set(e, (enum err_code)rc, "signing stopped early");
}

static int sign_all(struct run *r, struct stores *s, const struct sigdoc *prev, struct err *e)
{
	size_t resumed;
	mark_resumed(r, s, prev, &resumed);
	struct engine en = { .tasks = r->tasks, .n = r->m->n, .stores = s->ks, .nstores = s->n,
			     .jobs = r->o->cfg.jobs, .on_signed = journal_append, .arg = r,
			     .interrupted = &sign_interrupted };
	int rc = engine_run(&en);
	if ((r->journal_failed || r->audit_err.code) && !rc)
		rc = ERR_IO;
	if (rc) {
		rc = batch_error(r, rc, e);
		print_partial(r, resumed);
		return rc;
	}
	struct sigdoc d;
	collect(r, &d, e);
	int wrc = sigdoc_write(&d, r->o->output, e);
	close(r->journal);
	r->journal = -1;
	if (!wrc)
		unlink(r->jpath); /* everything is in the document now */
	if (!wrc)
		print_summary(r, &d, resumed);
	sigdoc_free(&d);
	return wrc;
}

static int prepare(struct sign_opts *o, const struct manifest *m, struct sigdoc *prev,
		   struct stores *s, struct run *r, struct err *e)
{
	int rc = o->resume ? load_previous(o->output, m, prev, e) : refuse_unfinished(o->output, e);
	if (!rc)
		rc = policy_check(m, &o->conf, e);
	if (!rc)
		rc = preflight(r, e);
	if (!rc)
		rc = open_stores(m, &o->cfg, &o->conf, s, e);
	if (!rc)
		rc = check_keys(m, s, e);
	if (!rc && !r->tasks)
		rc = err_set(e, ERR_INTERNAL, "out of memory");
	return rc;
}

int cmd_sign(struct sign_opts *o)
{
	struct err e = { 0 };
	struct manifest m;
	struct sigdoc prev;
	struct stores s = { 0 };
	if (signer_conf_load(o->config, &o->conf, &e))
		return fail(&e);
	if (manifest_read(o->manifest, &m, &e)) {
		signer_conf_free(&o->conf);
		return fail(&e);
	}
	if (o->review) {
		if (o->json)
			review_json(&m, &o->conf);
		else
			review_text(&m, &o->conf);
		manifest_free(&m);
		signer_conf_free(&o->conf);
		return 0;
	}
	sigdoc_init(&prev);
	char mdir[4096];
	path_dirname(o->manifest, mdir, sizeof mdir);
	o->cfg.base_dir = mdir; /* file: key paths are relative to the manifest, as its file: paths */
	struct run r = { .o = o, .m = &m, .journal = -1, .stores = &s, .audit = { .fd = -1 },
			 .tasks = calloc(m.n ? m.n : 1, sizeof(struct sign_task)) };
	int rc = prepare(o, &m, &prev, &s, &r, &e);
	if (!rc)
		rc = sign_all(&r, &s, &prev, &e);
	drop_empty_journal(&r);
	audit_close(&r.audit);
	free(r.tasks);
	close_stores(&s);
	sigdoc_free(&prev);
	manifest_free(&m);
	signer_conf_free(&o->conf);
	return rc ? fail(&e) : 0;
}

int cmd_audit_verify(struct sign_opts *o)
{
	struct err e = { 0 };
	size_t lines;
	int rc = audit_verify(o->audit_verify, &lines, &e);
	if (rc)
		return fail(&e);
	if (!o->quiet)
		printf("%s: %zu line(s), chain intact\n", o->audit_verify, lines);
	return 0;
}

int cmd_pubkey(struct sign_opts *o)
{
	struct err e = { 0 };
	struct keystore ks = { 0 };
	char *pem = NULL, shown[MF_URI_MAX + 16];
	uri_redact(o->pubkey_uri, shown, sizeof shown);
	/* the operator's URI; a configured key takes its module and PIN from there */
	int rc = signer_conf_load(o->config, &o->conf, &e);
	if (!rc)
		rc = keystore_open_key(&ks, o->pubkey_uri, &o->cfg, signer_conf_find(&o->conf, o->pubkey_uri),
				       0, &e);
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
		char fp[17];
		pubkey_fingerprint(&ks.pub, fp);
		fprintf(stderr, "%s: %s key, fingerprint %s, signer %s\n", shown,
			ecc_algo_name(ks.pub.algo), fp, ks.signer);
	}
	free(pem);
	if (ks.ops)
		keystore_close(&ks);
	signer_conf_free(&o->conf);
	return rc ? fail(&e) : 0;
}
