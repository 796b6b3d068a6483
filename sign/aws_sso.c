/* IAM Identity Center (AWS SSO) profiles: the access token `aws sso login`
 * cached, then the portal's GetRoleCredentials.
 *
 * Where the token is, as botocore finds it (python3-botocore 1.29,
 * credentials.py SSOProvider._SSO_TOKEN_CACHE_DIR and utils.py
 * SSOTokenLoader._generate_cache_key): ~/.aws/sso/cache/<key>.json, key the
 * hex SHA-1 of the sso-session name when the profile has sso_session (the
 * [sso-session NAME] section gives sso_start_url and sso_region), else of
 * sso_start_url (the legacy form, with sso_start_url and sso_region in the
 * profile). The file holds accessToken and expiresAt ("2026-12-01T10:00:00Z").
 * SSOProvider applies to profiles with sso_account_id or sso_role_name, and
 * then needs all four settings.
 *
 * GetRoleCredentials (botocore data/sso/2019-06-10/service-2.json): GET
 * /federation/credentials?role_name=..&account_id=.. at
 * portal.sso.REGION.amazonaws.com, unsigned, the token in the header
 * x-amz-sso_bearer_token; the answer's roleCredentials hold accessKeyId,
 * secretAccessKey, sessionToken and expiration (milliseconds since 1970). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aws_creds.h"
#include "common/buf.h"
#include "common/fileio.h"
#include "common/hex.h"
#include "http.h"

int aws_profile_is_sso(const struct aws_profile *p)
{
	return p->sso_account_id[0] || p->sso_role_name[0];
}

static int sso_config(const struct aws_profile *p, struct err *e)
{
	const char *names[4] = { "sso_start_url", "sso_region", "sso_account_id", "sso_role_name" };
	const char *vals[4] = { p->sso_start_url, p->sso_region, p->sso_account_id, p->sso_role_name };
	char missing[128] = "";
	for (int i = 0; i < 4; i++)
		if (!vals[i][0]) {
			size_t n = strlen(missing);
			snprintf(missing + n, sizeof missing - n, "%s%s", n ? ", " : "", names[i]);
		}
	if (missing[0])
		return err_set(e, ERR_KEYSTORE, "profile \"%s\" is configured for IAM Identity Center but is "
			       "missing %s", p->name, missing);
	return 0;
}

/* ~/.aws/sso/cache/<sha1 of the session name or start URL>.json */
static int cache_path(const struct aws_profile *p, char *out, size_t n, struct err *e)
{
	const char *home = aws_env("HOME"), *in = p->sso_session[0] ? p->sso_session : p->sso_start_url;
	unsigned char md[20];
	unsigned int len = 0;
	char hex[41];
	if (!home)
		return err_set(e, ERR_KEYSTORE, "profile \"%s\": no HOME, so no ~/.aws/sso/cache", p->name);
	if (!EVP_Digest(in, strlen(in), md, &len, EVP_sha1(), NULL) || len != sizeof md)
		return err_set(e, ERR_INTERNAL, "SHA-1 failed");
	hex_encode(md, sizeof md, hex);
	snprintf(out, n, "%s/.aws/sso/cache/%s.json", home, hex);
	return 0;
}

static void login_hint(const struct aws_profile *p, char *out, size_t n)
{
	snprintf(out, n, "run `aws sso login --profile %s`%s%s%s", p->name,
		 p->sso_session[0] ? " (or `aws sso login --sso-session " : "",
		 p->sso_session[0] ? p->sso_session : "", p->sso_session[0] ? "`)" : "");
}

/* accessToken of the cache file, refused when expiresAt has passed. */
static int cached_token(const struct aws_profile *p, char *tok, size_t n, struct err *e)
{
	char path[4200], hint[400];
	uint8_t *text = NULL;
	size_t len;
	int rc = cache_path(p, path, sizeof path, e);
	if (rc)
		return rc;
	login_hint(p, hint, sizeof hint);
	if (access(path, F_OK))
		return err_set(e, ERR_KEYSTORE, "no IAM Identity Center token is cached for profile \"%s\" (%s): %s",
			       p->name, path, hint);
	if ((rc = file_read_all(path, 1u << 20, &text, &len, e)))
		return rc;
	json_object *o = json_tokener_parse((const char *)text), *at = NULL, *exp = NULL;
	OPENSSL_cleanse(text, len);
	free(text);
	const char *t = json_object_object_get_ex(o, "accessToken", &at) ? json_object_get_string(at) : NULL;
	const char *x = json_object_object_get_ex(o, "expiresAt", &exp) ? json_object_get_string(exp) : NULL;
	time_t when = x ? aws_parse_time(x) : 0;
	if (!t || !*t || strlen(t) >= n || !when)
		rc = err_set(e, ERR_KEYSTORE, "%s: no usable accessToken and expiresAt for profile \"%s\": %s",
			     path, p->name, hint);
	else if (when <= time(NULL))
		rc = err_set(e, ERR_KEYSTORE, "the IAM Identity Center token of profile \"%s\" expired at %s: %s",
			     p->name, x, hint);
	else
		snprintf(tok, n, "%s", t);
	if (t)
		OPENSSL_cleanse((void *)t, strlen(t));
	json_object_put(o);
	return rc;
}

static void portal_url(const struct aws_settings *s, const struct aws_profile *p, char *url, size_t n)
{
	const char *ep = aws_env("AWS_ENDPOINT_URL_SSO") ? aws_env("AWS_ENDPOINT_URL_SSO")
		       : aws_env("AWS_ENDPOINT_URL") ? aws_env("AWS_ENDPOINT_URL") : s->profile.endpoint_url;
	char base[600], *role = curl_easy_escape(NULL, p->sso_role_name, 0),
		       *acct = curl_easy_escape(NULL, p->sso_account_id, 0);
	if (ep && *ep)
		snprintf(base, sizeof base, "%.590s", ep);
	else
		snprintf(base, sizeof base, "https://portal.sso.%s.amazonaws.com", p->sso_region);
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		base[--bl] = '\0';
	snprintf(url, n, "%s/federation/credentials?role_name=%s&account_id=%s", base, role ? role : "",
		 acct ? acct : "");
	curl_free(role);
	curl_free(acct);
}

static int take_answer(const char *body, const struct aws_profile *p, struct aws_creds *c, struct err *e)
{
	json_object *o = json_tokener_parse(body), *rc_o = NULL, *v[4] = { NULL };
	const char *names[4] = { "accessKeyId", "secretAccessKey", "sessionToken", "expiration" };
	int ok = json_object_object_get_ex(o, "roleCredentials", &rc_o);
	for (int i = 0; ok && i < 4; i++)
		ok = json_object_object_get_ex(rc_o, names[i], &v[i]);
	int rc = 0;
	if (!ok || json_object_get_string_len(v[0]) >= (int)sizeof c->access_key ||
	    json_object_get_string_len(v[1]) >= (int)sizeof c->secret_key ||
	    json_object_get_string_len(v[2]) >= (int)sizeof c->token || json_object_get_int64(v[3]) <= 0) {
		rc = err_set(e, ERR_KEYSTORE, "IAM Identity Center GetRoleCredentials for profile \"%s\": the "
			     "answer has no usable roleCredentials", p->name);
	} else {
		snprintf(c->access_key, sizeof c->access_key, "%s", json_object_get_string(v[0]));
		snprintf(c->secret_key, sizeof c->secret_key, "%s", json_object_get_string(v[1]));
		snprintf(c->token, sizeof c->token, "%s", json_object_get_string(v[2]));
		c->expiration = (time_t)(json_object_get_int64(v[3]) / 1000);
		snprintf(c->source, sizeof c->source, "IAM Identity Center, profile %.30s", p->name);
	}
	json_object_put(o);
	return rc;
}

static int get_role_credentials(const struct aws_settings *s, const struct aws_profile *p,
				const char *tok, struct aws_creds *c, struct err *e)
{
	char url[1400], hdr[8300], hint[400];
	portal_url(s, p, url, sizeof url);
	if (!aws_loopback_or_https(url))
		return err_set(e, ERR_USAGE, "IAM Identity Center endpoint %.200s must be https", url);
	snprintf(hdr, sizeof hdr, "x-amz-sso_bearer_token: %s", tok);
	struct curl_slist *h = curl_slist_append(NULL, hdr);
	OPENSSL_cleanse(hdr, sizeof hdr);
	CURL *ch = http_handle_new();
	struct http_request rq = { .method = "GET", .url = url, .headers = h, .timeout_ms = 10000,
				   .ca_bundle = s->ca_bundle[0] ? s->ca_bundle : NULL };
	struct http_response rs;
	int rc = ch ? http_do(ch, &rq, &rs, e) : err_set(e, ERR_INTERNAL, "out of memory");
	login_hint(p, hint, sizeof hint);
	if (!rc) {
		if (rs.status == 401)
			rc = err_set(e, ERR_KEYSTORE, "IAM Identity Center refused the cached token of profile "
				     "\"%s\" (HTTP 401): %s", p->name, hint);
		else if (rs.status != 200)
			rc = err_set(e, ERR_KEYSTORE, "IAM Identity Center GetRoleCredentials of role %s in account "
				     "%s (profile \"%s\"): HTTP %ld", p->sso_role_name, p->sso_account_id, p->name,
				     rs.status);
		else
			rc = take_answer(buf_cstr(&rs.body), p, c, e);
		http_response_free(&rs);
	} else if (ch) {
		err_prefix(e, "IAM Identity Center GetRoleCredentials (profile \"%s\")", p->name);
	}
	curl_slist_free_all(h);
	if (ch)
		curl_easy_cleanup(ch);
	return rc;
}

int aws_sso_credentials(const struct aws_settings *s, const struct aws_profile *p, struct aws_creds *c,
			struct err *e)
{
	char tok[8192];
	int rc = sso_config(p, e);
	if (!rc)
		rc = cached_token(p, tok, sizeof tok, e);
	if (!rc)
		rc = get_role_credentials(s, p, tok, c, e);
	OPENSSL_cleanse(tok, sizeof tok);
	return rc;
}
