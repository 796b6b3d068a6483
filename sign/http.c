#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	buf_add(b, p, size * n);
	return buf_ok(b) ? size * n : 0;
}

CURL *http_handle_new(void)
{
	CURL *h = curl_easy_init();
	if (h) {
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	}
	return h;
}

int http_do(CURL *h, const struct http_request *rq, struct http_response *rs, struct err *e)
{
	memset(rs, 0, sizeof *rs);
	buf_init(&rs->body, HTTP_MAX_RESPONSE);
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, rq->headers);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms ? rq->timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 rq->connect_timeout_ms ? rq->connect_timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &rs->body);
	curl_easy_setopt(h, CURLOPT_CAINFO, rq->ca_bundle);
	if (!strcmp(rq->method, "POST")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
	} else if (!strcmp(rq->method, "PUT")) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	char detail[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
	rs->curl = curl_easy_perform(h);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (rs->curl != CURLE_OK)
		return err_set(e, ERR_KEYSTORE, "%s: %s", rq->url,
			       detail[0] ? detail : curl_easy_strerror(rs->curl));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	struct curl_header *date;
	if (curl_easy_header(h, "Date", 0, CURLH_HEADER, -1, &date) == CURLHE_OK) {
		time_t t = curl_getdate(date->value, NULL);
		rs->date = t > 0 ? t : 0;
	}
	if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &date) == CURLHE_OK)
		rs->retry_after = http_retry_after(date->value, rs->date ? rs->date : time(NULL));
	return 0;
}

double http_retry_after(const char *v, time_t now)
{
	char *end;
	long secs = strtol(v, &end, 10);
	if (end != v && !*end)
		return secs > 0 ? (double)secs : 0;
	time_t when = curl_getdate(v, NULL);
	return when > now ? (double)(when - now) : 0;
}

int http_permanent(CURLcode c)
{
	switch (c) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return 1;
	default:
		return 0;
	}
}

/* Answers may carry credentials (IMDS, STS, token endpoints): wiped, not just freed. */
void http_response_free(struct http_response *rs)
{
	buf_wipe_free(&rs->body);
}
