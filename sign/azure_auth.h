/* Microsoft Entra ID access tokens for Azure Key Vault and Managed HSM, in
 * the Azure SDKs' order: a client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID,
 * AZURE_CLIENT_SECRET), a client certificate (AZURE_CLIENT_CERTIFICATE_PATH),
 * workload identity (AZURE_FEDERATED_TOKEN_FILE as the
 * client assertion), then managed identity (IMDS). The token is cached and
 * fetched again 5 minutes before it expires, or after a 401. */
#ifndef SIGN_AZURE_AUTH_H
#define SIGN_AZURE_AUTH_H

#include "oauth.h"

struct azure_auth {
	struct rest_client rest;  /* for the token endpoint */
	char scope[256];          /* https://vault.azure.net/.default ... */
	char authority[512];      /* AZURE_AUTHORITY_HOST, no trailing slash */
	struct oauth_token tok;
	char source[64];          /* "client secret", "client certificate", "workload identity"... */
	char client_id[128];
};

/* scope: the audience of the vault kind. ca: REQUESTS_CA_BUNDLE or NULL. */
int azure_auth_init(struct azure_auth *a, const struct sign_config *cfg, const char *scope,
		    const char *ca, struct err *e);
/* "Authorization: Bearer ..." appended to *hdrs; refresh: the last token was refused. */
int azure_auth_header(struct azure_auth *a, int refresh, struct curl_slist **hdrs, struct err *e);
void azure_auth_free(struct azure_auth *a);
/* A client assertion (JWT, RS256, x5t) signed with the certificate and key
 * of a PEM file, for the token endpoint audience. */
int azure_cert_assertion(const char *path, const char *audience, const char *client, char *out,
			 size_t n, struct err *e);
#endif
