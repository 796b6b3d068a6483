/* The six ST-produced images and their field values (from ST's DDR utilities). */
#ifndef TESTS_GOLDEN_H
#define TESTS_GOLDEN_H

#include <stdint.h>

struct golden {
	char file[80];
	char header[4];
	uint32_t entry, load, type, length, checksum;
};

static const struct golden goldens[] = {
	{ "STM32MP135C-DK_DDR_UTILITIES_A7.stm32", "2.0", 0x2ffe0000, 0, 0x10, 0xd7f8, 0x0057fc03 },
	{ "STM32MP157C-DK2_DDR_UTILITIES_A7.stm32", "1.0", 0x2ffc2500, 0, 0x10, 0xf3f8, 0x005b6e5a },
	{ "STM32MP157C-EVAL_DDR_UTILITIES_A7.stm32", "1.0", 0x2ffc2500, 0, 0x10, 0xf3f8, 0x005b590d },
	{ "STM32MP235F-DK_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32", "2.2", 0x0e003000, 0x0e002600, 0, 0x396f0, 0x013c2d8c },
	{ "STM32MP257F-DK_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32", "2.2", 0x0e003000, 0x0e002600, 0, 0x399a0, 0x013cf2cd },
	{ "STM32MP257F-EV1_DDR_UTILITIES_A35_nopad_no_el3lnch.stm32", "2.2", 0x0e003000, 0x0e002600, 0, 0x36de8, 0x013013ac },
};
#define GOLDEN_COUNT (sizeof goldens / sizeof goldens[0])

#endif
