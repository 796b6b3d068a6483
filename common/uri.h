#ifndef COMMON_URI_H
#define COMMON_URI_H

#include <stddef.h>

/* A key URI fit to show: the value of any pin-value attribute (RFC 7512) is
 * replaced by "REDACTED". Never print a key URI without it. */
void uri_redact(const char *in, char *out, size_t n);
/* True when the URI carries a PIN in clear. */
int uri_has_pin_value(const char *uri);

/* The key stores, by URI scheme: one list for the build host (which refuses
 * a typo before the signing host sees it) and the signer (which picks the
 * store). */
enum key_scheme {
	KEY_SCHEME_NONE = -1,
	KEY_SCHEME_AWSKMS,
	KEY_SCHEME_GCPKMS,
	KEY_SCHEME_AZUREKMS,
	KEY_SCHEME_HASHIVAULT,
	KEY_SCHEME_OPENBAO,
	KEY_SCHEME_PKCS11,
	KEY_SCHEME_FILE,
};
enum key_scheme uri_key_scheme(const char *uri);
/* True when the URI names a store and something after its scheme. */
int uri_known_scheme(const char *uri);
#define URI_SCHEMES_TEXT "awskms://, gcpkms://, azurekms://, hashivault://, openbao://, pkcs11: or file:"

#endif
