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
	uint8_t signature[ECC_RAW_SIG_MAX]; /* the row's sig_field bytes */
	uint32_t checksum;
	uint32_t image_length;
	uint32_t entry;
	uint32_t load;
	uint32_t image_version;
	uint32_t flags;        /* v1 option flags / v2 extension flags */
	uint32_t ext_len;      /* rows with extensions */
	uint32_t binary_type;
	uint32_t nonauth_len;  /* non-authenticated payload length and hash: */
	uint32_t nonauth_hash; /* outside the signature; ST writes zero */
	/* authentication: the key in the header, or the authentication extension */
	int has_auth;
	struct pubkey key;     /* the embedded key (algo 1 in unsigned v1.0) */
	uint32_t pk_idx;
	uint32_t nb_pk;
	uint8_t table[STM32_MAX_KEYS][32];
	/* FSBL decryption extension */
	int has_decrypt;
	uint32_t dec_key_size;
	uint32_t dec_dc;       /* derivation constant */
	uint8_t hash16[16];    /* SHA-256 of the padded plain payload, first 16 bytes */
	/* padding extension */
	int has_padding;
	uint32_t pad_off;
	uint32_t pad_len;
	int pad_nonzero;       /* ST's signing tool writes random padding */
	uint32_t header_size;  /* base + extensions */
	uint64_t file_size;    /* when parsed from a file */
};

/* A signed segment in file offsets, [start, end). */
struct seg {
	uint64_t start, end;
};

/* Header bytes from the file start: hdr holds min(file_size, STM32_MAX_HEADER)
 * bytes. Strict: every field, reserved word, pad and the extension chain. */
int stm32_parse(const uint8_t *hdr, size_t hdr_len, uint64_t file_size,
		struct stm32_image *img, struct err *e);

/* Fill img for building: layout defaults, no keys (an unsigned header as ST's
 * tools write it). */
void stm32_init(struct stm32_image *img, const struct stm32_layout *layout);

/* Attach a key table (1..max_keys keys, all of one algorithm the row allows)
 * and select key pk_idx as the embedded key; sets the flags for authentication. */
int stm32_set_keys(struct stm32_image *img, const struct pubkey *keys, uint32_t nb,
		   uint32_t pk_idx, struct err *e);

/* Add the FSBL decryption extension (after the authentication one). */
int stm32_set_decrypt(struct stm32_image *img, uint32_t dc, const uint8_t hash16[16],
		      struct err *e);

/* Write the header (img->header_size bytes) to out. */
int stm32_build_header(const struct stm32_image *img, uint8_t *out, size_t outsz,
		       struct err *e);

/* THE rule of what the ROM hashes and signs: the row's segments in file
 * offsets (at most STM32_MAX_SEGS). Returns how many. */
size_t stm32_signed_segments(const struct stm32_image *img, struct seg *out);
/* "[0x48, 0x78) + [0x80, 0x1440)" */
const char *segs_text(const struct seg *s, size_t n, char *out, size_t outsz);
/* header_size + image_length: where the image ends in the file. */
uint64_t stm32_image_end(const struct stm32_image *img);
/* Digest of the embedded key's curve (SHA-256 for an unsigned image). */
const EVP_MD *stm32_md(const struct stm32_image *img);
uint32_t stm32_digest_len(const struct stm32_image *img);
/* Bytes of the signature field that hold r || s (the rest must be zero). */
uint32_t stm32_sig_len(const struct stm32_image *img);

/* Key-table entry: SHA-256(LE32(algo) || X || Y), X and Y at the curve's width. */
void stm32_key_entry(const struct pubkey *k, uint8_t out[32]);
/* The OTP value by the row's rule: SHA-256 of the table, or of X || Y. */
void stm32_table_hash(const struct stm32_image *img, uint8_t out[32]);
/* Length of the authentication extension for nb keys in this row. */
uint32_t stm32_auth_len(const struct stm32_layout *l, uint32_t nb);

/* Binary type names: fsbl 0x10, ssbl 0x00, optee 0x20, m33 0x30 ... */
int stm32_binary_type_parse(const char *s, uint32_t *out);
const char *stm32_binary_type_name(uint32_t t);

#endif
