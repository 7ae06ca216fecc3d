# shellcheck shell=sh
# Helpers for VM test suites (sourced by tests/vm/run.sh; busybox ash / POSIX sh).
#
# A suite file tests/vm/suite-NAME.sh defines functions named test_* (one per
# test, run in file order, each in its own subshell) and optionally
# suite_setup / suite_teardown (once per suite) and setup / teardown (around
# each test).  A test passes if it returns 0 and never called `fail` nor
# `skip`.
#
# Variables a test can use:
#   HXT_SUITE, HXT_TEST   suite and test name (without the test_ prefix)
#   HXT_TMP               an empty scratch directory for this test
#   HXT_SUITE_TMP         a scratch directory shared by the whole suite
#   HXT_DIR               the tests/vm directory (/hx/tests/vm in the VM)
#   HXT_TIMEOUT           per-test timeout in seconds (default 120)
# suite_setup runs in a subshell: variables it wants the tests to see must be
# exported (they are carried over), or written to files in $HXT_SUITE_TMP.

# fail MSG: the current test fails with MSG (the first message wins, even when
# called from a nested subshell or pipeline).
fail() {
	if [ -n "${HXT_FAILMSG:-}" ] && [ ! -s "$HXT_FAILMSG" ]; then
		printf '%s\n' "${*:-failed}" >"$HXT_FAILMSG"
	fi
	printf 'FAIL: %s\n' "${*:-failed}" >&2
	exit 1
}

# skip REASON: the test cannot run here (a tool the image lacks): it ends now
# and is reported "HXT SKIP" (counted as not run, never as passed). A test
# that already failed stays failed.
skip() {
	if [ -n "${HXT_SKIPMSG:-}" ]; then
		printf '%s\n' "${*:-skipped}" >"$HXT_SKIPMSG"
	fi
	printf 'SKIP: %s\n' "${*:-skipped}" >&2
	exit 0
}

# log MSG: diagnostic output (shown only when the test fails).
log() {
	printf 'hxt: %s\n' "$*" >&2
}

# assert_eq EXPECTED ACTUAL [MSG]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-assert_eq}: expected '$1', got '$2'"
}

# assert_contains HAYSTACK NEEDLE [MSG]
assert_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "${3:-assert_contains}: '$2' not found in '$1'" ;;
	esac
}

# assert_file_contains FILE NEEDLE (fixed string)
assert_file_contains() {
	[ -e "$1" ] || fail "assert_file_contains: $1 does not exist"
	grep -qF -- "$2" "$1" || fail "$1 does not contain '$2'"
}

# Centiseconds since boot (monotonic).
hxt_now_cs() {
	read -r _hxt_up _hxt_rest </proc/uptime
	_hxt_s=${_hxt_up%%.*}
	_hxt_f=${_hxt_up#*.}
	[ "$_hxt_f" != "$_hxt_up" ] || _hxt_f=0
	_hxt_f=$(printf '%s00' "$_hxt_f" | cut -c1-2)
	_hxt_f=${_hxt_f#0}
	echo $((_hxt_s * 100 + ${_hxt_f:-0}))
}

# Seconds ("5", "2.5") to centiseconds.
hxt_secs_to_cs() {
	_hxt_s=${1%%.*}
	_hxt_f=${1#*.}
	[ "$_hxt_f" != "$1" ] || _hxt_f=0
	_hxt_f=$(printf '%s00' "$_hxt_f" | cut -c1-2)
	_hxt_f=${_hxt_f#0}
	echo $((${_hxt_s:-0} * 100 + ${_hxt_f:-0}))
}

# wait_for TIMEOUT_SECONDS CMD [ARG...]: run CMD every 0.1 s until it succeeds
# (return 0) or TIMEOUT_SECONDS have passed (return 1).  Use it instead of
# sleeping to wait for readiness.
wait_for() {
	_hxt_deadline=$(($(hxt_now_cs) + $(hxt_secs_to_cs "$1")))
	shift
	while :; do
		if "$@"; then
			return 0
		fi
		[ "$(hxt_now_cs)" -lt "$_hxt_deadline" ] || return 1
		sleep 0.1
	done
}
