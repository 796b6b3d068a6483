/* OAuth 2.0 bearer tokens, shared by the stores that sign in with one
 * (Azure Key Vault, Google Cloud KMS): one cached token per store, fetched
 * again 5 minutes before it expires or once after a 401; the form body of
 * a token request; RS256 JWT assertions; the words of an error answer.
 * A token never reaches a message or a log, and its buffers are wiped. */
#ifndef SIGN_OAUTH_H
#define SIGN_OAUTH_H

#include <pthread.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/buf.h"
#include "rest.h"

#define OAUTH_TOKEN_MAX 8192

struct oauth_token {
	pthread_mutex_t mu;
	char token[OAUTH_TOKEN_MAX];
	time_t expires;
	int have;
};

void oauth_token_init(struct oauth_token *t);
void oauth_token_free(struct oauth_token *t);
/* "Authorization: Bearer ..." appended to *hdrs. acquire(arg, t, e) is
 * called, under the token's lock, when there is no token, it expires within
 * 5 minutes, or refresh (the last one was refused). */
int oauth_header(struct oauth_token *t, int refresh,
		 int (*acquire)(void *arg, struct oauth_token *t, struct err *e), void *arg,
		 struct curl_slist **hdrs, struct err *e);
/* Keep a token valid for secs seconds (a default when secs <= 0). */
int oauth_set(struct oauth_token *t, const char *token, long secs, const char *source, struct err *e);
/* A token endpoint's answer: access_token, expires_in (a number, or IMDS's
 * string), else expires_on (Unix seconds, Azure App Service). */
int oauth_take(struct oauth_token *t, json_object *r, const char *source, struct err *e);
/* One token request on a fresh connection, its answer taken into t. */
int oauth_fetch(struct rest_client *c, const struct rest_request *rq, struct oauth_token *t,
		const char *source, struct err *e);

/* k=v appended to an application/x-www-form-urlencoded body, v escaped. */
void form_add(struct buf *b, const char *k, const char *v);
/* header.claims.signature, each base64url, signed RS256 with an RSA key. */
int jwt_rs256(EVP_PKEY *key, const char *header, const char *claims, char *out, size_t n,
	      struct err *e);
/* An error answer in words: {"error": {"code" or "status", "message"}} (Key
 * Vault, Google APIs) or {"error", "error_description"} (OAuth). */
void oauth_error(const char *body, char *msg, size_t n);

#endif
