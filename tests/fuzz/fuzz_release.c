/* libFuzzer: the release file reader. Paths resolve under a directory that
 * does not exist, so every path check runs and fails cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "prepare/release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct release r;
	struct err e;
	if (!release_parse(data, size, "/nonexistent-fuzz-dir/release.yaml", &r, &e))
		release_free(&r);
	return 0;
}
