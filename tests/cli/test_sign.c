/* kms-sign-digest against real components started by the tests: the
 * loopback KMS endpoint (SigV4 checked by botocore) and a SoftHSM2 token. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/kms.h"
#include "tests/helpers/pty.h"
#include "tests/helpers/release.h"
#include "tests/helpers/testutil.h"

static const char *dir;
static struct kms_srv srv;

static void start(void)
{
	dir = tmpdir_new();
	kms_start_fixture_keys(&srv, dir, "k1 k5");
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

static struct run assemble(void)
{
	return run_cmd("cd %s && stm32-assemble -q out/manifest.yaml out/sigs.yaml --out-dir signed", dir);
}

Test(kms_sign, signs_a_release_through_the_loopback_endpoint_and_it_assembles, .init = start, .fini = stop)
{
	make_release(5, 1, "awskms:///alias/k1");
	struct run r = sign("");
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "arn:aws:kms:us-east-1:111122223333:key/") != NULL, "%s", r.out);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign"), 5);
	cr_expect_eq(kms_stat(&srv, "get_public_key"), 1, "one GetPublicKey per key per run");
	cr_expect_eq(kms_stat(&srv, "bad_signature"), 0);
	r = assemble();
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(kms_sign, thousand_digests_with_30pct_throttling_and_1pct_500s_are_each_signed_once,
     .init = start, .fini = stop, .timeout = 240)
{
	make_release(1000, 5, "awskms:///alias/k5");
	kms_control(&srv, "{\"throttle\": 0.3, \"error500\": 0.01}");
	struct run r = sign("--jobs 16 --max-rate 5000 --max-attempts 30");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign"), 1000);
	cr_expect_eq(kms_max_per_digest(&srv), 1, "a digest was signed twice");
	cr_expect_gt(kms_stat(&srv, "throttled"), 200);
	/* Same entries as a fault-free run (ECDSA is randomised: compare all but the values). */
	kms_control(&srv, "{}");
	r = run_cmd("%s cd %s && kms-sign-digest -q out/manifest.yaml -o clean.yaml && "
		    "grep -v -E '^  signature' out/sigs.yaml > a && grep -v -E '^  signature' clean.yaml > b && "
		    "cmp a b && stm32-assemble -q out/manifest.yaml out/sigs.yaml --out-dir signed",
		    srv.env, dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(kms_sign, key_differing_from_manifest_is_refused_before_any_sign_call, .init = start, .fini = stop)
{
	/* The manifest expects k1's public key at index 1; the KMS key is k5. */
	make_release(3, 1, "awskms:///alias/k5");
	struct run r = sign("");
	cr_expect_eq(r.code, 1, "%s", r.err);
	cr_expect(strstr(r.err, "image img0000") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "d8a846a33966b4ac") != NULL, "manifest key fingerprint: %s", r.err);
	cr_expect(strstr(r.err, "nothing was signed") != NULL, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0);
	cr_expect_not(file_exists(pjoin(dir, "out/sigs.yaml")));
	run_free(&r);
}

Test(kms_sign, signatures_with_short_r_or_s_are_padded_and_verify, .init = start, .fini = stop, .timeout = 120)
{
	make_release(40, 1, "awskms:///alias/k1");
	kms_control(&srv, "{\"short_rs\": \"both\"}");
	struct run r = sign("");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = assemble();
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(kms_sign, review_prints_what_would_be_signed_and_signs_nothing, .init = start, .fini = stop)
{
	make_release(2, 1, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && kms-sign-digest --review out/manifest.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "img0001") && strstr(r.out, "awskms:///alias/k1"), "%s", r.out);
	cr_expect_eq(kms_stat(&srv, "requests"), 0);
	cr_expect_not(file_exists(pjoin(dir, "out/sigs.yaml")));
	run_free(&r);
}

Test(kms_sign, resume_signs_only_what_is_missing, .init = start, .fini = stop)
{
	make_release(6, 1, "awskms:///alias/k1");
	struct run r = sign("-q");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	/* keep the first two signatures, as an interrupted run leaves them */
	r = run_cmd("cd %s/out && awk '/^- id: img0002/{exit} {print}' sigs.yaml | sed 's/^complete: true/complete: false/' > part.yaml && mv part.yaml sigs.yaml", dir);
	run_free(&r);
	kms_reset(&srv);
	r = sign("--resume --json");
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "\"resumed\":2") != NULL, "%s", r.out);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign"), 4);
	r = assemble();
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(kms_sign, access_denied_is_not_retried_and_is_explained, .init = start, .fini = stop)
{
	make_release(3, 1, "awskms:///alias/k1");
	kms_control(&srv, "{\"access_denied\": true}");
	struct run r = sign("");
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "AccessDeniedException") != NULL, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "requests"), 1, "retried a non-retryable error");
	run_free(&r);
}

Test(kms_sign, expired_signature_says_the_clock_is_off, .init = start, .fini = stop)
{
	make_release(1, 1, "awskms:///alias/k1");
	kms_control(&srv, "{\"signature_expired\": true}");
	struct run r = sign("");
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "clock is more than 5 minutes off") != NULL, "%s", r.err);
	run_free(&r);
}

Test(kms_sign, malformed_answers_and_connection_resets_are_retried, .init = start, .fini = stop, .timeout = 120)
{
	make_release(30, 1, "awskms:///alias/k1");
	kms_control(&srv, "{\"malformed\": 0.1, \"reset\": 0.1}");
	struct run r = sign("--max-attempts 30");
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign") >= 30, 1);
}

Test(kms_sign, a_wrong_signature_from_kms_is_caught_before_it_is_recorded, .init = start, .fini = stop)
{
	make_release(2, 1, "awskms:///alias/k1");
	kms_control(&srv, "{\"wrong_key\": true}");
	struct run r = sign("");
	cr_expect_eq(r.code, 1, "%s", r.err);
	cr_expect(strstr(r.err, "does not verify") != NULL, "%s", r.err);
	run_free(&r);
}

Test(kms_sign, a_key_of_another_spec_is_refused_before_signing, .init = start, .fini = stop)
{
	make_release(1, 1, "awskms:///alias/k1");
	kms_control(&srv, "{\"key_spec\": \"RSA_2048\"}");
	struct run r = sign("");
	cr_expect_eq(r.code, 1, "%s", r.err);
	cr_expect(strstr(r.err, "KeySpec is RSA_2048, the ROM needs ECC_NIST_P256") != NULL, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0);
	run_free(&r);
}

Test(kms_sign, regression_max_rate_holds_for_all_keys_together, .init = start, .fini = stop)
{
	/* Each key had its own limiter, so two keys signed at twice --max-rate.
	 * 40 Sign + 2 GetPublicKey requests at 20/s cannot finish in under 2 s. */
	FILE *f = fopen(pjoin(dir, "release.yaml"), "w");
	fprintf(f, "format: stm32-release/1\nkeysets:\n  k: [keys/k1.pub.pem, keys/k5.pub.pem]\nimages:\n");
	for (int i = 0; i < 40; i++)
		fprintf(f, "  - {id: i%d, input: p, soc: stm32mp25, keyset: k, key_index: %d, key_uri: 'awskms:///alias/k%d'}\n",
			i, i % 2, i % 2 ? 5 : 1);
	fclose(f);
	struct run r = run_cmd("%s cd %s && mkdir -p keys && cp %s/k1.pub.pem %s/k5.pub.pem keys/ && "
			       "head -c 100 /dev/urandom > p && stm32-prep -q --release release.yaml --out-dir out && "
			       "start=$(date +%%s%%N) && kms-sign-digest -q --jobs 8 --max-rate 20 out/manifest.yaml -o out/s.yaml && "
			       "echo $(( ($(date +%%s%%N) - start) / 1000000 ))", srv.env, dir,
			       fixture("fixtures/keys"), fixture("fixtures/keys"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	long ms = strtol(r.out, NULL, 10);
	cr_expect_geq(ms, 2000, "42 requests at 20/s took %ld ms", ms);
	run_free(&r);
}

/* Credentials from a credential_process helper that logs each call to dir/calls
 * (HOME is dir); put NO_ENV_CREDS in the command. */
#define NO_ENV_CREDS "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN;"
static void creds_helper(void)
{
	char text[1024];
	snprintf(text, sizeof text,
		 "#!/bin/sh\necho call >> %s/calls\n"
		 "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDEXAMPLE\",\"SecretAccessKey\":"
		 "\"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\"}'\n", dir);
	write_file(pjoin(dir, "helper.sh"), text, strlen(text));
	snprintf(text, sizeof text, "[default]\ncredential_process = %s/helper.sh\n", dir);
	struct run r = run_cmd("chmod +x %s/helper.sh && mkdir -p %s/.aws", dir, dir);
	run_free(&r);
	write_file(pjoin(dir, ".aws/config"), text, strlen(text));
}

Test(kms_sign, expired_token_is_refreshed_once, .init = start, .fini = stop)
{
	make_release(1, 1, "awskms:///alias/k1");
	creds_helper();
	/* once: the credentials are fetched again and the Sign call is repeated */
	kms_control(&srv, "{\"expire_token_times\": 1}");
	struct run r = run_cmd("%s " NO_ENV_CREDS " cd %s && kms-sign-digest -q out/manifest.yaml -o out/sigs.yaml && "
			       "wc -l < calls", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "2\n", "credential fetches: %s", r.out);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
	/* expired again after the refresh: no second refresh, the error is reported */
	kms_reset(&srv);
	kms_control(&srv, "{\"expire_token_times\": 5}");
	r = run_cmd("%s " NO_ENV_CREDS " cd %s && rm -f calls out/sigs.yaml && kms-sign-digest -q out/manifest.yaml -o out/sigs.yaml; "
		    "rc=$?; echo \"$(wc -l < calls) $rc\"", srv.env, dir);
	cr_expect_str_eq(r.out, "2 5\n", "credential fetches and exit code: %s %s", r.out, r.err);
	cr_expect(strstr(r.err, "ExpiredTokenException") != NULL, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0);
	run_free(&r);
}

Test(kms_sign, verbose_output_holds_no_secret, .init = start, .fini = stop)
{
	make_release(3, 1, "awskms:///alias/k1");
	kms_control(&srv, "{\"throttle_first\": 2}");
	struct run r = run_cmd("%s export AWS_SESSION_TOKEN=TOKEN-SECRET-abc123; cd %s && "
			       "kms-sign-digest -v -v out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_null(strstr(r.out, "wJalrXUtnFEMI"));
	cr_expect_null(strstr(r.err, "wJalrXUtnFEMI"));
	cr_expect_null(strstr(r.out, "TOKEN-SECRET-abc123"));
	cr_expect_null(strstr(r.err, "TOKEN-SECRET-abc123"));
	run_free(&r);
	kms_control(&srv, "{\"throttle_first\": 2}");
	r = run_cmd("%s cd %s && kms-sign-digest -v -v out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "retrying") != NULL, "verbose shows retries: %s", r.err);
	cr_expect_null(strstr(r.out, "wJalrXUtnFEMI"));
	cr_expect_null(strstr(r.err, "wJalrXUtnFEMI"));
	run_free(&r);
}

/* ---- PKCS#11 through a SoftHSM2 token created for the test ---- */

static const char *hsm_env(void)
{
	static char env[512];
	snprintf(env, sizeof env, "export SOFTHSM2_CONF=%s/softhsm2.conf;", dir);
	return env;
}

static void make_token(void)
{
	struct run r = run_cmd(
		"%s cd %s && mkdir -p tokens && printf 'directories.tokendir = %s/tokens\\nobjectstore.backend = file\\nlog.level = ERROR\\n' > softhsm2.conf && "
		"softhsm2-util --init-token --free --label stm32 --pin 123456 --so-pin 654321 >/dev/null && "
		"pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label stm32 --login --pin 123456 "
		"--keypairgen --key-type EC:prime256v1 --label fsbl-k5 --id 05 >/dev/null 2>&1 && echo 123456 > pin.txt && "
		"printf 'format: stm32-signer/1\\nkeys:\\n  - uri: \\047pkcs11:token=stm32;object=fsbl-k5\\047\\n"
		"    module: /usr/lib/softhsm/libsofthsm2.so\\n    pin: file:%s/pin.txt\\n' > signer.yaml",
		hsm_env(), dir, dir, dir);
	cr_assert_eq(r.code, 0, "SoftHSM2 token: %s%s", r.out, r.err);
	run_free(&r);
}

#define HSM_URI "pkcs11:token=stm32;object=fsbl-k5"
#define HSM_FULL_URI HSM_URI "?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:%s/pin.txt"

Test(pkcs11, manifest_signed_through_softhsm2_verifies, .init = start, .fini = stop)
{
	make_token();
	struct run r = run_cmd(
		"%s cd %s && kms-sign-digest -q --config signer.yaml pubkey '%s' -o hsm.pub.pem && head -c 5000 /dev/urandom > p && "
		"stm32-prep -q --soc stm32mp25 --pubkey %s --pubkey hsm.pub.pem --key-index 1 --key-uri '%s' p -o o.stm32 -m m.yaml && "
		"kms-sign-digest --config signer.yaml m.yaml -o s.yaml --jobs 4 && stm32-assemble m.yaml s.yaml --out-dir signed && "
		"stm32-inspect signed/o.stm32 | grep -q 'ROM verdict:       accepted'",
		hsm_env(), dir, HSM_URI, fixture("fixtures/keys/k0.pub.pem"), HSM_URI);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "pkcs11:token=stm32;object=fsbl-k5") != NULL, "%s", r.out);
	cr_expect_null(strstr(r.out, "123456"));
	cr_expect_null(strstr(r.err, "123456"));
	run_free(&r);
}

Test(pkcs11, pubkey_with_a_pin_value_in_the_uri_never_prints_the_pin, .init = start, .fini = stop)
{
	make_token();
	struct run r = run_cmd("%s cd %s && kms-sign-digest pubkey "
			       "'pkcs11:token=stm32;object=fsbl-k5?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=123456' -o p.pem",
			       hsm_env(), dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "P-256 key, fingerprint") != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, "123456"), "PIN shown: %s", r.err);
	cr_expect_null(strstr(r.out, "123456"), "PIN shown: %s", r.out);
	run_free(&r);
}

Test(pkcs11, the_pubkey_verb_takes_module_and_pin_source_from_the_operator, .init = start, .fini = stop)
{
	make_token();
	char uri[512];
	snprintf(uri, sizeof uri, HSM_FULL_URI, dir);
	struct run r = run_cmd("%s cd %s && kms-sign-digest pubkey '%s' -o hsm.pub.pem", hsm_env(), dir, uri);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "fingerprint") != NULL, "%s", r.err);
	run_free(&r);
}

/* The token under pkcs11-spy (OpenSC), which logs every call with its session: the
 * signer configuration with the spy as its module (PKCS11SPY names the real one). */
#define SPY_CONFIG "sed 's|module: .*|module: /usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so|' signer.yaml > spy.yaml && "
/* pkcs11-spy leaks 16 bytes of its own: not ours to report under LeakSanitizer */
#define SPY_ENV "export PKCS11SPY=/usr/lib/softhsm/libsofthsm2.so PKCS11SPY_OUTPUT=%s/spy.log " \
		"LSAN_OPTIONS=suppressions=$PWD/spy.supp; echo leak:pkcs11-spy.so > spy.supp;"

Test(pkcs11, many_workers_each_use_their_own_session, .init = start, .fini = stop)
{
	make_token();
	FILE *f = fopen(pjoin(dir, "release.yaml"), "w");
	fprintf(f, "format: stm32-release/1\nkeysets:\n  hsm: [hsm.pub.pem]\nimages:\n");
	for (int i = 0; i < 64; i++)
		fprintf(f, "  - {id: i%d, input: p, soc: stm32mp13, keyset: hsm, key_index: 0, key_uri: '%s'}\n", i, HSM_URI);
	fclose(f);
	struct run r = run_cmd("%s cd %s && " SPY_ENV SPY_CONFIG "kms-sign-digest -q --config spy.yaml pubkey '%s' "
			       "-o hsm.pub.pem && head -c 999 /dev/urandom > p && "
			       "stm32-prep -q --release release.yaml --out-dir out && rm spy.log && "
			       "kms-sign-digest -q --config spy.yaml out/manifest.yaml -o out/s.yaml --jobs 8 && "
			       "stm32-assemble -q out/manifest.yaml out/s.yaml --out-dir signed",
			       hsm_env(), dir, dir, HSM_URI);
	cr_assert_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
	/* pkcs11-spy interleaves the lines of concurrent calls, so count whole lines: the
	 * sessions opened, the session handles seen, the C_Sign calls, and the calls
	 * refused because another operation was active in their session (two workers
	 * sharing one session are refused so by the token). */
	r = run_cmd("cd %s && awk '/^[0-9]+: C_OpenSession$/ { opened++ } /^[0-9]+: C_Sign$/ { signs++ } "
		    "/hSession = / && !($NF in seen) { seen[$NF] = 1; n++ } /CKR_OPERATION_ACTIVE/ { active++ } "
		    "END { printf \"%%d %%d %%d %%d\\n\", opened, n, signs, active }' spy.log", dir);
	int opened = 0, used = 0, signs = 0, active = -1;
	cr_assert_eq(sscanf(r.out, "%d %d %d %d", &opened, &used, &signs, &active), 4, "%s%s", r.out, r.err);
	cr_expect_geq(opened, 8, "8 workers opened %d sessions", opened);
	cr_expect_geq(used, 8, "8 workers used %d session handles", used);
	cr_expect_eq(signs, 64);
	cr_expect_eq(active, 0, "%d calls refused with CKR_OPERATION_ACTIVE", active);
	run_free(&r);
}

/* A shared library that writes a marker file when it is loaded. */
static void make_marker_library(void)
{
	const char *src = "#include <stdio.h>\n#include <stdlib.h>\n"
			  "__attribute__((constructor)) static void loaded(void) {\n"
			  "  FILE *f = fopen(getenv(\"MARKER\") ? getenv(\"MARKER\") : \"/dev/null\", \"w\");\n"
			  "  if (f) { fputs(\"loaded\\n\", f); fclose(f); }\n}\n";
	write_file(pjoin(dir, "marker.c"), src, strlen(src));
	struct run r = run_cmd("cd %s && cc -shared -fPIC -o marker.so marker.c", dir);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

struct module_case {
	char name[48];
	int config;          /* sign with --config signer.yaml */
	char attr[40];       /* appended to the manifest's URI, then the test directory */
	char file[40];       /* and this file in it */
	char expect[96];
};

static struct module_case module_cases[] = {
	{ "no configuration", 0, "?module-path=", "/marker.so", "the manifest cannot choose the module or the PIN" },
	{ "another module than configured", 1, "?module-path=", "/marker.so", "the manifest chooses module-path" },
	{ "another PIN file than configured", 1, "?pin-source=file:", "/marker.c", "the manifest chooses pin-source" },
};

ParameterizedTestParameters(pkcs11, regression_a_manifest_cannot_choose_the_module_or_the_pin)
{
	return cr_make_param_array(struct module_case, module_cases, sizeof module_cases / sizeof module_cases[0]);
}

ParameterizedTest(struct module_case *mc, pkcs11, regression_a_manifest_cannot_choose_the_module_or_the_pin,
		  .init = start, .fini = stop)
{
	/* module-path in a manifest's URI was loaded: the build host ran code on
	 * the signing host; pin-source named a file the signer read. */
	make_token();
	make_marker_library();
	char uri[700];
	snprintf(uri, sizeof uri, "%s%s%s%s", HSM_URI, mc->attr, dir, mc->file);
	struct run r = run_cmd("%s export MARKER=%s/loaded; cd %s && kms-sign-digest -q --config signer.yaml pubkey '%s' -o hsm.pub.pem && "
			       "head -c 999 /dev/urandom > p && stm32-prep -q --soc stm32mp13 --pubkey hsm.pub.pem --key-uri '%s' p -o o.stm32 -m m.yaml && "
			       "kms-sign-digest %s m.yaml -o s.yaml",
			       hsm_env(), dir, dir, HSM_URI, uri, mc->config ? "--config signer.yaml" : "");
	cr_expect_eq(r.code, 2, "%s: %s", mc->name, r.err);
	cr_expect(strstr(r.err, mc->expect) != NULL, "%s: %s", mc->name, r.err);
	cr_expect(strstr(r.err, "nothing was loaded") != NULL, "%s: %s", mc->name, r.err);
	cr_expect_not(file_exists(pjoin(dir, "loaded")), "%s: the manifest's module was loaded", mc->name);
	cr_expect_not(file_exists(pjoin(dir, "s.yaml")));
	cr_expect_not(file_exists(pjoin(dir, "s.yaml.journal")));
	run_free(&r);
}

Test(pkcs11, regression_a_uri_that_matches_two_private_keys_is_refused, .init = start, .fini = stop)
{
	/* Without object=, the first of two matching keys signed. */
	make_token();
	struct run r = run_cmd("%s cd %s && pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label stm32 --login "
			       "--pin 123456 --keypairgen --key-type EC:prime256v1 --label other --id 06 >/dev/null 2>&1 && "
			       "printf 'format: stm32-signer/1\\nkeys:\\n  - {uri: \\047pkcs11:token=stm32\\047, "
			       "module: /usr/lib/softhsm/libsofthsm2.so, pin: env:HSM_PIN}\\n' > two.yaml && "
			       "HSM_PIN=123456 kms-sign-digest --config two.yaml pubkey 'pkcs11:token=stm32'",
			       hsm_env(), dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "more than one key object matches, expected exactly one") != NULL,
		  "%s", r.err);
	run_free(&r);
}

Test(pkcs11, regression_a_store_whose_open_fails_is_closed, .init = start, .fini = stop)
{
	/* The module stayed loaded and the store's memory was lost (LeakSanitizer
	 * in the sanitizer run turns that into another exit code). */
	make_token();
	struct run r = run_cmd("%s cd %s && printf 'format: stm32-signer/1\\nkeys:\\n  - {uri: \\047pkcs11:token=nosuch\\047, "
			       "module: /usr/lib/softhsm/libsofthsm2.so, pin: file:%s/pin.txt}\\n' > none.yaml && "
			       "kms-sign-digest --config none.yaml pubkey 'pkcs11:token=nosuch'",
			       hsm_env(), dir, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "no token matches the URI") != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, "LeakSanitizer"), "%s", r.err);
	run_free(&r);
}

Test(pkcs11, pin_value_in_a_key_uri_is_refused_by_prep, .init = start, .fini = stop)
{
	struct run r = run_cmd("cd %s && head -c 100 /dev/urandom > p && stm32-prep --soc stm32mp25 --pubkey %s "
			       "--key-uri 'pkcs11:token=t;object=k?pin-value=98765' p -o o.stm32 -m m.yaml",
			       dir, fixture("fixtures/keys/k0.pub.pem"));
	cr_expect_eq(r.code, 2);
	cr_expect(strstr(r.err, "pin-source") != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, "98765"));
	cr_expect_not(file_exists(pjoin(dir, "o.stm32")));
	run_free(&r);
}

Test(pkcs11, regression_wrong_pin_is_named_ckr_pin_incorrect, .init = start, .fini = stop)
{
	/* was "login failed or no single public key object matches" */
	make_token();
	char uri[512];
	snprintf(uri, sizeof uri, HSM_FULL_URI, dir);
	struct run r = run_cmd("%s cd %s && echo 000000 > pin.txt && kms-sign-digest pubkey '%s' -o hsm.pub.pem",
			       hsm_env(), dir, uri);
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "login failed: CKR_PIN_INCORRECT (wrong PIN)") != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, "000000"));
	run_free(&r);
	/* no object of that label, and no PIN given: the message says both */
	r = run_cmd("%s cd %s && kms-sign-digest pubkey "
		    "'pkcs11:token=stm32;object=nosuch?module-path=/usr/lib/softhsm/libsofthsm2.so' -o hsm.pub.pem",
		    hsm_env(), dir);
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "no key object matches, expected exactly one (without a PIN only public objects are visible") != NULL,
		  "%s", r.err);
	run_free(&r);
}

/* ---- transport errors: permanent ones are not retried like throttling ---- */

struct transport_case {
	char name[40];
	char env[160];      /* shell assignments after srv.env */
	int code;
	char expect[80];    /* in the message */
};

static struct transport_case transport_cases[] = {
	{ "closed endpoint", "export AWS_ENDPOINT_URL_KMS=https://127.0.0.1:1;", 5, "127.0.0.1 port 1" },
	{ "untrusted CA", "unset AWS_CA_BUNDLE;", 5, "certificate" },
	{ "unknown host", "export AWS_ENDPOINT_URL_KMS=https://no-such-host.invalid;", 5, "no-such-host.invalid" },
	{ "wrong scheme", "export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:1;", 2, "the scheme must be https" },
};

ParameterizedTestParameters(kms_sign, regression_permanent_transport_errors_fail_fast_and_readably)
{
	return cr_make_param_array(struct transport_case, transport_cases,
				   sizeof transport_cases / sizeof transport_cases[0]);
}

ParameterizedTest(struct transport_case *tc, kms_sign, regression_permanent_transport_errors_fail_fast_and_readably,
		  .init = start, .fini = stop, .timeout = 60)
{
	/* They were retried 12 times (8-19 s) and the message repeated itself:
	 * "gave up after 12 attempts: KMS GetPublicKey: gave up after 12 attempts: ver". */
	make_release(2, 1, "awskms:///alias/k1");
	struct run r = run_cmd("%s %s cd %s && s=$(date +%%s%%N); "
			       "kms-sign-digest out/manifest.yaml -o out/sigs.yaml; rc=$?; "
			       "echo $(( ($(date +%%s%%N) - s) / 1000000 )); exit $rc",
			       srv.env, tc->env, dir);
	long ms = strtol(r.out, NULL, 10);
	cr_expect_eq(r.code, tc->code, "%s: %s", tc->name, r.err);
	cr_expect_lt(ms, 15000, "%s took %ld ms", tc->name, ms);
	cr_expect(strstr(r.err, tc->expect) != NULL, "%s: %s", tc->name, r.err);
	const char *first = strstr(r.err, "KMS GetPublicKey");
	cr_expect(tc->code == 2 || (first && !strstr(first + 1, "KMS GetPublicKey")),
		  "%s: the action is named once: %s", tc->name, r.err);
	cr_expect_null(strstr(r.err, "gave up after 12"), "%s: %s", tc->name, r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0);
	cr_expect_not(file_exists(pjoin(dir, "out/sigs.yaml")));
	run_free(&r);
}

Test(pkcs11, a_pin_prompted_on_the_terminal_is_not_echoed_and_without_a_terminal_is_refused, .init = start,
     .fini = stop)
{
	make_token();
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s cd %s && sed 's|pin: file:.*|pin: prompt|' signer.yaml > p.yaml && "
		 "kms-sign-digest --config p.yaml pubkey '%s' -o p.pem && echo PUBKEY-WRITTEN", hsm_env(), dir, HSM_URI);
	struct run r = pty_run(cmd, "PIN for ", "123456");
	cr_expect_eq(r.code, 0, "%s", r.out);
	cr_expect(strstr(r.out, "PUBKEY-WRITTEN") != NULL, "%s", r.out);
	cr_expect_null(strstr(r.out, "123456"), "the PIN was echoed: %s", r.out);
	run_free(&r);
	r = run_cmd("%s cd %s && setsid -w kms-sign-digest --config p.yaml pubkey '%s' -o q.pem < /dev/null",
		    hsm_env(), dir, HSM_URI);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "no terminal to ask on") != NULL, "%s", r.err);
	cr_expect_not(file_exists(pjoin(dir, "q.pem")));
	run_free(&r);
}
