/* The three verbs of stm32-prep: one image, a release, the key table. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/hex.h"
#include "common/jsonrun.h"
#include "common/paths.h"
#include "prepcmd.h"
#include "release.h"

int prep_fail(const struct err *e)
{
	jsonrun_error("%s", e->msg);
	return e->code ? (int)e->code : ERR_INTERNAL;
}

static int fail_usage(const char *msg)
{
	jsonrun_error("%s", msg);
	fprintf(stderr, "Try 'stm32-prep --help'.\n");
	return ERR_USAGE;
}

json_object *prep_result_json(const char *id, const char *file, const struct prep_result *r)
{
	char hex[2 * ECC_DIGEST_MAX + 1];
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "file", json_object_new_string(file));
	json_object_object_add(o, "header", json_object_new_string(r->img.layout->name));
	json_object_object_add(o, "image_length", json_object_new_int64(r->img.image_length));
	json_object_object_add(o, "checksum", json_object_new_int64(r->img.checksum));
	json_object *segs = json_object_new_array();
	for (size_t i = 0; i < r->nsegs; i++) {
		json_object *pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_int64((int64_t)r->segs[i].start));
		json_object_array_add(pair, json_object_new_int64((int64_t)r->segs[i].end));
		json_object_array_add(segs, pair);
	}
	json_object_object_add(o, "signed_segments", segs);
	json_object_object_add(o, "digest_algorithm", json_object_new_string(r->digest_len == 48 ? "sha384" : "sha256"));
	hex_encode(r->digest, r->digest_len, hex);
	json_object_object_add(o, "digest", json_object_new_string(hex));
	hex_encode(r->file_sha256, 32, hex);
	json_object_object_add(o, "file_sha256", json_object_new_string(hex));
	if (r->img.has_auth) {
		hex_encode(r->table_hash, 32, hex);
		json_object_object_add(o, "table_hash", json_object_new_string(hex));
		json_object_object_add(o, "key_index", json_object_new_int(r->img.pk_idx));
	}
	json_object_object_add(o, "encrypted", json_object_new_boolean(r->img.has_decrypt));
	if (r->img.has_decrypt) {
		json_object_object_add(o, "derivation_constant", json_object_new_int64(r->img.dec_dc));
		hex_encode(r->img.hash16, sizeof r->img.hash16, hex);
		json_object_object_add(o, "hash16", json_object_new_string(hex));
	}
	return o;
}

static void print_result(const char *file, const struct prep_result *r)
{
	char hex[2 * ECC_DIGEST_MAX + 1], text[128];
	hex_encode(r->digest, r->digest_len, hex);
	printf("%s: header %s, image length 0x%x, checksum 0x%08x, signed %s\n",
	       file, r->img.layout->name, r->img.image_length, r->img.checksum,
	       segs_text(r->segs, r->nsegs, text, sizeof text));
	printf("  digest (%s) %s\n", r->digest_len == 48 ? "SHA-384" : "SHA-256", hex);
	if (r->img.has_auth) {
		hex_encode(r->table_hash, 32, hex);
		printf("  key %u of %u, table hash (OTP) %s\n", r->img.pk_idx, r->img.nb_pk, hex);
	}
	if (r->img.has_decrypt) {
		hex_encode(r->img.hash16, sizeof r->img.hash16, hex);
		printf("  encrypted FSBL: AES-128-CBC, derivation constant 0x%08x, hash16 %s\n",
		       r->img.dec_dc, hex);
	}
}

/* The manifest names files relative to its own directory. */
static int relative_to_manifest(const char *manifest, const char *output, char *rel,
				size_t relsz, struct err *e)
{
	char mdir[4096], odir[4096], rm[PATH_MAX], ro[PATH_MAX];
	path_dirname(manifest, mdir, sizeof mdir);
	path_dirname(output, odir, sizeof odir);
	if (!realpath(mdir, rm) || !realpath(odir, ro))
		return err_set(e, ERR_IO, "%s: %s", output, strerror(errno));
	size_t n = strlen(rm);
	const char *base = path_basename(output);
	if (!strcmp(rm, ro))
		return snprintf(rel, relsz, "%s", base) >= (int)relsz ? err_set(e, ERR_USAGE, "path too long") : 0;
	if (strncmp(ro, rm, n) || ro[n] != '/')
		return err_set(e, ERR_USAGE, "%s: the output must be in the manifest's directory (%s) or below it",
			       output, mdir);
	if ((size_t)snprintf(rel, relsz, "%s/%s", ro + n + 1, base) >= relsz)
		return err_set(e, ERR_USAGE, "%s: path too long", output);
	return 0;
}

static int check_single(struct prep_opts *o)
{
	if (o->nargs != 1)
		return fail_usage(o->nargs ? "one INPUT at a time (use --release for many)" : "missing INPUT");
	if (!o->output)
		return fail_usage("missing -o OUT.stm32");
	if (o->has_key_index && !o->keyset.n)
		return fail_usage("--key-index needs --pubkey");
	if (o->manifest && !o->keyset.n)
		return fail_usage("-m needs --pubkey: an image without a key table has nothing to sign");
	if (o->manifest && !o->spec.key_uri[0])
		return fail_usage("-m needs --key-uri: the manifest names the key that will sign");
	if (o->spec.oem_secret && !o->has_dc)
		return fail_usage("--oem-secret needs --derivation-constant N (the constant the ROM derives the key with)");
	if (o->has_dc && !o->spec.oem_secret)
		return fail_usage("--derivation-constant needs --oem-secret");
	if (o->spec.oem_secret && o->spec.layout && !o->spec.layout->can_decrypt) {
		char msg[160];
		snprintf(msg, sizeof msg, "--oem-secret: header %s has no FSBL decryption extension "
			 "(the MP13, MP2x and N6 headers have one)", o->spec.layout->name);
		return fail_usage(msg);
	}
	o->spec.input = o->args[0];
	if (!o->spec.id[0]) {
		const char *b = path_basename(o->output);
		size_t n = strcspn(b, ".");
		snprintf(o->spec.id, sizeof o->spec.id, "%.*s", (int)(n ? n : strlen(b)), b);
		if (!manifest_id_valid(o->spec.id))
			return fail_usage("cannot make an image id from the output name: give --id");
	}
	return 0;
}

static int write_single_manifest(struct prep_opts *o, const struct prep_result *r, struct err *e)
{
	char rel[MF_PATH_MAX];
	int rc = relative_to_manifest(o->manifest, o->output, rel, sizeof rel, e);
	if (rc)
		return rc;
	struct manifest m;
	struct mf_image im;
	manifest_init(&m);
	prep_manifest_entry(&o->spec, r, rel, &im);
	rc = manifest_add(&m, &im, e);
	if (!rc)
		rc = manifest_write(&m, o->manifest, e);
	manifest_free(&m);
	return rc;
}

void prep_warn(const char *id, const struct prep_result *r, int quiet)
{
	if (r->warn[0])
		fprintf(stderr, "stm32-prep: warning: %s: %s\n", id, r->warn);
	prep_warn_short_table(id, &r->img, quiet);
}

/* No output replaces an input or the other output; missing directories
 * are made, as --out-dir does. */
static int check_paths(const struct prep_opts *o, struct err *e)
{
	if ((o->manifest && path_refuse_same(o->manifest, "-m", o->output, "the image (-o)", e)) ||
	    path_refuse_same(o->output, "-o", o->spec.input, "the input", e) ||
	    (o->manifest && path_refuse_same(o->manifest, "-m", o->spec.input, "the input", e)) ||
	    (o->spec.oem_secret && !oem_src_is_pkcs11(o->spec.oem_secret) &&
	     (path_refuse_same(o->output, "-o", o->spec.oem_secret, "the OEM secret", e) ||
	      (o->manifest && path_refuse_same(o->manifest, "-m", o->spec.oem_secret, "the OEM secret", e)))))
		return e->code;
	if (path_make_parents(o->output, e) || (o->manifest && path_make_parents(o->manifest, e)))
		return e->code;
	return 0;
}

void prep_warn_short_table(const char *id, const struct stm32_image *img, int quiet)
{
	const struct stm32_layout *l = img->layout;
	if (quiet || !img->has_auth || l->max_keys < 2 || img->nb_pk >= l->max_keys)
		return;
	fprintf(stderr, "stm32-prep: warning: %s: key table of %u key(s); ST's tools always write %u, "
			"and whether the ROM accepts fewer is not documented\n", id, img->nb_pk, l->max_keys);
}

static int single(struct prep_opts *o)
{
	int rc;
	struct err e = { 0 };
	struct atomic_file af;
	struct prep_result r;
	char rel[MF_PATH_MAX];
	if (check_paths(o, &e))
		return prep_fail(&e);
	if (o->manifest && relative_to_manifest(o->manifest, o->output, rel, sizeof rel, &e))
		return prep_fail(&e);
	if ((rc = atomic_open(&af, o->output, &e)))
		return prep_fail(&e);
	if ((rc = prep_image(&o->spec, &af, &r, &e)) || (rc = atomic_commit(&af, &e))) {
		atomic_abort(&af);
		return prep_fail(&e);
	}
	if (o->manifest && (rc = write_single_manifest(o, &r, &e))) {
		unlink(o->output); /* no image without its manifest */
		return prep_fail(&e);
	}
	prep_warn(o->spec.id, &r, o->quiet);
	if (o->json) {
		json_object *images = json_object_new_array();
		json_object_array_add(images, prep_result_json(o->spec.id, o->output, &r));
		json_object_object_add(jsonrun_doc(), "images", images);
		json_object_object_add(jsonrun_doc(), "manifest", o->manifest ? json_object_new_string(o->manifest) : NULL);
	} else if (!o->quiet) {
		print_result(o->output, &r);
	}
	return 0;
}

/* -o and -m make their missing directories (as --out-dir does), and remove them
 * again when the run fails: no output on failure. */
int cmd_single(struct prep_opts *o)
{
	int rc = check_single(o);
	if (rc)
		return rc;
	struct err e = { 0 };
	char made_out[4096] = "", made_m[4096] = "";
	if (dir_ensure_parent(o->output, made_out, sizeof made_out, &e) ||
	    (o->manifest && dir_ensure_parent(o->manifest, made_m, sizeof made_m, &e)))
		rc = prep_fail(&e);
	else
		rc = single(o);
	if (rc) {
		if (o->manifest)
			dir_remove_made(o->manifest, made_m);
		dir_remove_made(o->output, made_out);
	}
	return rc;
}
