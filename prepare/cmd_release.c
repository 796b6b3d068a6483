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

/* Every image into a temporary file; nothing is renamed unless all succeed. */
static int prepare_all(const struct release *rel, const char *dir, struct atomic_file *afs,
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
		atomic_remove_stale(path);
		if ((rc = atomic_open(&afs[i], path, e)))
			return rc;
		if ((rc = prep_image(s, &afs[i], &res[i], e)) || (rc = atomic_close(&afs[i], e)))
			return err_prefix(e, "image %s", s->id);
		if (!res[i].img.has_auth)
			return err_set(e, ERR_INPUT, "image %s: no keyset: a release image must be signed", s->id);
		prep_warn_short_table(s->id, &res[i].img, 0);
		prep_manifest_entry(s, &res[i], rel->outputs[i], &im);
		if ((rc = manifest_add(m, &im, e)))
			return rc;
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

static int commit_all(struct atomic_file *afs, size_t n, const struct manifest *m,
		      const char *dir, struct err *e)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/manifest.yaml", dir);
	for (size_t i = 0; i < n; i++)
		if (atomic_rename(&afs[i], e)) {
			for (size_t j = 0; j < i; j++)
				unlink(afs[j].path);
			return e->code;
		}
	if (manifest_write(m, path, e)) {
		for (size_t j = 0; j < n; j++)
			unlink(afs[j].path);
		return e->code;
	}
	return 0;
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
	struct atomic_file *afs = calloc(rel.n, sizeof *afs);
	struct prep_result *res = calloc(rel.n, sizeof *res);
	int rc = !afs || !res ? err_set(&e, ERR_INTERNAL, "out of memory") : 0;
	for (size_t i = 0; afs && i < rel.n; i++)
		afs[i].fd = -1;
	if (!rc)
		rc = prepare_all(&rel, o->out_dir, afs, res, &m, &e);
	if (!rc)
		rc = commit_all(afs, rel.n, &m, o->out_dir, &e);
	for (size_t i = 0; afs && i < rel.n; i++)
		atomic_abort(&afs[i]);
	if (rc && created)
		rmdir(o->out_dir); /* a regression test holds this: no output on failure */
	if (!rc && o->json)
		add_json(&rel, res, o->out_dir);
	else if (!rc && !o->quiet)
		print_summary(&rel, res);
	free(afs);
	free(res);
	manifest_free(&m);
	release_free(&rel);
	return rc ? prep_fail(&e) : 0;
}
