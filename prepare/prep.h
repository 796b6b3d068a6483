/* Preparing one image: header with key table, padding and checksum, the
 * payload streamed into a temporary output, the digest the ROM will check. */
#ifndef PREPARE_PREP_H
#define PREPARE_PREP_H

#include <stdint.h>

#include "common/fileio.h"
#include "common/oem_secret.h"
#include "image/image.h"
#include "manifest/manifest.h"

/* A key table: files in table order, loaded once however many images use it. */
struct prep_keyset {
	uint32_t n;
	char paths[STM32_MAX_KEYS][4096];
	struct pubkey keys[STM32_MAX_KEYS];
	int loaded;
};

struct prep_spec {
	char id[MF_ID_MAX];
	char *input;                      /* not owned, except by a release */
	const struct stm32_layout *layout; /* NULL: take the input's */
	int has_type, has_load, has_entry, has_version, has_payload_offset;
	uint32_t type, load, entry, image_version;
	uint32_t payload_offset;          /* file offset of the payload's first byte */
	uint32_t align;                   /* 0 or 1: none */
	struct prep_keyset *keyset;       /* NULL: an image without keys */
	uint32_t key_index;
	char key_uri[MF_URI_MAX];
	/* FSBL encryption: the OEM secret (a file or a pkcs11: URI; never in
	 * the manifest) and the derivation constant. NULL: not encrypted. */
	const char *oem_secret;           /* not owned, except by a release */
	uint32_t dc;
};

/* Result of preparing one image into an open (uncommitted) atomic file. */
struct prep_result {
	struct stm32_image img;
	uint8_t digest[ECC_DIGEST_MAX];
	uint32_t digest_len;
	uint8_t file_sha256[32];
	struct seg segs[STM32_MAX_SEGS];
	size_t nsegs;
	uint8_t table_hash[32];
	char warn[OEM_WARN_MAX];          /* "" or a warning for the caller to print */
};

/* Load the keyset's files (once; a loaded set is left as it is). */
int prep_keyset_load(struct prep_keyset *ks, struct err *e);

/* Prepare into out (opened by the caller with atomic_open; not committed). */
int prep_image(const struct prep_spec *s, struct atomic_file *out, struct prep_result *r,
	       struct err *e);

/* Fill the manifest entry for a prepared image. */
void prep_manifest_entry(const struct prep_spec *s, const struct prep_result *r,
			 const char *file, struct mf_image *m);

#endif
