/* ST's option spellings. --public-key takes one to eight files: the Yocto
 * recipe passes them as separate words (an unquoted $(ls ... | tr '\n' '\t')). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/num.h"
#include "common/uri.h"
#include "compat.h"

enum arity { FLAG, ONE, MANY };

struct opt {
	const char *names[3];
	enum arity arity;
	int id;
};

enum { O_BIN, O_OUT, O_PUBK, O_PRVK, O_PWD, O_TYPE, O_IV, O_LA, O_EP, O_OF, O_HV, O_NK, O_SILENT,
       O_DUMP, O_HELP, O_VERSION, O_ALGO, O_ALIGN, O_ENCK, O_ENCDC };

static const struct opt opts[] = {
	{ { "-bin", "--binary-image", "-in" }, ONE, O_BIN },
	{ { "-o", "--output", NULL }, ONE, O_OUT },
	{ { "-pubk", "--public-key", NULL }, MANY, O_PUBK },
	{ { "-prvk", "--private-key", NULL }, ONE, O_PRVK },
	{ { "-pwd", "--password", NULL }, ONE, O_PWD },
	{ { "-t", "--type", NULL }, ONE, O_TYPE },
	{ { "-iv", "--image-version", NULL }, ONE, O_IV },
	{ { "-la", "--load-address", NULL }, ONE, O_LA },
	{ { "-ep", "--entry-point", NULL }, ONE, O_EP },
	{ { "-of", "--option-flags", NULL }, ONE, O_OF },
	{ { "-hv", "--header-version", NULL }, ONE, O_HV },
	{ { "-a", "--algorithm", NULL }, ONE, O_ALGO },
	{ { "-align", "--align", NULL }, FLAG, O_ALIGN },
	{ { "-enck", "--enc-key", NULL }, ONE, O_ENCK },
	{ { "-encdc", "--enc-dc", NULL }, ONE, O_ENCDC },
	{ { "-nk", "--no-keys", NULL }, FLAG, O_NK },
	{ { "-s", "--silent", NULL }, FLAG, O_SILENT },
	{ { "-dump", "--dump-header", NULL }, ONE, O_DUMP },
	{ { "-h", "--help", NULL }, FLAG, O_HELP },
	{ { "--version", NULL, NULL }, FLAG, O_VERSION },
};

static const char usage_text[] =
	"Usage: stm32-sign-compat -bin IN -o OUT [-pubk K0.pem ... K7.pem -prvk KEY] [options]\n"
	"\n"
	"ST's STM32_SigningTool_CLI command line, signing in one process with the same\n"
	"code as stm32-prep | kms-sign-digest | stm32-assemble. -prvk also takes a key\n"
	"URI (awskms:///alias/..., pkcs11:..., file:...), so a recipe keeps its shape and\n"
	"the key stays in KMS or the HSM. Options it does not support are refused.\n"
	"As ST's tool: the payload is zero-padded to a multiple of 32 (counted in the\n"
	"image length), header 2.3 puts it at 0x400, a v2.x table takes 8 keys, and the\n"
	"table index is where the signing key's public key is in the -pubk list.\n"
	"\n"
	"  -bin, --binary-image, -in FILE   payload or unsigned .stm32\n"
	"  -o, --output FILE                output (default: NAME_Signed.stm32)\n"
	"  -pubk, --public-key FILE...      1 (v1.0) to 8 public keys, in table order\n"
	"  -prvk, --private-key KEY         key URI, or a PEM private key file\n"
	"  -pwd, --password PASS            password of an encrypted PEM private key\n"
	"  -t, --type T                     fsbl|ssbl|teeh|teed|teex|copro|NUMBER\n"
	"  -iv, --image-version N           anti-rollback version\n"
	"  -la, --load-address ADDR         load address\n"
	"  -ep, --entry-point ADDR          entry point\n"
	"  -of, --option-flags FLAGS        checked against the flags the header gets\n"
	"  -hv, --header-version V          1, 2, 2.0, 2.2 or 2.3 (2.1 is refused)\n"
	"  -a, --algorithm N                1 P-256, 2 brainpoolP256t1, 3 P-384, 4 brainpoolP384t1:\n"
	"                                   checked against the signing key\n"
	"  -align, --align                  accepted: the v2.3 payload is always placed at 0x400\n"
	"                                   (ST's tool 2.20 does it alone, 2.21+ with -align)\n"
	"  -enck, --enc-key SRC             encrypt the FSBL (headers 2.x): the 16-byte OEM\n"
	"                                   secret file (32 bytes: the first 16 are used) or\n"
	"                                   a pkcs11: URI of an AES-128 key in a token\n"
	"  -encdc, --enc-dc N               derivation constant (with -enck; -of 0x80000003)\n"
	"  -nk, --no-keys                   header only, unsigned\n"
	"  -s, --silent                     no output but errors\n"
	"  -dump, --dump-header FILE        print a header (after signing, when signing)\n"
	"  -h, --help; --version\n"
	"\n"
	"Exit codes: as stm32-prep, kms-sign-digest and stm32-assemble (0 ok, 1 verify,\n"
	"2 usage, 3 malformed input, 4 i/o, 5 key store).\n";

static const struct opt *find(const char *arg)
{
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		for (int n = 0; n < 3 && opts[i].names[n]; n++)
			if (!strcmp(arg, opts[i].names[n]))
				return &opts[i];
	return NULL;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "stm32-sign-compat: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	return ERR_USAGE;
}

static int add_pubkey(struct compat_opts *o, const char *word)
{
	/* a quoted list separated by tabs or spaces counts as several words */
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", word);
	for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		if (o->keyset.n >= STM32_MAX_KEYS)
			return fail("--public-key: more than 8 keys (at %s)", t);
		snprintf(o->keyset.paths[o->keyset.n++], sizeof o->keyset.paths[0], "%s", t);
		o->spec.keyset = &o->keyset;
	}
	return 0;
}

static int number(const char *arg, const char *name, uint32_t *v, int *has)
{
	if (num_parse_u32(arg, v))
		return fail("%s takes a number (decimal or 0x hex, 32 bits)", name);
	if (has)
		*has = 1;
	return 0;
}

static int header_version(struct compat_opts *o, const char *v)
{
	if (layout_refused_name(v))
		return fail("--header-version %s: %s", v, layout_refused_name(v));
	o->spec.layout = layout_by_name(v);
	return o->spec.layout ? 0 : fail("--header-version '%s' is not 1, 2, 2.0, 2.2 or 2.3", v);
}

static int apply(struct compat_opts *o, int id, const char *v)
{
	struct prep_spec *s = &o->spec;
	switch (id) {
	case O_BIN: s->input = (char *)v; return 0;
	case O_OUT: o->output = v; return 0;
	case O_PUBK: return add_pubkey(o, v);
	case O_PRVK: o->private_key = v; return 0;
	case O_PWD: o->password = v; return 0;
	case O_TYPE:
		s->has_type = 1;
		return stm32_binary_type_parse(v, &s->type) ? fail("--type '%s' is not fsbl, ssbl, optee, m33 or a number", v) : 0;
	case O_IV: return number(v, "--image-version", &s->image_version, &s->has_version);
	case O_LA: return number(v, "--load-address", &s->load, &s->has_load);
	case O_EP: return number(v, "--entry-point", &s->entry, &s->has_entry);
	case O_OF: return number(v, "--option-flags", &o->flags, &o->has_flags);
	case O_HV: return header_version(o, v);
	case O_ALGO:
		if (number(v, "--algorithm", &o->algo, &o->has_algo))
			return ERR_USAGE;
		return ecc_algo_name(o->algo) ? 0 : fail("--algorithm %s is not 1, 2, 3 or 4", v);
	case O_ENCK:
		if (uri_has_pin_value(v))
			return fail("--enc-key holds pin-value: a PIN on the command line is visible to every user; use pin-source=file:PATH");
		s->oem_secret = v;
		return 0;
	case O_ENCDC: return number(v, "--enc-dc", &s->dc, &o->has_dc);
	case O_NK: o->no_keys = 1; return 0;
	case O_ALIGN: return 0; /* the row's payload offset already is ST's */
	case O_SILENT: o->silent = 1; return 0;
	case O_DUMP: o->dump = v; return 0;
	case O_HELP: fputs(usage_text, stdout); exit(0);
	case O_VERSION: printf("stm32-sign-compat %s\n", STM32_SIGN_VERSION); exit(0);
	}
	return ERR_USAGE;
}

int compat_parse(int argc, char **argv, struct compat_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const struct opt *op = find(argv[i]);
		if (!op)
			return argv[i][0] == '-'
				       ? fail("option %s is not supported by stm32-sign-compat (refused, not ignored)", argv[i])
				       : fail("unexpected argument '%s'", argv[i]);
		if (op->arity != FLAG && (i + 1 >= argc || (argv[i + 1][0] == '-' && argv[i + 1][1])))
			return fail("%s needs a value", argv[i]);
		int rc = 0;
		if (op->arity == FLAG)
			rc = apply(o, op->id, NULL);
		else if (op->arity == ONE)
			rc = apply(o, op->id, argv[++i]);
		else
			while (!rc && i + 1 < argc && !(argv[i + 1][0] == '-' && argv[i + 1][1]))
				rc = apply(o, op->id, argv[++i]);
		if (rc)
			return rc;
	}
	if (!o->spec.input && !o->dump)
		return fail("%s", "missing -bin FILE (try --help)");
	if (o->spec.oem_secret && !o->has_dc)
		return fail("%s", "--enc-key needs --enc-dc N (the derivation constant)");
	if (o->has_dc && !o->spec.oem_secret)
		return fail("%s", "--enc-dc needs --enc-key FILE (the OEM secret)");
	return 0;
}
