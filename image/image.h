/* Parsed (or to-be-built) STM32 image header. */
#ifndef IMAGE_IMAGE_H
#define IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/ecdsa.h"
#include "common/err.h"
#include "layout.h"

struct stm32_image {
	const struct stm32_layout *layout;
	uint8_t signature[ECC_RAW_SIG];
	uint32_t checksum;
	uint32_t image_length;
	uint32_t entry;
	uint32_t load;
	uint32_t image_version;
	uint32_t flags;        /* v1 option flags / v2 extension flags */
	uint32_t ext_len;      /* v2.x */
	uint32_t binary_type;
	/* authentication: v1 key in the header, v2 authentication extension */
	int has_auth;
	struct pubkey key;     /* the embedded key (algo 1 in unsigned v1.0) */
	uint32_t pk_idx;
	uint32_t nb_pk;
	uint8_t table[STM32_MAX_KEYS][32];
	/* padding extension (v2.x) */
	int has_padding;
	uint32_t pad_off;
	uint32_t pad_len;
	int pad_nonzero;       /* ST's signing tool may write random padding */
	int has_decrypt;       /* FSBL decryption extension present */
	uint32_t header_size;  /* base + extensions */
	uint64_t file_size;    /* when parsed from a file */
};

/* Header bytes from the file start: hdr holds min(file_size, STM32_MAX_HEADER)
 * bytes. Strict: every field, reserved word, pad and the extension chain. */
int stm32_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size,
		struct stm32_image *img, struct err *e);

/* Fill img for building: layout defaults, no keys (an unsigned header as ST's
 * tools write it). */
void stm32_init(struct stm32_image *img, const struct stm32_layout *layout);

/* Attach a key table (1..max_keys keys, all of one algorithm) and select
 * key pk_idx as the embedded key; sets the flags for authentication. */
int stm32_set_keys(struct stm32_image *img, const struct pubkey *keys, uint32_t nb,
		   uint32_t pk_idx, struct err *e);

/* Write the header (img->header_size bytes) to out. */
int stm32_build_header(const struct stm32_image *img, uint8_t *out, size_t outsz,
		       struct err *e);

/* THE rule of what the ROM hashes: [start, end) in file offsets.
 * One place, one row per version. */
void stm32_hashed_range(const struct stm32_image *img, uint64_t *start, uint64_t *end);

/* Key-table entry: SHA-256(LE32(algo) || X || Y). */
void stm32_key_entry(const struct pubkey *k, uint8_t out[32]);
/* The OTP value: v2.x SHA-256 of the table; v1.0 SHA-256(X || Y). */
void stm32_table_hash(const struct stm32_image *img, uint8_t out[32]);
/* OTP value for a list of keys of a given layout (what `stm32-prep keys` prints). */
void stm32_keys_otp(const struct stm32_layout *l, const struct pubkey *keys,
		    uint32_t nb, uint8_t out[32]);

/* Binary type names: fsbl 0x10, ssbl 0x00, optee 0x20, m33 0x30. */
int stm32_binary_type_parse(const char *s, uint32_t *out);
const char *stm32_binary_type_name(uint32_t t);

#endif
