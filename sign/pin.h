/* Where a PKCS#11 PIN comes from: a file, an environment variable, or a
 * prompt on the terminal (echo off). The PIN never appears in messages. */
#ifndef SIGN_PIN_H
#define SIGN_PIN_H

#include <stddef.h>

#include "common/err.h"
#include "signer_conf.h"

/* Fill pin (n bytes) from kc's PIN source; what names the key in messages
 * and in the prompt. *has_pin is 0 for PIN_NONE. */
int pin_read(const struct key_conf *kc, const char *what, char *pin, size_t n, int *has_pin,
	     struct err *e);

#endif
