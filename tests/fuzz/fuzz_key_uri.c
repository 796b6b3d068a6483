/* libFuzzer: key URIs - redaction, the scheme dispatch, awskms:// and
 * pkcs11: (RFC 7512, through p11-kit) parsing. No network, no module load:
 * PKCS#11 URIs without module-path stop before loading anything. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include <string.h>

#include <p11-kit/uri.h>

#include "common/uri.h"
#include "sign/config.h"
#include "sign/keystore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	char red[MF_URI_MAX + 64];
	uri_redact(text, red, sizeof red);
	/* after every pin-value= comes REDACTED, or the part of it that fit */
	for (const char *p = strstr(red, "pin-value="); p; p = strstr(p + 1, "pin-value=")) {
		const char *v = p + strlen("pin-value=");
		size_t n = strcspn(v, "&;");
		if (n > strlen("REDACTED") || strncmp(v, "REDACTED", n) || (n < strlen("REDACTED") && v[n]))
			abort();
	}
	P11KitUri *u = p11_kit_uri_new();
	if (u) {
		if (p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, u) == P11_KIT_URI_OK) {
			char *s = NULL;
			if (p11_kit_uri_format(u, P11_KIT_URI_FOR_ANY, &s) == P11_KIT_URI_OK)
				free(s);
		}
		p11_kit_uri_free(u);
	}
	free(text);
	return 0;
}
