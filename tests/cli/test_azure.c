/* kms-sign-digest with Azure Key Vault / Managed HSM keys, through the
 * loopback fake tests/tools/azure_server.py (its Entra ID token endpoint and
 * IMDS included: bearer token and audience, api-version, key version, alg
 * and digest length checked; throttling and faults injected). */
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

#define SECRET "loopback-client-secret~value"
#define V1 "0123456789abcdef0123456789abcdef"
#define V2 "fedcba9876543210fedcba9876543210"

/* fsbl: versions V1 (k1) and V2 (k5); big: V1 (P-384). */
static void start_in(const char *d, const char *extra)
{
	char args[2048];
	dir = d;
	snprintf(args, sizeof args, "--key fsbl=" V1 ":%s," V2 ":%s --key big=" V1 ":%s %s",
		 fixture("fixtures/keys/k1.pem"), fixture("fixtures/keys/k5.pem"),
		 fixture("fixtures/keys/p384.pem"), extra);
	cr_assert_eq(fake_start(&srv, "azure_server.py", dir, args), 0, "the loopback Azure did not start");
	snprintf(srv.env, sizeof srv.env,
		 "export REQUESTS_CA_BUNDLE=%s/kms-cert.pem AZURE_AUTHORITY_HOST=https://127.0.0.1:%d "
		 "AZURE_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47 AZURE_CLIENT_ID=0b5ad4b0-6f3c-4a2e-9d0c-1f2e3d4c5b6a "
		 "AZURE_CLIENT_SECRET='" SECRET "' AZURE_POD_IDENTITY_AUTHORITY_HOST=https://127.0.0.1:%d HOME=%s P=%d; "
		 "unset AZURE_FEDERATED_TOKEN_FILE;", dir, srv.port, srv.port, dir, srv.port);
}

static void start_with(const char *extra)
{
	start_in(tmpdir_new(), extra);
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

/* The key URI at the fake (a loopback host: it must be in the signer configuration). */
static const char *uri_of(const char *host, const char *key, const char *ver)
{
	static char uri[256];
	snprintf(uri, sizeof uri, "azurekms://%s:%d/%s/%s", host, srv.port, key, ver);
	return uri;
}

static void make_release(int n, int idx, const char *uri)
{
	small_release(dir, n, idx, uri);
	FILE *f = fopen(pjoin(dir, "signer.yaml"), "w");
	fprintf(f, "format: stm32-signer/1\nkeys:\n  - uri: '%s'\n", uri);
	fclose(f);
}

static struct run sign(const char *extra)
{
	return run_cmd("%s cd %s && kms-sign-digest --config signer.yaml out/manifest.yaml -o out/sigs.yaml %s",
		       srv.env, dir, extra);
}


static void expect_no_secret(const struct run *r)
{
	cr_expect_null(strstr(r->err, SECRET), "the client secret was printed");
	cr_expect_null(strstr(r->out, SECRET), "the client secret was printed");
	cr_expect_null(strstr(r->err, "loopback-aad."), "a token was printed");
	cr_expect_null(strstr(r->err, "loopback.federated"), "the federated token was printed");
}

struct curve_case {
	char header[4];
	char key[8];
	char name[8];
	char digest[8];
};

static struct curve_case curves[] = {
	{ "2.0", "k1", "fsbl", "sha256" },
	{ "2.3", "p384", "big", "sha384" },
};

ParameterizedTestParameters(azure, prep_sign_assemble_verifies_with_openssl)
{
	return cr_make_param_array(struct curve_case, curves, sizeof curves / sizeof curves[0]);
}

ParameterizedTest(struct curve_case *c, azure, prep_sign_assemble_verifies_with_openssl, .init = start, .fini = stop)
{
	char rel[64];
	const char *uri = uri_of("127.0.0.1", c->name, V1);
	snprintf(rel, sizeof rel, "fixtures/keys/%s.pub.pem", c->key);
	struct run r = run_cmd("cd %s && printf 'format: stm32-signer/1\\nkeys:\\n  - uri: %s\\n' > signer.yaml", dir, uri);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	r = prep_sign_verify(srv.env, dir, c->header, fixture(rel), uri, "--config signer.yaml");
	cr_expect_eq(r.code, 0, "%s: %s%s", uri, r.out, r.err);
	cr_expect(strstr(r.out, "/keys/") != NULL && strstr(r.out, V1) != NULL, "the signer is the kid: %s", r.out);
	cr_expect(strstr(r.out, "Signature Verified Successfully") != NULL, "%s", r.out);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "get_key"), 1);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	cr_expect_eq(kms_stat(&srv, "token"), 1);
}

Test(azure, thousand_digests_with_20pct_throttling_are_each_signed_once_with_one_token,
     .init = start, .fini = stop, .timeout = 240)
{
	make_release(1000, 1, uri_of("127.0.0.1", "fsbl", V1));
	kms_control(&srv, "{\"throttle\": 0.2, \"error500\": 0.02}");
	struct run r = sign("-q --jobs 16 --max-attempts 30");
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	expect_throttled_batch(&srv, 1000);
	expect_assembles(dir);
}

Test(azure, retry_after_of_a_throttled_answer_is_honoured, .init = start, .fini = stop)
{
	make_release(1, 1, uri_of("127.0.0.1", "fsbl", V1));
	kms_control(&srv, "{\"throttle_first\": 1, \"retry_after\": 2}");
	struct run r = run_cmd("%s cd %s && s=$(date +%%s%%N) && "
			       "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml && "
			       "echo $(( ($(date +%%s%%N) - s) / 1000000 ))", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_geq((int)strtol(r.out, NULL, 10), 1900, "waited %s ms", r.out);
	run_free(&r);
}

struct refusal {
	char name[48];
	char ver[40];
	char env[200];
	char faults[64];
	int config;     /* the key is in the signer configuration */
	int code;
	char msg[140];
};

static struct refusal refusals[] = {
	{ "a sign answer of another version", V1, "", "{\"wrong_kid\": true}", 1, 5,
	  "the sign answer's kid https://127.0.0.1:" },
	{ "a version that does not exist", "ffff", "", "{}", 1, 5, "HTTP 404: KeyNotFound: A key with (name/id) fsbl/ffff" },
	{ "no version", "", "", "{}", 1, 2, "the version is required" },
	{ "a wrong client secret", V1, "export AZURE_CLIENT_SECRET=wrong;", "{}", 1, 5,
	  "HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided" },
	{ "no credentials and no managed identity", V1, "unset AZURE_CLIENT_SECRET AZURE_TENANT_ID AZURE_CLIENT_ID;",
	  "{}", 1, 5, "no Azure credentials: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET" },
	{ "a secret without a tenant", V1, "unset AZURE_TENANT_ID;", "{}", 1, 5,
	  "AZURE_TENANT_ID or AZURE_CLIENT_ID is not" },
	{ "a denied sign", V1, "", "{\"deny_sign\": true}", 1, 5, "HTTP 403: Forbidden: Caller is not authorized" },
	{ "a loopback host named by the manifest only", V1, "", "{}", 0, 2,
	  "which is not an Azure Key Vault or Managed HSM host; list the key in the signer configuration" },
	{ "an http authority", V1, "export AZURE_AUTHORITY_HOST=http://127.0.0.1:1;", "{}", 1, 2,
	  "AZURE_AUTHORITY_HOST http://127.0.0.1:1 must be https://" },
};

ParameterizedTestParameters(azure, refuses_with_a_clear_message)
{
	return cr_make_param_array(struct refusal, refusals, sizeof refusals / sizeof refusals[0]);
}

ParameterizedTest(struct refusal *rf, azure, refuses_with_a_clear_message, .init = start, .fini = stop)
{
	char uri[256];
	snprintf(uri, sizeof uri, "azurekms://127.0.0.1:%d/fsbl%s%s", srv.port, rf->ver[0] ? "/" : "", rf->ver);
	make_release(3, 1, uri);
	kms_control(&srv, rf->faults);
	struct run r = run_cmd("%s %s cd %s && kms-sign-digest --max-attempts 3 %s out/manifest.yaml -o out/sigs.yaml",
			       srv.env, rf->env, dir, rf->config ? "--config signer.yaml" : "");
	cr_expect_eq(r.code, rf->code, "%s: exit %d: %s", rf->name, r.code, r.err);
	cr_expect(strstr(r.err, rf->msg) != NULL, "%s: message\n  %s\nlacks\n  %s", rf->name, r.err, rf->msg);
	expect_no_secret(&r);
	cr_expect(!file_exists(pjoin(dir, "out/sigs.yaml")), "%s: no output on failure", rf->name);
	run_free(&r);
}

Test(azure, verbose_logs_request_lines_and_never_a_secret_or_token, .init = start, .fini = stop)
{
	make_release(3, 1, uri_of("127.0.0.1", "fsbl", V1));
	kms_control(&srv, "{\"throttle_first\": 1}");
	struct run r = sign("-v -v --jobs 1");
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "/oauth2/v2.0/token -> HTTP 200") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "/sign?api-version=7.4 -> HTTP 200") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "HTTP 429, retrying in") != NULL, "%s", r.err);
	expect_no_secret(&r);
	run_free(&r);
}

Test(azure, workload_identity_sends_the_federated_token_as_the_client_assertion, .init = start, .fini = stop)
{
	make_release(2, 1, uri_of("127.0.0.1", "fsbl", V1));
	struct run r = run_cmd("%s cd %s && printf 'loopback.federated.token\\n' > fed && unset AZURE_CLIENT_SECRET && "
			       "export AZURE_FEDERATED_TOKEN_FILE=%s/fed && "
			       "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	expect_no_secret(&r);
	run_free(&r);
	expect_assembles(dir);
}

static void start_mi(void)
{
	start_with("--managed-identity");
}

Test(azure, managed_identity_is_asked_when_no_client_credentials_are_set, .init = start_mi, .fini = stop)
{
	make_release(2, 1, uri_of("127.0.0.1", "fsbl", V1));
	struct run r = run_cmd("%s cd %s && unset AZURE_CLIENT_SECRET AZURE_TENANT_ID && "
			       "kms-sign-digest -q --config signer.yaml --audit-log audit.jsonl out/manifest.yaml -o out/sigs.yaml && "
			       "grep -c 'managed identity' audit.jsonl", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_eq((int)strtol(r.out, NULL, 10), 2, "the audit log names the managed identity: %s", r.out);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "imds"), 1);
	expect_assembles(dir);
}

Test(azure, a_token_revoked_during_the_batch_is_replaced_once, .init = start, .fini = stop)
{
	make_release(4, 1, uri_of("127.0.0.1", "fsbl", V1));
	kms_control(&srv, "{\"revoke_after\": 2}");
	struct run r = sign("-q --jobs 1");
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "sign"), 4);
	cr_expect_eq(kms_stat(&srv, "token"), 2, "a new token after the 401");
	expect_assembles(dir);
}

static void start_hsm(void)
{
	start_with("--kind managedhsm");
}

Test(azure, a_managed_hsm_host_gets_a_token_for_the_managed_hsm_audience, .init = start_hsm, .fini = stop)
{
	/* *.localhost resolves to 127.0.0.1 in libcurl; the fake's certificate names *.managedhsm.localhost */
	make_release(2, 1, uri_of("hsm1.managedhsm.localhost", "fsbl", V1));
	struct run r = sign("");
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "https://hsm1.managedhsm.localhost:") != NULL, "%s", r.out);
	run_free(&r);
	expect_assembles(dir);
	make_release(2, 1, uri_of("127.0.0.1", "fsbl", V1));
	r = sign("");
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "AKV10022: Invalid audience. Expected https://managedhsm.azure.net") != NULL, "%s", r.err);
	run_free(&r);
}

/* An RSA certificate registered for the client, made before the fake starts. */
static void start_cert(void)
{
	const char *d = tmpdir_new();
	struct run r = run_cmd("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem "
			       "-subj /CN=stm32-signer -days 2 2>/dev/null && cat cert.pem key.pem > client.pem && "
			       "openssl req -x509 -newkey rsa:2048 -nodes -keyout k2.pem -out c2.pem -subj /CN=other "
			       "-days 2 2>/dev/null && cat c2.pem k2.pem > other.pem && "
			       "openssl pkcs12 -export -in cert.pem -inkey key.pem -passout pass:pfx-pass -out client.pfx", d);
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	char extra[256];
	snprintf(extra, sizeof extra, "--client-cert %s/cert.pem", d);
	start_in(d, extra);
}

Test(azure, a_client_certificate_signs_the_assertion_and_another_certificate_is_refused,
     .init = start_cert, .fini = stop)
{
	make_release(2, 1, uri_of("127.0.0.1", "fsbl", V1));
	struct run r = run_cmd("%s cd %s && unset AZURE_CLIENT_SECRET && export AZURE_CLIENT_CERTIFICATE_PATH=%s/client.pem && "
			       "kms-sign-digest -q --config signer.yaml --audit-log a.jsonl out/manifest.yaml -o out/sigs.yaml && "
			       "grep -c 'client certificate' a.jsonl", srv.env, dir, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_eq((int)strtol(r.out, NULL, 10), 2, "%s", r.out);
	run_free(&r);
	expect_assembles(dir);
	r = run_cmd("%s cd %s && rm out/sigs.yaml && unset AZURE_CLIENT_SECRET && export AZURE_CLIENT_CERTIFICATE_PATH=%s/other.pem && "
		    "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "AADSTS700027") != NULL, "%s", r.err);
	expect_no_secret(&r);
	run_free(&r);
	r = run_cmd("%s cd %s && unset AZURE_CLIENT_SECRET && export AZURE_CLIENT_CERTIFICATE_PATH=%s/cert.pem && "
		    "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "a PEM file with the certificate and its private key, or a PKCS#12 (.pfx) file, is expected") != NULL, "%s", r.err);
	run_free(&r);
}

Test(azure, a_pkcs12_client_certificate_with_its_password_signs_the_assertion, .init = start_cert, .fini = stop)
{
	make_release(2, 1, uri_of("127.0.0.1", "fsbl", V1));
	struct run r = run_cmd("%s cd %s && unset AZURE_CLIENT_SECRET && export AZURE_CLIENT_CERTIFICATE_PATH=%s/client.pfx "
			       "AZURE_CLIENT_CERTIFICATE_PASSWORD=pfx-pass && "
			       "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	expect_assembles(dir);
	r = run_cmd("%s cd %s && rm out/sigs.yaml && unset AZURE_CLIENT_SECRET && export AZURE_CLIENT_CERTIFICATE_PATH=%s/client.pfx "
		    "AZURE_CLIENT_CERTIFICATE_PASSWORD=wrong && "
		    "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "PKCS#12 (.pfx) file, is expected") != NULL, "%s", r.err);
	cr_expect(access(pjoin(dir, "out/sigs.yaml"), F_OK) != 0, "no signatures document on failure");
	cr_expect_null(strstr(r.err, "pfx-pass"), "the password was printed");
	run_free(&r);
}

static void start_app_service(void)
{
	start_with("--app-service-secret loopback-identity-header");
}

Test(azure, app_service_identity_is_asked_with_its_header_before_imds, .init = start_app_service, .fini = stop)
{
	make_release(2, 1, uri_of("127.0.0.1", "fsbl", V1));
	struct run r = run_cmd("%s cd %s && unset AZURE_CLIENT_SECRET AZURE_TENANT_ID && "
			       "export IDENTITY_ENDPOINT=https://127.0.0.1:$P/msi/token IDENTITY_HEADER=loopback-identity-header && "
			       "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
	cr_expect_eq(kms_stat(&srv, "imds"), 1);
	expect_assembles(dir);
	r = run_cmd("%s cd %s && rm out/sigs.yaml && unset AZURE_CLIENT_SECRET AZURE_TENANT_ID && "
		    "export IDENTITY_ENDPOINT=https://127.0.0.1:$P/msi/token IDENTITY_HEADER=not-the-header && "
		    "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "App Service") != NULL, "the message names the endpoint: %s", r.err);
	cr_expect_null(strstr(r.err, "not-the-header"), "the identity header was printed");
	run_free(&r);
}
