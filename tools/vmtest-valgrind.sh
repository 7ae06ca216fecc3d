#!/bin/bash
# The daemon suite with valgrind in the VM image, so that its
# test_daemon_under_valgrind runs the daemon under memcheck (leaks, invalid
# accesses, descriptors) through reloads, a rejected policy, SIGUSR1, a scrape
# and a clean stop. The plain `make vmtest SUITE=daemon` image has no valgrind.
#
#   tools/vmtest-valgrind.sh [KERNEL]      (default 6.1; 5.10, 6.12, newest)
set -eu
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind not installed (tools/deps.sh)" >&2; exit 2; }
make --no-print-directory all

vg=/usr/libexec/valgrind
files="jq /usr/bin/id /usr/bin/valgrind /usr/bin/valgrind.bin $vg/memcheck-amd64-linux"
files="$files $vg/vgpreload_core-amd64-linux.so $vg/vgpreload_memcheck-amd64-linux.so $vg/default.supp"
# memcheck must redirect strlen & co. in the dynamic loader: it needs the loader's symbols.
for lib in /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/libc.so.6; do
	id=$(readelf -n "$(readlink -f "$lib")" | awk '/Build ID/ { print $3 }')
	dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
	[ -f "$dbg" ] && files="$files $dbg"
done
# Valgrind is slow under TCG: give the VM and each test more time.
HX_VM_EXTRA="$files" HXT_TIMEOUT=900 exec vmtest/run.sh --kernel "${1:-6.1}" --suite daemon \
	--timeout 3600 --keep-log
