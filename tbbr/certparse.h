/* A TF-A certificate read as BL2 reads it (TF-A drivers/auth/mbedtls/
 * mbedtls_x509_parser.c): the whole buffer is one Certificate, the version
 * bytes are exactly A0 03 02 01 02, the two signature AlgorithmIdentifiers
 * are byte-identical, the extensions are the last field of the TBS, and the
 * signature BIT STRING ends the buffer. Pointers are into the buffer. */
#ifndef TBBR_CERTPARSE_H
#define TBBR_CERTPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define TBBR_PARSE_MAX_EXTS 16

struct tbbr_x509_ext {
	char oid[64];              /* dotted text */
	int critical;
	const uint8_t *val;        /* the OCTET STRING's contents */
	size_t len;
};

struct tbbr_x509 {
	const uint8_t *tbs;        /* the whole TBSCertificate element */
	size_t tbs_len;
	const uint8_t *alg;        /* the signature AlgorithmIdentifier (both are equal) */
	size_t alg_len;
	const uint8_t *spki;       /* SubjectPublicKeyInfo element */
	size_t spki_len;
	const uint8_t *sig;        /* the BIT STRING's bytes after the unused-bits byte */
	size_t sig_len;
	struct tbbr_x509_ext ext[TBBR_PARSE_MAX_EXTS];
	size_t next;
};

/* ERR_INPUT naming the field that breaks a rule (the caller prefixes the
 * certificate's name). */
int tbbr_x509_parse(const uint8_t *der, size_t len, struct tbbr_x509 *c, struct err *e);
/* The extension of this OID, or NULL. */
const struct tbbr_x509_ext *tbbr_x509_ext_find(const struct tbbr_x509 *c, const char *oid);
/* Is the AlgorithmIdentifier ecdsa-with-SHA256 (no parameters)? */
int tbbr_x509_alg_is_ecdsa_sha256(const struct tbbr_x509 *c);

#endif
