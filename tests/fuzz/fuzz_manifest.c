/* libFuzzer: the manifest reader (and the strict YAML tree under it). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "manifest/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	struct err e;
	if (!manifest_parse(data, size, "fuzz.yaml", &m, &e))
		manifest_free(&m);
	return 0;
}
