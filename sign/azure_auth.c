#include "azure_auth.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/buf.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

int azure_auth_init(struct azure_auth *a, const struct sign_config *cfg, const char *scope,
		    const char *ca, struct err *e)
{
	memset(a, 0, sizeof *a);
	const char *host = env("AZURE_AUTHORITY_HOST");
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
	const char *secret = env("AZURE_CLIENT_SECRET"), *cert = env("AZURE_CLIENT_CERTIFICATE_PATH");
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
		  : secret_file_read(env("AZURE_FEDERATED_TOKEN_FILE"), assertion, sizeof assertion, e);
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

/* IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST overrides its address, as the SDKs read it). */
static int managed_identity(struct azure_auth *a, const char *client, struct err *e)
{
	const char *host = env("AZURE_POD_IDENTITY_AUTHORITY_HOST");
	char resource[256], url[1200], *res;
	size_t n = strlen(a->scope) - strlen("/.default");
	snprintf(resource, sizeof resource, "%.*s", (int)n, a->scope);
	res = curl_easy_escape(NULL, resource, 0);
	snprintf(url, sizeof url, "%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s%s%s",
		 host ? host : "http://169.254.169.254", res ? res : "", client ? "&client_id=" : "",
		 client ? client : "");
	curl_free(res);
	snprintf(a->source, sizeof a->source, "managed identity");
	struct rest_client rc_imds = a->rest;
	rc_imds.service = "Azure managed identity (IMDS)";
	static const char *const metadata[] = { "Metadata: true", NULL };
	struct rest_request rq = { .method = "GET", .url = url, .what = "token", .connect_timeout_ms = 2000,
				   .headers = metadata };
	int rc = oauth_fetch(&rc_imds, &rq, &a->tok, a->source, e);
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
	const char *tenant = env("AZURE_TENANT_ID"), *client = env("AZURE_CLIENT_ID");
	snprintf(a->client_id, sizeof a->client_id, "%s", client ? client : "");
	int proof = env("AZURE_CLIENT_SECRET") || env("AZURE_CLIENT_CERTIFICATE_PATH") ||
		    env("AZURE_FEDERATED_TOKEN_FILE");
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
