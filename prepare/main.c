/* stm32-prep: build complete STM32 boot headers offline and write the digest
 * manifest. main only parses options and dispatches. */
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/uri.h"
#include "common/num.h"
#include "image/image.h"
#include "prep.h"
#include "common/jsonrun.h"
#include "prepcmd.h"

static const char usage_text[] =
	"Usage:\n"
	"  stm32-prep [OPTIONS] INPUT -o OUT.stm32 [-m MANIFEST.yaml]\n"
	"  stm32-prep --release RELEASE.yaml --out-dir DIR\n"
	"  stm32-prep keys --header VER --pubkey K0.pem [--pubkey K1.pem ...] [-o table-hash.bin]\n"
	"  stm32-prep fip --soc SOC --nv-counter N --key ROLE=PUB.pem,URI ... --image NAME=FILE ...\n"
	"                 --out-dir DIR [-m DIR/manifest.yaml] [--pubkey K0.pem ... --key-index N]\n"
	"\n"
	"Builds the complete STM32 header (key table, padding, checksum, every field)\n"
	"with a zero signature, and a manifest of the digests to sign.\n"
	"INPUT is a raw payload or an unsigned .stm32 image (its fields are kept\n"
	"unless an option overrides them).\n"
	"\n"
	"Options:\n"
	"  --header 1.0|2.0|2.2|2.3 header version (MP15 1.0, MP13 2.0, MP23/MP25 2.2,\n"
	"                           MP21/N6 2.3)\n"
	"  --soc NAME               stm32mp15|stm32mp13|stm32mp23|stm32mp25|stm32mp21|stm32n6\n"
	"                           (sets --header)\n"
	"  --type T                 fsbl|ssbl|teeh|teed|teex|copro|optee|m33|NUMBER (binary type)\n"
	"  --load ADDR              load address\n"
	"  --entry ADDR             entry point\n"
	"  --image-version N        anti-rollback image version\n"
	"  --pubkey FILE            PEM or DER public key, in table order (1 for 1.0, up to 8);\n"
	"                           P-256 or brainpoolP256t1, also P-384 or brainpoolP384t1 for 2.3\n"
	"  --key-index N            table entry of the signing key (pk_idx), default 0\n"
	"  --key-uri URI            key that will sign: awskms:///alias/..., pkcs11:..., azurekms://...,\n"
	"                           gcpkms://..., hashivault://..., openbao://..., file:...\n"
	"  --id ID                  image id in the manifest (default: OUT's base name)\n"
	"  --align N                pad the payload with zeros to a multiple of N (counted\n"
	"                           in image_length, so it is hashed and signed; ST's tool: 32)\n"
	"  --payload-offset N       file offset of the payload: zeros between the header and\n"
	"                           it, counted in image_length (default for a raw payload:\n"
	"                           0x400 for 2.3, as ST's tool and the STM32N6 boot need;\n"
	"                           right after the header otherwise)\n"
	"  --oem-secret SRC         encrypt the FSBL as ST's tool does (2.0, 2.2, 2.3): SRC is\n"
	"                           the 16-byte OEM secret file (32 bytes: the first 16 are\n"
	"                           used) or a pkcs11: URI of an AES-128 key in a token\n"
	"  --derivation-constant N  the 32-bit derivation constant of the key (needed with\n"
	"                           --oem-secret; ST's defaults 0x0E5F2025 MP1, 0x25205f0e MP2)\n"
	"  -o, --output FILE        prepared image (or, with keys, the 32-byte table hash)\n"
	"  -m, --manifest FILE      digest manifest to write\n"
	"  --release FILE           prepare every image of a release file\n"
	"  --out-dir DIR            where --release writes images and manifest.yaml\n"
	"  --json                   one JSON document on stdout (with -q and on failure too)\n"
	"\n"
	"fip: the TF-A trusted-boot certificates of a FIP, to sign (one manifest entry each):\n"
	"  --soc stm32mp13|stm32mp15 (MP1 chain) or stm32mp25|stm32mp23|stm32mp21 (MP2 chain)\n"
	"  --key ROLE=PUB.pem,URI   ROLE root, trusted-world, non-trusted-world, tos, nt, soc\n"
	"  --image NAME=FILE        bl31 bl32 bl32-extra1 bl32-extra2 bl33 hw-config fw-config\n"
	"                           soc-fw-config tos-fw-config nt-fw-config ddr-fw\n"
	"  --nv-counter N           both NV counters (--nv-trusted N, --nv-non-trusted N: each)\n"
	"  --pubkey K.pem ... --key-index N   the FSBL key table: root must be slot N (without\n"
	"                           --key root=..., root is slot N and signs with --key-uri)\n"
	"  --id ID                  the FIP's id (default fip: fip.bin, trusted_key.crt ...)\n"
	"  SOURCE_DATE_EPOCH        notBefore of the certificates (default 2000-01-01; notAfter 9999-12-31)\n"
	"  -q, --quiet              no summary\n"
	"  -h, --help               this help\n"
	"  -V, --version            version\n"
	"\n"
	"Exit codes: 0 ok, 2 usage, 3 malformed input, 4 i/o, 5 key store (a pkcs11: OEM\n"
	"secret), 6 internal.\n";

enum opt_id {
	OPT_HEADER = 256, OPT_SOC, OPT_TYPE, OPT_LOAD, OPT_ENTRY, OPT_IMGVER, OPT_PUBKEY,
	OPT_KEYIDX, OPT_KEYURI, OPT_ID, OPT_ALIGN, OPT_RELEASE, OPT_OUTDIR, OPT_JSON,
	OPT_PAYLOAD_OFFSET, OPT_OEM_SECRET, OPT_DC, OPT_FIP_KEY, OPT_FIP_IMAGE, OPT_NV, OPT_NV_T, OPT_NV_NT,
};

static const struct option long_opts[] = {
	{ "header", required_argument, NULL, OPT_HEADER },
	{ "soc", required_argument, NULL, OPT_SOC },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "load", required_argument, NULL, OPT_LOAD },
	{ "entry", required_argument, NULL, OPT_ENTRY },
	{ "image-version", required_argument, NULL, OPT_IMGVER },
	{ "pubkey", required_argument, NULL, OPT_PUBKEY },
	{ "key-index", required_argument, NULL, OPT_KEYIDX },
	{ "key-uri", required_argument, NULL, OPT_KEYURI },
	{ "id", required_argument, NULL, OPT_ID },
	{ "align", required_argument, NULL, OPT_ALIGN },
	{ "payload-offset", required_argument, NULL, OPT_PAYLOAD_OFFSET },
	{ "oem-secret", required_argument, NULL, OPT_OEM_SECRET },
	{ "derivation-constant", required_argument, NULL, OPT_DC },
	{ "output", required_argument, NULL, 'o' },
	{ "manifest", required_argument, NULL, 'm' },
	{ "release", required_argument, NULL, OPT_RELEASE },
	{ "out-dir", required_argument, NULL, OPT_OUTDIR },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "key", required_argument, NULL, OPT_FIP_KEY },
	{ "image", required_argument, NULL, OPT_FIP_IMAGE },
	{ "nv-counter", required_argument, NULL, OPT_NV },
	{ "nv-trusted", required_argument, NULL, OPT_NV_T },
	{ "nv-non-trusted", required_argument, NULL, OPT_NV_NT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	jsonrun_error("%s", msg);
	fprintf(stderr, "Try 'stm32-prep --help'.\n");
	return ERR_USAGE;
}

static int set_layout(struct prep_opts *o, const struct stm32_layout *l, const char *flag,
		      const char *allowed, const char *arg)
{
	if (!l && layout_refused_name(arg))
		return usage_error("%s", layout_refused_name(arg));
	if (!l)
		return usage_error("%s '%s' is not %s", flag, arg, allowed);
	if (o->spec.layout && o->spec.layout != l)
		return usage_error("--header and --soc disagree (%s)", arg);
	o->spec.layout = l;
	return 0;
}

static int parse_u32_opt(const char *arg, const char *name, uint32_t *v, int *has)
{
	if (num_parse_u32(arg, v)) {
		return usage_error("%s '%s' is not a number (decimal or 0x hex, 32 bits)", name, arg);
	}
	if (has)
		*has = 1;
	return 0;
}

static int parse_one(struct prep_opts *o, int c, const char *arg)
{
	struct prep_spec *s = &o->spec;
	switch (c) {
	case OPT_HEADER: return set_layout(o, layout_by_name(arg), "--header", layout_names(), arg);
	case OPT_SOC:
		o->soc = soc_by_name(arg);
		return set_layout(o, layout_by_soc(arg), "--soc", layout_soc_names(), arg);
	case OPT_TYPE:
		if (stm32_binary_type_parse(arg, &s->type))
			return usage_error("--type '%s' is not fsbl, ssbl, teeh, teed, teex, copro, optee, m33 or a number up to 0xff", arg);
		s->has_type = 1;
		return 0;
	case OPT_LOAD: return parse_u32_opt(arg, "--load", &s->load, &s->has_load);
	case OPT_ENTRY: return parse_u32_opt(arg, "--entry", &s->entry, &s->has_entry);
	case OPT_IMGVER: return parse_u32_opt(arg, "--image-version", &s->image_version, &s->has_version);
	case OPT_KEYIDX: o->has_key_index = 1; return parse_u32_opt(arg, "--key-index", &s->key_index, NULL);
	case OPT_ALIGN:
		if (parse_u32_opt(arg, "--align", &s->align, NULL) || s->align < 1 || s->align > 65536)
			return usage_error("--align '%s' must be 1 to 65536", arg);
		return 0;
	case OPT_PAYLOAD_OFFSET:
		return parse_u32_opt(arg, "--payload-offset", &s->payload_offset, &s->has_payload_offset);
	case OPT_PUBKEY:
		if (o->keyset.n >= STM32_MAX_KEYS)
			return usage_error("more than 8 --pubkey (at '%s'): a key table holds 8", arg);
		if (strlen(arg) >= sizeof o->keyset.paths[0])
			return usage_error("--pubkey path too long: %s", arg);
		memcpy(o->keyset.paths[o->keyset.n++], arg, strlen(arg) + 1);
		s->keyset = &o->keyset;
		return 0;
	case OPT_KEYURI:
		if (uri_has_pin_value(arg))
			return usage_error("--key-uri holds pin-value: the manifest would carry the PIN; use pin-source=file:PATH");
		if (strlen(arg) >= sizeof s->key_uri)
			return usage_error("--key-uri too long: %.40s", arg);
		if (!uri_known_scheme(arg))
			return usage_error("--key-uri '%.60s' is not a key URI: " URI_SCHEMES_TEXT, arg);
		memcpy(s->key_uri, arg, strlen(arg) + 1);
		return 0;
	case OPT_OEM_SECRET:
		if (uri_has_pin_value(arg))
			return usage_error("--oem-secret holds pin-value: a PIN on the command line is visible to every user; use pin-source=file:PATH");
		if (!*arg)
			return usage_error("--oem-secret is empty: give a file or a pkcs11: URI");
		s->oem_secret = arg;
		return 0;
	case OPT_DC: return parse_u32_opt(arg, "--derivation-constant", &s->dc, &o->has_dc);
	case OPT_ID:
		if (!manifest_id_valid(arg))
			return usage_error("--id '%s' must be 1-63 of A-Z a-z 0-9 . _ -", arg);
		memcpy(s->id, arg, strlen(arg) + 1);
		return 0;
	case OPT_FIP_KEY:
		if (o->nfip_keys >= 16)
			return usage_error("too many --key");
		o->fip_keys[o->nfip_keys++] = arg;
		return 0;
	case OPT_FIP_IMAGE:
		if (o->nfip_images >= 24)
			return usage_error("too many --image");
		o->fip_images[o->nfip_images++] = arg;
		return 0;
	case OPT_NV: return parse_u32_opt(arg, "--nv-counter", &o->nv[0], &o->has_nv[0]);
	case OPT_NV_T: return parse_u32_opt(arg, "--nv-trusted", &o->nv[1], &o->has_nv[1]);
	case OPT_NV_NT: return parse_u32_opt(arg, "--nv-non-trusted", &o->nv[2], &o->has_nv[2]);
	case 'o': o->output = arg; return 0;
	case 'm': o->manifest = arg; return 0;
	case OPT_RELEASE: o->release = arg; return 0;
	case OPT_OUTDIR: o->out_dir = arg; return 0;
	case OPT_JSON: o->json = 1; return 0;
	case 'q': o->quiet = 1; return 0;
	}
	return ERR_USAGE;
}

static int parse_args(int argc, char **argv, struct prep_opts *o)
{
	int c, rc;
	while ((c = getopt_long(argc, argv, "o:m:qhV", long_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		if (c == 'V') {
			printf("stm32-prep %s\n", STM32_SIGN_VERSION);
			exit(0);
		}
		if (c == '?')
			return usage_error("%s", "unknown or incomplete option");
		if ((rc = parse_one(o, c, optarg)))
			return rc;
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

int main(int argc, char **argv)
{
	/* a full disk or ulimit -f: write() fails with EFBIG and is reported */
	signal(SIGXFSZ, SIG_IGN);
	struct prep_opts o;
	memset(&o, 0, sizeof o);
	int keys_cmd = argc > 1 && !strcmp(argv[1], "keys");
	int fip_cmd = argc > 1 && !strcmp(argv[1], "fip");
	/* known before the options are parsed, so that a usage error is JSON too */
	int json = 0;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		json |= !strcmp(argv[i], "--json");
	jsonrun_start("stm32-prep", json);
	int sub = keys_cmd || fip_cmd;
	int rc = sub ? parse_args(argc - 1, argv + 1, &o) : parse_args(argc, argv, &o);
	if (!rc)
		rc = keys_cmd ? cmd_keys(&o) : fip_cmd ? cmd_fip(&o) : o.release ? cmd_release(&o) : cmd_single(&o);
	return jsonrun_end(rc);
}
