#include "oauth.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#define RENEW_BEFORE 300 /* seconds */

void oauth_token_init(struct oauth_token *t)
{
	memset(t, 0, sizeof *t);
	pthread_mutex_init(&t->mu, NULL);
}

void oauth_token_free(struct oauth_token *t)
{
	OPENSSL_cleanse(t->token, sizeof t->token);
	pthread_mutex_destroy(&t->mu);
}

int oauth_header(struct oauth_token *t, int refresh,
		 int (*acquire)(void *arg, struct oauth_token *t, struct err *e), void *arg,
		 struct curl_slist **hdrs, struct err *e)
{
	int rc = 0;
	pthread_mutex_lock(&t->mu);
	if (refresh || !t->have || time(NULL) + RENEW_BEFORE >= t->expires) {
		t->have = 0;
		OPENSSL_cleanse(t->token, sizeof t->token);
		rc = acquire(arg, t, e);
	}
	if (!rc) {
		char line[OAUTH_TOKEN_MAX + 64];
		snprintf(line, sizeof line, "Authorization: Bearer %s", t->token);
		*hdrs = curl_slist_append(*hdrs, line);
		OPENSSL_cleanse(line, sizeof line);
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int oauth_set(struct oauth_token *t, const char *token, long secs, const char *source, struct err *e)
{
	if (!token || !*token || strlen(token) >= sizeof t->token)
		return err_set(e, ERR_KEYSTORE, "the token answer has no usable access_token (%s)", source);
	snprintf(t->token, sizeof t->token, "%s", token);
	t->expires = time(NULL) + (secs > 0 ? secs : RENEW_BEFORE);
	t->have = 1;
	return 0;
}

int oauth_take(struct oauth_token *t, json_object *r, const char *source, struct err *e)
{
	json_object *exp = json_path(r, "expires_in", NULL), *on = json_path(r, "expires_on", NULL);
	long secs = exp ? strtol(json_object_get_string(exp), NULL, 10) : 0;
	if (!exp && on) /* Azure App Service answers only expires_on (Unix seconds) */
		secs = strtol(json_object_get_string(on), NULL, 10) - (long)time(NULL);
	return oauth_set(t, json_str(r, "access_token"), secs, source, e);
}

int oauth_fetch(struct rest_client *c, const struct rest_request *rq, struct oauth_token *t,
		const char *source, struct err *e)
{
	json_object *r = NULL;
	CURL *h = http_handle_new();
	int rc = h ? rest_call(c, h, rq, &r, e) : err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc)
		rc = oauth_take(t, r, source, e);
	json_object *tok = json_path(r, "access_token", NULL);
	if (tok && json_object_is_type(tok, json_type_string)) /* the parsed copy of the token */
		OPENSSL_cleanse((char *)json_object_get_string(tok), (size_t)json_object_get_string_len(tok));
	json_object_put(r);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

void form_add(struct buf *b, const char *k, const char *v)
{
	char *esc = curl_easy_escape(NULL, v, 0);
	if (buf_len(b))
		buf_add(b, "&", 1);
	buf_add(b, k, strlen(k));
	buf_add(b, "=", 1);
	if (esc)
		buf_add(b, esc, strlen(esc));
	if (esc)
		OPENSSL_cleanse(esc, strlen(esc));
	curl_free(esc);
}

int jwt_rs256(EVP_PKEY *key, const char *header, const char *claims, char *out, size_t n,
	      struct err *e)
{
	uint8_t sig[1024];
	size_t len = sizeof sig, hl = strlen(header), cl = strlen(claims);
	char *h64 = malloc(4 * (hl + 2) / 3 + 4), *c64 = malloc(4 * (cl + 2) / 3 + 4);
	char s64[4 * (sizeof sig + 2) / 3 + 4];
	int rc = 0;
	if (!h64 || !c64)
		rc = err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc) {
		b64url_encode((const uint8_t *)header, hl, h64);
		b64url_encode((const uint8_t *)claims, cl, c64);
		if ((size_t)snprintf(out, n, "%s.%s", h64, c64) >= n)
			rc = err_set(e, ERR_INTERNAL, "the JWT is too long");
	}
	EVP_MD_CTX *md = rc ? NULL : EVP_MD_CTX_new();
	if (!rc && !(md && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
		     EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
		     EVP_DigestSign(md, sig, &len, (const uint8_t *)out, strlen(out)) == 1))
		rc = err_set(e, ERR_KEYSTORE, "cannot sign the JWT (an RSA key up to 8192 bits is needed)");
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (!rc) {
		b64url_encode(sig, len, s64);
		size_t l = strlen(out);
		if ((size_t)snprintf(out + l, n - l, ".%s", s64) >= n - l)
			rc = err_set(e, ERR_INTERNAL, "the JWT is too long");
	}
	free(h64);
	free(c64);
	return rc;
}

void oauth_error(const char *body, char *msg, size_t n)
{
	json_object *o = json_tokener_parse(body), *err = json_path(o, "error", NULL);
	msg[0] = '\0';
	if (err && json_object_is_type(err, json_type_object)) {
		const char *code = json_str(err, "status") ? json_str(err, "status") : json_str(err, "code");
		snprintf(msg, n, "%s: %s", code ? code : "error",
			 json_str(err, "message") ? json_str(err, "message") : "");
	} else if (err && json_object_is_type(err, json_type_string)) {
		snprintf(msg, n, "%s: %s", json_object_get_string(err),
			 json_str(o, "error_description") ? json_str(o, "error_description") : "");
	}
	json_object_put(o);
}
