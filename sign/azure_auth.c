#include "azure_auth.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/buf.h"

int azure_auth_init(struct azure_auth *a, const struct sign_config *cfg, const char *scope,
		    const char *ca, struct err *e)
{
	memset(a, 0, sizeof *a);
	const char *host = env_nonempty("AZURE_AUTHORITY_HOST");
	host = host ? host : "https://login.microsoftonline.com";
	if (strncmp(host, "https://", 8))
		return err_set(e, ERR_USAGE, "AZURE_AUTHORITY_HOST %.200s must be https://", host);
	size_t n = strlen(host);
	while (n && host[n - 1] == '/')
		n--;
	snprintf(a->authority, sizeof a->authority, "%.*s", (int)n, host);
	snprintf(a->scope, sizeof a->scope, "%s", scope);
	rest_client_init(&a->rest, cfg, "Microsoft Entra ID");
	a->rest.ca_bundle = ca;
	a->rest.parse_error = oauth_error;
	oauth_token_init(&a->tok);
	return 0;
}

void azure_auth_free(struct azure_auth *a)
{
	oauth_token_free(&a->tok);
}

static int tenant_ok(const char *t)
{
	for (const char *p = t; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return 0;
	return *t != '\0';
}

static int post_form(struct azure_auth *a, const char *tenant, struct buf *form, struct err *e)
{
	char url[800];
	snprintf(url, sizeof url, "%s/%s/oauth2/v2.0/token", a->authority, tenant);
	struct rest_request rq = { .method = "POST", .url = url, .body = buf_cstr(form), .what = "token",
				   .content_type = "application/x-www-form-urlencoded" };
	return oauth_fetch(&a->rest, &rq, &a->tok, a->source, e);
}

/* The client's proof: a secret, or an assertion (a certificate's JWT, or
 * the federated token of workload identity). */
static int client_proof(struct azure_auth *a, const char *tenant, const char *client, struct buf *form,
			struct err *e)
{
	const char *secret = env_nonempty("AZURE_CLIENT_SECRET"), *cert = env_nonempty("AZURE_CLIENT_CERTIFICATE_PATH");
	char assertion[16384], aud[800];
	int rc;
	if (secret) {
		snprintf(a->source, sizeof a->source, "client secret");
		form_add(form, "client_secret", secret);
		return 0;
	}
	snprintf(aud, sizeof aud, "%s/%s/oauth2/v2.0/token", a->authority, tenant);
	snprintf(a->source, sizeof a->source, "%s", cert ? "client certificate" : "workload identity");
	rc = cert ? azure_cert_assertion(cert, aud, client, assertion, sizeof assertion, e)
		  : secret_file_read(env_nonempty("AZURE_FEDERATED_TOKEN_FILE"), assertion, sizeof assertion, e);
	if (!rc) {
		form_add(form, "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		form_add(form, "client_assertion", assertion);
	}
	OPENSSL_cleanse(assertion, sizeof assertion);
	return rc;
}

/* Client secret, certificate or workload identity: a client-credentials grant. */
static int client_credentials(struct azure_auth *a, const char *tenant, const char *client,
			      struct err *e)
{
	if (!tenant_ok(tenant))
		return err_set(e, ERR_USAGE, "AZURE_TENANT_ID is not a tenant id or domain");
	struct buf form;
	buf_init(&form, 64 << 10);
	form_add(&form, "grant_type", "client_credentials");
	form_add(&form, "client_id", client);
	form_add(&form, "scope", a->scope);
	int rc = client_proof(a, tenant, client, &form, e);
	if (!rc)
		rc = buf_ok(&form) ? post_form(a, tenant, &form, e) : err_set(e, ERR_INTERNAL, "out of memory");
	buf_wipe_free(&form);
	return rc;
}

/* The managed identity endpoint: App Service / Functions when IDENTITY_ENDPOINT
 * and IDENTITY_HEADER are set (api-version 2019-08-01, X-IDENTITY-HEADER),
 * else IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST overrides its address), in
 * the SDKs' order. */
static int mi_request(const char *resource, const char *client, char *url, size_t n, char *hdr, size_t hn,
		      const char **what)
{
	const char *ep = env_nonempty("IDENTITY_ENDPOINT"), *secret = env_nonempty("IDENTITY_HEADER");
	const char *host = env_nonempty("AZURE_POD_IDENTITY_AUTHORITY_HOST");
	char *res = curl_easy_escape(NULL, resource, 0), *cid = client ? curl_easy_escape(NULL, client, 0) : NULL;
	if (!res || (client && !cid)) {
		curl_free(res);
		return -1;
	}
	if (ep && secret) {
		*what = "Azure managed identity (App Service)";
		snprintf(url, n, "%s?api-version=2019-08-01&resource=%s%s%s", ep, res, cid ? "&client_id=" : "",
			 cid ? cid : "");
		snprintf(hdr, hn, "X-IDENTITY-HEADER: %s", secret);
	} else {
		*what = "Azure managed identity (IMDS)";
		snprintf(url, n, "%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s%s%s",
			 host ? host : "http://169.254.169.254", res, cid ? "&client_id=" : "", cid ? cid : "");
		snprintf(hdr, hn, "Metadata: true");
	}
	curl_free(res);
	curl_free(cid);
	return 0;
}

static int managed_identity(struct azure_auth *a, const char *client, struct err *e)
{
	char resource[256], url[1600], hdr[600];
	size_t n = strlen(a->scope) - strlen("/.default");
	snprintf(resource, sizeof resource, "%.*s", (int)n, a->scope);
	snprintf(a->source, sizeof a->source, "managed identity");
	struct rest_client rc_mi = a->rest;
	if (mi_request(resource, client, url, sizeof url, hdr, sizeof hdr, &rc_mi.service))
		return err_set(e, ERR_INTERNAL, "out of memory");
	const char *const headers[] = { hdr, NULL };
	struct rest_request rq = { .method = "GET", .url = url, .what = "token", .connect_timeout_ms = 2000,
				   .headers = headers };
	int rc = oauth_fetch(&rc_mi, &rq, &a->tok, a->source, e);
	OPENSSL_cleanse(hdr, sizeof hdr);
	if (rc)
		err_prefix(e, "no Azure credentials: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or "
			   "AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE) are not set, and the "
			   "managed identity endpoint failed");
	return rc;
}

static int acquire(void *arg, struct oauth_token *t, struct err *e)
{
	struct azure_auth *a = arg;
	(void)t; /* a->tok */
	const char *tenant = env_nonempty("AZURE_TENANT_ID"), *client = env_nonempty("AZURE_CLIENT_ID");
	snprintf(a->client_id, sizeof a->client_id, "%s", client ? client : "");
	int proof = env_nonempty("AZURE_CLIENT_SECRET") || env_nonempty("AZURE_CLIENT_CERTIFICATE_PATH") ||
		    env_nonempty("AZURE_FEDERATED_TOKEN_FILE");
	if (tenant && client && proof)
		return client_credentials(a, tenant, client, e);
	if (proof)
		return err_set(e, ERR_KEYSTORE, "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or "
			       "AZURE_FEDERATED_TOKEN_FILE is set, but AZURE_TENANT_ID or AZURE_CLIENT_ID is not");
	return managed_identity(a, client, e);
}

int azure_auth_header(struct azure_auth *a, int refresh, struct curl_slist **hdrs, struct err *e)
{
	return oauth_header(&a->tok, refresh, acquire, a, hdrs, e);
}
