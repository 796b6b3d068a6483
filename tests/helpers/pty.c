#include "pty.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(const char *cmd)
{
	const char *bin = getenv("STM32_BIN");
	char path[8192];
	snprintf(path, sizeof path, "%s:%s", bin ? bin : "build/bin", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

struct run pty_run(const char *cmd, const char *prompt, const char *answer)
{
	struct run r = { .code = -1, .out = calloc(1, 1), .err = calloc(1, 1) };
	size_t len = 0;
	int master, answered = 0;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	if (pid == 0)
		child(cmd);
	if (pid < 0)
		return r;
	for (;;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		if (poll(&p, 1, 30000) <= 0) {
			kill(-pid, SIGKILL); /* the session forkpty made; 30 s without a byte: a second prompt nobody answers */
			break;
		}
		char chunk[512];
		ssize_t n = read(master, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EIO: the child's side closed */
		r.out = realloc(r.out, len + (size_t)n + 1);
		memcpy(r.out + len, chunk, (size_t)n);
		r.out[len += (size_t)n] = '\0';
		if (!answered && strstr(r.out, prompt)) {
			answered = 1;
			if (write(master, answer, strlen(answer)) < 0 || write(master, "\n", 1) < 0)
				break;
		}
	}
	int st = 0;
	if (waitpid(pid, &st, 0) == pid)
		r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	close(master);
	return r;
}
