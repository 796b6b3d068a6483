/* azurekms://NAME.vault.azure.net/KEY/VERSION and
 * azurekms://NAME.managedhsm.azure.net/KEY/VERSION: a key of Azure Key Vault
 * or Managed HSM (any HOST[:PORT], for private endpoints and tests). The
 * version is required: every signature must come from the key the manifest
 * was checked against. Public key from the JWK; ES256 / ES384 over the
 * digest; the raw r||s answer is used as it is. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "azure_auth.h"
#include "keystore.h"
#include "rest.h"
#include "signer_conf.h"

#define AZURE_API "api-version=7.4"

struct azure {
	struct rest_client rest;
	struct azure_auth auth;
	char vault[400];      /* https://HOST[:PORT] */
	char host[300];
	char key[128];
	char version[64];
	char kid_tail[200];   /* "/keys/KEY/VERSION": how every kid must end */
	char ca[4096];
};

/* What Key Vault calls each curve it has (no brainpool), and its JWS algorithm. */
static const struct {
	uint32_t algo;
	const char *crv, *alg;
} az_curves[] = {
	{ ECC_P256, "P-256", "ES256" },
	{ ECC_P384, "P-384", "ES384" },
};

static int name_ok(const char *s, size_t n, const char *extra)
{
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return 0;
	return n > 0;
}

static int parse_uri(struct keystore *ks, struct azure *z, struct err *e)
{
	const char *p = ks->uri + strlen("azurekms://");
	size_t hl = strcspn(p, "/"), kl = p[hl] ? strcspn(p + hl + 1, "/") : 0;
	const char *key = p + hl + 1, *ver = key + kl + 1;
	if (!p[hl] || !key[kl] || !name_ok(p, hl, ".-:[]") || !name_ok(key, kl, "-") ||
	    !name_ok(ver, strlen(ver), "") || hl >= sizeof z->host || kl >= sizeof z->key ||
	    strlen(ver) >= sizeof z->version)
		return err_set(e, ERR_USAGE, "%s: expected azurekms://NAME.vault.azure.net/KEY/VERSION (or "
			       "NAME.managedhsm.azure.net); the version is required", ks->signer);
	snprintf(z->host, sizeof z->host, "%.*s", (int)hl, p);
	snprintf(z->key, sizeof z->key, "%.*s", (int)kl, key);
	snprintf(z->version, sizeof z->version, "%s", ver);
	snprintf(z->vault, sizeof z->vault, "https://%s", z->host);
	snprintf(z->kid_tail, sizeof z->kid_tail, "/keys/%s/%s", z->key, z->version);
	return 0;
}

/* Azure's clouds: the host suffix of each vault kind, and its token audience. */
static const struct {
	const char *suffix, *audience;
} az_clouds[] = {
	{ ".vault.azure.net", "https://vault.azure.net" },
	{ ".managedhsm.azure.net", "https://managedhsm.azure.net" },
	{ ".vault.azure.cn", "https://vault.azure.cn" },
	{ ".managedhsm.azure.cn", "https://managedhsm.azure.cn" },
	{ ".vault.usgovcloudapi.net", "https://vault.usgovcloudapi.net" },
	{ ".managedhsm.usgovcloudapi.net", "https://managedhsm.usgovcloudapi.net" },
};

/* The cloud of a host (without its port), or -1. */
static int cloud_of(const char *host)
{
	size_t hl = strcspn(host, ":");
	for (size_t i = 0; i < sizeof az_clouds / sizeof az_clouds[0]; i++) {
		size_t sl = strlen(az_clouds[i].suffix);
		if (hl > sl && !strncmp(host + hl - sl, az_clouds[i].suffix, sl))
			return (int)i;
	}
	return -1;
}

static int is_hsm(const char *host)
{
	const char *m = strstr(host, ".managedhsm.");
	return m && m < host + strcspn(host, ":");
}

/* The token's audience: the cloud's for its hosts; for any other host (a
 * private endpoint, a test), Managed HSM's for *.managedhsm.* names, else
 * Key Vault's, in the public cloud. */
static void audience(const char *host, char *out, size_t n)
{
	int c = cloud_of(host);
	snprintf(out, n, "%s/.default", c >= 0 ? az_clouds[c].audience
		 : is_hsm(host) ? "https://managedhsm.azure.net" : "https://vault.azure.net");
}

/* A manifest may send the bearer token only to an Azure vault, or to a host
 * the operator listed this very key with. */
static int host_allowed(const struct keystore *ks, const struct azure *z, struct err *e)
{
	if (!ks->from_manifest || ks->conf || cloud_of(z->host) >= 0)
		return 0;
	return err_set(e, ERR_USAGE, "%s: the manifest sends requests (and a bearer token) to %s, which is "
		       "not an Azure Key Vault or Managed HSM host; list the key in the signer configuration "
		       "to use it; nothing was sent", ks->signer, z->host);
}

static int azure_auth_cb(void *arg, int refresh, struct curl_slist **hdrs, struct err *e)
{
	return azure_auth_header(arg, refresh, hdrs, e);
}

static int azure_open(struct keystore *ks, const struct sign_config *cfg, struct err *e)
{
	struct azure *z = calloc(1, sizeof *z);
	if (!z)
		return err_set(e, ERR_INTERNAL, "out of memory");
	ks->state = z;
	const char *ca = getenv("REQUESTS_CA_BUNDLE");
	snprintf(z->ca, sizeof z->ca, "%s", ca ? ca : "");
	int rc = parse_uri(ks, z, e);
	if (!rc)
		rc = host_allowed(ks, z, e);
	char scope[256];
	if (!rc) {
		audience(z->host, scope, sizeof scope);
		rc = azure_auth_init(&z->auth, cfg, scope, z->ca[0] ? z->ca : NULL, e);
	}
	if (rc)
		return rc;
	rest_client_init(&z->rest, cfg, is_hsm(z->host) ? "Azure Managed HSM" : "Azure Key Vault");
	z->rest.ca_bundle = z->ca[0] ? z->ca : NULL;
	z->rest.auth = azure_auth_cb;
	z->rest.auth_arg = &z->auth;
	z->rest.refresh_on_401 = 1;
	z->rest.parse_error = oauth_error;
	return 0;
}

static int kid_ok(const struct azure *z, const char *kid)
{
	size_t n = kid ? strlen(kid) : 0, t = strlen(z->kid_tail);
	return n > t && !strcmp(kid + n - t, z->kid_tail);
}

static int jwk_point(struct keystore *ks, json_object *jwk, int c, struct err *e)
{
	size_t w = ecc_coord(az_curves[c].algo), xl = 0, yl = 0;
	uint8_t x[ECC_COORD_MAX + 1], y[ECC_COORD_MAX + 1];
	const char *xs = json_str(jwk, "x"), *ys = json_str(jwk, "y");
	if (!xs || !ys || b64url_decode(xs, x, sizeof x, &xl) || b64url_decode(ys, y, sizeof y, &yl) ||
	    xl != w || yl != w)
		return err_set(e, ERR_KEYSTORE, "%s: the JWK's x and y are not base64url %zu-byte coordinates",
			       ks->signer, w);
	memset(&ks->pub, 0, sizeof ks->pub);
	ks->pub.algo = az_curves[c].algo;
	memcpy(ks->pub.xy, x, w);
	memcpy(ks->pub.xy + w, y, w);
	EVP_PKEY *pk = pubkey_to_evp(&ks->pub, e); /* on the curve */
	if (!pk)
		return err_prefix(e, "%s: the JWK", ks->signer);
	EVP_PKEY_free(pk);
	return 0;
}

static int has_op(json_object *jwk, const char *op)
{
	json_object *ops = json_path(jwk, "key_ops", NULL);
	if (!ops || !json_object_is_type(ops, json_type_array))
		return 1; /* not said: the Sign answer will tell */
	for (size_t i = 0; i < json_object_array_length(ops); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(ops, i)), op))
			return 1;
	return 0;
}

/* The answer of GET {vault}/keys/KEY/VERSION: an EC JWK of the URI's version. */
int azure_key_answer(struct keystore *ks, json_object *r, struct err *e)
{
	struct azure *z = ks->state;
	json_object *jwk = json_path(r, "key", NULL), *enabled = json_path(r, "attributes", "enabled");
	const char *kty = json_str(jwk, "kty"), *crv = json_str(jwk, "crv"), *kid = json_str(jwk, "kid");
	int c = -1;
	for (int i = 0; crv && i < 2; i++)
		if (!strcmp(crv, az_curves[i].crv))
			c = i;
	if (!kty || (strcmp(kty, "EC") && strcmp(kty, "EC-HSM")) || c < 0)
		return err_set(e, ERR_VERIFY, "%s: the key is %s %s; the ROM needs an EC key on P-256 (or P-384 "
			       "for header 2.3), and Key Vault has no brainpool curves", ks->signer,
			       kty ? kty : "of no kty", crv ? crv : "");
	if (!kid_ok(z, kid))
		return err_set(e, ERR_KEYSTORE, "%s: the key's kid %.200s is not version %s", ks->signer,
			       kid ? kid : "(missing)", z->version);
	if ((enabled && !json_object_get_boolean(enabled)) || !has_op(jwk, "sign"))
		return err_set(e, ERR_VERIFY, "%s: the key version is disabled or its key_ops lack sign", ks->signer);
	int rc = jwk_point(ks, jwk, c, e);
	if (rc)
		return rc;
	snprintf(ks->signer, sizeof ks->signer, "%s", kid);
	snprintf(ks->principal, sizeof ks->principal, "azure:%s (%s)",
		 z->auth.client_id[0] ? z->auth.client_id : "-", z->auth.source);
	ks->have_pub = 1;
	return 0;
}

static int azure_public_key(struct keystore *ks, struct err *e)
{
	struct azure *z = ks->state;
	char url[900];
	snprintf(url, sizeof url, "%s/keys/%s/%s?" AZURE_API, z->vault, z->key, z->version);
	struct rest_request rq = { .method = "GET", .url = url, .what = "get key" };
	json_object *r = NULL;
	CURL *h = http_handle_new();
	int rc = h ? rest_call(&z->rest, h, &rq, &r, e) : err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc)
		rc = azure_key_answer(ks, r, e);
	json_object_put(r);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

/* {"kid": ".../keys/KEY/VERSION", "value": base64url(r || s)} */
int azure_sign_answer(struct keystore *ks, json_object *r, struct ks_sig *out, struct err *e)
{
	struct azure *z = ks->state;
	const char *kid = json_str(r, "kid"), *value = json_str(r, "value");
	size_t len = 0;
	if (!kid_ok(z, kid))
		return err_set(e, ERR_KEYSTORE, "%s: the sign answer's kid %.200s is not version %s", ks->signer,
			       kid ? kid : "(missing)", z->version);
	if (!value || b64url_decode(value, out->raw, sizeof out->raw, &len) || len != ecc_sig_len(ks->pub.algo))
		return err_set(e, ERR_KEYSTORE, "%s: the sign answer's value is not a base64url %u-byte r||s",
			       ks->signer, ecc_sig_len(ks->pub.algo));
	if (ks_sig_from_raw(ks, out, e))
		return err_prefix(e, "%s: sign answer", ks->signer);
	snprintf(out->signer, sizeof out->signer, "%s", kid);
	return 0;
}

static int azure_sign(struct keystore *ks, void *w, const uint8_t *digest, size_t len,
		      struct ks_sig *out, struct err *e)
{
	struct azure *z = ks->state;
	int c = ks->pub.algo == ECC_P256 ? 0 : ks->pub.algo == ECC_P384 ? 1 : -1;
	if (c < 0 || len != ecc_digest_len(ks->pub.algo))
		return err_set(e, ERR_INTERNAL, "%s: a %zu-byte digest for a %s key", ks->signer, len,
			       ecc_algo_name(ks->pub.algo));
	char url[900], value[4 * ((ECC_DIGEST_MAX + 2) / 3) + 1];
	snprintf(url, sizeof url, "%s/keys/%s/%s/sign?" AZURE_API, z->vault, z->key, z->version);
	b64url_encode(digest, len, value);
	json_object *body = json_object_new_object(), *r = NULL;
	json_object_object_add(body, "alg", json_object_new_string(az_curves[c].alg));
	json_object_object_add(body, "value", json_object_new_string(value));
	struct rest_request rq = { .method = "POST", .url = url, .what = "sign",
				   .body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) };
	int rc = rest_call(&z->rest, w, &rq, &r, e);
	if (!rc)
		rc = azure_sign_answer(ks, r, out, e);
	json_object_put(body);
	json_object_put(r);
	return rc;
}

static void azure_close(struct keystore *ks)
{
	struct azure *z = ks->state;
	if (z && z->auth.scope[0])
		azure_auth_free(&z->auth);
	free(z);
	ks->state = NULL;
}

const struct ks_ops ks_azure_ops = {
	.scheme = "azurekms",
	.open = azure_open,
	.public_key = azure_public_key,
	.worker_open = ks_http_worker_open,
	.sign = azure_sign,
	.worker_close = ks_http_worker_close,
	.close = azure_close,
};
