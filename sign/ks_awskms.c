/* awskms:///KEYID or awskms://HOST:PORT/KEYID - AWS KMS GetPublicKey / Sign. */
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "keystore.h"
#include "kms.h"

struct awskms {
	struct kms_client client;
	char key_id[MF_URI_MAX];
};

static int awskms_open(struct keystore *ks, const struct sign_config *cfg, struct err *e)
{
	const char *rest = ks->uri + strlen("awskms://");
	const char *slash = strchr(rest, '/');
	if (!slash || !slash[1])
		return err_set(e, ERR_USAGE, "%s: expected awskms:///KEYID or awskms://HOST:PORT/KEYID",
			       ks->signer);
	struct awskms *a = calloc(1, sizeof *a);
	if (!a)
		return err_set(e, ERR_INTERNAL, "out of memory");
	snprintf(a->key_id, sizeof a->key_id, "%s", slash + 1);
	char endpoint[300] = "";
	if (slash > rest)
		snprintf(endpoint, sizeof endpoint, "https://%.*s", (int)(slash - rest), rest);
	int rc = kms_client_init(&a->client, endpoint[0] ? endpoint : NULL, a->key_id, cfg, ks->conf,
				 ks->from_manifest, e);
	if (rc) {
		free(a);
		return err_prefix(e, "%s", ks->uri);
	}
	ks->state = a;
	return 0;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

/* What AWS KMS calls each curve it has (it has no brainpool curves). */
static const struct {
	uint32_t algo;
	const char *spec, *signing;
} aws_curves[] = {
	{ ECC_P256, "ECC_NIST_P256", "ECDSA_SHA_256" },
	{ ECC_P384, "ECC_NIST_P384", "ECDSA_SHA_384" },
};

static int aws_curve(const char *spec)
{
	for (size_t i = 0; spec && i < sizeof aws_curves / sizeof aws_curves[0]; i++)
		if (!strcmp(spec, aws_curves[i].spec))
			return (int)i;
	return -1;
}

static const char *aws_signing_algorithm(uint32_t algo)
{
	for (size_t i = 0; i < sizeof aws_curves / sizeof aws_curves[0]; i++)
		if (aws_curves[i].algo == algo)
			return aws_curves[i].signing;
	return NULL;
}

static int has_algorithm(json_object *o, const char *alg)
{
	json_object *arr = NULL;
	if (!json_object_object_get_ex(o, "SigningAlgorithms", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(arr, i)), alg))
			return 1;
	return 0;
}

int awskms_key_answer(struct keystore *ks, json_object *r, struct err *e)
{
	const char *spec = jstr(r, "KeySpec"), *usage = jstr(r, "KeyUsage");
	const char *pub = jstr(r, "PublicKey"), *arn = jstr(r, "KeyId");
	int c = aws_curve(spec);
	if (c < 0)
		return err_set(e, ERR_VERIFY,
			       "%s: KeySpec is %s, the ROM needs ECC_NIST_P256 (or ECC_NIST_P384 for header 2.3); "
			       "AWS KMS has no brainpool keys", ks->uri, spec ? spec : "missing");
	if (!usage || strcmp(usage, "SIGN_VERIFY"))
		return err_set(e, ERR_VERIFY, "%s: KeyUsage is %s, expected SIGN_VERIFY", ks->uri,
			       usage ? usage : "missing");
	if (!has_algorithm(r, aws_curves[c].signing))
		return err_set(e, ERR_VERIFY, "%s: SigningAlgorithms does not list %s", ks->uri,
			       aws_curves[c].signing);
	uint8_t der[512];
	size_t len;
	if (!pub || b64_decode(pub, der, sizeof der, &len) || pubkey_from_spki(der, len, &ks->pub, e) ||
	    ks->pub.algo != aws_curves[c].algo)
		return err_set(e, ERR_KEYSTORE, "%s: PublicKey is not a base64 %s SubjectPublicKeyInfo",
			       ks->uri, ecc_algo_name(aws_curves[c].algo));
	snprintf(ks->signer, sizeof ks->signer, "%s", arn ? arn : ks->uri);
	ks->have_pub = 1;
	return 0;
}

static int awskms_public_key(struct keystore *ks, struct err *e)
{
	struct awskms *a = ks->state;
	CURL *h = http_handle_new();
	json_object *body = json_object_new_object(), *r = NULL;
	json_object_object_add(body, "KeyId", json_object_new_string(a->key_id));
	int rc = h ? kms_call(&a->client, h, "GetPublicKey", body, &r, e)
		   : err_set(e, ERR_INTERNAL, "out of memory");
	if (!rc)
		rc = awskms_key_answer(ks, r, e);
	if (!rc)
		kms_principal(&a->client, ks->principal, sizeof ks->principal);
	json_object_put(body);
	json_object_put(r);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

int awskms_sign_answer(struct keystore *ks, json_object *r, struct ks_sig *out, struct err *e)
{
	const char *sig = jstr(r, "Signature"), *arn = jstr(r, "KeyId");
	int rc = 0;
	if (!sig || b64_decode(sig, out->der, sizeof out->der, &out->der_len))
		rc = err_set(e, ERR_KEYSTORE, "%s: Sign answer has no base64 Signature", ks->uri);
	if (!rc && (rc = ks_sig_from_der(ks, out, e)))
		err_prefix(e, "%s: Sign answer", ks->uri);
	if (!rc)
		snprintf(out->signer, sizeof out->signer, "%s", arn ? arn : ks->signer);
	return rc;
}

static int awskms_sign(struct keystore *ks, void *w, const uint8_t *digest, size_t dlen,
		       struct ks_sig *out, struct err *e)
{
	struct awskms *a = ks->state;
	char msg[4 * ((ECC_DIGEST_MAX + 2) / 3) + 1];
	const char *alg = aws_signing_algorithm(ks->pub.algo);
	if (!alg || dlen != ecc_digest_len(ks->pub.algo) || dlen > ECC_DIGEST_MAX)
		return err_set(e, ERR_INTERNAL, "%s: a %zu-byte digest for a %s key", ks->uri, dlen,
			       ecc_algo_name(ks->pub.algo));
	b64_encode(digest, dlen, msg);
	json_object *body = json_object_new_object(), *r = NULL;
	json_object_object_add(body, "KeyId", json_object_new_string(a->key_id));
	json_object_object_add(body, "Message", json_object_new_string(msg));
	json_object_object_add(body, "MessageType", json_object_new_string("DIGEST"));
	json_object_object_add(body, "SigningAlgorithm", json_object_new_string(alg));
	int rc = kms_call(&a->client, w, "Sign", body, &r, e);
	if (!rc)
		rc = awskms_sign_answer(ks, r, out, e);
	json_object_put(body);
	json_object_put(r);
	return rc;
}

static void awskms_close(struct keystore *ks)
{
	struct awskms *a = ks->state;
	if (a) {
		kms_client_free(&a->client);
		free(a);
	}
	ks->state = NULL;
}

const struct ks_ops ks_awskms_ops = {
	.scheme = "awskms",
	.open = awskms_open,
	.public_key = awskms_public_key,
	.worker_open = ks_http_worker_open,
	.sign = awskms_sign,
	.worker_close = ks_http_worker_close,
	.close = awskms_close,
};
