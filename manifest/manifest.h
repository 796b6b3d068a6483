/* The manifest: what stm32-prep writes and kms-sign-digest signs from.
 * Format "stm32-sign-manifest/2", or /3 when it holds TF-A certificates
 * (kind: tbbr-cert entries and fips:); versions 1 and 2 still read; see
 * docs/formats.md. */
#ifndef MANIFEST_MANIFEST_H
#define MANIFEST_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/ecdsa.h"
#include "common/err.h"

#define MANIFEST_FORMAT "stm32-sign-manifest/2"
#define MANIFEST_FORMAT_V1 "stm32-sign-manifest/1"
#define MANIFEST_FORMAT_V3 "stm32-sign-manifest/3"
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

/* What an entry signs: an STM32 header, or a TF-A certificate's TBS. */
enum mf_kind {
	MF_KIND_STM32 = 0,
	MF_KIND_TBBR_CERT = 1,
};
#define MF_NAME_MAX 32

struct mf_image {
	char id[MF_ID_MAX];
	int kind;                      /* enum mf_kind */
	/* kind tbbr-cert (format 3): file is the DER TBSCertificate, digest its
	 * SHA-256; header fields unused; key.index and table_hash only for a root
	 * key checked against an FSBL key table (has_key_index). */
	char fip[MF_ID_MAX];           /* the FIP it goes into (an id of fips) */
	char cert[MF_NAME_MAX];        /* "trusted_key", ... (tbbr/cot.c) */
	char role[MF_NAME_MAX];        /* the signing key's role: "root", "trusted-world", ... */
	int has_key_index;
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

/* A FIP of the release (format 3): its chain, NV counters, the images it
 * packs (copied next to the manifest) and, optionally, the FSBL image of the
 * same manifest whose key table holds the root key. */
#define MF_FIP_MAX_IMAGES 12
#define MANIFEST_MAX_FIPS 16
struct mf_fip_image {
	char name[MF_NAME_MAX];        /* "bl32", "bl33", ... */
	char file[MF_PATH_MAX];        /* relative to the manifest */
	uint8_t sha256[32];
};

struct mf_fip {
	char id[MF_ID_MAX];
	char chain[MF_NAME_MAX];       /* "stm32mp1", "stm32mp2", "tbbr" */
	char fsbl[MF_ID_MAX];          /* "" or the FSBL image id */
	uint32_t nv_trusted, nv_non_trusted;
	struct mf_fip_image images[MF_FIP_MAX_IMAGES];
	size_t nimages;
};

struct manifest {
	char release[MF_RELEASE_MAX];
	size_t n, cap;
	struct mf_image *images;
	size_t nfips, capfips;
	struct mf_fip *fips;
	uint8_t sha256[32];            /* of the document bytes, when read */
};

void manifest_init(struct manifest *m);
void manifest_free(struct manifest *m);
int manifest_add(struct manifest *m, const struct mf_image *img, struct err *e);
const struct mf_image *manifest_find(const struct manifest *m, const char *id);
int manifest_add_fip(struct manifest *m, const struct mf_fip *f, struct err *e);
const struct mf_fip *manifest_find_fip(const struct manifest *m, const char *id);

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
