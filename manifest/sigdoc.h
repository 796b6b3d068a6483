/* The signatures document: kms-sign-digest's answer to one manifest.
 * Format "stm32-sign-signatures/2" (version 1 still reads); see docs/formats.md. */
#ifndef MANIFEST_SIGDOC_H
#define MANIFEST_SIGDOC_H

#include <stddef.h>
#include <stdint.h>

#include "common/ecdsa.h"
#include "manifest.h"

#define SIGDOC_FORMAT "stm32-sign-signatures/2"
#define SIGDOC_FORMAT_V1 "stm32-sign-signatures/1"

struct sig_entry {
	char id[MF_ID_MAX];
	uint32_t algo;                /* the curve: every width follows from it */
	uint8_t digest[ECC_DIGEST_MAX];
	char key_uri[MF_URI_MAX];
	char signer[MF_URI_MAX];      /* KMS key ARN, PKCS#11 object, file */
	uint8_t public_key[ECC_XY_MAX]; /* the key the signer checked */
	uint8_t der[ECC_DER_SIG_MAX]; /* as returned (PKCS#11: built from r||s) */
	size_t der_len;
	uint8_t raw[ECC_RAW_SIG_MAX]; /* r || s, each half at the curve's width */
};

struct sigdoc {
	uint8_t manifest_sha256[32];
	char release[MF_RELEASE_MAX];
	int complete;                 /* 0: an interrupted run; --resume continues it */
	size_t n, cap;
	struct sig_entry *entries;
};

void sigdoc_init(struct sigdoc *d);
void sigdoc_free(struct sigdoc *d);
int sigdoc_add(struct sigdoc *d, const struct sig_entry *s, struct err *e);
const struct sig_entry *sigdoc_find(const struct sigdoc *d, const char *id);
int sigdoc_write(const struct sigdoc *d, const char *path, struct err *e);
int sigdoc_read(const char *path, struct sigdoc *d, struct err *e);
int sigdoc_parse(const uint8_t *buf, size_t len, const char *name, struct sigdoc *d, struct err *e);

/* A signature value as people paste it: hex or base64 of DER or raw r||s.
 * Normalises to fixed-width raw (no low-S rewriting). */
int sig_parse_any(const char *text, uint32_t algo, uint8_t *raw, struct err *e);

#endif
