#include "uri.h"

#include <stdio.h>
#include <string.h>

int uri_has_pin_value(const char *uri)
{
	return strstr(uri, "pin-value=") != NULL;
}

static const char *const schemes[] = {
	[KEY_SCHEME_AWSKMS] = "awskms://",     [KEY_SCHEME_GCPKMS] = "gcpkms://",
	[KEY_SCHEME_AZUREKMS] = "azurekms://", [KEY_SCHEME_HASHIVAULT] = "hashivault://",
	[KEY_SCHEME_OPENBAO] = "openbao://",   [KEY_SCHEME_PKCS11] = "pkcs11:",
	[KEY_SCHEME_FILE] = "file:",
};

enum key_scheme uri_key_scheme(const char *uri)
{
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (!strncmp(uri, schemes[i], strlen(schemes[i])))
			return (enum key_scheme)i;
	return KEY_SCHEME_NONE;
}

int uri_known_scheme(const char *uri)
{
	enum key_scheme k = uri_key_scheme(uri);
	return k != KEY_SCHEME_NONE && uri[strlen(schemes[k])] != '\0';
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
