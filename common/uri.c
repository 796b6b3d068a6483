#include "uri.h"

#include <stdio.h>
#include <string.h>

int uri_has_pin_value(const char *uri)
{
	return strstr(uri, "pin-value=") != NULL;
}

int uri_known_scheme(const char *uri)
{
	static const char *const schemes[] = { "awskms://", "gcpkms://", "azurekms://", "hashivault://",
					       "openbao://", "pkcs11:", "file:", NULL };
	for (size_t i = 0; schemes[i]; i++)
		if (!strncmp(uri, schemes[i], strlen(schemes[i])) && uri[strlen(schemes[i])])
			return 1;
	return 0;
}

void uri_redact(const char *in, char *out, size_t n)
{
	size_t o = 0;
	const char *key = "pin-value=";
	while (*in && o + 1 < n) {
		if (!strncmp(in, key, strlen(key))) {
			o += (size_t)snprintf(out + o, n - o, "%sREDACTED", key);
			if (o >= n)
				break;
			in += strlen(key);
			in += strcspn(in, "&;");
			continue;
		}
		out[o++] = *in++;
	}
	out[o < n ? o : n - 1] = '\0';
}
