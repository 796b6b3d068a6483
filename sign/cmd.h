#ifndef SIGN_CMD_H
#define SIGN_CMD_H

#include "config.h"

struct sign_opts {
	struct sign_config cfg;
	const char *manifest, *output;
	int review, resume, json, quiet;
	const char *pubkey_uri; /* the pubkey verb */
};

int cmd_sign(struct sign_opts *o);
int cmd_pubkey(struct sign_opts *o);

#endif
