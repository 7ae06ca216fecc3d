#!/bin/sh
# Installs, upgrades and purges the Debian package in a throwaway root
# (dpkg --root: maintainer scripts run chrooted into it, with busybox as the
# shell), never on this host. Checks what the package puts where, that an
# operator's edit of a conffile survives an upgrade, and that purge leaves
# nothing. Run as root: tools/deb-test.sh build/deb/helixagent_VERSION_amd64.deb
set -eu

deb=$1
[ "$(id -u)" = 0 ] || { echo "deb-test: needs root (dpkg --root chroots)" >&2; exit 2; }
busybox=$(command -v busybox) || { echo "deb-test: needs busybox-static" >&2; exit 2; }
work=$(mktemp -d /tmp/hx-deb-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
fails=0
ok() { echo "deb-test: ok: $*"; }
bad() { echo "deb-test: FAIL: $*" >&2; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# The smallest root dpkg can run maintainer scripts in.
mkdir -p "$root/bin" "$root/usr/bin" "$root/usr/sbin" "$root/var/lib/dpkg/info" \
	"$root/var/lib/dpkg/updates" "$root/etc" "$root/tmp" "$root/run"
cp "$busybox" "$root/bin/busybox"
for a in sh rm rmdir mkdir cat grep sed test ls cp mv chmod ln true false; do
	ln -sf busybox "$root/bin/$a"
done
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
DPKG="dpkg --root=$root --force-depends --force-confold --log=$work/dpkg.log"

# v2: the same package one version later, its default policy changed (a new conffile text).
ver=$(dpkg-deb -f "$deb" Version)
mkdir "$work/v2"
dpkg-deb -R "$deb" "$work/v2/pkg"
sed -i "s/^Version: .*/Version: $ver+test1/" "$work/v2/pkg/DEBIAN/control"
printf '# upgraded default\n' >>"$work/v2/pkg/etc/helixagent/helixagent.yaml"
# the conffile's md5 in DEBIAN/md5sums must follow the new text
(cd "$work/v2/pkg" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' |
	sort | xargs md5sum >DEBIAN/md5sums)
dpkg-deb -b "$work/v2/pkg" "$work/v2.deb" >/dev/null

echo "deb-test: install $ver"
$DPKG -i "$deb" >"$work/out" 2>&1 || { cat "$work/out"; bad "dpkg -i"; }
check "installed" "grep -q '^Status: install ok installed' '$root/var/lib/dpkg/status'"
for f in usr/sbin/helixagent etc/helixagent/helixagent.yaml etc/default/helixagent \
	etc/logrotate.d/helixagent lib/systemd/system/helixagent.service \
	usr/share/man/man8/helixagent.8.gz usr/share/man/man5/helixagent.yaml.5.gz \
	usr/share/bash-completion/completions/helixagent usr/share/doc/helixagent/copyright \
	usr/share/doc/helixagent/operations.md; do
	check "ships /$f" "[ -f '$root/$f' ]"
done
check "unit runs /usr/sbin/helixagent" "grep -q '^ExecStart=/usr/sbin/helixagent run -c /etc/helixagent/helixagent.yaml' '$root/lib/systemd/system/helixagent.service'"
check "policy is mode 0600" "[ \$(stat -c %a '$root/etc/helixagent/helixagent.yaml') = 600 ]"
for c in /etc/helixagent/helixagent.yaml /etc/default/helixagent /etc/logrotate.d/helixagent; do
	check "conffile $c" "grep -qx '$c' '$root/var/lib/dpkg/info/helixagent.conffiles'"
done
check "installed disabled (no enable link)" "[ ! -e '$root/etc/systemd/system/multi-user.target.wants/helixagent.service' ]"

echo "deb-test: the operator edits the policy, then upgrade to $ver+test1"
printf '# edited by the operator\n' >>"$root/etc/helixagent/helixagent.yaml"
$DPKG -i "$work/v2.deb" >"$work/out" 2>&1 || { cat "$work/out"; bad "dpkg -i (upgrade)"; }
check "upgraded" "grep -A8 '^Package: helixagent' '$root/var/lib/dpkg/status' | grep -q '^Version: $ver+test1'"
check "operator's edit kept" "grep -q 'edited by the operator' '$root/etc/helixagent/helixagent.yaml'"
check "new default beside it" "grep -q 'upgraded default' '$root/etc/helixagent/helixagent.yaml.dpkg-dist'"

echo "deb-test: remove, then purge"
$DPKG -r helixagent >"$work/out" 2>&1 || { cat "$work/out"; bad "dpkg -r"; }
check "binary gone after remove" "[ ! -e '$root/usr/sbin/helixagent' ]"
check "conffiles kept after remove" "[ -f '$root/etc/helixagent/helixagent.yaml' ]"
$DPKG -P helixagent >"$work/out" 2>&1 || { cat "$work/out"; bad "dpkg -P"; }
check "purged" "! grep -q '^Package: helixagent' '$root/var/lib/dpkg/status' || grep -A3 '^Package: helixagent' '$root/var/lib/dpkg/status' | grep -q 'not-installed'"
check "/etc/helixagent gone after purge" "[ ! -e '$root/etc/helixagent' ]"
check "nothing of it left" "[ -z \"\$(find '$root' -name '*helixagent*' ! -path '*/var/lib/dpkg/*' ! -path '*/var/log/*')\" ]"

if [ "$fails" -ne 0 ]; then
	echo "deb-test: $fails check(s) failed" >&2
	exit 1
fi
echo "deb-test: all checks passed"
