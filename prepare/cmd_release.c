/* stm32-prep --release: every image of a release, all or nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/hex.h"
#include "common/jsonrun.h"
#include "prepcmd.h"
#include "release.h"

static void progress(size_t i, size_t n, const char *id)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r[%zu/%zu] %-40s%s", i, n, id, i == n ? "\n" : "");
}

/* Each image is written to a temporary file and closed; only its name is
 * kept (an open atomic_file per image would hold 8 KiB of paths each: 80 MiB
 * for a 10,000-image release). Nothing is renamed unless all succeed. */
static int prepare_one(const struct prep_spec *s, const char *path, char **tmp,
		       struct prep_result *res, struct err *e)
{
	struct atomic_file af;
	atomic_remove_stale(path);
	int rc = atomic_open(&af, path, e);
	if (!rc && !(rc = prep_image(s, &af, res, e)) && !(rc = atomic_close(&af, e)) &&
	    !(*tmp = strdup(af.tmp)))
		rc = err_set(e, ERR_INTERNAL, "out of memory");
	if (rc) {
		atomic_abort(&af);
		return err_prefix(e, "image %s", s->id);
	}
	return 0;
}

static int prepare_all(const struct release *rel, const char *dir, char **tmps,
		       struct prep_result *res, struct manifest *m, struct err *e)
{
	for (size_t i = 0; i < rel->n; i++) {
		const struct prep_spec *s = &rel->specs[i];
		char path[4096];
		struct mf_image im;
		int rc;
		progress(i + 1, rel->n, s->id);
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel->outputs[i]) >= sizeof path)
			return err_set(e, ERR_USAGE, "%s: path too long", dir);
		if ((rc = prepare_one(s, path, &tmps[i], &res[i], e)))
			return rc;
		if (!res[i].img.has_auth)
			return err_set(e, ERR_INPUT, "image %s: no keyset: a release image must be signed", s->id);
		prep_warn(s->id, &res[i], 0);
		prep_manifest_entry(s, &res[i], rel->outputs[i], &im);
		if ((rc = manifest_add(m, &im, e)))
			return rc;
	}
	return 0;
}

/* A FIP's root key: slot key_index of its FSBL's key table, in this release. */
static int link_fsbl(struct fip_spec *f, const struct release *rel, const struct prep_result *res,
		     struct err *e)
{
	for (size_t i = 0; f->fsbl[0] && i < rel->n; i++) {
		const struct prep_spec *s = &rel->specs[i];
		if (strcmp(s->id, f->fsbl))
			continue;
		if (!s->keyset)
			return err_set(e, ERR_INPUT, "fip %s: image %s has no key table", f->id, f->fsbl);
		f->table = s->keyset;
		f->layout = res[i].img.layout;
		f->slot = s->key_index;
		if (!f->keys[TBBR_KEY_ROOT].have)
			snprintf(f->keys[TBBR_KEY_ROOT].uri, sizeof f->keys[0].uri, "%s", s->key_uri);
		return 0;
	}
	return f->fsbl[0] ? err_set(e, ERR_INPUT, "fip %s: fsbl '%s' is not an image of the release", f->id, f->fsbl)
			  : 0;
}

static int prepare_fips(struct release *rel, const struct prep_result *res, const char *dir,
			struct stage *st, struct manifest *m, struct err *e)
{
	for (size_t i = 0; i < rel->nfips; i++) {
		struct fip_spec *f = &rel->fips[i];
		int rc;
		if ((rc = link_fsbl(f, rel, res, e)) || (rc = fip_not_before(&f->not_before, e)) ||
		    (rc = fip_spec_resolve(f, e)) || (rc = prep_fip(f, dir, st, m, e)))
			return err_prefix(e, "fip %s", f->id);
	}
	return 0;
}

static void print_summary(const struct release *rel, const struct prep_result *res)
{
	char hex[2 * ECC_DIGEST_MAX + 1];
	for (size_t i = 0; i < rel->n; i++) {
		hex_encode(res[i].digest, res[i].digest_len, hex);
		printf("%-24s %-36s %s key %u  %s\n", rel->specs[i].id, rel->outputs[i],
		       res[i].img.layout->name, res[i].img.pk_idx, hex);
	}
}

/* --json: the same image objects as a single image, and the manifest written. */
static void add_json(const struct release *rel, const struct prep_result *res, const char *dir)
{
	json_object *images = json_object_new_array();
	char path[4096];
	for (size_t i = 0; i < rel->n; i++)
		json_object_array_add(images, prep_result_json(rel->specs[i].id, rel->outputs[i], &res[i]));
	json_object_object_add(jsonrun_doc(), "images", images);
	snprintf(path, sizeof path, "%s/manifest.yaml", dir);
	json_object_object_add(jsonrun_doc(), "manifest", json_object_new_string(path));
}

static int rename_staged(const char *dir, const char *name, char **tmp, struct err *e)
{
	struct atomic_file af = { .fd = -1 };
	snprintf(af.path, sizeof af.path, "%s/%s", dir, name);
	snprintf(af.tmp, sizeof af.tmp, "%s", *tmp);
	free(*tmp);
	*tmp = NULL;
	return atomic_rename(&af, e);
}

static void unlink_outputs(const struct release *rel, const char *dir, size_t n)
{
	char path[4096];
	for (size_t j = 0; j < n; j++) {
		snprintf(path, sizeof path, "%s/%s", dir, rel->outputs[j]);
		unlink(path);
	}
}

static int commit_all(const struct release *rel, char **tmps, struct stage *st, const struct manifest *m,
		      const char *dir, struct err *e)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/manifest.yaml", dir);
	for (size_t i = 0; i < rel->n; i++)
		if (rename_staged(dir, rel->outputs[i], &tmps[i], e)) {
			unlink_outputs(rel, dir, i);
			return e->code;
		}
	if (stage_commit(st, e) || manifest_write(m, path, e)) {
		stage_abort(st);
		unlink_outputs(rel, dir, rel->n);
		return e->code;
	}
	return 0;
}

/* Temporary files of images that were not renamed. */
static void drop_staged(char **tmps, size_t n)
{
	for (size_t i = 0; tmps && i < n; i++)
		if (tmps[i]) {
			unlink(tmps[i]);
			free(tmps[i]);
		}
	free(tmps);
}

int cmd_release(struct prep_opts *o)
{
	struct err e = { 0 };
	if (!o->out_dir)
		return prep_fail(&(struct err){ ERR_USAGE, "--release needs --out-dir DIR" });
	if (o->nargs || o->output || o->manifest || o->keyset.n)
		return prep_fail(&(struct err){ ERR_USAGE, "--release takes its images and keys from the release file only" });
	struct release rel;
	struct manifest m;
	int created = 0;
	if (release_read(o->release, &rel, &e))
		return prep_fail(&e);
	if (dir_ensure(o->out_dir, &created, &e)) {
		release_free(&rel);
		return prep_fail(&e);
	}
	manifest_init(&m);
	snprintf(m.release, sizeof m.release, "%s", rel.name);
	char **tmps = calloc(rel.n, sizeof *tmps);
	struct prep_result *res = calloc(rel.n, sizeof *res);
	int rc = !tmps || !res ? err_set(&e, ERR_INTERNAL, "out of memory") : 0;
	struct stage st;
	stage_init(&st);
	if (!rc)
		rc = prepare_all(&rel, o->out_dir, tmps, res, &m, &e);
	if (!rc)
		rc = prepare_fips(&rel, res, o->out_dir, &st, &m, &e);
	if (!rc)
		rc = commit_all(&rel, tmps, &st, &m, o->out_dir, &e);
	if (rc)
		stage_abort(&st);
	stage_free(&st);
	drop_staged(tmps, rel.n);
	if (rc && created)
		rmdir(o->out_dir); /* a regression test holds this: no output on failure */
	if (!rc && o->json)
		add_json(&rel, res, o->out_dir);
	else if (!rc && !o->quiet)
		print_summary(&rel, res);
	free(res);
	manifest_free(&m);
	release_free(&rel);
	return rc ? prep_fail(&e) : 0;
}
