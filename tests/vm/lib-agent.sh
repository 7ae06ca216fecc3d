# shellcheck shell=sh
# Helpers for suites that run the agent (sourced by suite files).
#
#   agent_start POLICY     start `helixagent run` in the background and wait
#                          until `helixagent status` says enforcement is active
#   agent_stop             SIGTERM the daemon (enforcement stays pinned)
#   agent_unload           `helixagent unload`
#   agent_release          end of a suite: stop the daemon and leave its pins, so
#                          the next suite's start adopts them (a restart of the
#                          same build with another policy) instead of verifying
#                          every program again; HX_VM_UNLOAD=1 unloads instead
#   in_sandbox NAME CMD... run CMD with its shell moved into sandbox NAME's cgroup
#   audit_select FILTER    audit lines (compact JSON) matching the jq FILTER
#   audit_wait N FILTER    wait until at least N lines match FILTER
#   audit_barrier NAME     make sandbox NAME log a marker denial and wait for it:
#                          every event caused before the barrier is then in the log

HX=/usr/sbin/helixagent
HXBIN=/usr/libexec/hx
CG=/sys/fs/cgroup
AUDIT_LOG=${AUDIT_LOG:-/var/log/helixagent/audit.jsonl}

agent_pidfile() { echo "$HXT_SUITE_TMP/agent.pid"; }

agent_start() {
	_pol=$1
	rm -f "$AUDIT_LOG"
	$HX run -c "$_pol" --audit-log "$AUDIT_LOG" >>"$HXT_SUITE_TMP/agent.log" 2>&1 &
	echo $! >"$(agent_pidfile)"
	wait_for 480 _agent_up_or_dead
	if ! _agent_ours; then
		cat "$HXT_SUITE_TMP/agent.log" >&2
		kill -0 "$(agent_pid)" 2>/dev/null && fail "agent did not become active within 480s"
		fail "agent exited before enforcing"
	fi
}

# Enforcing, and by this daemon: pins a previous suite's daemon left make
# `status` say active before this one has installed its policy.
_agent_ours() {
	$HX status --json 2>/dev/null | jq -e ".active and .daemon.running and .daemon.pid == $(agent_pid)" >/dev/null
}

# Ready, or dead (then waiting longer is pointless).
_agent_up_or_dead() {
	_agent_ours || ! kill -0 "$(agent_pid)" 2>/dev/null
}

agent_pid() { cat "$(agent_pidfile)" 2>/dev/null; }

agent_stop() {
	_p=$(agent_pid)
	[ -n "$_p" ] || return 0
	kill "$_p" 2>/dev/null
	wait_for 20 sh -c "! kill -0 $_p 2>/dev/null" || kill -9 "$_p" 2>/dev/null
	rm -f "$(agent_pidfile)"
}

agent_unload() {
	$HX unload >/dev/null 2>&1
}

agent_release() {
	agent_stop
	[ "${HX_VM_UNLOAD:-0}" = 1 ] && agent_unload
	return 0
}

sandbox_cg() { echo "$CG/helixagent/$1"; }

sandbox_cgid() { stat -c %i "$(sandbox_cg "$1")"; }

in_sandbox() {
	_sb=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$(sandbox_cg "$_sb")" "$@"
}

audit_select() {
	[ -f "$AUDIT_LOG" ] || return 0
	jq -c "select($1)" "$AUDIT_LOG"
}

audit_count() {
	audit_select "$1" | wc -l
}

_audit_atleast() {
	[ "$(audit_count "$2")" -ge "$1" ]
}

audit_wait() {
	if ! wait_for "${3:-10}" _audit_atleast "$1" "$2"; then
		log "agent log (last lines):"
		tail -n 15 "$HXT_SUITE_TMP/agent.log" >&2
		fail "audit log: fewer than $1 event(s) matching $2"
	fi
}

# Prints the pid= value of an hx-try result line.
result_pid() {
	printf '%s\n' "$1" | sed -n 's/.* pid=\([0-9]*\).*/\1/p'
}

# audit_barrier SANDBOX: SANDBOX must deny $HXBIN/hx-hello. Causes one denial
# and waits for its event, so that everything before it has been logged.
audit_barrier() {
	_r=$(in_sandbox "$1" $HXBIN/hx-try exec $HXBIN/hx-hello)
	_p=$(result_pid "$_r")
	[ -n "$_p" ] || fail "barrier: no pid in '$_r'"
	audit_wait 1 ".process.pid==$_p"
}
