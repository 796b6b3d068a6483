/* Error codes and messages. Library code never prints or exits: it fills an
 * err and returns its code; the tool's main decides what to show. */
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

#include <stddef.h>

/* Exit codes. Documented in README.md; never renumber. */
enum err_code {
	ERR_OK = 0,
	ERR_VERIFY = 1,   /* a signature, hash, binding or key check failed */
	ERR_USAGE = 2,    /* bad command line */
	ERR_INPUT = 3,    /* malformed input file or document */
	ERR_IO = 4,       /* read/write failure */
	ERR_KEYSTORE = 5, /* key store, credentials or network */
	ERR_INTERNAL = 6, /* out of memory, a bug */
};

#define ERR_MSG_MAX 1024

struct err {
	enum err_code code;
	char msg[ERR_MSG_MAX];
};

/* Set e (when not NULL) and return code. printf-style. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "prefix: " (e.g. a file or image id). */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
