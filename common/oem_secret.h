/* The FSBL encryption key, derived from the 16-byte OEM secret (the value fused
 * in OTP) and a 32-bit derivation constant dc, as ST's signing tool and the ROM do:
 *   K = AES-CMAC(secret, 00 00 00 01 || "BL2 encryption key." || 00 || LE32(dc) || 00 00 00 80)
 * (NIST SP 800-108 counter mode, one block; spec "FSBL encryption").
 * The secret comes from a file, or stays in a PKCS#11 token whose CKM_AES_CMAC
 * computes the KDF block. The secret is never printed and is cleansed after use;
 * the caller cleanses the derived key (oem_key_clear) when it is done with it. */
#ifndef COMMON_OEM_SECRET_H
#define COMMON_OEM_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define OEM_SECRET_LEN 16
#define OEM_SECRET_LEN_ST_LONG 32 /* ST's tool also takes 32 bytes and uses the first 16 */
#define OEM_KEY_LEN 16
#define OEM_KDF_BLOCK_LEN 32
#define OEM_WARN_MAX 512

/* The derived AES-128 key; clear it with oem_key_clear. */
struct oem_key {
	uint8_t k[OEM_KEY_LEN];
};

/* The KDF input block for dc (32 bytes, no secret in it). */
void oem_kdf_block(uint32_t dc, uint8_t out[OEM_KDF_BLOCK_LEN]);

/* K from a secret in memory (OpenSSL EVP_MAC "CMAC", AES-128-CBC). */
int oem_kdf(const uint8_t secret[OEM_SECRET_LEN], uint32_t dc, struct oem_key *key, struct err *e);

/* Read a secret file: exactly 16 bytes; 32 bytes are accepted (the first 16 are
 * used, and warn says so); any other size is ERR_INPUT naming the file and its
 * size. warn (OEM_WARN_MAX bytes) is "" when there is nothing to say. */
int oem_secret_read(const char *path, uint8_t secret[OEM_SECRET_LEN], char *warn,
		    struct err *e);

/* True when src is a pkcs11: URI rather than a file path. */
int oem_src_is_pkcs11(const char *src);

/* K from a pkcs11: URI naming an AES-128 secret key object (it must allow
 * CKA_SIGN): the CMAC runs in the token, the secret never leaves it. */
int oem_derive_pkcs11(const char *uri, uint32_t dc, struct oem_key *key, struct err *e);

/* K from src: a file path or a pkcs11: URI. Messages name the file, or the URI
 * without its PIN. warn as for oem_secret_read. */
int oem_derive_key(const char *src, uint32_t dc, struct oem_key *key, char *warn, struct err *e);

void oem_key_clear(struct oem_key *key);

#endif
