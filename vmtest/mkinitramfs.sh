#!/bin/bash
# Build the test VM's initramfs (busybox-static + HelixAgent + tests).
#
#   vmtest/mkinitramfs.sh OUT.cpio.gz
#
# Contents:
#   /bin/busybox and all its applets (links under /bin, /sbin, /usr/bin, /usr/sbin)
#   /usr/sbin/helixagent          build/helixagent, if built
#   /usr/libexec/hx/*             every file of build/vm-bin/
#                                 (build/ is $HX_BUILD when set: tools/mutation.sh's mutants)
#   /hx/tests/vm/                 the tests/vm/ tree
#   /hx/policy/                   every file of policy/
#   host binaries of $HX_VM_EXTRA (default "jq /usr/bin/id"), at their host paths
#   files of $HX_VM_EXTRA_SUITES (scratch suite-*.sh files), in /hx/tests/vm/
#   /lib/hx-modules/<release>/    the modules fetch-kernels.sh kept for each cached
#                                 kernel (loop, overlay); /init loads its kernel's
#   mke2fs (as mkfs.ext4), for an ext4 image on a loop device
#   the shared libraries (and dynamic loader) of every dynamic ELF above
#   /init                         see the script below
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUSYBOX=${HX_BUSYBOX:-/bin/busybox}
# coreutils id: a real binary of its own (busybox applets all share one inode)
EXTRA=${HX_VM_EXTRA-jq /usr/bin/id}
CACHE=${HX_VMTEST_CACHE:-$HERE/.cache}
BUILD=${HX_BUILD:-$ROOT/build}

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 OUT.cpio.gz" >&2; exit 2; }
out=$1
case $out in /*) ;; *) out=$PWD/$out ;; esac

for t in cpio gzip ldd find; do
	command -v "$t" >/dev/null || die "$t not found"
done
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is dynamically linked; install busybox-static"
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/hx-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,usr/libexec/hx,etc,dev,proc,sys,tmp,run,root,var/log,hx}

# --- busybox -------------------------------------------------------------
cp "$BUSYBOX" "$stage/bin/busybox"
chmod 0755 "$stage/bin/busybox"
# Every applet gets a link in /bin (or /sbin for system applets), so that
# /bin:/sbin alone is a full PATH; applets busybox places under /usr get
# an extra link there, as "busybox --install -s" would make.
"$BUSYBOX" --list-full | while IFS= read -r path; do
	name=${path##*/}
	case $path in
	*/*) dir=${path%/*} ;;
	*) continue ;; # linuxrc
	esac
	[ "$name" != busybox ] || continue
	case $dir in
	sbin | usr/sbin) ln -sf /bin/busybox "$stage/sbin/$name" ;;
	*) ln -sf busybox "$stage/bin/$name" ;;
	esac
	case $dir in
	usr/*) ln -sf /bin/busybox "$stage/$path" ;;
	esac
done
[ -e "$stage/bin/sh" ] || die "busybox has no sh applet"

# --- payload -------------------------------------------------------------
elfs=$stage/.elfs
: >"$elfs"

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# put HOSTFILE DEST [MODE]: copy (dereferencing links) into the image,
# replacing whatever busybox link is there; remember ELF files for ldd.
put() {
	mkdir -p "$stage$(dirname "$2")"
	rm -f "$stage$2"
	cp -L "$1" "$stage$2"
	[ $# -lt 3 ] || chmod "$3" "$stage$2"
	if is_elf "$1"; then echo "$1" >>"$elfs"; fi
}

if [ -f "$BUILD/helixagent" ]; then
	put "$BUILD/helixagent" /usr/sbin/helixagent 0755
fi

if [ -d "$BUILD/vm-bin" ]; then
	for f in "$BUILD/vm-bin"/*; do
		[ -f "$f" ] || continue
		put "$f" "/usr/libexec/hx/${f##*/}"
	done
fi

mkdir -p "$stage/hx/tests/vm" "$stage/hx/policy"
if [ -d "$ROOT/tests/vm" ]; then
	cp -R "$ROOT/tests/vm/." "$stage/hx/tests/vm/"
	find "$ROOT/tests/vm" -type f -perm -u+x | while IFS= read -r f; do
		if is_elf "$f"; then echo "$f" >>"$elfs"; fi
	done
fi
for f in ${HX_VM_EXTRA_SUITES:-}; do
	[ -f "$f" ] || die "HX_VM_EXTRA_SUITES: $f is not a file"
	cp "$f" "$stage/hx/tests/vm/"
done
if [ -d "$ROOT/policy" ]; then
	for f in "$ROOT/policy"/*; do
		[ -f "$f" ] || continue
		cp -L "$f" "$stage/hx/policy/"
	done
fi

for x in $EXTRA; do
	case $x in
	*/*) p=$x ;;
	*) p=$(command -v "$x" 2>/dev/null) || die "HX_VM_EXTRA: $x not found on the host" ;;
	esac
	[ -f "$p" ] || die "HX_VM_EXTRA: $p is not a file"
	case $p in /*) ;; *) p=$(cd "$(dirname "$p")" && pwd)/${p##*/} ;; esac
	put "$p" "$p"
done

# An ext4 image on a loop device: a filesystem whose dentries can be evicted
# (tmpfs keeps all of them), so a file handle decodes to a disconnected one.
mke2fs=$(command -v mke2fs 2>/dev/null || true)
[ -z "$mke2fs" ] || put "$mke2fs" /usr/sbin/mkfs.ext4

# Each cached kernel's modules, by release: one image serves every kernel.
for kd in "$CACHE"/kernels/*/; do
	[ -s "$kd/version" ] && [ -d "$kd/modules" ] || continue
	rel=$(cat "$kd/version")
	mkdir -p "$stage/lib/hx-modules/$rel"
	for m in "$kd"/modules/*.ko; do
		[ -f "$m" ] && cp "$m" "$stage/lib/hx-modules/$rel/"
	done
done

# --- shared libraries ------------------------------------------------------
# ldd prints "name => /path (addr)" or "/path (addr)" (the loader) or
# "linux-vdso.so.1 (addr)"; keep the paths as ldd reports them.
libs=$stage/.libs
: >"$libs"
while IFS= read -r f; do
	if ! lddout=$(ldd "$f" 2>&1); then
		continue # static, or not for this machine
	fi
	if printf '%s\n' "$lddout" | grep -q 'not found'; then
		die "$f: missing shared libraries:
$(printf '%s\n' "$lddout" | grep 'not found')"
	fi
	printf '%s\n' "$lddout" | sed -n \
		-e 's/^[[:space:]]*[^[:space:]]* => \(\/[^[:space:]]*\) (0x[0-9a-f]*)$/\1/p' \
		-e 's/^[[:space:]]*\(\/[^[:space:]]*\) (0x[0-9a-f]*)$/\1/p' >>"$libs"
done <"$elfs"
sort -u "$libs" | while IFS= read -r l; do
	[ -e "$stage$l" ] && continue
	mkdir -p "$stage$(dirname "$l")"
	cp -L "$l" "$stage$l"
done
rm -f "$elfs" "$libs"

# --- /init -------------------------------------------------------------------
cat >"$stage/init" <<'INIT'
#!/bin/sh
# HelixAgent test VM init (generated by vmtest/mkinitramfs.sh).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/libexec/hx
export HOME=/root TERM=dumb
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mount -t tmpfs -o mode=0755 dev /dev
# Results leave through the serial console.
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpffs /sys/fs/bpf
mount -t securityfs securityfs /sys/kernel/security
if grep -qw debugfs /proc/filesystems; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
if grep -qw tracefs /proc/filesystems && [ -d /sys/kernel/tracing ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
fi

# loop before overlay: no module here depends on another.
for m in /lib/hx-modules/$(uname -r)/*.ko; do
	[ -f "$m" ] && insmod "$m" 2>/dev/null
done

ip link set lo up
ip addr add 192.0.2.1/24 dev lo
ip addr add 198.51.100.1/24 dev lo
ip addr add 203.0.113.1/24 dev lo
ip -6 addr add 2001:db8::1/64 dev lo 2>/dev/null

mkdir -p /var/log /var/run /etc/helixagent /root
cat >/etc/passwd <<EOF
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >/etc/group <<EOF
root:x:0:
nogroup:x:65534:
EOF
hostname hxvm
echo hxvm >/etc/hostname

if [ -r /sys/fs/cgroup/cgroup.controllers ]; then
	for c in cpu memory pids; do
		if grep -qw "$c" /sys/fs/cgroup/cgroup.controllers; then
			echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control
		fi
	done
fi

suite=smoke
for arg in $(cat /proc/cmdline); do
	case $arg in
	hx.suite=*) suite=${arg#hx.suite=} ;;
	hx.timeout=*) export HXT_TIMEOUT="${arg#hx.timeout=}" ;;
	hx.unload=*) export HX_VM_UNLOAD="${arg#hx.unload=}" ;;
	esac
done

lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)
echo "hxvm: kernel $(uname -r), lsm ${lsm:-?}, suite $suite"
# Kernel messages below warning level would interleave with test output.
echo 5 >/proc/sys/kernel/printk

case ",$lsm," in
*,bpf,*)
	/bin/sh /hx/tests/vm/run.sh "$suite"
	;;
*)
	echo "HXT FAIL boot/bpf-lsm: bpf not in active LSM list: ${lsm:-<unreadable>}"
	echo "HXT DONE passed=0 failed=1 xfail=0 expected=1"
	;;
esac

sync
echo "hxvm: powering off"
poweroff -f
# poweroff should not return; if it does, make the kernel stop (and, with
# panic=-1 and qemu -no-reboot, qemu exit).
exit 1
INIT
chmod 0755 "$stage/init"

# --- archive -------------------------------------------------------------
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
	gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -h "$out" | cut -f1))" >&2
