/* AWS assumed roles, MFA and IAM Identity Center, against the loopback STS /
 * SSO portal / KMS fake (tests/tools/sts_server.py), whose KMS accepts only
 * the credentials its STS or portal issued. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers/kms.h"
#include "tests/helpers/pty.h"
#include "tests/helpers/release.h"
#include "tests/helpers/testutil.h"

#define ACCT "arn:aws:iam::111122223333:"
#define KEYS "[base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
#define SSO_TOKEN "sso-access-token-for-tests"

static const char *dir;
static struct kms_srv srv;
static char env[2048];

static void start_with(const char *more)
{
	char args[2048];
	dir = tmpdir_new();
	snprintf(args, sizeof args,
		 "--key k1=%s --role '" ACCT "role/signer;external_id=ext-42' --role '" ACCT "role/a' "
		 "--role '" ACCT "role/mfa;mfa=" ACCT "mfa/operator' --mfa-code 246810 --sso-token " SSO_TOKEN " "
		 "--sso-role 111122223333/SignerAccess %s",
		 fixture("fixtures/keys/k1.pem"), more);
	cr_assert_eq(fake_start(&srv, "sts_server.py", dir, args), 0, "the loopback STS did not start");
	snprintf(env, sizeof env,
		 "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL_KMS "
		 "AWS_ENDPOINT_URL_STS AWS_ENDPOINT_URL_SSO AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE; "
		 "export HOME=%s AWS_REGION=us-east-1 AWS_ENDPOINT_URL=https://127.0.0.1:%d "
		 "AWS_CA_BUNDLE=%s/kms-cert.pem AWS_EC2_METADATA_DISABLED=true; cd %s;",
		 dir, srv.port, dir, dir);
	struct run r = run_cmd("cd %s && mkdir -p .aws/sso/cache && head -c 2000 /dev/urandom > p && "
			       "stm32-prep -q --soc stm32mp25 --pubkey %s --pubkey %s --key-index 1 "
			       "--key-uri awskms:///alias/k1 p -o o.stm32 -m m.yaml",
			       dir, fixture("fixtures/keys/k0.pub.pem"), fixture("fixtures/keys/k1.pub.pem"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

static void start(void)
{
	start_with("");
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

static void aws_files(const char *credentials, const char *config)
{
	write_file(pjoin(dir, ".aws/credentials"), credentials, strlen(credentials));
	write_file(pjoin(dir, ".aws/config"), config, strlen(config));
}

/* The fake's /_stats as text, for its lists ("calls", "sign_by_role"). */
static char *stats_text(void)
{
	struct run r = run_cmd("curl -s --cacert %s/kms-cert.pem https://127.0.0.1:%d/_stats", dir, srv.port);
	char *t = r.out;
	r.out = NULL;
	run_free(&r);
	return t;
}

static void expect_stats_has(const char *what)
{
	char *t = stats_text();
	cr_expect(t && strstr(t, what), "the fake's stats lack %s: %s", what, t ? t : "(none)");
	free(t);
}

/* Every refusal: exit 5, the message, no output, nothing signed, no secret shown. */
static void expect_refused(struct run *r, const char *msg)
{
	cr_expect_eq(r->code, 5, "exit %d: %s%s", r->code, r->out, r->err);
	cr_expect(strstr(r->err, msg) != NULL, "want \"%s\" in: %s", msg, r->err);
	cr_expect(!file_exists(pjoin(dir, "s.yaml")), "an output file was left");
	cr_expect_eq(kms_stat(&srv, "sign"), 0);
	const char *secrets[] = { "wJalrXUtnFEMI", SSO_TOKEN, "246810", "FwoGZXIvYXdzE" };
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		cr_expect_null(strstr(r->err, secrets[i]), "%s printed: %s", secrets[i], r->err);
}

Test(aws_roles, role_from_a_source_profile_signs_with_the_assumed_credentials, .init = start, .fini = stop)
{
	aws_files(KEYS, "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = base\n"
			"external_id = ext-42\nrole_session_name = release-42\nduration_seconds = 900\n");
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest -q m.yaml -o s.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "assume_role"), 1);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	expect_stats_has("\"sign_by_role\": {\"" ACCT "role/signer\": 2}");
	expect_stats_has("\"caller\": \"long-term keys\", \"RoleArn\": \"" ACCT "role/signer\", "
			 "\"RoleSessionName\": \"release-42\", \"ExternalId\": \"ext-42\", \"DurationSeconds\": \"900\"");
	run_free(&r);
}

Test(aws_roles, sts_throttling_is_retried, .init = start, .fini = stop)
{
	aws_files(KEYS, "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = base\nexternal_id = ext-42\n");
	cr_assert_eq(kms_control(&srv, "{\"sts_throttle_first\": 2}"), 0);
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest -q m.yaml -o s.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "assume_role"), 1);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
}

Test(aws_roles, sts_throttling_past_three_attempts_is_reported, .init = start, .fini = stop)
{
	aws_files(KEYS, "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = base\nexternal_id = ext-42\n");
	cr_assert_eq(kms_control(&srv, "{\"sts_throttle_first\": 3}"), 0);
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest m.yaml -o s.yaml", env);
	expect_refused(&r, "STS AssumeRole of " ACCT "role/signer (profile signer): HTTP 400: Throttling: Rate exceeded");
	run_free(&r);
}

Test(aws_roles, the_default_session_name_is_kms_sign_digest_and_the_time, .init = start, .fini = stop)
{
	aws_files(KEYS, "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = base\nexternal_id = ext-42\n");
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest -q m.yaml -o s.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	expect_stats_has("\"RoleSessionName\": \"kms-sign-digest-1");
	expect_stats_has("\"DurationSeconds\": null");
	run_free(&r);
}

Test(aws_roles, chained_profiles_assume_each_role_with_the_previous_one, .init = start, .fini = stop)
{
	aws_files(KEYS, "[profile a]\nrole_arn = " ACCT "role/a\nsource_profile = base\n"
			"[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = a\nexternal_id = ext-42\n");
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest -q m.yaml -o s.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "assume_role"), 2);
	expect_stats_has("\"caller\": \"" ACCT "role/a\", \"RoleArn\": \"" ACCT "role/signer\"");
	expect_stats_has("\"sign_by_role\": {\"" ACCT "role/signer\": 2}");
	run_free(&r);
}

Test(aws_roles, a_profile_loop_is_refused_naming_the_profiles, .init = start, .fini = stop)
{
	aws_files(KEYS, "[profile a]\nrole_arn = " ACCT "role/a\nsource_profile = b\n"
			"[profile b]\nrole_arn = " ACCT "role/a\nsource_profile = signer\n"
			"[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = a\n");
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest m.yaml -o s.yaml", env);
	expect_refused(&r, "AWS profiles form a loop through source_profile: signer -> a -> b -> signer");
	cr_expect_eq(kms_stat(&srv, "assume_role"), 0);
	run_free(&r);
}

struct bad_profile {
	char config[300];
	char msg[200];
};

static struct bad_profile bad_profiles[] = {
	{ "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = base\nduration_seconds = 600\n",
	  "profile \"signer\": duration_seconds 600 is not a number of seconds from 900 to 43200" },
	{ "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = base\ncredential_source = Environment\n",
	  "profile \"signer\" has both source_profile and credential_source; keep one" },
	{ "[profile signer]\nrole_arn = " ACCT "role/signer\n",
	  "profile \"signer\" has role_arn but neither source_profile nor credential_source" },
	{ "[profile signer]\nrole_arn = " ACCT "role/signer\ncredential_source = Ec2\n",
	  "credential_source Ec2 is not one of Environment, Ec2InstanceMetadata, EcsContainer" },
	{ "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = nosuch\n",
	  "source_profile \"nosuch\" of profile \"signer\" is in neither " },
	{ "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = empty\n[profile empty]\nregion = us-east-1\n",
	  "source_profile \"empty\" of profile \"signer\" has no credentials" },
	{ "[profile signer]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = SignerAccess\n",
	  "profile \"signer\" names sso_session corp, but there is no [sso-session corp] section with an sso_start_url" },
	{ "[profile signer]\nsso_account_id = 111122223333\nsso_role_name = SignerAccess\n",
	  "profile \"signer\" is configured for IAM Identity Center but is missing sso_start_url, sso_region" },
};

ParameterizedTestParameters(aws_roles, each_bad_role_or_sso_profile_is_refused_before_any_call)
{
	return cr_make_param_array(struct bad_profile, bad_profiles, sizeof bad_profiles / sizeof bad_profiles[0]);
}

ParameterizedTest(struct bad_profile *b, aws_roles, each_bad_role_or_sso_profile_is_refused_before_any_call,
		  .init = start, .fini = stop)
{
	aws_files(KEYS, b->config);
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest m.yaml -o s.yaml", env);
	expect_refused(&r, b->msg);
	expect_stats_has("\"calls\": []");
	cr_expect_eq(kms_stat(&srv, "sso"), 0);
	run_free(&r);
}

Test(aws_roles, a_wrong_external_id_is_reported_as_sts_answers, .init = start, .fini = stop)
{
	aws_files(KEYS, "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = base\nexternal_id = ext-41\n");
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest m.yaml -o s.yaml", env);
	expect_refused(&r, "STS AssumeRole of " ACCT "role/signer (profile signer): HTTP 403: AccessDenied: "
			   "User: AKIDEXAMPLE is not authorized to perform: sts:AssumeRole");
	run_free(&r);
}

Test(aws_roles, credential_source_environment_with_the_profile_named_in_the_signer_configuration,
     .init = start, .fini = stop)
{
	aws_files("", "[profile envrole]\nrole_arn = " ACCT "role/signer\ncredential_source = Environment\n"
		      "external_id = ext-42\n");
	const char *conf = "format: stm32-signer/1\nkeys:\n  - uri: 'awskms:///alias/k1'\n    profile: envrole\n";
	write_file(pjoin(dir, "signer.yaml"), conf, strlen(conf));
	struct run r = run_cmd("%s export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY; "
			       "kms-sign-digest -q --config signer.yaml m.yaml -o s.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "assume_role"), 1, "the environment's keys assumed the role");
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
}

Test(aws_roles, credential_source_ecs_container_reads_the_container_endpoint, .init = start, .fini = stop)
{
	aws_files("", "[profile signer]\nrole_arn = " ACCT "role/signer\ncredential_source = EcsContainer\n"
		      "external_id = ext-42\n");
	struct run r = run_cmd(
		"%s echo ctok > tokfile; /usr/bin/python3 %s --token ctok > creds.port & spid=$!; "
		"for i in $(seq 25); do grep -q READY creds.port 2>/dev/null && break; sleep 0.2; done; "
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$(awk '{print $2}' creds.port)/creds "
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tokfile AWS_PROFILE=signer kms-sign-digest -q m.yaml -o s.yaml; "
		"rc=$?; kill $spid; wait $spid; exit $rc", env, fixture("tools/creds_server.py"));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "assume_role"), 1);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
}

static const char *MFA_CONF = "[profile signer]\nrole_arn = " ACCT "role/mfa\nsource_profile = base\n"
			      "mfa_serial = " ACCT "mfa/operator\n";
#define MFA_PROMPT "MFA code for " ACCT "mfa/operator (AWS profile signer): "

Test(aws_roles, mfa_code_typed_on_the_terminal_is_sent_and_not_echoed, .init = start, .fini = stop)
{
	aws_files(KEYS, MFA_CONF);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s AWS_PROFILE=signer kms-sign-digest -q m.yaml -o s.yaml 2>err", env);
	struct run r = pty_run(cmd, MFA_PROMPT, "246810");
	cr_expect_eq(r.code, 0, "%s", r.out);
	cr_expect(strstr(r.out, MFA_PROMPT) != NULL, "%s", r.out);
	cr_expect_null(strstr(r.out, "246810"), "the code was echoed: %s", r.out);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	expect_stats_has("\"SerialNumber\": \"" ACCT "mfa/operator\", \"TokenCode\": \"given, right\"");
	run_free(&r);
}

/* Regression (72052ee): echo went off after the prompt was written, so a code
 * typed as soon as the prompt showed could be echoed. The terminal holds the
 * prompt back until echo is off: with the old order it never is. */
Test(aws_roles, regression_echo_is_off_before_the_mfa_prompt_is_written, .init = start, .fini = stop)
{
	aws_files(KEYS, MFA_CONF);
	char cmd[4096];
	int echo_off_first;
	snprintf(cmd, sizeof cmd, "%s AWS_PROFILE=signer kms-sign-digest -q m.yaml -o s.yaml 2>err", env);
	struct run r = pty_run_held(cmd, MFA_PROMPT, "246810", &echo_off_first);
	cr_expect_eq(r.code, 0, "%s", r.out);
	cr_expect(echo_off_first, "the prompt was written while the terminal echoed: %s", r.out);
	cr_expect_null(strstr(r.out, "246810"), "the code was echoed: %s", r.out);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
}

/* Regression: a line longer than the buffer was cut to its start silently
 * (and for a PIN, the cut PIN was sent). */
Test(aws_roles, regression_an_mfa_code_longer_than_the_buffer_is_refused_as_too_long, .init = start, .fini = stop)
{
	aws_files(KEYS, MFA_CONF);
	char cmd[4096], code[201];
	memset(code, '7', sizeof code - 1);
	code[sizeof code - 1] = '\0';
	snprintf(cmd, sizeof cmd, "%s AWS_PROFILE=signer kms-sign-digest m.yaml -o s.yaml 2>err", env);
	struct run r = pty_run(cmd, MFA_PROMPT, code);
	size_t n;
	free(r.err);
	r.err = (char *)read_file(pjoin(dir, "err"), &n);
	expect_refused(&r, "profile \"signer\": the MFA code typed for " ACCT "mfa/operator is too long (it must be 6 digits)");
	cr_expect_null(strstr(r.out, "7777777"), "the code was echoed: %s", r.out);
	cr_expect_null(strstr(r.err, "7777777"), "the code was printed: %s", r.err);
	expect_stats_has("\"calls\": []");
	run_free(&r);
}

/* A code STS refuses, and one refused before STS: neither echoed nor printed. */
struct bad_code {
	char code[8];
	char expect[120];
	char calls[100];  /* in the fake's stats: what reached STS */
};

static struct bad_code bad_codes[] = {
	{ "135799", "HTTP 403: AccessDenied: MultiFactorAuthentication failed with invalid MFA one time pass code.",
	  "\"TokenCode\": \"given, wrong\"" },
	{ "24681", "profile \"signer\": the MFA code for " ACCT "mfa/operator must be 6 digits", "\"calls\": []" },
};

ParameterizedTestParameters(aws_roles, a_bad_mfa_code_is_refused_and_never_shown)
{
	return cr_make_param_array(struct bad_code, bad_codes, sizeof bad_codes / sizeof bad_codes[0]);
}

ParameterizedTest(struct bad_code *bc, aws_roles, a_bad_mfa_code_is_refused_and_never_shown, .init = start, .fini = stop)
{
	aws_files(KEYS, MFA_CONF);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s AWS_PROFILE=signer kms-sign-digest m.yaml -o s.yaml 2>err", env);
	struct run r = pty_run(cmd, MFA_PROMPT, bc->code);
	size_t n;
	free(r.err);
	r.err = (char *)read_file(pjoin(dir, "err"), &n);
	expect_refused(&r, bc->expect);
	cr_expect_null(strstr(r.out, bc->code), "the code was echoed: %s", r.out);
	cr_expect_null(strstr(r.err, bc->code), "the code was printed: %s", r.err);
	cr_expect_eq(kms_stat(&srv, "assume_role"), 0);
	expect_stats_has(bc->calls);
	run_free(&r);
}

/* Regression: after a server fault the AssumeRole was retried with the same
 * one-time code, which STS refuses as used ("invalid MFA one time pass code"). */
Test(aws_roles, regression_an_mfa_assume_role_answered_500_is_not_sent_twice, .init = start, .fini = stop)
{
	aws_files(KEYS, MFA_CONF);
	cr_assert_eq(kms_control(&srv, "{\"sts_fail_first\": 1}"), 0);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s AWS_PROFILE=signer kms-sign-digest m.yaml -o s.yaml 2>err", env);
	struct run r = pty_run(cmd, MFA_PROMPT, "246810");
	size_t n;
	free(r.err);
	r.err = (char *)read_file(pjoin(dir, "err"), &n);
	expect_refused(&r, "STS AssumeRole of " ACCT "role/mfa (profile signer): HTTP 500: InternalFailure: An internal "
		       "error occurred.; not retried: the MFA code was used by this request and STS accepts a code only "
		       "once; run kms-sign-digest again with a new code");
	char *t = stats_text();
	const char *first = t ? strstr(t, "\"TokenCode\"") : NULL;
	cr_expect(first && !strstr(first + 1, "\"TokenCode\""), "one AssumeRole, not two: %s", t ? t : "(none)");
	free(t);
	run_free(&r);
}

static void start_two_keys(void)
{
	char more[512];
	snprintf(more, sizeof more, "--key k2=%s", fixture("fixtures/keys/k2.pem"));
	start_with(more);
}

Test(aws_roles, two_keys_through_one_mfa_role_share_one_session_and_one_prompt, .init = start_two_keys,
     .fini = stop)
{
	aws_files(KEYS, MFA_CONF);
	const char *rel = "format: stm32-release/1\nrelease: test\nkeysets:\n  oem: [keys/k0.pub.pem, keys/k1.pub.pem, "
			  "keys/k2.pub.pem, keys/k3.pub.pem, keys/k4.pub.pem, keys/k5.pub.pem, keys/k6.pub.pem, "
			  "keys/k7.pub.pem]\nimages:\n"
			  "  - {id: a, input: p.bin, soc: stm32mp25, keyset: oem, key_index: 1, key_uri: 'awskms:///alias/k1'}\n"
			  "  - {id: b, input: p.bin, soc: stm32mp25, keyset: oem, key_index: 2, key_uri: 'awskms:///alias/k2'}\n";
	write_file(pjoin(dir, "release.yaml"), rel, strlen(rel));
	struct run p = run_cmd("cd %s && mkdir -p keys && cp %s/fixtures/keys/k?.pub.pem keys/ && "
			       "head -c 3000 /dev/urandom > p.bin && stm32-prep -q --release release.yaml --out-dir out",
			       dir, getenv("STM32_TESTS"));
	cr_assert_eq(p.code, 0, "%s", p.err);
	run_free(&p);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s AWS_PROFILE=signer kms-sign-digest -q out/manifest.yaml -o out/sigs.yaml 2>err", env);
	struct run r = pty_run(cmd, MFA_PROMPT, "246810");
	cr_expect_eq(r.code, 0, "%s", r.out);
	char *second = strstr(r.out, MFA_PROMPT);
	cr_expect(second && !strstr(second + 1, MFA_PROMPT), "asked twice: %s", r.out);
	cr_expect_eq(kms_stat(&srv, "assume_role"), 1);
	cr_expect_eq(kms_stat(&srv, "sign"), 2);
	expect_assembles(dir);
	run_free(&r);
}

Test(aws_roles, mfa_without_a_terminal_is_refused_before_any_sign, .init = start, .fini = stop)
{
	aws_files(KEYS, MFA_CONF);
	struct run r = run_cmd("%s AWS_PROFILE=signer setsid -w kms-sign-digest m.yaml -o s.yaml", env);
	expect_refused(&r, "profile \"signer\" needs an MFA code (mfa_serial " ACCT "mfa/operator) and there is "
			   "no terminal to read it from");
	expect_stats_has("\"calls\": []");
	run_free(&r);
}

static void sso_token(const char *key, const char *expires)
{
	struct run r = run_cmd("cd %s && printf '{\"startUrl\":\"https://corp.awsapps.com/start\",\"region\":\"us-east-1\","
			       "\"accessToken\":\"" SSO_TOKEN "\",\"expiresAt\":\"%%s\"}' \"$(date -u -d '%s' +%%Y-%%m-%%dT%%H:%%M:%%SZ)\" "
			       "> .aws/sso/cache/$(printf %%s '%s' | sha1sum | cut -c1-40).json", dir, expires, key);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

#define SSO_SESSION_CONF "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n" \
			 "sso_role_name = SignerAccess\n[sso-session corp]\n" \
			 "sso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"

Test(aws_roles, sso_session_profile_uses_the_token_cached_under_the_session_name, .init = start, .fini = stop)
{
	aws_files("", SSO_SESSION_CONF);
	sso_token("corp", "+1 hour");
	struct run r = run_cmd("%s AWS_PROFILE=sso kms-sign-digest -q m.yaml -o s.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "sso"), 1);
	expect_stats_has("\"sign_by_role\": {\"sso:111122223333/SignerAccess\": 2}");
	run_free(&r);
}

Test(aws_roles, legacy_sso_profile_uses_the_token_cached_under_the_start_url, .init = start, .fini = stop)
{
	aws_files("", "[profile sso]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
		      "sso_account_id = 111122223333\nsso_role_name = SignerAccess\n");
	sso_token("https://corp.awsapps.com/start", "+1 hour");
	struct run r = run_cmd("%s AWS_PROFILE=sso kms-sign-digest -q m.yaml -o s.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "sso"), 1);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
}

Test(aws_roles, an_expired_sso_token_asks_for_aws_sso_login, .init = start, .fini = stop)
{
	aws_files("", SSO_SESSION_CONF);
	sso_token("corp", "-1 minute");
	struct run r = run_cmd("%s AWS_PROFILE=sso kms-sign-digest m.yaml -o s.yaml", env);
	expect_refused(&r, "the IAM Identity Center token of profile \"sso\" expired at ");
	cr_expect(strstr(r.err, "run `aws sso login --profile sso` (or `aws sso login --sso-session corp`)"), "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sso"), 0);
	run_free(&r);
}

Test(aws_roles, a_missing_sso_token_asks_for_aws_sso_login, .init = start, .fini = stop)
{
	aws_files("", "[profile sso]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
		      "sso_account_id = 111122223333\nsso_role_name = SignerAccess\n");
	struct run r = run_cmd("%s AWS_PROFILE=sso kms-sign-digest m.yaml -o s.yaml", env);
	expect_refused(&r, "no IAM Identity Center token is cached for profile \"sso\" (");
	cr_expect(strstr(r.err, "/.aws/sso/cache/") && strstr(r.err, "run `aws sso login --profile sso`"), "%s", r.err);
	run_free(&r);
}

Test(aws_roles, an_sso_token_the_portal_refuses_asks_for_aws_sso_login, .init = start, .fini = stop)
{
	aws_files("", SSO_SESSION_CONF);
	struct run w = run_cmd("cd %s && printf '{\"accessToken\":\"revoked\",\"expiresAt\":\"2099-01-01T00:00:00Z\"}' "
			       "> .aws/sso/cache/$(printf corp | sha1sum | cut -c1-40).json", dir);
	run_free(&w);
	struct run r = run_cmd("%s AWS_PROFILE=sso kms-sign-digest m.yaml -o s.yaml", env);
	expect_refused(&r, "IAM Identity Center refused the cached token of profile \"sso\" (HTTP 401): run `aws sso login");
	cr_expect_null(strstr(r.err, "revoked"));
	run_free(&r);
}

Test(aws_roles, a_role_sourced_from_an_sso_profile, .init = start, .fini = stop)
{
	aws_files("", SSO_SESSION_CONF "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = sso\n"
		      "external_id = ext-42\n");
	sso_token("corp", "+1 hour");
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest -q m.yaml -o s.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	expect_stats_has("\"caller\": \"sso:111122223333/SignerAccess\", \"RoleArn\": \"" ACCT "role/signer\"");
	run_free(&r);
}

static void start_short_lived(void)
{
	/* every credential issued lives 4 s: refreshed after 2 s */
	start_with("--lifetime 4");
}

Test(aws_roles, assumed_credentials_are_refreshed_during_a_batch_and_each_digest_signed_once,
     .init = start_short_lived, .fini = stop, .timeout = 120)
{
	aws_files(KEYS, "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = base\nexternal_id = ext-42\n");
	small_release(dir, 60, 1, "awskms:///alias/k1");
	cr_assert_eq(kms_control(&srv, "{\"latency_ms\": 150}"), 0);
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest -q --jobs 2 out/manifest.yaml -o out/sigs.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 60);
	cr_expect_eq(kms_max_per_digest(&srv), 1, "a digest was signed twice");
	cr_expect_geq(kms_stat(&srv, "assume_role"), 3, "60 x 150 ms / 2 jobs lasts 4.5 s: two refreshes at least");
	cr_expect_eq(kms_stat(&srv, "expired_token"), 0, "credentials were used past their expiry");
	expect_assembles(dir);
	run_free(&r);
}

Test(aws_roles, end_to_end_prep_sign_assemble_through_an_sso_sourced_chain, .init = start, .fini = stop)
{
	aws_files(KEYS, SSO_SESSION_CONF "[profile a]\nrole_arn = " ACCT "role/a\nsource_profile = sso\n"
		      "[profile signer]\nrole_arn = " ACCT "role/signer\nsource_profile = a\nexternal_id = ext-42\n");
	sso_token("corp", "+1 hour");
	small_release(dir, 3, 1, "awskms:///alias/k1");
	struct run r = run_cmd("%s AWS_PROFILE=signer kms-sign-digest -q out/manifest.yaml -o out/sigs.yaml", env);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 3);
	expect_assembles(dir);
	run_free(&r);
}
