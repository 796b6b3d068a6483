#include "sigv4.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "common/hex.h"

#define SIGV4_MAX (64u << 10)
#define SIGV4_MAX_HEADERS 32
#define SIGV4_MAX_PARAMS 1024

static int unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/'))
			buf_ch(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) into out (which holds n + 1 bytes). */
static size_t uri_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return o;
}

/* Remove "." and ".." segments and empty segments; keep a trailing slash. */
static void normalize_path(const char *path, struct buf *out)
{
	const char *segs[128];
	size_t lens[128], n = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (len == 0 || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			if (n)
				n--;
			continue;
		}
		if (n < 128) {
			segs[n] = s;
			lens[n++] = len;
		}
	}
	size_t plen = strlen(path);
	int trailing = plen > 1 && path[plen - 1] == '/' && n > 0;
	for (size_t i = 0; i < n; i++) {
		buf_ch(out, '/');
		uri_encode(out, segs[i], lens[i], 0);
	}
	if (n == 0 || trailing)
		buf_ch(out, '/');
}

static void canonical_path(const struct sigv4_input *in, struct buf *b)
{
	if (in->normalize_path) {
		normalize_path(in->path, b);
		return;
	}
	uri_encode(b, in->path, strlen(in->path), 1);
}

struct param {
	char *key, *value;
};

static int param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

static void free_params(struct param *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ps[i].key);
		free(ps[i].value);
	}
	free(ps);
}

/* Decode one "k=v" pair and encode both halves again, canonically. */
static int one_param(const char *tok, struct buf *tmp, struct param *out)
{
	const char *eq = strchr(tok, '=');
	size_t klen = eq ? (size_t)(eq - tok) : strlen(tok);
	char *k = malloc(klen + 1), *v = malloc(strlen(tok) + 1);
	int rc = -1;
	out->key = out->value = NULL;
	if (k && v) {
		uri_decode(tok, klen, k);
		uri_decode(eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0, v);
		buf_reset(tmp);
		uri_encode(tmp, k, strlen(k), 0);
		out->key = buf_ok(tmp) ? strdup(buf_cstr(tmp)) : NULL;
		buf_reset(tmp);
		uri_encode(tmp, v, strlen(v), 0);
		out->value = buf_ok(tmp) ? strdup(buf_cstr(tmp)) : NULL;
		rc = out->key && out->value ? 0 : -1;
	}
	free(k);
	free(v);
	return rc;
}

/* Every parameter (up to SIGV4_MAX_PARAMS, else an error: never dropped),
 * sorted by name then value. */
static int canonical_query(const char *q, struct buf *b)
{
	if (!q || !*q)
		return 0;
	size_t n = 0, max = 1;
	for (const char *p = q; *p; p++)
		max += *p == '&';
	if (max > SIGV4_MAX_PARAMS)
		return -1;
	struct param *ps = calloc(max, sizeof *ps);
	char *copy = strdup(q);
	struct buf tmp;
	buf_init(&tmp, SIGV4_MAX);
	int rc = ps && copy ? 0 : -1;
	for (char *save = NULL, *tok = copy ? strtok_r(copy, "&", &save) : NULL; !rc && tok;
	     tok = strtok_r(NULL, "&", &save))
		if ((rc = one_param(tok, &tmp, &ps[n])) == 0 || ps[n].key || ps[n].value)
			n++; /* kept for free_params even when incomplete */
	if (!rc) {
		qsort(ps, n, sizeof ps[0], param_cmp);
		for (size_t i = 0; i < n; i++)
			buf_printf(b, "%s%s=%s", i ? "&" : "", ps[i].key, ps[i].value);
	}
	if (ps)
		free_params(ps, n);
	free(copy);
	buf_free(&tmp);
	return rc;
}

struct canon_field {
	char name[64];
	struct buf value;
};

static int canon_field_cmp(const void *a, const void *b)
{
	return strcmp(((const struct canon_field *)a)->name, ((const struct canon_field *)b)->name);
}

/* Trim and collapse runs of white space to one space. */
static void add_trimmed(struct buf *b, const char *v)
{
	while (*v && isspace((unsigned char)*v))
		v++;
	int space = 0;
	for (; *v; v++) {
		if (isspace((unsigned char)*v)) {
			space = 1;
			continue;
		}
		if (space)
			buf_ch(b, ' ');
		space = 0;
		buf_ch(b, *v);
	}
}

/* Lower-case names, duplicates joined with ',' in order, sorted by name. */
static size_t collect_headers(const struct sigv4_input *in, struct canon_field *hs)
{
	size_t n = 0;
	for (size_t i = 0; i < in->nheaders && i < SIGV4_MAX_HEADERS; i++) {
		char name[64];
		size_t j;
		for (j = 0; in->headers[i].name[j] && j < sizeof name - 1; j++)
			name[j] = (char)tolower((unsigned char)in->headers[i].name[j]);
		name[j] = '\0';
		size_t k;
		for (k = 0; k < n && strcmp(hs[k].name, name); k++)
			;
		if (k == n) {
			memcpy(hs[n].name, name, j + 1);
			buf_init(&hs[n++].value, SIGV4_MAX);
		} else {
			buf_ch(&hs[k].value, ',');
		}
		add_trimmed(&hs[k].value, in->headers[i].value);
	}
	qsort(hs, n, sizeof hs[0], canon_field_cmp);
	return n;
}

static void canonical_headers(const struct sigv4_input *in, struct buf *b, struct buf *signed_hdrs)
{
	struct canon_field hs[SIGV4_MAX_HEADERS];
	size_t n = collect_headers(in, hs);
	for (size_t i = 0; i < n; i++) {
		if (!buf_ok(&hs[i].value))
			buf_fail(b);
		else
			buf_printf(b, "%s:%s\n", hs[i].name, buf_cstr(&hs[i].value));
		buf_printf(signed_hdrs, "%s%s", i ? ";" : "", hs[i].name);
		buf_free(&hs[i].value);
	}
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t h[32];
	SHA256(data, len, h);
	hex_encode(h, 32, out);
}

static void hmac(const void *key, size_t klen, const char *msg, uint8_t out[32])
{
	unsigned int n = 32;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

static void derive_signature(const struct sigv4_input *in, const char *sts, char out[65])
{
	char date[9], kstart[128];
	uint8_t k[32];
	snprintf(date, sizeof date, "%.8s", in->amz_date);
	snprintf(kstart, sizeof kstart, "AWS4%s", in->secret_key);
	hmac(kstart, strlen(kstart), date, k);
	OPENSSL_cleanse(kstart, sizeof kstart);
	hmac(k, 32, in->region, k);
	hmac(k, 32, in->service, k);
	hmac(k, 32, "aws4_request", k);
	uint8_t sig[32];
	hmac(k, 32, sts, sig);
	OPENSSL_cleanse(k, sizeof k);
	hex_encode(sig, 32, out);
}

int sigv4_sign(const struct sigv4_input *in, struct sigv4_output *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	buf_init(&out->canonical, SIGV4_MAX);
	buf_init(&out->string_to_sign, SIGV4_MAX);
	buf_init(&out->signed_headers, 4096);
	buf_init(&out->authorization, 8192);
	if (strlen(in->amz_date) != 16 || strlen(in->secret_key) > 100)
		return err_set(e, ERR_INTERNAL, "sigv4: bad date or secret length");
	char payload[65], creq_hash[65], date[9];
	sha256_hex(in->body ? in->body : (const uint8_t *)"", in->body_len, payload);
	struct buf *c = &out->canonical;
	buf_printf(c, "%s\n", in->method);
	canonical_path(in, c);
	buf_ch(c, '\n');
	if (canonical_query(in->query, c))
		return err_set(e, ERR_INTERNAL, "sigv4: more than %u query parameters, or out of memory",
			       SIGV4_MAX_PARAMS);
	buf_ch(c, '\n');
	canonical_headers(in, c, &out->signed_headers);
	if (!buf_ok(&out->signed_headers) || !buf_ok(c))
		return err_set(e, ERR_INTERNAL, "sigv4: request too large to sign");
	buf_printf(c, "\n%s\n%s", buf_cstr(&out->signed_headers), payload);
	if (!buf_ok(c))
		return err_set(e, ERR_INTERNAL, "sigv4: request too large to sign");
	sha256_hex(buf_cstr(c), buf_len(c), creq_hash);
	snprintf(date, sizeof date, "%.8s", in->amz_date);
	buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
		   in->amz_date, date, in->region, in->service, creq_hash);
	if (!buf_ok(&out->string_to_sign))
		return err_set(e, ERR_INTERNAL, "sigv4: request too large to sign");
	derive_signature(in, buf_cstr(&out->string_to_sign), out->signature);
	buf_printf(&out->authorization,
		   "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
		   in->access_key, date, in->region, in->service, buf_cstr(&out->signed_headers),
		   out->signature);
	if (!buf_ok(c) || !buf_ok(&out->string_to_sign) || !buf_ok(&out->authorization))
		return err_set(e, ERR_INTERNAL, "sigv4: request too large to sign");
	return 0;
}

void sigv4_output_free(struct sigv4_output *out)
{
	buf_free(&out->canonical);
	buf_free(&out->string_to_sign);
	buf_free(&out->signed_headers);
	buf_free(&out->authorization);
}
