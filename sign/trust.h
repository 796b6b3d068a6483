/* What a manifest may choose on the signing host: a key, by URI, and
 * nothing about how it is reached. Checked before anything is loaded. */
#ifndef SIGN_TRUST_H
#define SIGN_TRUST_H

#include "common/err.h"
#include "signer_conf.h"

/* May the manifest's uri be used here? *kc is its configuration (may be
 * NULL for AWS keys when no configuration was read). */
int trust_manifest_key(const char *uri, const struct signer_conf *c, const struct key_conf **kc,
		       struct err *e);

#endif
