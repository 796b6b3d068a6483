/* Preparing one image: header with key table, padding and checksum, the
 * payload streamed into a temporary output, the digest the ROM will check. */
#ifndef PREPARE_PREP_H
#define PREPARE_PREP_H

#include <stdint.h>

#include "common/fileio.h"
#include "image/image.h"
#include "manifest/manifest.h"

struct prep_spec {
	char id[MF_ID_MAX];
	char input[4096];
	const struct stm32_layout *layout; /* NULL: take the input's */
	int has_type, has_load, has_entry, has_version;
	uint32_t type, load, entry, image_version;
	uint32_t align;                   /* 0 or 1: none */
	uint32_t nkeys;
	char pubkeys[STM32_MAX_KEYS][4096];
	uint32_t key_index;
	char key_uri[MF_URI_MAX];
};

/* Result of preparing one image into an open (uncommitted) atomic file. */
struct prep_result {
	struct stm32_image img;
	uint8_t digest[32];
	uint8_t file_sha256[32];
	uint64_t range_start, range_end;
	uint8_t table_hash[32];
};

/* Check the spec and load its keys without writing anything. */
int prep_load_keys(const struct prep_spec *s, struct pubkey *keys, struct err *e);

/* Prepare into out (opened by the caller with atomic_open; not committed). */
int prep_image(const struct prep_spec *s, struct atomic_file *out, struct prep_result *r,
	       struct err *e);

/* Fill the manifest entry for a prepared image. */
void prep_manifest_entry(const struct prep_spec *s, const struct prep_result *r,
			 const char *file, struct mf_image *m);

#endif
