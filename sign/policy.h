/* The signer configuration's policy, applied to a manifest before any key
 * is fetched or any Sign call is made. */
#ifndef SIGN_POLICY_H
#define SIGN_POLICY_H

#include "common/err.h"
#include "manifest/manifest.h"
#include "signer_conf.h"

/* ERR_VERIFY naming the image, the key and the rule that refuses it. */
int policy_check(const struct manifest *m, const struct signer_conf *c, struct err *e);
/* The policy in words ("headers 2.2; binary types 0x10; image version >= 3;
 * at most 100 images per run"), or "no policy". */
void policy_describe(const struct key_policy *p, char *out, size_t n);

#endif
