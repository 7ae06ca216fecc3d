#!/bin/sh
# Network micro benchmarks natively on the host (make bench runs it): the host kernel
# refuses BPF LSM programs but loads cgroup sock_addr programs, so TCP connect and UDP
# sendto on loopback are measured here with the agent's own connect/sendmsg/bind programs
# (hx-bench-netload: the agent's object and loader, cgroup programs only) beside the VM's
# figures. Output: HXB-style JSON lines on stdout, one series ("host") for bench/report.py.
#
#   bench/native.sh > build/bench/native.jsonl
#
# Configurations: none, floor (do-nothing cgroup programs), empty, realistic, medium
# (1,000 more blocked CIDRs) and large (100,000), as in the VM, but only their network
# rules (net_policy): no program here reads file or exec rules, and the example's
# allowed_hosts are left out, since resolving them would send DNS queries off the machine.
# Knobs: HXB_ROUNDS (5), HXB_ROUND_MS (300), HXB_PORT (47777).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
MICRO=$B/vm-bin/bench-micro
FLOOR=$B/vm-bin/bench-floor
NETLOAD=$B/bench/hx-bench-netload
ROUNDS=${HXB_ROUNDS:-5}
ROUND_MS=${HXB_ROUND_MS:-300}
PORT=${HXB_PORT:-47777}
OPS="connect udp"
EXAMPLE=policy/examples/llm-tool-runner.yaml
. bench/policies.sh

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || { echo "native: no cgroup2 mount" >&2; exit 1; }
TMP=$(mktemp -d)
BASE=$CG2/hxbench-native
pids=

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rmdir "$BASE" "$CG2"/helixagent/* "$CG2"/helixagent 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

hxb() { echo "$*"; }

# net_policy N: the network rules of the realistic policy's "tools" sandbox (the example's
# security.network less allowed_hosts, plus the loopback address the workload uses) and N
# blocked /32s of 198.18.0.0/15, as scaled_policy adds them
net_policy() {
	net=$(sed -n '/^  network:$/,/^  [a-z]/p' "$EXAMPLE")
	printf 'sandboxes:\n  tools:\n    network:\n'
	echo "$net" | sed -n -e 's/^    \(default_policy\|allow_dns\): /      \1: /p'
	echo '      allowed_cidrs: ["127.0.0.1"]'
	echo '      blocked_cidrs:'
	echo "$net" | sed -n 's/^    blocked_cidrs: \[\(.*\)\]$/\1/p' | tr ',' '\n' | sed 's/^ *\(.*\)$/        - \1/'
	awk -v nc="$1" 'BEGIN { for (i = 0; i < nc; i++)
		printf "        - 198.%d.%d.%d\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256 }'
}

in_cg() {
	_d=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$_d" "$@"
}

# wait_line FILE TEXT PID: until FILE holds TEXT (0), or PID died (1); at most 10 minutes
wait_line() {
	i=0
	while [ $i -lt 6000 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

micro() { # CONFIG CGROUP
	for op in $OPS; do
		n=$(cat "$TMP/n.$op")
		if ! out=$(in_cg "$2" "$MICRO" run "$op" "$PORT" "$n" "$ROUNDS" 2>&1); then
			hxb "{\"kind\":\"micro\",\"config\":\"$1\",\"op\":\"$op\",\"error\":\"$(echo "$out" | tr -d '"\\' | tr '\n' ' ')\"}"
			continue
		fi
		ns=$(echo "$out" | awk '/^round/ { printf "%s%s", s, $3; s = "," }')
		hxb "{\"kind\":\"micro\",\"config\":\"$1\",\"op\":\"$op\",\"n\":$n,\"ns_per_op\":[$ns]}"
	done
}

agent() { # CONFIG POLICY
	"$NETLOAD" "$2" >"$TMP/load.out" 2>"$TMP/load.err" &
	lp=$!
	pids="$pids $lp"
	t0=$(date +%s%N)
	if ! wait_line "$TMP/load.out" ready "$lp"; then
		err=$(tail -n 3 "$TMP/load.err" | tr -d '"\\' | tr '\n' ' ')
		hxb "{\"kind\":\"load\",\"config\":\"$1\",\"ok\":false,\"error\":\"$err\"}"
		kill "$lp" 2>/dev/null
		wait "$lp" 2>/dev/null
		return
	fi
	t1=$(date +%s%N)
	cpu=$(sed -n 's/.*cpu seconds: parse \([0-9.]*\) open \([0-9.]*\) install \([0-9.]*\)$/"parse_cpu_s":\1,"open_cpu_s":\2,"install_cpu_s":\3,/p' "$TMP/load.out")
	hxb "{\"kind\":\"load\",\"config\":\"$1\",\"ok\":true,$cpu\"start_ms\":$(((t1 - t0) / 1000000)),\"rss_kb\":$(awk '/^VmRSS/ { print $2 }' /proc/$lp/status)}"
	micro "$1" "$CG2/helixagent/tools"
	kill "$lp"
	wait "$lp"
}

for f in "$MICRO" "$FLOOR" "$NETLOAD"; do
	[ -x "$f" ] || { echo "native: $f missing (make bench builds it)" >&2; exit 1; }
done
mkdir -p "$BASE"
"$MICRO" serve "$PORT" >"$TMP/serve.log" 2>&1 &
pids="$pids $!"
wait_line "$TMP/serve.log" serving "$!" || { echo "native: bench-micro serve did not start: $(cat "$TMP/serve.log")" >&2; exit 1; }
hxb "{\"kind\":\"env\",\"kernel\":\"$(uname -r)\",\"native\":true,\"rounds\":$ROUNDS,\"round_ms\":$ROUND_MS,\"cpus\":$(nproc)}"
for op in $OPS; do
	n=$(in_cg "$BASE" "$MICRO" calibrate "$op" "$PORT" "$ROUND_MS") || { echo "native: calibrate $op failed" >&2; exit 1; }
	[ "$n" -ge 10 ] || n=10
	echo "$n" >"$TMP/n.$op"
done

micro none "$BASE"

"$FLOOR" --cgroup-only "$CG2" >"$TMP/floor.log" 2>&1 &
fp=$!
pids="$pids $fp"
if wait_line "$TMP/floor.log" attached "$fp"; then
	micro floor "$BASE"
else
	hxb "{\"kind\":\"load\",\"config\":\"floor\",\"ok\":false,\"error\":\"$(tr -d '"\\' <"$TMP/floor.log" | tr '\n' ' ')\"}"
fi
kill "$fp" 2>/dev/null
wait "$fp" 2>/dev/null

printf 'sandboxes:\n  tools: {}\n' >"$TMP/empty.yaml"
agent empty "$TMP/empty.yaml"
realistic_policy >"$TMP/realistic-full.yaml"
realistic_ok "$TMP/realistic-full.yaml" || { echo "native: the example policy changed: adapt bench/policies.sh" >&2; exit 1; }
net_policy 0 >"$TMP/realistic.yaml"
agent realistic "$TMP/realistic.yaml"
net_policy 1000 >"$TMP/medium.yaml"
agent medium "$TMP/medium.yaml"
net_policy 100000 >"$TMP/large.yaml"
agent large "$TMP/large.yaml"
