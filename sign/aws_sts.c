/* STS: AssumeRoleWithWebIdentity (an unsigned form POST, as CI systems
 * with OIDC use it) and the SigV4-signed form POSTs of AssumeRole. The XML
 * answers (credentials, or an ErrorResponse) are read with libxml2. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>
#include <time.h>

#include "aws_creds.h"
#include "common/buf.h"
#include "common/fileio.h"
#include "http.h"
#include "ratelimit.h"
#include "sigv4.h"

/* The form body: the token file is read up to 64 KiB, and escaping may
 * triple it. */
#define STS_FORM_MAX (256u << 10)

/* The text of the first element with this local name, anywhere below n. */
static xmlNode *find(xmlNode *n, const char *name)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name))
			return n;
		xmlNode *c = find(n->children, name);
		if (c)
			return c;
	}
	return NULL;
}

int aws_sts_parse_answer(const char *xml, size_t len, struct aws_creds *c, struct err *e)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "sts.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return err_set(e, ERR_KEYSTORE, "STS answer is not XML");
	xmlNode *root = xmlDocGetRootElement(doc);
	const char *names[4] = { "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration" };
	char *v[4] = { NULL };
	for (int i = 0; i < 4; i++) {
		xmlNode *n = find(root, names[i]);
		v[i] = n ? (char *)xmlNodeGetContent(n) : NULL;
	}
	int rc = 0;
	const size_t max[3] = { sizeof c->access_key, sizeof c->secret_key, sizeof c->token };
	for (int i = 0; i < 3 && !rc; i++)
		if (!v[i] || strlen(v[i]) >= max[i])
			rc = err_set(e, ERR_KEYSTORE, "STS answer: %s is %s", names[i], v[i] ? "too long" : "missing");
	if (!rc) {
		memset(c, 0, sizeof *c);
		snprintf(c->access_key, sizeof c->access_key, "%s", v[0]);
		snprintf(c->secret_key, sizeof c->secret_key, "%s", v[1]);
		snprintf(c->token, sizeof c->token, "%s", v[2]);
		c->expiration = v[3] ? aws_parse_time(v[3]) : 0;
	}
	for (int i = 0; i < 4; i++) {
		if (v[i])
			OPENSSL_cleanse(v[i], strlen(v[i]));
		xmlFree(v[i]);
	}
	xmlFreeDoc(doc);
	return rc;
}


/* Code and Message of an STS <ErrorResponse>, "" when the answer has none. */
static void sts_error(const char *xml, size_t len, char *out, size_t n)
{
	out[0] = '\0';
	xmlDoc *doc = xmlReadMemory(xml, (int)len, "sts.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	xmlNode *code = find(root, "Code"), *msg = find(root, "Message");
	char *cv = code ? (char *)xmlNodeGetContent(code) : NULL;
	char *mv = msg ? (char *)xmlNodeGetContent(msg) : NULL;
	if (cv)
		snprintf(out, n, ": %.100s%s%.300s", cv, mv ? ": " : "", mv ? mv : "");
	xmlFree(cv);
	xmlFree(mv);
	xmlFreeDoc(doc);
}

void aws_form_field(struct buf *b, const char *key, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, 0);
	if (!esc)
		buf_fail(b); /* out of memory */
	else
		buf_printf(b, "%s%s=%s", buf_len(b) ? "&" : "", key, esc);
	if (esc)
		OPENSSL_cleanse(esc, strlen(esc));
	curl_free(esc);
}

void aws_sts_endpoint(const struct aws_settings *s, char *url, size_t n, char *region, size_t rn)
{
	const char *ep = aws_env("AWS_ENDPOINT_URL_STS") ? aws_env("AWS_ENDPOINT_URL_STS")
		       : aws_env("AWS_ENDPOINT_URL") ? aws_env("AWS_ENDPOINT_URL") : s->profile.endpoint_url;
	snprintf(region, rn, "%s", s->region[0] ? s->region : "us-east-1");
	if (ep && *ep)
		snprintf(url, n, "%s", ep);
	else
		snprintf(url, n, "https://sts.%s.amazonaws.com/", region);
}

/* Host (host[:port] as sent) and path of a URL, for SigV4. */
static int url_parts(const char *url, char *host, size_t hn, char *path, size_t pn)
{
	CURLU *u = curl_url();
	char *h = NULL, *port = NULL, *p = NULL;
	int ok = u && !curl_url_set(u, CURLUPART_URL, url, 0) && !curl_url_get(u, CURLUPART_HOST, &h, 0) &&
		 !curl_url_get(u, CURLUPART_PATH, &p, 0);
	if (ok) {
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
		snprintf(host, hn, "%s%s%s", h, port ? ":" : "", port ? port : "");
		snprintf(path, pn, "%s", p);
	}
	curl_free(h);
	curl_free(port);
	curl_free(p);
	curl_url_cleanup(u);
	return ok ? 0 : -1;
}

#define STS_CONTENT_TYPE "application/x-www-form-urlencoded; charset=utf-8"

/* The headers of a form POST: signed with `with` (service sts) when given. */
static int sts_headers(const char *url, const char *region, const struct buf *form,
		       const struct aws_creds *with, struct curl_slist **out, struct err *e)
{
	char host[300], path[1024], date[20], line[4400];
	*out = curl_slist_append(NULL, "Content-Type: " STS_CONTENT_TYPE);
	if (!with)
		return 0;
	if (url_parts(url, host, sizeof host, path, sizeof path))
		return err_set(e, ERR_USAGE, "STS endpoint '%.200s' is not a URL", url);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	struct sigv4_header h[4] = { { "Content-Type", STS_CONTENT_TYPE }, { "Host", host },
				     { "X-Amz-Date", date }, { "X-Amz-Security-Token", with->token } };
	size_t nh = with->token[0] ? 4 : 3;
	struct sigv4_input in = { .method = "POST", .path = path, .normalize_path = 1, .headers = h,
				  .nheaders = nh, .body = (const uint8_t *)buf_cstr(form),
				  .body_len = buf_len(form), .amz_date = date, .region = region,
				  .service = "sts", .access_key = with->access_key, .secret_key = with->secret_key };
	struct sigv4_output so;
	int rc = sigv4_sign(&in, &so, e);
	for (size_t i = 1; !rc && i < nh; i++) {
		snprintf(line, sizeof line, "%s: %s", h[i].name, h[i].value);
		*out = curl_slist_append(*out, line);
	}
	if (!rc) {
		snprintf(line, sizeof line, "Authorization: %s", buf_cstr(&so.authorization));
		*out = curl_slist_append(*out, line);
		*out = curl_slist_append(*out, "Expect:");
	}
	OPENSSL_cleanse(line, sizeof line);
	sigv4_output_free(&so);
	return rc;
}

/* Whether an STS answer is worth another attempt: throttling, a server
 * fault (botocore's standard retry mode); never a refusal. */
static int sts_retryable(long status, const char *detail)
{
	return status >= 500 || status == 429 || strstr(detail, ": Throttling") ||
	       strstr(detail, ": RequestLimitExceeded") || strstr(detail, ": IDPCommunicationError");
}

/* One attempt; *again: a failure worth another attempt. */
static int sts_attempt(const struct aws_settings *s, const char *url, const char *region,
		       const struct buf *form, const struct aws_creds *with, const char *what,
		       struct aws_creds *c, int *again, struct err *e)
{
	char detail[420] = "";
	struct curl_slist *hdr = NULL;
	int rc = sts_headers(url, region, form, with, &hdr, e);
	CURL *h = rc ? NULL : http_handle_new();
	struct http_request rq = { .method = "POST", .url = url, .headers = hdr, .body = buf_cstr(form),
				   .body_len = buf_len(form), .timeout_ms = 10000,
				   .ca_bundle = s->ca_bundle[0] ? s->ca_bundle : NULL };
	struct http_response rs;
	*again = 0;
	if (!rc && !h)
		rc = err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc && !(rc = http_do(h, &rq, &rs, e))) {
		if (rs.status != 200) {
			sts_error(buf_cstr(&rs.body), buf_len(&rs.body), detail, sizeof detail);
			rc = err_set(e, ERR_KEYSTORE, "%s: HTTP %ld%s", what, rs.status, detail);
			*again = sts_retryable(rs.status, detail);
		} else if (!buf_ok(&rs.body)) {
			rc = err_set(e, ERR_KEYSTORE, "%s: answer too large", what);
		} else if ((rc = aws_sts_parse_answer(buf_cstr(&rs.body), buf_len(&rs.body), c, e))) {
			err_prefix(e, "%s", what);
		}
		http_response_free(&rs);
	} else if (h && rc) {
		*again = !http_permanent(rs.curl);
		http_response_free(&rs);
		err_prefix(e, "%s", what);
	}
	curl_slist_free_all(hdr);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

#define STS_ATTEMPTS 3
#define STS_BACKOFF_BASE_MS 200
#define STS_BACKOFF_CAP_MS 2000

static int sts_call(const struct aws_settings *s, const struct buf *form, const struct aws_creds *with,
		    const char *what, int attempts, int *again, struct aws_creds *c, struct err *e)
{
	char url[512], region[64];
	aws_sts_endpoint(s, url, sizeof url, region, sizeof region);
	*again = 0;
	if (!aws_loopback_or_https(url))
		return err_set(e, ERR_USAGE, "STS endpoint %.200s must be https (requests carry credentials)", url);
	if (!buf_ok(form))
		return err_set(e, ERR_KEYSTORE, "%s: the request does not fit in %u KiB", what, STS_FORM_MAX >> 10);
	int rc = 0;
	*again = 1;
	for (int i = 0; *again && i < attempts; i++) {
		if (i)
			sleep_seconds(backoff_jitter(STS_BACKOFF_BASE_MS, STS_BACKOFF_CAP_MS, i));
		rc = sts_attempt(s, url, region, form, with, what, c, again, e);
	}
	return rc;
}

int aws_sts_call(const struct aws_settings *s, const struct buf *form, const struct aws_creds *with,
		 const char *what, struct aws_creds *c, struct err *e)
{
	int again;
	return sts_call(s, form, with, what, STS_ATTEMPTS, &again, c, e);
}

int aws_sts_call_once(const struct aws_settings *s, const struct buf *form, const struct aws_creds *with,
		      const char *what, struct aws_creds *c, struct err *e)
{
	int again;
	int rc = sts_call(s, form, with, what, 1, &again, c, e);
	size_t o = e ? strlen(e->msg) : 0;
	if (rc && again && e)
		snprintf(e->msg + o, sizeof e->msg - o, "; not retried: the MFA code was used by this "
			 "request and STS accepts a code only once; run kms-sign-digest again with a new code");
	return rc;
}

static int read_token(const char *path, char **token, struct err *e)
{
	uint8_t *t;
	size_t len;
	if (file_read_all(path, 64 << 10, &t, &len, e))
		return err_set(e, ERR_KEYSTORE, "AWS_WEB_IDENTITY_TOKEN_FILE %s: cannot read it", path);
	while (len && (t[len - 1] == '\n' || t[len - 1] == '\r'))
		t[--len] = '\0';
	*token = (char *)t;
	return 0;
}

int aws_creds_from_web_identity(const struct aws_settings *s, struct aws_creds *c, struct err *e)
{
	const char *role = aws_env("AWS_ROLE_ARN");
	if (!role)
		return err_set(e, ERR_KEYSTORE, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
	char *token = NULL, what[400];
	int rc = read_token(aws_env("AWS_WEB_IDENTITY_TOKEN_FILE"), &token, e);
	if (rc)
		return rc;
	struct buf body;
	/* every byte of the token may be escaped to three */
	buf_init(&body, STS_FORM_MAX);
	aws_form_field(&body, "Action", "AssumeRoleWithWebIdentity");
	aws_form_field(&body, "Version", "2011-06-15");
	aws_form_field(&body, "RoleArn", role);
	aws_form_field(&body, "RoleSessionName",
		       aws_env("AWS_ROLE_SESSION_NAME") ? aws_env("AWS_ROLE_SESSION_NAME") : "kms-sign-digest");
	aws_form_field(&body, "WebIdentityToken", token);
	snprintf(what, sizeof what, "STS AssumeRoleWithWebIdentity for %.300s", role);
	if (!buf_ok(&body))
		rc = err_set(e, ERR_KEYSTORE, "%s: the request (web identity token of %zu bytes) does not fit "
			     "in %u KiB", what, strlen(token), STS_FORM_MAX >> 10);
	else
		rc = aws_sts_call(s, &body, NULL, what, c, e);
	if (!rc)
		snprintf(c->source, sizeof c->source, "web identity");
	buf_wipe_free(&body);
	OPENSSL_cleanse(token, strlen(token));
	free(token);
	return rc;
}
