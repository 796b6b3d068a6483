#include "rest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/hex.h"

#include <openssl/crypto.h>

void rest_client_init(struct rest_client *c, const struct sign_config *cfg, const char *service)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->service = service;
	c->rl = ratelimit_shared(cfg->max_rate);
}

int rest_retryable(long status)
{
	return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
}

const char *json_str(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

json_object *json_path(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL, *w = NULL;
	if (!o || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (!b)
		return v;
	return json_object_is_type(v, json_type_object) && json_object_object_get_ex(v, b, &w) ? w : NULL;
}

static double backoff(const struct sign_config *cfg, int attempt, double retry_after)
{
	double wait = backoff_jitter(cfg->retry_base_ms, cfg->retry_cap_ms, attempt);
	if (retry_after > 60)
		retry_after = 60; /* a service asking for more is better reported than waited for */
	return wait > retry_after ? wait : retry_after;
}

struct outcome {
	long status;
	int transport;
	CURLcode curl;
	double retry_after;
	char msg[512];
};

static void log_request(const struct rest_client *c, const struct rest_request *rq, long status,
			double ms)
{
	if (!c->cfg->verbose || !c->cfg->log)
		return;
	char line[1400];
	snprintf(line, sizeof line, "%s %s -> HTTP %ld (%.0f ms)", rq->method, rq->url, status, ms);
	c->cfg->log(line);
}

static int parse_answer(const struct rest_client *c, struct http_response *rs, struct outcome *o,
			json_object **out)
{
	if (!buf_ok(&rs->body)) {
		snprintf(o->msg, sizeof o->msg, "answer larger than %u KiB", HTTP_MAX_RESPONSE >> 10);
		o->status = 502; /* a server fault: retried */
		return 1;
	}
	if (rs->status < 200 || rs->status > 299) {
		if (c->parse_error)
			c->parse_error(buf_cstr(&rs->body), o->msg, sizeof o->msg);
		return 1;
	}
	*out = json_tokener_parse(buf_cstr(&rs->body));
	if (*out && json_object_is_type(*out, json_type_object))
		return 0;
	json_object_put(*out);
	*out = NULL;
	snprintf(o->msg, sizeof o->msg, "answer is not a JSON object");
	o->status = 502;
	return 1;
}

static int one_attempt(struct rest_client *c, CURL *h, const struct rest_request *rq, int refresh,
		       struct outcome *o, json_object **out, struct err *e)
{
	struct curl_slist *hdrs = NULL;
	memset(o, 0, sizeof *o);
	int rc = c->auth ? c->auth(c->auth_arg, refresh, &hdrs, e) : 0;
	if (rc)
		return rc;
	char ctype[128];
	snprintf(ctype, sizeof ctype, "Content-Type: %s", rq->content_type ? rq->content_type : "application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	for (const char *const *x = rq->headers; x && *x; x++)
		hdrs = curl_slist_append(hdrs, *x);
	if (rq->body)
		hdrs = curl_slist_append(hdrs, ctype);
	hdrs = curl_slist_append(hdrs, "Expect:");
	struct http_request hr = { .method = rq->method, .url = rq->url, .headers = hdrs,
				   .body = rq->body, .body_len = rq->body ? strlen(rq->body) : 0,
				   .timeout_ms = c->cfg->timeout_ms, .ca_bundle = c->ca_bundle,
				   .connect_timeout_ms = rq->connect_timeout_ms };
	struct http_response rs;
	ratelimit_wait(c->rl);
	double t0 = now_monotonic();
	rc = http_do(h, &hr, &rs, e);
	for (struct curl_slist *l = hdrs; l; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data)); /* the token */
	curl_slist_free_all(hdrs);
	o->transport = rc != 0;
	o->curl = rs.curl;
	o->status = rs.status;
	o->retry_after = rs.retry_after;
	if (!rc)
		log_request(c, rq, rs.status, (now_monotonic() - t0) * 1000);
	if (!rc)
		rc = parse_answer(c, &rs, o, out);
	http_response_free(&rs);
	return rc;
}

static int fatal(const struct rest_client *c, const struct rest_request *rq, const struct outcome *o,
		 struct err *e)
{
	const char *hint = o->status == 401 || o->status == 403
				   ? " (the credentials were refused: check them and the key's access policy or role)" : "";
	return err_set(e, ERR_KEYSTORE, "%s %s at %s: HTTP %ld%s%s%s", c->service, rq->what, rq->url,
		       o->status, o->msg[0] ? ": " : "", o->msg, hint);
}

static int give_up(const struct rest_client *c, const struct rest_request *rq, int attempts,
		   int permanent, const struct outcome *o, struct err *e)
{
	if (!o->transport)
		return err_set(e, ERR_KEYSTORE, "%s %s at %s: gave up after %d attempts: HTTP %ld%s%s",
			       c->service, rq->what, rq->url, attempts, o->status, o->msg[0] ? ": " : "",
			       o->msg);
	char detail[ERR_MSG_MAX];
	snprintf(detail, sizeof detail, "%s", e->msg);
	return err_set(e, ERR_KEYSTORE, "%s %s: %s (after %d attempt%s%s)", c->service, rq->what, detail,
		       attempts, attempts == 1 ? "" : "s",
		       permanent ? "; a retry will not heal this: check the address, its certificate "
				   "and the CA bundle" : "");
}

int rest_call(struct rest_client *c, CURL *h, const struct rest_request *rq, json_object **out,
	      struct err *e)
{
	int refresh = 0, refreshed = 0, permanent = 0, attempt;
	struct outcome o;
	*out = NULL;
	for (attempt = 0; attempt < c->cfg->max_attempts; attempt++) {
		int rc = one_attempt(c, h, rq, refresh, &o, out, e);
		refresh = 0;
		if (rc == 0)
			return 0;
		if (rc != 1 && !o.transport)
			return rc; /* no token: not an answer of the service */
		if (!o.transport && !refreshed && c->auth &&
		    ((o.status == 401 && c->refresh_on_401) ||
		     (o.status == 403 && c->refresh_on_403 && strstr(o.msg, "permission denied")))) {
			refresh = refreshed = 1;
			continue;
		}
		if (!o.transport && !rest_retryable(o.status))
			return fatal(c, rq, &o, e);
		if (o.transport && http_permanent(o.curl) && permanent++)
			return give_up(c, rq, attempt + 1, 1, &o, e);
		double wait = backoff(c->cfg, attempt, o.retry_after);
		if (c->cfg->verbose && c->cfg->log) {
			char line[1400], what[64];
			snprintf(what, sizeof what, "HTTP %ld", o.status);
			snprintf(line, sizeof line, "%s %s attempt %d: %s%s, retrying in %.3f s", c->service,
				 rq->what, attempt + 1, o.transport ? "transport error: " : what,
				 o.transport ? e->msg : "", wait);
			c->cfg->log(line);
		}
		if (attempt + 1 < c->cfg->max_attempts)
			sleep_seconds(wait);
	}
	return give_up(c, rq, attempt, o.transport && http_permanent(o.curl), &o, e);
}

const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int secret_file_read(const char *path, char *out, size_t n, struct err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (file_read_all(path, 64 << 10, &buf, &len, e))
		return err_set(e, ERR_KEYSTORE, "%s: cannot read the token file", path);
	size_t a = 0;
	while (a < len && isspace(buf[a]))
		a++;
	while (len > a && isspace(buf[len - 1]))
		len--;
	int rc = 0;
	if (len == a || len - a >= n)
		rc = err_set(e, ERR_KEYSTORE, "%s: the token file is %s", path, len == a ? "empty" : "too large");
	else
		snprintf(out, n, "%.*s", (int)(len - a), (const char *)buf + a);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

void b64url_encode(const uint8_t *in, size_t len, char *out)
{
	b64_encode(in, len, out);
	size_t n = strlen(out);
	while (n && out[n - 1] == '=')
		out[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
}

int b64url_decode(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s);
	if (n > 4096 || n % 4 == 1)
		return -1;
	char tmp[4100];
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+' || s[i] == '/' || s[i] == '=')
			return -1; /* base64url only */
		tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	while (n % 4)
		tmp[n++] = '=';
	tmp[n] = '\0';
	return b64_decode(tmp, out, max, len);
}
