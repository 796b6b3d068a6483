#!/bin/sh
# Install the Debian packages the build, tests and demo need, only when one is
# missing. As root it runs apt-get (update once, then install -y); otherwise it
# prints the command to run.
set -eu
PKGS="build-essential pkg-config libssl-dev libyaml-dev libcurl4-openssl-dev \
libjson-c-dev libinih-dev libp11-kit-dev libxml2-dev libcriterion-dev openssl \
python3 python3-botocore python3-cryptography softhsm2 opensc xxd man-db \
arm-trusted-firmware-tools"
[ "${1:-}" = "--extra" ] && PKGS="$PKGS valgrind clang libclang-rt-14-dev time"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# another apt-get (a second make, an unattended upgrade) holds the lock: wait for it
	lock="-o DPkg::Lock::Timeout=600"
	# shellcheck disable=SC2086
	apt-get $lock update -qq
	# shellcheck disable=SC2086
	apt-get $lock install -y -qq --no-install-recommends $missing >/dev/null
else
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
