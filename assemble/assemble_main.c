/* stm32-assemble: inject signatures into prepared images and verify every
 * finished image as the boot ROM will. All or nothing unless --keep-going. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "assemble.h"
#include "common/jsonrun.h"
#include "common/paths.h"
#include "otp.h"

static const char usage_text[] =
	"Usage: stm32-assemble MANIFEST SIGNATURES --out-dir DIR [OPTIONS]\n"
	"\n"
	"Checks that SIGNATURES answers MANIFEST (its SHA-256), that every image has\n"
	"one signature for its digest by its key, and that each prepared file is the\n"
	"one stm32-prep wrote; then injects each signature and verifies the finished\n"
	"image from its bytes alone, in the ROM's order: table hash = OTP value,\n"
	"embedded key = table entry pk_idx, ECDSA over the hashed range, checksum.\n"
	"An encrypted FSBL is verified over its ciphertext, as the ROM does before it\n"
	"decrypts; the OEM secret is not needed (stm32-inspect --oem-secret checks the\n"
	"decryption).\n"
	"\n"
	"  --out-dir DIR       where the signed images go (NAME.prepared.stm32 -> NAME.stm32)\n"
	"  --otp HEX|FILE      expected OTP value (64 hex digits or a 32-byte file such as\n"
	"                      publicKeysHashHashes.bin); default: the manifest's table_hash\n"
	"  --keep-going        write the images that verify even when others fail\n"
	"  --json              one JSON document on stdout, also with -q and on failure\n"
	"  -q, --quiet         no table\n"
	"  -h, --help          this help\n"
	"  -V, --version       version\n"
	"\n"
	"Exit codes: 0 every image verified and written, 1 a binding or verification\n"
	"check failed, 2 usage, 3 malformed input, 4 i/o.\n";

static int usage(const char *msg)
{
	jsonrun_error("%s", msg);
	fprintf(stderr, "Try 'stm32-assemble --help'.\n");
	return ERR_USAGE;
}

static int parse_args(int argc, char **argv, struct asm_opts *o)
{
	static const struct option opts[] = {
		{ "out-dir", required_argument, NULL, 'd' }, { "otp", required_argument, NULL, 'o' },
		{ "keep-going", no_argument, NULL, 'k' },   { "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },         { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },       { NULL, 0, NULL, 0 },
	};
	struct err e = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->out_dir = optarg; break;
		case 'o':
			if (otp_parse_arg(optarg, o->otp, &e)) {
				jsonrun_error("%s", e.msg);
				return e.code;
			}
			o->has_otp = 1;
			break;
		case 'k': o->keep_going = 1; break;
		case 'j': o->json = 1; break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'V': printf("stm32-assemble %s\n", STM32_SIGN_VERSION); exit(0);
		default: return usage("unknown or incomplete option");
		}
	}
	if (argc - optind != 2)
		return usage("expected MANIFEST and SIGNATURES");
	if (!o->out_dir)
		return usage("missing --out-dir DIR");
	o->manifest = argv[optind];
	o->signatures = argv[optind + 1];
	return 0;
}

static int output_path(const char *dir, const char *file, char *out, size_t n)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t len = strlen(base);
	const char *suffix = ".prepared.stm32";
	if (len > strlen(suffix) && !strcmp(base + len - strlen(suffix), suffix))
		return snprintf(out, n, "%s/%.*s.stm32", dir, (int)(len - strlen(suffix)), base) >= (int)n;
	return snprintf(out, n, "%s/%s", dir, base) >= (int)n;
}

static void report_text(const struct asm_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct asm_item *it = &items[i];
		printf("%-24s %-8s %s", it->im->id, it->ok ? "VERIFIED" : "FAILED",
		       it->ok ? it->output : it->err.msg);
		if (it->ok && it->nofile)
			printf("  (certificate chain checked; not written)");
		if (it->ok && it->encrypted)
			printf("  (encrypted FSBL, derivation constant 0x%08x; decryption not checked here)",
			       it->dc);
		putchar('\n');
	}
}

/* --json: "images": [{id, output, verified, written, encrypted, derivation_constant, error}] */
static void report_json(const struct asm_item *items, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct asm_item *it = &items[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(it->im->id));
		json_object_object_add(o, "output", json_object_new_string(it->output));
		json_object_object_add(o, "verified", json_object_new_boolean(it->verified));
		json_object_object_add(o, "written", json_object_new_boolean(it->written));
		json_object_object_add(o, "encrypted", json_object_new_boolean(it->encrypted));
		if (it->encrypted)
			json_object_object_add(o, "derivation_constant", json_object_new_int64(it->dc));
		if (!it->written)
			json_object_object_add(o, "error", json_object_new_string(it->err.msg));
		json_object_array_add(arr, o);
	}
	json_object_object_add(jsonrun_doc(), "images", arr);
}

/* An output never replaces an input: the manifest, the signatures, or a
 * prepared file (they all lie in the manifest's directory). */
static int output_is_input(const struct asm_item *items, size_t n, const struct asm_item *it,
			   const struct asm_opts *o, int same_dir, struct err *e)
{
	if (path_same_file(it->output, o->manifest) || path_same_file(it->output, o->signatures))
		return err_set(e, ERR_USAGE, "image %s: output %s is the manifest or the signatures: an "
			       "output never replaces an input", it->im->id, it->output);
	for (size_t j = 0; same_dir && j < n; j++)
		if (!strcmp(path_basename(it->output), items[j].im->file))
			return err_set(e, ERR_USAGE, "image %s: output %s is the prepared file of image %s: "
				       "an output never replaces an input", it->im->id, it->output,
				       items[j].im->id);
	return 0;
}

/* Every image is checked and built; failures are all reported. */
static size_t build_all(struct asm_item *items, size_t n, const struct asm_opts *o, const char *mdir)
{
	size_t failed = 0;
	int same_dir = path_same_file(o->out_dir, mdir);
	for (size_t i = 0; i < n; i++) {
		struct asm_item *it = &items[i];
		int cert = it->im->kind == MF_KIND_TBBR_CERT;
		it->af.fd = -1;
		if (cert ? asm_cert_output(o->out_dir, it->im, it->output, sizeof it->output)
			 : output_path(o->out_dir, it->im->file, it->output, sizeof it->output))
			err_set(&it->err, ERR_USAGE, "image %s: output path too long", it->im->id);
		else if (!output_is_input(items, n, it, o, same_dir, &it->err) &&
			 !asm_check_bindings(it, mdir, &it->err) &&
			 !(cert ? asm_build_cert(it, &it->err) : asm_build(it, o, &it->err)))
			it->ok = it->verified = 1;
		if (!it->ok) {
			failed++;
			jsonrun_error("%s", it->err.msg);
		}
	}
	return failed;
}

/* A FIP's output replaces no input either (its images' copies lie next to the manifest). */
static int fip_output_is_input(const struct asm_item *items, const struct manifest *m, const struct asm_item *it,
			       const struct asm_opts *o, const char *mdir, struct err *e)
{
	int same_dir = path_same_file(o->out_dir, mdir);
	if (output_is_input(items, m->n, it, o, same_dir, e))
		return e->code;
	for (size_t i = 0; same_dir && i < m->nfips; i++)
		for (size_t j = 0; j < m->fips[i].nimages; j++)
			if (!strcmp(path_basename(it->output), m->fips[i].images[j].file))
				return err_set(e, ERR_USAGE, "FIP %s: output %s is an image of FIP %s: an output never "
					       "replaces an input", it->im->id, it->output, m->fips[i].id);
	return 0;
}

/* Each FIP after its certificates and its FSBL: items[m->n + i] is FIP i. */
static size_t build_fips(struct asm_item *items, const struct manifest *m, const struct asm_opts *o,
			 const char *mdir)
{
	size_t failed = 0;
	for (size_t i = 0; i < m->nfips; i++) {
		struct asm_item *it = &items[m->n + i];
		const struct mf_fip *f = &m->fips[i];
		it->af.fd = -1;
		it->im = &it->own;
		snprintf(it->own.id, sizeof it->own.id, "%s", f->id);
		snprintf(it->own.file, sizeof it->own.file, "%s.bin", f->id);
		snprintf(it->output, sizeof it->output, "%s/%s.bin", o->out_dir, f->id);
		if (!fip_output_is_input(items, m, it, o, mdir, &it->err) && !asm_fip(items, m->n, it, f, o, mdir, &it->err)) {
			it->ok = it->verified = 1;
			continue;
		}
		failed++;
		jsonrun_error("%s", it->err.msg);
	}
	return failed;
}

static int commit(struct asm_item *items, size_t n, size_t failed, const struct asm_opts *o)
{
	int worst = 0;
	for (size_t i = 0; i < n; i++) {
		struct asm_item *it = &items[i];
		if (!it->ok) {
			if ((int)it->err.code > worst)
				worst = it->err.code;
			continue;
		}
		if (it->nofile)
			continue;
		if (failed && !o->keep_going) {
			atomic_abort(&it->af);
			it->ok = 0;
			err_set(&it->err, ERR_VERIFY, "not written: another image of the batch failed (use --keep-going)");
		} else if (atomic_rename(&it->af, &it->err)) {
			it->ok = 0;
			worst = ERR_IO;
			jsonrun_error("%s", it->err.msg);
		} else {
			it->written = 1;
		}
	}
	return worst;
}

/* Read both documents and check them as a whole; make the output directory. */
static int load(const struct asm_opts *o, struct manifest *m, struct sigdoc *d, int *created, struct err *e)
{
	if (manifest_read(o->manifest, m, e))
		return e->code;
	if (sigdoc_read(o->signatures, d, e)) {
		manifest_free(m);
		return e->code;
	}
	if (asm_check_documents(m, d, o->manifest, o->signatures, e) || dir_ensure(o->out_dir, created, e)) {
		manifest_free(m);
		sigdoc_free(d);
		return e->code;
	}
	return 0;
}

static int run(const struct asm_opts *o)
{
	struct err e = { 0 };
	struct manifest m;
	struct sigdoc d;
	char mdir[4096];
	int created = 0;
	if (load(o, &m, &d, &created, &e)) {
		jsonrun_error("%s", e.msg);
		return e.code;
	}
	path_dirname(o->manifest, mdir, sizeof mdir);
	size_t total = m.n + m.nfips;
	struct asm_item *items = calloc(total ? total : 1, sizeof *items);
	for (size_t i = 0; items && i < m.n; i++) {
		items[i].im = &m.images[i];
		items[i].sig = sigdoc_find(&d, m.images[i].id);
	}
	size_t failed = items ? build_all(items, m.n, o, mdir) : m.n;
	if (items)
		failed += build_fips(items, &m, o, mdir);
	int rc = items ? commit(items, total, failed, o) : ERR_INTERNAL;
	if (!items)
		jsonrun_error("out of memory");
	if (rc && created)
		rmdir(o->out_dir); /* succeeds only when nothing was written */
	if (items && o->json)
		report_json(items, total);
	else if (items && !o->quiet)
		report_text(items, total);
	for (size_t i = 0; items && i < total; i++)
		free(items[i].cert);
	free(items);
	manifest_free(&m);
	sigdoc_free(&d);
	return rc;
}

int main(int argc, char **argv)
{
	/* a full disk or ulimit -f: write() fails with EFBIG and is reported */
	signal(SIGXFSZ, SIG_IGN);
	struct asm_opts o = { 0 };
	int json = 0;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		json |= !strcmp(argv[i], "--json");
	jsonrun_start("stm32-assemble", json);
	int rc = parse_args(argc, argv, &o);
	if (!rc)
		rc = run(&o);
	return jsonrun_end(rc);
}
