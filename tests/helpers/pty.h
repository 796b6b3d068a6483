/* Run a command on a pseudo-terminal (its controlling terminal), answering
 * one prompt: for what the tools read from /dev/tty (an MFA code, a PIN). */
#ifndef TESTS_PTY_H
#define TESTS_PTY_H

#include "testutil.h"

/* Run cmd (sh -c, the tools first on PATH) on a new pty; once the terminal
 * shows `prompt`, type `answer` and Enter. r->out is everything the terminal
 * showed (stdout and stderr too unless cmd redirects them); r->err is "".
 * A terminal silent for 30 s (say, a second prompt) ends the command (SIGKILL,
 * code 137). */
struct run pty_run(const char *cmd, const char *prompt, const char *answer);
/* pty_run, with the terminal's output stopped (as by ^S) from the start: the
 * prompt cannot show until the helper resumes it (^Q), which it does once the
 * terminal's ECHO flag is off, or after 10 s. *echo_off_first: echo went off
 * while the prompt was still held back, i.e. before it was written. cmd must
 * write nothing else to the terminal before its prompt. */
struct run pty_run_held(const char *cmd, const char *prompt, const char *answer, int *echo_off_first);

#endif
