/* The STM32 image header as the boot ROM reads it: one layout row per
 * header version that holds every difference between versions as data
 * (field offsets, widths, signed segments, algorithms, OTP words). The code
 * reads a row; it never asks which version it is. */
#ifndef IMAGE_LAYOUT_H
#define IMAGE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* Fields at the same place in every version. */
enum {
	OFF_MAGIC = 0x00,
	OFF_SIGNATURE = 0x04,
};

/* Extension headers (rows with off_ext_len): type (stored bytes 53 54 xx xx
 * read as LE32), len, parameters. */
enum {
	EXT_TYPE_AUTH = 0x02005453u,    /* 53 54 00 02 */
	EXT_TYPE_DECRYPT = 0x01005453u, /* 53 54 00 01 */
	EXT_TYPE_PADDING = 0xFFFF5453u, /* 53 54 FF FF */
	EXT_HDR = 8,
	AUTH_OFF_PK_IDX = 8,
	AUTH_OFF_NB_PK = 12,
	AUTH_OFF_ALGO = 16,
	AUTH_OFF_PUBKEY = 20,           /* then the row's key_field bytes, then the table */
	DECRYPT_LEN = 0x20,
	DECRYPT_OFF_KEY_SIZE = 8,
	DECRYPT_OFF_DC = 12,
	DECRYPT_OFF_HASH16 = 16,
	FLAG_PADDING = 0x80000000u,     /* bit 31 of the v2.x extension flags */
	FLAG_DECRYPT = 0x2u,            /* bit 1: FSBL decryption extension */
};

#define STM32_MAGIC "STM2"
#define STM32_MAX_KEYS 8
#define STM32_MAX_EXT_LEN 0x1000u
#define STM32_MAX_BASE 0x100u
#define STM32_MAX_HEADER (STM32_MAX_BASE + STM32_MAX_EXT_LEN)
#define STM32_MAX_SEGS 2
#define STM32_MAX_ZERO 2
#define SEG_TO_END 0 /* a segment end of 0: the end of the image */

/* Row ids, for the table only: code reads the row's fields. */
enum hdr_version { HDR_V10, HDR_V20, HDR_V22, HDR_V23, HDR_COUNT };

/* How the OTP value is made from the keys. */
enum otp_rule {
	OTP_KEY_HASH,   /* SHA-256(X || Y) of the one key (v1.0) */
	OTP_TABLE_HASH, /* SHA-256 of the key-hash table (v2.x) */
};

struct stm32_range {
	uint32_t start, end; /* [start, end) in the file; end SEG_TO_END: end of image */
};

struct stm32_layout {
	enum hdr_version id;
	const char *name;             /* "2.2" */
	const char *socs;             /* "stm32mp23 stm32mp25" */
	uint32_t version_word;        /* LE32 at off_version */
	uint32_t sig_field;           /* bytes of the signature field at 0x04 */
	/* base header fields */
	uint32_t off_checksum, off_version, off_length, off_entry, off_load,
		off_image_version, off_flags, off_binary_type;
	uint32_t binary_type_width;   /* 1: a byte, 4: a word */
	uint32_t off_reserved[2];     /* words that must be zero */
	struct stm32_range zero[STM32_MAX_ZERO]; /* byte runs that must be zero */
	uint32_t off_nonauth_len, off_nonauth_hash; /* 0: none (unsigned fields) */
	uint32_t base_size;           /* header bytes before the extensions */
	/* extensions: off_ext_len 0 means none (the key is in the base header) */
	uint32_t off_ext_len;
	uint32_t ext_len;             /* extension bytes as ST's tools write them */
	uint32_t off_algo, off_key;   /* key in the base header (no extensions) */
	uint32_t key_field;           /* bytes of the public-key field */
	uint32_t max_keys;            /* key-table entries */
	uint32_t algos;               /* bit (1 << ecc_algo) for each allowed curve */
	/* the extension flags (or option flags) word */
	const char *flags_name;       /* "Option flags" | "Extension flags" */
	uint32_t flags_unsigned;      /* as ST writes an image without keys */
	uint32_t flag_auth;           /* the bit that says "authenticate" ... */
	uint32_t flag_auth_value;     /* ... and its value when authenticating */
	uint32_t flags_known;         /* every defined bit */
	int can_decrypt;              /* FSBL decryption extension allowed */
	/* what the ROM hashes and signs */
	struct stm32_range signed_segs[STM32_MAX_SEGS];
	uint32_t nsegs;
	uint32_t payload_offset;      /* default file offset of the payload; 0: right after the header */
	/* defaults ST's tool writes for a raw payload without -ep / -la */
	uint32_t entry_from_word;     /* 0: entry 0; else 1 + the payload offset of the LE32 taken */
	uint32_t default_load;
	enum otp_rule otp;
};

extern const struct stm32_layout stm32_layouts[HDR_COUNT];

/* A SoC: its header version and where its key hash is fused. */
struct stm32_soc {
	const char *name;
	enum hdr_version v;
	uint32_t otp_word;            /* first OTP word of the key hash */
	const char *otp_name;         /* "OTP 24-31" style label, or NULL */
};

const struct stm32_layout *layout_by_name(const char *name);
const struct stm32_layout *layout_by_soc(const char *soc);
const struct stm32_soc *soc_by_name(const char *soc);
/* The SoCs of a layout, one at a time: i = 0, 1, ... until NULL. */
const struct stm32_soc *layout_soc(const struct stm32_layout *l, unsigned i);
/* The row whose version word is at its offset in hdr (n bytes), or NULL. */
const struct stm32_layout *layout_detect(const uint8_t *hdr, size_t n);
/* A header version we know but refuse ("2.1 (STM32N6 rev Z ...)"), or NULL. */
const char *layout_refused(const uint8_t *hdr, size_t n);
const char *layout_refused_name(const char *name);
/* "1.0, 2.0, 2.2 or 2.3"; "stm32mp13, ... or stm32n6" */
const char *layout_names(void);
const char *layout_soc_names(void);
/* Is ecc_algo allowed in this row? */
int layout_allows_algo(const struct stm32_layout *l, uint32_t algo);
/* "P-256 or brainpoolP256t1" */
const char *layout_algo_names(const struct stm32_layout *l, char *out, size_t outsz);

#endif
