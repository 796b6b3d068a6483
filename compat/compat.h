/* stm32-sign-compat: ST's signing-tool command line, with key URIs. */
#ifndef COMPAT_COMPAT_H
#define COMPAT_COMPAT_H

#include "prepare/prep.h"
#include "sign/config.h"

struct compat_opts {
	struct prep_spec spec;
	struct prep_keyset keyset;  /* -pubk files */
	const char *output;
	const char *private_key;   /* a key URI, or a PEM path */
	const char *password;
	const char *dump;          /* file to dump after (or without) signing */
	int has_flags;
	uint32_t flags;
	int has_algo;
	uint32_t algo;             /* -a: checked against the signing key */
	int has_dc;                /* -encdc given */
	int no_keys, silent;
	struct sign_config cfg;
};

/* Parse argv as ST's STM32_SigningTool_CLI does; refuses what it does not
 * support, by name. Returns 0, or an exit code after printing. */
int compat_parse(int argc, char **argv, struct compat_opts *o);
int compat_run(struct compat_opts *o);
/* The header as ST's -dump prints it (field names as ST's tool uses them). */
int compat_dump(const char *path);

#endif
