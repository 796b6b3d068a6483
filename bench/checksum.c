/* make bench: the image checksum, the project's eight-bytes-at-a-time sum
 * against the plain byte loop, each compiled apart (as in the tools, where
 * the length is not known), over 1 MiB x 1024. Prints "plain S swar S". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "image/digest.h"

__attribute__((noinline)) static uint32_t plain(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	size_t n = 1u << 20;
	uint8_t *b = malloc(n);
	if (!b)
		return 1;
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 2654435761u >> 24);
	double best[2] = { 1e9, 1e9 };
	uint32_t s[2] = { 0, 0 };
	for (int k = 0; k < 5; k++)
		for (int which = 0; which < 2; which++) {
			double t0 = now();
			for (int r = 0; r < 1024; r++)
				s[which] = which ? checksum_update(s[which], b, n) : plain(s[which], b, n);
			double dt = now() - t0;
			if (dt < best[which])
				best[which] = dt;
		}
	printf("plain %.3f swar %.3f %s\n", best[0], best[1], s[0] == s[1] ? "same" : "DIFFERENT");
	free(b);
	return 0;
}
