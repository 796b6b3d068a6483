/* stm32-assemble and stm32-inspect: the whole flow for every header version,
 * independent verification with dd and the OpenSSL CLI, tampering between the
 * phases, and --explain on deliberately wrong constructions. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/kms.h"
#include "tests/helpers/testutil.h"

static const char *dir;
static struct kms_srv srv;

static void start(void)
{
	dir = tmpdir_new();
	kms_start_fixture_keys(&srv, dir, "k3 p384");
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

struct flow {
	char header[4];
	char store[8]; /* file, kms, hsm */
	char key[8];   /* fixture key: k3 (P-256), p384, bp384 (ST vectors' k2) */
	char segs[24]; /* the spec's signed segments; END: the end of the image */
};

#define S10 "0x48 END"
#define S22 "0x48 0x78 0x80 END"
#define S23 "0x68 0x98 0xa0 END"
static struct flow flows[] = {
	{ "1.0", "file", "k3", S10 }, { "2.0", "file", "k3", S10 }, { "2.2", "file", "k3", S22 },
	{ "2.3", "file", "k3", S23 }, { "2.3", "file", "p384", S23 },
	{ "1.0", "kms", "k3", S10 },  { "2.0", "kms", "k3", S10 },  { "2.2", "kms", "k3", S22 },
	{ "2.3", "kms", "k3", S23 },  { "2.3", "kms", "p384", S23 },
	{ "1.0", "hsm", "k3", S10 },  { "2.0", "hsm", "k3", S10 },  { "2.2", "hsm", "k3", S22 },
	{ "2.3", "hsm", "k3", S23 },  { "2.3", "hsm", "p384", S23 },
	/* AWS KMS has no brainpool keys: PKCS#11 and file: do */
	{ "2.3", "file", "bp384", S23 }, { "2.3", "hsm", "bp384", S23 },
};

/* A key pair made in the token (pkcs11-tool), or made by OpenSSL and imported
 * for the curves pkcs11-tool does not name (brainpool). */
static void hsm_key_of(const char *curve, char *uri, size_t n)
{
	char gen[512];
	if (!strncmp(curve, "brainpool", 9))
		snprintf(gen, sizeof gen, "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:%s -out hk.pem && "
			 "softhsm2-util --import hk.pem --token t --label k3 --id 03 --pin 1111", curve);
	else
		snprintf(gen, sizeof gen, "pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label t --login "
			 "--pin 1111 --keypairgen --key-type EC:%s --label k3 --id 03", curve);
	struct run r = run_cmd(
		"export SOFTHSM2_CONF=%s/softhsm2.conf; cd %s && mkdir -p tokens && "
		"printf 'directories.tokendir = %s/tokens\\nobjectstore.backend = file\\nlog.level = ERROR\\n' > softhsm2.conf && "
		"softhsm2-util --init-token --free --label t --pin 1111 --so-pin 2222 >/dev/null && "
		"%s >/dev/null 2>&1 && echo 1111 > pin && "
		"printf 'format: stm32-signer/1\nkeys:\n  - uri: \\047pkcs11:token=t;object=k3\\047\n"
		"    module: /usr/lib/softhsm/libsofthsm2.so\n    pin: file:%s/pin\n' > signer.yaml && "
		"kms-sign-digest -q --config signer.yaml pubkey 'pkcs11:token=t;object=k3' -o k3.pub.pem",
		dir, dir, dir, gen, dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	snprintf(uri, n, "pkcs11:token=t;object=k3");
}


ParameterizedTestParameters(flow, end_to_end_verifies_with_openssl_cli)
{
	return cr_make_param_array(struct flow, flows, sizeof flows / sizeof flows[0]);
}

ParameterizedTest(struct flow *f, flow, end_to_end_verifies_with_openssl_cli, .init = start, .fini = stop)
{
	char uri[512], keys[1024], priv[512], pubf[512];
	int bp = !strcmp(f->key, "bp384"), p384 = bp || !strcmp(f->key, "p384");
	const char *set = bp ? "keys_bp384" : "keys_p384";
	snprintf(pubf, sizeof pubf, bp ? "vectors/st-signed/keys_bp384/pub2.pem" : "fixtures/keys/%s.pub.pem", f->key);
	snprintf(priv, sizeof priv, bp ? "vectors/st-signed/keys_bp384/k2.pem" : "fixtures/keys/%s.pem", f->key);
	const char *pub = fixture(pubf);
	if (!strcmp(f->store, "file"))
		snprintf(uri, sizeof uri, "file:%s", fixture(priv));
	else if (!strcmp(f->store, "kms"))
		snprintf(uri, sizeof uri, "awskms:///alias/%s", f->key);
	else {
		hsm_key_of(bp ? "brainpoolP384t1" : p384 ? "secp384r1" : "prime256v1", uri, sizeof uri);
		pub = pjoin(dir, "k3.pub.pem");
	}
	if (!strcmp(f->header, "1.0"))
		snprintf(keys, sizeof keys, "--pubkey %s", pub);
	else if (p384) {
		char k0[64], k1[64], p0[4096];
		snprintf(k0, sizeof k0, "vectors/st-signed/%s/pub0.pem", set);
		snprintf(k1, sizeof k1, "vectors/st-signed/%s/pub1.pem", set);
		snprintf(p0, sizeof p0, "%s", fixture(k0));
		snprintf(keys, sizeof keys, "--pubkey %s --pubkey %s --pubkey %s --key-index 2", p0, fixture(k1), pub);
	}
	else
		snprintf(keys, sizeof keys, "--pubkey %s --pubkey %s --pubkey %s --key-index 2",
			 fixture("fixtures/keys/k0.pub.pem"), fixture("fixtures/keys/k1.pub.pem"), pub);
	/* the signed bytes cut with dd at the spec's offsets, verified by the OpenSSL CLI */
	struct run r = run_cmd(
		"%s export SOFTHSM2_CONF=%s/softhsm2.conf; cd %s && head -c 70001 /dev/urandom > p && "
		"stm32-prep -q --header %s --type fsbl --entry 0x2ffe0000 --image-version 4 %s --key-uri '%s' p -o img.prepared.stm32 -m m.yaml && "
		"kms-sign-digest -q %s m.yaml -o s.yaml && stm32-assemble -q m.yaml s.yaml --out-dir out && "
		"stm32-inspect --otp $(grep table_hash m.yaml | awk '{print $2}') out/img.stm32 > inspect.txt && "
		"grep -q 'ROM verdict:       accepted' inspect.txt && "
		"end=$(stat -c %%s out/img.stm32) && set -- $(echo '%s' | sed \"s/END/$end/\") && : > range.bin && "
		"while [ $# -ge 2 ]; do dd if=out/img.stm32 bs=1 skip=$(($1)) count=$(($2 - $1)) status=none >> range.bin; shift 2; done && "
		"grep signature_der s.yaml | awk '{print $2}' | base64 -d > sig.der && "
		"openssl dgst -%s -verify %s -signature sig.der range.bin",
		srv.env, dir, dir, f->header, keys, uri, strcmp(f->store, "hsm") ? "" : "--config signer.yaml",
		f->segs, p384 ? "sha384" : "sha256", pub);
	cr_expect_eq(r.code, 0, "v%s via %s (%s): %s%s", f->header, f->store, f->key, r.out, r.err);
	cr_expect(strstr(r.out, "Verified OK") != NULL, "%s", r.out);
	run_free(&r);
}

/* ---- tampering between the phases ---- */

static void two_signed(void)
{
	FILE *f = fopen(pjoin(dir, "rel.yaml"), "w");
	fprintf(f, "format: stm32-release/1\nkeysets:\n  oem: [%s, %s, %s, %s]\nimages:\n"
		   "  - {id: fsbl-a, input: a.bin, soc: stm32mp25, keyset: oem, key_index: 3, key_uri: 'awskms:///alias/k3'}\n"
		   "  - {id: fsbl-b, input: b.bin, soc: stm32mp25, keyset: oem, key_index: 3, key_uri: 'awskms:///alias/k3'}\n",
		fixture("fixtures/keys/k0.pub.pem"), fixture("fixtures/keys/k1.pub.pem"),
		fixture("fixtures/keys/k2.pub.pem"), fixture("fixtures/keys/k3.pub.pem"));
	fclose(f);
	struct run r = run_cmd("%s cd %s && mkdir -p keys && head -c 4000 /dev/urandom > a.bin && head -c 5000 /dev/urandom > b.bin && "
			       "sed -i \"s|%s/||g\" rel.yaml && cp %s/k?.pub.pem . && "
			       "stm32-prep -q --release rel.yaml --out-dir out && kms-sign-digest -q out/manifest.yaml -o out/s.yaml",
			       srv.env, dir, fixture("fixtures/keys"), fixture("fixtures/keys"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

static void expect_refusal(const char *what, const char *msg, const char *extra)
{
	struct run r = run_cmd("cd %s && %s; stm32-assemble out/manifest.yaml out/s.yaml --out-dir signed %s",
			       dir, what, extra);
	cr_expect_eq(r.code, 1, "exit %d: %s", r.code, r.err);
	cr_expect(strstr(r.err, msg) != NULL, "message\n  %s\nlacks\n  %s", r.err, msg);
	run_free(&r);
	cr_expect(dir_count(pjoin(dir, "signed")) <= 0, "an image was written");
}

Test(tamper, untouched_release_assembles, .init = start, .fini = stop)
{
	two_signed();
	struct run r = run_cmd("cd %s && stm32-assemble out/manifest.yaml out/s.yaml --out-dir signed --json", dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_eq(dir_count(pjoin(dir, "signed")), 2);
	run_free(&r);
}

Test(tamper, signatures_given_as_der_only_or_raw_only_assemble, .init = start, .fini = stop)
{
	two_signed();
	struct run r = run_cmd("cd %s && cp out/s.yaml full.yaml && "
			       "grep -v '^  signature: ' full.yaml > out/s.yaml && "
			       "stm32-assemble -q out/manifest.yaml out/s.yaml --out-dir der && "
			       "grep -v '^  signature_der: ' full.yaml > out/s.yaml && "
			       "stm32-assemble -q out/manifest.yaml out/s.yaml --out-dir raw && "
			       "cmp der/fsbl-a.stm32 raw/fsbl-a.stm32 && cmp der/fsbl-b.stm32 raw/fsbl-b.stm32", dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(tamper, flipped_bit_in_a_prepared_image_is_refused, .init = start, .fini = stop)
{
	two_signed();
	char cmd[512];
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s out/fsbl-b.prepared.stm32 3000", fixture("tools/flipbit.py"));
	expect_refusal(cmd, "image fsbl-b: check file", "");
}

Test(tamper, signatures_swapped_between_images_are_refused, .init = start, .fini = stop)
{
	two_signed();
	expect_refusal("sed -i 's/- id: fsbl-a/- id: TMP/; s/- id: fsbl-b/- id: fsbl-a/; s/- id: TMP/- id: fsbl-b/' out/s.yaml",
		       "image fsbl-a: check digest", "");
}

Test(tamper, signatures_for_another_manifest_are_refused, .init = start, .fini = stop)
{
	two_signed();
	expect_refusal("sed -i 's/^release: \"\"/release: \"other\"/' out/manifest.yaml",
		       "answers another manifest", "");
}

Test(tamper, digest_edited_in_the_manifest_is_refused, .init = start, .fini = stop)
{
	two_signed();
	/* a whole new value: editing one digit is a no-op when it already had that value */
	expect_refusal("sed -i '0,/^  digest: .*/s//  digest: eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/' out/manifest.yaml",
		       "answers another manifest", "");
}

Test(tamper, prepared_file_replaced_is_refused, .init = start, .fini = stop)
{
	two_signed();
	expect_refusal("cp out/fsbl-b.prepared.stm32 out/fsbl-a.prepared.stm32", "image fsbl-a: check file", "");
}

Test(tamper, wrong_otp_value_is_refused_at_the_table_hash_check, .init = start, .fini = stop)
{
	two_signed();
	expect_refusal("true", "check table hash",
		       "--otp 0000000000000000000000000000000000000000000000000000000000000000");
}

Test(tamper, key_table_entry_for_another_key_fails_the_key_entry_check, .init = start, .fini = stop)
{
	/* The prepared image's entry 3 is replaced, and the manifest updated to
	 * match, so only the ROM-order verification can catch it. */
	struct run r = run_cmd(
		"cd %s && head -c 3000 /dev/urandom > p && "
		"stm32-prep -q --soc stm32mp25 --pubkey %s --pubkey %s --key-index 1 --key-uri file:%s p -o o.prepared.stm32 -m m.yaml && "
		"/usr/bin/python3 %s o.prepared.stm32 $((0xd4 + 32)) 0xaa && "
		"sed -i \"s/file_sha256: .*/file_sha256: $(sha256sum o.prepared.stm32 | cut -c1-64)/\" m.yaml && "
		"sed -i \"s/^  digest: .*/  digest: $(dd if=o.prepared.stm32 bs=1 skip=72 status=none | sha256sum | cut -c1-64)/\" m.yaml && "
		"kms-sign-digest -q m.yaml -o s.yaml && stm32-assemble m.yaml s.yaml --out-dir signed",
		dir, fixture("fixtures/keys/k0.pub.pem"), fixture("fixtures/keys/k3.pub.pem"), fixture("fixtures/keys/k3.pem"),
		fixture("tools/flipbit.py"));
	cr_expect_eq(r.code, 1, "%s", r.err);
	cr_expect(strstr(r.err, "image o: check table hash") || strstr(r.err, "image o: check key entry"), "%s", r.err);
	cr_expect(dir_count(pjoin(dir, "signed")) <= 0);
	run_free(&r);
}

Test(tamper, every_failure_is_reported_and_keep_going_writes_the_good_ones, .init = start, .fini = stop)
{
	two_signed();
	struct run r = run_cmd("cd %s && /usr/bin/python3 %s out/fsbl-b.prepared.stm32 3000 && "
			       "stm32-assemble out/manifest.yaml out/s.yaml --out-dir signed --keep-going", dir,
			       fixture("tools/flipbit.py"));
	cr_expect_eq(r.code, 1);
	cr_expect(strstr(r.out, "fsbl-a                   VERIFIED") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "fsbl-b                   FAILED") != NULL, "%s", r.out);
	cr_expect_eq(dir_count(pjoin(dir, "signed")), 1);
	run_free(&r);
}

/* ---- signatures as the ROM sees them, and --explain ---- */

/* A prepared image of the SoC with two keys (index 1 signs), forged by the
 * independent tests/tools/forge.py, then inspected. */
static struct run forge_on(const char *soc, const char *what, const char *inspect_args)
{
	int p384 = !strcmp(soc, "stm32mp21");
	const char *k0 = p384 ? "vectors/st-signed/keys_p384/pub0.pem" : "fixtures/keys/k0.pub.pem";
	const char *k1 = p384 ? "vectors/st-signed/keys_p384/pub1.pem" : "fixtures/keys/k3.pub.pem";
	const char *sk = p384 ? "vectors/st-signed/keys_p384/k1.pem" : "fixtures/keys/k3.pem";
	char k0p[4096], k1p[4096];
	snprintf(k0p, sizeof k0p, "%s", fixture(k0));
	snprintf(k1p, sizeof k1p, "%s", fixture(k1));
	return run_cmd("cd %s && head -c 20000 /dev/urandom > p && "
		       "stm32-prep -q --soc %s --pubkey %s --pubkey %s --key-index 1 p -o o.stm32 && "
		       "/usr/bin/python3 %s %s o.stm32 %s f.stm32 && stm32-inspect %s f.stm32",
		       dir, soc, k0p, k1p, fixture("tools/forge.py"), what, fixture(sk), inspect_args);
}

static struct run forge(const char *what, const char *inspect_args)
{
	return forge_on("stm32mp23", what, inspect_args);
}

Test(rom, high_s_signature_is_accepted, .init = start, .fini = stop)
{
	struct run r = forge("high-s", "");
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "accepted") != NULL);
	run_free(&r);
}

Test(rom, independently_forged_v23_p384_signature_is_accepted, .init = start, .fini = stop)
{
	struct run r = forge_on("stm32mp21", "correct", "");
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "ECDSA P-384 over SHA-384 of [0x68, 0x98) + [0xa0, ") != NULL, "%s", r.out);
	run_free(&r);
}

Test(rom, regression_v22_signed_over_0x48_to_the_end_is_rejected_and_explained, .init = start, .fini = stop)
{
	/* the first spec (and the code) hashed 0x78..0x7F: ST's ROM does not */
	struct run r = forge("contiguous", "--explain");
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "REJECTED at signature") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "contiguous-range     MATCH") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "the 8 bytes at 0x78..0x7f (non-authenticated payload length and hash) are not signed") != NULL,
		  "%s", r.out);
	run_free(&r);
}

struct wrong {
	char soc[16];
	char construction[16];
	char match[32];
	char advice[96];
};

static struct wrong wrongs[] = {
	{ "stm32mp23", "contiguous", "contiguous-range", "(non-authenticated payload length and hash) are not signed" },
	{ "stm32mp23", "eof", "hash-to-end-of-file", "bytes past image_length (e.g. alignment padding) were hashed" },
	{ "stm32mp23", "double", "hash-of-hash", "hashed the digest again (AWS KMS MessageType=RAW" },
	{ "stm32mp23", "header", "header-only", "only the header was hashed" },
	{ "stm32mp23", "payload", "payload-only", "only the payload was hashed" },
	{ "stm32mp23", "offset0", "from-offset-0", "the hash started at offset 0" },
	{ "stm32mp23", "short-r", "short-r", "dropped a leading zero byte of r" },
	{ "stm32mp13", "contiguous", "", "" }, /* v2.0 is contiguous: correct there */
	{ "stm32mp21", "contiguous", "contiguous-range", "the 8 bytes at 0x98..0x9f" },
	{ "stm32mp21", "eof", "hash-to-end-of-file", "bytes past image_length" },
	{ "stm32mp21", "double", "hash-of-hash", "hashed the digest again" },
	{ "stm32mp21", "offset0", "from-offset-0", "the hash started at offset 0" },
	{ "stm32mp21", "short-r", "short-r", "dropped a leading zero byte of r: each half must be left-padded to 48 bytes" },
};

ParameterizedTestParameters(explain, names_the_wrong_construction)
{
	return cr_make_param_array(struct wrong, wrongs, sizeof wrongs / sizeof wrongs[0]);
}

ParameterizedTest(struct wrong *w, explain, names_the_wrong_construction, .init = start, .fini = stop)
{
	struct run r = forge_on(w->soc, w->construction, "--explain");
	if (!w->match[0]) {
		cr_expect_eq(r.code, 0, "%s %s: %s%s", w->soc, w->construction, r.out, r.err);
		run_free(&r);
		return;
	}
	cr_expect_eq(r.code, 1, "%s %s: %s%s", w->soc, w->construction, r.out, r.err);
	char line[64];
	snprintf(line, sizeof line, "%-20s MATCH", w->match);
	cr_expect(strstr(r.out, line) != NULL, "%s %s: no '%s' in\n%s", w->soc, w->construction, line, r.out);
	cr_expect(strstr(r.out, w->advice) != NULL, "%s %s: advice missing in\n%s", w->soc, w->construction, r.out);
	run_free(&r);
}

Test(explain, public_case_reports_the_32_byte_alignment_padding, .init = start, .fini = stop)
{
	struct run r = forge("eof", "--explain --json");
	cr_expect_eq(r.code, 1);
	cr_expect(strstr(r.out, "\"matched\":\"hash-to-end-of-file\"") || strstr(r.out, "\"matched\": \"hash-to-end-of-file\""), "%s", r.out);
	cr_expect(strstr(r.out, "bytes past image_length") != NULL, "%s", r.out);
	run_free(&r);
}

Test(explain, an_all_zero_signature_is_a_prepared_file_that_was_flashed, .init = start, .fini = stop)
{
	struct run r = run_cmd("cd %s && head -c 2000 /dev/urandom > p && "
			       "stm32-prep -q --soc stm32mp25 --pubkey %s p -o o.stm32 && stm32-inspect --explain o.stm32",
			       dir, fixture("fixtures/keys/k0.pub.pem"));
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "unsigned: the signature field is all zero. A prepared file was flashed") != NULL, "%s", r.out);
	run_free(&r);
}

Test(explain, table_entry_made_of_x_and_y_only_is_named, .init = start, .fini = stop)
{
	struct run r = forge("xy-table", "--explain");
	cr_expect_eq(r.code, 1, "%s", r.out);
	cr_expect(strstr(r.out, "REJECTED at key entry") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "table entry 1 is SHA-256(X||Y)") != NULL, "%s", r.out);
	run_free(&r);
}

/* A table hash that fails: what was fused instead of the table hash. */
struct otp_case {
	char name[32];
	char otp[200];    /* shell: prints the OTP value (hex) to try */
	char advice[96];
};

#define TABLE_HASH "grep -o 'Table hash (OTP):  [0-9a-f]*' t.txt | awk '{print $4}'"
static struct otp_case otp_cases[] = {
	{ "sha256_of_x_and_y", "openssl pkey -pubin -in k1.pem -outform DER | tail -c 64 | sha256sum | cut -c1-64",
	  "the OTP value is SHA-256(X||Y) of the signing key (KeyGen's publicKeyHashNN.bin)" },
	{ "the_signing_keys_entry", "grep -o 'Key table\\[1\\]: *[0-9a-f]*' t.txt | awk '{print $3}'",
	  "the OTP value is the table entry of the signing key" },
	{ "words_byte_reversed", TABLE_HASH " | sed 's/\\(..\\)\\(..\\)\\(..\\)\\(..\\)/\\4\\3\\2\\1/g'",
	  "each 32-bit word byte-reversed" },
	{ "another_key_set", "echo 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	  "the image was prepared with another key set than the one fused" },
};

ParameterizedTestParameters(explain, names_what_was_fused_instead_of_the_table_hash)
{
	return cr_make_param_array(struct otp_case, otp_cases, sizeof otp_cases / sizeof otp_cases[0]);
}

ParameterizedTest(struct otp_case *c, explain, names_what_was_fused_instead_of_the_table_hash, .init = start, .fini = stop)
{
	struct run r = run_cmd("cd %s && head -c 3000 /dev/urandom > p && cp %s k1.pem && "
			       "stm32-prep -q --soc stm32mp25 --pubkey %s --pubkey k1.pem --key-index 1 p -o o.stm32 && "
			       "/usr/bin/python3 %s correct o.stm32 %s f.stm32 && stm32-inspect f.stm32 > t.txt; "
			       "stm32-inspect --explain --otp $(%s) f.stm32",
			       dir, fixture("fixtures/keys/k3.pub.pem"), fixture("fixtures/keys/k0.pub.pem"),
			       fixture("tools/forge.py"), fixture("fixtures/keys/k3.pem"), c->otp);
	cr_expect_eq(r.code, 1, "%s: %s%s", c->name, r.out, r.err);
	cr_expect(strstr(r.out, "REJECTED at table hash") != NULL, "%s: %s", c->name, r.out);
	cr_expect(strstr(r.out, c->advice) != NULL, "%s: advice missing in\n%s", c->name, r.out);
	run_free(&r);
}
