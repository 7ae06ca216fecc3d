#!/bin/sh
# Runs the unit test binaries and prints one summary line over all of them.
# cmocka prints its own per-test lines; a binary that crashes counts as failed.
set -u
passed=0 failed=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	f=$(printf '%s\n' "$out" | grep -c '^\[  FAILED  \] [a-z_]')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "unit: $t exited $rc without a cmocka verdict" >&2
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
mkdir -p build
echo "$passed $failed" >build/unit.result
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
