/* Shared between the manifest's readers and writers (not a public API). */
#ifndef MANIFEST_MF_INTERNAL_H
#define MANIFEST_MF_INTERNAL_H

#include "manifest.h"
#include "ytree.h"
#include "yout.h"

/* The entry's key map; index and table_hash optional (together) for a
 * certificate's key, required for a header's. */
int mf_read_key(const struct ynode *map, struct mf_image *im, int index_optional, const char *ctx,
		struct err *e);
int mf_read_algorithm(const struct ynode *map, int v1, struct mf_image *im, const char *ctx,
		      struct err *e);
/* Format 3: a kind: tbbr-cert entry, and the fips: list. */
void mf_write_cert(struct yout *y, const struct mf_image *im);
void mf_write_fips(struct yout *y, const struct manifest *m);
int mf_read_cert(const struct ynode *map, struct mf_image *im, const char *ctx, struct err *e);
int mf_read_fips(const struct ynode *root, const char *name, struct manifest *m, struct err *e);

#endif
