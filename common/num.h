#ifndef COMMON_NUM_H
#define COMMON_NUM_H

#include <stdint.h>

/* Parse a whole string as an unsigned number, decimal or 0x hex, no sign,
 * no spaces, no trailing characters, at most max. 0 on success, -1 otherwise. */
int num_parse_u64(const char *s, uint64_t max, uint64_t *out);
int num_parse_u32(const char *s, uint32_t *out);

#endif
