#include "tty.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* One line into out; a longer one is read to its end (so that its rest is
 * not taken for the next answer) and refused. */
static int read_line(FILE *f, char *out, size_t n)
{
	if (!fgets(out, (int)n, f))
		return -2;
	size_t len = strcspn(out, "\n");
	if (out[len] == '\n' || feof(f)) {
		out[strcspn(out, "\r\n")] = '\0';
		return 0;
	}
	int c;
	while ((c = getc(f)) != EOF && c != '\n')
		;
	return -3;
}

int tty_secret_read(const char *prompt, char *out, size_t n)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	FILE *f = fd >= 0 ? fdopen(fd, "r+") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setvbuf(f, NULL, _IONBF, 0); /* no stdio buffer keeps the secret */
	struct termios old, quiet;
	int echo_off = !tcgetattr(fd, &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &quiet);
	fputs(prompt, f);
	fflush(f);
	int rc = read_line(f, out, n);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputs("\n", f);
	fclose(f);
	if (rc)
		OPENSSL_cleanse(out, n);
	return rc;
}
