/* Little- and big-endian field access at byte offsets. Header fields are
 * always read through these, never by casting buffers to structs. */
#ifndef COMMON_BYTES_H
#define COMMON_BYTES_H

#include <stdint.h>
#include <stddef.h>

static inline uint32_t le32_get(const uint8_t *p, size_t off)
{
	p += off;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void le32_put(uint8_t *p, size_t off, uint32_t v)
{
	p += off;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint64_t le64_get(const uint8_t *p, size_t off)
{
	return (uint64_t)le32_get(p, off) | (uint64_t)le32_get(p, off + 4) << 32;
}

static inline void le64_put(uint8_t *p, size_t off, uint64_t v)
{
	le32_put(p, off, (uint32_t)v);
	le32_put(p, off + 4, (uint32_t)(v >> 32));
}

static inline uint32_t be32_get(const uint8_t *p, size_t off)
{
	p += off;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	       (uint32_t)p[3];
}

/* True when len bytes at p are all zero. */
static inline int bytes_all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

#endif
