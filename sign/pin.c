#include "pin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tty.h"

static int first_line(FILE *f, char *pin, size_t n)
{
	if (!fgets(pin, (int)n, f))
		return -1;
	pin[strcspn(pin, "\r\n")] = '\0';
	return 0;
}

static int from_file(const char *path, const char *what, char *pin, size_t n, struct err *e)
{
	FILE *f = fopen(path, "r");
	int rc = f ? first_line(f, pin, n) : -1;
	if (f)
		fclose(f);
	return rc ? err_set(e, ERR_KEYSTORE, "%s: cannot read the PIN from %s", what, path) : 0;
}

static int from_terminal(const char *what, char *pin, size_t n, struct err *e)
{
	char prompt[600];
	snprintf(prompt, sizeof prompt, "PIN for %.500s: ", what);
	int rc = tty_secret_read(prompt, pin, n);
	if (rc == -1)
		return err_set(e, ERR_KEYSTORE, "%s: the signer configuration says pin: prompt, but there "
			       "is no terminal to ask on", what);
	if (rc == -3)
		return err_set(e, ERR_KEYSTORE, "%s: the PIN typed is too long (at most %zu characters)", what,
			       n - 2);
	return rc ? err_set(e, ERR_KEYSTORE, "%s: no PIN was entered", what) : 0;
}

int pin_read(const struct key_conf *kc, const char *what, char *pin, size_t n, int *has_pin,
	     struct err *e)
{
	const char *v;
	*has_pin = kc->pin != PIN_NONE;
	switch (kc->pin) {
	case PIN_NONE:
		return 0;
	case PIN_FILE:
		return from_file(kc->pin_arg, what, pin, n, e);
	case PIN_ENV:
		if (!(v = getenv(kc->pin_arg)) || strlen(v) >= n)
			return err_set(e, ERR_KEYSTORE, "%s: the PIN variable %s is not set", what, kc->pin_arg);
		memcpy(pin, v, strlen(v) + 1);
		return 0;
	case PIN_PROMPT:
		return from_terminal(what, pin, n, e);
	}
	return err_set(e, ERR_INTERNAL, "%s: unknown PIN source", what);
}
