/* A secret typed on the controlling terminal (a PIN, an MFA code): echo goes
 * off before the prompt shows, so nothing typed after it is echoed. The
 * library never prints: the prompt goes to /dev/tty, which the operator asked
 * for (pin: prompt, mfa_serial). */
#ifndef SIGN_TTY_H
#define SIGN_TTY_H

#include <stddef.h>

/* 0: out holds the line without its end; -1: no terminal; -2: nothing read;
 * -3: a line too long for out (read to its end, refused; out wiped). */
int tty_secret_read(const char *prompt, char *out, size_t n);

#endif
