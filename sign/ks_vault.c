/* hashivault://KEY[?version=N] and openbao://KEY[?version=N]: a transit
 * key of HashiCorp Vault or OpenBao, as cosign names it. The address,
 * token, namespace, CA bundle and mount come from the variables the vault
 * CLI and cosign read (BAO_* first for openbao://). A batch of digests goes
 * out as one request (batch_input). */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/hex.h"
#include "keystore.h"
#include "rest.h"
#include "signer_conf.h"
#include "vault_approle.h"

/* Vault transit answers at most what it is sent; 64 digests keep a request
 * under 8 KiB and an answer under 16 KiB. */
#define VAULT_BATCH 64

struct vault {
	struct rest_client rest;
	int bao;              /* openbao:// */
	char addr[512];       /* without a trailing slash */
	char mount[256];
	char key[256];
	char ns[256];
	char ca[4096];
	char token[4096];
	char token_src[64];
	const struct key_conf *approle; /* AppRole login configured, or NULL */
	pthread_mutex_t mu;   /* the token, when an AppRole login renews it */
	time_t renew_at;      /* 0: never */
	unsigned version;     /* pinned: from the URI, or the latest when the key is read */
};

/* BAO_NAME then VAULT_NAME for openbao://, VAULT_NAME for hashivault://. */
static const char *venv(const struct vault *v, const char *name)
{
	char bao[64];
	snprintf(bao, sizeof bao, "BAO_%s", name);
	const char *s = v->bao ? getenv(bao) : NULL;
	if (!s || !*s) {
		char var[64];
		snprintf(var, sizeof var, "VAULT_%s", name);
		s = getenv(var);
	}
	return s && *s ? s : NULL;
}

static int key_name_ok(const char *k, size_t len)
{
	if (!len || (len <= 2 && !strncmp(k, "..", len)))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)k[i]) && !strchr("-_.", k[i]))
			return 0;
	return 1;
}

static int parse_uri(struct keystore *ks, struct vault *v, struct err *e)
{
	const char *rest = strstr(ks->uri, "://") + 3;
	size_t klen = strcspn(rest, "?");
	if (!key_name_ok(rest, klen) || klen >= sizeof v->key)
		return err_set(e, ERR_USAGE, "%s: expected %s://KEY[?version=N], KEY of letters, digits, "
			       "'-', '_' and '.'", ks->signer, v->bao ? "openbao" : "hashivault");
	snprintf(v->key, sizeof v->key, "%.*s", (int)klen, rest);
	const char *q = rest[klen] ? rest + klen + 1 : NULL;
	if (!q)
		return 0;
	char *end;
	unsigned long n = strncmp(q, "version=", 8) ? 0 : strtoul(q + 8, &end, 10);
	if (!n || *end || n > 1000000 || !isdigit((unsigned char)q[8]))
		return err_set(e, ERR_USAGE, "%s: the only attribute is version=N (a key version, from 1)",
			       ks->signer);
	v->version = (unsigned)n;
	return 0;
}

/* Log in with the configured AppRole; renew at half a short lease, or a
 * minute before a long one ends. */
static int approle_login(struct vault *v, struct err *e)
{
	long lease = 0;
	int rc = vault_approle_login(&v->rest, v->addr, v->ns, v->approle, v->token, sizeof v->token, &lease, e);
	if (!rc)
		v->renew_at = lease ? time(NULL) + (lease < 120 ? lease / 2 : lease - 60) : 0;
	return rc;
}

static int load_token(struct vault *v, struct err *e)
{
	const char *t = venv(v, "TOKEN"), *f = venv(v, "TOKEN_FILE"), *home = getenv("HOME");
	char path[4200];
	if (v->approle) {
		snprintf(v->token_src, sizeof v->token_src, "AppRole auth/%.40s",
			 v->approle->approle_mount[0] ? v->approle->approle_mount : "approle");
		return approle_login(v, e);
	}
	if (t) {
		snprintf(v->token_src, sizeof v->token_src, "%s_TOKEN", v->bao && getenv("BAO_TOKEN") ? "BAO" : "VAULT");
		if (strlen(t) >= sizeof v->token)
			return err_set(e, ERR_KEYSTORE, "%s is too long", v->token_src);
		snprintf(v->token, sizeof v->token, "%s", t);
		return 0;
	}
	if (f) {
		snprintf(v->token_src, sizeof v->token_src, "token file");
		return secret_file_read(f, v->token, sizeof v->token, e);
	}
	snprintf(path, sizeof path, "%s/%s", home ? home : "", v->bao ? ".bao-token" : ".vault-token");
	if (home && !access(path, R_OK)) {
		snprintf(v->token_src, sizeof v->token_src, "~/%s", v->bao ? ".bao-token" : ".vault-token");
		return secret_file_read(path, v->token, sizeof v->token, e);
	}
	return err_set(e, ERR_KEYSTORE, "no %s token: set VAULT_TOKEN or VAULT_TOKEN_FILE (or log in "
		       "with '%s login', which writes ~/%s)", v->bao ? "OpenBao" : "Vault",
		       v->bao ? "bao" : "vault", v->bao ? ".bao-token" : ".vault-token");
}

static int vault_auth(void *arg, int refresh, struct curl_slist **hdrs, struct err *e)
{
	struct vault *v = arg;
	char line[4300];
	int rc = 0;
	pthread_mutex_lock(&v->mu);
	/* refresh: the token was refused (revoked or expired early) */
	if (v->approle && (refresh || (v->renew_at && time(NULL) >= v->renew_at)))
		rc = approle_login(v, e);
	snprintf(line, sizeof line, "X-Vault-Token: %s", v->token);
	pthread_mutex_unlock(&v->mu);
	if (rc)
		return rc;
	*hdrs = curl_slist_append(*hdrs, line);
	OPENSSL_cleanse(line, sizeof line);
	if (v->ns[0]) {
		snprintf(line, sizeof line, "X-Vault-Namespace: %s", v->ns);
		*hdrs = curl_slist_append(*hdrs, line);
	}
	return 0;
}

/* {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}: the words. */
static void vault_error(const char *body, char *msg, size_t n)
{
	json_object *o = json_tokener_parse(body), *errs = NULL;
	msg[0] = '\0';
	if (o && json_object_object_get_ex(o, "errors", &errs) && json_object_is_type(errs, json_type_array) &&
	    json_object_array_length(errs)) {
		const char *s = json_object_get_string(json_object_array_get_idx(errs, 0));
		size_t j = 0;
		for (size_t i = 0; s && s[i] && j + 1 < n; i++) {
			char c = (char)(isspace((unsigned char)s[i]) ? ' ' : s[i]);
			if (c != ' ' || (j && msg[j - 1] != ' '))
				msg[j++] = c;
		}
		while (j && msg[j - 1] == ' ')
			j--;
		msg[j] = '\0';
	}
	json_object_put(o);
}

static int settings(struct keystore *ks, struct vault *v, const struct sign_config *cfg, struct err *e)
{
	const char *addr = ks->conf && ks->conf->endpoint[0] ? ks->conf->endpoint : venv(v, "ADDR");
	const char *mount = getenv("TRANSIT_SECRET_ENGINE_PATH"), *ns = venv(v, "NAMESPACE");
	const char *ca = venv(v, "CACERT");
	if (!addr)
		return err_set(e, ERR_USAGE, "%s: set %s to the %s address (https://HOST:8200)", ks->signer,
			       v->bao ? "BAO_ADDR (or VAULT_ADDR)" : "VAULT_ADDR", v->bao ? "OpenBao" : "Vault");
	if (strncmp(addr, "https://", 8))
		return err_set(e, ERR_USAGE, "%s: the address %.200s must be https:// (requests carry the token)",
			       ks->signer, addr);
	size_t alen = strlen(addr);
	while (alen && addr[alen - 1] == '/')
		alen--;
	mount = mount && *mount ? mount : "transit";
	while (*mount == '/')
		mount++;
	if (alen >= sizeof v->addr || strlen(mount) >= sizeof v->mount || (ns && strlen(ns) >= sizeof v->ns) ||
	    (ca && strlen(ca) >= sizeof v->ca) || strstr(mount, ".."))
		return err_set(e, ERR_USAGE, "%s: VAULT_ADDR, VAULT_NAMESPACE, VAULT_CACERT or "
			       "TRANSIT_SECRET_ENGINE_PATH is too long or malformed", ks->signer);
	snprintf(v->addr, sizeof v->addr, "%.*s", (int)alen, addr);
	snprintf(v->mount, sizeof v->mount, "%s", mount);
	size_t mlen = strlen(v->mount);
	while (mlen && v->mount[mlen - 1] == '/')
		v->mount[--mlen] = '\0';
	snprintf(v->ns, sizeof v->ns, "%s", ns ? ns : "");
	snprintf(v->ca, sizeof v->ca, "%s", ca ? ca : "");
	rest_client_init(&v->rest, cfg, v->bao ? "OpenBao" : "Vault");
	v->rest.ca_bundle = v->ca[0] ? v->ca : NULL;
	v->rest.auth = vault_auth;
	v->rest.auth_arg = v;
	v->rest.refresh_on_403 = v->approle != NULL;
	v->rest.parse_error = vault_error;
	return 0;
}

static int vault_open(struct keystore *ks, const struct sign_config *cfg, struct err *e)
{
	struct vault *v = calloc(1, sizeof *v);
	if (!v)
		return err_set(e, ERR_INTERNAL, "out of memory");
	v->bao = !strncmp(ks->uri, "openbao://", 10);
	v->approle = ks->conf && ks->conf->approle_role_id[0] ? ks->conf : NULL;
	pthread_mutex_init(&v->mu, NULL);
	ks->state = v;
	int rc = parse_uri(ks, v, e);
	if (!rc)
		rc = settings(ks, v, cfg, e);
	if (!rc && (rc = load_token(v, e)))
		err_prefix(e, "%s", ks->signer);
	ks->batch_max = cfg->batch_size > 0 ? (size_t)cfg->batch_size : VAULT_BATCH;
	return rc;
}

/* What transit calls each curve it has (no brainpool), and the hash path. */
static const struct {
	uint32_t algo;
	const char *type, *hash;
} vault_curves[] = {
	{ ECC_P256, "ecdsa-p256", "sha2-256" },
	{ ECC_P384, "ecdsa-p384", "sha2-384" },
};

static const char *hash_of(uint32_t algo)
{
	for (size_t i = 0; i < sizeof vault_curves / sizeof vault_curves[0]; i++)
		if (vault_curves[i].algo == algo)
			return vault_curves[i].hash;
	return NULL;
}

/* The answer of GET /v1/MOUNT/keys/KEY: type, the pinned version's key. */
int vault_key_answer(struct keystore *ks, json_object *r, struct err *e)
{
	struct vault *v = ks->state;
	json_object *data = json_path(r, "data", NULL), *latest = json_path(data, "latest_version", NULL);
	const char *type = json_str(data, "type");
	size_t c = 0;
	while (c < 2 && (!type || strcmp(type, vault_curves[c].type)))
		c++;
	if (c == 2)
		return err_set(e, ERR_VERIFY, "%s: the transit key type is %s; the ROM needs ecdsa-p256 (or "
			       "ecdsa-p384 for header 2.3), and transit has no brainpool keys", ks->signer,
			       type ? type : "missing");
	if (!v->version && latest && json_object_get_int64(latest) > 0)
		v->version = (unsigned)json_object_get_int64(latest);
	char ver[16];
	snprintf(ver, sizeof ver, "%u", v->version);
	json_object *kv = json_path(data, "keys", ver);
	const char *pem = json_str(kv, "public_key");
	if (!pem)
		return err_set(e, ERR_KEYSTORE, "%s: the key has no version %s%s%s%s", ks->signer, ver,
			       latest ? " (the latest is " : "", latest ? json_object_get_string(latest) : "",
			       latest ? ")" : "");
	json_object *sup = json_path(data, "supports_signing", NULL);
	if (sup && !json_object_get_boolean(sup))
		return err_set(e, ERR_VERIFY, "%s: the transit key does not support signing", ks->signer);
	if (ks_pubkey_from_pem(pem, &ks->pub, e) || ks->pub.algo != vault_curves[c].algo)
		return err_set(e, ERR_KEYSTORE, "%s: version %s's public_key is not a PEM %s key",
			       ks->signer, ver, ecc_algo_name(vault_curves[c].algo));
	snprintf(ks->signer, sizeof ks->signer, "%s/v1/%s/keys/%s?version=%u", v->addr, v->mount, v->key,
		 v->version);
	snprintf(ks->principal, sizeof ks->principal, "%s token (%s)", v->bao ? "openbao" : "vault",
		 v->token_src);
	ks->have_pub = 1;
	return 0;
}

static int vault_public_key(struct keystore *ks, struct err *e)
{
	struct vault *v = ks->state;
	char url[1200];
	snprintf(url, sizeof url, "%s/v1/%s/keys/%s", v->addr, v->mount, v->key);
	struct rest_request rq = { .method = "GET", .url = url, .what = "read key" };
	json_object *r = NULL;
	CURL *h = http_handle_new();
	int rc = h ? rest_call(&v->rest, h, &rq, &r, e) : err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc)
		rc = vault_key_answer(ks, r, e);
	json_object_put(r);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

/* One signature of an answer: "vault:vN:BASE64(DER)" of the pinned version. */
int vault_signature(struct keystore *ks, json_object *item, struct ks_sig *out, struct err *e)
{
	struct vault *v = ks->state;
	const char *sig = json_str(item, "signature"), *err = json_str(item, "error");
	char prefix[32];
	snprintf(prefix, sizeof prefix, "vault:v%u:", v->version);
	if (err && *err)
		return err_set(e, ERR_KEYSTORE, "%s: sign: %s", ks->signer, err);
	if (!sig)
		return err_set(e, ERR_KEYSTORE, "%s: the sign answer has no signature", ks->signer);
	if (strncmp(sig, prefix, strlen(prefix)))
		return err_set(e, ERR_KEYSTORE, "%s: the signature is of another key version (%.12s...), "
			       "not the pinned version %u", ks->signer, sig, v->version);
	if (b64_decode(sig + strlen(prefix), out->der, sizeof out->der, &out->der_len))
		return err_set(e, ERR_KEYSTORE, "%s: the signature is not base64", ks->signer);
	if (ks_sig_from_der(ks, out, e))
		return err_prefix(e, "%s: sign answer", ks->signer);
	snprintf(out->signer, sizeof out->signer, "%s", ks->signer);
	return 0;
}

/* POST /v1/MOUNT/sign/KEY/sha2-256|sha2-384 with the digest(s) as they are. */
static int sign_request(struct keystore *ks, CURL *h, const uint8_t *const *digests, size_t len,
			size_t n, json_object **r, struct err *e)
{
	struct vault *v = ks->state;
	const char *hash = hash_of(ks->pub.algo);
	if (!hash || len != ecc_digest_len(ks->pub.algo))
		return err_set(e, ERR_INTERNAL, "%s: a %zu-byte digest for a %s key", ks->signer, len,
			       ecc_algo_name(ks->pub.algo));
	char url[1200], b64[4 * ((ECC_DIGEST_MAX + 2) / 3) + 1];
	snprintf(url, sizeof url, "%s/v1/%s/sign/%s/%s", v->addr, v->mount, v->key, hash);
	json_object *body = json_object_new_object(), *batch = n > 1 ? json_object_new_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		b64_encode(digests[i], len, b64);
		if (!batch) {
			json_object_object_add(body, "input", json_object_new_string(b64));
			continue;
		}
		json_object *item = json_object_new_object();
		json_object_object_add(item, "input", json_object_new_string(b64));
		json_object_array_add(batch, item);
	}
	if (batch)
		json_object_object_add(body, "batch_input", batch);
	json_object_object_add(body, "prehashed", json_object_new_boolean(1));
	json_object_object_add(body, "key_version", json_object_new_int64(v->version));
	json_object_object_add(body, "marshaling_algorithm", json_object_new_string("asn1"));
	struct rest_request rq = { .method = "POST", .url = url, .what = "sign",
				   .body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
									 JSON_C_TO_STRING_NOSLASHESCAPE) };
	int rc = rest_call(&v->rest, h, &rq, r, e);
	json_object_put(body);
	return rc;
}

static int vault_sign(struct keystore *ks, void *w, const uint8_t *digest, size_t len,
		      struct ks_sig *out, struct err *e)
{
	json_object *r = NULL;
	int rc = sign_request(ks, w, &digest, len, 1, &r, e);
	if (!rc)
		rc = vault_signature(ks, json_path(r, "data", NULL), out, e);
	json_object_put(r);
	return rc;
}

static void vault_sign_batch(struct keystore *ks, void *w, const uint8_t *const *digests, size_t len,
			     size_t n, struct ks_sig *out, int *rcs, struct err *errs)
{
	json_object *r = NULL, *results = NULL;
	int rc = sign_request(ks, w, digests, len, n, &r, &errs[0]);
	results = rc ? NULL : json_path(r, "data", "batch_results");
	if (!rc && (!results || !json_object_is_type(results, json_type_array) ||
		    json_object_array_length(results) != n))
		rc = err_set(&errs[0], ERR_KEYSTORE, "%s: the sign answer has no batch_results for the %zu "
			     "digests sent", ks->signer, n);
	for (size_t i = 0; i < n; i++) {
		if (rc) {
			rcs[i] = rc;
			errs[i] = errs[0];
			continue;
		}
		rcs[i] = vault_signature(ks, json_object_array_get_idx(results, i), &out[i], &errs[i]);
	}
	json_object_put(r);
}

static void vault_close(struct keystore *ks)
{
	struct vault *v = ks->state;
	if (v) {
		OPENSSL_cleanse(v->token, sizeof v->token);
		pthread_mutex_destroy(&v->mu);
		free(v);
	}
	ks->state = NULL;
}

const struct ks_ops ks_vault_ops = {
	.scheme = "hashivault",
	.open = vault_open,
	.public_key = vault_public_key,
	.worker_open = ks_http_worker_open,
	.sign = vault_sign,
	.sign_batch = vault_sign_batch,
	.worker_close = ks_http_worker_close,
	.close = vault_close,
};
