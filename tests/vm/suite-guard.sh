# shellcheck shell=sh
# Self-protection: from inside any sandbox, even as root, the agent cannot be
# switched off, read or escaped. The sandboxes have no rules of their own.
. "$HXT_DIR/lib-agent.sh"

# The policy lives on an ext4 image (loop device) mounted at /var/hxext, in
# a directory of its own: a filesystem whose dentries can be evicted, so a
# file handle to it decodes disconnected.
EXT=/var/hxext
POLICY=$EXT/etc/helixagent/helixagent.yaml
TRY=$HXBIN/hx-try

suite_setup() {
	mkdir -p $EXT
	dd if=/dev/zero of=/tmp/guard-ext4.img bs=1M count=8 2>/dev/null
	mkfs.ext4 -q -F /tmp/guard-ext4.img && mount -o loop /tmp/guard-ext4.img $EXT ||
		log "no ext4 on loop: the file handle test will fail"
	mkdir -p "$(dirname "$POLICY")"
	cp "$HXT_DIR/policies/guard.yaml" "$POLICY"
	echo other >$EXT/other
	# the resolver's inputs: /etc/resolv.conf a symlink, as systemd-resolved makes it
	echo "nameserver 192.0.2.53" >/run/hx-resolv.conf
	ln -sf /run/hx-resolv.conf /etc/resolv.conf
	echo "192.0.2.80 api.example.com" >/etc/hosts
	rm -f /etc/gai.conf /etc/host.conf
	agent_start "$POLICY"
}

suite_teardown() {
	agent_release
	rm -f /etc/resolv.conf /run/hx-resolv.conf /etc/hosts /etc/host.conf /etc/hx-ordinary
	umount $EXT 2>/dev/null
}

# guard_event PID RULE: one guard event for PID with that rule name
guard_event() {
	audit_wait 1 ".process.pid==$1 and .rule.name==\"$2\""
}

test_sandbox_is_otherwise_unrestricted() {
	out=$(in_sandbox g $TRY open /etc/passwd r)
	assert_contains "$out" "open: ok"
	out=$(in_sandbox g $TRY open "$POLICY" r)
	assert_contains "$out" "open: ok" "reading the policy is not the guard's business"
}

test_bpf_syscall_denied() {
	out=$(in_sandbox g $TRY bpf-obj-get /sys/fs/bpf/helixagent/hx_live)
	assert_contains "$out" "bpf-obj-get: EPERM"
	guard_event "$(result_pid "$out")" guard.bpf
	out=$($TRY bpf-obj-get /sys/fs/bpf/helixagent/hx_live)
	assert_contains "$out" "bpf-obj-get: ok" "outside the sandbox"
}

test_agent_cannot_be_killed() {
	for sig in TERM KILL STOP; do
		out=$(in_sandbox g sh -c "echo pid=\$\$; kill -$sig $(agent_pid)" 2>&1)
		assert_contains "$out" "Operation not permitted"
	done
	kill -0 "$(agent_pid)" || fail "the agent died"
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	guard_event "$pid" guard.kill
	assert_eq "$(agent_pid)" "$(audit_select ".process.pid==$pid" | jq -r .helixagent.target.pid | tail -n 1)"
	$HX status >/dev/null || fail "enforcement no longer active"
}

# mem needs ptrace attach; environ, maps, auxv and pagemap a read-mode check,
# which since 7.x CAP_PERFMON or CAP_SYS_ADMIN override (the sandbox is root).
test_agent_memory_cannot_be_read() {
	for f in mem environ maps auxv pagemap; do
		out=$(in_sandbox g $TRY open "/proc/$(agent_pid)/$f" r)
		case $out in *"open: ok"*) fail "read the agent's $f: $out" ;; esac
	done
	guard_event "$(result_pid "$out")" guard.ptrace
	out=$(in_sandbox g $TRY open /proc/1/environ r)
	case $out in *"open: ok"*) fail "read pid 1's environment: $out" ;; esac
	out=$($TRY open "/proc/$(agent_pid)/environ" r)
	assert_contains "$out" "open: ok" "outside the sandbox"
}

# guard_deny_count: the guard family's deny counter of sandbox g
guard_deny_count() {
	$HX status --json | jq '.sandboxes[] | select(.name=="g") | .counters.guard.deny'
}

# startcode STATLINE: field 26 of a /proc/PID/stat line, which the kernel shows
# as 1 (0 for a process without memory) to a reader whose ptrace probe was refused
startcode() {
	printf '%s\n' "$1" | sed 's/^.*) //' | awk '{ print $24 }'
}

# /proc/PID/stat asks a no-audit ptrace probe (to hide another process's
# registers): refused, counted, not logged, or every `ps` floods the log.
test_probe_refused_quietly() {
	a=$(agent_pid)
	out=$(sh -c "read x < /proc/$a/stat && echo \"stat=\$x\"")
	sc=$(startcode "${out#stat=}")
	[ -n "$sc" ] && [ "$sc" -gt 1 ] || fail "outside the sandbox the agent's startcode reads '$sc': $out"
	before=$(guard_deny_count)
	out=$(in_sandbox g sh -c "echo pid=\$\$; read x < /proc/$a/stat && echo \"stat=\$x\"; read y < /proc/1/stat; kill -TERM $a" 2>&1)
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	[ -n "$pid" ] || fail "no pid in '$out'"
	st=$(printf '%s\n' "$out" | sed -n 's/^stat=//p')
	[ -n "$st" ] || fail "the sandbox could not read /proc/$a/stat at all: $out"
	assert_eq 1 "$(startcode "$st")" "the agent's startcode as the sandbox sees it (the probe refused)"
	# the kill, logged, is the barrier: the probes before it were not
	guard_event "$pid" guard.kill
	n=$(audit_select ".process.pid==$pid and .rule.name==\"guard.ptrace\"" | wc -l)
	assert_eq 0 "$n" "probe logged: $(audit_select ".process.pid==$pid" | tail -n 3)"
	after=$(guard_deny_count)
	# two probes and the kill
	[ "$after" -ge $((before + 3)) ] || fail "guard deny counter $before -> $after: the probes were not counted"
}

test_other_process_root_not_reachable() {
	out=$($TRY open /proc/1/root/etc/passwd r)
	assert_contains "$out" "open: ok" "the same open outside the sandbox"
	out=$(in_sandbox g $TRY open /proc/1/root/etc/passwd r)
	assert_contains "$out" "open: EACCES" "pid 1's root from the sandbox"
	pid=$(result_pid "$out")
	guard_event "$pid" guard.ptrace
	assert_eq 1 "$(audit_select ".process.pid==$pid and .rule.name==\"guard.ptrace\"" |
		jq -r .helixagent.target.pid | tail -n 1)" "the refused target"
}

test_pins_cannot_be_removed() {
	out=$(in_sandbox g $TRY unlink /sys/fs/bpf/helixagent/hx_live)
	assert_contains "$out" "unlink: EPERM"
	[ -e /sys/fs/bpf/helixagent/hx_live ] || fail "pin removed"
	out=$(in_sandbox g $TRY rename /sys/fs/bpf/helixagent /sys/fs/bpf/x)
	assert_contains "$out" "rename: EPERM"
	guard_event "$(result_pid "$out")" guard.pin_dir
}

test_policy_and_audit_log_cannot_be_written() {
	cp "$POLICY" /tmp/guard-before.yaml
	out=$(in_sandbox g $TRY open "$POLICY" w)
	assert_contains "$out" "open: EPERM"
	cmp -s "$POLICY" /tmp/guard-before.yaml || fail "policy changed"
	guard_event "$(result_pid "$out")" guard.policy_file
	out=$(in_sandbox g $TRY open "$AUDIT_LOG" a)
	assert_contains "$out" "open: EPERM"
	out=$(in_sandbox g $TRY unlink "$AUDIT_LOG")
	assert_contains "$out" "unlink: EPERM"
	[ -s "$AUDIT_LOG" ] || fail "audit log gone"
}

# escape_try FILE: a shell in sandbox g writes its pid to FILE, then prints its cgroup
escape_try() {
	in_sandbox g sh -c 'echo pid=$$; echo $$ > "$0"; cat /proc/self/cgroup' "$1" 2>&1
}

test_cgroup_escape_refused() {
	# outside the sandbox root moves itself freely
	out=$(sh -c 'echo $$ > /sys/fs/cgroup/helixagent/g2/cgroup.procs && cat /proc/self/cgroup' 2>&1)
	assert_contains "$out" "0::/helixagent/g2" "the same move outside the sandbox"
	for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/helixagent/g2/cgroup.procs \
		/sys/fs/cgroup/cgroup.threads; do
		out=$(escape_try $f)
		assert_contains "$out" "Operation not permitted" "$f"
		printf '%s\n' "$out" | grep -qx "0::/helixagent/g" ||
			fail "not in the sandbox after writing $f: $out"
		pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
		[ -n "$pid" ] || fail "no pid in '$out'"
		guard_event "$pid" guard.cgroupfs
	done
	# A child stays in the sandbox too.
	out=$(in_sandbox g sh -c 'sh -c "cat /proc/self/cgroup"')
	assert_eq "0::/helixagent/g" "$out"
}

test_cgroup_namespace_does_not_help() {
	out=$($TRY cgns-join /sys/fs/cgroup/helixagent/g2)
	assert_contains "$out" "cgns-join: ok" "the same join outside the sandbox"
	for cg in /sys/fs/cgroup /sys/fs/cgroup/helixagent/g2; do
		out=$(in_sandbox g $TRY cgns-join $cg)
		assert_contains "$out" "cgns-join: EPERM" "$cg"
		guard_event "$(result_pid "$out")" guard.cgroupfs
	done
}

test_limits_cannot_be_raised_nor_cgroups_made() {
	lim=/sys/fs/cgroup/helixagent/g/cgroup.max.descendants
	out=$($TRY open $lim w)
	assert_contains "$out" "open: ok" "the same open outside the sandbox"
	out=$(in_sandbox g $TRY open $lim w)
	assert_contains "$out" "open: EPERM"
	guard_event "$(result_pid "$out")" guard.cgroupfs
	out=$(in_sandbox g $TRY mkdir /sys/fs/cgroup/helixagent/g/escape)
	assert_contains "$out" "mkdir: EPERM"
	[ ! -e /sys/fs/cgroup/helixagent/g/escape ] || fail "cgroup created"
	guard_event "$(result_pid "$out")" guard.cgroupfs
	out=$($TRY mkdir /sys/fs/cgroup/helixagent/g/escape)
	assert_contains "$out" "mkdir: ok" "the same mkdir outside the sandbox"
	rmdir /sys/fs/cgroup/helixagent/g/escape
}

test_guard_counted() {
	n=$($HX status --json | jq '.sandboxes[] | select(.name=="g") | .counters.guard.deny')
	[ "$n" -gt 0 ] || fail "guard deny counter is $n"
}

# Nothing a sandbox can write decides its own policy: the policy's directory
# and every name on its path can be neither moved, removed nor replaced,
# while ordinary files can still be made beside them.
test_policy_directory_cannot_be_replaced() {
	d=$(dirname "$POLICY")
	cp "$POLICY" /tmp/guard-before.yaml
	out=$(in_sandbox g $TRY rename "$d" "$d.old")
	assert_contains "$out" "rename: EPERM"
	guard_event "$(result_pid "$out")" guard.policy_dir
	[ -f "$POLICY" ] || fail "policy directory moved"
	out=$(in_sandbox g $TRY rename $EXT/etc $EXT/etc.old)
	assert_contains "$out" "rename: EPERM"
	guard_event "$(result_pid "$out")" guard.policy_dir
	out=$(in_sandbox g $TRY open $EXT/etc/evil.yaml c)
	assert_contains "$out" "open: ok" "an ordinary file beside the policy directory"
	out=$(in_sandbox g $TRY rename $EXT/etc/evil.yaml "$POLICY")
	assert_contains "$out" "rename: EPERM"
	guard_event "$(result_pid "$out")" guard.policy_dir
	out=$(in_sandbox g $TRY unlink "$POLICY")
	assert_contains "$out" "unlink: EPERM"
	guard_event "$(result_pid "$out")" guard.policy_dir
	cmp -s "$POLICY" /tmp/guard-before.yaml || fail "policy changed"
	# the same rename outside the sandbox (and back)
	out=$($TRY rename "$d" "$d.old")
	assert_contains "$out" "rename: ok" "outside the sandbox"
	mv "$d.old" "$d" || fail "cannot move the policy directory back"
}

test_resolver_inputs_cannot_be_changed() {
	out=$(in_sandbox g $TRY open /etc/hosts w)
	assert_contains "$out" "open: EPERM"
	guard_event "$(result_pid "$out")" guard.resolver
	out=$(in_sandbox g $TRY rename /etc/resolv.conf /etc/resolv.old)
	assert_contains "$out" "rename: EPERM"
	guard_event "$(result_pid "$out")" guard.resolver
	[ -L /etc/resolv.conf ] || fail "/etc/resolv.conf moved"
	out=$(in_sandbox g $TRY open /run/hx-resolv.conf w)
	assert_contains "$out" "open: EPERM" "the symlink's target"
	out=$(in_sandbox g $TRY unlink /run/hx-resolv.conf)
	assert_contains "$out" "unlink: EPERM"
	guard_event "$(result_pid "$out")" guard.resolver
	assert_eq "nameserver 192.0.2.53" "$(cat /run/hx-resolv.conf)"
	out=$(in_sandbox g $TRY open /etc/gai.conf c)
	assert_contains "$out" "open: EPERM" "a resolver input missing at load cannot be made"
	guard_event "$(result_pid "$out")" guard.resolver
	[ ! -e /etc/gai.conf ] || fail "/etc/gai.conf created"
	# made by the host after load: no rule of its own yet, guarded by its name
	echo "multi on" >/etc/host.conf
	out=$(in_sandbox g $TRY open /etc/host.conf w)
	assert_contains "$out" "open: EPERM" "a resolver input made after load"
	guard_event "$(result_pid "$out")" guard.resolver
	out=$(in_sandbox g $TRY open /etc/hx-ordinary c)
	assert_contains "$out" "open: ok" "ordinary file creation in /etc"
	out=$($TRY open /etc/hosts w)
	assert_contains "$out" "open: ok" "outside the sandbox"
}

# A file handle decoded with its ancestors evicted: the guard still refuses
# writes (the policy file by its own rule, anything else as unresolved).
test_file_handle_cannot_write_the_policy() {
	out=$($TRY handle-get "$POLICY" /tmp/h.pol)
	assert_contains "$out" "handle-get: ok"
	out=$($TRY handle-get $EXT/other /tmp/h.other)
	assert_contains "$out" "handle-get: ok"
	grep -q " $EXT ext4 " /proc/mounts || fail "no ext4 mounted at $EXT"
	# several passes: a referenced dentry survives the first (see suite-fs)
	sync
	for _ in 1 2 3 4; do echo 2 >/proc/sys/vm/drop_caches; done
	out=$($TRY -j "$(sandbox_cg g)" handle-open $EXT /tmp/h.pol w)
	assert_contains "$out" "handle-open: EPERM"
	guard_event "$(result_pid "$out")" guard.policy_file
	out=$($TRY -j "$(sandbox_cg g)" handle-open $EXT /tmp/h.other w)
	assert_contains "$out" "handle-open: EPERM"
	guard_event "$(result_pid "$out")" guard.unresolved_path
	out=$($TRY -j "$(sandbox_cg g)" handle-open $EXT /tmp/h.other r)
	assert_contains "$out" "handle-open: ok" "reads are not the guard's business"
	out=$($TRY handle-open $EXT /tmp/h.pol w)
	assert_contains "$out" "handle-open: ok" "outside the sandbox"
}
