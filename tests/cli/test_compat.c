/* stm32-sign-compat: ST's signing-tool command line, signing through the
 * same code as the two-phase tools. */
#include <criterion/criterion.h>
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
	kms_start_fixture_keys(&srv, dir, "fsbl-k5=k5");
	/* the key directory as ST's KeyGen lays it out */
	struct run r = run_cmd("cd %s && mkdir keys && for i in 0 1 2 3 4 5 6 7; do cp %s/k$i.pub.pem keys/publicKey0$i.pem; done && "
			       "openssl ec -in %s/k5.pem -aes256 -passout pass:s3cret -out keys/privateKey05.pem 2>/dev/null && "
			       "head -c 50000 /dev/urandom > payload.bin",
			       dir, fixture("fixtures/keys"), fixture("fixtures/keys"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

#define PUBK "-pubk keys/publicKey00.pem keys/publicKey01.pem keys/publicKey02.pem keys/publicKey03.pem " \
	     "keys/publicKey04.pem keys/publicKey05.pem keys/publicKey06.pem keys/publicKey07.pem"

Test(compat, issue_command_line_verifies_with_the_header_bytes_of_the_two_phase_flow, .init = start, .fini = stop)
{
	struct run r = run_cmd(
		"%s cd %s && "
		"stm32-sign-compat -bin payload.bin " PUBK " -prvk file:%s/k5.pem -t fsbl -hv 2.2 -iv 3 "
		"-la 0x0e002600 -ep 0x0e003000 -o out.stm32 && stm32-inspect out.stm32 | grep -q 'ROM verdict:       accepted' && "
		"stm32-prep -q --align 32 --header 2.2 --type fsbl --load 0x0e002600 --entry 0x0e003000 --image-version 3 "
		"$(for i in 0 1 2 3 4 5 6 7; do printf -- '--pubkey keys/publicKey0%%s.pem ' $i; done) --key-index 5 "
		"--key-uri awskms:///alias/fsbl-k5 payload.bin -o two.prepared.stm32 -m m.yaml && "
		"kms-sign-digest -q m.yaml -o s.yaml && stm32-assemble -q m.yaml s.yaml --out-dir signed && "
		"cmp -i 68 out.stm32 signed/two.stm32 && cmp -n 4 out.stm32 signed/two.stm32",
		srv.env, dir, fixture("fixtures/keys"));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(compat, yocto_recipe_call_runs_unchanged_but_for_the_key, .init = start, .fini = stop)
{
	/* tf-a-stm32mp.inc: an unquoted $(ls ... | tr '\n' '\t') gives --public-key several words */
	struct run r = run_cmd(
		"%s cd %s && SIGN_TOOL=stm32-sign-compat && SIGN_KEY_PASS=unused && SIGN_TOOL_EXTRA='--header-version 2.2' && "
		"cp %s tf-a-stm32mp257f-ev1-optee-sdcard.stm32 && "
		"${SIGN_TOOL} -bin tf-a-stm32mp257f-ev1-optee-sdcard.stm32 -o tf-a-stm32mp257f-ev1-optee-sdcard_Signed.stm32 "
		"--password ${SIGN_KEY_PASS} --public-key $(ls -1 keys/publicKey*.pem | tr '\\n' '\\t') "
		"--private-key awskms:///alias/fsbl-k5 --type fsbl --silent ${SIGN_TOOL_EXTRA} && "
		"stm32-inspect tf-a-stm32mp257f-ev1-optee-sdcard_Signed.stm32 > v.txt && grep -q 'accepted' v.txt && "
		"grep -q 'Key index (pk_idx): 5 of 8' v.txt",
		srv.env, dir, fixture("vectors/stm32/STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32"));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_str_eq(r.out, "", "--silent prints nothing: %s", r.out);
	run_free(&r);
}

Test(compat, yocto_recipe_call_with_fsbl_encryption_options, .init = start, .fini = stop)
{
	/* tf-a-stm32mp.inc appends ${tf_a_encrypt_opts} ${tf_a_sign_of_opt} */
	struct run r = run_cmd(
		"%s cd %s && head -c 16 /dev/urandom > oem.bin && cp %s tf-a.stm32 && "
		"tf_a_encrypt_opts='--enc-key oem.bin --enc-dc 0x25205f0e --image-version 1' && tf_a_sign_of_opt='-of 0x80000003' && "
		"stm32-sign-compat -bin tf-a.stm32 -o tf-a_Signed.stm32 --password unused "
		"--public-key $(ls -1 keys/publicKey*.pem | tr '\\n' '\\t') --private-key awskms:///alias/fsbl-k5 --type fsbl "
		"--silent --header-version 2.2 ${tf_a_encrypt_opts} ${tf_a_sign_of_opt} && "
		"stm32-inspect --oem-secret oem.bin tf-a_Signed.stm32",
		srv.env, dir, fixture("vectors/stm32/STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32"));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "Extension flags    0x80000003") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "check decryption      ok") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "ROM verdict:       accepted") != NULL, "%s", r.out);
	run_free(&r);
}

Test(compat, encrypted_pem_key_with_password_as_st_recipes_use_it, .init = start, .fini = stop)
{
	struct run r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin " PUBK " -prvk keys/privateKey05.pem "
			       "-pwd s3cret -t fsbl -hv 2.2 -s -o o.stm32 && stm32-inspect o.stm32 | grep -q accepted", dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_null(strstr(r.err, "s3cret"));
	run_free(&r);
	r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin " PUBK " -prvk keys/privateKey05.pem -pwd badpass-42 -hv 2.2 -s -o o2.stm32", dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect_null(strstr(r.err, "badpass-42"));
	cr_expect_not(file_exists(pjoin(dir, "o2.stm32")));
	run_free(&r);
}

Test(compat, unsupported_options_are_refused_by_name, .init = start, .fini = stop)
{
	struct run r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin --sign-in-the-cloud yes -hv 2.2 -o o.stm32", dir);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "option --sign-in-the-cloud is not supported") != NULL, "%s", r.err);
	run_free(&r);
	r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin -hv 2.1 -nk -o o.stm32", dir);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "header 2.1 (STM32N6 rev Z engineering samples) is not supported") != NULL, "%s", r.err);
	run_free(&r);
	r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin -hv 2.2 -nk -of 0x80000003 -o o.stm32", dir);
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "--option-flags 0x80000003 ask for FSBL decryption: give --enc-key FILE and --enc-dc N") != NULL,
		  "%s", r.err);
	cr_expect_not(file_exists(pjoin(dir, "o.stm32")));
	run_free(&r);
}

Test(compat, encryption_refusals_name_the_option_and_write_nothing, .init = start, .fini = stop)
{
	static const struct { const char *args; int code; const char *msg; } bad[] = {
		{ "-enck s16.bin -hv 2.2", 2, "--enc-key needs --enc-dc N" },
		{ "-encdc 1 -hv 2.2", 2, "--enc-dc needs --enc-key FILE" },
		{ "-enck s16.bin -encdc 0x0E5F20Z5 -hv 2.2", 2, "--enc-dc takes a number" },
		{ "-enck s16.bin -encdc 1 -hv 1", 2, "header 1.0 has no FSBL decryption extension" },
		{ "-enck s15.bin -encdc 1 -hv 2.0", 3, "s15.bin: OEM secret file is 15 bytes" },
		{ "-enck nothere.bin -encdc 1 -hv 2.0", 4, "nothere.bin: cannot open the OEM secret file" },
		{ "-enck 'pkcs11:object=o?pin-value=42' -encdc 1 -hv 2.0", 2, "--enc-key holds pin-value" },
		{ "-enck s16.bin -encdc 1 -of 0x80000001 -hv 2.2", 2, "--option-flags 0x80000001 differ from the header's 0x80000003" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct run r = run_cmd("cd %s && head -c 16 /dev/urandom > s16.bin && head -c 15 /dev/urandom > s15.bin && "
				       "stm32-sign-compat -bin payload.bin " PUBK " -prvk file:%s/k5.pem %s -s -o o.stm32",
				       dir, fixture("fixtures/keys"), bad[i].args);
		cr_expect_eq(r.code, bad[i].code, "%s: exit %d: %s", bad[i].args, r.code, r.err);
		cr_expect(strstr(r.err, bad[i].msg) != NULL, "%s: want '%s' in: %s", bad[i].args, bad[i].msg, r.err);
		cr_expect_not(file_exists(pjoin(dir, "o.stm32")), "%s: output left", bad[i].args);
		run_free(&r);
	}
}

Test(compat, header_only_mp13_as_st_documents_it, .init = start, .fini = stop)
{
	/* ST: -bin in.bin -nk -of 0x80000000 -t fsbl -o out.stm32 -hv 2.0 */
	struct run r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin -nk -of 0x80000000 -t fsbl -o out.stm32 -hv 2.0 && "
			       "stm32-prep -q --align 32 --header 2.0 --type fsbl payload.bin -o prep.stm32 && cmp out.stm32 prep.stm32 && "
			       "stm32-sign-compat -dump out.stm32", dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "Extension flags                : 0x80000000") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "Header version                 : 2.0") != NULL, "%s", r.out);
	run_free(&r);
}

Test(compat, a_v2_table_of_fewer_than_8_keys_is_refused_as_st_does, .init = start, .fini = stop)
{
	struct run r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin -pubk keys/publicKey00.pem keys/publicKey01.pem "
			       "-prvk file:%s/k1.pem -hv 2.2 -s -o o.stm32", dir, fixture("fixtures/keys"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "header 2.2 needs 8 public keys (-pubk), got 2") != NULL, "%s", r.err);
	cr_expect_not(file_exists(pjoin(dir, "o.stm32")));
	run_free(&r);
}

Test(compat, an_algorithm_other_than_the_keys_is_refused, .init = start, .fini = stop)
{
	struct run r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin " PUBK " -prvk file:%s/k5.pem -a 2 -hv 2.2 -s -o o.stm32",
			       dir, fixture("fixtures/keys"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "--algorithm 2 (brainpoolP256t1), but the private key is P-256") != NULL, "%s", r.err);
	cr_expect_not(file_exists(pjoin(dir, "o.stm32")));
	run_free(&r);
}

Test(compat, private_key_not_in_the_public_keys_is_refused, .init = start, .fini = stop)
{
	struct run r = run_cmd("cd %s && stm32-sign-compat -bin payload.bin -pubk keys/publicKey00.pem keys/publicKey01.pem "
			       "keys/publicKey02.pem keys/publicKey03.pem keys/publicKey04.pem keys/publicKey00.pem keys/publicKey06.pem "
			       "keys/publicKey07.pem -prvk file:%s/k5.pem -hv 2.2 -s -o o.stm32", dir, fixture("fixtures/keys"));
	cr_expect_eq(r.code, 1);
	cr_expect(strstr(r.err, "is none of the 8 --public-key files") != NULL, "%s", r.err);
	cr_expect_not(file_exists(pjoin(dir, "o.stm32")));
	run_free(&r);
}
