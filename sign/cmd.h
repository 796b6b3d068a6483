#ifndef SIGN_CMD_H
#define SIGN_CMD_H

#include <signal.h>

#include "config.h"
#include "signer_conf.h"

struct sign_opts {
	struct sign_config cfg;
	const char *manifest, *output;
	int review, resume, json, quiet;
	const char *pubkey_uri; /* the pubkey verb */
	const char *config;     /* --config, or NULL for the default path */
	const char *audit_log;  /* --audit-log (else the configuration's audit_log) */
	const char *audit_verify; /* the audit verify verb: the log to check */
	struct signer_conf conf;
};

/* Set by SIGINT / SIGTERM: the batch stops taking images, finishes those in
 * flight, and says what was kept. */
extern volatile sig_atomic_t sign_interrupted;

int cmd_sign(struct sign_opts *o);
int cmd_pubkey(struct sign_opts *o);
int cmd_audit_verify(struct sign_opts *o);

#endif
