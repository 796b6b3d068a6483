/* The layout rows: everything that differs between header versions. */
#include "layout.h"

#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "common/ecdsa.h"

#define ALGO(a) (1u << (a))
#define ALGOS_256 (ALGO(ECC_P256) | ALGO(ECC_BRAINPOOL_P256T1))
#define ALGOS_ALL (ALGOS_256 | ALGO(ECC_P384) | ALGO(ECC_BRAINPOOL_P384T1))

/* v1.0 to v2.2 share the first 0x68 bytes (STM32 header, ST wiki; TF-A
 * stm32image.c); v2.3 moves every field 0x20 bytes down behind a 96-byte
 * signature field (STM32MP21 / STM32N6, checked on ST's own images). */
#define BASE_V1_V2 \
	.sig_field = 64, .off_checksum = 0x44, .off_version = 0x48, .off_length = 0x4C, \
	.off_entry = 0x50, .off_reserved = { 0x54, 0x5C }, .off_load = 0x58, \
	.off_image_version = 0x60, .off_flags = 0x64

#define V2_COMMON \
	BASE_V1_V2, .off_ext_len = 0x68, .off_binary_type = 0x6C, .binary_type_width = 4, \
	.base_size = 0x80, .ext_len = 0x180, .key_field = 64, .max_keys = STM32_MAX_KEYS, \
	.algos = ALGOS_256, .flags_name = "Extension flags", .flags_unsigned = FLAG_PADDING, \
	.flag_auth = 0x1, \
	.flag_auth_value = 0x1, .flags_known = FLAG_PADDING | FLAG_DECRYPT | 0x1, \
	.can_decrypt = 1, .otp = OTP_TABLE_HASH

const struct stm32_layout stm32_layouts[HDR_COUNT] = {
	[HDR_V10] = {
		.id = HDR_V10, .name = "1.0", .socs = "stm32mp15", .version_word = 0x00010000,
		BASE_V1_V2, .off_binary_type = 0xFF, .binary_type_width = 1,
		.zero = { { 0xAC, 0xFF } }, .base_size = 0x100,
		.off_algo = 0x68, .off_key = 0x6C, .key_field = 64, .max_keys = 1,
		.algos = ALGOS_256,
		/* option flags: bit 0 set = no signature check */
		.flags_name = "Option flags", .flags_unsigned = 0x1, .flag_auth = 0x1, .flag_auth_value = 0, .flags_known = 0x1,
		.signed_segs = { { 0x48, SEG_TO_END } }, .nsegs = 1, .otp = OTP_KEY_HASH,
	},
	[HDR_V20] = {
		.id = HDR_V20, .name = "2.0", .socs = "stm32mp13", .version_word = 0x00020000,
		V2_COMMON, .zero = { { 0x70, 0x80 } },
		.signed_segs = { { 0x48, SEG_TO_END } }, .nsegs = 1,
	},
	[HDR_V22] = {
		.id = HDR_V22, .name = "2.2", .socs = "stm32mp23 stm32mp25", .version_word = 0x00020200,
		V2_COMMON, .zero = { { 0x70, 0x78 } },
		.off_nonauth_len = 0x78, .off_nonauth_hash = 0x7C,
		/* ST's tool, traced: 0x78..0x7F are not signed */
		.signed_segs = { { 0x48, 0x78 }, { 0x80, SEG_TO_END } }, .nsegs = 2,
	},
	[HDR_V23] = {
		.id = HDR_V23, .name = "2.3", .socs = "stm32mp21 stm32n6", .version_word = 0x00020300,
		.sig_field = 96, .off_checksum = 0x64, .off_version = 0x68, .off_length = 0x6C,
		.off_entry = 0x70, .off_reserved = { 0x74, 0x7C }, .off_load = 0x78,
		.off_image_version = 0x80, .off_flags = 0x84, .off_ext_len = 0x88,
		.off_binary_type = 0x8C, .binary_type_width = 4, .zero = { { 0x90, 0x98 } },
		.off_nonauth_len = 0x98, .off_nonauth_hash = 0x9C,
		.base_size = 0xA0, .ext_len = 0x1A0, .key_field = 96, .max_keys = STM32_MAX_KEYS,
		.algos = ALGOS_ALL, .flags_name = "Extension flags", .flags_unsigned = FLAG_PADDING, .flag_auth = 0x1,
		.flag_auth_value = 0x1, .flags_known = FLAG_PADDING | FLAG_DECRYPT | 0x1,
		.can_decrypt = 1, .otp = OTP_TABLE_HASH,
		.signed_segs = { { 0x68, 0x98 }, { 0xA0, SEG_TO_END } }, .nsegs = 2,
		.payload_offset = 0x400,
		/* ST's tool (v23_nokeys): the Cortex-M reset vector, word 1 of the
		 * payload, and load 0xFFFFFFFF */
		.entry_from_word = 1 + 4, .default_load = 0xFFFFFFFF,
	},
};

static const struct stm32_soc socs[] = {
	{ "stm32mp15", HDR_V10, 24, "OTP 24-31" },
	{ "stm32mp13", HDR_V20, 24, "OTP 24-31" },
	{ "stm32mp23", HDR_V22, 144, "OTP 144-151" },
	{ "stm32mp25", HDR_V22, 144, "OTP 144-151" },
	{ "stm32mp21", HDR_V23, 152, "OEM-KEY1, OTP 152-159" },
	{ "stm32n6", HDR_V23, 160, "OTP 160-167" },
};
#define NSOCS (sizeof socs / sizeof socs[0])

/* Versions we know and refuse, by name and by their bytes. */
static const struct {
	const char *name;
	uint32_t off, word;
	const char *why;
} refused[] = {
	{ "2.1", 0x48, 0x00020100,
	  "header 2.1 (STM32N6 rev Z engineering samples) is not supported: use 2.3" },
};

const struct stm32_layout *layout_by_name(const char *name)
{
	for (int i = 0; i < HDR_COUNT; i++) {
		const char *n = stm32_layouts[i].name;
		/* "2.2", also "2" for 2.0 and "1" for 1.0 as ST's tool takes them */
		if (!strcmp(name, n) || (strlen(name) == 1 && name[0] == n[0] && n[2] == '0'))
			return &stm32_layouts[i];
	}
	return NULL;
}

const struct stm32_soc *soc_by_name(const char *soc)
{
	for (size_t i = 0; i < NSOCS; i++)
		if (!strcmp(soc, socs[i].name))
			return &socs[i];
	return NULL;
}

const struct stm32_layout *layout_by_soc(const char *soc)
{
	const struct stm32_soc *s = soc_by_name(soc);
	return s ? &stm32_layouts[s->v] : NULL;
}

const struct stm32_soc *layout_soc(const struct stm32_layout *l, unsigned i)
{
	for (size_t k = 0; k < NSOCS; k++)
		if (socs[k].v == l->id && i-- == 0)
			return &socs[k];
	return NULL;
}

const struct stm32_layout *layout_detect(const uint8_t *hdr, size_t n)
{
	/* the newest first: v2.3's version word sits where older rows keep
	 * fields, never inside another row's signature field */
	for (int i = HDR_COUNT - 1; i >= 0; i--) {
		const struct stm32_layout *l = &stm32_layouts[i];
		if (n >= l->off_version + 4 && le32_get(hdr, l->off_version) == l->version_word)
			return l;
	}
	return NULL;
}

const char *layout_refused(const uint8_t *hdr, size_t n)
{
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (n >= refused[i].off + 4 && le32_get(hdr, refused[i].off) == refused[i].word)
			return refused[i].why;
	return NULL;
}

const char *layout_refused_name(const char *name)
{
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (!strcmp(name, refused[i].name))
			return refused[i].why;
	return NULL;
}

/* "a, b, c or d" from n names, into a static buffer (made once). */
static const char *list_text(char *buf, size_t sz, size_t n, const char *(*name)(size_t))
{
	if (buf[0])
		return buf;
	size_t k = 0;
	for (size_t i = 0; i < n && k < sz; i++)
		k += (size_t)snprintf(buf + k, sz - k, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
				      name(i));
	return buf;
}

static const char *row_name(size_t i) { return stm32_layouts[i].name; }
static const char *soc_name(size_t i) { return socs[i].name; }

const char *layout_names(void)
{
	static char buf[64];
	return list_text(buf, sizeof buf, HDR_COUNT, row_name);
}

const char *layout_soc_names(void)
{
	static char buf[128];
	return list_text(buf, sizeof buf, NSOCS, soc_name);
}

int layout_allows_algo(const struct stm32_layout *l, uint32_t algo)
{
	return algo < 32 && (l->algos & ALGO(algo)) && ecc_curve(algo);
}

const char *layout_algo_names(const struct stm32_layout *l, char *out, size_t outsz)
{
	size_t n = 0;
	out[0] = '\0';
	for (uint32_t a = 1; a < 32; a++)
		if (layout_allows_algo(l, a))
			n += (size_t)snprintf(out + (n < outsz ? n : outsz), n < outsz ? outsz - n : 0,
					      "%s%s", n ? ", " : "", ecc_algo_name(a));
	return out;
}
