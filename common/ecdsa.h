/* ECDSA helpers shared by both sides of the gap: public keys as the STM32
 * header stores them (X || Y, 32 + 32 bytes, big-endian), raw <-> DER
 * signatures, and verification of a signature over a 32-byte digest.
 * Lives in common/ because the signer needs it and must not link image/. */
#ifndef COMMON_ECDSA_H
#define COMMON_ECDSA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "err.h"

/* ecc_algo values of the STM32 header. */
enum ecc_algo { ECC_P256 = 1, ECC_BRAINPOOL_P256T1 = 2 };

#define ECC_COORD 32
#define ECC_XY 64
#define ECC_RAW_SIG 64
#define ECC_DER_SIG_MAX 80

struct pubkey {
	uint32_t algo;       /* enum ecc_algo */
	uint8_t xy[ECC_XY];  /* X || Y */
};

const char *ecc_algo_name(uint32_t algo);       /* "P-256" ... or NULL */
const char *ecc_manifest_algorithm(uint32_t algo); /* "ecdsa-p256-sha256" ... */
int ecc_algo_from_manifest(const char *name, uint32_t *algo);

/* Public key from an EVP_PKEY (checks the curve is one the ROM knows). */
int pubkey_from_evp(EVP_PKEY *pk, struct pubkey *out, struct err *e);
/* Load a PEM or DER public key (or the public half of a private key) file. */
int pubkey_load_file(const char *path, struct pubkey *out, struct err *e);
/* Parse a DER SubjectPublicKeyInfo. */
int pubkey_from_spki(const uint8_t *der, size_t len, struct pubkey *out, struct err *e);
/* EVP_PKEY for a public key; checks the point is on the curve. NULL on error. */
EVP_PKEY *pubkey_to_evp(const struct pubkey *k, struct err *e);
/* PEM text of the SubjectPublicKeyInfo; caller frees. */
int pubkey_to_pem(const struct pubkey *k, char **pem, struct err *e);
/* Short fingerprint: first 8 bytes of SHA-256(X||Y) in hex (17 bytes). */
void pubkey_fingerprint(const struct pubkey *k, char out[17]);

/* DER SEQUENCE{r,s} -> fixed-width r || s (each left-padded to 32 bytes).
 * Strict: no trailing bytes, positive integers, r and s in [1, n-1]. */
int sig_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[ECC_RAW_SIG],
		   struct err *e);
/* r || s -> minimal DER. */
int sig_raw_to_der(const uint8_t raw[ECC_RAW_SIG], uint8_t *der, size_t max,
		   size_t *len, struct err *e);

/* Verify raw r || s over a 32-byte digest (no further hashing).
 * Returns 0 when valid, ERR_VERIFY when not, another code on error. */
int ecdsa_verify_digest(const struct pubkey *k, const uint8_t digest[32],
			const uint8_t raw[ECC_RAW_SIG], struct err *e);

/* SHA-256 helpers */
void sha256(const void *data, size_t len, uint8_t out[32]);

#endif
