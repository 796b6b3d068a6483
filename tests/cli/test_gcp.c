/* kms-sign-digest with Google Cloud KMS keys, through the loopback fake
 * tests/tools/gcp_server.py (its OAuth token endpoint and metadata server
 * included: bearer token, the service account's JWT, paths, digest field and
 * length, CRC32C both ways checked; throttling and faults injected). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/kms.h"
#include "tests/helpers/release.h"
#include "tests/helpers/testutil.h"

static const char *dir;
static struct kms_srv srv;

#define STATIC_TOKEN "ya29.static-operator-token"
#define SA_EMAIL "stm32-signer@loopback-project.iam.gserviceaccount.com"
#define KEYS "projects/loopback-project/locations/europe-west1/keyRings/stm32/cryptoKeys/"

/* fsbl: versions 1 (k1) and 2 (k5); big: 1 (P-384); k256: 1 (secp256k1, made here). */
static void start(void)
{
	char args[4096];
	dir = tmpdir_new();
	struct run r = run_cmd("openssl ecparam -name secp256k1 -genkey -noout -out %s/k256.pem 2>&1", dir);
	cr_assert_eq(r.code, 0, "%s", r.out);
	run_free(&r);
	snprintf(args, sizeof args, "--key " KEYS "fsbl/cryptoKeyVersions/1=%s --key " KEYS "fsbl/cryptoKeyVersions/2=%s "
		 "--key " KEYS "big/cryptoKeyVersions/1=%s --key " KEYS "k256/cryptoKeyVersions/1=%s/k256.pem "
		 "--access-token " STATIC_TOKEN " --service-account " SA_EMAIL " --metadata",
		 fixture("fixtures/keys/k1.pem"), fixture("fixtures/keys/k5.pem"), fixture("fixtures/keys/p384.pem"), dir);
	cr_assert_eq(fake_start(&srv, "gcp_server.py", dir, args), 0, "the loopback Cloud KMS did not start");
	uint8_t *mp = read_file(pjoin(dir, "metadata-port"), NULL);
	cr_assert_not_null(mp);
	snprintf(srv.env, sizeof srv.env,
		 "export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS=https://127.0.0.1:%d/ "
		 "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE=%s/kms-cert.pem GOOGLE_APPLICATION_CREDENTIALS=%s/sa.json "
		 "GCE_METADATA_HOST=127.0.0.1:%d HOME=%s MP=%d P=%d;",
		 srv.port, dir, dir, (int)strtol((char *)mp, NULL, 10), dir, (int)strtol((char *)mp, NULL, 10), srv.port);
	free(mp);
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

static const char *uri_of(const char *key, const char *ver)
{
	static char uri[256];
	snprintf(uri, sizeof uri, "gcpkms://" KEYS "%s%s%s", key, ver[0] ? "/cryptoKeyVersions/" : "", ver);
	return uri;
}

/* A release of n images by k1 through uri, and a signer configuration naming it (and extra lines). */
static void make_release_conf(int n, const char *uri, const char *extra)
{
	small_release(dir, n, 1, uri);
	FILE *f = fopen(pjoin(dir, "signer.yaml"), "w");
	fprintf(f, "format: stm32-signer/1\nkeys:\n  - uri: '%s'\n%s", uri, extra);
	fclose(f);
}

static void make_release(int n, const char *uri)
{
	make_release_conf(n, uri, "");
}

static struct run sign(const char *extra)
{
	return run_cmd("%s cd %s && kms-sign-digest --config signer.yaml out/manifest.yaml -o out/sigs.yaml %s",
		       srv.env, dir, extra);
}

static void expect_no_secret(const struct run *r)
{
	cr_expect_null(strstr(r->err, "ya29."), "a token was printed: %s", r->err);
	cr_expect_null(strstr(r->out, "ya29."), "a token was printed");
	cr_expect_null(strstr(r->err, "PRIVATE KEY"), "the service account's key was printed");
}

struct curve_case {
	char header[4];
	char key[8];
	char name[8];
};

static struct curve_case curves[] = {
	{ "2.2", "k1", "fsbl" },
	{ "2.3", "p384", "big" },
};

ParameterizedTestParameters(gcp, prep_sign_assemble_verifies_with_openssl)
{
	return cr_make_param_array(struct curve_case, curves, sizeof curves / sizeof curves[0]);
}

ParameterizedTest(struct curve_case *c, gcp, prep_sign_assemble_verifies_with_openssl, .init = start, .fini = stop)
{
	char rel[64];
	const char *uri = uri_of(c->name, "1");
	snprintf(rel, sizeof rel, "fixtures/keys/%s.pub.pem", c->key);
	struct run r = prep_sign_verify(srv.env, dir, c->header, fixture(rel), uri, "");
	cr_expect_eq(r.code, 0, "%s: %s%s", uri, r.out, r.err);
	cr_expect(strstr(r.out, "Signature Verified Successfully") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "signer: " KEYS) != NULL, "the signer is the version's name: %s", r.out);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "get_public_key"), 1);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	cr_expect_eq(kms_stat(&srv, "token"), 1, "one service account grant");
}

/* No .timeout: BoxFort (Criterion's sandbox) loses a 48-byte timeout request
 * when two tests with one end at once under --jobs 2 (bxfi_cancel_timeout
 * unlinks from its list wrongly), which LeakSanitizer then reports. */
Test(gcp, thousand_digests_with_20pct_throttling_are_each_signed_once_with_one_token,
     .init = start, .fini = stop)
{
	make_release(1000, uri_of("fsbl", "1"));
	kms_control(&srv, "{\"throttle\": 0.2, \"error500\": 0.02}");
	struct run r = sign("-q --jobs 16 --max-attempts 30");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	expect_throttled_batch(&srv, 1000);
	expect_assembles(dir);
}

/* Each source of credentials, named in the audit log; the token file comes first. */
struct source_case {
	char name[40];
	char env[160];
	char opts[80];
	char conf[80];
	char principal[80];
	char stat[12];
	long tokens;     /* from the token endpoint and the metadata server */
};

static struct source_case sources[] = {
	{ "service account", "", "", "", "gcp:" SA_EMAIL " (service account)", "token", 1 },
	{ "metadata server", "unset GOOGLE_APPLICATION_CREDENTIALS;", "", "", "gcp:- (metadata server)", "metadata", 1 },
	{ "token file option", "", "--gcp-access-token-file tok", "", "gcp:- (access token file)", "token", 0 },
	{ "token file in the configuration", "", "", "    access_token_file: tok\n", "gcp:- (access token file)",
	  "token", 0 },
};

ParameterizedTestParameters(gcp, each_credential_source_signs_and_is_named_in_the_audit_log)
{
	return cr_make_param_array(struct source_case, sources, sizeof sources / sizeof sources[0]);
}

ParameterizedTest(struct source_case *s, gcp, each_credential_source_signs_and_is_named_in_the_audit_log,
		  .init = start, .fini = stop)
{
	make_release_conf(2, uri_of("fsbl", "1"), s->conf);
	struct run r = run_cmd("%s %s cd %s && printf '" STATIC_TOKEN "\\n' > tok && "
			       "kms-sign-digest -q --config signer.yaml --audit-log a.jsonl %s out/manifest.yaml -o out/sigs.yaml && "
			       "grep -c '%s' a.jsonl", srv.env, s->env, dir, s->opts, s->principal);
	cr_expect_eq(r.code, 0, "%s: %s%s", s->name, r.out, r.err);
	cr_expect_eq((int)strtol(r.out, NULL, 10), 2, "%s: the audit log names %s: %s", s->name, s->principal, r.out);
	expect_no_secret(&r);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, s->stat), s->tokens, "%s", s->name);
	expect_assembles(dir);
}

Test(gcp, the_metadata_server_of_the_fake_wants_the_flavor_header_as_google_s_does, .init = start, .fini = stop)
{
	struct run r = run_cmd("%s curl -s -o /dev/null -w '%%{http_code}' "
			       "http://127.0.0.1:$MP/computeMetadata/v1/instance/service-accounts/default/token", srv.env);
	cr_expect_eq(strcmp(r.out, "403"), 0, "%s", r.out);
	run_free(&r);
}

Test(gcp, pubkey_exports_the_version_s_key, .init = start, .fini = stop)
{
	struct run r = run_cmd("%s cd %s && kms-sign-digest pubkey '%s' -o k.pem && "
			       "openssl pkey -pubin -in k.pem -outform DER > a.der && "
			       "openssl pkey -pubin -in %s -outform DER | cmp - a.der", srv.env, dir, uri_of("big", "1"),
			       fixture("fixtures/keys/p384.pub.pem"));
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "P-384 key") != NULL, "%s", r.err);
	run_free(&r);
}

/* A corrupted answer is asked for again, once, and the batch succeeds. */
static const char *const healed[] = {
	"{\"bad_crc\": 1}", "{\"wrong_name\": 1}", "{\"unverified\": 1}", "{\"bad_pem_crc\": 1}",
};

Test(gcp, a_corrupted_answer_is_asked_for_again_and_then_kept, .init = start, .fini = stop)
{
	for (size_t i = 0; i < sizeof healed / sizeof healed[0]; i++) {
		make_release(2, uri_of("fsbl", "1"));
		kms_reset(&srv);
		kms_control(&srv, healed[i]);
		struct run r = sign("-q --jobs 1 -v");
		cr_expect_eq(r.code, 0, "%s: %s", healed[i], r.err);
		cr_expect(strstr(r.err, "; asking again") != NULL, "%s: %s", healed[i], r.err);
		run_free(&r);
		cr_expect_eq(kms_stat(&srv, "sign"), i < 3 ? 3 : 2, "%s", healed[i]);
		expect_assembles(dir);
	}
}

struct refusal {
	char name[48];
	char key[8];
	char ver[8];
	char env[200];
	char faults[64];
	int code;
	char msg[160];
};

static struct refusal refusals[] = {
	{ "a bad signatureCrc32c every time", "fsbl", "1", "", "{\"bad_crc\": true}", 5,
	  "the sign answer's signatureCrc32c" },
	{ "a bad signatureCrc32c, the count", "fsbl", "1", "", "{\"bad_crc\": true}", 5,
	  "corrupted in transit (3 answers, each refused)" },
	{ "another version's answer", "fsbl", "1", "", "{\"wrong_name\": true}", 5,
	  "the sign answer names " KEYS "fsbl/cryptoKeyVersions/2, not the version asked for" },
	{ "an unverified digest", "fsbl", "1", "", "{\"unverified\": true}", 5,
	  "the sign answer's verifiedDigestCrc32c is not true" },
	{ "a bad pemCrc32c", "fsbl", "1", "", "{\"bad_pem_crc\": true}", 5, "the public key answer's pemCrc32c" },
	{ "no version", "fsbl", "", "", "{}", 2, "cryptoKeys/fsbl: the version is required" },
	{ "a version that does not exist", "fsbl", "9", "", "{}", 5,
	  "HTTP 404: NOT_FOUND: " KEYS "fsbl/cryptoKeyVersions/9 not found." },
	{ "a secp256k1 key", "k256", "1", "", "{}", 1,
	  "the key version's algorithm is EC_SIGN_SECP256K1_SHA256; the ROM needs EC_SIGN_P256_SHA256" },
	{ "a key the service account does not have", "fsbl", "1", "export GOOGLE_APPLICATION_CREDENTIALS=$HOME/sa-other.json;",
	  "{}", 5, "HTTP 400: invalid_grant: Invalid JWT Signature." },
	{ "a user's credentials file", "fsbl", "1",
	  "printf '{\"type\": \"authorized_user\"}' > $HOME/u.json; export GOOGLE_APPLICATION_CREDENTIALS=$HOME/u.json;", "{}", 5,
	  "type is authorized_user, not service_account" },
	{ "a denied sign", "fsbl", "1", "", "{\"deny_sign\": true}", 5,
	  "HTTP 403: PERMISSION_DENIED: Permission 'cloudkms.cryptoKeyVersions.useToSign' denied" },
	{ "no credentials at all", "fsbl", "1", "unset GOOGLE_APPLICATION_CREDENTIALS; export GCE_METADATA_HOST=127.0.0.1:1;",
	  "{}", 5, "no Google credentials: no access token file was named (--gcp-access-token-file)" },
	{ "a refused token", "fsbl", "1", "printf 'ya29.revoked' > $HOME/bad; export STM32_T=\"--gcp-access-token-file $HOME/bad\";",
	  "{}", 5, "HTTP 401: UNAUTHENTICATED: Request had invalid authentication credentials" },
	{ "an http endpoint", "fsbl", "1", "export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS=http://127.0.0.1:$P/;", "{}", 2,
	  "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS http://127.0.0.1:" },
	{ "an endpoint without its slash", "fsbl", "1", "export CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS=https://127.0.0.1:$P;",
	  "{}", 2, "must be https://HOST[:PORT]/ with the trailing '/', as gcloud takes it" },
	{ "another version than the manifest's key", "fsbl", "2", "", "{}", 1,
	  "but the manifest expects" },
};

ParameterizedTestParameters(gcp, refuses_with_a_clear_message)
{
	return cr_make_param_array(struct refusal, refusals, sizeof refusals / sizeof refusals[0]);
}

ParameterizedTest(struct refusal *rf, gcp, refuses_with_a_clear_message, .init = start, .fini = stop)
{
	make_release(3, uri_of(rf->key, rf->ver));
	kms_control(&srv, rf->faults);
	struct run r = run_cmd("%s %s cd %s && kms-sign-digest --max-attempts 3 --config signer.yaml $STM32_T "
			       "out/manifest.yaml -o out/sigs.yaml", srv.env, rf->env, dir);
	cr_expect_eq(r.code, rf->code, "%s: exit %d: %s", rf->name, r.code, r.err);
	cr_expect(strstr(r.err, rf->msg) != NULL, "%s: message\n  %s\nlacks\n  %s", rf->name, r.err, rf->msg);
	cr_expect(rf->code == 2 || strstr(r.err, KEYS) != NULL,
		  "%s: the key is named: %s", rf->name, r.err);
	expect_no_secret(&r);
	cr_expect(!file_exists(pjoin(dir, "out/sigs.yaml")), "%s: no output on failure", rf->name);
	run_free(&r);
}

Test(gcp, verbose_logs_request_lines_and_never_a_token, .init = start, .fini = stop)
{
	make_release(3, uri_of("fsbl", "1"));
	kms_control(&srv, "{\"throttle_first\": 1}");
	struct run r = sign("-v -v --jobs 1");
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "POST https://127.0.0.1:") != NULL && strstr(r.err, "/token -> HTTP 200") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "/publicKey -> HTTP 200") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, ":asymmetricSign -> HTTP 200") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "HTTP 429, retrying in") != NULL, "%s", r.err);
	expect_no_secret(&r);
	run_free(&r);
}

Test(gcp, a_token_revoked_during_the_batch_is_replaced_once, .init = start, .fini = stop)
{
	make_release(4, uri_of("fsbl", "1"));
	kms_control(&srv, "{\"revoke_after\": 2}");
	struct run r = sign("-q --jobs 1");
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign"), 4);
	cr_expect_eq(kms_stat(&srv, "token"), 2, "a new token after the 401");
	expect_assembles(dir);
}
