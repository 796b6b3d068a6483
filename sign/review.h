/* --review: what a run would sign, which key and policy each image meets,
 * and which fields this host cannot check (it never sees the image). */
#ifndef SIGN_REVIEW_H
#define SIGN_REVIEW_H

#include "manifest/manifest.h"
#include "signer_conf.h"

void review_text(const struct manifest *m, const struct signer_conf *c);
void review_json(const struct manifest *m, const struct signer_conf *c);

#endif
