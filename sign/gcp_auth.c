#include "gcp_auth.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/fileio.h"

#define GOOGLE_TOKEN_URI "https://oauth2.googleapis.com/token"

int gcp_auth_init(struct gcp_auth *a, const struct sign_config *cfg, const char *token_file,
		  const char *ca, struct err *e)
{
	memset(a, 0, sizeof *a);
	const char *adc = env_nonempty("GOOGLE_APPLICATION_CREDENTIALS"), *md = env_nonempty("GCE_METADATA_HOST");
	a->kind = token_file ? GCP_TOKEN_FILE : adc ? GCP_SERVICE_ACCOUNT : GCP_METADATA;
	const char *path = token_file ? token_file : adc ? adc : "";
	if (strlen(path) >= sizeof a->path || (md && strlen(md) >= sizeof a->metadata))
		return err_set(e, ERR_USAGE, "the access token file, GOOGLE_APPLICATION_CREDENTIALS or "
			       "GCE_METADATA_HOST is too long");
	snprintf(a->path, sizeof a->path, "%s", path);
	snprintf(a->metadata, sizeof a->metadata, "%s", md ? md : "metadata.google.internal");
	static const char *const names[] = { "access token file", "service account", "metadata server" };
	snprintf(a->source, sizeof a->source, "%s", names[a->kind]);
	rest_client_init(&a->rest, cfg, a->kind == GCP_METADATA ? "Google metadata server" : "Google OAuth");
	a->rest.ca_bundle = ca;
	a->rest.parse_error = oauth_error;
	oauth_token_init(&a->tok);
	return 0;
}

void gcp_auth_free(struct gcp_auth *a)
{
	oauth_token_free(&a->tok);
}

/* What a service account's JSON key holds that the grant needs. */
struct sa_key {
	char email[256], key_id[128], token_uri[1024];
	EVP_PKEY *key;
};

static int sa_fields(const char *path, json_object *o, struct sa_key *k, struct err *e)
{
	const char *type = json_str(o, "type"), *email = json_str(o, "client_email");
	const char *pem = json_str(o, "private_key"), *kid = json_str(o, "private_key_id");
	const char *uri = json_str(o, "token_uri") ? json_str(o, "token_uri") : GOOGLE_TOKEN_URI;
	if (!type || strcmp(type, "service_account"))
		return err_set(e, ERR_KEYSTORE, "GOOGLE_APPLICATION_CREDENTIALS %s: type is %.40s, not "
			       "service_account (for a user's login: gcloud auth print-access-token > FILE and "
			       "--gcp-access-token-file FILE)", path, type ? type : "missing");
	if (!email || !pem || strlen(email) >= sizeof k->email || strlen(uri) >= sizeof k->token_uri ||
	    (kid && strlen(kid) >= sizeof k->key_id))
		return err_set(e, ERR_KEYSTORE, "GOOGLE_APPLICATION_CREDENTIALS %s: client_email or "
			       "private_key is missing or too long", path);
	if (strncmp(uri, "https://", 8))
		return err_set(e, ERR_KEYSTORE, "GOOGLE_APPLICATION_CREDENTIALS %s: token_uri %.200s must be "
			       "https://", path, uri);
	snprintf(k->email, sizeof k->email, "%s", email);
	snprintf(k->key_id, sizeof k->key_id, "%s", kid ? kid : "");
	snprintf(k->token_uri, sizeof k->token_uri, "%s", uri);
	BIO *b = BIO_new_mem_buf(pem, -1);
	k->key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	BIO_free(b);
	ERR_clear_error();
	OPENSSL_cleanse((char *)pem, strlen(pem)); /* json-c's copy of the private key */
	if (!k->key || EVP_PKEY_get_base_id(k->key) != EVP_PKEY_RSA)
		return err_set(e, ERR_KEYSTORE, "GOOGLE_APPLICATION_CREDENTIALS %s: private_key is not a PEM "
			       "RSA key", path);
	return 0;
}

static int sa_read(const char *path, struct sa_key *k, struct err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (file_read_all(path, 64 << 10, &buf, &len, e))
		return err_prefix(e, "GOOGLE_APPLICATION_CREDENTIALS");
	json_object *o = json_tokener_parse((const char *)buf);
	int rc = o && json_object_is_type(o, json_type_object)
			 ? sa_fields(path, o, k, e)
			 : err_set(e, ERR_KEYSTORE, "GOOGLE_APPLICATION_CREDENTIALS %s: not a JSON object", path);
	json_object_put(o);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return rc;
}

/* The grant's assertion: RS256, kid, iss, scope, aud = token_uri, an hour. */
static int sa_assertion(const struct sa_key *k, char *out, size_t n, struct err *e)
{
	json_object *h = json_object_new_object(), *c = json_object_new_object();
	long now = (long)time(NULL);
	json_object_object_add(h, "alg", json_object_new_string("RS256"));
	json_object_object_add(h, "typ", json_object_new_string("JWT"));
	if (k->key_id[0])
		json_object_object_add(h, "kid", json_object_new_string(k->key_id));
	json_object_object_add(c, "iss", json_object_new_string(k->email));
	json_object_object_add(c, "scope", json_object_new_string(GCP_SCOPE));
	json_object_object_add(c, "aud", json_object_new_string(k->token_uri));
	json_object_object_add(c, "iat", json_object_new_int64(now));
	json_object_object_add(c, "exp", json_object_new_int64(now + 3600));
	const int fl = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;
	int rc = jwt_rs256(k->key, json_object_to_json_string_ext(h, fl), json_object_to_json_string_ext(c, fl),
			   out, n, e);
	json_object_put(h);
	json_object_put(c);
	return rc;
}

static int service_account(struct gcp_auth *a, struct oauth_token *t, struct err *e)
{
	struct sa_key k = { .key = NULL };
	char jwt[8192];
	struct buf form;
	buf_init(&form, 64 << 10);
	int rc = sa_read(a->path, &k, e);
	if (!rc)
		rc = sa_assertion(&k, jwt, sizeof jwt, e);
	if (!rc) {
		snprintf(a->account, sizeof a->account, "%s", k.email);
		form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
		form_add(&form, "assertion", jwt);
		struct rest_request rq = { .method = "POST", .url = k.token_uri, .body = buf_cstr(&form),
					   .what = "token", .content_type = "application/x-www-form-urlencoded" };
		rc = buf_ok(&form) ? oauth_fetch(&a->rest, &rq, t, a->source, e)
				   : err_set(e, ERR_INTERNAL, "out of memory");
		if (rc)
			err_prefix(e, "service account %s (GOOGLE_APPLICATION_CREDENTIALS %s)", k.email, a->path);
	}
	OPENSSL_cleanse(jwt, sizeof jwt);
	buf_wipe_free(&form);
	EVP_PKEY_free(k.key);
	return rc;
}

static int metadata(struct gcp_auth *a, struct oauth_token *t, struct err *e)
{
	char url[400];
	snprintf(url, sizeof url, "http://%s/computeMetadata/v1/instance/service-accounts/default/token",
		 a->metadata);
	static const char *const flavor[] = { "Metadata-Flavor: Google", NULL };
	struct rest_request rq = { .method = "GET", .url = url, .what = "token", .connect_timeout_ms = 2000,
				   .headers = flavor };
	int rc = oauth_fetch(&a->rest, &rq, t, a->source, e);
	if (rc)
		err_prefix(e, "no Google credentials: no access token file was named "
			   "(--gcp-access-token-file), GOOGLE_APPLICATION_CREDENTIALS is not set, and the "
			   "metadata server failed");
	return rc;
}

static int acquire(void *arg, struct oauth_token *t, struct err *e)
{
	struct gcp_auth *a = arg;
	if (a->kind == GCP_SERVICE_ACCOUNT)
		return service_account(a, t, e);
	if (a->kind == GCP_METADATA)
		return metadata(a, t, e);
	/* read again after a 401 or every few minutes: the operator may have renewed it */
	if (secret_file_read(a->path, t->token, sizeof t->token, e))
		return err_prefix(e, "Google access token");
	t->expires = time(NULL) + 600;
	t->have = 1;
	return 0;
}

int gcp_auth_header(struct gcp_auth *a, int refresh, struct curl_slist **hdrs, struct err *e)
{
	return oauth_header(&a->tok, refresh, acquire, a, hdrs, e);
}
