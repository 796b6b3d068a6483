/* The manifest: what stm32-prep writes and kms-sign-digest signs from.
 * Format "stm32-sign-manifest/2" (version 1 still reads); see docs/formats.md. */
#ifndef MANIFEST_MANIFEST_H
#define MANIFEST_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/ecdsa.h"
#include "common/err.h"

#define MANIFEST_FORMAT "stm32-sign-manifest/2"
#define MANIFEST_FORMAT_V1 "stm32-sign-manifest/1"
#define MF_MAX_SEGS 4
#define MF_ID_MAX 64
#define MF_PATH_MAX 256
#define MF_URI_MAX 512
#define MF_RELEASE_MAX 128
#define MANIFEST_MAX_IMAGES 10000

/* A signed segment [start, end) in file offsets. */
struct mf_seg {
	uint64_t start, end;
};

struct mf_image {
	char id[MF_ID_MAX];
	char file[MF_PATH_MAX];        /* relative to the manifest */
	uint8_t file_sha256[32];
	char header[8];                /* "1.0", "2.0", "2.2", "2.3" */
	uint32_t binary_type;
	uint32_t image_version;
	int has_addresses;             /* load and entry (format 2 on) */
	uint32_t load, entry;
	struct mf_seg segs[MF_MAX_SEGS]; /* what the ROM hashes, in order */
	size_t nsegs;
	uint8_t digest[ECC_DIGEST_MAX]; /* ecc_digest_len(key.algo) bytes */
	char key_uri[MF_URI_MAX];
	uint32_t key_index;
	struct pubkey key;             /* algo and X || Y */
	uint8_t table_hash[32];        /* the OTP value this image expects */
};

/* Bytes of the image's digest (32 for SHA-256, 48 for SHA-384). */
uint32_t mf_digest_len(const struct mf_image *im);

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
