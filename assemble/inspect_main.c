/* stm32-inspect: dump every field of STM32 images and give the ROM's verdict. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/oem_secret.h"
#include "common/uri.h"
#include "explain.h"
#include "image/dump.h"
#include "inspect_fip.h"
#include "inspect_json.h"
#include "otp.h"

static const char usage_text[] =
	"Usage: stm32-inspect [--otp HEX|FILE] [--oem-secret SRC] [--fsbl SIGNED.stm32] [--explain] [--json]\n"
	"                     IMAGE|FIP...\n"
	"\n"
	"Dumps every header field, the extension chain, the key table, the table hash\n"
	"and its OTP words, the signature, the checksum and any trailing bytes, then\n"
	"verifies the image as the boot ROM does and names the first failing check.\n"
	"\n"
	"A TF-A FIP (told by its ToC name) is listed instead: each entry's name (as\n"
	"fiptool names it, or blob and its UUID), offset, size and SHA-256, and for a\n"
	"certificate its subject CN and signature algorithm; then its certificate chain\n"
	"checked as TF-A's BL2 does (each signature with its parent's key, every image\n"
	"hash, the NV counters, the root key), naming the certificate or hash that breaks it.\n"
	"\n"
	"  --otp HEX|FILE   expected OTP value: 64 hex digits or a 32-byte file\n"
	"                   (publicKeysHashHashes.bin); without it the table hash is shown\n"
	"  --oem-secret SRC decrypt an encrypted FSBL in memory and check it as the ROM does\n"
	"                   (SHA-256 of the plaintext against the extension's hash16): SRC\n"
	"                   is the OEM secret file or a pkcs11: URI of an AES-128 key;\n"
	"                   without it the decryption check is skipped\n"
	"  --fsbl FILE      (FIP) the signed FSBL of the same release: the root key must be\n"
	"                   its pk_hashes[pk_idx], its table hash the --otp value\n"
	"  --explain        for a signature that does not verify, try the known wrong\n"
	"                   constructions and say which one it was made with\n"
	"  --json           one JSON array on stdout: an object per IMAGE\n"
	"  -h, --help       this help\n"
	"  -V, --version    version\n"
	"\n"
	"Exit codes: 0 every image verifies (or is unsigned and intact), 1 an image is\n"
	"rejected (a wrong OEM secret too), 2 usage, 3 malformed image, 4 i/o, 5 key store.\n";

struct inspect_opts {
	int has_otp, explain, json;
	uint8_t otp[32];
	const char *oem_secret; /* or NULL */
	const char *fsbl;       /* or NULL */
};

/* The payload of an encrypted image decrypted with the key of its own
 * derivation constant; the verdict's decryption check compares the hashes. */
static int decrypt(const char *path, const struct image_file *f, const char *src,
		   struct image_sums *sums, struct err *e)
{
	struct oem_key key;
	char warn[OEM_WARN_MAX];
	int rc = oem_derive_key(src, f->img.dec_dc, &key, warn, e);
	if (warn[0])
		fprintf(stderr, "stm32-inspect: warning: %s\n", warn);
	if (!rc && (rc = stm32_file_decrypt(f->fd, &f->img, &key, sums, e)))
		err_prefix(e, "%s", path);
	oem_key_clear(&key);
	return rc;
}

/* 1 when the ROM rejects: any failed check (an unsigned image is judged on
 * the checks that ran: it boots on an open chip). */
static int exit_code(const struct rom_verdict *v, int has_auth)
{
	if (has_auth)
		return v->ok ? 0 : ERR_VERIFY;
	for (int c = 0; c < CHECK_COUNT; c++)
		if (c != CHECK_SIGNED && v->checked[c] && !v->passed[c])
			return ERR_VERIFY;
	return 0;
}

/* A FIP: the entries, then the chain verdict (fip_chain_verdict). */
static int inspect_fip(const char *path, const struct inspect_opts *o, json_object *arr)
{
	struct err e = { 0 };
	struct fip_view v;
	if (fip_view_load(path, &v, &e)) {
		fprintf(stderr, "stm32-inspect: %s\n", e.msg);
		if (arr)
			json_object_array_add(arr, inspect_json_error(path, &e));
		return e.code;
	}
	struct fip_chain_opts co = { o->has_otp ? o->otp : NULL, o->explain, o->fsbl };
	json_object *obj = arr ? fip_view_json(&v) : NULL;
	if (!arr)
		fip_view_print(stdout, &v);
	int rc = fip_chain_verdict(&v, &co, arr ? NULL : stdout, obj);
	if (obj)
		json_object_array_add(arr, obj);
	if (!rc && (rc = fip_view_bad_cert(&v, &e)))
		fprintf(stderr, "stm32-inspect: %s\n", e.msg);
	fip_view_free(&v);
	return rc;
}

static int inspect_one(const char *path, const struct inspect_opts *o, json_object *arr)
{
	if (fip_file_is_fip(path))
		return inspect_fip(path, o, arr);
	struct err e = { 0 };
	struct image_file f;
	struct image_sums sums;
	struct rom_verdict v;
	if (image_file_open(path, &f, &e) || stm32_file_sums(f.fd, &f.img, f.hdr, &sums, &e) ||
	    (o->oem_secret && f.img.has_decrypt && decrypt(path, &f, o->oem_secret, &sums, &e))) {
		fprintf(stderr, "stm32-inspect: %s\n", e.msg);
		if (arr)
			json_object_array_add(arr, inspect_json_error(path, &e));
		image_file_close(&f);
		return e.code;
	}
	stm32_rom_verify(&f.img, &sums, o->has_otp ? o->otp : NULL, &v);
	struct explanation ex = { .matched = -1 };
	if (o->explain && f.img.has_auth && !v.passed[CHECK_SIGNATURE])
		explain_signature(f.fd, &f.img, f.hdr, sums.digest, &ex);
	if (o->explain)
		explain_keys(&f.img, o->has_otp ? o->otp : NULL, &ex);
	if (arr) {
		json_object_array_add(arr, inspect_json(path, &f.img, &sums, &v, o->explain ? &ex : NULL));
	} else {
		stm32_dump(stdout, path, &f.img, &sums);
		stm32_dump_verdict(stdout, &v);
		if (o->explain && (ex.n || ex.advice[0] || ex.key_advice[0]))
			explain_print(stdout, &ex);
	}
	image_file_close(&f);
	return exit_code(&v, f.img.has_auth);
}

/* A failure before any image: the message, and with --json the array of one
 * {"error", "exit_code"} object (still one document on stdout). */
static int fail_early(int json, const struct err *e)
{
	fprintf(stderr, "stm32-inspect: %s\n", e->msg);
	if (e->code == ERR_USAGE)
		fprintf(stderr, "Try 'stm32-inspect --help'.\n");
	if (json) {
		json_object *arr = json_object_new_array(), *o = json_object_new_object();
		json_object_object_add(o, "error", json_object_new_string(e->msg));
		json_object_object_add(o, "exit_code", json_object_new_int((int)e->code));
		json_object_array_add(arr, o);
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	return e->code;
}

int main(int argc, char **argv)
{
	/* a full disk or ulimit -f: write() fails with EFBIG and is reported */
	signal(SIGXFSZ, SIG_IGN);
	static const struct option opts[] = {
		{ "otp", required_argument, NULL, 'o' }, { "explain", no_argument, NULL, 'x' },
		{ "json", no_argument, NULL, 'j' },      { "help", no_argument, NULL, 'h' },
		{ "oem-secret", required_argument, NULL, 's' }, { "fsbl", required_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },   { NULL, 0, NULL, 0 },
	};
	struct inspect_opts o = { 0 };
	struct err e = { 0 };
	int c, json = 0;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		json |= !strcmp(argv[i], "--json");
	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (otp_parse_arg(optarg, o.otp, &e))
				return fail_early(json, &e);
			o.has_otp = 1;
			break;
		case 's':
			if (uri_has_pin_value(optarg))
				return fail_early(json, &(struct err){ ERR_USAGE, "--oem-secret holds pin-value: a PIN on the "
					"command line is visible to every user; use pin-source=file:PATH" });
			o.oem_secret = optarg;
			break;
		case 'f': o.fsbl = optarg; break;
		case 'x': o.explain = 1; break;
		case 'j': o.json = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("stm32-inspect %s\n", STM32_SIGN_VERSION); return 0;
		default: return fail_early(json, &(struct err){ ERR_USAGE, "unknown or incomplete option" });
		}
	}
	if (optind >= argc)
		return fail_early(json, &(struct err){ ERR_USAGE, "no IMAGE given" });
	json_object *arr = o.json ? json_object_new_array() : NULL;
	int worst = 0;
	for (int i = optind; i < argc; i++) {
		int rc = inspect_one(argv[i], &o, arr);
		if (rc > worst)
			worst = rc;
	}
	if (arr) {
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	return worst;
}
