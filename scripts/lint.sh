#!/bin/sh
# make lint: the style rules of design.md that a script can check, over every C file
# the project owns (not build outputs). Prints one line per finding
# (file:line: rule) and exits 1 if there is any.
#   - no sprintf, vsprintf, strcpy, strcat, atoi, atol, gets
#   - a function body is at most MAX_FUNC lines (from its opening to its closing brace)
#   - a line of the tools and libraries is at most MAX_LINE characters (tests are
#     exempt: their table rows keep a command and its expected message on one line)
#   - header-version differences are data in image/layout.c: no branch on HDR_Vnn
#     (== or != HDR_Vnn, case HDR_Vnn) anywhere else
set -eu
cd "$(dirname "$0")/.."
MAX_FUNC=80
MAX_LINE=132

files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' ! -path './build*' | sed 's|^\./||')
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# shellcheck disable=SC2086
grep -nHE '(^|[^A-Za-z0-9_.>])(sprintf|vsprintf|strcpy|strcat|atoi|atol|gets)[[:space:]]*\(' $files |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)' |
	sed -E 's/^([^:]+:[0-9]+):.*/\1: banned call (sprintf, vsprintf, strcpy, strcat, atoi, atol, gets)/' >> "$out" || true

# shellcheck disable=SC2086
awk -v max_func="$MAX_FUNC" -v max_line="$MAX_LINE" '
	FNR == 1 { start = 0 }
	{
		if (FILENAME !~ /^tests\// && length($0) > max_line)
			printf "%s:%d: line is %d characters (max %d)\n", FILENAME, FNR, length($0), max_line
	}
	/^\{/ { start = FNR }
	/^\}/ && start {
		n = FNR - start - 1
		if (n > max_func)
			printf "%s:%d: function body is %d lines (max %d)\n", FILENAME, start, n, max_func
		start = 0
	}
' $files >> "$out"

for f in $files; do
	[ "$f" = image/layout.c ] && continue
	grep -nHE '(==|!=)[[:space:]]*HDR_V[0-9]+|HDR_V[0-9]+[[:space:]]*(==|!=)|case[[:space:]]+HDR_V' "$f" |
		sed -E 's/^([^:]+:[0-9]+):.*/\1: branch on the header version (make it data in image\/layout.c)/' >> "$out" || true
done

if [ -s "$out" ]; then
	cat "$out"
	echo "lint: $(wc -l < "$out") finding(s)" >&2
	exit 1
fi
echo "lint: $(echo "$files" | wc -l) files clean"
