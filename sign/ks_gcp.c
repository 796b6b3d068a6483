/* gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V:
 * a key version of Google Cloud KMS. The version is required (an asymmetric
 * key has no primary version). Every request and answer carries CRC32C
 * checksums, as Google asks clients to check them: the digest's goes out,
 * and the answer's verifiedDigestCrc32c, signatureCrc32c (or pemCrc32c) and
 * name are checked; an answer that fails is asked for again, then reported.
 * The endpoint is CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS as gcloud reads
 * it (https://HOST[:PORT]/, then v1/...), the CA bundle
 * CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "crc32c.h"
#include "gcp_auth.h"
#include "keystore.h"
#include "signer_conf.h"

#define GCP_ENDPOINT "https://cloudkms.googleapis.com/"
#define GCP_INTEGRITY_TRIES 3 /* answers asked for when one fails its checksum or name */

struct gcp {
	struct rest_client rest;
	struct gcp_auth auth;
	char name[MF_URI_MAX];  /* projects/.../cryptoKeyVersions/V */
	char base[600];         /* the endpoint and v1/ */
	char ca[4096];
};

/* The algorithms of Cloud KMS the ROM verifies, and each one's digest field. */
static const struct {
	uint32_t algo;
	const char *name, *digest;
} gcp_algos[] = {
	{ ECC_P256, "EC_SIGN_P256_SHA256", "sha256" },
	{ ECC_P384, "EC_SIGN_P384_SHA384", "sha384" },
};
#define GCP_NALGOS (sizeof gcp_algos / sizeof gcp_algos[0])

static int algo_of(uint32_t algo)
{
	for (size_t i = 0; i < GCP_NALGOS; i++)
		if (gcp_algos[i].algo == algo)
			return (int)i;
	return -1;
}

/* A resource id: letters, digits, '-', '_' (and '.', ':' of older project ids); a version: digits. */
static int id_ok(const char *s, size_t n, int version)
{
	for (size_t i = 0; i < n; i++)
		if (version ? !isdigit((unsigned char)s[i])
			    : !isalnum((unsigned char)s[i]) && !strchr("-_.:", s[i]))
			return 0;
	return n > 0 && n < 64;
}

static int parse_uri(struct keystore *ks, struct gcp *g, struct err *e)
{
	static const char *const kinds[] = { "projects", "locations", "keyRings", "cryptoKeys",
					     "cryptoKeyVersions" };
	const char *name = ks->uri + strlen("gcpkms://"), *p = name;
	size_t seg = 0;
	while (seg < 5 && *p) {
		size_t kl = strlen(kinds[seg]), vl = strcspn(p + kl + 1, "/");
		if (strncmp(p, kinds[seg], kl) || p[kl] != '/' || !id_ok(p + kl + 1, vl, seg == 4))
			break;
		p += kl + 1 + vl;
		seg++;
		if (*p == '/' && p[1])
			p++;
		else if (*p)
			break;
	}
	if (seg == 4 && !*p)
		return err_set(e, ERR_USAGE, "%s: the version is required (.../cryptoKeyVersions/N): an "
			       "asymmetric key has no primary version, and every signature must come from the "
			       "version the manifest was checked against; nothing was sent", ks->signer);
	if (seg < 5 || *p || strlen(name) >= sizeof g->name)
		return err_set(e, ERR_USAGE, "%s: expected gcpkms://projects/P/locations/L/keyRings/R/"
			       "cryptoKeys/K/cryptoKeyVersions/N", ks->signer);
	snprintf(g->name, sizeof g->name, "%s", name);
	return 0;
}

/* The key's endpoint (signer configuration), else gcloud's override, else Google's. */
static int settings(struct keystore *ks, struct gcp *g, struct err *e)
{
	const char *env = getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS");
	const char *ep = ks->conf && ks->conf->endpoint[0] ? ks->conf->endpoint
			 : env && *env ? env : GCP_ENDPOINT;
	const char *what = ks->conf && ks->conf->endpoint[0] ? "the key's endpoint"
			   : "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS";
	size_t n = strlen(ep);
	if (strncmp(ep, "https://", 8) || n < 10 || ep[n - 1] != '/' || n + 4 >= sizeof g->base)
		return err_set(e, ERR_USAGE, "%s: %s %.200s must be https://HOST[:PORT]/ with the trailing "
			       "'/', as gcloud takes it (requests carry the token)", ks->signer, what, ep);
	snprintf(g->base, sizeof g->base, "%sv1/", ep);
	const char *ca = getenv("CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE");
	if (ca && strlen(ca) >= sizeof g->ca)
		return err_set(e, ERR_USAGE, "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE is too long");
	snprintf(g->ca, sizeof g->ca, "%s", ca ? ca : "");
	return 0;
}

static int gcp_auth_cb(void *arg, int refresh, struct curl_slist **hdrs, struct err *e)
{
	return gcp_auth_header(arg, refresh, hdrs, e);
}

static int gcp_open(struct keystore *ks, const struct sign_config *cfg, struct err *e)
{
	struct gcp *g = calloc(1, sizeof *g);
	if (!g)
		return err_set(e, ERR_INTERNAL, "out of memory");
	ks->state = g;
	int rc = parse_uri(ks, g, e);
	if (!rc)
		rc = settings(ks, g, e);
	const char *tf = cfg->gcp_access_token_file ? cfg->gcp_access_token_file
			 : ks->conf && ks->conf->access_token_file[0] ? ks->conf->access_token_file : NULL;
	if (!rc)
		rc = gcp_auth_init(&g->auth, cfg, tf, g->ca[0] ? g->ca : NULL, e);
	if (rc)
		return rc;
	rest_client_init(&g->rest, cfg, "Cloud KMS");
	g->rest.ca_bundle = g->ca[0] ? g->ca : NULL;
	g->rest.auth = gcp_auth_cb;
	g->rest.auth_arg = &g->auth;
	g->rest.refresh_on_401 = 1;
	g->rest.parse_error = oauth_error;
	return 0;
}

/* An int64 of an answer: a JSON string, as proto3 writes it, or a number. */
static int json_u32(json_object *o, const char *key, uint32_t *v)
{
	json_object *x = json_path(o, key, NULL);
	const char *s = x && (json_object_is_type(x, json_type_string) || json_object_is_type(x, json_type_int))
				? json_object_get_string(x) : NULL;
	char *end;
	unsigned long long n = s && isdigit((unsigned char)*s) ? strtoull(s, &end, 10) : 0;
	if (!s || !isdigit((unsigned char)*s) || *end || n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

static int name_ok(struct keystore *ks, json_object *r, const char *what, struct err *e)
{
	const struct gcp *g = ks->state;
	const char *name = json_str(r, "name");
	if (name && !strcmp(name, g->name))
		return 0;
	return err_set(e, ERR_KEYSTORE, "%s: the %s answer names %.300s, not the version asked for", ks->signer,
		       what, name ? name : "no key (name is missing)");
}

/* GET {name}/publicKey: {pem, pemCrc32c, algorithm, name}. */
int gcp_key_answer(struct keystore *ks, json_object *r, int *corrupt, struct err *e)
{
	struct gcp *g = ks->state;
	const char *pem = json_str(r, "pem"), *alg = json_str(r, "algorithm");
	uint32_t crc = 0;
	*corrupt = 1;
	if (name_ok(ks, r, "public key", e))
		return e->code;
	if (!pem || json_u32(r, "pemCrc32c", &crc))
		return err_set(e, ERR_KEYSTORE, "%s: the public key answer has no pem or no pemCrc32c", ks->signer);
	if (crc32c(pem, strlen(pem)) != crc)
		return err_set(e, ERR_KEYSTORE, "%s: the public key answer's pemCrc32c %u is not the CRC32C of "
			       "its pem (%u): corrupted in transit", ks->signer, crc, crc32c(pem, strlen(pem)));
	*corrupt = 0;
	int a = -1;
	for (size_t i = 0; alg && i < GCP_NALGOS; i++)
		if (!strcmp(alg, gcp_algos[i].name))
			a = (int)i;
	if (a < 0)
		return err_set(e, ERR_VERIFY, "%s: the key version's algorithm is %.60s; the ROM needs "
			       "EC_SIGN_P256_SHA256 (or EC_SIGN_P384_SHA384 for header 2.3), and Cloud KMS has no "
			       "brainpool keys", ks->signer, alg ? alg : "missing");
	if (ks_pubkey_from_pem(pem, &ks->pub, e) || ks->pub.algo != gcp_algos[a].algo)
		return err_set(e, ERR_KEYSTORE, "%s: the answer's pem is not a %s public key", ks->signer,
			       ecc_algo_name(gcp_algos[a].algo));
	snprintf(ks->signer, sizeof ks->signer, "%s", g->name);
	snprintf(ks->principal, sizeof ks->principal, "gcp:%s (%s)",
		 g->auth.account[0] ? g->auth.account : "-", g->auth.source);
	ks->have_pub = 1;
	return 0;
}

/* POST {name}:asymmetricSign: {signature (DER), signatureCrc32c, verifiedDigestCrc32c, name}. */
int gcp_sign_answer(struct keystore *ks, json_object *r, struct ks_sig *out, int *corrupt, struct err *e)
{
	struct gcp *g = ks->state;
	const char *sig = json_str(r, "signature");
	json_object *verified = json_path(r, "verifiedDigestCrc32c", NULL);
	uint32_t crc = 0;
	*corrupt = 1;
	if (name_ok(ks, r, "sign", e))
		return e->code;
	if (!verified || !json_object_is_type(verified, json_type_boolean) || !json_object_get_boolean(verified))
		return err_set(e, ERR_KEYSTORE, "%s: the sign answer's verifiedDigestCrc32c is not true: Cloud KMS "
			       "did not check the digest's checksum", ks->signer);
	if (!sig || json_u32(r, "signatureCrc32c", &crc) ||
	    b64_decode(sig, out->der, sizeof out->der, &out->der_len))
		return err_set(e, ERR_KEYSTORE, "%s: the sign answer has no base64 signature or no signatureCrc32c",
			       ks->signer);
	if (crc32c(out->der, out->der_len) != crc)
		return err_set(e, ERR_KEYSTORE, "%s: the sign answer's signatureCrc32c %u is not the CRC32C of its "
			       "signature (%u): corrupted in transit", ks->signer, crc, crc32c(out->der, out->der_len));
	*corrupt = 0;
	if (ks_sig_from_der(ks, out, e))
		return err_prefix(e, "%s: sign answer", ks->signer);
	snprintf(out->signer, sizeof out->signer, "%s", g->name);
	return 0;
}

typedef int (*answer_fn)(struct keystore *ks, json_object *r, void *out, int *corrupt, struct err *e);

static int key_check(struct keystore *ks, json_object *r, void *out, int *corrupt, struct err *e)
{
	(void)out;
	return gcp_key_answer(ks, r, corrupt, e);
}

static int sign_check(struct keystore *ks, json_object *r, void *out, int *corrupt, struct err *e)
{
	return gcp_sign_answer(ks, r, out, corrupt, e);
}

/* A request whose answer is checked; one that fails its checksum or name is
 * asked for again (as Google advises), a few times, then reported. */
static int checked_call(struct keystore *ks, CURL *h, const struct rest_request *rq, answer_fn check,
			void *out, struct err *e)
{
	struct gcp *g = ks->state;
	for (int i = 1;; i++) {
		json_object *r = NULL;
		int corrupt = 0, rc = rest_call(&g->rest, h, rq, &r, e);
		if (!rc)
			rc = check(ks, r, out, &corrupt, e);
		json_object_put(r);
		if (!rc || !corrupt)
			return rc;
		if (i == GCP_INTEGRITY_TRIES) {
			char m[ERR_MSG_MAX];
			snprintf(m, sizeof m, "%s", e->msg);
			return err_set(e, ERR_KEYSTORE, "%s (%d answers, each refused)", m, i);
		}
		if (g->rest.cfg->verbose && g->rest.cfg->log) {
			char line[ERR_MSG_MAX + 40];
			snprintf(line, sizeof line, "%s; asking again", e->msg);
			g->rest.cfg->log(line);
		}
	}
}

static int gcp_public_key(struct keystore *ks, struct err *e)
{
	struct gcp *g = ks->state;
	char url[1400];
	snprintf(url, sizeof url, "%s%s/publicKey", g->base, g->name);
	struct rest_request rq = { .method = "GET", .url = url, .what = "get public key" };
	CURL *h = http_handle_new();
	int rc = h ? checked_call(ks, h, &rq, key_check, NULL, e) : err_set(e, ERR_INTERNAL, "out of memory");
	if (h)
		curl_easy_cleanup(h);
	if (rc && !strstr(e->msg, g->name)) /* the credentials failed: say for which key */
		err_prefix(e, "%s", ks->signer);
	return rc;
}

static int gcp_sign(struct keystore *ks, void *w, const uint8_t *digest, size_t len, struct ks_sig *out,
		    struct err *e)
{
	struct gcp *g = ks->state;
	int a = algo_of(ks->pub.algo);
	if (a < 0 || len != ecc_digest_len(ks->pub.algo))
		return err_set(e, ERR_INTERNAL, "%s: a %zu-byte digest for a %s key", ks->signer, len,
			       ecc_algo_name(ks->pub.algo));
	char url[1400], b64[4 * ((ECC_DIGEST_MAX + 2) / 3) + 1], crc[16];
	snprintf(url, sizeof url, "%s%s:asymmetricSign", g->base, g->name);
	b64_encode(digest, len, b64);
	snprintf(crc, sizeof crc, "%u", crc32c(digest, len));
	json_object *body = json_object_new_object(), *d = json_object_new_object();
	json_object_object_add(d, gcp_algos[a].digest, json_object_new_string(b64));
	json_object_object_add(body, "digest", d);
	json_object_object_add(body, "digestCrc32c", json_object_new_string(crc)); /* int64: a string */
	struct rest_request rq = { .method = "POST", .url = url, .what = "sign",
				   .body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
									 JSON_C_TO_STRING_NOSLASHESCAPE) };
	int rc = checked_call(ks, w, &rq, sign_check, out, e);
	json_object_put(body);
	return rc;
}

static void gcp_close(struct keystore *ks)
{
	struct gcp *g = ks->state;
	if (g && g->auth.source[0])
		gcp_auth_free(&g->auth);
	free(g);
	ks->state = NULL;
}

const struct ks_ops ks_gcp_ops = {
	.scheme = "gcpkms",
	.open = gcp_open,
	.public_key = gcp_public_key,
	.worker_open = ks_http_worker_open,
	.sign = gcp_sign,
	.worker_close = ks_http_worker_close,
	.close = gcp_close,
};
