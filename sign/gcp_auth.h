/* Google access tokens for Cloud KMS. The operator's own token file
 * (--gcp-access-token-file, or access_token_file: of the key in the signer
 * configuration; e.g. gcloud auth print-access-token > FILE) when one is
 * named; else Application Default Credentials as Google's libraries read
 * them: GOOGLE_APPLICATION_CREDENTIALS (a service account's JSON key: an
 * RS256 JWT-bearer grant to its token_uri), then the metadata server
 * (GCE_METADATA_HOST overrides metadata.google.internal). One cached token,
 * fetched again 5 minutes before it expires or once after a 401. */
#ifndef SIGN_GCP_AUTH_H
#define SIGN_GCP_AUTH_H

#include "oauth.h"

#define GCP_SCOPE "https://www.googleapis.com/auth/cloudkms"

enum gcp_source { GCP_TOKEN_FILE, GCP_SERVICE_ACCOUNT, GCP_METADATA };

struct gcp_auth {
	struct rest_client rest;  /* for the token endpoint and the metadata server */
	struct oauth_token tok;
	enum gcp_source kind;
	char path[4096];          /* the token file or the service account's JSON */
	char metadata[256];       /* HOST[:PORT] of the metadata server */
	char source[64];          /* "service account", "metadata server", "access token file" */
	char account[256];        /* the service account's client_email, when known */
};

/* token_file: the operator's token file, or NULL. ca: CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE or NULL. */
int gcp_auth_init(struct gcp_auth *a, const struct sign_config *cfg, const char *token_file,
		  const char *ca, struct err *e);
int gcp_auth_header(struct gcp_auth *a, int refresh, struct curl_slist **hdrs, struct err *e);
void gcp_auth_free(struct gcp_auth *a);

#endif
