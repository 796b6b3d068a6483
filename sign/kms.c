#include "kms.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "signer_conf.h"
#include "sigv4.h"

static int resolve_url(struct kms_client *k, const char *endpoint, struct err *e)
{
	char fallback[256];
	if (!endpoint || !*endpoint) {
		snprintf(fallback, sizeof fallback, "https://kms%s.%s.amazonaws.com/",
			 k->settings.fips ? "-fips" : "", k->region);
		endpoint = fallback;
	}
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *scheme = NULL;
	int rc = 0;
	if (!u || curl_url_set(u, CURLUPART_URL, endpoint, CURLU_DEFAULT_SCHEME) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0))
		rc = err_set(e, ERR_USAGE, "KMS endpoint '%.200s' is not a URL", endpoint);
	if (!rc && strcmp(scheme, "https"))
		rc = err_set(e, ERR_USAGE, "KMS endpoint '%.200s': the scheme must be https (requests carry "
			     "signed credentials)", endpoint);
	if (!rc) {
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
		snprintf(k->host, sizeof k->host, "%s%s%s", host, port ? ":" : "", port ? port : "");
		snprintf(k->url, sizeof k->url, "%s://%s/", scheme, k->host);
	}
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

static void region_from_arn(const char *key_id, char *out, size_t n)
{
	/* arn:aws:kms:REGION:ACCOUNT:key/ID */
	if (!key_id || strncmp(key_id, "arn:", 4))
		return;
	const char *p = key_id;
	for (int i = 0; i < 3 && p; i++)
		p = strchr(p + 1, ':');
	if (!p)
		return;
	size_t len = strcspn(p + 1, ":");
	if (len && len < n)
		snprintf(out, n, "%.*s", (int)len, p + 1);
}

/* host:port of a URL (port 443 when absent), to compare endpoints. */
static void host_port(const char *url, char *out, size_t n)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	out[0] = '\0';
	if (u && url && *url && !curl_url_set(u, CURLUPART_URL, url, CURLU_DEFAULT_SCHEME) &&
	    !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
	    !curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT))
		snprintf(out, n, "%s:%s", host, port);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* A manifest may name an endpoint only among those the operator named:
 * otherwise the signed request (and the session token) would go where the
 * build host chose. */
static int endpoint_allowed(const char *endpoint, const struct key_conf *kc,
			    const struct aws_settings *s, struct err *e)
{
	char want[400], a[400], b[400];
	host_port(endpoint, want, sizeof want);
	host_port(kc ? kc->endpoint : NULL, a, sizeof a);
	host_port(s->endpoint, b, sizeof b);
	if (want[0] && (!strcmp(want, a) || !strcmp(want, b)))
		return 0;
	return err_set(e, ERR_USAGE, "the manifest sends requests for this key to %s, an endpoint that "
		       "neither the signer configuration nor the AWS settings (AWS_ENDPOINT_URL_KMS, "
		       "AWS_ENDPOINT_URL, the profile's endpoint_url) name; nothing was sent", want);
}

int kms_client_init(struct kms_client *k, const char *endpoint, const char *key_id,
		    const struct sign_config *cfg, const struct key_conf *kc, int uri_untrusted,
		    struct err *e)
{
	memset(k, 0, sizeof *k);
	k->cfg = cfg;
	int rc = aws_settings_load_profile(&k->settings, kc && kc->profile[0] ? kc->profile : NULL, e);
	if (rc)
		return rc;
	if (kc && kc->endpoint[0])
		snprintf(k->settings.endpoint, sizeof k->settings.endpoint, "%s", kc->endpoint);
	snprintf(k->region, sizeof k->region, "%s",
		 kc && kc->region[0] ? kc->region : k->settings.region);
	if (!k->region[0])
		region_from_arn(key_id, k->region, sizeof k->region);
	if (!k->region[0])
		return err_set(e, ERR_KEYSTORE, "no AWS region: set AWS_REGION, or region in profile \"%s\" of %s",
			       k->settings.profile.name, k->settings.files[1]);
	if (endpoint && *endpoint && uri_untrusted && (rc = endpoint_allowed(endpoint, kc, &k->settings, e)))
		return rc;
	if (!endpoint || !*endpoint)
		endpoint = k->settings.endpoint;
	if ((rc = resolve_url(k, endpoint, e)))
		return rc;
	pthread_mutex_init(&k->mu, NULL);
	k->rl = ratelimit_shared(cfg->max_rate); /* quotas are per account, whatever the keys */
	return 0;
}

void kms_client_free(struct kms_client *k)
{
	aws_creds_wipe(&k->creds);
	OPENSSL_cleanse(&k->settings.profile, sizeof k->settings.profile);
}

void kms_principal(struct kms_client *k, char *out, size_t n)
{
	pthread_mutex_lock(&k->mu);
	snprintf(out, n, "aws:%s (%s)", k->have_creds ? k->creds.access_key : "?",
		 k->have_creds ? k->creds.source : "no credentials yet");
	pthread_mutex_unlock(&k->mu);
}

static int get_creds(struct kms_client *k, int force, struct aws_creds *out, long *offset,
		     struct err *e)
{
	int rc = 0;
	pthread_mutex_lock(&k->mu);
	*offset = k->clock_offset;
	if (force || !k->have_creds || aws_creds_refresh_due(&k->creds)) {
		if (force && k->have_creds)
			aws_creds_forget(&k->creds);
		rc = aws_creds_resolve(&k->settings, &k->creds, e);
		k->have_creds = rc == 0;
	}
	if (!rc)
		*out = k->creds;
	pthread_mutex_unlock(&k->mu);
	return rc;
}

enum kms_retry kms_classify(long status, const char *type)
{
	static const char *const retry[] = { "ThrottlingException", "KMSInternalException",
					     "DependencyTimeoutException", "KeyUnavailableException",
					     "RequestTimeout", "RequestTimeoutException",
					     "ServiceUnavailable", "ServiceUnavailableException", NULL };
	if (type && !strcmp(type, "ExpiredTokenException"))
		return KMS_REFRESH;
	for (const char *const *r = retry; type && *r; r++)
		if (!strcmp(type, *r))
			return KMS_RETRY;
	if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504)
		return KMS_RETRY;
	return KMS_FATAL;
}

/* Error type and message of a KMS answer; type keeps what follows the last '#'. */
void kms_parse_error(const char *body, char *type, size_t tn, char *msg, size_t mn)
{
	type[0] = msg[0] = '\0';
	json_object *o = json_tokener_parse(body), *t = NULL, *m = NULL;
	if (o && json_object_is_type(o, json_type_object)) {
		json_object_object_get_ex(o, "__type", &t);
		if (!json_object_object_get_ex(o, "message", &m))
			json_object_object_get_ex(o, "Message", &m);
		const char *ts = t ? json_object_get_string(t) : "";
		const char *hash = strrchr(ts, '#');
		snprintf(type, tn, "%s", hash ? hash + 1 : ts);
		snprintf(msg, mn, "%s", m ? json_object_get_string(m) : "");
	}
	json_object_put(o);
}

static int build_headers(const struct kms_client *k, const struct aws_creds *c, long offset,
			 const char *target, const char *body, struct curl_slist **out, struct err *e)
{
	char date[20], line[4400];
	time_t now = time(NULL) + offset;
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	struct sigv4_header h[5] = {
		{ "Content-Type", "application/x-amz-json-1.1" }, { "Host", k->host },
		{ "X-Amz-Date", date }, { "X-Amz-Target", target },
		{ "X-Amz-Security-Token", c->token },
	};
	size_t nh = c->token[0] ? 5 : 4;
	struct sigv4_input in = { .method = "POST", .path = "/", .normalize_path = 1, .headers = h,
				  .nheaders = nh, .body = (const uint8_t *)body, .body_len = strlen(body),
				  .amz_date = date, .region = k->region, .service = "kms",
				  .access_key = c->access_key, .secret_key = c->secret_key };
	struct sigv4_output so;
	int rc = sigv4_sign(&in, &so, e);
	struct curl_slist *l = NULL;
	for (size_t i = 0; !rc && i < nh; i++) {
		snprintf(line, sizeof line, "%s: %s", h[i].name, h[i].value);
		l = curl_slist_append(l, line);
	}
	if (!rc) {
		snprintf(line, sizeof line, "Authorization: %s", buf_cstr(&so.authorization));
		l = curl_slist_append(l, line);
		l = curl_slist_append(l, "Expect:");
	}
	OPENSSL_cleanse(line, sizeof line);
	sigv4_output_free(&so);
	*out = l;
	return rc;
}

static double backoff(const struct sign_config *cfg, int attempt)
{
	return backoff_jitter(cfg->retry_base_ms, cfg->retry_cap_ms, attempt);
}

struct attempt {
	long status;
	char type[128];
	char msg[512];
	int transport;
	CURLcode curl;
	time_t server_date;
};

static int one_attempt(struct kms_client *k, CURL *h, const char *target, const char *body,
		       int refresh, struct attempt *a, json_object **out, struct err *e)
{
	struct aws_creds c;
	struct curl_slist *hdrs = NULL;
	long offset = 0;
	memset(a, 0, sizeof *a);
	int rc = get_creds(k, refresh, &c, &offset, e);
	if (!rc)
		rc = build_headers(k, &c, offset, target, body, &hdrs, e);
	aws_creds_wipe(&c);
	if (rc)
		return rc;
	struct http_request rq = { .method = "POST", .url = k->url, .headers = hdrs, .body = body,
				   .body_len = strlen(body), .timeout_ms = k->cfg->timeout_ms,
				   .ca_bundle = k->settings.ca_bundle[0] ? k->settings.ca_bundle : NULL };
	struct http_response rs;
	ratelimit_wait(k->rl);
	rc = http_do(h, &rq, &rs, e);
	curl_slist_free_all(hdrs);
	a->transport = rc != 0;
	a->curl = rs.curl;
	a->status = rs.status;
	a->server_date = rs.date;
	if (!rc && !buf_ok(&rs.body)) {
		snprintf(a->type, sizeof a->type, "MalformedResponse");
		snprintf(a->msg, sizeof a->msg, "answer larger than %u KiB", HTTP_MAX_RESPONSE >> 10);
		a->status = 502; /* treated as a server fault: retried */
		rc = 1;
	} else if (!rc && rs.status == 200) {
		*out = json_tokener_parse(buf_cstr(&rs.body));
		if (!*out || !json_object_is_type(*out, json_type_object)) {
			json_object_put(*out);
			*out = NULL;
			snprintf(a->type, sizeof a->type, "MalformedResponse");
			snprintf(a->msg, sizeof a->msg, "answer is not a JSON object");
			a->status = 502; /* treated as a server fault: retried */
			rc = 1;
		}
	} else if (!rc) {
		kms_parse_error(buf_cstr(&rs.body), a->type, sizeof a->type, a->msg, sizeof a->msg);
		rc = 1;
	}
	http_response_free(&rs);
	return rc;
}

static int signature_expired(const struct attempt *a)
{
	return strstr(a->msg, "Signature expired") || strstr(a->msg, "signature expired");
}

/* As AWS SDKs do: once, take the clock offset from the server's Date. */
static int correct_clock(struct kms_client *k, const char *action, const struct attempt *a)
{
	if (!signature_expired(a) || !a->server_date)
		return 0;
	pthread_mutex_lock(&k->mu);
	k->clock_offset = (long)(a->server_date - time(NULL));
	long off = k->clock_offset;
	pthread_mutex_unlock(&k->mu);
	if (k->cfg->log) {
		char line[300];
		snprintf(line, sizeof line, "%s: KMS says the signature expired: this host's clock is %ld s "
			 "off the server's Date; retrying once with that offset", action, off);
		k->cfg->log(line);
	}
	return 1;
}

static int explain_fatal(const struct kms_client *k, const char *action, const struct attempt *a,
			 struct err *e)
{
	if (signature_expired(a))
		return err_set(e, ERR_KEYSTORE,
			       "KMS %s at %s: signature expired: this machine's clock is more than 5 minutes off (%s)",
			       action, k->url, a->msg);
	return err_set(e, ERR_KEYSTORE, "KMS %s at %s: HTTP %ld %s%s%s", action, k->url, a->status,
		       a->type[0] ? a->type : "error", a->msg[0] ? ": " : "", a->msg);
}

static void log_retry(const struct kms_client *k, const char *action, int attempt,
		      const struct attempt *a, const struct err *e, double wait)
{
	if (!k->cfg->verbose || !k->cfg->log)
		return;
	char line[1200];
	snprintf(line, sizeof line, "%s attempt %d: %s%s, retrying in %.3f s", action, attempt + 1,
		 a->transport ? "transport error: " : a->type, a->transport ? e->msg : "", wait);
	k->cfg->log(line);
}

/* The final message; the transport detail (libcurl's words, naming the
 * endpoint) is copied first, since e holds it. */
static int give_up(const struct kms_client *k, const char *action, int attempts, int permanent,
		   const struct attempt *a, struct err *e)
{
	if (!a->transport)
		return err_set(e, ERR_KEYSTORE, "KMS %s at %s: gave up after %d attempts: HTTP %ld %s",
			       action, k->url, attempts, a->status, a->type);
	char detail[ERR_MSG_MAX];
	snprintf(detail, sizeof detail, "%s", e->msg);
	if (permanent)
		return err_set(e, ERR_KEYSTORE, "KMS %s: %s (after %d attempt%s; a retry will not heal this: "
			       "check the endpoint, its certificate and AWS_CA_BUNDLE)",
			       action, detail, attempts, attempts == 1 ? "" : "s");
	return err_set(e, ERR_KEYSTORE, "KMS %s: gave up after %d attempts: %s", action, attempts, detail);
}

int kms_call(struct kms_client *k, CURL *h, const char *action, json_object *body,
	     json_object **out, struct err *e)
{
	char target[64];
	snprintf(target, sizeof target, "TrentService.%s", action);
	const char *text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
								      JSON_C_TO_STRING_NOSLASHESCAPE);
	int refreshed = 0, refresh = 0, permanent = 0, skewed = 0, attempt;
	struct attempt a;
	for (attempt = 0; attempt < k->cfg->max_attempts; attempt++) {
		int rc = one_attempt(k, h, target, text, refresh, &a, out, e);
		refresh = 0;
		if (rc == 0)
			return 0;
		if (rc != 1 && !a.transport)
			return rc; /* credentials or signing: not a KMS answer */
		enum kms_retry what = a.transport ? KMS_RETRY : kms_classify(a.status, a.type);
		if (what == KMS_FATAL && !skewed && (skewed = correct_clock(k, action, &a)))
			continue;
		if (what == KMS_FATAL || (what == KMS_REFRESH && refreshed))
			return explain_fatal(k, action, &a, e);
		if (what == KMS_REFRESH) {
			refresh = refreshed = 1;
			continue;
		}
		/* a permanent transport error gets one more try, no more */
		if (a.transport && http_permanent(a.curl) && permanent++)
			return give_up(k, action, attempt + 1, 1, &a, e);
		double wait = backoff(k->cfg, attempt);
		log_retry(k, action, attempt, &a, e, wait);
		if (attempt + 1 < k->cfg->max_attempts)
			sleep_seconds(wait);
	}
	return give_up(k, action, attempt, a.transport && http_permanent(a.curl), &a, e);
}
