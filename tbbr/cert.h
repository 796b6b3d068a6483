/* TBSCertificates exactly as TF-A's cert_create makes them (tools/cert_create
 * cert.c, ext.c): version 3, a 64-bit serial, ecdsa-with-SHA256, issuer and
 * subject CN = the certificate's CN (every certificate is self-issued), 20
 * years of validity, subject public key = the signing key, then subject key
 * identifier, authority key identifier (keyid), basic constraints CA:FALSE
 * and the row's extensions, all critical, in the row's order. Library code:
 * errors in struct err, never prints. */
#ifndef TBBR_CERT_H
#define TBBR_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ecdsa.h"
#include "common/err.h"
#include "cot.h"

/* What the certificates carry: keys, image hashes, NV counters. */
struct tbbr_values {
	struct pubkey key[TBBR_NKEYS];
	unsigned have_key;                 /* bit 1 << enum tbbr_key */
	uint8_t hash[TBBR_NIMAGES][32];    /* SHA-256 of each image */
	unsigned have_image;               /* bit 1 << enum tbbr_img; absent optional: zeros */
	uint32_t nv[TBBR_NCOUNTERS];
};

/* cert_create: a random serial and "now to now + 20 years". Ours: notBefore
 * from SOURCE_DATE_EPOCH (the caller passes it) or TBBR_DEFAULT_EPOCH,
 * notAfter 9999-12-31T23:59:59Z (RFC 5280 4.1.2.5: no well-defined
 * expiration; BL2 does not read validity, and a fixed 20 years from a
 * reproducible date would show expired certificates), and unless has_serial a serial derived from the rest of the
 * TBS (the first 8 bytes of SHA-256 of the TBS with serial 1, top bit
 * cleared): the same inputs always give the same bytes. */
struct tbbr_stamp {
	int64_t not_before, not_after;     /* seconds since the epoch */
	int has_serial;
	uint64_t serial;
};

#define TBBR_NOT_AFTER 253402300799 /* 9999-12-31T23:59:59Z, a GeneralizedTime */
#define TBBR_DEFAULT_EPOCH 946684800 /* 2000-01-01T00:00:00Z (BL2 does not read validity) */

void tbbr_stamp_default(struct tbbr_stamp *s, int64_t not_before);

/* The DER TBSCertificate of ce; *der is malloc'd. ERR_INPUT names the
 * missing key or image, or a key on a curve other than a 256-bit one. */
int tbbr_tbs_build(const struct tbbr_cert *ce, const struct tbbr_values *v,
		   const struct tbbr_stamp *st, uint8_t **der, size_t *len, struct err *e);

/* The whole certificate: SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING sig }
 * with the DER ECDSA-Sig-Value sig; *out is malloc'd. */
int tbbr_cert_wrap(const uint8_t *tbs, size_t tbs_len, const uint8_t *sig, size_t sig_len,
		   uint8_t **out, size_t *out_len, struct err *e);

#endif
