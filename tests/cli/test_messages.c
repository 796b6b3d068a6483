/* Regression tests for messages that said less, or other, than the truth
 * (issue 13, item 9). Each checks the exit code and the words. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/helpers/testutil.h"

static const char *dir;

static void setup(void)
{
	dir = tmpdir_new();
}

static void teardown(void)
{
	tmpdir_rm(dir);
}

#define PUB(n) fixture("fixtures/keys/k" #n ".pub.pem")
/* Only what a test sets: no AWS variable from the environment, HOME in dir. */
#define AWS_CLEAN "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION " \
		  "AWS_DEFAULT_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE; export HOME=%s " \
		  "AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_KMS=https://127.0.0.1:9;"

/* A manifest m.yaml signed through uri, in dir. */
static void manifest_for(const char *uri)
{
	struct run r = run_cmd("cd %s && head -c 1000 /dev/urandom > p && stm32-prep -q --soc stm32mp25 "
			       "--pubkey %s --key-uri '%s' p -o o.stm32 -m m.yaml", dir, PUB(1), uri);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

Test(messages, header_1_0_says_it_takes_exactly_one_key, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && head -c 100 /dev/urandom > p && "
			       "stm32-prep --header 1.0 --pubkey %s --pubkey %s p -o o.stm32", dir, PUB(0), PUB(1));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "header 1.0 takes exactly 1 public key, got 2") != NULL, "%s", r.err);
	run_free(&r);
}

Test(messages, prep_makes_the_missing_directories_of_o_and_m, .init = setup, .fini = teardown)
{
	/* the README walkthrough: -o out/... before out/ exists */
	struct run r = run_cmd("cd %s && head -c 100 /dev/urandom > p && stm32-prep -q --soc stm32mp25 --pubkey %s "
			       "--key-uri file:k1.pem p -o out/images/o.stm32 -m out/m.yaml && "
			       "test -f out/images/o.stm32 && grep -q 'file: images/o.stm32' out/m.yaml && "
			       "stm32-prep keys --soc stm32mp25 --pubkey %s -o otp/hash.bin >/dev/null && test -s otp/hash.bin",
			       dir, PUB(1), PUB(1));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(messages, prep_removes_the_directories_it_made_when_it_fails, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && head -c 100 /dev/urandom > p && stm32-prep -q --soc stm32mp25 --pubkey %s "
			       "--key-uri file:k1.pem p -o a/b/o.stm32 -m c/m.yaml; echo $?; ls", dir, PUB(1));
	cr_expect_str_eq(r.out, "2\np\n", "%s", r.err);
	cr_expect(strstr(r.err, "a/b/o.stm32: the output must be in the manifest's directory (c) or below it") != NULL,
		  "%s", r.err);
	run_free(&r);
}

Test(messages, missing_aws_profile_is_named_with_the_files_searched, .init = setup, .fini = teardown)
{
	manifest_for("awskms:///alias/k1");
	struct run r = run_cmd(AWS_CLEAN " export AWS_PROFILE=nosuch AWS_REGION=us-east-1; cd %s && mkdir -p .aws && "
			       "printf '[profile other]\\nregion = eu-west-1\\n' > .aws/config && "
			       "kms-sign-digest m.yaml -o s.yaml", dir, dir);
	cr_expect_eq(r.code, 5);
	char want[512];
	snprintf(want, sizeof want, "AWS profile \"nosuch\" (AWS_PROFILE) is in neither %s/.aws/credentials nor %s/.aws/config",
		 dir, dir);
	cr_expect(strstr(r.err, want) != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, "no AWS region"));
	cr_expect_null(strstr(r.err, "no AWS credentials"));
	run_free(&r);
}

Test(messages, missing_region_exits_5_and_names_the_profile, .init = setup, .fini = teardown)
{
	manifest_for("awskms:///alias/k1");
	struct run r = run_cmd(AWS_CLEAN " export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=x; cd %s && "
			       "kms-sign-digest m.yaml -o s.yaml", dir, dir);
	cr_expect_eq(r.code, 5);
	char want[512];
	snprintf(want, sizeof want, "no AWS region: set AWS_REGION, or region in profile \"default\" of %s/.aws/config", dir);
	cr_expect(strstr(r.err, want) != NULL, "%s", r.err);
	run_free(&r);
}

Test(messages, incomplete_credentials_name_the_missing_variable, .init = setup, .fini = teardown)
{
	manifest_for("awskms:///alias/k1");
	struct run r = run_cmd(AWS_CLEAN " export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_REGION=us-east-1; cd %s && "
			       "kms-sign-digest m.yaml -o s.yaml", dir, dir);
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "credentials from environment are incomplete: AWS_SECRET_ACCESS_KEY is not set") != NULL,
		  "%s", r.err);
	run_free(&r);
	r = run_cmd(AWS_CLEAN " export AWS_REGION=us-east-1; cd %s && mkdir -p .aws && "
		    "printf '[default]\\naws_secret_access_key = x\\n' > .aws/credentials && "
		    "kms-sign-digest m.yaml -o s.yaml", dir, dir);
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "credentials from profile default are incomplete: aws_access_key_id is not set") != NULL,
		  "%s", r.err);
	run_free(&r);
}

Test(messages, file_key_uri_is_relative_to_the_manifest, .init = setup, .fini = teardown)
{
	/* the manifest and the key in sub/, the signer run from dir */
	struct run r = run_cmd("cd %s && mkdir sub && cp %s sub/k1.pem && head -c 100 /dev/urandom > p && "
			       "stm32-prep -q --soc stm32mp25 --pubkey %s --key-uri file:k1.pem p -o sub/o.stm32 -m sub/m.yaml && "
			       "kms-sign-digest -q sub/m.yaml -o sub/s.yaml && stm32-assemble -q sub/m.yaml sub/s.yaml --out-dir signed",
			       dir, fixture("fixtures/keys/k1.pem"), PUB(1));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	r = run_cmd("cd %s && rm sub/s.yaml && cp sub/k1.pem . && rm sub/k1.pem && kms-sign-digest -q sub/m.yaml -o sub/s.yaml",
		    dir);
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "file:k1.pem: cannot open the key file sub/k1.pem") != NULL, "%s", r.err);
	run_free(&r);
}

Test(messages, help_texts_say_what_the_tools_do)
{
	struct run r = run_cmd("stm32-inspect --help && kms-sign-digest --help");
	cr_expect_eq(r.code, 0);
	cr_expect(strstr(r.out, "--json           one JSON array on stdout: an object per IMAGE") != NULL, "%s", r.out);
	/* the REST stores log each request, the AWS KMS client each retry */
	cr_expect(strstr(r.out, "-v, --verbose         log each request (AWS KMS: each retry) to stderr") != NULL,
		  "%s", r.out);
	run_free(&r);
}
