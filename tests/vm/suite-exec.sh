# shellcheck shell=sh
# Exec family: the walking skeleton from policy to denial to audit line.
. "$HXT_DIR/lib-agent.sh"

POLICY=$HXT_DIR/policies/exec.yaml
HELLO=$HXBIN/hx-hello
TRY=$HXBIN/hx-try

suite_setup() {
	agent_start "$POLICY"
}

suite_teardown() {
	agent_release
}

test_probe_reports_full_enforcement() {
	out=$($HX probe 2>&1) || fail "probe exited $?: $out"
	assert_contains "$out" "enforcement possible"
	$HX probe --json | jq -e '.enforcement_possible == true' >/dev/null ||
		fail "probe --json disagrees"
}

test_status_lists_sandboxes() {
	js=$($HX status --json) || fail "status exited $?"
	id=$(printf '%s' "$js" | jq -r '.sandboxes[] | select(.name=="exec") | .cgroup_id')
	assert_eq "$(sandbox_cgid exec)" "$id" "cgroup id of sandbox exec"
	printf '%s' "$js" | jq -e '.active and .daemon.running' >/dev/null || fail "status: $js"
}

test_denied_in_sandbox_with_audit_line() {
	rm -f /tmp/hello.mark
	out=$(HX_MARK=/tmp/hello.mark in_sandbox exec $TRY exec $HELLO one "two words")
	assert_contains "$out" "exec: EPERM"
	[ ! -e /tmp/hello.mark ] || fail "the denied program ran"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq 1 "$(audit_count ".process.pid==$pid")" "events for pid $pid"
	ev=$(audit_select ".process.pid==$pid")
	log "$ev"
	f() { printf '%s' "$ev" | jq -r "$1"; }
	assert_eq permission_denied "$(f .event.code)"
	assert_eq deny "$(f .helixagent.decision)"
	assert_eq enforce "$(f .helixagent.mode)"
	assert_eq exec "$(f .helixagent.sandbox)"
	assert_eq -1 "$(f .helixagent.errno)"
	assert_eq "$(sandbox_cgid exec)" "$(f .helixagent.cgroup.id)"
	assert_eq /helixagent/exec "$(f .helixagent.cgroup.path)"
	assert_eq "$TRY" "$(f .process.executable)"
	assert_eq "$HELLO" "$(f .file.path)"
	# the refused argv, read from the caller at the decision
	assert_eq "[\"$HELLO\",\"one\",\"two words\"]" "$(f '.process.args | tojson')"
	assert_eq 3 "$(f .process.args_count)"
	assert_eq "exec.blocked[0]" "$(f .rule.name)"
	assert_eq exec "$(f .rule.ruleset)"
	assert_eq "$(stat -c %i $HELLO)" "$(f .file.inode)"
	assert_eq true "$(f '.event.type | index("denied") != null')"
	assert_eq true "$(f '.event.category | index("intrusion_detection") != null')"
	assert_eq success "$(f .event.outcome)"
	assert_eq 8.11.0 "$(f .ecs.version)"
	assert_eq 0 "$(f .process.user.id)"
	printf '%s' "$ev" | jq -e '."@timestamp" | test("^20[0-9-]+T[0-9:.]+Z$")' >/dev/null ||
		fail "bad @timestamp"
}

test_same_exec_outside_sandbox_runs_and_logs_nothing() {
	out=$($TRY exec $HELLO)
	assert_contains "$out" "exec: ok"
	pid=$(result_pid "$out")
	audit_barrier exec
	assert_eq 0 "$(audit_count ".process.pid==$pid")" "events for the outside pid"
}

test_allowed_exec_not_logged_when_the_events_list_omits_it() {
	out=$(in_sandbox exec sh -c 'echo pid=$$; exec /bin/true' 2>&1)
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	[ -n "$pid" ] || fail "no pid in '$out'"
	audit_barrier exec
	assert_eq 0 "$(audit_count ".process.pid==$pid")" "events for an allowed exec"
}

test_child_cgroup_is_governed() {
	mkdir -p "$(sandbox_cg exec)/nested/deeper"
	out=$(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$(sandbox_cg exec)/nested/deeper" \
		$TRY exec $HELLO)
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	cgid=$(stat -c %i "$(sandbox_cg exec)/nested/deeper")
	assert_eq "$cgid" "$(audit_select ".process.pid==$pid" | jq -r .helixagent.cgroup.id)"
	assert_eq exec "$(audit_select ".process.pid==$pid" | jq -r .helixagent.sandbox)"
	assert_eq /helixagent/exec/nested/deeper \
		"$(audit_select ".process.pid==$pid" | jq -r .helixagent.cgroup.path)"
}

test_symlink_to_denied_binary_is_denied() {
	ln -sf $HELLO "$HXT_TMP/innocent"
	out=$(in_sandbox exec $TRY exec "$HXT_TMP/innocent")
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq "$HELLO" "$(audit_select ".process.pid==$pid" | jq -r .file.path)"
}

test_hard_link_to_denied_binary_is_denied() {
	ln -f $HELLO /usr/libexec/hx-hardlink
	out=$(in_sandbox exec $TRY exec /usr/libexec/hx-hardlink)
	ctl=$($TRY exec /usr/libexec/hx-hardlink)
	rm -f /usr/libexec/hx-hardlink
	assert_contains "$out" "exec: EPERM"
	assert_contains "$ctl" "exec: ok" "the same exec outside the sandbox"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq "exec.blocked[0]" "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
}

test_script_with_denied_interpreter_is_denied() {
	printf '#!%s\n' "$HELLO" >"$HXT_TMP/script"
	chmod +x "$HXT_TMP/script"
	out=$(in_sandbox exec $TRY exec "$HXT_TMP/script")
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq "$HELLO" "$(audit_select ".process.pid==$pid" | jq -r .file.path)"
	assert_eq "[\"$HXT_TMP/script\"]" "$(audit_select ".process.pid==$pid" | jq -c .process.args)"
}

test_audit_mode_allows_and_logs_would_deny() {
	rm -f /tmp/audit.mark
	out=$(HX_MARK=/tmp/audit.mark in_sandbox exec_audit $TRY exec $HELLO)
	assert_contains "$out" "exec: ok"
	[ -e /tmp/audit.mark ] || fail "program did not run in audit mode"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	ev=$(audit_select ".process.pid==$pid")
	assert_eq audit "$(printf '%s' "$ev" | jq -r .helixagent.decision)"
	assert_eq audit "$(printf '%s' "$ev" | jq -r .helixagent.mode)"
	assert_eq 0 "$(printf '%s' "$ev" | jq -r .helixagent.errno)"
	assert_eq false "$(printf '%s' "$ev" | jq -r '.event.type | index("denied") != null')"
}

test_default_deny_allows_only_listed() {
	out=$(in_sandbox exec_allowlist $TRY exec $HELLO)
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq exec.default_policy "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
	out=$(in_sandbox exec_allowlist $TRY exec /bin/true)
	assert_contains "$out" "exec: ok"
}

test_allow_exec_false_denies_everything() {
	# The shell joins the sandbox, then cannot exec even an otherwise harmless binary.
	out=$(sh -c 'echo $$ > "$0/cgroup.procs" && echo "pid=$$" && exec /bin/true' \
		"$(sandbox_cg exec_none)" 2>&1)
	assert_contains "$out" "Operation not permitted"
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	audit_wait 1 ".process.pid==$pid"
	assert_eq permissions.allow_exec "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
	assert_eq /bin/busybox "$(audit_select ".process.pid==$pid" | jq -r .file.path)"
	assert_eq '["/bin/true"]' "$(audit_select ".process.pid==$pid" | jq -c .process.args)"
}

test_helixagent_exec_runs_in_a_child_cgroup() {
	$HX exec -c "$POLICY" --sandbox exec -- $HELLO >"$HXT_TMP/out" 2>&1
	rc=$?
	assert_eq 126 "$rc" "exit status of a denied command"
	$HX exec -c "$POLICY" --sandbox exec -- sh -c 'cat /proc/self/cgroup' >"$HXT_TMP/out" 2>&1 ||
		fail "allowed command failed: $(cat "$HXT_TMP/out")"
	assert_file_contains "$HXT_TMP/out" "0::/helixagent/exec/run-"
	[ -z "$(ls -d "$(sandbox_cg exec)"/run-* 2>/dev/null)" ] || fail "run cgroup left behind"
	$HX exec -c "$POLICY" --sandbox nosuch -- /bin/true 2>/dev/null
	assert_eq 1 "$?" "unknown sandbox"
	$HX exec -c "$POLICY" --sandbox exec -- sh -c 'exit 7'
	assert_eq 7 "$?" "exit status passed through"
}

# The kernel's counter, read from the pins by status, grows with this test's own denial.
test_denial_counters_in_status() {
	_exec_deny() { $HX status --json | jq '.sandboxes[] | select(.name=="exec") | .counters.exec.deny'; }
	before=$(_exec_deny)
	assert_contains "$(in_sandbox exec $TRY exec $HELLO)" "exec: EPERM"
	after=$(_exec_deny)
	[ "$after" -gt "$before" ] || fail "exec deny counter $before -> $after across a denied exec"
}

test_enforcement_outlives_a_killed_daemon() {
	kill -9 "$(agent_pid)"
	wait_for 10 sh -c "! kill -0 $(agent_pid) 2>/dev/null" || fail "daemon did not die"
	$HX status >/dev/null || fail "status says enforcement stopped with the daemon"
	out=$(in_sandbox exec $TRY exec $HELLO)
	assert_contains "$out" "exec: EPERM"
	# A restarted daemon adopts the pinned state and drains what was queued.
	pid=$(result_pid "$out")
	$HX run -c "$POLICY" --audit-log "$AUDIT_LOG" >>"$HXT_SUITE_TMP/agent.log" 2>&1 &
	echo $! >"$(agent_pidfile)"
	audit_wait 1 ".process.pid==$pid" 240
}

test_unload_ends_enforcement() {
	assert_contains "$(in_sandbox exec $TRY exec $HELLO)" "exec: EPERM" "before the unload"
	agent_stop
	$HX unload || fail "unload failed"
	$HX status >/dev/null 2>&1
	assert_eq 3 "$?" "status after unload"
	# The last pin gone, the kernel detaches the programs; on some kernels the
	# trampoline is rebuilt a moment later, so allow it a few seconds.
	_ran() { in_sandbox exec $TRY exec $HELLO | grep -q "exec: ok"; }
	wait_for 15 _ran || fail "still denied 15s after unload"
}
