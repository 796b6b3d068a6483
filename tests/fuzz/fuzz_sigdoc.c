/* libFuzzer: the signatures document reader (hex/base64, DER and raw). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "manifest/sigdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigdoc d;
	struct err e;
	if (!sigdoc_parse(data, size, "fuzz.yaml", &d, &e))
		sigdoc_free(&d);
	return 0;
}
