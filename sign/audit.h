/* The audit log a signing authority hands to an auditor: one JSON line per
 * signature (UTC time, manifest SHA-256, release, image, digest, redacted key
 * URI, the key that signed, who signed, the signature), each line carrying
 * "prev": the SHA-256 of the line before it (64 zeros for the first), so a
 * deleted, inserted or edited line breaks the chain. Appended with O_APPEND
 * and fsync, like the journal. */
#ifndef SIGN_AUDIT_H
#define SIGN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "manifest/sigdoc.h"

struct audit {
	int fd;                  /* -1: no audit log */
	char path[4096];
	uint8_t prev[32];        /* SHA-256 of the last line */
	const uint8_t *manifest_sha256;
	const char *release;
};

/* Open (create) the log for appending and find the hash of its last line;
 * a log whose chain is already broken is refused. */
int audit_open(struct audit *a, const char *path, struct err *e);
/* principal: the AWS access key id or PKCS#11 token serial used. */
int audit_append(struct audit *a, const struct sig_entry *s, const char *principal, struct err *e);
void audit_close(struct audit *a);
/* Check the chain; *lines is the number of lines read. ERR_VERIFY names the
 * first broken line. */
int audit_verify(const char *path, size_t *lines, struct err *e);

#endif
