#!/bin/sh
# check-procs.sh MARK: fail if any process still carries STM32_TEST_RUN=MARK... (MARK
# or longer) in its environment. make test puts that variable on the test binaries,
# with a mark of its own run; every process a test starts (loopback KMS, credentials
# server, tools, shells) inherits it, so a process that a test forgot to stop is
# found here, whatever its name. make check-procs gives the worktree's prefix: any run.
set -eu
mark=$1
left=""
for env in /proc/[0-9]*/environ; do
	pid=${env#/proc/}
	pid=${pid%/environ}
	[ "$pid" = $$ ] && continue
	# a process may exit while we look: unreadable or gone is not a finding
	run=$({ tr "\0" "\n" < "$env"; } 2>/dev/null | sed -n 's/^STM32_TEST_RUN=//p' || true)
	case "$run" in
	"$mark"*) ;;
	*) continue ;;
	esac
	if [ -n "$run" ]; then
		cmd=$({ tr "\0" " " < "/proc/$pid/cmdline"; } 2>/dev/null || true)
		[ -n "$cmd" ] && left="$left
  pid $pid: $cmd"
	fi
done
if [ -n "$left" ]; then
	echo "check-procs: processes started by the tests are still running:$left" >&2
	exit 1
fi
echo "check-procs: no process started by the tests is left"
