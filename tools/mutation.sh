#!/bin/bash
# Mutation check: do the enforcement suites catch an agent that enforces
# nothing, or logs nothing?  Builds the agent with MUTANT=allow (every sandbox
# judged in mode audit: nothing denied, nothing killed) and MUTANT=silent (no
# decision logged), each into build/mutant-<M>/ (build/ is left alone), runs
# the suites against each in the VM, and lists per test whether the mutant
# was caught (red) or survived (green).
#
#   tools/mutation.sh [--kernel SERIES] [--mutant "allow silent"] [--suite LIST]
#
#   SERIES   one kernel (default 6.1)
#   LIST     suites, comma-separated (default fs,exec,execplus,net,guard,contain)
#
# A test that stays green under a mutant either tests no enforcement (fix it)
# or legitimately does not depend on it: tests/vm/mutation-survivors lists
# those, one "MUTANT SUITE/NAME REASON" per line.  Exit status 0 when every
# surviving test is listed there; the table is build/mutation/<M>-<SERIES>.txt
# and the VM's console log build/mutant-<M>/vmtest/.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD

kernel=6.1 mutants="allow silent" suites=fs,exec,execplus,net,guard,contain
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=${2:?}; shift 2 ;;
	--mutant) mutants=${2:?}; shift 2 ;;
	--suite) suites=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "mutation: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
mutants=${mutants//,/ }
survivors=$ROOT/tests/vm/mutation-survivors
out=$ROOT/build/mutation
mkdir -p "$out"

# listed MUTANT ID: the reason ID may survive MUTANT, or nothing.
listed() {
	[ -f "$survivors" ] || return 1
	awk -v m="$1" -v id="$2" '!/^#/ && $1 == m && $2 == id { $1 = $2 = ""; sub(/^ +/, ""); print; f = 1 } END { exit !f }' "$survivors"
}

rc=0
for m in $mutants; do
	case $m in allow | silent) ;; *) echo "mutation: unknown mutant '$m' (allow, silent)" >&2; exit 2 ;; esac
	b=build/mutant-$m
	echo "mutation: building MUTANT=$m into $b/"
	make --no-print-directory B="$b" MUTANT="$m" all >"$out/$m-build.log" 2>&1 ||
		{ tail -n 20 "$out/$m-build.log" >&2; echo "mutation: build of MUTANT=$m failed" >&2; exit 2; }
	vmout=$ROOT/$b/vmtest
	# A killed mutant is often a test waiting for an event that never
	# comes: shorter per-test timeouts, a longer VM limit.
	HX_BUILD=$ROOT/$b HX_VM_OUTDIR=$vmout HXT_TIMEOUT=${HXT_TIMEOUT:-120} \
		vmtest/run.sh --kernel "$kernel" --suite "$suites" --timeout 10800 --keep-log ||
		true
	log=$vmout/$kernel-${suites//,/+}.log
	[ -f "$log" ] || { echo "mutation: no console log $log" >&2; exit 2; }
	table=$out/$m-$kernel.txt
	: >"$table"
	green=0 red=0 unlisted=0
	while IFS= read -r line; do
		case $line in
		"HXT PASS "*)
			id=${line#HXT PASS }
			if why=$(listed "$m" "$id"); then
				printf '%-60s green  (justified: %s)\n' "$id" "$why" >>"$table"
			else
				printf '%-60s green  NOT JUSTIFIED\n' "$id" >>"$table"
				unlisted=$((unlisted + 1))
			fi
			green=$((green + 1))
			;;
		"HXT FAIL "* | "HXT XFAIL "*)
			id=${line#HXT * }
			msg=${id#*: }
			id=${id%%: *}
			case $id in */suite-* | */suite_teardown) continue ;; esac
			printf '%-60s red    %s\n' "$id" "$msg" >>"$table"
			red=$((red + 1))
			if listed "$m" "$id" >/dev/null; then
				echo "mutation: $m: $id is listed in $survivors but went red (stale entry?)" >&2
			fi
			;;
		esac
	done < <(grep -a '^HXT \(PASS\|FAIL\|XFAIL\) ' "$log")
	echo "mutation: MUTANT=$m, kernel $kernel: $red red, $green green ($unlisted not justified); table: ${table#"$ROOT"/}"
	grep 'NOT JUSTIFIED' "$table" | sed "s/^/mutation: $m survivor: /" || true
	[ "$unlisted" = 0 ] || rc=1
done
exit $rc
