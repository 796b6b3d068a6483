#include "uri.h"

#include <stdio.h>
#include <string.h>

int uri_has_pin_value(const char *uri)
{
	return strstr(uri, "pin-value=") != NULL;
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
