#ifndef COMMON_VEC_H
#define COMMON_VEC_H

#include <stddef.h>

/* Make room for element n of a growable array (*items, *cap) of elem-sized
 * entries holding at most max. 0 on success, -1 when full or out of memory. */
int vec_grow(void **items, size_t *cap, size_t n, size_t elem, size_t max);

#endif
