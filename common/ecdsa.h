/* ECDSA helpers shared by both sides of the gap: public keys as the STM32
 * header stores them (X || Y, big-endian, 32 + 32 bytes for the 256-bit
 * curves, 48 + 48 for the 384-bit ones), raw <-> DER signatures, and
 * verification of a signature over a digest (SHA-256, or SHA-384 for the
 * 384-bit curves). Every width follows from the curve's row below.
 * Lives in common/ because the signer needs it and must not link image/. */
#ifndef COMMON_ECDSA_H
#define COMMON_ECDSA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "err.h"

/* ecc_algo values of the STM32 header (3 and 4: header v2.3 only). */
enum ecc_algo {
	ECC_P256 = 1,
	ECC_BRAINPOOL_P256T1 = 2,
	ECC_P384 = 3,
	ECC_BRAINPOOL_P384T1 = 4,
};

/* Largest widths, for buffers; the actual ones come from the curve. */
#define ECC_COORD_MAX 48
#define ECC_XY_MAX 96
#define ECC_RAW_SIG_MAX 96
#define ECC_DIGEST_MAX 48
#define ECC_DER_SIG_MAX 112

/* One row per curve: every width and name that depends on it. */
struct ecc_curve {
	uint32_t algo;
	const char *group;      /* OpenSSL group name */
	const char *name;       /* for people: "P-384" */
	const char *manifest;   /* in documents: "ecdsa-p384-sha384" */
	const char *digest;     /* "sha256" | "sha384" (documents, OpenSSL) */
	uint32_t coord;         /* bytes of X, Y, r and s */
	uint32_t digest_len;    /* 32 | 48 */
};

/* The row of an ecc_algo value, or NULL. */
const struct ecc_curve *ecc_curve(uint32_t algo);
/* Widths of an algorithm (0 for an unknown one). */
uint32_t ecc_coord(uint32_t algo);
uint32_t ecc_xy_len(uint32_t algo);
uint32_t ecc_sig_len(uint32_t algo);
uint32_t ecc_digest_len(uint32_t algo);
/* The OpenSSL digest of the curve (SHA-256 or SHA-384); NULL when unknown. */
const EVP_MD *ecc_md(uint32_t algo);

/* Unused bytes of xy (past ecc_xy_len) are zero, so keys compare with memcmp. */
struct pubkey {
	uint32_t algo;          /* enum ecc_algo */
	uint8_t xy[ECC_XY_MAX]; /* X || Y */
};

/* Same algorithm and same point. */
int pubkey_equal(const struct pubkey *a, const struct pubkey *b);

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

/* DER SEQUENCE{r,s} -> fixed-width r || s of the curve of algo (each half
 * left-padded to its coordinate width). Strict: canonical DER, no trailing
 * bytes, r and s in [1, n-1] for that curve's order n. */
int sig_der_to_raw(const uint8_t *der, size_t len, uint32_t algo,
		   uint8_t *raw, struct err *e);
/* r || s (ecc_sig_len(algo) bytes) -> minimal DER. */
int sig_raw_to_der(const uint8_t *raw, uint32_t algo, uint8_t *der, size_t max,
		   size_t *len, struct err *e);

/* Verify raw r || s over a digest of the curve's length (no further hashing).
 * Returns 0 when valid, ERR_VERIFY when not, another code on error. */
int ecdsa_verify_digest(const struct pubkey *k, const uint8_t *digest,
			const uint8_t *raw, struct err *e);

/* The same over a digest of any length (e.g. SHA-256 offered to a P-384 key:
 * what --explain tries). */
int ecdsa_verify_len(const struct pubkey *k, const uint8_t *digest, size_t dlen,
		     const uint8_t *raw, struct err *e);

/* SHA-256 helpers */
void sha256(const void *data, size_t len, uint8_t out[32]);

#endif
