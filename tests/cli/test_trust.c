/* The signing host trusts nothing it is handed: its own configuration and
 * policy decide, outputs are checked before any Sign call is paid for, and
 * each signature is recorded in a hash-chained audit log. */
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
	kms_start_fixture_keys(&srv, dir, "k1 k5");
}

static void stop(void)
{
	kms_stop(&srv);
	tmpdir_rm(dir);
}

/* n images (image_version = i, binary type fsbl 0x10) signed by k1 at index 1. */
static void prepare_release(int n, const char *uri)
{
	FILE *f = fopen(pjoin(dir, "release.yaml"), "w");
	fprintf(f, "format: stm32-release/1\nrelease: r1\nkeysets:\n  oem: [keys/k0.pub.pem, keys/k1.pub.pem]\nimages:\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "  - {id: img%d, input: p.bin, soc: stm32mp25, image_version: %d, keyset: oem, key_index: 1, "
			   "key_uri: '%s'}\n", i, i, uri);
	fclose(f);
	struct run r = run_cmd("cd %s && mkdir -p keys && cp %s/k0.pub.pem %s/k1.pub.pem keys/ && "
			       "head -c 3000 /dev/urandom > p.bin && stm32-prep -q --release release.yaml --out-dir out",
			       dir, fixture("fixtures/keys"), fixture("fixtures/keys"));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

static void write_config(const char *text)
{
	write_file(pjoin(dir, "signer.yaml"), text, strlen(text));
}

/* ---- preflight: failures cost nothing ---- */

Test(trust, regression_an_output_directory_that_cannot_be_written_costs_no_sign_call, .init = start, .fini = stop)
{
	/* All Sign calls of a batch were made and paid for, then thrown away (exit 4). */
	prepare_release(5, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && mkdir ro && chmod 555 ro && "
			       "if [ -w ro ]; then echo 'running as root: using a file as the directory' >&2; "
			       "rmdir ro && touch ro; fi; kms-sign-digest out/manifest.yaml -o ro/sigs.yaml",
			       srv.env, dir);
	cr_expect_eq(r.code, 4, "%s", r.err);
	cr_expect(strstr(r.err, "ro") != NULL && strstr(r.err, "nothing was signed") != NULL, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0, "Sign calls before the output was known to be writable");
	cr_expect_eq(kms_stat(&srv, "requests"), 0, "the output is checked before any request");
	run_free(&r);
}

Test(trust, a_missing_output_directory_is_made, .init = start, .fini = stop)
{
	prepare_release(2, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && kms-sign-digest -q out/manifest.yaml -o new/sub/sigs.yaml && "
			       "test -s new/sub/sigs.yaml && test ! -e new/sub/sigs.yaml.journal", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

Test(trust, regression_a_journal_that_cannot_be_created_stops_the_run_before_signing, .init = start, .fini = stop)
{
	/* The journal's open failure was ignored (sign/cmd.c): a killed run would
	 * have lost every paid signature. */
	prepare_release(3, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && mkdir -p out/sigs.yaml.journal/x && "
			       "kms-sign-digest out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_neq(r.code, 0);
	cr_expect(strstr(r.err, "sigs.yaml.journal") != NULL, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0);
	cr_expect_not(file_exists(pjoin(dir, "out/sigs.yaml")));
	run_free(&r);
}

Test(trust, regression_a_failed_run_leaves_no_output_and_no_journal_that_blocks_the_next, .init = start, .fini = stop)
{
	/* A failed run left complete: false output and an empty journal, and the
	 * next plain run was refused ("journal holds signatures of an interrupted run"). */
	prepare_release(3, "awskms:///alias/k1");
	kms_control(&srv, "{\"access_denied\": true}");
	struct run r = run_cmd("%s cd %s && kms-sign-digest out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect_not(file_exists(pjoin(dir, "out/sigs.yaml")), "a failed run wrote an output document");
	cr_expect_not(file_exists(pjoin(dir, "out/sigs.yaml.journal")), "a failed run left an empty journal");
	run_free(&r);
	kms_control(&srv, "{}");
	r = run_cmd("%s cd %s && kms-sign-digest -q out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "the next plain run: %s", r.err);
	run_free(&r);
}

Test(trust, a_partial_batch_says_what_was_kept_and_how_to_resume, .init = start, .fini = stop)
{
	prepare_release(4, "awskms:///alias/k1");
	kms_control(&srv, "{\"fail_sign_after\": 2}");
	struct run r = run_cmd("%s cd %s && kms-sign-digest --jobs 1 --json out/manifest.yaml -o out/sigs.yaml",
			       srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "2 of 4 image(s) signed and kept in out/sigs.yaml.journal") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "failed: img2") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "continue with: kms-sign-digest --resume 'out/manifest.yaml' -o 'out/sigs.yaml'") != NULL,
		  "%s", r.err);
	cr_expect(strstr(r.out, "\"failed_ids\":[\"img2\"]") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "\"signed\":2") != NULL, "%s", r.out);
	cr_expect_not(file_exists(pjoin(dir, "out/sigs.yaml")));
	run_free(&r);
	kms_control(&srv, "{}");
	kms_reset(&srv);
	r = run_cmd("%s cd %s && kms-sign-digest -q --resume out/manifest.yaml -o out/sigs.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 2, "only the two missing signatures are paid for");
	run_free(&r);
}

Test(trust, regression_the_resume_command_keeps_the_audit_log, .init = start, .fini = stop)
{
	/* it did not: a run finished with the printed command went unaudited */
	prepare_release(3, "awskms:///alias/k1");
	kms_control(&srv, "{\"fail_sign_after\": 1}");
	struct run r = run_cmd("%s cd %s && kms-sign-digest --jobs 1 --audit-log audit.jsonl out/manifest.yaml -o out/sigs.yaml",
			       srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "continue with: kms-sign-digest --resume --audit-log 'audit.jsonl' 'out/manifest.yaml' -o 'out/sigs.yaml'") != NULL,
		  "%s", r.err);
	run_free(&r);
}

Test(trust, regression_two_runs_never_append_to_one_audit_log_at_once, .init = start, .fini = stop)
{
	/* both read the same last line and forked the chain: every later run was refused */
	prepare_release(2, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && touch audit.jsonl && { flock audit.jsonl -c 'touch held; sleep 3' & } && "
			       "while [ ! -e held ]; do sleep 0.05; done && "
			       "kms-sign-digest -q --audit-log audit.jsonl out/manifest.yaml -o out/sigs.yaml; echo rc=$?; wait",
			       srv.env, dir);
	cr_expect(strstr(r.out, "rc=4") != NULL, "%s%s", r.out, r.err);
	cr_expect(strstr(r.err, "audit log audit.jsonl is in use by another kms-sign-digest run") != NULL, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0, "nothing is signed without its audit line");
	run_free(&r);
}

/* ---- an output never replaces an input ---- */

struct same_case {
	char name[48];
	char cmd[400];
	char expect[80];
};

static struct same_case same_cases[] = {
	{ "sign -o the manifest", "kms-sign-digest out/manifest.yaml -o out/manifest.yaml", "-o out/manifest.yaml is the manifest" },
	{ "sign -o a hard link of the manifest", "ln out/manifest.yaml m2.yaml && kms-sign-digest out/manifest.yaml -o m2.yaml",
	  "-o m2.yaml is the manifest" },
	{ "prep -o x -m x", "stm32-prep --soc stm32mp25 --pubkey keys/k0.pub.pem --key-uri awskms:///alias/k0 p.bin -o x -m x", "is the image" },
	{ "prep -o the payload", "stm32-prep --soc stm32mp25 --pubkey keys/k0.pub.pem --key-uri awskms:///alias/k0 p.bin -o p.bin -m m.yaml", "is the input" },
	{ "assemble over a prepared file", "stm32-prep -q --soc stm32mp25 --pubkey keys/k0.pub.pem --pubkey keys/k1.pub.pem "
	  "--key-index 1 --key-uri awskms:///alias/k1 p.bin -o o.stm32 -m m.yaml && kms-sign-digest -q m.yaml -o s.yaml && "
	  "sha256sum o.stm32 > b2 && stm32-assemble m.yaml s.yaml --out-dir .; rc=$?; sha256sum -c --quiet b2 || exit 99; exit $rc",
	  "is the prepared file of image o" },
};

ParameterizedTestParameters(trust, regression_an_output_that_resolves_to_an_input_is_refused)
{
	return cr_make_param_array(struct same_case, same_cases, sizeof same_cases / sizeof same_cases[0]);
}

ParameterizedTest(struct same_case *c, trust, regression_an_output_that_resolves_to_an_input_is_refused,
		  .init = start, .fini = stop)
{
	/* kms-sign-digest a.yaml -o a.yaml replaced the manifest (exit 0). */
	prepare_release(1, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && sha256sum out/manifest.yaml p.bin > before && %s", srv.env, dir, c->cmd);
	cr_expect_neq(r.code, 0, "%s: %s", c->name, r.err);
	cr_expect(strstr(r.err, c->expect) != NULL, "%s: %s", c->name, r.err);
	run_free(&r);
	r = run_cmd("cd %s && sha256sum -c --quiet before", dir);
	cr_expect_eq(r.code, 0, "%s: an input was replaced: %s", c->name, r.out);
	run_free(&r);
}

/* ---- the signer configuration decides which keys and endpoints ---- */

Test(trust, with_a_configuration_a_key_it_does_not_list_is_refused, .init = start, .fini = stop)
{
	prepare_release(2, "awskms:///alias/k1");
	write_config("format: stm32-signer/1\nkeys:\n  - uri: 'awskms:///alias/k5'\n");
	struct run r = run_cmd("%s cd %s && kms-sign-digest --config signer.yaml out/manifest.yaml -o out/s.yaml",
			       srv.env, dir);
	cr_expect_eq(r.code, 2, "%s", r.err);
	cr_expect(strstr(r.err, "key awskms:///alias/k1 is not in the signer configuration signer.yaml") != NULL,
		  "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "requests"), 0);
	run_free(&r);
}

Test(trust, the_default_configuration_is_read_from_xdg_config_home, .init = start, .fini = stop)
{
	prepare_release(1, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && mkdir -p xdg/stm32-kms-sign && "
			       "printf 'format: stm32-signer/1\\nkeys:\\n  - uri: awskms:///alias/k5\\n' > xdg/stm32-kms-sign/signer.yaml && "
			       "XDG_CONFIG_HOME=%s/xdg kms-sign-digest out/manifest.yaml -o out/s.yaml", srv.env, dir, dir);
	cr_expect_eq(r.code, 2, "%s", r.err);
	cr_expect(strstr(r.err, "xdg/stm32-kms-sign/signer.yaml") != NULL, "%s", r.err);
	run_free(&r);
}

Test(trust, an_endpoint_named_by_the_manifest_alone_gets_no_request, .init = start, .fini = stop)
{
	/* The signed request, with the operator's session token, would go where
	 * the build host chose. */
	prepare_release(1, "awskms://127.0.0.2:9/alias/k1");
	struct run r = run_cmd("%s cd %s && kms-sign-digest out/manifest.yaml -o out/s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 2, "%s", r.err);
	cr_expect(strstr(r.err, "the manifest sends requests for this key to 127.0.0.2:9") != NULL, "%s", r.err);
	run_free(&r);
}

Test(trust, an_endpoint_the_operator_named_may_appear_in_the_manifest, .init = start, .fini = stop)
{
	char uri[128];
	snprintf(uri, sizeof uri, "awskms://127.0.0.1:%d/alias/k1", srv.port);
	prepare_release(1, uri);
	struct run r = run_cmd("%s cd %s && kms-sign-digest -q out/manifest.yaml -o out/s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

Test(trust, per_key_region_and_endpoint_come_from_the_configuration, .init = start, .fini = stop)
{
	prepare_release(1, "awskms:///alias/k1");
	char conf[512];
	snprintf(conf, sizeof conf, "format: stm32-signer/1\nkeys:\n  - uri: 'awskms:///alias/k1'\n"
		 "    region: us-east-1\n    endpoint: https://127.0.0.1:%d\n", srv.port);
	write_config(conf);
	struct run r = run_cmd("%s unset AWS_ENDPOINT_URL_KMS; export AWS_REGION=eu-west-3; cd %s && "
			       "kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
}

/* ---- policy: each rule refuses with its name, before any Sign call ---- */

struct policy_case {
	char name[40];
	char policy[120];
	char expect[120];
};

static struct policy_case policy_cases[] = {
	{ "header", "{headers: ['2.0']}", "image img0: the policy of key awskms:///alias/k1 refuses header 2.2 (rule headers" },
	{ "binary type", "{binary_types: [0x20]}", "refuses binary type 0x00 (rule binary_types: binary types 0x20)" },
	{ "minimum image version", "{min_image_version: 2}", "image img0: the policy of key awskms:///alias/k1 refuses image version 0 (rule min_image_version: 2)" },
	{ "images per run", "{max_images: 2}", "asks key awskms:///alias/k1 for 3 signatures; its policy allows 2 per run (rule max_images)" },
};

ParameterizedTestParameters(trust, each_policy_rule_refuses_before_any_sign_call)
{
	return cr_make_param_array(struct policy_case, policy_cases, sizeof policy_cases / sizeof policy_cases[0]);
}

ParameterizedTest(struct policy_case *pc, trust, each_policy_rule_refuses_before_any_sign_call, .init = start, .fini = stop)
{
	prepare_release(3, "awskms:///alias/k1");
	char conf[512];
	snprintf(conf, sizeof conf, "format: stm32-signer/1\nkeys:\n  - {uri: 'awskms:///alias/k1', policy: %s}\n", pc->policy);
	write_config(conf);
	struct run r = run_cmd("%s cd %s && kms-sign-digest --config signer.yaml out/manifest.yaml -o out/s.yaml",
			       srv.env, dir);
	cr_expect_eq(r.code, 1, "%s: %s", pc->name, r.err);
	cr_expect(strstr(r.err, pc->expect) != NULL, "%s: %s", pc->name, r.err);
	cr_expect(strstr(r.err, "nothing was signed") != NULL, "%s: %s", pc->name, r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0, "%s", pc->name);
	cr_expect_eq(kms_stat(&srv, "requests"), 0, "%s: the policy is applied before any request", pc->name);
	cr_expect_not(file_exists(pjoin(dir, "out/s.yaml")));
	cr_expect_not(file_exists(pjoin(dir, "out/s.yaml.journal")));
	run_free(&r);
}

/* Regression: tbbr_certs limited certificates one way only; a key whose policy
 * listed only TF-A certificates still signed any STM32 header. */
Test(trust, regression_a_key_limited_to_tbbr_certs_signs_no_stm32_header, .init = start, .fini = stop)
{
	prepare_release(1, "awskms:///alias/k1");
	write_config("format: stm32-signer/1\nkeys:\n  - {uri: 'awskms:///alias/k1', policy: {tbbr_certs: [trusted_key]}}\n");
	struct run r = run_cmd("%s cd %s && kms-sign-digest --config signer.yaml out/manifest.yaml -o out/s.yaml",
			       srv.env, dir);
	cr_expect_eq(r.code, 1, "%s", r.err);
	cr_expect(strstr(r.err, "image img0: the policy of key awskms:///alias/k1 refuses STM32 header 2.2: the key signs "
			 "only TF-A certificates (rule tbbr_certs: TF-A certificates trusted_key); nothing was signed"),
		  "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "requests"), 0, "refused before any request");
	cr_expect_not(file_exists(pjoin(dir, "out/s.yaml")));
	run_free(&r);
	/* A header rule next to tbbr_certs lets the key sign both. */
	write_config("format: stm32-signer/1\nkeys:\n  - {uri: 'awskms:///alias/k1', policy: {tbbr_certs: [trusted_key], "
		     "headers: ['2.2']}}\n");
	r = run_cmd("%s cd %s && kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 1);
	run_free(&r);
}

Test(trust, review_shows_the_policy_and_what_this_host_cannot_check, .init = start, .fini = stop)
{
	prepare_release(2, "awskms:///alias/k1");
	write_config("format: stm32-signer/1\nkeys:\n  - {uri: 'awskms:///alias/k1', policy: {headers: ['2.2'], min_image_version: 0}}\n");
	struct run r = run_cmd("%s cd %s && kms-sign-digest --config signer.yaml --review out/manifest.yaml && "
			       "kms-sign-digest --config signer.yaml --review --json out/manifest.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.out, "awskms:///alias/k1: configured; policy: headers 2.2; image version >= 0") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "Not checkable here") != NULL && strstr(r.out, "image_version") != NULL, "%s", r.out);
	cr_expect(strstr(r.out, "\"checked_by_assembler\":[\"file\",\"header\",\"binary_type\",\"image_version\"") != NULL,
		  "%s", r.out);
	cr_expect(strstr(r.out, "\"key_configured\":true") != NULL, "%s", r.out);
	cr_expect_eq(kms_stat(&srv, "requests"), 0);
	run_free(&r);
}

/* ---- the audit log ---- */

Test(trust, every_signature_is_in_the_audit_log_and_the_chain_verifies, .init = start, .fini = stop)
{
	prepare_release(3, "awskms:///alias/k1");
	write_config("format: stm32-signer/1\naudit_log: audit.jsonl\nkeys:\n  - uri: 'awskms:///alias/k1'\n");
	struct run r = run_cmd("%s cd %s && kms-sign-digest -q --config signer.yaml out/manifest.yaml -o out/s.yaml && "
			       "kms-sign-digest -q --audit-log audit.jsonl out/manifest.yaml -o out/s2.yaml && "
			       "wc -l < audit.jsonl && head -1 audit.jsonl && kms-sign-digest audit verify audit.jsonl",
			       srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(!strncmp(r.out, "6\n", 2), "one line per signature: %s", r.out);
	cr_expect(strstr(r.out, "\"release\":\"r1\"") && strstr(r.out, "\"image\":\"img") &&
		  strstr(r.out, "\"key\":\"arn:aws:kms:us-east-1:111122223333:key/") &&
		  strstr(r.out, "\"principal\":\"aws:AKIDEXAMPLE (environment)\"") &&
		  strstr(r.out, "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\""),
		  "%s", r.out);
	cr_expect(strstr(r.out, "audit.jsonl: 6 line(s), chain intact") != NULL, "%s", r.out);
	cr_expect_null(strstr(r.out, "wJalrXUtnFEMI"));
	run_free(&r);
}

struct tamper_case {
	char name[32];
	char edit[120];
	int line;
};

static struct tamper_case tamper_cases[] = {
	{ "deleted line", "sed -i 2d audit.jsonl", 2 },
	{ "edited line", "sed -i '2s/img1/img9/' audit.jsonl", 3 },
	{ "swapped lines", "awk 'NR==2{a=$0;next} NR==3{print;print a;next} {print}' audit.jsonl > t && mv t audit.jsonl", 2 },
	{ "torn last line", "printf '{\"prev\":' >> audit.jsonl", 5 },
};

ParameterizedTestParameters(trust, a_tampered_audit_log_names_its_first_broken_line)
{
	return cr_make_param_array(struct tamper_case, tamper_cases, sizeof tamper_cases / sizeof tamper_cases[0]);
}

ParameterizedTest(struct tamper_case *tc, trust, a_tampered_audit_log_names_its_first_broken_line, .init = start, .fini = stop)
{
	prepare_release(4, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && kms-sign-digest -q --jobs 1 --audit-log audit.jsonl out/manifest.yaml -o out/s.yaml && "
			       "%s && kms-sign-digest audit verify audit.jsonl", srv.env, dir, tc->edit);
	cr_expect_eq(r.code, 1, "%s: %s%s", tc->name, r.out, r.err);
	char want[64];
	snprintf(want, sizeof want, "audit.jsonl: line %d ", tc->line);
	cr_expect(strstr(r.err, want) != NULL, "%s: %s", tc->name, r.err);
	run_free(&r);
	kms_reset(&srv);
	r = run_cmd("%s cd %s && kms-sign-digest -q --audit-log audit.jsonl out/manifest.yaml -o out/s3.yaml", srv.env, dir);
	cr_expect_eq(r.code, 1, "%s: appended to a broken chain: %s", tc->name, r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 0, "%s", tc->name);
	run_free(&r);
}

/* ---- everything the reviewer sees is bound to the prepared image ---- */

struct claim_case {
	char name[24];
	char edit[200];     /* sed on the manifest before signing */
	char extra[80];     /* assemble options */
	char expect[100];
};

static struct claim_case claim_cases[] = {
	{ "image_version", "s/image_version: 0$/image_version: 4/", "", "image img0: check image version: the file has 0x0, the manifest 0x4" },
	{ "binary_type", "s/binary_type: 0x0$/binary_type: 0x10/", "", "image img0: check binary type: the file has 0x0, the manifest 0x10" },
	{ "digest", "0,/^  digest: .*/s//  digest: eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee/", "",
	  "image img0: check digest: the file's signed bytes do not hash to the manifest's digest" },
	{ "table_hash", "s/table_hash: .*/table_hash: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", "--otp $(cat otp)",
	  "image img0: check table hash" },
};

ParameterizedTestParameters(trust, regression_a_manifest_field_edited_before_signing_is_named_by_the_assembler)
{
	return cr_make_param_array(struct claim_case, claim_cases, sizeof claim_cases / sizeof claim_cases[0]);
}

ParameterizedTest(struct claim_case *cc, trust, regression_a_manifest_field_edited_before_signing_is_named_by_the_assembler,
		  .init = start, .fini = stop)
{
	/* image_version 0 edited to 4: the reviewer approved version 4, the
	 * signature was made, and stm32-assemble wrote an image carrying 0 (exit 0). */
	prepare_release(1, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && grep -m1 table_hash out/manifest.yaml | awk '{print $2}' > otp && "
			       "sed -i '%s' out/manifest.yaml && kms-sign-digest -q out/manifest.yaml -o out/s.yaml && "
			       "stm32-assemble out/manifest.yaml out/s.yaml --out-dir signed %s",
			       srv.env, dir, cc->edit, cc->extra);
	cr_expect_eq(r.code, 1, "%s: %s", cc->name, r.err);
	cr_expect(strstr(r.err, cc->expect) != NULL, "%s: %s", cc->name, r.err);
	cr_expect(dir_count(pjoin(dir, "signed")) <= 0, "%s: an image was written", cc->name);
	run_free(&r);
}

/* ---- the loopback KMS endpoint checks what KMS checks ---- */

Test(kms_endpoint, a_request_signed_for_another_region_is_refused, .init = start, .fini = stop)
{
	prepare_release(1, "awskms:///alias/k1");
	struct run r = run_cmd("%s export AWS_REGION=eu-west-1; cd %s && kms-sign-digest out/manifest.yaml -o out/s.yaml",
			       srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "Credential should be scoped to a valid region and service: kms in us-east-1, not kms in eu-west-1") != NULL,
		  "%s", r.err);
	run_free(&r);
}

Test(kms_endpoint, the_session_token_it_was_started_with_is_required, .fini = stop)
{
	dir = tmpdir_new();
	char args[1024];
	snprintf(args, sizeof args, "--token tok-77 --key k1=%s", fixture("fixtures/keys/k1.pem"));
	cr_assert_eq(kms_start(&srv, dir, args), 0);
	prepare_release(1, "awskms:///alias/k1");
	struct run r = run_cmd("%s cd %s && kms-sign-digest out/manifest.yaml -o out/s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "UnrecognizedClientException") != NULL, "%s", r.err);
	run_free(&r);
	r = run_cmd("%s export AWS_SESSION_TOKEN=tok-77; cd %s && kms-sign-digest -q out/manifest.yaml -o out/s.yaml",
		    srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

/* botocore signs a request; the header named is then changed or added
 * unsigned, as a client that forgot to sign it would send it. */
static struct run raw_request(const char *target, const char *unsigned_header)
{
	return run_cmd("%s cd %s && /usr/bin/python3 -c '\n"
		       "import sys, urllib.request, ssl\n"
		       "from botocore.auth import SigV4Auth\n"
		       "from botocore.awsrequest import AWSRequest\n"
		       "from botocore.credentials import Credentials\n"
		       "url = \"https://127.0.0.1:%d/\"\n"
		       "h = {\"Content-Type\": \"application/x-amz-json-1.1\", \"X-Amz-Target\": \"%s\"}\n"
		       "drop = \"%s\"\n"
		       "if drop: h.pop(drop)\n"
		       "req = AWSRequest(method=\"POST\", url=url, data=b\"{}\", headers=h)\n"
		       "SigV4Auth(Credentials(\"AKIDEXAMPLE\", \"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\"), \"kms\", \"us-east-1\").add_auth(req)\n"
		       "hdrs = dict(req.headers.items())\n"
		       "if drop: hdrs[drop] = \"application/x-amz-json-1.1\" if drop == \"Content-Type\" else \"%s\"\n"
		       "ctx = ssl.create_default_context(cafile=\"kms-cert.pem\")\n"
		       "try:\n"
		       "    print(urllib.request.urlopen(urllib.request.Request(url, b\"{}\", hdrs), context=ctx).read().decode())\n"
		       "except urllib.error.HTTPError as err:\n"
		       "    print(err.read().decode()); sys.exit(1)\n'",
		       srv.env, dir, srv.port, target, unsigned_header, target);
}

Test(kms_endpoint, answers_list_keys, .init = start, .fini = stop)
{
	struct run r = raw_request("TrentService.ListKeys", "");
	cr_expect_eq(r.code, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "\"Keys\"") && strstr(r.out, "arn:aws:kms:us-east-1:111122223333:key/"), "%s", r.out);
	run_free(&r);
}

Test(kms_endpoint, headers_that_are_not_signed_are_refused, .init = start, .fini = stop)
{
	struct run r = raw_request("TrentService.ListKeys", "X-Amz-Target");
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "SignedHeaders must include x-amz-target") != NULL, "%s%s", r.out, r.err);
	run_free(&r);
	r = raw_request("TrentService.ListKeys", "Content-Type");
	cr_expect_eq(r.code, 1, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "SignedHeaders must include content-type") != NULL, "%s%s", r.out, r.err);
	run_free(&r);
}

Test(kms_sign, a_clock_skew_is_corrected_once_from_the_server_date, .init = start, .fini = stop)
{
	/* The server's clock runs an hour ahead: "Signature expired", then one
	 * retry with the offset of its Date header, as AWS SDKs do. */
	prepare_release(2, "awskms:///alias/k1");
	kms_control(&srv, "{\"skew_seconds\": 3600}");
	struct run r = run_cmd("%s cd %s && kms-sign-digest -q out/manifest.yaml -o out/s.yaml", srv.env, dir);
	cr_expect_eq(r.code, 0, "%s", r.err);
	cr_expect(strstr(r.err, "this host's clock is 3600 s off") || strstr(r.err, "this host's clock is 3599 s off") ||
		  strstr(r.err, "this host's clock is 3601 s off"), "%s", r.err);
	cr_expect_eq(kms_stat(&srv, "sign"), 2);
	run_free(&r);
}

Test(trust, an_interrupted_batch_says_what_was_kept, .init = start, .fini = stop, .timeout = 60)
{
	prepare_release(200, "awskms:///alias/k1");
	kms_control(&srv, "{\"latency_ms\": 20}");
	struct run r = run_cmd("%s cd %s || exit 99; kms-sign-digest --jobs 2 out/manifest.yaml -o out/s.yaml & pid=$!; "
			       "i=0; while [ ! -s out/s.yaml.journal ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; kill -TERM $pid; wait $pid",
			       srv.env, dir);
	cr_expect_eq(r.code, 5, "%s", r.err);
	cr_expect(strstr(r.err, "interrupted: no more images were sent for signing") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "signed and kept in out/s.yaml.journal") != NULL, "%s", r.err);
	cr_expect(strstr(r.err, "continue with: kms-sign-digest --resume") != NULL, "%s", r.err);
	cr_expect_not(file_exists(pjoin(dir, "out/s.yaml")));
	run_free(&r);
}
