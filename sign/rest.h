/* JSON over HTTPS for the stores that authenticate with a token header
 * (Vault / OpenBao, Azure Key Vault): a shared rate limit, retries with
 * exponential backoff and full jitter on throttling (429), server faults
 * (5xx) and transport errors, honouring Retry-After; never on permission or
 * validation errors. -v logs each request line and its status, never a
 * header (the token travels in one). */
#ifndef SIGN_REST_H
#define SIGN_REST_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "config.h"
#include "http.h"
#include "ratelimit.h"

struct rest_client {
	const struct sign_config *cfg;
	const char *service;          /* "Vault", "Azure Key Vault": for messages */
	const char *ca_bundle;        /* VAULT_CACERT, REQUESTS_CA_BUNDLE..., or NULL */
	struct ratelimit *rl;
	/* The headers of one attempt (the token among them). refresh: the
	 * previous answer was 401 (or 403, see below), get a new token if the
	 * store can. */
	int (*auth)(void *arg, int refresh, struct curl_slist **hdrs, struct err *e);
	void *auth_arg;
	int refresh_on_401;           /* a 401 gets one more try with a new token */
	/* A 403 "permission denied" too: Vault's answer to an expired or revoked
	 * token (it never answers 401). Set only when a new token can be had. */
	int refresh_on_403;
	/* The service's words in an error answer. */
	void (*parse_error)(const char *body, char *msg, size_t n);
};

struct rest_request {
	const char *method;           /* "GET" or "POST" */
	const char *url;
	const char *body;             /* JSON text for POST */
	const char *what;             /* "sign", "read key": for messages */
	const char *content_type;     /* of the body; NULL: application/json */
	long connect_timeout_ms;      /* 0: the default */
	const char *const *headers;   /* more header lines, NULL-terminated; may be NULL */
};

void rest_client_init(struct rest_client *c, const struct sign_config *cfg, const char *service);
/* *out: the parsed JSON object of a 2xx answer. */
int rest_call(struct rest_client *c, CURL *h, const struct rest_request *rq, json_object **out,
	      struct err *e);
/* Whether a status is worth another attempt (429, 408, 5xx but 501 and 505). */
int rest_retryable(long status);

/* json-c helpers shared by the stores. */
const char *json_str(json_object *o, const char *key);
json_object *json_path(json_object *o, const char *a, const char *b);


/* base64url without padding (RFC 4648 section 5), as JOSE uses it. out
 * holds 4*((len+2)/3)+1 bytes. */
void b64url_encode(const uint8_t *in, size_t len, char *out);
int b64url_decode(const char *s, uint8_t *out, size_t max, size_t *len);

/* The value of an environment variable, or NULL when it is unset or empty. */
const char *env_nonempty(const char *name);

/* A token kept in a file (VAULT_TOKEN_FILE, AZURE_FEDERATED_TOKEN_FILE):
 * read whole, surrounding white space trimmed. */
int secret_file_read(const char *path, char *out, size_t n, struct err *e);

#endif
