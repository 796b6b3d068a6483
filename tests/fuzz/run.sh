#!/bin/sh
# fuzz SECONDS: run every harness for SECONDS (two at a time), corpus in
#               build-fuzz/corpus/NAME, seeded from tests/fuzz/corpus/NAME
# replay:       run every harness once over its committed corpus
set -eu
cd "$(dirname "$0")/../.."
mode=$1
bin=build-fuzz/fuzz
seeds() { # extra seed directories per harness
	case $1 in fuzz_image) echo tests/vectors/stm32 ;; *) echo "" ;; esac
}
names=$(ls tests/fuzz/fuzz_*.c | sed 's|.*/||; s|\.c$||')
if [ "$mode" = replay ]; then
	total=0
	for n in $names; do
		files=$(find tests/fuzz/corpus/$n $(seeds $n) -type f 2>/dev/null)
		count=$(echo "$files" | grep -c . || true)
		# shellcheck disable=SC2086
		"$bin/$n" -runs=1 $files > "build-fuzz/$n.replay.log" 2>&1 ||
			{ echo "fuzz replay: $n FAILED (build-fuzz/$n.replay.log)"; tail -30 "build-fuzz/$n.replay.log"; exit 1; }
		total=$((total + count))
		echo "fuzz replay: $n: $count inputs, no crash"
	done
	echo "fuzz replay: $total passed, 0 failed"
	exit 0
fi
secs=$2
mkdir -p build-fuzz/corpus build-fuzz/logs
run_one() {
	n=$1
	mkdir -p "build-fuzz/corpus/$n"
	# shellcheck disable=SC2046
	"$bin/$n" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="build-fuzz/logs/$n-" "build-fuzz/corpus/$n" tests/fuzz/corpus/$n $(seeds $n) \
		> "build-fuzz/logs/$n.log" 2>&1 && status=ok || status=FAILED
	stats=$(grep -E '^(#[0-9]+|Done)' "build-fuzz/logs/$n.log" | tail -1)
	echo "$n: $status: $stats"
}
set -- $names
while [ $# -gt 0 ]; do
	run_one "$1" &
	[ $# -gt 1 ] && { run_one "$2" & }
	wait
	shift; [ $# -gt 0 ] && shift
done
