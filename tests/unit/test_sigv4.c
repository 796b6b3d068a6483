/* SigV4 against the AWS test suite (tests/vectors/sigv4, Apache-2.0) and the
 * four KMS known answers of spec/aws-kms.md (computed with botocore). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "common/hex.h"
#include "sign/sigv4.h"
#include "tests/helpers/testutil.h"

struct vcase {
	char name[64];
};

static struct vcase cases[] = {
	{ "get-header-key-duplicate" },
	{ "get-header-value-multiline" },
	{ "get-header-value-order" },
	{ "get-header-value-trim" },
	{ "get-relative-normalized" },
	{ "get-relative-relative-normalized" },
	{ "get-relative-relative-unnormalized" },
	{ "get-relative-unnormalized" },
	{ "get-slash-dot-slash-normalized" },
	{ "get-slash-dot-slash-unnormalized" },
	{ "get-slash-normalized" },
	{ "get-slash-pointless-dot-normalized" },
	{ "get-slash-pointless-dot-unnormalized" },
	{ "get-slash-unnormalized" },
	{ "get-slashes-normalized" },
	{ "get-slashes-unnormalized" },
	{ "get-space-normalized" },
	{ "get-space-unnormalized" },
	{ "get-unreserved" },
	{ "get-utf8" },
	{ "get-vanilla" },
	{ "get-vanilla-empty-query-key" },
	{ "get-vanilla-query" },
	{ "get-vanilla-query-order-encoded" },
	{ "get-vanilla-query-order-key-case" },
	{ "get-vanilla-query-unreserved" },
	{ "get-vanilla-utf8-query" },
	{ "get-vanilla-with-session-token" },
	{ "post-header-key-case" },
	{ "post-header-key-sort" },
	{ "post-header-value-case" },
	{ "post-sts-header-after" },
	{ "post-sts-header-before" },
	{ "post-vanilla" },
	{ "post-vanilla-empty-query-value" },
	{ "post-vanilla-query" },
	{ "post-x-www-form-urlencoded" },
	{ "post-x-www-form-urlencoded-parameters" },
};

struct parsed {
	char method[16];
	char path[512];
	char *query;
	struct sigv4_header h[40];
	char names[40][64];
	char values[40][2048];
	size_t nh;
	const char *body;
};

static void parse_request(char *txt, struct parsed *p)
{
	memset(p, 0, sizeof *p);
	char *line_end = strchr(txt, '\n');
	*line_end = '\0';
	char *sp = strchr(txt, ' ');
	char *last = strrchr(txt, ' ');
	snprintf(p->method, sizeof p->method, "%.*s", (int)(sp - txt), txt);
	snprintf(p->path, sizeof p->path, "%.*s", (int)(last - sp - 1), sp + 1);
	char *q = strchr(p->path, '?');
	if (q) {
		*q = '\0';
		p->query = q + 1;
	}
	char *s = line_end + 1;
	while (*s && *s != '\n') {
		char *end = strchr(s, '\n');
		if (end)
			*end = '\0';
		if ((*s == ' ' || *s == '\t') && p->nh) {
			strncat(p->values[p->nh - 1], " ", 2047 - strlen(p->values[p->nh - 1]));
			strncat(p->values[p->nh - 1], s, 2047 - strlen(p->values[p->nh - 1]));
		} else {
			char *colon = strchr(s, ':');
			snprintf(p->names[p->nh], 64, "%.*s", (int)(colon - s), s);
			snprintf(p->values[p->nh], 2048, "%s", colon + 1);
			p->nh++;
		}
		if (!end) {
			s += strlen(s);
			break;
		}
		s = end + 1;
	}
	p->body = *s == '\n' ? s + 1 : s;
}

static char *read_case(const char *name, const char *file)
{
	char rel[256];
	snprintf(rel, sizeof rel, "vectors/sigv4/%s/%s", name, file);
	char *t = (char *)read_file(fixture(rel), NULL);
	cr_assert_not_null(t, "missing %s", rel);
	return t;
}

static const char *ctx_str(json_object *ctx, const char *k1, const char *k2)
{
	json_object *o = NULL;
	if (!json_object_object_get_ex(ctx, k1, &o))
		return NULL;
	if (k2 && !json_object_object_get_ex(o, k2, &o))
		return NULL;
	return json_object_get_string(o);
}

static int ctx_bool(json_object *ctx, const char *k)
{
	json_object *o = NULL;
	return json_object_object_get_ex(ctx, k, &o) && json_object_get_boolean(o);
}

ParameterizedTestParameters(sigv4, suite_case_matches_every_stage)
{
	return cr_make_param_array(struct vcase, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct vcase *vc, sigv4, suite_case_matches_every_stage)
{
	char *req = read_case(vc->name, "request.txt");
	char *ctxt = read_case(vc->name, "context.json");
	json_object *ctx = json_tokener_parse(ctxt);
	struct parsed p;
	parse_request(req, &p);
	const char *token = ctx_str(ctx, "credentials", "token");
	char body_hash[65];
	uint8_t raw_hash[32];
	SHA256((const uint8_t *)p.body, strlen(p.body), raw_hash);
	hex_encode(raw_hash, 32, body_hash);
	snprintf(p.names[p.nh], 64, "X-Amz-Date");
	snprintf(p.values[p.nh++], 2048, "20150830T123600Z");
	if (token && !ctx_bool(ctx, "omit_session_token")) {
		snprintf(p.names[p.nh], 64, "X-Amz-Security-Token");
		snprintf(p.values[p.nh++], 2048, "%s", token);
	}
	if (ctx_bool(ctx, "sign_body")) {
		snprintf(p.names[p.nh], 64, "x-amz-content-sha256");
		snprintf(p.values[p.nh++], 2048, "%s", body_hash);
	}
	for (size_t i = 0; i < p.nh; i++)
		p.h[i] = (struct sigv4_header){ p.names[i], p.values[i] };
	struct sigv4_input in = {
		.method = p.method, .path = p.path, .query = p.query,
		.normalize_path = ctx_bool(ctx, "normalize"), .headers = p.h, .nheaders = p.nh,
		.body = (const uint8_t *)p.body, .body_len = strlen(p.body),
		.amz_date = "20150830T123600Z", .region = ctx_str(ctx, "region", NULL),
		.service = ctx_str(ctx, "service", NULL),
		.access_key = ctx_str(ctx, "credentials", "access_key_id"),
		.secret_key = ctx_str(ctx, "credentials", "secret_access_key"),
	};
	struct sigv4_output out;
	cr_assert_eq(sigv4_sign(&in, &out, NULL), 0);
	char *creq = read_case(vc->name, "header-canonical-request.txt");
	char *sts = read_case(vc->name, "header-string-to-sign.txt");
	char *sig = read_case(vc->name, "header-signature.txt");
	cr_expect_str_eq(buf_cstr(&out.canonical), creq, "%s: canonical request", vc->name);
	cr_expect_str_eq(buf_cstr(&out.string_to_sign), sts, "%s: string to sign", vc->name);
	cr_expect_eq(strncmp(out.signature, sig, 64), 0, "%s: signature %s, expected %s", vc->name,
		     out.signature, sig);
	sigv4_output_free(&out);
	json_object_put(ctx);
	free(req);
	free(ctxt);
	free(creq);
	free(sts);
	free(sig);
}

struct kms_known {
	char target[32];
	char body[256];
	int token;
	char signature[65];
};

static struct kms_known kms_cases[] = {
	{ "TrentService.Sign", "{\"KeyId\":\"alias/example\",\"Message\":\"LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=\",\"MessageType\":\"DIGEST\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}", 1, "d664836bfdf47d8e7dbf753d84f4e5bc27502ad462bb58833be48a66e6dec4da" },
	{ "TrentService.Sign", "{\"KeyId\":\"alias/example\",\"Message\":\"LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=\",\"MessageType\":\"DIGEST\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}", 0, "64d8f46387d3a629bd4fb0c81584a07cd8554467db3292ca6cf2ef148a0015ea" },
	{ "TrentService.GetPublicKey", "{\"KeyId\":\"alias/example\"}", 1, "52989ea74962423b4d81e3e9bd07f8bf87f8ebfc4ec5fd0278f2e626768037ef" },
	{ "TrentService.GetPublicKey", "{\"KeyId\":\"alias/example\"}", 0, "0bfa1e5cb7f4af48f9839e71b13dfc02ddce8db52df2942992e4a82dc0a0847f" },
};

ParameterizedTestParameters(sigv4, kms_known_answer)
{
	return cr_make_param_array(struct kms_known, kms_cases, 4);
}

ParameterizedTest(struct kms_known *k, sigv4, kms_known_answer)
{
	char *ctxt = read_case("post-sts-header-before", "context.json");
	json_object *ctx = json_tokener_parse(ctxt);
	struct sigv4_header h[5] = {
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "Host", "kms.us-east-1.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123600Z" },
		{ "X-Amz-Target", k->target },
		{ "X-Amz-Security-Token", ctx_str(ctx, "credentials", "token") },
	};
	struct sigv4_input in = {
		.method = "POST", .path = "/", .normalize_path = 1, .headers = h,
		.nheaders = k->token ? 5 : 4, .body = (const uint8_t *)k->body,
		.body_len = strlen(k->body), .amz_date = "20150830T123600Z", .region = "us-east-1",
		.service = "kms", .access_key = "AKIDEXAMPLE",
		.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	};
	struct sigv4_output out;
	cr_assert_eq(sigv4_sign(&in, &out, NULL), 0);
	cr_expect_str_eq(out.signature, k->signature, "%s token=%d", k->target, k->token);
	sigv4_output_free(&out);
	json_object_put(ctx);
	free(ctxt);
}

static void sign_query(const char *query, struct sigv4_output *out, int *rc, struct err *e)
{
	struct sigv4_header h[2] = { { "Host", "example.amazonaws.com" }, { "X-Amz-Date", "20150830T123600Z" } };
	struct sigv4_input in = { .method = "GET", .path = "/", .query = query, .headers = h, .nheaders = 2,
				  .amz_date = "20150830T123600Z", .region = "us-east-1", .service = "service",
				  .access_key = "AKIDEXAMPLE", .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
	*rc = sigv4_sign(&in, out, e);
}

Test(sigv4, regression_more_than_64_query_parameters_are_all_signed)
{
	/* Parameters past the 64th were dropped from the canonical request. */
	char q[4096] = "";
	for (int i = 99; i >= 0; i--) {
		size_t n = strlen(q);
		snprintf(q + n, sizeof q - n, "%sp%02d=%d", i == 99 ? "" : "&", i, i);
	}
	struct sigv4_output out;
	int rc;
	sign_query(q, &out, &rc, NULL);
	cr_assert_eq(rc, 0);
	const char *c = buf_cstr(&out.canonical);
	cr_expect(strstr(c, "\np00=0&p01=1&") != NULL, "sorted: %.80s", c);
	cr_expect(strstr(c, "&p98=98&p99=99\n") != NULL, "the last of 100 parameters is signed: %s", c);
	sigv4_output_free(&out);
}

Test(sigv4, regression_too_many_query_parameters_are_refused_not_dropped)
{
	static char q[20000];
	size_t n = 0;
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(q + n, sizeof q - n, "%sa=1", i ? "&" : "");
	struct sigv4_output out;
	struct err e = { 0 };
	int rc;
	sign_query(q, &out, &rc, &e);
	cr_expect_neq(rc, 0);
	cr_expect(strstr(e.msg, "more than 1024 query parameters") != NULL, "%s", e.msg);
	sigv4_output_free(&out);
}
