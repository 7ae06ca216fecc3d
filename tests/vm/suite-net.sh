# shellcheck shell=sh
# Network family: CIDR, port, host and socket-kind rules per sandbox, IPv4 and IPv6.
#
# Every scenario checks the errno, the side effect (the listener's count of
# connections or datagrams) and the audit line. Targets that should succeed
# are TEST-NET or loopback addresses on lo; 10.0.0.0/8 only appears as a
# destination the agent must refuse before any packet exists.
. "$HXT_DIR/lib-agent.sh"

POLICY=$HXT_DIR/policies/net.yaml
NET=$HXBIN/hx-net

# Extra addresses on lo, so that allowed and refused targets both have listeners.
EXTRA4="192.0.2.200 192.0.2.201 198.51.100.10 198.51.100.11 198.51.100.12 198.51.100.13"
EXTRA6="2001:db8:0:1::1"

# serve NAME ADDR PORT tcp|udp: a listener whose count is in $HXT_SUITE_TMP/NAME.count
serve() {
	$NET serve "$2" "$3" "$4" "$HXT_SUITE_TMP/$1.count" >"$HXT_SUITE_TMP/$1.out" 2>&1 &
	echo $! >"$HXT_SUITE_TMP/$1.pid"
	wait_for 10 test -s "$HXT_SUITE_TMP/$1.count" || fail "listener $1 did not start: $(cat "$HXT_SUITE_TMP/$1.out")"
}

count() { cat "$HXT_SUITE_TMP/$1.count" 2>/dev/null; }

# expect_count NAME N: the listener NAME saw exactly N connections/datagrams
expect_count() {
	# a connection that was allowed is counted by the listener a moment later
	[ "$2" = 0 ] || wait_for 5 sh -c "[ \"\$(cat $HXT_SUITE_TMP/$1.count)\" = $2 ]"
	assert_eq "$2" "$(count "$1")" "connections seen by listener $1"
}

reset_count() { echo 0 >"$HXT_SUITE_TMP/$1.count"; }

# ev PID: the one audit event of PID (waits for it)
ev() {
	audit_wait 1 ".process.pid==$1"
	assert_eq 1 "$(audit_count ".process.pid==$1")" "events for pid $1"
	audit_select ".process.pid==$1"
}

# field JSON FILTER
field() { printf '%s' "$1" | jq -r "$2"; }

suite_setup() {
	for a in $EXTRA4; do ip addr add "$a/32" dev lo || return 1; done
	for a in $EXTRA6; do ip -6 addr add "$a/128" dev lo || return 1; done
	serve t1 192.0.2.1 8080 tcp
	serve t200 192.0.2.200 8080 tcp
	serve t201 192.0.2.201 8080 tcp
	serve t6 2001:db8::1 8080 tcp
	serve t6b 2001:db8:0:1::1 8080 tcp
	serve u1 192.0.2.1 5353 udp
	serve u201 192.0.2.201 5353 udp
	serve tls 198.51.100.1 9443 tcp
	serve smtp 192.0.2.1 2525 tcp
	serve tie 203.0.113.1 8080 tcp
	agent_start "$POLICY"
}

suite_teardown() {
	agent_stop
	agent_unload
	for f in "$HXT_SUITE_TMP"/*.pid; do kill "$(cat "$f")" 2>/dev/null; done
}

test_probe_and_programs_attached() {
	$HX probe >"$HXT_TMP/probe" 2>&1 || fail "probe: $(cat "$HXT_TMP/probe")"
	js=$($HX status --json) || fail "status exited $?"
	for p in cgroup/connect4 cgroup/connect6 cgroup/sendmsg4 cgroup/sendmsg6 cgroup/bind4 \
		cgroup/bind6 lsm/socket_create lsm/socket_listen lsm/socket_sendmsg; do
		printf '%s' "$js" | jq -e --arg p "$p" '[.. | strings | select(. == $p)] | length > 0' \
			>/dev/null || fail "status does not list $p: $js"
	done
}

test_allowed_cidr_connects() {
	reset_count t1
	out=$(in_sandbox net $NET connect 192.0.2.1 8080)
	assert_contains "$out" "connect: ok"
	expect_count t1 1
	pid=$(result_pid "$out")
	audit_barrier_net
	assert_eq 0 "$(audit_count ".process.pid==$pid")" "events for an allowed connect"
}

test_blocked_cidr_denied_with_audit_line() {
	reset_count t201
	out=$(in_sandbox net $NET connect 192.0.2.201 8080)
	assert_contains "$out" "connect: EPERM"
	expect_count t201 0
	e=$(ev "$(result_pid "$out")")
	log "$e"
	assert_eq permission_denied "$(field "$e" .event.code)"
	assert_eq connect "$(field "$e" .event.action)"
	assert_eq cgroup/connect4 "$(field "$e" .event.provider)"
	assert_eq network "$(field "$e" '.event.category[0]')"
	assert_eq true "$(field "$e" '.event.type | index("denied") != null')"
	assert_eq deny "$(field "$e" .helixagent.decision)"
	assert_eq net "$(field "$e" .helixagent.sandbox)"
	assert_eq network "$(field "$e" .helixagent.family)"
	assert_eq -1 "$(field "$e" .helixagent.errno)"
	assert_eq 192.0.2.201 "$(field "$e" .destination.ip)"
	assert_eq 8080 "$(field "$e" .destination.port)"
	assert_eq tcp "$(field "$e" .network.transport)"
	assert_eq ipv4 "$(field "$e" .network.type)"
	assert_eq egress "$(field "$e" .network.direction)"
	assert_eq "network.blocked_cidrs[1]" "$(field "$e" .rule.name)"
	assert_eq net "$(field "$e" .rule.ruleset)"
	assert_eq hx-net "$(field "$e" .process.name)"
	assert_eq "$(sandbox_cgid net)" "$(field "$e" .helixagent.cgroup.id)"
	[ "$(field "$e" .process.parent.pid)" -gt 1 ] || fail "no parent pid: $e"
}

# A marker denial in sandbox net and its event: everything before it is logged.
audit_barrier_net() {
	_r=$(in_sandbox net $NET connect 10.0.0.1 9)
	_p=$(result_pid "$_r")
	[ -n "$_p" ] || fail "barrier: no pid in '$_r'"
	audit_wait 1 ".process.pid==$_p"
}
