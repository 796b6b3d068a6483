/* stm32-prep from the command line, checked without the project's code
 * where it matters (dd, sha256sum, the OpenSSL CLI). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "tests/helpers/testutil.h"
#include "tests/unit/golden.h"

static const char *dir;
static void setup(void) { dir = tmpdir_new(); }
static void teardown(void) { tmpdir_rm(dir); }

#define KEY(i) fixture("fixtures/keys/k" #i ".pub.pem")
#define EIGHT_KEYS "--pubkey %s --pubkey %s --pubkey %s --pubkey %s --pubkey %s --pubkey %s --pubkey %s --pubkey %s"
#define EIGHT_ARGS KEY(0), KEY(1), KEY(2), KEY(3), KEY(4), KEY(5), KEY(6), KEY(7)

ParameterizedTestParameters(prep_golden, reproduces)
{
	return cr_make_param_array(struct golden, (void *)goldens, GOLDEN_COUNT);
}

ParameterizedTest(const struct golden *g, prep_golden, reproduces, .init = setup, .fini = teardown,
		  .description = "stm32-prep on the payload with ST's field values reproduces ST's file")
{
	char rel[256];
	snprintf(rel, sizeof rel, "vectors/stm32/%s", g->file);
	const char *src = fixture(rel);
	int hs = !strcmp(g->header, "1.0") ? 256 : 512;
	struct run r = run_cmd("dd if='%s' of=%s/payload bs=%d skip=1 status=none && "
			       "stm32-prep -q %s/payload -o %s/out.stm32 --header %s --entry 0x%x --load 0x%x --type 0x%x && "
			       "cmp '%s' %s/out.stm32 && stm32-prep -q '%s' -o %s/again.stm32 && cmp '%s' %s/again.stm32",
			       src, dir, hs, dir, dir, g->header, g->entry, g->load, g->type, src, dir,
			       src, dir, src, dir);
	cr_expect_eq(r.code, 0, "%s: %s%s", g->file, r.out, r.err);
	run_free(&r);
}

ParameterizedTestParameters(prep_golden, dumps_cleanly_with_checksum_ok)
{
	return cr_make_param_array(struct golden, (void *)goldens, GOLDEN_COUNT);
}

ParameterizedTest(const struct golden *g, prep_golden, dumps_cleanly_with_checksum_ok)
{
	char rel[256];
	snprintf(rel, sizeof rel, "vectors/stm32/%s", g->file);
	struct run r = run_cmd("stm32-inspect '%s'", fixture(rel));
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "(ok)") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "Trailing bytes:    0") != NULL);
	run_free(&r);
}

Test(prep, v22_eight_keys_index_5_digest_matches_dd_and_sha256sum, .init = setup, .fini = teardown)
{
	struct run r = run_cmd(
		"head -c 100000 /dev/urandom > %s/payload && cd %s && "
		"stm32-prep --header 2.2 --type fsbl --load 0x0e002600 --entry 0x0e003000 --image-version 3 "
		EIGHT_KEYS " --key-index 5 --key-uri awskms:///alias/fsbl-k5 -o out.stm32 -m manifest.yaml payload && "
		"test \"$(xxd -s 0x64 -l 4 -p out.stm32)\" = 01000080 && "
		"test \"$(xxd -s 0x84 -l 4 -p out.stm32)\" = 54010000 && "
		"test \"$(xxd -s 0x1d4 -l 8 -p out.stm32)\" = 5354ffff2c000000 && "
		"test \"$(xxd -s 4 -l 64 -p out.stm32 | tr -d '\\n' | tr -d 0)\" = '' && "
		"want=$({ dd if=out.stm32 bs=1 skip=$((0x48)) count=$((0x78 - 0x48)) status=none; "
		"dd if=out.stm32 bs=1 skip=$((0x80)) count=$((0x200 + 100000 - 0x80)) status=none; } | sha256sum | cut -c1-64) && "
		"grep -q \"digest: $want\" manifest.yaml && "
		"grep -q \"file_sha256: $(sha256sum out.stm32 | cut -c1-64)\" manifest.yaml && "
		"grep -q 'signed: \\[\\[0x48, 0x78\\], \\[0x80, 0x188a0\\]\\]' manifest.yaml && grep -q 'index: 5' manifest.yaml",
		dir, dir, EIGHT_ARGS);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(prep, table_hash_matches_openssl_cli_computation, .init = setup, .fini = teardown)
{
	/* entry i = SHA-256(01 00 00 00 || X || Y); X||Y = last 64 bytes of the SPKI DER */
	struct run r = run_cmd(
		"cd %s && for i in 0 1 2 3 4 5 6 7; do "
		"k=%s/fixtures/keys/k$i.pub.pem; "
		"{ printf '\\001\\000\\000\\000'; openssl pkey -pubin -in $k -outform DER | tail -c 64; } "
		"| openssl dgst -sha256 -binary >> table.bin; done && "
		"want=$(openssl dgst -sha256 -binary table.bin | xxd -p -c 64) && "
		"stm32-prep keys --header 2.2 " EIGHT_KEYS " -o th.bin > keys.txt 2>notes.txt && "
		"test \"$(xxd -p -c 64 th.bin)\" = \"$want\" && grep -q \"$want\" keys.txt && "
		"grep -q 'stm32mp25: OTP 144-151' keys.txt && grep -q 'fuse prog -y 0 144 0x' keys.txt && "
		"grep -q 'NOT table entries' notes.txt",
		dir, getenv("STM32_TESTS"), EIGHT_ARGS);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(prep, v10_otp_value_is_sha256_of_x_and_y, .init = setup, .fini = teardown)
{
	struct run r = run_cmd(
		"want=$(openssl pkey -pubin -in %s -outform DER | tail -c 64 | sha256sum | cut -c1-64) && "
		"stm32-prep keys --soc stm32mp15 --pubkey %s | grep -q \"$want\"", KEY(0), KEY(0));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(prep, align_pads_payload_and_counts_it_in_image_length, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && head -c 1000 /dev/urandom > p && "
			       "stm32-prep -q --header 2.0 --align 64 p -o o.stm32 && "
			       "test $(stat -c %%s o.stm32) = $((0x200 + 1024)) && "
			       "test \"$(xxd -s 0x4c -l 4 -p o.stm32)\" = 00040000 && stm32-inspect o.stm32",
			       dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(prep, same_inputs_give_the_same_bytes, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && head -c 5000 /dev/urandom > p && mkdir a b && "
			       "stm32-prep -q --soc stm32mp25 --pubkey %s --key-uri file:k.pem p -o a/o.stm32 -m a/m.yaml && "
			       "stm32-prep -q --soc stm32mp25 --pubkey %s --key-uri file:k.pem p -o b/o.stm32 -m b/m.yaml && "
			       "cmp a/o.stm32 b/o.stm32 && cmp a/m.yaml b/m.yaml", dir, KEY(1), KEY(1));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(prep, release_prepares_every_image_and_one_manifest, .init = setup, .fini = teardown)
{
	FILE *f = fopen(pjoin(dir, "release.yaml"), "w");
	fprintf(f, "format: stm32-release/1\nrelease: \"2026.11-rc1\"\nkeysets:\n  oem:\n");
	for (int i = 0; i < 8; i++)
		fprintf(f, "    - keys/k%d.pub.pem\n", i);
	fprintf(f, "images:\n"
		   "  - {id: fsbl-a, input: p1.bin, soc: stm32mp25, type: fsbl, entry: 0x0e003000, load: 0x0e002600, keyset: oem, key_index: 0, key_uri: 'awskms:///alias/k0'}\n"
		   "  - {id: fsbl-m, input: p2.bin, header: '2.2', type: m33, keyset: oem, key_index: 3, key_uri: 'awskms:///alias/k3', align: 16}\n"
		   "  - {id: mp13, input: p1.bin, soc: stm32mp13, type: fsbl, image_version: 2, keyset: oem, key_index: 7, key_uri: 'pkcs11:token=t;object=k7'}\n");
	fclose(f);
	struct run r = run_cmd("cd %s && mkdir keys && cp %s/fixtures/keys/k?.pub.pem keys/ && "
			       "head -c 3000 /dev/urandom > p1.bin && head -c 777 /dev/urandom > p2.bin && "
			       "stm32-prep --release release.yaml --out-dir out && ls out | sort | tr '\\n' ' '",
			       dir, getenv("STM32_TESTS"));
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "fsbl-a.prepared.stm32 fsbl-m.prepared.stm32 manifest.yaml mp13.prepared.stm32") != NULL, "%s", r.out);
	run_free(&r);
	r = run_cmd("cd %s/out && grep -c '^- id:' manifest.yaml && grep -q 'release: \"2026.11-rc1\"' manifest.yaml && "
		    "stm32-inspect fsbl-m.prepared.stm32 | grep -q 'Image length:      0x310'", dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err); /* unsigned and intact: exit 0 */
	cr_expect(strncmp(r.out, "3\n", 2) == 0, "%s", r.out);
	run_free(&r);
}

Test(prep, a_1mib_payload_streams, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && head -c 1048577 /dev/urandom > p && "
			       "stm32-prep --header 2.2 --pubkey %s --key-uri file:x p -o o.stm32 -m m.yaml --json",
			       dir, KEY(2));
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "\"image_length\":1048577") || strstr(r.out, "\"image_length\": 1048577"), "%s", r.out);
	run_free(&r);
}

Test(prep, regression_long_st_file_names_are_valid_release_outputs, .init = setup, .fini = teardown)
{
	/* Outputs were validated as image ids (63 characters at most), which
	 * refused ST's own file names as default outputs. */
	struct run r = run_cmd("cd %s && cp %s . && printf 'format: stm32-release/1\\nkeysets:\\n  k: [%s]\\nimages:\\n"
			       "  - {id: STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch, input: STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32, keyset: k, key_index: 0, key_uri: file:k.pem}\\n' > rel.yaml && "
			       "cp %s k0.pub.pem && stm32-prep -q --release rel.yaml --out-dir out && "
			       "test -f out/STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch.prepared.stm32",
			       dir, fixture("vectors/stm32/STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32"),
			       "k0.pub.pem", KEY(0));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(prep, der_public_keys_give_the_same_image_as_pem, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && head -c 999 /dev/urandom > p && "
			       "stm32-prep -q --soc stm32mp13 --pubkey %s p -o pem.stm32 && "
			       "stm32-prep -q --soc stm32mp13 --pubkey %s p -o der.stm32 && cmp pem.stm32 der.stm32",
			       dir, KEY(0), fixture("fixtures/keys/k0.pub.der"));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}
