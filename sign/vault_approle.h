/* Vault / OpenBao AppRole login, configured per key in signer.yaml:
 *   approle: { role_id: ID, secret_id_file: PATH, mount: approle }
 * (see docs/formats.md). */
#ifndef SIGN_VAULT_APPROLE_H
#define SIGN_VAULT_APPROLE_H

#include <stddef.h>

#include "common/err.h"
#include "rest.h"
#include "signer_conf.h"

/* A client token for the configured role; *lease: its lease in seconds (0:
 * it does not end). addr has no trailing slash; ns may be NULL or "". */
int vault_approle_login(const struct rest_client *base, const char *addr, const char *ns,
			const struct key_conf *kc, char *token, size_t n, long *lease, struct err *e);

#endif
