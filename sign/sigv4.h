/* AWS Signature Version 4, written against the published algorithm with
 * OpenSSL's HMAC-SHA256: canonical request -> string to sign -> signature. */
#ifndef SIGN_SIGV4_H
#define SIGN_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

struct sigv4_header {
	const char *name;
	const char *value;
};

struct sigv4_input {
	const char *method;
	const char *path;       /* as sent, e.g. "/" */
	const char *query;      /* after '?', or NULL */
	int normalize_path;     /* every service but S3 */
	const struct sigv4_header *headers; /* the headers to sign, host included */
	size_t nheaders;
	const uint8_t *body;
	size_t body_len;
	const char *amz_date;   /* YYYYMMDDTHHMMSSZ */
	const char *region;
	const char *service;
	const char *access_key;
	const char *secret_key;
};

struct sigv4_output {
	struct buf canonical;
	struct buf string_to_sign;
	struct buf signed_headers;
	char signature[65];
	struct buf authorization; /* the Authorization header value */
};

int sigv4_sign(const struct sigv4_input *in, struct sigv4_output *out, struct err *e);
void sigv4_output_free(struct sigv4_output *out);

#endif
