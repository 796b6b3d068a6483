#include "layout.h"

#include <string.h>

const struct stm32_layout stm32_layouts[HDR_COUNT] = {
	[HDR_V10] = {
		.id = HDR_V10, .name = "1.0", .version_word = 0x00010000,
		.base_size = 0x100, .ext_len = 0, .max_keys = 1,
		.hash_start = OFF_VERSION, .otp_word = 24, .socs = "stm32mp15",
	},
	[HDR_V20] = {
		.id = HDR_V20, .name = "2.0", .version_word = 0x00020000,
		.base_size = 0x80, .ext_len = V2_EXT_LEN_DEFAULT,
		.max_keys = STM32_MAX_KEYS, .hash_start = OFF_VERSION,
		.otp_word = 24, .socs = "stm32mp13",
	},
	[HDR_V22] = {
		.id = HDR_V22, .name = "2.2", .version_word = 0x00020200,
		.base_size = 0x80, .ext_len = V2_EXT_LEN_DEFAULT,
		.max_keys = STM32_MAX_KEYS, .hash_start = OFF_VERSION,
		.otp_word = 144, .socs = "stm32mp23 stm32mp25",
	},
};

static const struct {
	const char *soc;
	enum hdr_version v;
} soc_rows[] = {
	{ "stm32mp15", HDR_V10 }, { "stm32mp13", HDR_V20 },
	{ "stm32mp23", HDR_V22 }, { "stm32mp25", HDR_V22 },
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

const struct stm32_layout *layout_by_soc(const char *soc)
{
	for (size_t i = 0; i < sizeof soc_rows / sizeof soc_rows[0]; i++)
		if (!strcmp(soc, soc_rows[i].soc))
			return &stm32_layouts[soc_rows[i].v];
	return NULL;
}

const struct stm32_layout *layout_by_version_word(uint32_t word)
{
	for (int i = 0; i < HDR_COUNT; i++)
		if (stm32_layouts[i].version_word == word)
			return &stm32_layouts[i];
	return NULL;
}
