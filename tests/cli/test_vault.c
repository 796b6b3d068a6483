/* kms-sign-digest with HashiCorp Vault / OpenBao transit keys, through the
 * loopback fake tests/tools/vault_server.py (token, namespace, mount, key
 * version and digest length checked; throttling and faults injected). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/helpers/kms.h"
#include "tests/helpers/release.h"
#include "tests/helpers/testutil.h"

static const char *dir;
static struct kms_srv srv;

#define TOKEN "hvs.loopback-test-token"

/* k1 and k5 are versions 1 and 2 of "fsbl"; "big" is P-384. */
static void start_with(const char *extra)
{
	char args[2048];
	dir = tmpdir_new();
	snprintf(args, sizeof args, "--token " TOKEN " --key fsbl=%s,%s --key big=%s %s",
		 fixture("fixtures/keys/k1.pem"), fixture("fixtures/keys/k5.pem"),
		 fixture("fixtures/keys/p384.pem"), extra);
	cr_assert_eq(fake_start(&srv, "vault_server.py", dir, args), 0, "the loopback Vault did not start");
	snprintf(srv.env, sizeof srv.env,
		 "export VAULT_ADDR=https://127.0.0.1:%d VAULT_CACERT=%s/kms-cert.pem VAULT_TOKEN=" TOKEN
		 " HOME=%s; unset VAULT_NAMESPACE VAULT_TOKEN_FILE TRANSIT_SECRET_ENGINE_PATH BAO_ADDR BAO_TOKEN;",
		 srv.port, dir, dir);
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

/* A release of n small images, all signed by key index idx through uri. */
static void make_release(int n, int idx, const char *uri)
{
	small_release(dir, n, idx, uri);
}

static struct run sign(const char *extra)
{
	return run_cmd("%s cd %s && kms-sign-digest out/manifest.yaml -o out/sigs.yaml %s", srv.env, dir, extra);
}


struct curve_case {
	char header[4];
	char key[8];    /* fixture */
	char uri[48];
	char digest[8];
};

static struct curve_case curves[] = {
	{ "2.0", "k1", "hashivault://fsbl?version=1", "sha256" },
	{ "2.3", "p384", "hashivault://big", "sha384" },
};

ParameterizedTestParameters(vault, prep_sign_assemble_verifies_with_openssl)
{
	return cr_make_param_array(struct curve_case, curves, sizeof curves / sizeof curves[0]);
}

ParameterizedTest(struct curve_case *c, vault, prep_sign_assemble_verifies_with_openssl, .init = start, .fini = stop)
{
	char rel[64];
	snprintf(rel, sizeof rel, "fixtures/keys/%s.pub.pem", c->key);
	struct run r = prep_sign_verify(srv.env, dir, c->header, fixture(rel), c->uri, "");
	cr_expect_eq(r.code, 0, "%s: %s%s", c->uri, r.out, r.err);
	cr_expect(strstr(r.out, "/v1/transit/keys/") != NULL, "the signer is the transit key: %s", r.out);
	cr_expect(strstr(r.out, "Signature Verified Successfully") != NULL, "%s", r.out);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "read_key"), 1);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
}

Test(vault, thousand_digests_with_20pct_throttling_go_out_in_batches_each_signed_once,
     .init = start, .fini = stop, .timeout = 240)
{
	make_release(1000, 1, "hashivault://fsbl?version=1");
	kms_control(&srv, "{\"throttle\": 0.2, \"error500\": 0.02, \"throttle_first\": 1}");
	struct run r = sign("-q --jobs 8 --max-attempts 30");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign"), 1000);
	cr_expect_eq(kms_max_per_digest(&srv), 1, "a digest was signed twice");
	long batches = kms_stat(&srv, "batch_requests"), max = kms_stat(&srv, "max_batch");
	cr_expect_leq(max, 64, "at most 64 digests per request, not %ld", max);
	cr_expect_geq(batches, 1000 / 64, "%ld batch requests", batches);
	cr_expect_lt(batches, 60, "%ld batch requests for 1000 digests", batches);
	cr_expect_gt(kms_stat(&srv, "throttled"), 0);
	expect_assembles(dir);
}

Test(vault, a_small_batch_is_spread_over_the_workers, .init = start, .fini = stop)
{
	make_release(8, 1, "hashivault://fsbl?version=1");
	struct run r = sign("-q --jobs 4");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign"), 8);
	cr_expect_eq(kms_stat(&srv, "max_batch"), 2);
	expect_assembles(dir);
}

Test(vault, batch_size_bounds_the_digests_per_request_and_1_sends_one_request_each, .init = start, .fini = stop)
{
	make_release(30, 1, "hashivault://fsbl?version=1");
	struct run r = sign("-q --jobs 1 --batch-size 10");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "max_batch"), 10);
	cr_expect_eq(kms_stat(&srv, "batch_requests"), 3);
	kms_reset(&srv);
	r = sign("-q --jobs 4 --batch-size 1");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "batch_requests"), 0);
	cr_expect_eq(kms_stat(&srv, "sign_requests"), 30);
	expect_assembles(dir);
}

Test(vault, the_pinned_version_signs_and_the_latest_is_refused_when_the_manifest_wants_another_key,
     .init = start, .fini = stop)
{
	/* fsbl's latest version (2) is k5; the manifest expects k1 (version 1). */
	make_release(2, 1, "hashivault://fsbl");
	struct run r = sign("");
	cr_expect_eq(r.code, 1, "%s", r.err);
	cr_expect(strstr(r.err, "nothing was signed") != NULL, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign"), 0);
	make_release(2, 5, "hashivault://fsbl");
	r = sign("-q");
	cr_expect_eq(r.code, 0, "the latest version, pinned for the run: %s", r.err);
	run_free(&r);
	r = run_cmd("grep -c 'keys/fsbl?version=2' %s/out/sigs.yaml", dir);
	cr_expect_eq((int)strtol(r.out, NULL, 10), 2, "%s", r.out);
	run_free(&r);
}

struct refusal {
	char name[48];
	char uri[48];
	char env[160];   /* shell before the command */
	char faults[64];
	int code;
	char msg[120];
};

static struct refusal refusals[] = {
	{ "a signature of another version", "hashivault://fsbl?version=1", "", "{\"wrong_version\": true}", 5,
	  "the signature is of another key version (vault:v2:" },
	{ "a version that does not exist", "hashivault://fsbl?version=3", "", "{}", 5,
	  "the key has no version 3 (the latest is 2)" },
	{ "no token", "hashivault://fsbl?version=1", "unset VAULT_TOKEN;", "{}", 5,
	  "no Vault token: set VAULT_TOKEN or VAULT_TOKEN_FILE" },
	{ "a wrong token", "hashivault://fsbl?version=1", "export VAULT_TOKEN=hvs.wrong;", "{}", 5,
	  "HTTP 403: permission denied (the credentials were refused" },
	{ "a denied sign", "hashivault://fsbl?version=1", "", "{\"deny_sign\": true}", 5,
	  "Vault sign at https://127.0.0.1:" },
	{ "an RSA key", "hashivault://fsbl?version=1", "", "{\"key_type\": \"rsa-2048\"}", 1,
	  "the transit key type is rsa-2048; the ROM needs ecdsa-p256" },
	{ "no address", "hashivault://fsbl?version=1", "unset VAULT_ADDR;", "{}", 2,
	  "set VAULT_ADDR to the Vault address" },
	{ "a plain http address", "hashivault://fsbl?version=1", "export VAULT_ADDR=http://127.0.0.1:1;", "{}", 2,
	  "must be https://" },
	{ "a path in the key name", "hashivault://../sys/x", "", "{}", 2, "expected hashivault://KEY[?version=N]" },
	{ "an unknown attribute", "hashivault://fsbl?ver=1", "", "{}", 2, "the only attribute is version=N" },
	{ "a sealed vault", "hashivault://fsbl?version=1", "", "{\"sealed\": true}", 5,
	  "gave up after 3 attempts: HTTP 503: Vault is sealed" },
};

ParameterizedTestParameters(vault, refuses_with_a_clear_message)
{
	return cr_make_param_array(struct refusal, refusals, sizeof refusals / sizeof refusals[0]);
}

ParameterizedTest(struct refusal *rf, vault, refuses_with_a_clear_message, .init = start, .fini = stop)
{
	make_release(3, 1, rf->uri);
	kms_control(&srv, rf->faults);
	struct run r = run_cmd("%s %s cd %s && kms-sign-digest --max-attempts 3 out/manifest.yaml -o out/sigs.yaml",
			       srv.env, rf->env, dir);
	cr_expect_eq(r.code, rf->code, "%s: exit %d: %s", rf->name, r.code, r.err);
	cr_expect(strstr(r.err, rf->msg) != NULL, "%s: message\n  %s\nlacks\n  %s", rf->name, r.err, rf->msg);
	cr_expect_null(strstr(r.err, TOKEN), "%s: the token was printed", rf->name);
	cr_expect(!file_exists(pjoin(dir, "out/sigs.yaml")), "%s: no output on failure", rf->name);
	run_free(&r);
}

Test(vault, verbose_logs_request_lines_and_never_the_token, .init = start, .fini = stop)
{
	make_release(3, 1, "hashivault://fsbl?version=1");
	kms_control(&srv, "{\"throttle_first\": 1}");
	struct run r = sign("-v -v --jobs 1");
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "GET https://127.0.0.1:") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "/v1/transit/sign/fsbl/sha2-256 -> HTTP 200") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "HTTP 429, retrying in") != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, TOKEN));
	cr_expect_null(strstr(r.out, TOKEN));
	run_free(&r);
}

Test(vault, retry_after_of_a_throttled_answer_is_honoured, .init = start, .fini = stop)
{
	make_release(1, 1, "hashivault://fsbl?version=1");
	kms_control(&srv, "{\"throttle_first\": 1, \"retry_after\": 2}");
	struct run r = run_cmd("%s cd %s && s=$(date +%%s%%N) && kms-sign-digest -q out/manifest.yaml -o out/sigs.yaml && "
			       "echo $(( ($(date +%%s%%N) - s) / 1000000 ))", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_geq((int)strtol(r.out, NULL, 10), 1900, "waited %s ms", r.out);
	run_free(&r);
}

static void start_namespaced(void)
{
	start_with("--namespace team-a --mount stm32/transit");
}

Test(vault, namespace_mount_and_token_file_are_read_as_cosign_reads_them, .init = start_namespaced, .fini = stop)
{
	make_release(2, 1, "hashivault://fsbl?version=1");
	struct run r = sign("-q");
	cr_expect_eq(r.code, 5, "without the namespace and mount: %s", r.err);
	run_free(&r);
	r = run_cmd("%s cd %s && printf '" TOKEN "\\n' > tok && unset VAULT_TOKEN && export VAULT_TOKEN_FILE=%s/tok "
		    "VAULT_NAMESPACE=team-a TRANSIT_SECRET_ENGINE_PATH=stm32/transit && "
		    "kms-sign-digest out/manifest.yaml -o out/sigs.yaml", srv.env, dir, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "/v1/stm32/transit/keys/fsbl?version=1") != NULL, "%s", r.out);
	run_free(&r);
	expect_assembles(dir);
}

Test(vault, openbao_reads_bao_variables_and_the_token_helper_file, .init = start, .fini = stop)
{
	make_release(2, 1, "openbao://fsbl?version=1");
	struct run r = run_cmd("%s cd %s && export BAO_ADDR=$VAULT_ADDR && unset VAULT_ADDR VAULT_TOKEN && "
			       "printf '" TOKEN "' > .bao-token && kms-sign-digest -q out/manifest.yaml -o out/sigs.yaml && "
			       "kms-sign-digest pubkey openbao://fsbl", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "openbao://fsbl: P-256 key") != NULL, "%s", r.err);
	run_free(&r);
	expect_assembles(dir);
}

Test(vault, the_signer_configuration_gives_the_address_and_a_key_outside_it_is_refused, .init = start, .fini = stop)
{
	make_release(2, 1, "hashivault://fsbl?version=1");
	struct run r = run_cmd("%s cd %s && printf 'format: stm32-signer/1\nkeys:\n  - uri: hashivault://fsbl?version=1\n"
			       "    endpoint: '$VAULT_ADDR'\n' > signer.yaml && unset VAULT_ADDR && "
			       "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	expect_assembles(dir);
	make_release(2, 5, "hashivault://fsbl?version=2");
	r = run_cmd("%s cd %s && kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 2, "%s", r.err);
	cr_expect(strstr(r.err, "hashivault://fsbl?version=2 is not in the signer configuration") != NULL, "%s", r.err);
	run_free(&r);
}

static void start_approle(void)
{
	start_with("--approle role-1234:secret-5678 --approle-ttl 2");
}

/* An AppRole token of a 2-second lease is renewed by logging in again during
 * the batch; a wrong secret_id is refused and never printed. */
Test(vault, approle_from_the_signer_configuration_logs_in_and_renews_a_short_lease, .init = start_approle,
     .fini = stop, .timeout = 120)
{
	make_release(60, 1, "hashivault://fsbl?version=1");
	kms_control(&srv, "{\"latency_ms\": 60}");
	struct run r = run_cmd("%s cd %s && unset VAULT_TOKEN && echo secret-5678 > sid && "
			       "printf 'format: stm32-signer/1\nkeys:\n  - uri: hashivault://fsbl?version=1\n"
			       "    approle: {role_id: role-1234, secret_id_file: sid}\n' > signer.yaml && "
			       "kms-sign-digest -q --config signer.yaml --batch-size 1 --jobs 2 --audit-log a.jsonl "
			       "out/manifest.yaml -o out/sigs.yaml && grep -c 'AppRole auth/approle' a.jsonl",
			       srv.env, dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	cr_expect_eq((int)strtol(r.out, NULL, 10), 60, "the audit log names the AppRole: %s", r.out);
	run_free(&r);
	cr_expect_geq(kms_stat(&srv, "logins"), 2, "the 2-second lease was renewed");
	cr_expect_eq(kms_stat(&srv, "sign"), 60);
	expect_assembles(dir);
	kms_control(&srv, "{}");
	r = run_cmd("%s cd %s && unset VAULT_TOKEN && rm out/sigs.yaml && echo wrong-secret-99 > sid && "
		    "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "invalid role or secret ID") != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, "wrong-secret-99"), "the secret_id was printed");
	cr_expect(access(pjoin(dir, "out/sigs.yaml"), F_OK) != 0, "no signatures document on failure");
	run_free(&r);
}

/* Regression: Vault answers a revoked or expired token 403 "permission
 * denied" (never 401), and the AppRole token was never replaced: a token
 * revoked before its lease ended failed the run. Now one new login and one
 * retry; a new token refused too is reported, not retried again. */
static void start_approle_hour(void)
{
	start_with("--approle role-1234:secret-5678");
}

Test(vault, regression_an_approle_token_revoked_early_is_replaced_by_one_new_login, .init = start_approle_hour,
     .fini = stop)
{
	make_release(3, 1, "hashivault://fsbl?version=1");
	kms_control(&srv, "{\"revoke_after\": 2}");
	struct run r = run_cmd("%s cd %s && unset VAULT_TOKEN && echo secret-5678 > sid && "
			       "printf 'format: stm32-signer/1\nkeys:\n  - uri: hashivault://fsbl?version=1\n"
			       "    approle: {role_id: role-1234, secret_id_file: sid}\n' > signer.yaml && "
			       "kms-sign-digest -q --config signer.yaml --batch-size 1 --jobs 1 "
			       "out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "revoked"), 1);
	cr_expect_eq(kms_stat(&srv, "logins"), 2, "one new login after the token was revoked");
	cr_expect_eq(kms_stat(&srv, "sign"), 3);
	expect_assembles(dir);
	kms_control(&srv, "{\"revoke_all\": true}");
	r = run_cmd("%s cd %s && unset VAULT_TOKEN && rm out/sigs.yaml && "
		    "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "HTTP 403: permission denied (the credentials were refused") != NULL, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "logins"), 4, "one login, then one more: not a loop");
	cr_expect(access(pjoin(dir, "out/sigs.yaml"), F_OK) != 0, "no signatures document on failure");
	run_free(&r);
}
