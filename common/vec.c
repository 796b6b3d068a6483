#include "vec.h"

#include <stdlib.h>

int vec_grow(void **items, size_t *cap, size_t n, size_t elem, size_t max)
{
	if (n >= max)
		return -1;
	if (n < *cap)
		return 0;
	size_t want = *cap ? *cap * 2 : 16;
	if (want > max)
		want = max;
	void *p = realloc(*items, want * elem);
	if (!p)
		return -1;
	*items = p;
	*cap = want;
	return 0;
}
