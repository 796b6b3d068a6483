/* stm32-prep fip: the TBSCertificates of a FIP's TF-A certificates and the
 * manifest that asks for their signatures. All or nothing. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/hex.h"
#include "common/jsonrun.h"
#include "common/paths.h"
#include "fip_prep.h"
#include "prepcmd.h"

static int fill_counters(const struct prep_opts *o, struct fip_spec *f)
{
	if (!o->has_nv[0] && !(o->has_nv[1] && o->has_nv[2]))
		return ERR_USAGE;
	f->nv[TBBR_NV_TRUSTED] = o->has_nv[1] ? o->nv[1] : o->nv[0];
	f->nv[TBBR_NV_NON_TRUSTED] = o->has_nv[2] ? o->nv[2] : o->nv[0];
	return 0;
}

/* The FSBL key table of --pubkey, when given: root must be slot --key-index. */
static int fill_table(struct prep_opts *o, struct fip_spec *f, struct err *e)
{
	if (!o->keyset.n)
		return 0;
	if (prep_keyset_load(&o->keyset, e))
		return e->code;
	f->table = &o->keyset;
	f->layout = o->spec.layout;
	f->slot = o->spec.key_index;
	if (!f->keys[TBBR_KEY_ROOT].have)
		snprintf(f->keys[TBBR_KEY_ROOT].uri, sizeof f->keys[0].uri, "%s", o->spec.key_uri);
	if (!f->keys[TBBR_KEY_ROOT].have && !o->spec.key_uri[0])
		return err_set(e, ERR_USAGE, "root: give --key root=PUB.pem,URI or --key-uri (slot %u's key)", f->slot);
	return 0;
}

static int fill_spec(struct prep_opts *o, struct fip_spec *f, struct err *e)
{
	int rc;
	if (!o->soc || !(f->chain = tbbr_chain_find(o->soc->name)))
		return err_set(e, ERR_USAGE, "fip needs --soc stm32mp13, stm32mp15, stm32mp21, stm32mp23 or stm32mp25");
	if (!o->out_dir)
		return err_set(e, ERR_USAGE, "fip needs --out-dir DIR");
	if (o->nargs || o->output || o->release)
		return err_set(e, ERR_USAGE, "fip takes no INPUT, -o or --release");
	snprintf(f->id, sizeof f->id, "%s", o->spec.id[0] ? o->spec.id : "fip");
	if ((rc = fill_counters(o, f)))
		return err_set(e, rc, "fip needs --nv-counter N (or --nv-trusted N and --nv-non-trusted N)");
	for (int i = 0; i < o->nfip_keys; i++)
		if ((rc = fip_parse_key_arg(f, o->fip_keys[i], e)))
			return rc;
	for (int i = 0; i < o->nfip_images; i++)
		if ((rc = fip_parse_image_arg(f, o->fip_images[i], e)))
			return rc;
	return fip_not_before(&f->not_before, e);
}

/* The manifest lies in --out-dir: it names the files relative to itself. */
static int manifest_path(const struct prep_opts *o, char *out, size_t n, struct err *e)
{
	char mdir[4096];
	if (!o->manifest)
		return snprintf(out, n, "%s/manifest.yaml", o->out_dir) >= (int)n ? err_set(e, ERR_USAGE, "path too long") : 0;
	path_dirname(o->manifest, mdir, sizeof mdir);
	if (!path_same_file(mdir, o->out_dir))
		return err_set(e, ERR_USAGE, "-m %s: the manifest goes in --out-dir %s (it names the files next to it)",
			       o->manifest, o->out_dir);
	return snprintf(out, n, "%s", o->manifest) >= (int)n ? err_set(e, ERR_USAGE, "path too long") : 0;
}

static void report(const struct manifest *m, const char *mpath, int json, int quiet)
{
	char hex[65];
	json_object *arr = json ? json_object_new_array() : NULL;
	for (size_t i = 0; i < m->n; i++) {
		const struct mf_image *im = &m->images[i];
		hex_encode(im->digest, 32, hex);
		if (!json && !quiet)
			printf("%-28s %-36s %-18s %s\n", im->id, im->file, im->role, hex);
		if (!json)
			continue;
		json_object *x = json_object_new_object();
		json_object_object_add(x, "id", json_object_new_string(im->id));
		json_object_object_add(x, "file", json_object_new_string(im->file));
		json_object_object_add(x, "certificate", json_object_new_string(im->cert));
		json_object_object_add(x, "role", json_object_new_string(im->role));
		json_object_object_add(x, "digest", json_object_new_string(hex));
		json_object_array_add(arr, x);
	}
	if (json) {
		json_object_object_add(jsonrun_doc(), "certificates", arr);
		json_object_object_add(jsonrun_doc(), "manifest", json_object_new_string(mpath));
	}
}

static int run(struct prep_opts *o, struct fip_spec *f, struct manifest *m, char *mpath, struct err *e)
{
	struct stage st;
	int created = 0;
	stage_init(&st);
	int rc = fill_spec(o, f, e);
	if (!rc)
		rc = fill_table(o, f, e);
	if (!rc)
		rc = fip_spec_resolve(f, e);
	if (!rc && !(rc = dir_ensure(o->out_dir, &created, e)) && !(rc = manifest_path(o, mpath, 4096, e)) &&
	    !(rc = prep_fip(f, o->out_dir, &st, m, e)) && !(rc = stage_commit(&st, e)))
		rc = manifest_write(m, mpath, e);
	if (rc)
		stage_abort(&st);
	stage_free(&st);
	if (rc && created)
		rmdir(o->out_dir);
	return rc;
}

int cmd_fip(struct prep_opts *o)
{
	struct err e = { 0 };
	struct fip_spec f;
	struct manifest m;
	char mpath[4096];
	memset(&f, 0, sizeof f);
	manifest_init(&m);
	int rc = run(o, &f, &m, mpath, &e);
	if (!rc)
		report(&m, mpath, o->json, o->quiet);
	manifest_free(&m);
	fip_spec_free(&f);
	return rc ? prep_fail(&e) : 0;
}
