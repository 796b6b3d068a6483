/* The FIP's certificate chain checked as BL2 checks it (TF-A's TBBR auth
 * with the mbedTLS parser): each certificate parsed by BL2's rules, each
 * signature verified with the key its parent certificate carries (the root
 * key: against the ROM-verified FSBL header's key table and the OTP value),
 * every image hash, the trusted and non-trusted NV counters. The verdict
 * names the certificate and the field that breaks the chain. */
#ifndef TBBR_CHAIN_H
#define TBBR_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "common/ecdsa.h"
#include "common/err.h"
#include "cot.h"
#include "image/image.h"

struct tbbr_check {
	const struct tbbr_chain *chain;
	const uint8_t *der[TBBR_MAX_CERTS];   /* in chain->certs order; NULL: missing */
	size_t len[TBBR_MAX_CERTS];
	uint8_t hash[TBBR_NIMAGES][32];       /* SHA-256 of the images BL2 would load */
	unsigned have_image;                  /* bit 1 << enum tbbr_img; an image not there
						 is not checked (BL2 checks what it loads) */
	int has_nv;                           /* expected counters (the release's) */
	uint32_t nv[TBBR_NCOUNTERS];
	/* Where BL2 takes the root key from: the signed FSBL header (pk_hashes[pk_idx]
	 * for a key table, the embedded key otherwise) whose table hash must be the
	 * OTP value; without a header, an OTP value is SHA-256(X || Y) of the root
	 * key (MP15). Any may be NULL; root_key: the key the release expects. */
	const struct stm32_image *fsbl;
	const uint8_t *otp;
	const struct pubkey *root_key;
};

/* 0 when the chain holds; ERR_VERIFY (a check) or ERR_INPUT (a certificate
 * BL2 cannot parse) with "certificate NAME: what" otherwise. */
int tbbr_chain_check(const struct tbbr_check *c, struct err *e);


#endif
