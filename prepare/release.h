/* The release file: many images from one YAML document (format
 * "stm32-release/1", see docs/formats.md). Paths are relative to it. */
#ifndef PREPARE_RELEASE_H
#define PREPARE_RELEASE_H

#include "fip_prep.h"
#include "manifest/ytree.h"
#include "prep.h"

#define RELEASE_FORMAT "stm32-release/1"

struct release {
	char name[MF_RELEASE_MAX];
	size_t n;
	struct prep_spec *specs;
	size_t nkeysets;
	struct prep_keyset *keysets;  /* each loaded once, shared by its images */
	char (*keyset_names)[64];
	char (*outputs)[MF_PATH_MAX]; /* file name of each prepared image */
	size_t nfips;                 /* fips: TF-A certificates of FIPs (fip_spec.fsbl: an image id) */
	struct fip_spec *fips;
};

/* The fips: list (release_fip.c); dir anchors its paths. */
int release_read_fips(const struct ynode *root, const char *path, const char *dir, struct release *r,
		      struct err *e);

int release_read(const char *path, struct release *r, struct err *e);
/* path names the file in messages and anchors relative paths. */
int release_parse(const uint8_t *buf, size_t len, const char *path, struct release *r,
		  struct err *e);
void release_free(struct release *r);

#endif
