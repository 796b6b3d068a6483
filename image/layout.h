/* The STM32 image header as the boot ROM reads it: one layout row per
 * header version, named field offsets, and the parsed/built model. */
#ifndef IMAGE_LAYOUT_H
#define IMAGE_LAYOUT_H

#include <stdint.h>

/* Fields common to every version (offsets in the file). */
enum {
	OFF_MAGIC = 0x00,
	OFF_SIGNATURE = 0x04,
	OFF_CHECKSUM = 0x44,
	OFF_VERSION = 0x48,
	OFF_LENGTH = 0x4C,
	OFF_ENTRY = 0x50,
	OFF_RESERVED1 = 0x54,
	OFF_LOAD = 0x58,
	OFF_RESERVED2 = 0x5C,
	OFF_IMAGE_VERSION = 0x60,
	OFF_FLAGS = 0x64,
};

/* v1.0 (STM32MP15) fields. */
enum {
	V1_OFF_ALGO = 0x68,
	V1_OFF_PUBKEY = 0x6C,
	V1_OFF_PAD = 0xAC,      /* zero up to the binary type byte */
	V1_OFF_BINARY_TYPE = 0xFF,
	V1_FLAG_NO_SIG_CHECK = 0x1,
};

/* v2.x (STM32MP13, MP2x) fields. */
enum {
	V2_OFF_EXT_LEN = 0x68,
	V2_OFF_BINARY_TYPE = 0x6C,
	V2_OFF_ZERO = 0x70, /* 16 zero bytes */
	V2_ZERO_LEN = 16,
	V2_OFF_EXT = 0x80,
	V2_FLAG_AUTH = 0x1,
	V2_FLAG_DECRYPT = 0x2,
	V2_FLAG_PADDING = 0x80000000u,
	V2_EXT_LEN_DEFAULT = 0x180,
};

/* Extension headers: type (stored bytes 53 54 xx xx read as LE32), len. */
enum {
	EXT_TYPE_AUTH = 0x02005453u,    /* 53 54 00 02 */
	EXT_TYPE_DECRYPT = 0x01005453u, /* 53 54 00 01 */
	EXT_TYPE_PADDING = 0xFFFF5453u, /* 53 54 FF FF */
	EXT_HDR = 8,
	AUTH_OFF_PK_IDX = 8,
	AUTH_OFF_NB_PK = 12,
	AUTH_OFF_ALGO = 16,
	AUTH_OFF_PUBKEY = 20,
	AUTH_OFF_TABLE = 0x54,
	DECRYPT_LEN = 0x20,
};

#define STM32_MAGIC "STM2"
#define STM32_MAX_KEYS 8
#define STM32_MAX_EXT_LEN 0x1000u
#define STM32_MAX_HEADER (V2_OFF_EXT + STM32_MAX_EXT_LEN)

enum hdr_version { HDR_V10, HDR_V20, HDR_V22, HDR_COUNT };

struct stm32_layout {
	enum hdr_version id;
	const char *name;          /* "2.2" */
	uint32_t version_word;     /* LE32 at OFF_VERSION */
	uint32_t base_size;        /* header bytes before extensions */
	uint32_t ext_len;          /* extension bytes written by ST tools */
	uint32_t max_keys;         /* key-table entries */
	uint32_t hash_start;       /* first hashed byte */
	uint32_t otp_word;         /* first OTP word of the key hash */
	const char *socs;          /* which SoCs */
};

extern const struct stm32_layout stm32_layouts[HDR_COUNT];

const struct stm32_layout *layout_by_name(const char *name);
const struct stm32_layout *layout_by_soc(const char *soc);
const struct stm32_layout *layout_by_version_word(uint32_t word);

#endif
