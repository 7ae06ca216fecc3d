# shellcheck shell=sh
# Exec and privilege policy: commands with their arguments, fileless and
# indirect exec, capabilities, no_new_privileges. Each denial: errno (or kill), side effect, audit line.
. "$HXT_DIR/lib-agent.sh"

POLICY=$HXT_DIR/policies/execplus.yaml
TRY=$HXBIN/hx-try
HELLO=$HXBIN/hx-hello

suite_setup() {
	mkdir -p /data
	agent_start "$POLICY"
}

suite_teardown() {
	agent_release
}

test_blocked_command_never_runs() {
	mkdir -p /tmp/x/y
	echo keep >/tmp/x/y/file
	# (a real execve: busybox's shell runs its own applets without one)
	out=$(in_sandbox cmds $TRY exec /bin/rm -rf /tmp/x)
	[ -e /tmp/x/y/file ] || fail "rm -rf ran: /tmp/x is gone"
	assert_contains "$out" "status=137" "killed by SIGKILL"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid and .event.code==\"permission_denied\""
	ev=$(audit_select ".process.pid==$pid and .event.code==\"permission_denied\"")
	assert_eq "exec.blocked_commands[0]" "$(printf '%s' "$ev" | jq -r .rule.name)"
	assert_eq killed "$(printf '%s' "$ev" | jq -r .helixagent.enforcement)"
	assert_eq '["/bin/rm","-rf","/tmp/x"]' "$(printf '%s' "$ev" | jq -c .process.args)"
	assert_eq /bin/busybox "$(printf '%s' "$ev" | jq -r .process.executable)"
}

test_other_arguments_of_a_blocked_word_run() {
	mkdir -p /tmp/z
	out=$(in_sandbox cmds $TRY exec /bin/rm -r /tmp/z)
	assert_contains "$out" "status=0"
	[ ! -e /tmp/z ] || fail "rm -r did not run"
}

# killed_pid OUT: the pid= line of a shell that exec'd a blocked command, whose
# status line (rc=) must say SIGKILL
killed_pid() {
	assert_contains "$1" "rc=137" "killed by SIGKILL"
	_kp=$(printf '%s\n' "$1" | sed -n 's/^pid=//p')
	[ -n "$_kp" ] || fail "no pid in '$1'"
	echo "$_kp"
}

# killed_event PID RULE: the kill of PID logged with RULE
killed_event() {
	_sel=".process.pid==$1 and .event.code==\"permission_denied\""
	audit_wait 1 "$_sel"
	assert_eq "$2" "$(audit_select "$_sel" | jq -r .rule.name | head -n 1)"
	assert_eq killed "$(audit_select "$_sel" | jq -r .helixagent.enforcement | head -n 1)"
}

test_single_word_command_and_path_spelling() {
	touch /tmp/mode /tmp/mode-ctl
	chmod 644 /tmp/mode /tmp/mode-ctl
	/bin/chmod 600 /tmp/mode-ctl
	assert_eq 600 "$(stat -c %a /tmp/mode-ctl)" "the same chmod outside the sandbox"
	out=$(in_sandbox cmds sh -c 'echo pid=$$; exec /bin/chmod 600 /tmp/mode' 2>&1; echo "rc=$?")
	pid=$(killed_pid "$out")
	assert_eq 644 "$(stat -c %a /tmp/mode)" "mode unchanged"
	killed_event "$pid" "exec.blocked_commands[1]"
}

test_command_with_leading_arguments() {
	out=$(in_sandbox cmds sh -c "echo pid=\$\$; exec $TRY open /data/forbidden c" 2>&1; echo "rc=$?")
	pid=$(killed_pid "$out")
	[ ! -e /data/forbidden ] || fail "the blocked command ran"
	killed_event "$pid" "exec.blocked_commands[2]"
	out=$(in_sandbox cmds $TRY open /data/allowed c)
	assert_contains "$out" "open: ok"
}

test_allowed_exec_logged_with_arguments() {
	out=$(in_sandbox cmds sh -c 'echo pid=$$; exec /bin/true one two' 2>&1)
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	audit_wait 1 ".process.pid==$pid and .event.code==\"command_execute\""
	ev=$(audit_select ".process.pid==$pid and .event.code==\"command_execute\"" | tail -n 1)
	assert_eq '["/bin/true","one","two"]' "$(printf '%s' "$ev" | jq -c .process.args)"
	assert_eq allow "$(printf '%s' "$ev" | jq -r .helixagent.decision)"
}

test_memfd_exec_denied() {
	out=$($TRY memfd-exec /bin/busybox)
	assert_contains "$out" "exec: ok" "the same memfd exec outside the sandbox"
	out=$(in_sandbox cmds $TRY memfd-exec /bin/busybox)
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq exec.fileless "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
	assert_eq true "$(audit_select ".process.pid==$pid" | jq -r .helixagent.fileless)"
	assert_eq '["memfd"]' "$(audit_select ".process.pid==$pid" | jq -c .process.args)"
}

test_exec_of_deleted_file_denied() {
	out=$($TRY deleted-exec /bin/busybox /tmp/deleted-copy)
	assert_contains "$out" "exec: ok" "the same exec outside the sandbox"
	out=$(in_sandbox cmds $TRY deleted-exec /bin/busybox /tmp/deleted-copy)
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	sel=".process.pid==$pid and .event.code==\"permission_denied\""
	audit_wait 1 "$sel"
	assert_eq exec.fileless "$(audit_select "$sel" | jq -r .rule.name | head -n 1)"
	assert_eq true "$(audit_select "$sel" | jq -r .helixagent.fileless | head -n 1)"
}

test_ld_so_cannot_map_a_blocked_binary() {
	ldso=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null || ls /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
	out=$("$ldso" $HELLO 2>&1)
	assert_contains "$out" "hello from" "ld.so runs it outside the sandbox"
	out=$(in_sandbox cmds sh -c 'echo pid=$$; exec "$0" "$1"' "$ldso" $HELLO 2>&1)
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	[ -n "$pid" ] || fail "no pid in '$out'"
	case $out in *"hello from"*) fail "ld.so ran the blocked binary: $out" ;; esac
	sel=".process.pid==$pid and .file.path==\"$HELLO\" and .event.action==\"mmap_exec\""
	audit_wait 1 "$sel"
	assert_eq "exec.blocked[0]" "$(audit_select "$sel" | jq -r .rule.name | head -n 1)"
	assert_eq deny "$(audit_select "$sel" | jq -r .helixagent.decision | head -n 1)"
}

# An O_PATH fd (opened by anyone: no read permission is needed) run with
# execveat(AT_EMPTY_PATH): the exec is judged on the file the fd names.
test_execveat_of_opath_fd_of_blocked_binary() {
	out=$(in_sandbox cmds $TRY execat-opath $HELLO)
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid and .event.code==\"permission_denied\""
	assert_eq "exec.blocked[0]" \
		"$(audit_select ".process.pid==$pid and .event.code==\"permission_denied\"" | jq -r .rule.name | head -n 1)"
	out=$($TRY execat-opath $HELLO)
	assert_contains "$out" "exec: ok" "the same execveat outside the sandbox"
}

test_copy_of_binary_denied_by_default_policy() {
	cp $HELLO /tmp/copy-of-hello
	out=$(in_sandbox allowlist $TRY exec /tmp/copy-of-hello)
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq exec.default_policy "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
}

test_renamed_blocked_binary_denied() {
	R=/usr/libexec/hx/renamed
	mv $HELLO $R
	out=$(in_sandbox cmds $TRY exec $R)
	ctl=$($TRY exec $R)
	mv $R $HELLO
	assert_contains "$out" "exec: EPERM"
	assert_contains "$ctl" "exec: ok" "the same exec outside the sandbox"
	pid=$(result_pid "$out")
	sel=".process.pid==$pid and .event.code==\"permission_denied\""
	audit_wait 1 "$sel"
	assert_eq "exec.blocked[0]" "$(audit_select "$sel" | jq -r .rule.name | head -n 1)"
	assert_eq $R "$(audit_select "$sel" | jq -r .file.path | head -n 1)"
}

# A copy of an allowed binary (/bin/busybox) on tmpfs: rules name objects,
# not contents. (A noexec mount is the kernel's refusal, not the agent's.)
test_copy_of_an_allowed_binary_on_tmpfs_denied() {
	cp /bin/busybox /tmp/bb
	out=$(in_sandbox allowlist $TRY exec /bin/busybox true)
	assert_contains "$out" "exec: ok" "the original under the allowlist"
	out=$($TRY exec /tmp/bb true)
	assert_contains "$out" "exec: ok" "the copy outside the sandbox"
	out=$(in_sandbox allowlist $TRY exec /tmp/bb true)
	assert_contains "$out" "exec: EPERM" "tmpfs copy under an allowlist"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq exec.default_policy "$(audit_select ".process.pid==$pid" | jq -r .rule.name | head -n 1)"
	assert_eq /tmp/bb "$(audit_select ".process.pid==$pid" | jq -r .file.path | head -n 1)"
}

test_root_without_capabilities() {
	mkdir -p /mnt/capt
	out=$(in_sandbox caps mount -t tmpfs tmpfs /mnt/capt 2>&1)
	if grep -q " /mnt/capt " /proc/mounts; then
		umount /mnt/capt
		fail "mounted without CAP_SYS_ADMIN"
	fi
	out=$(in_sandbox caps date -s '2001-01-01 00:00' 2>&1)
	[ "$(date +%Y)" != 2001 ] || fail "set the clock without CAP_SYS_TIME"
	touch /tmp/owned
	chown 1234 /tmp/owned
	# CAP_CHOWN: refused by capabilities.drop alone (the containment baseline
	# refuses mounts and modules to every sandbox anyway)
	out=$(in_sandbox caps sh -c 'echo pid=$$; exec chown 0 /tmp/owned' 2>&1)
	assert_eq 1234 "$(stat -c %u /tmp/owned)" "chown without CAP_CHOWN"
	assert_contains "$out" "Operation not permitted"
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	[ -n "$pid" ] || fail "no pid in '$out'"
	audit_wait 1 ".process.pid==$pid and .rule.name==\"capabilities.drop\""
	out=$(in_sandbox caps $TRY init-module)
	assert_contains "$out" "init-module: EPERM" "module loading without CAP_SYS_MODULE"
	# outside the sandbox root keeps its power
	mount -t tmpfs tmpfs /mnt/capt || fail "root outside cannot mount"
	umount /mnt/capt
	chown 0 /tmp/owned || fail "root outside cannot chown"
	assert_eq 0 "$(stat -c %u /tmp/owned)" "chown outside the sandbox"
}

test_audit_mode_command_runs() {
	mkdir -p /tmp/aud/y
	out=$(in_sandbox audited $TRY exec /bin/rm -rf /tmp/aud)
	[ ! -e /tmp/aud ] || fail "audit mode must not kill"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid and .helixagent.decision==\"audit\""
}

test_sandbox_without_exec_rules_logs_no_command_execute() {
	# The events list names command_execute, but sandbox caps has no exec rules.
	out=$(in_sandbox caps sh -c 'echo pid=$$; exec /bin/true one' 2>&1)
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	[ -n "$pid" ] || fail "no pid in '$out'"
	# the same exec in sandbox cmds is logged: the barrier below waits for it too
	out=$(in_sandbox cmds sh -c 'echo pid=$$; exec /bin/true two' 2>&1)
	cpid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	audit_barrier cmds
	assert_eq 1 "$(audit_count ".process.pid==$cpid and .event.code==\"command_execute\" and .process.args==[\"/bin/true\",\"two\"]")" \
		"command_execute in sandbox cmds"
	assert_eq 0 "$(audit_count ".process.pid==$pid")" "events of sandbox caps"
}

# A setuid-root and a setgid-root copy of id(1), run by user 65534.
nnp_setup() {
	cp /usr/bin/id /tmp/suid-id
	chown 0:0 /tmp/suid-id
	chmod 4755 /tmp/suid-id
	cp /usr/bin/id /tmp/sgid-id
	chown 0:0 /tmp/sgid-id
	chmod 2755 /tmp/sgid-id
}

test_no_new_privileges_refuses_a_setuid_gain() {
	nnp_setup
	# outside any sandbox the setuid bit applies: what the sandbox must prevent
	out=$($TRY as 65534 /tmp/suid-id -u)
	assert_contains "$out" "exec: ok"
	assert_eq 0 "$(printf '%s\n' "$out" | head -n 1)" "euid outside the sandbox"
	out=$(in_sandbox nnp $TRY as 65534 /tmp/suid-id -u)
	assert_contains "$out" "exec: EPERM"
	[ "$(printf '%s\n' "$out" | head -n 1)" != 0 ] || fail "the setuid program ran: $out"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	ev=$(audit_select ".process.pid==$pid")
	log "$ev"
	f() { printf '%s' "$ev" | jq -r "$1"; }
	assert_eq permission_denied "$(f .event.code)"
	assert_eq lsm/bprm_creds_from_file "$(f .event.provider)"
	assert_eq deny "$(f .helixagent.decision)"
	assert_eq process.no_new_privileges "$(f .rule.name)"
	assert_eq nnp "$(f .rule.ruleset)"
	assert_eq /tmp/suid-id "$(f .file.path)"
	assert_eq 0 "$(f .helixagent.new_euid)"
	assert_eq 65534 "$(f .process.user.id)"
	assert_eq '["/tmp/suid-id","-u"]' "$(f '.process.args | tojson')"
	# setgid: the group id is a privilege too
	out=$(in_sandbox nnp $TRY as 65534 /tmp/sgid-id -g)
	assert_contains "$out" "exec: EPERM" "setgid copy"
}

test_no_new_privileges_lets_what_gains_nothing_run() {
	nnp_setup
	out=$(in_sandbox nnp $TRY as 65534 /usr/bin/id -u)
	assert_contains "$out" "exec: ok" "a plain exec by the same user"
	assert_eq 65534 "$(printf '%s\n' "$out" | head -n 1)"
	# root running a setuid-root program: no id changes, no capability it lacks
	out=$(in_sandbox nnp $TRY exec /tmp/suid-id -u)
	assert_contains "$out" "exec: ok" "setuid-root program run by root"
	deny=$($HX status --json | jq '.sandboxes[] | select(.name=="nnp") | .counters.exec.deny')
	[ "$deny" -gt 0 ] || fail "no_new_privileges refusals not counted: $deny"
}

test_no_new_privileges_audit_mode_logs_and_allows() {
	nnp_setup
	out=$(in_sandbox nnp_audit $TRY as 65534 /tmp/suid-id -u)
	assert_contains "$out" "exec: ok"
	assert_eq 0 "$(printf '%s\n' "$out" | head -n 1)" "euid in audit mode"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid and .rule.name==\"process.no_new_privileges\""
	ev=$(audit_select ".process.pid==$pid and .rule.name==\"process.no_new_privileges\"")
	assert_eq audit "$(printf '%s' "$ev" | jq -r .helixagent.decision)"
	assert_eq 0 "$(printf '%s' "$ev" | jq -r .helixagent.errno)"
}

# ---- the generation an allowed exec is reported under ----

hx_counter() { awk -v k="$1" '$1 == k { print $2 }' /run/helixagent/counters; }
_gen_above() { [ "$(hx_counter generation)" -gt "$1" ]; }
_has_line() { grep -q "$1" "$2"; }

# An exec allowed by policy A is held past its checks (hx-try exec-stalled) while
# policy B, which refuses the binary, goes live; its command_execute event must
# name A's generation, not B's. Last in the suite: it reloads the policy twice.
test_command_execute_names_the_generation_that_allowed_it() {
	out=$HXT_TMP/out
	cp "$POLICY" "$HXT_TMP/a.yaml"
	sed 's|blocked: \[/usr/libexec/hx/hx-hello\]|blocked: [/usr/libexec/hx/hx-hello, /usr/bin/id]|' \
		"$POLICY" >"$HXT_TMP/b.yaml"
	grep -q /usr/bin/id "$HXT_TMP/b.yaml" || fail "policy B not made"
	g0=$(hx_counter generation)
	in_sandbox cmds $TRY exec-stalled "$HXT_TMP/go" /usr/bin/id -u >"$out" 2>&1 &
	wait_for 120 _has_line "^stalled pid=" "$out" || fail "the exec was not held: $(cat "$out")"
	pid=$(sed -n 's/^stalled pid=//p' "$out")
	cp "$HXT_TMP/b.yaml" "$POLICY.tmp" && mv -f "$POLICY.tmp" "$POLICY"
	wait_for 240 _gen_above "$g0" || fail "policy B was not loaded"
	g1=$(hx_counter generation)
	touch "$HXT_TMP/go"
	wait_for 60 _has_line "^exec: " "$out"
	log "$(cat "$out")"
	# B refuses id now: the held exec was judged before it
	assert_contains "$(in_sandbox cmds $TRY exec /usr/bin/id -u)" "exec: EPERM" "policy B live"
	cp "$HXT_TMP/a.yaml" "$POLICY.tmp" && mv -f "$POLICY.tmp" "$POLICY"
	wait_for 240 _gen_above "$g1" || fail "policy A was not restored"
	assert_contains "$(cat "$out")" "exec: ok pid=$pid status=0"
	sel=".process.pid==$pid and .event.code==\"command_execute\" and .process.args==[\"/usr/bin/id\",\"-u\"]"
	audit_wait 1 "$sel"
	assert_eq "$g0" "$(audit_select "$sel" | jq -r .helixagent.policy_generation)" \
		"generation of the exec allowed under $g0, completed under $g1"
}
