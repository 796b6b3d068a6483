/* --json: exactly one JSON document on stdout, also with -q and on failure,
 * with "ok", "exit_code" and (on failure) "error"; schema in docs/formats.md. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "tests/helpers/testutil.h"

static const char *dir;

#define PUB(n) fixture("fixtures/keys/k" #n ".pub.pem")
#define PRIV(n) fixture("fixtures/keys/k" #n ".pem")

/* Two images a, b signed by a file: key, prepared in out/. */
static void setup(void)
{
	dir = tmpdir_new();
	struct run r = run_cmd("cd %s && cp %s k1.pem && cp %s k1.pub.pem && head -c 700 /dev/urandom > pa && "
			       "head -c 900 /dev/urandom > pb && printf 'format: stm32-release/1\\nkeysets:\\n  k: [k1.pub.pem]\\n"
			       "images:\\n  - {id: a, input: pa, soc: stm32mp25, keyset: k, key_index: 0, key_uri: \"file:../k1.pem\"}\\n"
			       "  - {id: b, input: pb, soc: stm32mp25, keyset: k, key_index: 0, key_uri: \"file:../k1.pem\"}\\n'"
			       " > rel.yaml", dir, PRIV(1), PUB(1));
	cr_assert_eq(r.code, 0, "%s", r.err);
	run_free(&r);
}

static void teardown(void)
{
	tmpdir_rm(dir);
}

/* The whole of stdout is one JSON document (else the test fails); the caller puts it. */
static json_object *one_document(const char *out)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, out, (int)strlen(out));
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	cr_assert_not_null(o, "stdout is not JSON: %s", out);
	while (out[used] && isspace((unsigned char)out[used]))
		used++;
	cr_assert_eq(out[used], '\0', "more than one document on stdout: %s", out);
	return o;
}

static json_object *field(json_object *o, const char *name)
{
	json_object *v = NULL;
	cr_assert(json_object_object_get_ex(o, name, &v), "no \"%s\" in %s", name, json_object_to_json_string(o));
	return v;
}

/* ok, exit_code and error as the run ended; returns the document. */
static json_object *expect_run(const struct run *r, int code, const char *error_part)
{
	json_object *d = one_document(r->out);
	cr_expect_eq(r->code, code, "%s", r->err);
	cr_expect_eq(json_object_get_boolean(field(d, "ok")), code == 0);
	cr_expect_eq(json_object_get_int(field(d, "exit_code")), code);
	if (error_part)
		cr_expect(strstr(json_object_get_string(field(d, "error")), error_part) != NULL, "%s", r->out);
	else
		cr_expect_not(json_object_object_get_ex(d, "error", NULL), "%s", r->out);
	return d;
}

Test(json, prep_quiet_single_and_release_print_one_document, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && stm32-prep -q --json --soc stm32mp25 --pubkey k1.pub.pem --key-uri file:k1.pem "
			       "pa -o one/a.stm32 -m one/m.yaml", dir);
	json_object *d = expect_run(&r, 0, NULL);
	cr_expect_str_eq(json_object_get_string(field(d, "tool")), "stm32-prep");
	cr_expect_str_eq(json_object_get_string(field(d, "manifest")), "one/m.yaml");
	json_object *im = json_object_array_get_idx(field(d, "images"), 0);
	cr_expect_str_eq(json_object_get_string(field(im, "id")), "a");
	cr_expect_eq(strlen(json_object_get_string(field(im, "digest"))), 64);
	json_object_put(d);
	run_free(&r);
	r = run_cmd("cd %s && stm32-prep -q --json --release rel.yaml --out-dir out", dir);
	d = expect_run(&r, 0, NULL);
	cr_expect_eq(json_object_array_length(field(d, "images")), 2);
	cr_expect_str_eq(json_object_get_string(field(d, "manifest")), "out/manifest.yaml");
	json_object_put(d);
	run_free(&r);
}

Test(json, prep_failures_are_one_document_with_the_error, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && stm32-prep --json --soc stm32mp25 --pubkey k1.pub.pem nosuch -o o.stm32", dir);
	json_object_put(expect_run(&r, 4, "nosuch: cannot open"));
	run_free(&r);
	r = run_cmd("cd %s && stm32-prep --json --soc stm32mp99 pa -o o.stm32", dir);
	json_object_put(expect_run(&r, 2, "--soc 'stm32mp99'"));
	run_free(&r);
	r = run_cmd("cd %s && stm32-prep keys --json --soc stm32mp25 --pubkey k1.pub.pem", dir);
	json_object *d = expect_run(&r, 0, NULL);
	cr_expect_eq(strlen(json_object_get_string(field(d, "table_hash"))), 64);
	cr_expect_eq(json_object_array_length(field(d, "otp_words")), 8);
	json_object_put(d);
	run_free(&r);
}

Test(json, sign_quiet_and_failure_print_one_document, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && stm32-prep -q --release rel.yaml --out-dir out && "
			       "kms-sign-digest -q --json out/manifest.yaml -o out/s.yaml 2>/dev/null", dir);
	json_object *d = expect_run(&r, 0, NULL);
	cr_expect_eq(json_object_get_int(field(d, "signed")), 2);
	cr_expect(json_object_get_boolean(field(d, "complete")));
	json_object_put(d);
	run_free(&r);
	r = run_cmd("cd %s && kms-sign-digest -q --json nosuch.yaml -o s.yaml", dir);
	json_object_put(expect_run(&r, 4, "nosuch.yaml"));
	run_free(&r);
	r = run_cmd("cd %s && kms-sign-digest --json out/manifest.yaml", dir);
	json_object_put(expect_run(&r, 2, "missing -o SIGNATURES"));
	run_free(&r);
}

Test(json, assemble_reports_verified_and_written_apart, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("cd %s && stm32-prep -q --release rel.yaml --out-dir out && "
			       "kms-sign-digest -q out/manifest.yaml -o out/s.yaml 2>/dev/null && "
			       "stm32-assemble -q --json out/manifest.yaml out/s.yaml --out-dir ok", dir);
	json_object *d = expect_run(&r, 0, NULL);
	for (size_t i = 0; i < 2; i++) {
		json_object *im = json_object_array_get_idx(field(d, "images"), i);
		cr_expect(json_object_get_boolean(field(im, "verified")) && json_object_get_boolean(field(im, "written")));
	}
	json_object_put(d);
	run_free(&r);
	/* b's prepared file changed: b fails, a verifies but is not written */
	r = run_cmd("cd %s && printf x >> out/b.prepared.stm32 && "
		    "stm32-assemble -q --json out/manifest.yaml out/s.yaml --out-dir bad", dir);
	d = expect_run(&r, 1, "image b");
	json_object *a = json_object_array_get_idx(field(d, "images"), 0);
	json_object *b = json_object_array_get_idx(field(d, "images"), 1);
	cr_expect_str_eq(json_object_get_string(field(a, "id")), "a");
	cr_expect(json_object_get_boolean(field(a, "verified")), "%s", r.out);
	cr_expect_not(json_object_get_boolean(field(a, "written")), "%s", r.out);
	cr_expect(strstr(json_object_get_string(field(a, "error")), "not written") != NULL, "%s", r.out);
	cr_expect_not(json_object_get_boolean(field(b, "verified")), "%s", r.out);
	json_object_put(d);
	run_free(&r);
	r = run_cmd("cd %s && stm32-assemble --json out/manifest.yaml nosuch.yaml --out-dir x", dir);
	json_object_put(expect_run(&r, 4, "nosuch.yaml"));
	run_free(&r);
}

Test(json, inspect_usage_failure_is_still_one_array, .init = setup, .fini = teardown)
{
	struct run r = run_cmd("stm32-inspect --json");
	json_object *d = one_document(r.out);
	cr_expect_eq(r.code, 2);
	cr_assert(json_object_is_type(d, json_type_array));
	json_object *e = json_object_array_get_idx(d, 0);
	cr_expect_str_eq(json_object_get_string(field(e, "error")), "no IMAGE given");
	cr_expect_eq(json_object_get_int(field(e, "exit_code")), 2);
	json_object_put(d);
	run_free(&r);
}
