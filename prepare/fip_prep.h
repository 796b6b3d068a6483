/* Preparing a FIP's TF-A certificates: the TBSCertificate of each certificate
 * of the chain (tbbr/cert.c), written next to the manifest with copies of
 * the images the FIP packs, one manifest entry per certificate (kind
 * tbbr-cert) and the fips: item. Files are staged: nothing appears at its
 * final name until the caller commits. */
#ifndef PREPARE_FIP_PREP_H
#define PREPARE_FIP_PREP_H

#include "manifest/manifest.h"
#include "prep.h"
#include "tbbr/cot.h"

struct fip_key_spec {
	int have;
	char path[4096];               /* public key file ("" when taken from the FSBL table) */
	char uri[MF_URI_MAX];
	struct pubkey key;
};

struct fip_spec {
	char id[MF_ID_MAX];            /* "fip": outputs fip.bin, CERT.crt */
	const struct tbbr_chain *chain;
	uint32_t nv[TBBR_NCOUNTERS];
	struct fip_key_spec keys[TBBR_NKEYS];
	char *images[TBBR_NIMAGES];    /* paths; NULL: absent */
	/* The FSBL key table the root key must be a slot of (NULL: not checked). */
	const struct prep_keyset *table;
	const struct stm32_layout *layout; /* of that FSBL header (for its OTP value) */
	uint32_t slot;
	char fsbl[MF_ID_MAX];          /* the FSBL image id in the same manifest, or "" */
	int64_t not_before;            /* SOURCE_DATE_EPOCH or TBBR_DEFAULT_EPOCH */
};

/* Files written to a directory under temporary names, renamed together. */
struct stage {
	char (*tmp)[4096];
	char (*final)[4096];
	size_t n, cap;
};

void stage_init(struct stage *s);
int stage_write(struct stage *s, const char *path, const void *data, size_t len, struct err *e);
int stage_commit(struct stage *s, struct err *e);
/* Remove every staged file (and, after a failed commit, the renamed ones). */
void stage_abort(struct stage *s);
void stage_free(struct stage *s);

/* Parse "ROLE=PUBKEY.pem,URI" and "NAME=FILE" (the command line's --key and
 * --image); ERR_USAGE naming the argument. */
int fip_parse_key_arg(struct fip_spec *f, const char *arg, struct err *e);
int fip_parse_image_arg(struct fip_spec *f, const char *arg, struct err *e);
/* Load the keys; take root from the table slot when it is not given; check
 * root against the table; every key and image the chain needs, none it does not. */
int fip_spec_resolve(struct fip_spec *f, struct err *e);
/* Build, stage into dir and add to m. */
int prep_fip(const struct fip_spec *f, const char *dir, struct stage *st, struct manifest *m,
	     struct err *e);
/* SOURCE_DATE_EPOCH when set (a number), else TBBR_DEFAULT_EPOCH. */
int fip_not_before(int64_t *out, struct err *e);
void fip_spec_free(struct fip_spec *f);

#endif
