#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Wait for the parent's ^S to be taken (a read that finds no input waits
 * for the terminal's pending input to be processed). */
static void wait_held(int go)
{
	char c;
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	close(go);
	int fl = fcntl(STDIN_FILENO, F_GETFL);
	fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK);
	if (read(STDIN_FILENO, &c, 1) < 0) {
		/* EAGAIN: nothing typed; the ^S is processed */
	}
	fcntl(STDIN_FILENO, F_SETFL, fl);
}

static void child(const char *cmd, int go)
{
	const char *bin = getenv("STM32_BIN");
	char path[8192];
	snprintf(path, sizeof path, "%s:%s", bin ? bin : "build/bin", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	if (go >= 0)
		wait_held(go);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

static int echo_on(int master)
{
	struct termios t;
	return tcgetattr(master, &t) == 0 && (t.c_lflag & ECHO);
}

/* Holding the output: resume it (^Q) once echo is off, or after 10 s. */
static void release(int master, double *held_since, int *echo_off_first)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (*held_since == 0)
		*held_since = now;
	int off = !echo_on(master);
	if (!off && now - *held_since < 10)
		return;
	*echo_off_first = off;
	*held_since = -1;
	if (write(master, "\021", 1) < 0) /* ^Q */
		*echo_off_first = 0;
}

static struct run run_on_pty(const char *cmd, const char *prompt, const char *answer, int *echo_off_first)
{
	struct run r = { .code = -1, .out = calloc(1, 1), .err = calloc(1, 1) };
	size_t len = 0;
	int master, answered = 0;
	double held_since = echo_off_first ? 0 : -1;
	int go[2] = { -1, -1 };
	if (echo_off_first && pipe(go))
		return r;
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	if (pid == 0) {
		if (go[1] >= 0)
			close(go[1]);
		child(cmd, go[0]);
	}
	if (go[0] >= 0) {
		close(go[0]);
		/* ^S: the terminal's output waits (IXON) until ^Q */
		if (pid > 0 && (write(master, "\023", 1) < 0 || write(go[1], "g", 1) < 0))
			kill(pid, SIGKILL);
		close(go[1]);
	}
	if (pid < 0)
		return r;
	for (;;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		if (held_since >= 0)
			release(master, &held_since, echo_off_first);
		int ready = poll(&p, 1, held_since >= 0 ? 20 : 30000);
		if (ready == 0 && held_since >= 0)
			continue;
		if (ready <= 0) {
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

struct run pty_run(const char *cmd, const char *prompt, const char *answer)
{
	return run_on_pty(cmd, prompt, answer, NULL);
}

struct run pty_run_held(const char *cmd, const char *prompt, const char *answer, int *echo_off_first)
{
	*echo_off_first = 0;
	return run_on_pty(cmd, prompt, answer, echo_off_first);
}
