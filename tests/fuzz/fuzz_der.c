/* libFuzzer: DER signatures and signature values as people paste them. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <string.h>

#include "common/ecdsa.h"
#include "manifest/sigdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t raw[ECC_RAW_SIG_MAX], der[ECC_DER_SIG_MAX];
	size_t len;
	struct err e;
	if (!sig_der_to_raw(data, size, ECC_P256, raw, &e)) {
		/* what converts must convert back to the same DER */
		if (!sig_raw_to_der(raw, ECC_P256, der, sizeof der, &len, &e) && (len != size || memcmp(der, data, size)))
			abort();
	}
	char *text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	sig_parse_any(text, ECC_P256, raw, &e);
	free(text);
	return 0;
}
