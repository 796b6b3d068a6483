/* HTTPS through libcurl: one easy handle per worker, so connections are reused. */
#ifndef SIGN_HTTP_H
#define SIGN_HTTP_H

#include <time.h>

#include <curl/curl.h>

#include "common/buf.h"
#include "common/err.h"

#define HTTP_MAX_RESPONSE (256u << 10)

struct http_request {
	const char *method;          /* "POST", "GET", "PUT" (PUT sends no body) */
	const char *url;
	struct curl_slist *headers;
	const char *body;
	size_t body_len;
	long timeout_ms;
	long connect_timeout_ms;
	const char *ca_bundle;       /* AWS_CA_BUNDLE, VAULT_CACERT..., or NULL */
};

struct http_response {
	long status;                 /* 0 on transport error */
	struct buf body;
	CURLcode curl;               /* transport result */
	time_t date;                 /* the server's Date header; 0 when absent */
	double retry_after;          /* Retry-After in seconds (either form); 0 when absent */
};

CURL *http_handle_new(void);
/* Returns 0 when a response arrived (any status), ERR_KEYSTORE on transport
 * errors (connect, timeout, reset), with the response's curl code set. */
int http_do(CURL *h, const struct http_request *rq, struct http_response *rs, struct err *e);
/* Transport errors that a retry will not heal: DNS, refused connection, TLS
 * verification or handshake (also a wrong scheme), an unusable URL. */
int http_permanent(CURLcode c);
/* Seconds a Retry-After value asks for: delta-seconds or an HTTP date. */
double http_retry_after(const char *value, time_t now);
void http_response_free(struct http_response *rs);

#endif
