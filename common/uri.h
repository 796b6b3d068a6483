#ifndef COMMON_URI_H
#define COMMON_URI_H

#include <stddef.h>

/* A key URI fit to show: the value of any pin-value attribute (RFC 7512) is
 * replaced by "REDACTED". Never print a key URI without it. */
void uri_redact(const char *in, char *out, size_t n);
/* True when the URI carries a PIN in clear. */
int uri_has_pin_value(const char *uri);

/* True when the URI names a key of a store kms-sign-digest knows
 * (awskms://, gcpkms://, azurekms://, hashivault://, openbao://, pkcs11:,
 * file:): a build host can refuse a typo before the signing host sees it. */
int uri_known_scheme(const char *uri);
#define URI_SCHEMES_TEXT "awskms://, gcpkms://, azurekms://, hashivault://, openbao://, pkcs11: or file:"

#endif
