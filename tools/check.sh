#!/bin/bash
# `make check`: unit tests on the host, then every VM suite on every kernel of
# the matrix. Ends with one line "N passed, N failed" over everything; a VM
# that booted nothing or ran no test counts as a failure.
#   tools/check.sh "5.10 6.1 6.12 newest"
set -u
cd "$(dirname "$0")/.."
kernels=${1:-5.10 6.1 6.12 newest}
suite=${SUITE:-all}

rm -f build/unit.result build/vmtest/*.result
make --no-print-directory unit
unit_rc=$?

vmtest/run.sh --kernel "${kernels// /,}" --suite "$suite"
vm_rc=$?

passed=0 failed=0
echo "== summary"
add() { # FILE LABEL
	local p f
	if [ -s "$1" ]; then
		read -r p f <"$1"
	else
		p=0 f=1
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		f=1 # ran nothing
	fi
	printf '  %-22s %s passed, %s failed\n' "$2" "$p" "$f"
	passed=$((passed + p))
	failed=$((failed + f))
}
add build/unit.result "unit (host)"
tag=${suite//,/+}
for k in $kernels; do
	add "build/vmtest/$k-$tag.result" "vm $k"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$unit_rc" -eq 0 ] && [ "$vm_rc" -eq 0 ]
