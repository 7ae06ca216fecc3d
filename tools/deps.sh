#!/bin/sh
# Installs every Debian package the build, the VM harness and the tests need.
# Idempotent; run as root on Debian 12 (bookworm).
set -eu

PKGS="
make gcc pkg-config clang llvm lld bpftool
libbpf-dev libelf-dev zlib1g-dev libyaml-dev
libcmocka-dev libseccomp-dev libcap-dev libmicrohttpd-dev libjansson-dev
libclang-rt-14-dev valgrind rsyslog
qemu-system-x86 busybox-static cpio zstd xz-utils
iproute2 python3 jq
scdoc debhelper lintian dpkg-dev fakeroot bash-completion
clang-format shellcheck
libsystemd-dev
libgnutls28-dev rsyslog-gnutls openssl
"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install)" >&2
	exit 2
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
