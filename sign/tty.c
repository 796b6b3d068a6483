#include "tty.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

int tty_secret_read(const char *prompt, char *out, size_t n)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	FILE *f = fd >= 0 ? fdopen(fd, "r+") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct termios old, quiet;
	int echo_off = !tcgetattr(fd, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &quiet);
	fputs(prompt, f);
	fflush(f);
	int rc = fgets(out, (int)n, f) ? 0 : -2;
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputs("\n", f);
	fclose(f);
	if (rc)
		OPENSSL_cleanse(out, n);
	else
		out[strcspn(out, "\r\n")] = '\0';
	return rc;
}
