/* Web identity: AssumeRoleWithWebIdentity at STS (an unsigned form POST),
 * as CI systems with OIDC use it. The XML answer is read with libxml2. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/crypto.h>

#include "aws_creds.h"
#include "common/buf.h"
#include "common/fileio.h"
#include "http.h"

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
		snprintf(c->source, sizeof c->source, "web identity");
	}
	for (int i = 0; i < 4; i++) {
		if (v[i])
			OPENSSL_cleanse(v[i], strlen(v[i]));
		xmlFree(v[i]);
	}
	xmlFreeDoc(doc);
	return rc;
}

static void form_field(struct buf *b, CURL *h, const char *key, const char *value)
{
	char *esc = curl_easy_escape(h, value, 0);
	if (!esc)
		buf_fail(b); /* out of memory */
	else
		buf_printf(b, "%s%s=%s", buf_len(b) ? "&" : "", key, esc);
	curl_free(esc);
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

static int sts_post(CURL *h, const char *url, struct curl_slist *hdr, const struct buf *body,
		    const struct aws_settings *s, const char *role, struct aws_creds *c, struct err *e)
{
	struct http_request rq = { .method = "POST", .url = url, .headers = hdr, .body = buf_cstr(body),
				   .body_len = buf_len(body), .timeout_ms = 10000,
				   .ca_bundle = s->ca_bundle[0] ? s->ca_bundle : NULL };
	struct http_response rs;
	int rc = http_do(h, &rq, &rs, e);
	if (!rc && rs.status != 200)
		rc = err_set(e, ERR_KEYSTORE, "STS AssumeRoleWithWebIdentity for %s: HTTP %ld", role, rs.status);
	if (!rc && !buf_ok(&rs.body))
		rc = err_set(e, ERR_KEYSTORE, "STS AssumeRoleWithWebIdentity for %s: answer too large", role);
	if (!rc)
		rc = aws_sts_parse_answer(buf_cstr(&rs.body), buf_len(&rs.body), c, e);
	http_response_free(&rs);
	return rc;
}

int aws_creds_from_web_identity(const struct aws_settings *s, struct aws_creds *c, struct err *e)
{
	const char *role = aws_env("AWS_ROLE_ARN");
	if (!role)
		return err_set(e, ERR_KEYSTORE, "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
	char *token = NULL, url[512];
	int rc = read_token(aws_env("AWS_WEB_IDENTITY_TOKEN_FILE"), &token, e);
	if (rc)
		return rc;
	if (aws_env("AWS_ENDPOINT_URL_STS"))
		snprintf(url, sizeof url, "%s", aws_env("AWS_ENDPOINT_URL_STS"));
	else
		snprintf(url, sizeof url, "https://sts.%s.amazonaws.com/", s->region[0] ? s->region : "us-east-1");
	CURL *h = http_handle_new();
	struct buf body;
	/* every byte of the token may be escaped to three */
	buf_init(&body, STS_FORM_MAX);
	form_field(&body, h, "Action", "AssumeRoleWithWebIdentity");
	form_field(&body, h, "Version", "2011-06-15");
	form_field(&body, h, "RoleArn", role);
	form_field(&body, h, "RoleSessionName", aws_env("AWS_ROLE_SESSION_NAME") ? aws_env("AWS_ROLE_SESSION_NAME") : "kms-sign-digest");
	form_field(&body, h, "WebIdentityToken", token);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
	if (!h || !buf_ok(&body))
		rc = err_set(e, ERR_KEYSTORE, "STS AssumeRoleWithWebIdentity for %s: the request "
			     "(web identity token of %zu bytes) does not fit in %u KiB", role,
			     strlen(token), STS_FORM_MAX >> 10);
	else
		rc = sts_post(h, url, hdr, &body, s, role, c, e);
	curl_slist_free_all(hdr);
	if (h)
		curl_easy_cleanup(h);
	buf_wipe_free(&body);
	OPENSSL_cleanse(token, strlen(token));
	free(token);
	return rc;
}
