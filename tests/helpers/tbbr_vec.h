/* Reading tests/vectors/tbbr (and cert_create's output): the keys and image
 * hashes as struct tbbr_values, and a certificate's parts. Criterion asserts. */
#ifndef TESTS_TBBR_VEC_H
#define TESTS_TBBR_VEC_H

#include <stddef.h>
#include <stdint.h>

#include "tbbr/cert.h"

/* Keys DIR/keys/{rot,tw,ntw,tos,nt,soc}.pub.pem and images DIR/images/... as
 * the vectors' commands.txt names them; both NV counters = nv. */
void tbbr_vec_values(const char *dir, uint32_t nv, struct tbbr_values *v);
/* The same from explicit key and image directories of files named as in the
 * vectors (keys: NAME.pem or NAME.pub.pem). */
void tbbr_vec_values_from(const char *keys, const char *images, uint32_t nv, struct tbbr_values *v);

struct tbbr_vec_cert {
	uint8_t *der;            /* the whole certificate */
	size_t der_len;
	const uint8_t *tbs;      /* into der */
	size_t tbs_len;
	const uint8_t *sig;      /* the DER ECDSA-Sig-Value, into der */
	size_t sig_len;
	struct tbbr_stamp stamp; /* its serial and validity */
};

void tbbr_vec_read_cert(const char *path, struct tbbr_vec_cert *c);
void tbbr_vec_cert_free(struct tbbr_vec_cert *c);

#endif
