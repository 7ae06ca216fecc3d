#!/bin/sh
# Run VM test suites (inside the test VM; busybox ash / POSIX sh).
#
#   run.sh SUITE...      SUITE: a name NAME of tests/vm/suite-NAME.sh, a
#                        comma-separated list, or "all" (every suite but smoke)
#
# Protocol (read by vmtest/run.sh on the host, from the serial console):
#   HXT PLAN SUITE N                    (before the suite runs: N test_ functions)
#   HXT PASS SUITE/NAME
#   HXT FAIL SUITE/NAME: MESSAGE        (preceded by the test's output, indented)
#   HXT XFAIL SUITE/NAME: MESSAGE (known: REASON)
#   HXT SKIP SUITE/NAME: REASON         (the test called `skip`: not run here)
#   HXT DONE passed=N failed=M xfail=X skipped=S expected=E   (last line)
# NAME is the test function's name without its "test_" prefix, or one of the
# suite-level results suite-load, suite-run, suite_teardown.  Every planned
# test gets exactly one result: one that never ran (the suite file failed to
# load, or the runner's subshell died) is reported "HXT FAIL SUITE/NAME: not
# run".  E counts the results owed: every planned test plus one per
# suite-level failure, so passed+failed+xfail+skipped == expected always
# holds; the host checks it to catch a runner that lost results.
# See tests/vm/lib.sh for how to write a suite.
set -u

HXT_DIR=$(cd "$(dirname "$0")" && pwd)
export HXT_DIR
# shellcheck source=tests/vm/lib.sh
. "$HXT_DIR/lib.sh"

: "${HXT_TIMEOUT:=300}"
export HXT_TIMEOUT
HXT_WORK=${HXT_WORK:-/tmp/hxt}
rm -rf "$HXT_WORK"
mkdir -p "$HXT_WORK"
_hxt_results=$HXT_WORK/results
: >"$_hxt_results"
_hxt_extra=$HXT_WORK/extra
: >"$_hxt_extra"
HXT_OUTPUT_LINES=${HXT_OUTPUT_LINES:-200}

# Known failures: tests/vm/known-failures lists "SUITE/NAME REASON" lines for
# tests that fail today and have an open issue. Such a failure is reported
# as "HXT XFAIL" (visible, counted apart) instead of failing the run; the
# list is meant to shrink, never to hide a new failure.
hxt_known() {
	[ -f "$HXT_DIR/known-failures" ] || return 1
	grep -v '^#' "$HXT_DIR/known-failures" | awk -v id="$1" '$1 == id { $1 = ""; print; found = 1 } END { exit !found }'
}

# hxt_report PASS|FAIL|SKIP ID [MSG]
# The results file gets "PASS|FAIL|XFAIL|SKIP ID": the ID is what lets the
# main loop find the planned tests that never reported.
hxt_report() {
	_hxt_msg=$(printf '%s' "${3:-failed}" | tr '\n\r' '  ')
	if [ "$1" = PASS ]; then
		echo "HXT PASS $2"
		echo "PASS $2" >>"$_hxt_results"
	elif [ "$1" = SKIP ]; then
		echo "HXT SKIP $2: $_hxt_msg"
		echo "SKIP $2" >>"$_hxt_results"
	elif _hxt_why_known=$(hxt_known "$2"); then
		echo "HXT XFAIL $2: $_hxt_msg (known:$_hxt_why_known)"
		echo "XFAIL $2" >>"$_hxt_results"
	else
		echo "HXT FAIL $2: $_hxt_msg"
		echo "FAIL $2" >>"$_hxt_results"
	fi
}

# hxt_suite_fail SUITE WHAT MSG: a failure of the suite rather than of one of
# its tests (SUITE/WHAT is not a planned test, so it adds one to expected).
hxt_suite_fail() {
	echo "$1/$2" >>"$_hxt_extra"
	hxt_report FAIL "$1/$2" "$3"
}

# hxt_reported ID: true if ID already has a result.
hxt_reported() {
	awk -v id="$1" '$2 == id { found = 1 } END { exit !found }' "$_hxt_results"
}

# hxt_plan FILE: the test_ functions FILE defines, in file order (read from
# the text, not by sourcing it: the plan must exist even when sourcing fails).
hxt_plan() {
	sed -n 's/^[[:space:]]*\(test_[A-Za-z0-9_]*\)[[:space:]]*().*/\1/p' "$1"
}

# hxt_show FILE: a failing step's output, indented (the last lines only).
hxt_show() {
	[ -s "$1" ] || return 0
	_hxt_n=$(wc -l <"$1")
	if [ "$_hxt_n" -gt "$HXT_OUTPUT_LINES" ]; then
		echo "    ... ($((_hxt_n - HXT_OUTPUT_LINES)) earlier lines in $1)"
	fi
	tail -n "$HXT_OUTPUT_LINES" "$1" | sed 's/^/    /'
}

hxt_defined() {
	[ "$(command -v "$1" 2>/dev/null)" = "$1" ]
}

# hxt_children PID: the direct children of PID.
hxt_children() {
	_hxt_pp=$1
	# Fast path (CONFIG_PROC_CHILDREN): one small file per thread.
	if [ -r "/proc/$1/task/$1/children" ]; then
		for _hxt_st in /proc/"$1"/task/*/children; do
			_hxt_l=
			# (no trailing newline: read returns 1 but sets _hxt_l)
			{ read -r _hxt_l <"$_hxt_st"; } 2>/dev/null
			for _hxt_p in $_hxt_l; do
				echo "$_hxt_p"
			done
		done
		return 0
	fi
	# Slow path: scan every process's parent.
	for _hxt_st in /proc/[0-9]*/stat; do
		{ read -r _hxt_l <"$_hxt_st"; } 2>/dev/null || continue
		_hxt_l=${_hxt_l##*) } # "S PPID ..."
		_hxt_l=${_hxt_l#* }
		if [ "${_hxt_l%% *}" = "$_hxt_pp" ]; then
			_hxt_p=${_hxt_st#/proc/}
			echo "${_hxt_p%/stat}"
		fi
	done
}

# hxt_killtree PID: SIGKILL PID and all its descendants.
hxt_killtree() {
	kill -STOP "$1" 2>/dev/null
	for _hxt_c in $(hxt_children "$1"); do
		hxt_killtree "$_hxt_c"
	done
	kill -KILL "$1" 2>/dev/null
}

# hxt_timed OUT MSGFILE CMD...: run CMD in a subshell, output appended to OUT,
# `fail` messages to MSGFILE, killed (with its descendants) after
# $HXT_TIMEOUT seconds.  Returns CMD's status; sets _hxt_timedout=1 on timeout.
hxt_timed() {
	_hxt_out=$1 _hxt_msg=$2
	shift 2
	_hxt_flag=$_hxt_msg.timeout
	rm -f "$_hxt_flag"
	rm -f "$_hxt_msg.skip"
	(
		HXT_FAILMSG=$_hxt_msg HXT_SKIPMSG=$_hxt_msg.skip
		export HXT_FAILMSG HXT_SKIPMSG
		"$@"
	) >>"$_hxt_out" 2>&1 </dev/null &
	_hxt_pid=$!
	(
		sleep "$HXT_TIMEOUT"
		echo timeout >"$_hxt_flag"
		hxt_killtree "$_hxt_pid"
	) >/dev/null 2>&1 </dev/null &
	_hxt_wd=$!
	wait "$_hxt_pid" 2>/dev/null
	_hxt_rc=$?
	if [ -e "$_hxt_flag" ]; then
		_hxt_timedout=1
		wait "$_hxt_wd" 2>/dev/null
	else
		_hxt_timedout=0
		hxt_killtree "$_hxt_wd"
		wait "$_hxt_wd" 2>/dev/null
	fi
	return "$_hxt_rc"
}

# hxt_why RC MSGFILE WHAT: the reason a step failed ("" if it did not).
hxt_why() {
	if [ "$_hxt_timedout" = 1 ]; then
		echo "$3 timed out after ${HXT_TIMEOUT}s"
	elif [ -s "$2" ]; then
		head -n 1 "$2"
	elif [ "$1" != 0 ]; then
		echo "$3 returned $1"
	fi
}

hxt_test_body() {
	if hxt_defined setup; then
		setup || fail "setup returned $?"
	fi
	"$1"
}

hxt_suite_setup_body() {
	suite_setup || fail "suite_setup returned $?"
	# carry exported variables over to the tests
	export -p | grep -v -e ' HXT_FAILMSG=' -e ' HXT_SKIPMSG=' >"$HXT_SUITE_TMP/.env"
}

# hxt_run_test SUITE FUNC
hxt_run_test() {
	HXT_TEST=${2#test_}
	HXT_TMP=$HXT_SUITE_TMP/$HXT_TEST
	export HXT_TEST HXT_TMP
	rm -rf "$HXT_TMP"
	mkdir -p "$HXT_TMP"
	_hxt_o=$HXT_WORK/$1.$HXT_TEST.out
	_hxt_m=$HXT_WORK/$1.$HXT_TEST.msg
	: >"$_hxt_o"
	: >"$_hxt_m"
	hxt_timed "$_hxt_o" "$_hxt_m" hxt_test_body "$2"
	_hxt_why=$(hxt_why $? "$_hxt_m" "$2")
	_hxt_skip=
	[ ! -s "$_hxt_m.skip" ] || _hxt_skip=$(head -n 1 "$_hxt_m.skip")
	if hxt_defined teardown; then
		: >"$_hxt_m.td"
		hxt_timed "$_hxt_o" "$_hxt_m.td" teardown
		_hxt_tdwhy=$(hxt_why $? "$_hxt_m.td" teardown)
		if [ -z "$_hxt_why" ] && [ -n "$_hxt_tdwhy" ]; then
			_hxt_why="teardown failed: $_hxt_tdwhy"
		fi
	fi
	if [ -n "$_hxt_why" ]; then
		hxt_show "$_hxt_o"
		hxt_report FAIL "$1/$HXT_TEST" "$_hxt_why"
	elif [ -n "$_hxt_skip" ]; then
		hxt_report SKIP "$1/$HXT_TEST" "$_hxt_skip"
	else
		hxt_report PASS "$1/$HXT_TEST"
	fi
}

# hxt_run_suite NAME (call in a subshell: it defines the suite's functions)
# Runs the tests listed in $HXT_WORK/NAME.plan.  It writes NAME.loaded once the
# suite file is sourced and NAME.finished at its end, so that the caller can
# tell how far it got if the subshell exits early (a suite file that calls
# exit, or dies on an unset variable or a missing file under `set -u`).
hxt_run_suite() {
	HXT_SUITE=$1
	_hxt_file=$HXT_DIR/suite-$1.sh
	if [ ! -f "$_hxt_file" ]; then
		hxt_suite_fail "$1" suite-load "no such suite: $_hxt_file"
		return
	fi
	if ! sh -n "$_hxt_file" >"$HXT_WORK/$1.syntax" 2>&1; then
		hxt_show "$HXT_WORK/$1.syntax"
		hxt_suite_fail "$1" suite-load "syntax error in $_hxt_file"
		return
	fi
	_hxt_tests=$(cat "$HXT_WORK/$1.plan")
	if [ -z "$_hxt_tests" ]; then
		hxt_suite_fail "$1" suite-load "no test_ functions in $_hxt_file"
		return
	fi
	HXT_SUITE_TMP=/tmp/hxt-$1
	export HXT_SUITE HXT_SUITE_TMP
	rm -rf "$HXT_SUITE_TMP"
	mkdir -p "$HXT_SUITE_TMP"
	# Top-level output of the suite file goes to a file, shown if loading
	# fails (here or, if the file exits, by the caller).
	# shellcheck disable=SC1090
	. "$_hxt_file" >"$HXT_WORK/$1.load" 2>&1
	_hxt_lrc=$?
	if [ "$_hxt_lrc" != 0 ]; then
		hxt_show "$HXT_WORK/$1.load"
		hxt_suite_fail "$1" suite-load "sourcing $_hxt_file returned $_hxt_lrc"
		return
	fi
	: >"$HXT_WORK/$1.loaded"

	_hxt_setupwhy=
	if hxt_defined suite_setup; then
		_hxt_o=$HXT_WORK/$1.suite_setup.out
		: >"$_hxt_o"
		: >"$_hxt_o.msg"
		hxt_timed "$_hxt_o" "$_hxt_o.msg" hxt_suite_setup_body
		_hxt_setupwhy=$(hxt_why $? "$_hxt_o.msg" suite_setup)
		if [ -n "$_hxt_setupwhy" ]; then
			echo "suite $1: suite_setup failed:"
			hxt_show "$_hxt_o"
		elif [ -f "$HXT_SUITE_TMP/.env" ]; then
			# shellcheck disable=SC1091
			. "$HXT_SUITE_TMP/.env"
		fi
	fi

	for _hxt_t in $_hxt_tests; do
		if [ -n "$_hxt_setupwhy" ]; then
			hxt_report FAIL "$1/${_hxt_t#test_}" "suite_setup failed: $_hxt_setupwhy"
		elif hxt_defined "$_hxt_t"; then
			hxt_run_test "$1" "$_hxt_t"
		else
			hxt_report FAIL "$1/${_hxt_t#test_}" "$_hxt_t is not defined after sourcing the suite"
		fi
	done

	if hxt_defined suite_teardown; then
		_hxt_o=$HXT_WORK/$1.suite_teardown.out
		: >"$_hxt_o"
		: >"$_hxt_o.msg"
		hxt_timed "$_hxt_o" "$_hxt_o.msg" suite_teardown
		_hxt_why=$(hxt_why $? "$_hxt_o.msg" suite_teardown)
		if [ -n "$_hxt_why" ]; then
			hxt_show "$_hxt_o"
			hxt_suite_fail "$1" suite_teardown "$_hxt_why"
		fi
	fi
	: >"$HXT_WORK/$1.finished"
}

# hxt_check_suite NAME RC: after the suite's subshell exited with RC, report
# what it could not: a suite file that exited while being sourced, a subshell
# that died before the end, and every planned test without a result.
hxt_check_suite() {
	if [ ! -e "$HXT_WORK/$1.loaded" ]; then
		if ! hxt_reported "$1/suite-load"; then
			hxt_show "$HXT_WORK/$1.load"
			hxt_suite_fail "$1" suite-load "suite file exited (status $2) while being sourced"
		fi
	elif [ ! -e "$HXT_WORK/$1.finished" ]; then
		hxt_suite_fail "$1" suite-run "the suite's runner exited (status $2) before the end of the suite"
	fi
	for _hxt_t in $(cat "$HXT_WORK/$1.plan"); do
		hxt_reported "$1/${_hxt_t#test_}" ||
			hxt_report FAIL "$1/${_hxt_t#test_}" "not run"
	done
}

[ $# -gt 0 ] || set -- smoke
_hxt_suites=
for _hxt_a in "$@"; do
	for _hxt_s in $(echo "$_hxt_a" | tr ',' ' '); do
		if [ "$_hxt_s" = all ]; then
			for _hxt_f in "$HXT_DIR"/suite-*.sh; do
				[ -f "$_hxt_f" ] || continue
				_hxt_n=${_hxt_f##*/suite-}
				_hxt_n=${_hxt_n%.sh}
				[ "$_hxt_n" = smoke ] || _hxt_suites="$_hxt_suites $_hxt_n"
			done
		else
			_hxt_suites="$_hxt_suites $_hxt_s"
		fi
	done
done
if [ -z "$_hxt_suites" ]; then
	hxt_suite_fail all suite "no suites found in $HXT_DIR"
fi

_hxt_planned=0
for _hxt_s in $_hxt_suites; do
	# The plan is made here, outside the suite's subshell, so that it
	# survives whatever the suite file does.
	_hxt_f=$HXT_DIR/suite-$_hxt_s.sh
	if [ -f "$_hxt_f" ]; then
		hxt_plan "$_hxt_f" >"$HXT_WORK/$_hxt_s.plan"
	else
		: >"$HXT_WORK/$_hxt_s.plan"
	fi
	_hxt_n=$(grep -c . "$HXT_WORK/$_hxt_s.plan")
	_hxt_planned=$((_hxt_planned + _hxt_n))
	echo "HXT PLAN $_hxt_s $_hxt_n"
	rm -f "$HXT_WORK/$_hxt_s.loaded" "$HXT_WORK/$_hxt_s.finished" "$HXT_WORK/$_hxt_s.load"
	(hxt_run_suite "$_hxt_s")
	hxt_check_suite "$_hxt_s" $?
done

_hxt_pass=$(grep -c '^PASS ' "$_hxt_results")
_hxt_failn=$(grep -c '^FAIL ' "$_hxt_results")
_hxt_xfail=$(grep -c '^XFAIL ' "$_hxt_results")
_hxt_skipn=$(grep -c '^SKIP ' "$_hxt_results")
_hxt_expected=$((_hxt_planned + $(grep -c . "$_hxt_extra")))
echo "HXT DONE passed=$_hxt_pass failed=$_hxt_failn xfail=$_hxt_xfail skipped=$_hxt_skipn expected=$_hxt_expected"
[ "$_hxt_failn" = 0 ]
