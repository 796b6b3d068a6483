/* The AWS credential chain, against the loopback KMS endpoint. */
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
	kms_start_fixture_keys(&srv, dir, "k1");
	struct run r = run_cmd("cd %s && head -c 2000 /dev/urandom > p && stm32-prep -q --soc stm32mp25 "
			       "--pubkey %s --pubkey %s --key-index 1 --key-uri awskms:///alias/k1 p -o o.stm32 -m m.yaml",
			       dir, fixture("fixtures/keys/k0.pub.pem"), fixture("fixtures/keys/k1.pub.pem"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

/* The endpoint settings without the environment credentials. */
#define NO_ENV_CREDS "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN;"

Test(creds, static_keys_from_the_profile_files_under_home, .init = start, .fini = stop)
{
	struct run r = run_cmd(
		"%s " NO_ENV_CREDS " export AWS_PROFILE=signer; cd %s && mkdir -p .aws && "
		"printf '[signer]\\naws_access_key_id = AKIDEXAMPLE\\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\\n' > .aws/credentials && "
		"printf '[profile signer]\\nregion = us-east-1\\n' > .aws/config && "
		"kms-sign-digest -q m.yaml -o s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
}

static void write_helper(const char *expiration_cmd)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "#!/bin/sh\n"
		 "echo \"$*\" >> %s/calls\n"
		 "exp=%s\n"
		 "printf '{\"Version\":1,\"AccessKeyId\":\"AKIDEXAMPLE\",\"SecretAccessKey\":"
		 "\"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\"%%s}' \"$exp\"\n",
		 dir, expiration_cmd);
	write_file(pjoin(dir, "helper.sh"), text, strlen(text));
	char conf[1024];
	snprintf(conf, sizeof conf, "[default]\ncredential_process = %s/helper.sh --profile \"with space\"\n", dir);
	struct run r = run_cmd("chmod +x %s/helper.sh && mkdir -p %s/.aws", dir, dir);
	run_free(&r);
	write_file(pjoin(dir, ".aws/config"), conf, strlen(conf));
}

Test(creds, credential_process_runs_without_a_shell, .init = start, .fini = stop)
{
	write_helper("''");
	struct run r = run_cmd("%s " NO_ENV_CREDS " cd %s && kms-sign-digest -q m.yaml -o s.yaml && "
			       "test $(wc -l < calls) = 1 && grep -qx -- '--profile with space' calls",
			       srv.env, dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(creds, credentials_about_to_expire_are_refreshed, .init = start, .fini = stop)
{
	/* Expiration one second ahead (a life of 1-2 s: refreshed at half of it),
	 * and 2.5 s per request: the Sign after GetPublicKey gets fresh ones. */
	write_helper("\",\\\"Expiration\\\":\\\"$(date -u -d '+1 seconds' +%Y-%m-%dT%H:%M:%SZ)\\\"\"");
	cr_assert_eq(kms_control(&srv, "{\"latency_ms\": 2500}"), 0);
	struct run r = run_cmd("%s " NO_ENV_CREDS " cd %s && kms-sign-digest -q m.yaml -o s.yaml && "
			       "test $(wc -l < calls) -ge 2", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(creds, container_credentials_from_a_loopback_full_uri, .init = start, .fini = stop)
{
	struct run r = run_cmd(
		"%s " NO_ENV_CREDS " cd %s && echo tok-xyz > tokfile && "
		"/usr/bin/python3 %s --token tok-xyz > creds.port & spid=$!; "
		"for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do grep -q READY %s/creds.port 2>/dev/null && break; sleep 0.2; done; "
		"cd %s && port=$(awk '{print $2}' creds.port) && "
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$port/creds "
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=%s/tokfile kms-sign-digest -q m.yaml -o s.yaml; rc=$?; "
		"kill $spid; wait $spid; exit $rc",
		srv.env, dir, fixture("tools/creds_server.py"), dir, dir, dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(creds, no_credentials_anywhere_is_explained, .init = start, .fini = stop)
{
	struct run r = run_cmd("%s " NO_ENV_CREDS " cd %s && kms-sign-digest m.yaml -o s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "no AWS credentials") != NULL, "%s", r.err);
	run_free(&r);
}

Test(creds, wrong_secret_is_refused_by_the_endpoint_sigv4_check, .init = start, .fini = stop)
{
	struct run r = run_cmd("%s export AWS_SECRET_ACCESS_KEY=not-the-secret; cd %s && kms-sign-digest m.yaml -o s.yaml",
			       srv.env, dir);
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "InvalidSignatureException") != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, "not-the-secret"));
	cr_expect_eq(kms_stat(&srv, "bad_signature"), 1);
	run_free(&r);
}

Test(creds, web_identity_through_a_loopback_sts, .init = start, .fini = stop)
{
	struct run r = run_cmd(
		"%s " NO_ENV_CREDS " cd %s && printf 'oidc-token-for-tests\\n' > oidc.jwt && "
		"AWS_WEB_IDENTITY_TOKEN_FILE=%s/oidc.jwt AWS_ROLE_ARN=arn:aws:iam::111122223333:role/signer "
		"AWS_ENDPOINT_URL_STS=https://127.0.0.1:%d/ kms-sign-digest -q m.yaml -o s.yaml",
		srv.env, dir, dir, srv.port);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_eq(kms_stat(&srv, "sts"), 1, "one AssumeRoleWithWebIdentity per run");
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	cr_expect_null(strstr(r.err, "oidc-token-for-tests"));
	run_free(&r);
}

Test(creds, web_identity_refused_by_sts_is_reported, .init = start, .fini = stop)
{
	struct run r = run_cmd(
		"%s " NO_ENV_CREDS " cd %s && echo not-the-token > oidc.jwt && "
		"AWS_WEB_IDENTITY_TOKEN_FILE=%s/oidc.jwt AWS_ROLE_ARN=arn:aws:iam::111122223333:role/signer "
		"AWS_ENDPOINT_URL_STS=https://127.0.0.1:%d/ kms-sign-digest -q m.yaml -o s.yaml",
		srv.env, dir, dir, srv.port);
	cr_expect_eq(r.code, 5);
	cr_expect(strstr(r.err, "AssumeRoleWithWebIdentity for arn:aws:iam::111122223333:role/signer: HTTP 403") != NULL, "%s", r.err);
	cr_expect_null(strstr(r.err, "not-the-token"));
	run_free(&r);
}

Test(creds, ec2_imdsv2_from_a_loopback_metadata_endpoint, .init = start, .fini = stop)
{
	struct run r = run_cmd(
		"%s " NO_ENV_CREDS " unset AWS_EC2_METADATA_DISABLED; cd %s; "
		"/usr/bin/python3 %s --imds --token imds-session > imds.port & spid=$!; "
		"for i in $(seq 25); do grep -q READY %s/imds.port 2>/dev/null && break; sleep 0.2; done; "
		"port=$(awk '{print $2}' imds.port) && AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:$port "
		"kms-sign-digest -q m.yaml -o s.yaml; rc=$?; kill $spid; wait $spid; exit $rc",
		srv.env, dir, fixture("tools/creds_server.py"), dir);
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect_null(strstr(r.err, "imds-session"));
	run_free(&r);
}

Test(creds, regression_a_web_identity_form_past_128_kib_is_sent_whole, .init = start, .fini = stop)
{
	/* 50,000 token bytes that each escape to three: the form body passed its
	 * 128 KiB maximum and was sent as the old length with an empty buffer
	 * (an out-of-bounds read under ASan). Now it is sent whole, and STS
	 * answers it (here: refuses the token). */
	struct run r = run_cmd(
		"%s " NO_ENV_CREDS " cd %s && head -c 50000 /dev/zero | tr '\\0' '/' > oidc.jwt && "
		"AWS_WEB_IDENTITY_TOKEN_FILE=%s/oidc.jwt AWS_ROLE_ARN=arn:aws:iam::111122223333:role/signer "
		"AWS_ENDPOINT_URL_STS=https://127.0.0.1:%d/ kms-sign-digest -q m.yaml -o s.yaml",
		srv.env, dir, dir, srv.port);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "AssumeRoleWithWebIdentity for arn:aws:iam::111122223333:role/signer: HTTP 403") != NULL,
		  "%s", r.err);
	cr_expect_null(strstr(r.err, "AddressSanitizer"), "%s", r.err);
	run_free(&r);
}

Test(creds, regression_a_container_uri_on_a_host_named_like_localhost_is_refused, .init = start, .fini = stop)
{
	/* http://localhost.attacker.example/ passed the prefix test for loopback
	 * and would have received the container authorization token in clear. */
	struct run r = run_cmd("%s " NO_ENV_CREDS " cd %s && AWS_CONTAINER_CREDENTIALS_FULL_URI=http://localhost.attacker.example/ "
			       "AWS_CONTAINER_AUTHORIZATION_TOKEN=secret-tok kms-sign-digest m.yaml -o s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback http address") != NULL,
		  "%s", r.err);
	cr_expect_null(strstr(r.err, "secret-tok"));
	cr_expect_eq(kms_stat(&srv, "sign"), 0);
	run_free(&r);
}
