# shellcheck shell=sh
# Exec and privilege policy: commands with their arguments, fileless and
# indirect exec, capabilities. Each denial: errno (or kill), side effect, audit line.
. "$HXT_DIR/lib-agent.sh"

POLICY=$HXT_DIR/policies/execplus.yaml
TRY=$HXBIN/hx-try
HELLO=$HXBIN/hx-hello

suite_setup() {
	mkdir -p /data
	agent_start "$POLICY"
}

suite_teardown() {
	agent_stop
	agent_unload
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

test_single_word_command_and_path_spelling() {
	touch /tmp/mode
	chmod 644 /tmp/mode
	in_sandbox cmds /bin/chmod 600 /tmp/mode 2>/dev/null
	assert_eq 137 "$?" "chmod by full path"
	assert_eq 644 "$(stat -c %a /tmp/mode)" "mode unchanged"
}

test_command_with_leading_arguments() {
	out=$(in_sandbox cmds $TRY open /data/forbidden c)
	[ ! -e /data/forbidden ] || fail "the blocked command ran"
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
	out=$(in_sandbox cmds $TRY memfd-exec /bin/busybox)
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq exec.fileless "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
	assert_eq true "$(audit_select ".process.pid==$pid" | jq -r .helixagent.fileless)"
}

test_exec_of_deleted_file_denied() {
	out=$(in_sandbox cmds $TRY deleted-exec /bin/busybox /tmp/deleted-copy)
	assert_contains "$out" "exec: EPERM"
}

test_ld_so_cannot_map_a_blocked_binary() {
	ldso=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null || ls /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
	out=$(in_sandbox cmds "$ldso" $HELLO 2>&1)
	case $out in *"hello from"*) fail "ld.so ran the blocked binary: $out" ;; esac
	audit_wait 1 ".file.path==\"$HELLO\" and .event.action==\"mmap_exec\""
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
	mv $HELLO /usr/libexec/hx/renamed
	out=$(in_sandbox cmds $TRY exec /usr/libexec/hx/renamed)
	mv /usr/libexec/hx/renamed $HELLO
	assert_contains "$out" "exec: EPERM"
}

test_exec_from_tmpfs_and_noexec() {
	mkdir -p /mnt/noexec
	mount -t tmpfs -o noexec tmpfs /mnt/noexec || fail "mount"
	cp /bin/busybox /mnt/noexec/bb
	out=$(in_sandbox allowlist $TRY exec /mnt/noexec/bb true)
	umount /mnt/noexec
	case $out in *"exec: ok"*) fail "ran from a noexec mount: $out" ;; esac
	cp /bin/busybox /tmp/bb
	out=$(in_sandbox allowlist $TRY exec /tmp/bb true)
	assert_contains "$out" "exec: EPERM" "tmpfs copy under an allowlist"
}

test_root_without_capabilities() {
	mkdir -p /mnt/capt
	out=$(in_sandbox caps mount -t tmpfs tmpfs /mnt/capt 2>&1)
	mountpoint -q /mnt/capt && { umount /mnt/capt; fail "mounted without CAP_SYS_ADMIN"; }
	out=$(in_sandbox caps date -s '2001-01-01 00:00' 2>&1)
	[ "$(date +%Y)" != 2001 ] || fail "set the clock without CAP_SYS_TIME"
	touch /tmp/owned
	chown 1234 /tmp/owned
	out=$(in_sandbox caps chown 0 /tmp/owned 2>&1)
	assert_eq 1234 "$(stat -c %u /tmp/owned)" "chown without CAP_CHOWN"
	out=$(in_sandbox caps $TRY init-module)
	assert_contains "$out" "init-module: EPERM" "module loading without CAP_SYS_MODULE"
	audit_wait 1 '.rule.name=="capabilities.drop"'
	# outside the sandbox root keeps its power
	mount -t tmpfs tmpfs /mnt/capt || fail "root outside cannot mount"
	umount /mnt/capt
}

test_audit_mode_command_runs() {
	mkdir -p /tmp/aud/y
	out=$(in_sandbox audited $TRY exec /bin/rm -rf /tmp/aud)
	[ ! -e /tmp/aud ] || fail "audit mode must not kill"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid and .helixagent.decision==\"audit\""
}
