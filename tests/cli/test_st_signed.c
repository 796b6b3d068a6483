/* The ground truth: 26 images made by ST's STM32_SigningTool_CLI v2.20.0 from
 * our keys, payloads and secret (tests/vectors/st-signed, cases.tsv holds the
 * tool's exact arguments). Every signed one must verify; our tools, given the
 * same inputs, must write ST's bytes except what ST makes at random (the
 * signature and the padding extension's body; compared by the independent
 * tests/tools/st_compare.py). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/testutil.h"

struct st_case {
	char name[24];
	char keys[8];     /* keys_<keys>/pubN.pem */
	char header[4];
	int sig;          /* signed */
	int enc;          /* encrypted (the encryption issue's) */
	int nonauth;      /* offset of the 8 unsigned bytes, 0 when none */
};

static struct st_case cases[] = {
	{ "v10_p256", "p256", "1.0", 1, 0, 0 },      { "v10_p256_big", "p256", "1.0", 1, 0, 0 },
	{ "v10_bp256", "bp256", "1.0", 1, 0, 0 },    { "v10_nokeys", "", "1.0", 0, 0, 0 },
	{ "v20_p256", "p256", "2.0", 1, 0, 0 },      { "v20_p256_idx6", "p256", "2.0", 1, 0, 0 },
	{ "v20_bp256", "bp256", "2.0", 1, 0, 0 },    { "v20_enc", "p256", "2.0", 1, 1, 0 },
	{ "v20_nokeys", "", "2.0", 0, 0, 0 },        { "v22_p256", "p256", "2.2", 1, 0, 0x78 },
	{ "v22_p256_idx5", "p256", "2.2", 1, 0, 0x78 }, { "v22_p256_1b", "p256", "2.2", 1, 0, 0x78 },
	{ "v22_ssbl", "p256", "2.2", 1, 0, 0x78 },   { "v22_teeh", "p256", "2.2", 1, 0, 0x78 },
	{ "v22_bp256", "bp256", "2.2", 1, 0, 0x78 }, { "v22_enc", "p256", "2.2", 1, 1, 0x78 },
	{ "v22_enc_big", "p256", "2.2", 1, 1, 0x78 }, { "v22_nokeys", "", "2.2", 0, 0, 0x78 },
	{ "v23_p256", "p256", "2.3", 1, 0, 0x98 },   { "v23_p256_idx2", "p256", "2.3", 1, 0, 0x98 },
	{ "v23_p384", "p384", "2.3", 1, 0, 0x98 },   { "v23_p384_idx7", "p384", "2.3", 1, 0, 0x98 },
	{ "v23_bp384", "bp384", "2.3", 1, 0, 0x98 }, { "v23_enc", "p256", "2.3", 1, 1, 0x98 },
	{ "v23_nokeys", "", "2.3", 0, 0, 0x98 },
};
#define NCASES (sizeof cases / sizeof cases[0])

static struct st_case *only(int (*keep)(const struct st_case *), size_t *n)
{
	struct st_case *out = cr_malloc(sizeof cases);
	*n = 0;
	for (size_t i = 0; i < NCASES; i++)
		if (keep(&cases[i]))
			out[(*n)++] = cases[i];
	return out;
}

static void free_params(struct criterion_test_params *p)
{
	cr_free(p->params);
}

/* The parameters: the cases a filter keeps. */
#define CASES_WHERE(keep)                                                             \
	do {                                                                          \
		size_t n;                                                             \
		struct st_case *p = only(keep, &n);                                   \
		return cr_make_param_array(struct st_case, p, n, free_params);        \
	} while (0)

static int is_signed(const struct st_case *c) { return c->sig; }
static int any(const struct st_case *c) { (void)c; return 1; }

/* The OTP value of the case's key set, as a file otp.bin in dir, from the
 * ST key files (v1.0: the one key). */
static void otp_of(const char *dir, const struct st_case *c)
{
	struct run r = run_cmd("cd %s/vectors/st-signed && set -- keys_%s/pub*.pem && [ %s = 1.0 ] && set -- keys_%s/pub0.pem; "
		    "stm32-prep keys --header %s $(for k in \"$@\"; do printf -- '--pubkey %%s ' $k; done) -o %s/otp.bin >/dev/null 2>&1",
		    getenv("STM32_TESTS"), c->keys, c->header, c->keys, c->header, dir);
	cr_assert_eq(r.code, 0, "%s: the OTP value: %s", c->name, r.err);
	run_free(&r);
}

ParameterizedTestParameters(st_signed, is_accepted_with_the_otp_of_its_key_set)
{
	CASES_WHERE(is_signed);
}

ParameterizedTest(struct st_case *c, st_signed, is_accepted_with_the_otp_of_its_key_set)
{
	const char *dir = tmpdir_new();
	otp_of(dir, c);
	struct run r = run_cmd("stm32-inspect --otp %s/otp.bin %s/vectors/st-signed/out/%s.stm32", dir,
			       getenv("STM32_TESTS"), c->name);
	cr_expect_eq(r.code, 0, "%s: %s%s", c->name, r.out, r.err);
	cr_expect(strstr(r.out, "ROM verdict:       accepted") != NULL, "%s: %s", c->name, r.out);
	run_free(&r);
	tmpdir_rm(dir);
}

ParameterizedTestParameters(st_signed, is_rejected_when_a_payload_bit_flips)
{
	CASES_WHERE(is_signed);
}

ParameterizedTest(struct st_case *c, st_signed, is_rejected_when_a_payload_bit_flips)
{
	const char *dir = tmpdir_new();
	struct run r = run_cmd("cd %s && cp %s/vectors/st-signed/out/%s.stm32 x.stm32 && chmod u+w x.stm32 && "
			       "size=$(stat -c %%s x.stm32) && /usr/bin/python3 %s x.stm32 $((size - 17)) && stm32-inspect x.stm32",
			       dir, getenv("STM32_TESTS"), c->name, fixture("tools/flipbit.py"));
	cr_expect_eq(r.code, 1, "%s: %s%s", c->name, r.out, r.err);
	cr_expect(strstr(r.out, "REJECTED at signature") != NULL, "%s: %s", c->name, r.out);
	run_free(&r);
	tmpdir_rm(dir);
}

static int has_nonauth(const struct st_case *c) { return c->sig && c->nonauth; }

ParameterizedTestParameters(st_signed, still_verifies_when_a_bit_of_the_unsigned_fields_flips)
{
	CASES_WHERE(has_nonauth);
}

ParameterizedTest(struct st_case *c, st_signed, still_verifies_when_a_bit_of_the_unsigned_fields_flips)
{
	const char *dir = tmpdir_new();
	otp_of(dir, c);
	for (int off = 0; off < 8; off += 3) {
		struct run r = run_cmd("cd %s && cp %s/vectors/st-signed/out/%s.stm32 x.stm32 && chmod u+w x.stm32 && "
				       "/usr/bin/python3 %s x.stm32 %d && stm32-inspect --otp otp.bin x.stm32",
				       dir, getenv("STM32_TESTS"), c->name, fixture("tools/flipbit.py"), c->nonauth + off);
		cr_expect_eq(r.code, 0, "%s +%d: %s%s", c->name, off, r.out, r.err);
		cr_expect(strstr(r.out, "check signature       ok") != NULL, "%s: %s", c->name, r.out);
		cr_expect(strstr(r.out, "NON-ZERO: ST writes 0") != NULL, "%s: %s", c->name, r.out);
		run_free(&r);
	}
	tmpdir_rm(dir);
}

/* ST's arguments for a case, from cases.tsv. */
static void st_args(const char *name, char *out, size_t n)
{
	char path[4096], line[4096];
	snprintf(path, sizeof path, "%s/vectors/st-signed/cases.tsv", getenv("STM32_TESTS"));
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t');
		if (!tab || (size_t)(tab - line) != strlen(name) || strncmp(line, name, strlen(name)))
			continue;
		tab[strcspn(tab, "\n")] = '\0';
		snprintf(out, n, "%s", tab + 1);
	}
	fclose(f);
	cr_assert(out[0], "%s is not in cases.tsv", name);
}

ParameterizedTestParameters(st_compat, rebuilds_st_bytes_from_st_arguments)
{
	CASES_WHERE(any);
}

ParameterizedTest(struct st_case *c, st_compat, rebuilds_st_bytes_from_st_arguments)
{
	char args[4096];
	const char *dir = tmpdir_new();
	st_args(c->name, args, sizeof args);
	struct run r = run_cmd("cd %s/vectors/st-signed && stm32-sign-compat %s -s -o %s/ours.stm32 && "
			       "/usr/bin/python3 %s %s/ours.stm32 out/%s.stm32",
			       getenv("STM32_TESTS"), args, dir, fixture("tools/st_compare.py"), dir, c->name);
	cr_expect_eq(r.code, 0, "%s: %s%s", c->name, r.out, r.err);
	run_free(&r);
	tmpdir_rm(dir);
}

ParameterizedTestParameters(st_two_phase, prep_sign_assemble_give_st_bytes)
{
	CASES_WHERE(is_signed);
}

/* ST's options as stm32-prep's: the signing key's index from its file name,
 * its unencrypted twin as a file: key, ST's 32-byte alignment, and the OEM
 * secret file and derivation constant of an encrypted image. */
#define TO_PREP "sed -E -e 's/-bin ([^ ]+)/\\1/' -e 's/-pubk //' -e 's/(keys_[a-z0-9]+\\/pub[0-7]\\.pem)/--pubkey \\1/g' " \
	"-e \"s|-prvk (keys_[a-z0-9]+)/k([0-7])_enc\\.pem|--key-index \\2 --key-uri file:$V/\\1/k\\2.pem|\" " \
	"-e 's/-pwd [^ ]+//' -e 's/-a [0-9]+//' -e 's/-of [^ ]+//' -e 's/-t /--type /' -e 's/-iv /--image-version /' " \
	"-e 's/-la /--load /' -e 's/-ep /--entry /' -e 's/-hv /--header /' " \
	"-e 's/-enck /--oem-secret /' -e 's/-encdc /--derivation-constant /'"

ParameterizedTest(struct st_case *c, st_two_phase, prep_sign_assemble_give_st_bytes)
{
	char args[4096];
	const char *dir = tmpdir_new();
	st_args(c->name, args, sizeof args);
	struct run r = run_cmd("V=%s/vectors/st-signed && cd $V && prep=$(echo '%s' | " TO_PREP ") && "
			       "stm32-prep -q --align 32 $prep -o %s/img.prepared.stm32 -m %s/m.yaml && cd %s && "
			       "kms-sign-digest -q m.yaml -o s.yaml 2>/dev/null && stm32-assemble -q m.yaml s.yaml --out-dir out && "
			       "/usr/bin/python3 %s out/img.stm32 $V/out/%s.stm32",
			       getenv("STM32_TESTS"), args, dir, dir, dir, fixture("tools/st_compare.py"), c->name);
	cr_expect_eq(r.code, 0, "%s: %s%s", c->name, r.out, r.err);
	run_free(&r);
	tmpdir_rm(dir);
}
