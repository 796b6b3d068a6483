/* The manifest: what stm32-prep writes and kms-sign-digest signs from.
 * Format "stm32-sign-manifest/1"; see docs/formats.md, "Manifest". */
#ifndef MANIFEST_MANIFEST_H
#define MANIFEST_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/ecdsa.h"
#include "common/err.h"

#define MANIFEST_FORMAT "stm32-sign-manifest/1"
#define MF_ID_MAX 64
#define MF_PATH_MAX 256
#define MF_URI_MAX 512
#define MF_RELEASE_MAX 128
#define MANIFEST_MAX_IMAGES 10000

struct mf_image {
	char id[MF_ID_MAX];
	char file[MF_PATH_MAX];        /* relative to the manifest */
	uint8_t file_sha256[32];
	char header[8];                /* "1.0", "2.0", "2.2" */
	uint32_t binary_type;
	uint32_t image_version;
	uint64_t range_start, range_end;
	uint8_t digest[32];
	char key_uri[MF_URI_MAX];
	uint32_t key_index;
	struct pubkey key;             /* algo and X || Y */
	uint8_t table_hash[32];        /* the OTP value this image expects */
};

struct manifest {
	char release[MF_RELEASE_MAX];
	size_t n, cap;
	struct mf_image *images;
	uint8_t sha256[32];            /* of the document bytes, when read */
};

void manifest_init(struct manifest *m);
void manifest_free(struct manifest *m);
int manifest_add(struct manifest *m, const struct mf_image *img, struct err *e);
const struct mf_image *manifest_find(const struct manifest *m, const char *id);

/* Write atomically (temp file, fsync, rename). Deterministic. */
int manifest_write(const struct manifest *m, const char *path, struct err *e);
/* Read and validate; sets m->sha256 of the file bytes. */
int manifest_read(const char *path, struct manifest *m, struct err *e);
int manifest_parse(const uint8_t *buf, size_t len, const char *name, struct manifest *m,
		   struct err *e);

/* Image ids: 1-63 of [A-Za-z0-9._-], not starting with '.' or '-'. */
int manifest_id_valid(const char *id);
/* Plain file names (no directory): 1-200 of [A-Za-z0-9._+-], not starting with '.' or '-'. */
int manifest_file_name_valid(const char *name);

#endif
