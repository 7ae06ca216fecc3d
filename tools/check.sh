#!/bin/bash
# `make check`: unit tests and the package test on the host, then every VM suite on every kernel of
# the matrix. Ends with one line "N passed, N failed" over everything; a VM
# that booted nothing or ran no test counts as a failure.
#   tools/check.sh "5.10 6.1 6.12 newest"
# Kernels run in HX_VM_JOBS parallel lanes (default: the number of CPUs, at
# most 2); each VM is single-threaded under TCG, so a lane per core halves
# the wall time on an idle machine.
set -u
cd "$(dirname "$0")/.." || exit 2
kernels=${1:-5.10 6.1 6.12 newest}
suite=${SUITE:-all}
jobs=${HX_VM_JOBS:-$(nproc 2>/dev/null || echo 1)}
# A test that (re)starts the agent waits for a BPF load, which takes minutes
# under TCG on a busy machine.
export HXT_TIMEOUT=${HXT_TIMEOUT:-600}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le 2 ] || jobs=2

rm -f build/unit.result
rm -rf build/vmtest/lane-*
make --no-print-directory unit
unit_rc=$?

# The Debian package: built, lintian-clean, installed, upgraded and purged in a
# throwaway root (tools/deb-test.sh), never on this host; root only.
rm -f build/deb-test.result
if [ "$(id -u)" = 0 ]; then
	make --no-print-directory deb-test >build/deb-test.log 2>&1
	deb_rc=$?
	p=$(grep -c '^deb-test: ok' build/deb-test.log)
	f=$(grep -c '^deb-test: FAIL' build/deb-test.log)
	[ "$deb_rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1 # the build or lintian failed
	echo "$p $f" >build/deb-test.result
	tail -n 3 build/deb-test.log
else
	deb_rc=0
	echo "check: not root: the package test (make deb-test) is not run" >&2
fi

# Fetch every kernel first: the lanes share the cache.
vmtest/fetch-kernels.sh $kernels || echo "check: some kernels could not be fetched" >&2

# Deal the kernels round-robin into lanes; each lane has its own output
# directory (logs, initramfs, lock) and runs its kernels one after another.
set -- $kernels
declare -a lanes
i=0
for k in "$@"; do
	lanes[$((i % jobs))]="${lanes[$((i % jobs))]:-} $k"
	i=$((i + 1))
done
pids=
for l in "${!lanes[@]}"; do
	ks=$(echo ${lanes[$l]})
	out=build/vmtest/lane-$l
	mkdir -p "$out"
	# A whole VM with every suite takes many minutes under TCG (6.12 and newest:
	# most of an hour on a loaded machine, each agent start verifying ~70 programs).
	HX_VM_OUTDIR=$PWD/$out vmtest/run.sh --kernel "${ks// /,}" --suite "$suite" \
		--timeout "${HX_VM_TIMEOUT:-3600}" \
		>"$out/console.txt" 2>&1 &
	pids="$pids $!"
	# Lanes print their HXT lines as they come, prefixed by the kernel.
	tail -n +1 -F "$out/console.txt" 2>/dev/null &
	tails="${tails:-} $!"
done
vm_rc=0
for p in $pids; do
	wait "$p" || vm_rc=1
done
sleep 1
kill ${tails:-} 2>/dev/null
wait 2>/dev/null

passed=0 failed=0
echo "== summary"
# A .result file is "passed failed [expected not_run]" (unit tests write the
# first two only); a VM's failed count already includes its tests that did
# not run and the VM's own failure (vmtest/run.sh), so nothing is added here.
add() { # FILE LABEL
	local p f e n
	if [ -s "$1" ]; then
		read -r p f e n _ <"$1"
		p=${p:-0} f=${f:-1}
		e=${e:-$((p + f))}
	else
		p=0 f=1 e='?' # the VM never wrote its result
	fi
	n=${n:-0}
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		f=1 # ran nothing
	fi
	printf '  %-22s %s expected, %s passed, %s failed (%s not run)\n' "$2" "$e" "$p" "$f" "$n"
	passed=$((passed + p))
	failed=$((failed + f))
}
xfail=$(cat build/vmtest/lane-*/console.txt 2>/dev/null | grep -c 'HXT XFAIL' || true)
if [ "${xfail:-0}" -gt 0 ]; then
	echo "  known failures (tests/vm/known-failures), not counted as passed:"
	cat build/vmtest/lane-*/console.txt | grep 'HXT XFAIL' | sed 's/^/    /'
fi
skips=$(cat build/vmtest/lane-*/console.txt 2>/dev/null | grep 'HXT SKIP' || true)
if [ -n "$skips" ]; then
	echo "  not run here (HXT SKIP: the image lacks what they need), not counted as passed:"
	printf '%s\n' "$skips" | sed 's/^/    /'
fi
# The failing tests, each with the lines its runner printed before it (its
# output, indented), so that the end of the log alone says what broke.
for c in build/vmtest/lane-*/console.txt; do
	[ -f "$c" ] || continue
	grep -q 'HXT FAIL' "$c" || continue
	echo "  failed in $(dirname "$c"):"
	awk '/HXT (PLAN|PASS|XFAIL|DONE)/ { n = 0; next }
	     /HXT FAIL/ { for (i = (n > 12 ? n - 12 : 0); i < n; i++) print "      " buf[i % 12]
	                  print "    " $0; n = 0; next }
	     { buf[n % 12] = $0; n++ }' "$c"
done
add build/unit.result "unit (host)"
[ ! -f build/deb-test.result ] || add build/deb-test.result "package (host)"
tag=${suite//,/+}
for k in $kernels; do
	add "$(ls build/vmtest/lane-*/"$k-$tag.result" 2>/dev/null | head -n 1)" "vm $k"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$unit_rc" -eq 0 ] && [ "$deb_rc" -eq 0 ] && [ "$vm_rc" -eq 0 ]
