#!/bin/bash
# Boot a Debian cloud kernel under qemu (TCG) and run a VM test suite in it.
#
#   vmtest/run.sh --kernel SERIES --suite NAME [--timeout SECONDS] [--keep-log]
#
#   SERIES    5.10 | 6.1 | 6.12 | newest, a comma-separated list, or "all"
#             (kernels run one after another, never in parallel)
#   NAME      a suite of tests/vm/suite-NAME.sh, a comma-separated list, or
#             "all" (every suite but smoke)
#   --timeout whole-VM time limit in seconds (default 600); qemu is killed after
#   --keep-log  keep the console log of a VM that passed too (by default only
#             the log of a failed VM is kept); or set HX_VM_KEEP_LOG=1
#
#   vmtest/run.sh --scan-log LOG [QEMU_STATUS]
#             judge a saved console log the way a VM's log is judged (kernel
#             faults, DONE counts) without booting anything; prints the
#             verdict and the .result line, exit status 0 if it passes
#
# Console log: build/vmtest/<series>-<suite>.log; result ("passed failed
# expected not_run"): build/vmtest/<series>-<suite>.result.  Exit status 0 only
# if every VM printed "HXT DONE" with failed=0, passed>0 and
# passed+failed+xfail+skipped == expected, and its log shows no kernel fault.
# not_run counts the tests that never ran (also in failed) and the skipped
# ones (HXT SKIP: a tool the image lacks; neither passed nor failed).
#
# Environment: HXT_TIMEOUT (per-test timeout in the guest, seconds),
# HX_VM_APPEND (extra kernel parameters), HX_VM_UNLOAD=1 (every suite unloads
# at its end, so the next one loads and verifies afresh instead of adopting),
# HX_VM_EXTRA / HX_VM_EXTRA_SUITES (see mkinitramfs.sh), HX_BUILD (the build
# directory whose helixagent and vm-bin/ the VM gets; default build/), QEMU
# (qemu binary).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CACHE=${HX_VMTEST_CACHE:-$HERE/.cache}
# HX_VM_OUTDIR: where logs, results, the initramfs and the lock go; two runs
# with different directories may run side by side (tools/check.sh does).
OUTDIR=${HX_VM_OUTDIR:-$ROOT/build/vmtest}
QEMU=${QEMU:-qemu-system-x86_64}
ALL_SERIES="5.10 6.1 6.12 newest"

usage() {
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

# Kernel faults that fail a VM even when every test passed.  Each must start a
# kernel message: at the start of a line or right after the printk timestamp
# ("[   12.345678] "; a message can also land in the middle of a line the
# guest was printing), so that test output (indented by the guest runner) and
# boot messages such as "NMI watchdog: Perf NMI watchdog permanently disabled"
# or "rcu: Hierarchical RCU implementation." do not match.
#   BUG: / Oops: / general protection fault   oopses
#   watchdog: BUG: soft lockup, watchdog: Watchdog detected hard LOCKUP
#   WARNING: CPU: N PID: N at ...             WARN_ON splats
#   INFO: task NAME:PID blocked for more than N seconds   hung tasks
#   rcu: INFO: rcu_sched detected stalls / rcu_preempt self-detected stall
#                                             (5.10 prints the same without "rcu: ")
FAULT_RE='(^|\] )(BUG: |Oops: |general protection fault|watchdog: BUG: soft lockup|watchdog: Watchdog detected hard LOCKUP|WARNING: CPU: |INFO: task .* blocked for more than|(rcu: )?INFO: rcu_[a-z_]+ (self-)?detected stall)'

# judge_log LOG QEMU_STATUS: sets why ("" if the VM passed), passed, failed,
# expected and notrun from a console log.
judge_log() {
	local log=$1 qrc=$2 done_line xfail skipped planned results fault
	why='' passed=0 failed=1 expected='' notrun=0
	done_line=$(grep -a '^HXT DONE ' "$log" | tail -n 1 || true)
	# What the console shows, to check DONE against and to account for a
	# VM that never printed DONE.
	planned=$(sed -n 's/^HXT PLAN [^ ]* \([0-9][0-9]*\)$/\1/p' "$log" | awk '{ n += $1 } END { print n + 0 }')
	results=$(grep -acE '^HXT (PASS|FAIL|XFAIL|SKIP) [^ ]+/' "$log" || true)
	notrun=$(grep -acE '^HXT FAIL [^ ]+: not run$' "$log" || true)
	skipped=$(grep -acE '^HXT SKIP [^ ]+/' "$log" || true)
	if [ -n "$done_line" ]; then
		passed=$(printf '%s\n' "$done_line" | sed -n 's/.* passed=\([0-9]*\).*/\1/p')
		failed=$(printf '%s\n' "$done_line" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
		xfail=$(printf '%s\n' "$done_line" | sed -n 's/.* xfail=\([0-9]*\).*/\1/p')
		expected=$(printf '%s\n' "$done_line" | sed -n 's/.* expected=\([0-9]*\).*/\1/p')
		skipped=$(printf '%s\n' "$done_line" | sed -n 's/.* skipped=\([0-9]*\).*/\1/p')
		passed=${passed:-0} failed=${failed:-1} xfail=${xfail:-0} skipped=${skipped:-0}
	else
		# No DONE: count what did report; every planned test without a
		# result is not run (and failed), and the VM is one more failure
		# (added below).
		passed=$(grep -acE '^HXT PASS [^ ]+/' "$log" || true)
		failed=$(grep -acE '^HXT FAIL [^ ]+/' "$log" || true)
		xfail=$(grep -acE '^HXT XFAIL [^ ]+/' "$log" || true)
		expected=$planned
		if [ "$results" -lt "$planned" ]; then
			notrun=$((notrun + planned - results))
			failed=$((failed + planned - results))
		fi
	fi
	fault=$(grep -aE -m1 "$FAULT_RE" "$log" | sed 's/^\[[ 0-9.]*\] //' || true)
	if grep -aq -e 'Kernel panic' -e 'end Kernel panic' "$log"; then
		why="kernel panic: $(grep -a -m1 'Kernel panic' "$log" | sed 's/^\[[ 0-9.]*\] //')"
	elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		why="hang: no poweroff within ${timeout}s, qemu killed${fault:+ (kernel fault: $fault)}"
	elif [ -z "$done_line" ]; then
		why="qemu exited (status $qrc) without HXT DONE${fault:+ (kernel fault: $fault)}"
	elif [ -n "$fault" ]; then
		why="kernel fault: $fault"
	elif [ -z "$expected" ]; then
		why="HXT DONE has no expected= (cannot tell whether every test ran): $done_line"
	elif [ $((passed + failed + xfail + skipped)) != "$expected" ]; then
		why="HXT DONE accounts for $((passed + failed + xfail + skipped)) results (passed+failed+xfail+skipped) but expected=$expected: $done_line"
	elif [ "$expected" -lt "$planned" ]; then
		why="HXT DONE says expected=$expected but the HXT PLAN lines add up to $planned"
	fi
	if [ -n "$why" ]; then
		# A VM that did not finish cleanly counts as one more failure.
		failed=$((failed + 1))
	fi
	notrun=$((notrun + skipped))
	expected=${expected:-0}
}

kernels='' suite='' timeout=600 keep_log=${HX_VM_KEEP_LOG:-0}
if [ "${1:-}" = --scan-log ]; then
	[ -f "${2:-}" ] || { echo "vmtest: --scan-log needs a log file" >&2; exit 2; }
	judge_log "$2" "${3:-0}"
	if [ -n "$why" ]; then
		echo "$why"
	elif [ "$failed" != 0 ]; then
		echo "tests failed (failed=$failed)"
	elif [ "$passed" = 0 ]; then
		echo "no test ran (passed=0)"
	else
		echo ok
	fi
	echo "$passed $failed $expected $notrun"
	[ -z "$why" ] && [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
	exit
fi
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernels=${2:?--kernel needs a value}; shift 2 ;;
	--kernel=*) kernels=${1#*=}; shift ;;
	--suite) suite=${2:?--suite needs a value}; shift 2 ;;
	--suite=*) suite=${1#*=}; shift ;;
	--timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
	--timeout=*) timeout=${1#*=}; shift ;;
	--keep-log) keep_log=1; shift ;;
	-h | --help) usage ;;
	*) echo "vmtest: unknown argument '$1'" >&2; usage ;;
	esac
done
if [ -z "$kernels" ] || [ -z "$suite" ]; then usage; fi
case $timeout in '' | *[!0-9]*) echo "vmtest: --timeout must be a number of seconds" >&2; exit 2 ;; esac
case $suite in *[!A-Za-z0-9_,-]*) echo "vmtest: bad suite name '$suite'" >&2; exit 2 ;; esac
[ "$kernels" != all ] || kernels=$ALL_SERIES
kernels=${kernels//,/ }
for k in $kernels; do
	case " $ALL_SERIES " in *" $k "*) ;; *) echo "vmtest: unknown kernel series '$k' (one of: $ALL_SERIES, all)" >&2; exit 2 ;; esac
done
command -v "$QEMU" >/dev/null || { echo "vmtest: $QEMU not found (apt-get install qemu-system-x86)" >&2; exit 2; }

# Fetch what is missing (one apt update for all of them).
missing=
for k in $kernels; do
	[ -s "$CACHE/kernels/$k/vmlinuz" ] || missing="$missing $k"
done
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	"$HERE/fetch-kernels.sh" $missing >&2 || true
fi

mkdir -p "$OUTDIR"
# One VM at a time on this machine (2 cores): serialize concurrent runs.
if command -v flock >/dev/null; then
	exec 8>"$OUTDIR/.vm.lock"
	if ! flock -n 8; then
		echo "vmtest: waiting for another vmtest/run.sh to finish" >&2
		flock 8
	fi
fi
initrd=$OUTDIR/initramfs.cpio.gz
"$HERE/mkinitramfs.sh" "$initrd"

suite_tag=${suite//,/+}

# boot_one SERIES: returns 0 if the suite passed.
boot_one() {
	local k=$1 kdir=$CACHE/kernels/$1 tag="[$1]"
	local log=$OUTDIR/$k-$suite_tag.log res=$OUTDIR/$k-$suite_tag.result
	rm -f "$log" "$res"
	if [ ! -s "$kdir/vmlinuz" ]; then
		echo "$tag HXT FAIL vm/boot: kernel $k not available (vmtest/fetch-kernels.sh $k failed)"
		echo "0 1 0 0" >"$res"
		return 1
	fi
	local append="console=ttyS0 panic=-1 rdinit=/init hx.suite=$suite"
	# 5.10's default LSM list lacks bpf.
	[ "$k" != 5.10 ] || append="$append lsm=landlock,lockdown,yama,apparmor,bpf"
	[ -z "${HXT_TIMEOUT:-}" ] || append="$append hx.timeout=$HXT_TIMEOUT"
	[ -z "${HX_VM_UNLOAD:-}" ] || append="$append hx.unload=$HX_VM_UNLOAD"
	[ -z "${HX_VM_APPEND:-}" ] || append="$append $HX_VM_APPEND"

	echo "$tag booting $(cat "$kdir/version" 2>/dev/null || echo '?'), suite $suite (log: ${log#"$ROOT"/})"
	local start=$SECONDS
	# The console goes to the log; HXT lines are echoed as they arrive.
	local qrc=0
	set +e
	timeout -k 5 "$timeout" "$QEMU" -accel tcg -cpu Haswell-v4 -m 1024 -smp 1 \
		-nic none -nographic -no-reboot \
		-kernel "$kdir/vmlinuz" -initrd "$initrd" -append "$append" \
		</dev/null 2>&1 |
		while IFS= read -r line || [ -n "$line" ]; do
			line=${line%$'\r'}
			printf '%s\n' "$line" >>"$log"
			case $line in
			"HXT "*) printf '%s %s\n' "$tag" "$line" ;;
			esac
		done
	qrc=${PIPESTATUS[0]}
	set -e
	local secs=$((SECONDS - start))

	local why passed failed expected notrun
	judge_log "$log" "$qrc"
	if [ -n "$why" ]; then
		echo "$tag HXT FAIL vm/$k: $why (after ${secs}s; log: ${log#"$ROOT"/}); last 30 console lines:"
		tail -n 30 "$log" | sed "s/^/$tag     /"
	fi
	echo "$passed $failed $expected $notrun" >"$res"
	if [ -z "$why" ] && [ "$failed" = 0 ] && [ "$passed" -gt 0 ]; then
		if [ "$keep_log" = 1 ]; then
			echo "$tag ok: expected=$expected passed=$passed failed=0 not run=$notrun in ${secs}s (log: ${log#"$ROOT"/})"
		else
			rm -f "$log"
			echo "$tag ok: expected=$expected passed=$passed failed=0 not run=$notrun in ${secs}s"
		fi
		return 0
	fi
	[ -n "$why" ] || [ "$passed" -gt 0 ] || [ "$failed" != 0 ] ||
		echo "$tag HXT FAIL vm/$k: no test ran (passed=0)"
	echo "$tag FAILED: expected=$expected passed=$passed failed=$failed (not run: $notrun) in ${secs}s (log: ${log#"$ROOT"/})"
	return 1
}

rc=0
summary=
for k in $kernels; do
	if boot_one "$k"; then
		summary="$summary $k:ok"
	else
		rc=1
		summary="$summary $k:FAIL"
	fi
done
# shellcheck disable=SC2086
set -- $kernels
[ $# -le 1 ] || echo "vmtest: suite $suite:$summary"
exit $rc
