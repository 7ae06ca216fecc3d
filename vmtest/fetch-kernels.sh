#!/bin/bash
# Download the newest Debian cloud kernel of each test series into
# vmtest/.cache/kernels/<series>/{vmlinuz,version,package,modules/}.
# modules/ holds the few modules the VM tests load (loop, overlay: built as
# modules by the cloud kernels), uncompressed, from the same package.
#
#   vmtest/fetch-kernels.sh [--refresh] [SERIES...]     SERIES: 5.10 6.1 6.12 newest
#
# Uses a private apt configuration under vmtest/.cache/apt (own sources.list,
# lists and cache directories); the system's apt sources are never touched.
# Release files are verified with the Debian archive keyring.  A series that is
# already cached is skipped unless --refresh is given.  At most one apt
# metadata update per run.
set -eu

ALL_SERIES="5.10 6.1 6.12 newest"
# Modules shipped into the VM (suite-fs: loop for an ext4 image, overlay).
VM_MODULES="loop overlay"
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${HX_VMTEST_CACHE:-$HERE/.cache}
KEYRING=${HX_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

die() { echo "fetch-kernels: $*" >&2; exit 1; }

usage() {
	echo "usage: $0 [--refresh] [SERIES...]   (SERIES: $ALL_SERIES; default all)" >&2
	exit 2
}

refresh=0
series_list=
for arg in "$@"; do
	case $arg in
	--refresh) refresh=1 ;;
	-h | --help) usage ;;
	5.10 | 6.1 | 6.12 | newest) series_list="$series_list $arg" ;;
	*) echo "fetch-kernels: unknown series '$arg'" >&2; usage ;;
	esac
done
[ -n "$series_list" ] || series_list=$ALL_SERIES

# Per series: the suites to look in and the package-name pattern (ERE).
suites_of() {
	case $1 in
	5.10) echo "bullseye bullseye-security" ;;
	6.1) echo "bookworm bookworm-updates bookworm-security" ;;
	# Debian also ships 6.12 to bookworm through bookworm-security, with newer
	# point releases than bookworm-backports; take the newest of both.
	6.12) echo "bookworm-backports bookworm-security" ;;
	newest) echo "sid" ;;
	esac
}
pattern_of() {
	case $1 in
	5.10) echo '^linux-image-5\.10\.0-[0-9]+-cloud-amd64-unsigned$' ;;
	# excludes the bullseye builds of 6.1 (linux-image-6.1.0-0.deb11.N-...)
	6.1) echo '^linux-image-6\.1\.0-[1-9][0-9]*-cloud-amd64-unsigned$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
	# the signed image package; linux-binary-unsigned-* is not matched
	newest) echo '^linux-binary-[0-9][^-]*-cloud-amd64$' ;;
	esac
}
prefix_of() {
	case $1 in
	5.10) echo linux-image-5.10. ;;
	6.1) echo linux-image-6.1. ;;
	6.12) echo linux-image-6.12. ;;
	newest) echo linux-binary- ;;
	esac
}

# Which series need downloading?
todo=
for s in $series_list; do
	d=$CACHE/kernels/$s
	# A cache from before modules/ was kept is rebuilt (the .deb is not kept).
	if [ "$refresh" = 0 ] && [ -s "$d/vmlinuz" ] && [ -s "$d/version" ] && [ -e "$d/modules/.done" ]; then
		printf '%-7s %s (cached: %s)\n' "$s" "$(cat "$d/version")" "$d/vmlinuz"
	else
		todo="$todo $s"
	fi
done
[ -n "$todo" ] || exit 0

for t in apt-get apt-cache dpkg-deb dpkg; do
	command -v "$t" >/dev/null || die "$t not found (Debian host required)"
done
[ -r "$KEYRING" ] || die "archive keyring $KEYRING missing (apt-get install debian-archive-keyring)"

mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" \
	"$CACHE/apt/debs" "$CACHE/kernels"

# One run at a time per cache directory.
if command -v flock >/dev/null; then
	exec 9>"$CACHE/.lock"
	flock 9
fi

# The host's Debian mirrors, as configured in its apt sources (deb822 or
# one-line format); override with HX_DEBIAN_MIRROR / HX_DEBIAN_SECURITY_MIRROR.
host_uris() {
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p'
	} | sed 's:/*$::' | grep -E '^(https?|file)://' || true
}
uris=$(host_uris)
mirror=${HX_DEBIAN_MIRROR:-$(printf '%s\n' "$uris" | grep -E '/debian$' | head -n1)}
secmirror=${HX_DEBIAN_SECURITY_MIRROR:-$(printf '%s\n' "$uris" | grep -E '/debian-security$' | head -n1)}
# No address is written here: a machine without a Debian source in its apt
# configuration is told so, and given the variables to name one.
if [ -z "$mirror" ]; then
	echo "fetch-kernels: no Debian mirror (a URI ending in /debian) in this machine's apt sources; set HX_DEBIAN_MIRROR" >&2
	exit 2
fi
if [ -z "$secmirror" ]; then
	# the security archive beside the main one, where the machine's sources have none
	secmirror=${mirror%/debian}/debian-security
	echo "fetch-kernels: no security mirror in the apt sources; using $secmirror (set HX_DEBIAN_SECURITY_MIRROR to choose)" >&2
fi

# Private sources.list with only the suites this run needs.
suites=
for s in $todo; do
	for su in $(suites_of "$s"); do
		case " $suites " in *" $su "*) ;; *) suites="$suites $su" ;; esac
	done
done
srclist=$CACHE/apt/sources.list
: >"$srclist.new"
for su in $suites; do
	case $su in
	*-security) uri=$secmirror ;;
	*) uri=$mirror ;;
	esac
	echo "deb [arch=amd64 signed-by=$KEYRING] $uri $su main" >>"$srclist.new"
done
mv "$srclist.new" "$srclist"

APTOPTS="-o Dir::Etc::SourceList=$srclist -o Dir::Etc::SourceParts=/dev/null
 -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
 -o Dir::State::Lists=$CACHE/apt/lists -o Dir::Cache=$CACHE/apt/cache
 -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin
 -o Dir::State::status=/dev/null -o APT::Architecture=amd64
 -o APT::Architectures=amd64 -o Acquire::Languages=none -o Debug::NoLocking=1"

# A failure to verify a Release file is an error (no --allow-insecure).
echo "fetch-kernels: updating private apt lists (${suites# })" >&2
# shellcheck disable=SC2086
apt-get $APTOPTS -q -q update >&2 || die "apt-get update failed"

# Temporary unpack directory, removed on exit.
work=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$work"' EXIT

rc=0
for s in $todo; do
	pat=$(pattern_of "$s")
	# shellcheck disable=SC2086
	names=$(apt-cache $APTOPTS pkgnames "$(prefix_of "$s")" | grep -E "$pat" || true)
	if [ -z "$names" ]; then
		echo "fetch-kernels: $s: no package matches $pat" >&2
		rc=1
		continue
	fi
	# madison: "name | version | URI suite/component arch Packages"; keep only
	# the suites of this series.
	cands=$work/candidates
	: >"$cands"
	# shellcheck disable=SC2086
	while IFS='|' read -r name ver where; do
		name=$(echo "$name" | tr -d ' ') ver=$(echo "$ver" | tr -d ' ')
		# shellcheck disable=SC2086
		set -- $where
		su=${2%%/*}
		case " $(suites_of "$s") " in *" $su "*) echo "$name $ver" >>"$cands" ;; esac
	done <<EOF
$(apt-cache $APTOPTS madison $names)
EOF
	# Try the highest version first.  A version can be listed in an index while
	# its .deb is already gone from the pool (seen with bullseye-security after
	# the end of LTS): then fall back to the next highest.
	got=
	while [ -s "$cands" ]; do
		best_name='' best_ver=''
		while read -r name ver; do
			if [ -z "$best_ver" ] || dpkg --compare-versions "$ver" gt "$best_ver"; then
				best_name=$name best_ver=$ver
			fi
		done <"$cands"
		grep -vxF "$best_name $best_ver" "$cands" >"$cands.rest" || true
		mv "$cands.rest" "$cands"
		rm -f "$CACHE/apt/debs/"*.deb
		# apt drops privileges to _apt while downloading; let it write here.
		if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
			chown _apt "$CACHE/apt/debs"
		fi
		# shellcheck disable=SC2086
		if (cd "$CACHE/apt/debs" && apt-get $APTOPTS -q -q download "$best_name=$best_ver" >"$work/dl.log" 2>&1); then
			got=1
			break
		fi
		echo "fetch-kernels: $s: cannot download $best_name=$best_ver, trying an older one:" >&2
		sed 's/^/    /' "$work/dl.log" >&2
	done
	if [ -z "$got" ]; then
		echo "fetch-kernels: $s: no downloadable package in $(suites_of "$s")" >&2
		rc=1
		continue
	fi
	deb=$(ls "$CACHE/apt/debs/"*.deb)
	rm -rf "$work/x"
	dpkg-deb -x "$deb" "$work/x"
	# linux-image-*: /boot/vmlinuz-<release>; linux-binary-*: /usr/lib/modules/<release>/vmlinuz
	img=$(find "$work/x/boot" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | head -n1)
	[ -n "$img" ] || img=$(find "$work/x/usr/lib/modules" -mindepth 2 -maxdepth 2 -name vmlinuz 2>/dev/null | head -n1)
	if [ -z "$img" ]; then
		echo "fetch-kernels: $s: no vmlinuz in $best_name" >&2
		rc=1
		continue
	fi
	case $img in
	*/boot/vmlinuz-*) release=${img##*/vmlinuz-} ;;
	*) release=$(basename "$(dirname "$img")") ;;
	esac

	d=$CACHE/kernels/$s
	rm -rf "$d.new"
	mkdir -p "$d.new"
	cp "$img" "$d.new/vmlinuz"
	cfg=$(find "$work/x/boot" -maxdepth 1 -name 'config-*' 2>/dev/null | head -n1)
	[ -z "$cfg" ] || cp "$cfg" "$d.new/config"
	echo "$release" >"$d.new/version"
	# The modules the tests need; a kernel that builds one in has no file for it.
	# linux-binary-* (newest) leaves them to linux-modules-<release>, same version.
	if [ -z "$(find "$work/x" -path "*/modules/$release/*" -name 'loop.ko*' 2>/dev/null | head -n1)" ]; then
		rm -f "$CACHE/apt/debs/"*.deb
		# shellcheck disable=SC2086
		if (cd "$CACHE/apt/debs" && apt-get $APTOPTS -q -q download "linux-modules-$release=$best_ver" >"$work/dl.log" 2>&1); then
			dpkg-deb -x "$(ls "$CACHE/apt/debs/"*.deb)" "$work/x"
			rm -f "$CACHE/apt/debs/"*.deb
		else
			echo "fetch-kernels: $s: no linux-modules-$release=$best_ver; the VM will lack: $VM_MODULES" >&2
		fi
	fi
	mkdir -p "$d.new/modules"
	for m in $VM_MODULES; do
		f=$(find "$work/x" -path "*/modules/$release/*" -name "$m.ko*" 2>/dev/null | head -n1)
		[ -n "$f" ] || continue
		case $f in
		*.ko.xz) xz -dc "$f" >"$d.new/modules/$m.ko" ;;
		*.ko.zst) zstd -q -dc "$f" >"$d.new/modules/$m.ko" ;;
		*.ko.gz) gzip -dc "$f" >"$d.new/modules/$m.ko" ;;
		*) cp "$f" "$d.new/modules/$m.ko" ;;
		esac
	done
	: >"$d.new/modules/.done"
	echo "$best_name=$best_ver" >"$d.new/package"
	rm -rf "$d"
	mv "$d.new" "$d"
	rm -f "$deb"
	rm -rf "$work/x"
	printf '%-7s %s (%s) -> %s\n' "$s" "$release" "$best_name=$best_ver" "$d/vmlinuz"
done
exit $rc
