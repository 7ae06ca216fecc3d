# shellcheck shell=sh
# Restarts: a daemon of the same build on the same kernel adopts the pinned links of the
# one before it (nothing verified or attached again); any other start loads and attaches
# everything, replacing the links under enforcement. Either way the policy stays enforced.
. "$HXT_DIR/lib-agent.sh"

POLICY=$HXT_DIR/policies/exec.yaml
HELLO=$HXBIN/hx-hello
TRY=$HXBIN/hx-try
PINS=$HXBIN/hx-pins
LINK=/sys/fs/bpf/helixagent/link_hx_bprm_check

suite_setup() {
	agent_unload
	: >"$HXT_SUITE_TMP/agent.log"
	start
}

suite_teardown() {
	agent_release
}

link_id() { $PINS link-id "$LINK"; }

# startup_line: the last startup line of the agent's log
startup_line() { grep 'event=startup' "$HXT_SUITE_TMP/agent.log" | tail -n 1; }

# denied_now: an exec in the sandbox is refused and logged by the running daemon
denied_now() {
	out=$(in_sandbox exec $TRY exec $HELLO)
	assert_contains "$out" "exec: EPERM"
	audit_wait 1 ".process.pid==$(result_pid "$out")" 30
}

_readies() { grep -c 'event=ready' "$HXT_SUITE_TMP/agent.log"; }
_readies_above() { [ "$(_readies)" -gt "$1" ]; }

_ready_or_dead() { _readies_above "$1" || ! kill -0 "$2" 2>/dev/null; }

# start: a daemon, and wait for its own "ready" line (status alone says "active" while an
# earlier daemon's pins enforce, and may say otherwise for a moment while links are replaced)
start() {
	_n=$(_readies)
	rm -f "$AUDIT_LOG"
	$HX run -c "$POLICY" --audit-log "$AUDIT_LOG" >>"$HXT_SUITE_TMP/agent.log" 2>&1 &
	_p=$!
	echo "$_p" >"$(agent_pidfile)"
	wait_for 480 _ready_or_dead "$_n" "$_p"
	_readies_above "$_n" || fail "the daemon did not become ready: $(tail -n 5 "$HXT_SUITE_TMP/agent.log")"
	$HX status >/dev/null 2>&1 || fail "status: not active after ready"
}

# restart [kill]: stop the agent (SIGTERM, or SIGKILL), start it again
restart() {
	if [ "${1:-}" = kill ]; then
		kill -9 "$(agent_pid)"
		wait_for 10 sh -c "! kill -0 $(agent_pid) 2>/dev/null" || fail "daemon did not die"
	else
		agent_stop
	fi
	start
}

test_first_start_loads_everything() {
	assert_contains "$(startup_line)" "adopted_links=no"
	denied_now
}

test_same_build_adopts_after_kill_9() {
	before=$(link_id) || fail "no pinned link: $before"
	restart kill
	assert_contains "$(startup_line)" "adopted_links=yes"
	assert_eq "$before" "$(link_id)" "the link (and its program) before and after"
	denied_now
	$HX status --json | jq -e '(.programs | length > 10) and all(.programs[]; .attached)' >/dev/null ||
		fail "status: $($HX status --json | jq -c .programs)"
}

test_same_build_adopts_after_stop() {
	before=$(link_id)
	restart
	assert_contains "$(startup_line)" "adopted_links=yes"
	assert_eq "$before" "$(link_id)" "the link before and after"
	denied_now
	# and a reload still works on adopted links: this daemon's policy_load
	# after the SIGHUP (every start writes one too: the log's offset, taken
	# before the signal, tells them apart)
	o=$(wc -l <"$HXT_SUITE_TMP/agent.log")
	kill -HUP "$(agent_pid)"
	wait_for 60 sh -c "tail -n +$((o + 1)) '$HXT_SUITE_TMP/agent.log' | grep -q 'event=policy_load .*trigger=signal'" ||
		fail "no policy_load after the SIGHUP: $(tail -n +$((o + 1)) "$HXT_SUITE_TMP/agent.log")"
	denied_now
}

test_other_build_is_loaded_and_replaces_the_links() {
	before=$(link_id)
	agent_stop
	# what the pinned links run is no longer this build (as after an upgrade)
	$PINS map-zero /sys/fs/bpf/helixagent/hx_build || fail "cannot rewrite hx_build"
	# enforcement holds while no daemon runs and while the new one loads
	out=$(in_sandbox exec $TRY exec $HELLO)
	assert_contains "$out" "exec: EPERM"
	start
	assert_contains "$(startup_line)" "adopted_links=no"
	after=$(link_id)
	[ "$before" != "$after" ] || fail "the links were not replaced: $after"
	denied_now
	# the next start adopts the new links
	restart
	assert_contains "$(startup_line)" "adopted_links=yes"
	assert_eq "$after" "$(link_id)" "the new link kept"
}

test_a_missing_link_pin_means_a_full_load() {
	agent_stop
	rm -f /sys/fs/bpf/helixagent/link_hx_file_open
	start
	assert_contains "$(startup_line)" "adopted_links=no"
	[ -e /sys/fs/bpf/helixagent/link_hx_file_open ] || fail "link_hx_file_open not pinned again"
	denied_now
}

test_bpffs_pins_restored_from_adopted_links() {
	restart
	assert_contains "$(startup_line)" "adopted_links=yes"
	before=$(link_id)
	umount /sys/fs/bpf || fail "cannot unmount bpffs"
	wait_for 30 test -e "$LINK" || fail "the daemon did not pin its adopted links again"
	assert_eq "$before" "$(link_id)" "the same link pinned again"
	# the pins hold enforcement again without the daemon
	agent_stop
	assert_contains "$(in_sandbox exec $TRY exec $HELLO)" "exec: EPERM"
}
