# shellcheck shell=sh
# Benchmarks in the VM (bench/run.sh puts this file into the guest through
# HX_VM_EXTRA_SUITES, so `--suite all` never runs it). Not a test: every
# figure leaves on the console as one "HXB {json}" line, and a test fails
# only when a configuration could not be measured at all.
#
# Configurations, one after the other, the same workload in each:
#   none       no BPF program; the workload in a plain cgroup
#   floor      bench-floor: a do-nothing program on every hook the agent uses
#   empty      the agent, a sandbox with no rules
#   realistic  the agent, policy/examples/llm-tool-runner.yaml adapted (bench/policies.sh)
#   medium     realistic + 100 path rules, 100 exec rules, 1,000 CIDRs
#   large      realistic + 10,000 path rules, 10,000 exec rules, 100,000 CIDRs
# Knobs: HXB_ROUNDS (5), HXB_ROUND_MS (300: calibrated length of one round in "none").
. "$HXT_DIR/lib-agent.sh"
# shellcheck disable=SC2034 # read by policies.sh
EXAMPLE=$HXT_DIR/llm-tool-runner.yaml
. "$HXT_DIR/policies.sh"

HXB_ROUNDS=${HXB_ROUNDS:-5}
HXB_ROUND_MS=${HXB_ROUND_MS:-300}
MICRO=$HXBIN/bench-micro
PORT=7777
OPS="open stat exec connect udp"
BASE_CG=$CG/hxbench
FILE=/tmp/sandbox/bench-file

hxb() { echo "HXB $*" >/dev/console; }

op_arg() {
	case $1 in
	open | stat) echo "$FILE" ;;
	exec) echo "$HXBIN/bench-true" ;;
	*) echo "$PORT" ;;
	esac
}

uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# in_cg DIR CMD...: run CMD in cgroup DIR
in_cg() {
	_d=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$_d" "$@"
}

# micro CONFIG CGROUP: every operation, HXB_ROUNDS rounds of its calibrated N
micro() {
	for op in $OPS; do
		n=$(cat "$HXT_SUITE_TMP/n.$op")
		out=$(in_cg "$2" $MICRO run "$op" "$(op_arg "$op")" "$n" "$HXB_ROUNDS" 2>&1) ||
			{
				hxb "{\"kind\":\"micro\",\"config\":\"$1\",\"op\":\"$op\",\"error\":\"$(echo "$out" | tr -d '"\\' | tr '\n' ' ')\"}"
				echo "$1/$op: $out" >>"$HXT_SUITE_TMP/errors"
				continue
			}
		ns=$(echo "$out" | awk '/^round/ { printf "%s%s", s, $3; s = "," }')
		hxb "{\"kind\":\"micro\",\"config\":\"$1\",\"op\":\"$op\",\"n\":$n,\"ns_per_op\":[$ns]}"
	done
}

# bpfstats CONFIG CGROUP: per operation, run time of every BPF program from bpf_stats
bpfstats() {
	echo 1 >/proc/sys/kernel/bpf_stats_enabled || return 0
	for op in $OPS; do
		n=$(cat "$HXT_SUITE_TMP/n.$op")
		$HXBIN/bench-stats >"$HXT_TMP/before"
		in_cg "$2" $MICRO run "$op" "$(op_arg "$op")" "$n" 1 >/dev/null 2>&1
		$HXBIN/bench-stats >"$HXT_TMP/after"
		progs=$(awk -v n="$n" 'NR == FNR { c[$1] = $4; t[$1] = $5; next }
			($4 - c[$1]) > 0 { printf "%s{\"name\":\"%s\",\"runs_per_op\":%.2f,\"ns_per_run\":%.1f}", s, $3,
				($4 - c[$1]) / n, ($5 - t[$1]) / ($4 - c[$1]); s = "," }' "$HXT_TMP/before" "$HXT_TMP/after")
		hxb "{\"kind\":\"bpfstat\",\"config\":\"$1\",\"op\":\"$op\",\"n\":$n,\"progs\":[$progs]}"
	done
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
}

# agent_bench CONFIG POLICY SANDBOX: start the agent, measure, stop and unload it
agent_bench() {
	rm -f "$AUDIT_LOG"
	t0=$(uptime_ms)
	$HX run -c "$2" --audit-log "$AUDIT_LOG" >"$HXT_TMP/agent.log" 2>&1 &
	pid=$!
	echo "$pid" >"$(agent_pidfile)"
	wait_for 600 _agent_up_or_dead
	if ! $HX status >/dev/null 2>&1; then
		err=$(tail -n 3 "$HXT_TMP/agent.log" | tr -d '"\\' | tr '\n' ' ')
		hxb "{\"kind\":\"load\",\"config\":\"$1\",\"ok\":false,\"error\":\"$err\"}"
		agent_stop
		agent_unload
		fail "$1: the agent did not start: $err"
	fi
	t1=$(uptime_ms)
	# map memory: memlock of every map the daemon holds
	memlock=$(for f in /proc/"$pid"/fdinfo/*; do grep -q '^map_type' "$f" 2>/dev/null && awk '/^memlock/ { print $2 }' "$f"; done |
		awk '{ s += $1 } END { printf "%d\n", s }')
	nmaps=$(for f in /proc/"$pid"/fdinfo/*; do grep -l '^map_type' "$f" 2>/dev/null; done | wc -l)
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/"$pid"/status)
	hxb "{\"kind\":\"load\",\"config\":\"$1\",\"ok\":true,\"start_ms\":$((t1 - t0)),\"maps\":$nmaps,\"map_memlock_bytes\":$memlock,\"rss_kb\":$rss}"
	cg=$(sandbox_cg "$3")
	micro "$1" "$cg"
	bpfstats "$1" "$cg"
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/"$pid"/status)
	hxb "{\"kind\":\"rss\",\"config\":\"$1\",\"rss_kb_after\":$rss}"
	agent_stop
	agent_unload
	[ ! -s "$HXT_SUITE_TMP/errors" ] || fail "$(cat "$HXT_SUITE_TMP/errors")"
}

suite_setup() {
	[ -x "$MICRO" ] && [ -x "$HXBIN/bench-floor" ] || fail "bench programs missing (make bench builds them)"
	[ -f "$HXT_DIR/llm-tool-runner.yaml" ] || fail "llm-tool-runner.yaml not in the guest"
	# what the example policy names must exist
	mkdir -p /tmp/sandbox /srv/workspace /data/models /root /etc/ssl/certs /bench/fs /bench/ex
	for f in /etc/ld.so.cache /etc/resolv.conf /etc/passwd /etc/shadow; do [ -e "$f" ] || : >"$f"; done
	echo bench >"$FILE"
	mkdir -p "$BASE_CG"
	$MICRO serve $PORT >"$HXT_SUITE_TMP/serve.log" 2>&1 &
	echo $! >"$HXT_SUITE_TMP/serve.pid"
	wait_for 10 grep -q serving "$HXT_SUITE_TMP/serve.log" || fail "bench-micro serve did not start"
	hxb "{\"kind\":\"env\",\"kernel\":\"$(uname -r)\",\"rounds\":$HXB_ROUNDS,\"round_ms\":$HXB_ROUND_MS,\"cpus\":$(grep -c ^processor /proc/cpuinfo)}"
	for op in $OPS; do
		n=$(in_cg "$BASE_CG" $MICRO calibrate "$op" "$(op_arg "$op")" "$HXB_ROUND_MS") ||
			fail "calibrate $op failed"
		# at least 10 operations per round: a fork+exec takes tens of ms under TCG
		[ "$n" -ge 10 ] || n=10
		echo "$n" >"$HXT_SUITE_TMP/n.$op"
	done
}

suite_teardown() {
	kill "$(cat "$HXT_SUITE_TMP/serve.pid")" 2>/dev/null
	agent_stop
	agent_unload
	rmdir "$BASE_CG" 2>/dev/null
	:
}

test_none() {
	micro none "$BASE_CG"
	[ ! -s "$HXT_SUITE_TMP/errors" ] || fail "$(cat "$HXT_SUITE_TMP/errors")"
}

test_floor() {
	$HXBIN/bench-floor >"$HXT_TMP/floor.log" 2>&1 &
	fpid=$!
	if ! wait_for 300 grep -q attached "$HXT_TMP/floor.log"; then
		hxb "{\"kind\":\"load\",\"config\":\"floor\",\"ok\":false,\"error\":\"$(tr -d '"\\' <"$HXT_TMP/floor.log" | tr '\n' ' ')\"}"
		kill "$fpid" 2>/dev/null
		fail "bench-floor: $(cat "$HXT_TMP/floor.log")"
	fi
	micro floor "$BASE_CG"
	bpfstats floor "$BASE_CG"
	kill "$fpid"
	wait "$fpid"
	[ ! -s "$HXT_SUITE_TMP/errors" ] || fail "$(cat "$HXT_SUITE_TMP/errors")"
}

test_empty() {
	printf 'sandboxes:\n  bench: {}\n' >"$HXT_TMP/empty.yaml"
	agent_bench empty "$HXT_TMP/empty.yaml" bench
}

test_realistic() {
	realistic_policy >"$HXT_TMP/realistic.yaml"
	realistic_ok "$HXT_TMP/realistic.yaml" || fail "the example policy changed: adapt bench/policies.sh"
	agent_bench realistic "$HXT_TMP/realistic.yaml" tools
}

# scaled CONFIG NFILES NPROGS NCIDRS: realistic plus that many blocked files, programs
# and CIDRs in the workload's sandbox (the files it names are created here: the loader
# resolves paths to inodes)
scaled() {
	t0=$(uptime_ms)
	awk -v nf="$2" -v nx="$3" 'BEGIN { for (i = 0; i < nf; i++) printf "/bench/fs/f%d\n", i
		for (i = 0; i < nx; i++) printf "/bench/ex/e%d\n", i }' | xargs -r touch
	scaled_policy "$2" "$3" "$4" >"$HXT_TMP/$1.yaml"
	t1=$(uptime_ms)
	hxb "{\"kind\":\"gen\",\"config\":\"$1\",\"lines\":$(wc -l <"$HXT_TMP/$1.yaml"),\"bytes\":$(wc -c <"$HXT_TMP/$1.yaml"),\"gen_ms\":$((t1 - t0))}"
	# the policy alone: parse, validate and check capacity, no kernel involved
	t0=$(uptime_ms)
	$HX check -c "$HXT_TMP/$1.yaml" >"$HXT_TMP/check.log" 2>&1
	rc=$?
	t1=$(uptime_ms)
	hxb "{\"kind\":\"check\",\"config\":\"$1\",\"rc\":$rc,\"check_ms\":$((t1 - t0))}"
	agent_bench "$1" "$HXT_TMP/$1.yaml" tools
}

test_medium() {
	scaled medium 100 100 1000
}

test_large() {
	scaled large 10000 10000 100000
}
