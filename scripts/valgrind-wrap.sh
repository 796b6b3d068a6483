#!/bin/sh
# Build a directory of wrappers that run each tool under valgrind memcheck,
# for `make demo-valgrind`: any memory error or leak fails the demo.
#   valgrind-wrap.sh BINDIR WRAPDIR
set -eu
bin=$1 wrap=$2
mkdir -p "$wrap"
for t in stm32-prep kms-sign-digest stm32-assemble stm32-inspect stm32-sign-compat; do
	cat > "$wrap/$t" <<EOS
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--log-file="$wrap/$t.%p.log" "$bin/$t" "\$@"
EOS
	chmod +x "$wrap/$t"
done
