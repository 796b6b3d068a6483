/* Key stores: where a key URI leads. One keystore per distinct URI; each
 * worker thread gets its own per-store state (a curl handle, a PKCS#11
 * session) so nothing that belongs to a session crosses threads. */
#ifndef SIGN_KEYSTORE_H
#define SIGN_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/ecdsa.h"
#include "common/err.h"
#include "manifest/manifest.h"

struct sign_config;
struct key_conf;

struct ks_sig {
	uint8_t der[ECC_DER_SIG_MAX];
	size_t der_len;
	uint8_t raw[ECC_RAW_SIG_MAX];  /* r || s at the key's width */
	char signer[MF_URI_MAX]; /* the key that signed: KMS ARN, PKCS#11 object */
};

struct keystore;

struct ks_ops {
	const char *scheme;
	int (*open)(struct keystore *ks, const struct sign_config *cfg, struct err *e);
	/* Fetch and check the public key: fills ks->pub and ks->signer. */
	int (*public_key)(struct keystore *ks, struct err *e);
	void *(*worker_open)(struct keystore *ks, struct err *e);
	/* Sign a digest as it is (never hashed again): 32 bytes (SHA-256) or
	 * 48 (SHA-384), as the key's curve (ks->pub.algo) takes. */
	int (*sign)(struct keystore *ks, void *worker, const uint8_t *digest, size_t len,
		    struct ks_sig *out, struct err *e);
	/* Optional: sign n digests (ks->batch_max at most, all of one length) in
	 * one request. Every item gets its own outcome: rcs[i], and errs[i] when
	 * it failed (a failed request fails every item). */
	void (*sign_batch)(struct keystore *ks, void *worker, const uint8_t *const *digests,
			   size_t len, size_t n, struct ks_sig *out, int *rcs, struct err *errs);
	void (*worker_close)(struct keystore *ks, void *worker);
	void (*close)(struct keystore *ks);
};

struct keystore {
	char uri[MF_URI_MAX];
	const struct ks_ops *ops;
	void *state;
	struct pubkey pub;
	int have_pub;
	char signer[MF_URI_MAX];
	int dev_only; /* file: keys, for development */
	/* the signer configuration's entry for this key (may be NULL), and
	 * whether the URI came from a manifest (not from the operator) */
	const struct key_conf *conf;
	int from_manifest;
	/* who signs, for the audit log: the AWS access key id or the PKCS#11
	 * token serial (set by public_key) */
	char principal[160];
	/* digests per request when the store has sign_batch (0 or 1: one each) */
	size_t batch_max;
};

/* Choose the store for a URI the operator gave and open it (no network
 * yet). On failure nothing stays open. */
int keystore_open(struct keystore *ks, const char *uri, const struct sign_config *cfg,
		  struct err *e);
/* Same, with the key's configuration; from_manifest: the URI came from a
 * manifest (the caller has checked it with trust_manifest_key). */
int keystore_open_key(struct keystore *ks, const char *uri, const struct sign_config *cfg,
		      const struct key_conf *kc, int from_manifest, struct err *e);
void keystore_close(struct keystore *ks);

/* The checks of KMS answers (GetPublicKey, Sign), exposed for the fuzzers. */
struct json_object;
int awskms_key_answer(struct keystore *ks, struct json_object *r, struct err *e);
int awskms_sign_answer(struct keystore *ks, struct json_object *r, struct ks_sig *out, struct err *e);
int vault_key_answer(struct keystore *ks, struct json_object *r, struct err *e);
int vault_signature(struct keystore *ks, struct json_object *item, struct ks_sig *out, struct err *e);
int azure_key_answer(struct keystore *ks, struct json_object *r, struct err *e);
int azure_sign_answer(struct keystore *ks, struct json_object *r, struct ks_sig *out, struct err *e);
/* *corrupt: the answer failed an integrity check (CRC32C, name): worth asking again. */
int gcp_key_answer(struct keystore *ks, struct json_object *r, int *corrupt, struct err *e);
int gcp_sign_answer(struct keystore *ks, struct json_object *r, struct ks_sig *out, int *corrupt,
		    struct err *e);

extern const struct ks_ops ks_file_ops;
extern const struct ks_ops ks_awskms_ops;
extern const struct ks_ops ks_pkcs11_ops;
extern const struct ks_ops ks_vault_ops;
extern const struct ks_ops ks_azure_ops;
extern const struct ks_ops ks_gcp_ops;

/* Fill out->raw from out->der (strict) or out->der from out->raw, at the
 * width of the store's key. */
int ks_sig_from_der(const struct keystore *ks, struct ks_sig *out, struct err *e);
int ks_sig_from_raw(const struct keystore *ks, struct ks_sig *out, struct err *e);
/* A worker of the HTTPS stores: its own libcurl handle (connections reused). */
void *ks_http_worker_open(struct keystore *ks, struct err *e);
void ks_http_worker_close(struct keystore *ks, void *worker);
/* A PEM SubjectPublicKeyInfo (a store's answer) as a key of the ROM's curves. */
int ks_pubkey_from_pem(const char *pem, struct pubkey *out, struct err *e);

#endif
