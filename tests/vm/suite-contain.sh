# shellcheck shell=sh
# Containment (docs/threat-model.md): from inside a sandbox, root included,
# nothing leaves the cgroup, changes the host or reaches around the agent.
# Each attack runs in a sandbox governed by an existing cgroup (not through
# `helixagent exec`, whose seccomp filter would hide some), then the same
# step outside as the control that must work, then the side effect and the
# audit line of the attacking process.
. "$HXT_DIR/lib-agent.sh"

POLICY=$HXT_DIR/policies/contain.yaml
A=$HXBIN/hx-attack

suite_setup() {
	agent_start "$POLICY"
}

suite_teardown() {
	agent_release
}

# bi_event OUT RULE: the attack's output OUT names its pid; one permission_denied
# event of that process with rule RULE, errno -1, in the guard family.
bi_event() {
	_pid=$(result_pid "$1")
	[ -n "$_pid" ] || fail "no pid in '$1'"
	audit_wait 1 ".process.pid==$_pid and .rule.name==\"$2\" and .event.code==\"permission_denied\" and .helixagent.errno==-1 and .helixagent.family==\"guard\""
}

# refused OUT OP: OUT says OP was refused with EPERM by the kernel call itself
# (not by an earlier step of a chain).
refused() {
	assert_contains "$1" "$2: EPERM pid="
	case $1 in *step=*) fail "an earlier step failed: $1" ;; esac
}

mounted() {
	awk -v d="$1" '$2 == d { f = 1 } END { exit !f }' /proc/mounts
}

# A process outside every sandbox to be the control's target.
dummy_start() {
	sleep 600 &
	echo $! >"$HXT_TMP/dummy"
}

dummy() { cat "$HXT_TMP/dummy"; }

teardown() {
	[ -f "$HXT_TMP/dummy" ] && kill "$(dummy)" 2>/dev/null
	for m in "$HXT_TMP"/m "$HXT_TMP"/src "$HXT_TMP"/ro "$HXT_TMP"/nr; do
		while mounted "$m"; do umount -l "$m" 2>/dev/null || break; done
	done
	return 0
}

# ---- 1. leaving the cgroup ----

test_clone_into_cgroup_refused() {
	for target in $CG $CG/helixagent/c2; do
		out=$(in_sandbox c $A clone-into-cgroup $target)
		refused "$out" clone-into-cgroup
		case $out in *"child cgroup="*) fail "a child was made: $out" ;; esac
		bi_event "$out" guard.cgroup_escape
	done
	# unprivileged: refused before the kernel's own permission check
	out=$(in_sandbox c $A -u 1000 clone-into-cgroup $CG)
	refused "$out" clone-into-cgroup
	case $out in *"child cgroup="*) fail "a child was made: $out" ;; esac
	# the control: from outside, the same call lands the child in c2
	out=$($A clone-into-cgroup $CG/helixagent/c2)
	assert_contains "$out" "child cgroup=/helixagent/c2"
	assert_contains "$out" "clone-into-cgroup: ok"
}

# ---- 2. changing the host: mounts ----

test_mount_and_bind_refused() {
	mkdir -p "$HXT_TMP/m"
	out=$(in_sandbox c $A mount-tmpfs "$HXT_TMP/m")
	refused "$out" mount-tmpfs
	! mounted "$HXT_TMP/m" || fail "a tmpfs was mounted"
	bi_event "$out" baseline.mount
	n=$(audit_count ".process.pid==$(result_pid "$out") and .file.path==\"$HXT_TMP/m\" and .event.action==\"mount\"")
	assert_eq 1 "$n" "the event names the mount point"
	out=$(in_sandbox c $A bind /etc "$HXT_TMP/m")
	refused "$out" bind
	! mounted "$HXT_TMP/m" || fail "/etc was bound"
	bi_event "$out" baseline.mount
	out=$(in_sandbox c $A -u 1000 mount-tmpfs "$HXT_TMP/m")
	refused "$out" mount-tmpfs
	# the controls
	out=$($A mount-tmpfs "$HXT_TMP/m")
	assert_contains "$out" "mount-tmpfs: ok"
	mounted "$HXT_TMP/m" || fail "control: no tmpfs"
	umount "$HXT_TMP/m"
	out=$($A bind /etc "$HXT_TMP/m")
	assert_contains "$out" "bind: ok"
}

test_remount_move_propagation_umount_refused() {
	mkdir -p "$HXT_TMP/src" "$HXT_TMP/m"
	mount -t tmpfs none "$HXT_TMP/src"
	out=$(in_sandbox c $A remount-ro "$HXT_TMP/src")
	refused "$out" remount-ro
	touch "$HXT_TMP/src/still-writable" || fail "remounted read-only"
	bi_event "$out" baseline.mount
	out=$(in_sandbox c $A move "$HXT_TMP/src" "$HXT_TMP/m")
	refused "$out" move
	mounted "$HXT_TMP/src" || fail "the mount moved"
	out=$(in_sandbox c $A make-private "$HXT_TMP/src")
	refused "$out" make-private
	out=$(in_sandbox c $A umount "$HXT_TMP/src")
	refused "$out" umount
	mounted "$HXT_TMP/src" || fail "unmounted"
	bi_event "$out" baseline.mount
	# the controls, in the reverse order
	out=$($A make-private "$HXT_TMP/src")
	assert_contains "$out" "make-private: ok"
	out=$($A remount-ro "$HXT_TMP/src")
	assert_contains "$out" "remount-ro: ok"
	out=$($A move "$HXT_TMP/src" "$HXT_TMP/m")
	assert_contains "$out" "move: ok"
	out=$($A umount "$HXT_TMP/m")
	assert_contains "$out" "umount: ok"
}

# Unmounting bpffs or cgroupfs would hide the pins and the sandboxes' cgroups.
test_bpffs_and_cgroupfs_stay_mounted() {
	for fs in /sys/fs/bpf /sys/fs/cgroup; do
		out=$(in_sandbox c $A umount $fs)
		refused "$out" umount
		mounted $fs || fail "$fs unmounted"
		bi_event "$out" baseline.mount
	done
	[ -e /sys/fs/bpf/helixagent/hx_live ] || fail "pins gone"
	$HX status >/dev/null || fail "enforcement no longer active"
}

# pivot_root's hook comes before its checks: outside, the initramfs root
# makes it fail with EINVAL, never EPERM.
test_pivot_root_refused() {
	mkdir -p "$HXT_TMP/nr"
	mount -t tmpfs none "$HXT_TMP/nr"
	mkdir -p "$HXT_TMP/nr/old"
	out=$(in_sandbox c $A pivot-root "$HXT_TMP/nr")
	refused "$out" pivot-root
	bi_event "$out" baseline.mount
	out=$($A pivot-root "$HXT_TMP/nr")
	case $out in *"pivot-root: EPERM"* | *step=*) fail "control: $out" ;; esac
}

test_new_mount_api_refused() {
	mkdir -p "$HXT_TMP/m" "$HXT_TMP/ro"
	out=$(in_sandbox c $A fsmount "$HXT_TMP/m")
	assert_contains "$out" "fsmount: EPERM"
	assert_contains "$out" "step=fsopen"
	! mounted "$HXT_TMP/m" || fail "mounted"
	bi_event "$out" baseline.mount
	out=$(in_sandbox c $A open-tree-clone /etc "$HXT_TMP/m")
	assert_contains "$out" "open-tree-clone: EPERM"
	assert_contains "$out" "step=open_tree"
	! mounted "$HXT_TMP/m" || fail "mounted"
	# a read-only bind (as the launcher's read_only paths) made writable again
	mount --bind /etc "$HXT_TMP/ro"
	mount -o remount,bind,ro "$HXT_TMP/ro"
	# mount_setattr is 5.12+: where the kernel lacks it, there is nothing to refuse
	setattr=yes
	case $($A mount-setattr-rw /nonexistent) in *ENOSYS*) setattr= ;; esac
	if [ -n "$setattr" ]; then
		out=$(in_sandbox c $A mount-setattr-rw "$HXT_TMP/ro")
		refused "$out" mount-setattr-rw
		bi_event "$out" baseline.mount
	fi
	in_sandbox c sh -c "echo x >$HXT_TMP/ro/hx-contain-probe" 2>/dev/null &&
		fail "the read-only bind became writable"
	# the controls
	out=$($A fsmount "$HXT_TMP/m")
	assert_contains "$out" "fsmount: ok"
	umount "$HXT_TMP/m"
	out=$($A open-tree-clone /etc "$HXT_TMP/m")
	assert_contains "$out" "open-tree-clone: ok"
	if [ -n "$setattr" ]; then
		out=$($A mount-setattr-rw "$HXT_TMP/ro")
		assert_contains "$out" "mount-setattr-rw: ok"
	fi
}

# An unprivileged user makes its own user and mount namespaces: still no mount.
test_unprivileged_userns_mount_refused() {
	mkdir -p "$HXT_TMP/m"
	chmod 0777 "$HXT_TMP" "$HXT_TMP/m"
	out=$(in_sandbox c $A -u 1000 userns-mount "$HXT_TMP/m")
	refused "$out" userns-mount
	bi_event "$out" baseline.mount
	out=$(in_sandbox c $A userns-mount "$HXT_TMP/m")
	refused "$out" userns-mount
	out=$($A -u 1000 userns-mount "$HXT_TMP/m")
	assert_contains "$out" "userns-mount: ok"
}

# ---- 2. changing the host: kernel tunables and usermode helpers ----

# write_refused SANDBOX PATH VALUE: refused, unchanged, logged; the same write outside works.
write_refused() {
	before=$(cat "$2")
	out=$(in_sandbox "$1" $A write "$2" "$3")
	refused "$out" write
	assert_eq "$before" "$(cat "$2")" "$2 changed"
	bi_event "$out" baseline.kernel_tunables
	n=$(audit_count ".process.pid==$(result_pid "$out") and .file.path==\"$2\"")
	assert_eq 1 "$n" "the event names $2"
	out=$($A write "$2" "$before")
	assert_contains "$out" "write: ok" "control: $2"
}

test_sysctl_writes_refused() {
	write_refused c /proc/sys/kernel/core_pattern "|/tmp/hx-evil %p"
	write_refused c /proc/sys/kernel/modprobe /tmp/hx-evil
	write_refused c /proc/sys/vm/overcommit_memory 1
}

test_sysrq_and_sysfs_writes_refused() {
	out=$(in_sandbox c $A write /proc/sysrq-trigger h)
	refused "$out" write
	bi_event "$out" baseline.kernel_tunables
	out=$($A write /proc/sysrq-trigger h)
	assert_contains "$out" "write: ok"
	mtu=$(readlink -f /sys/class/net/lo/mtu)
	write_refused c "$mtu" "$(cat "$mtu")"
	for t in /sys/kernel/tracing/tracing_on /sys/kernel/debug/tracing/tracing_on; do
		[ -w "$t" ] || continue
		write_refused c "$(readlink -f "$t")" "$(cat "$t")"
		return 0
	done
	fail "no tracefs mounted"
}

test_relaxed_sandbox_may_write_tunables() {
	v=$(cat /proc/sys/vm/overcommit_memory)
	out=$(in_sandbox relaxed $A write /proc/sys/vm/overcommit_memory "$v")
	assert_contains "$out" "write: ok"
}

# ---- 2. changing the host: kernel code, time, devices, network ----

test_module_loading_refused() {
	out=$(in_sandbox c $A finit-module /etc/passwd)
	refused "$out" finit-module
	bi_event "$out" baseline.capability
	assert_eq 16 "$(audit_select ".process.pid==$(result_pid "$out")" | jq -r .helixagent.capability | head -n 1)"
	out=$($A finit-module /etc/passwd)
	case $out in *"finit-module: EPERM"* | *step=*) fail "control: $out" ;; esac
	# a socket family no module is loaded for: the kernel asks for one on the sandbox's behalf
	out=$(in_sandbox c $A socket 3)
	bi_event "$out" baseline.kernel_modules
	assert_eq module_request "$(audit_select ".process.pid==$(result_pid "$out")" | jq -r .event.action | head -n 1)"
}

test_reboot_kexec_time_rawio_refused() {
	for op in reboot-cad-off settime ioperm; do
		out=$(in_sandbox c $A $op)
		refused "$out" $op
		bi_event "$out" baseline.capability
		out=$($A $op)
		assert_contains "$out" "$op: ok" "control"
	done
	out=$(in_sandbox c $A kexec-unload)
	refused "$out" kexec-unload
	out=$($A kexec-unload)
	case $out in *"kexec-unload: EPERM"*) fail "control: $out" ;; esac
	out=$(in_sandbox c $A swapon /etc/passwd)
	refused "$out" swapon
	bi_event "$out" baseline.host_syscall
	out=$($A swapon /etc/passwd)
	case $out in *"swapon: EPERM"*) fail "control: $out" ;; esac
	# given back by containment: keys
	out=$(in_sandbox relaxed $A settime)
	assert_contains "$out" "settime: ok"
}

# CAP_NET_ADMIN over the host's network namespace would let a sandbox
# redirect its own connections with netfilter, around the network rules.
test_host_network_admin_refused() {
	out=$(in_sandbox c $A lo-mtu)
	refused "$out" lo-mtu
	bi_event "$out" baseline.capability
	assert_eq 12 "$(audit_select ".process.pid==$(result_pid "$out")" | jq -r .helixagent.capability | head -n 1)"
	out=$($A lo-mtu)
	assert_contains "$out" "lo-mtu: ok"
	out=$(in_sandbox relaxed $A lo-mtu)
	assert_contains "$out" "lo-mtu: ok"
}

test_block_devices_refused() {
	mknod "$HXT_TMP/blk" b 7 200
	out=$(in_sandbox c $A open-rw "$HXT_TMP/blk")
	refused "$out" open-rw
	bi_event "$out" baseline.raw_devices
	out=$($A open-rw "$HXT_TMP/blk")
	case $out in *"open-rw: EPERM"*) fail "control: $out" ;; esac
	# with filesystem rules, reading one is refused too (it would bypass them)
	out=$(in_sandbox cfs $HXBIN/hx-try open "$HXT_TMP/blk" r)
	assert_contains "$out" "open: EPERM"
	bi_event "$out" baseline.raw_devices
	out=$(in_sandbox c $HXBIN/hx-try open "$HXT_TMP/blk" r)
	case $out in *"open: EPERM"*) fail "read without filesystem rules: $out" ;; esac
}

# Beyond the pseudo devices, a character device is raw access too (SCSI
# generic reads the disk, device-mapper control maps it).
test_raw_character_devices_refused() {
	for dev in "c 21 0" "c 10 236" "c 1 1"; do
		rm -f "$HXT_TMP/chr"
		mknod "$HXT_TMP/chr" $dev
		out=$(in_sandbox c $A open-rw "$HXT_TMP/chr")
		refused "$out" open-rw
		bi_event "$out" baseline.raw_devices
		out=$($A open-rw "$HXT_TMP/chr")
		case $out in *"open-rw: EPERM"*) fail "control ($dev): $out" ;; esac
	done
	for d in /dev/null /dev/zero /dev/urandom /dev/ptmx; do
		out=$(in_sandbox c $A open-rw $d)
		assert_contains "$out" "open-rw: ok" "$d"
	done
	out=$(in_sandbox relaxed $A open-rw "$HXT_TMP/chr")
	case $out in *"open-rw: EPERM"*) fail "relaxed: $out" ;; esac
}

# TIOCSTI types into a terminal: into the operator's shell, it runs outside.
test_terminal_injection_refused() {
	out=$(in_sandbox c $A tiocsti)
	refused "$out" tiocsti
	bi_event "$out" baseline.tty_injection
	out=$($A tiocsti)
	case $out in *"tiocsti: EPERM"* | *step=*) fail "control: $out" ;; esac
}

# A sandboxed root has an unprivileged user's perf: no kernel events, no
# system-wide counting, no probes.
test_kernel_perf_events_refused() {
	out=$(in_sandbox c $A perf-kernel)
	case $out in *"perf-kernel: ok"* | *step=*) fail "kernel events counted: $out" ;; esac
	bi_event "$out" baseline.capability
	user=$($A -u 1000 perf-user | cut -d' ' -f2)
	out=$(in_sandbox c $A perf-user)
	assert_contains "$out" "perf-user: $user " "as an unprivileged user outside"
	out=$($A perf-kernel)
	assert_contains "$out" "perf-kernel: ok"
}

test_console_level_and_hostname_refused() {
	out=$(in_sandbox c $A syslog-level)
	refused "$out" syslog-level
	bi_event "$out" baseline.capability
	out=$($A syslog-level)
	assert_contains "$out" "syslog-level: ok"
	out=$(in_sandbox c $A sethostname)
	refused "$out" sethostname
	bi_event "$out" baseline.host_syscall
	out=$(in_sandbox c $A uts-sethostname)
	assert_contains "$out" "uts-sethostname: ok" "its own UTS namespace"
	out=$($A sethostname)
	assert_contains "$out" "sethostname: ok"
}

# ---- 5. the agent's life ----

test_agent_priority_affinity_limits_untouchable() {
	agent=$(agent_pid)
	nice_before=$(awk '{ print $19 }' /proc/$agent/stat)
	limits_before=$(grep "Max open files" /proc/$agent/limits)
	for op in "setpriority $agent 19" "ioprio $agent" "affinity $agent" "prlimit $agent"; do
		out=$(in_sandbox c $A $op)
		refused "$out" "${op%% *}"
	done
	assert_eq "$nice_before" "$(awk '{ print $19 }' /proc/$agent/stat)" "nice changed"
	assert_eq "$limits_before" "$(grep "Max open files" /proc/$agent/limits)" "limits changed"
	bi_event "$out" guard.prlimit
	out=$(in_sandbox c $A setpriority $agent 19)
	bi_event "$out" guard.sched
	# the controls: the same calls on a process outside work, from outside and inside
	dummy_start
	for op in "setpriority $(dummy) 19" "ioprio $(dummy)" "affinity $(dummy)" "prlimit $(dummy)"; do
		out=$($A $op)
		assert_contains "$out" "${op%% *}: ok"
		out=$(in_sandbox c $A $op)
		assert_contains "$out" "${op%% *}: ok" "only the agent is guarded"
	done
}

test_agent_oom_score_untouchable() {
	agent=$(agent_pid)
	assert_eq -1000 "$(cat /proc/$agent/oom_score_adj)" "the agent protects itself from the OOM killer"
	out=$(in_sandbox c $A write /proc/$agent/oom_score_adj 1000)
	refused "$out" write
	assert_eq -1000 "$(cat /proc/$agent/oom_score_adj)"
	bi_event "$out" guard.proc_pid
	# its own processes' files are the sandbox's business
	out=$(in_sandbox c $A write /proc/self/oom_score_adj 500)
	assert_contains "$out" "write: ok"
	dummy_start
	out=$(in_sandbox c $A write "/proc/$(dummy)/oom_score_adj" 500)
	refused "$out" write
	out=$($A write "/proc/$(dummy)/oom_score_adj" 500)
	assert_contains "$out" "write: ok"
}

# SIGIO's default action ends a process; F_SETOWN names any pid.
test_sigio_cannot_reach_the_agent() {
	agent=$(agent_pid)
	out=$(in_sandbox c $A sigio $agent)
	assert_contains "$out" "sigio: ok"
	bi_event "$out" guard.sigio
	kill -0 "$agent" || fail "the agent died"
	$HX status >/dev/null || fail "enforcement no longer active"
	dummy_start
	out=$($A sigio "$(dummy)")
	assert_contains "$out" "sigio: ok"
	wait_for 5 sh -c "! kill -0 $(dummy) 2>/dev/null" || fail "control: SIGIO did not reach the process"
}

# A lease on the policy holds the agent's next open for lease-break-time.
test_lease_on_agent_inputs_refused() {
	out=$(in_sandbox c $A lease "$POLICY")
	refused "$out" lease
	bi_event "$out" guard.lease
	echo x >"$HXT_TMP/own"
	out=$(in_sandbox c $A lease "$HXT_TMP/own")
	assert_contains "$out" "lease: ok" "a lease on the sandbox's own file"
	out=$($A lease "$POLICY")
	assert_contains "$out" "lease: ok"
}

test_fanotify_permission_marks_refused() {
	out=$(in_sandbox c $A fanotify-perm /etc)
	refused "$out" fanotify-perm
	bi_event "$out" baseline.fanotify_permission
	out=$($A fanotify-perm /etc)
	assert_contains "$out" "fanotify-perm: ok"
}

# ---- relaxations ----

test_relaxed_mounts_only_in_own_namespace() {
	mkdir -p "$HXT_TMP/m"
	out=$(in_sandbox relaxed $A ns-mount-tmpfs "$HXT_TMP/m")
	assert_contains "$out" "ns-mount-tmpfs: ok"
	! mounted "$HXT_TMP/m" || fail "the host saw the sandbox's mount"
	out=$(in_sandbox relaxed $A mount-tmpfs "$HXT_TMP/m")
	refused "$out" mount-tmpfs
	bi_event "$out" baseline.mount
	out=$(in_sandbox c $A ns-mount-tmpfs "$HXT_TMP/m")
	assert_contains "$out" "ns-mount-tmpfs: EPERM"
	bi_event "$out" baseline.mount
}

test_baseline_counted() {
	n=$($HX status --json | jq '.sandboxes[] | select(.name=="c") | .counters.guard.deny')
	[ "$n" -gt 10 ] || fail "guard deny counter is $n"
}

# ---- a restarted daemon ----

# The daemon names itself to the guard before it probes and loads (seconds,
# minutes under emulation): from its first moments no sandbox can signal it.
# SIGCONT does no harm if it gets through.
# A sandbox in mode audit (a policy being tried, a workload being learned):
# its own rules only log, but the baseline and the guard refuse as everywhere.
test_audit_mode_keeps_the_walls() {
	agent=$(agent_pid)
	mkdir -p "$HXT_TMP/m"
	# the rule: logged as "audit", and the exec goes through
	out=$(in_sandbox caudit $HXBIN/hx-try exec $HXBIN/hx-hello)
	assert_contains "$out" "exec: ok"
	audit_wait 1 ".process.pid==$(result_pid "$out") and .helixagent.decision==\"audit\" and .rule.name==\"exec.blocked[0]\""
	# the walls: refused, unchanged, logged as denials
	out=$(in_sandbox caudit $A mount-tmpfs "$HXT_TMP/m")
	refused "$out" mount-tmpfs
	mounted "$HXT_TMP/m" && fail "a tmpfs was mounted from an audit-mode sandbox"
	bi_event "$out" baseline.mount
	before=$(cat /proc/sys/vm/overcommit_memory)
	out=$(in_sandbox caudit $A write /proc/sys/vm/overcommit_memory 1)
	refused "$out" write
	assert_eq "$before" "$(cat /proc/sys/vm/overcommit_memory)" "overcommit_memory changed"
	bi_event "$out" baseline.kernel_tunables
	out=$(in_sandbox caudit $A clone-into-cgroup $CG)
	refused "$out" clone-into-cgroup
	bi_event "$out" guard.cgroup_escape
	nice_before=$(awk '{ print $19 }' /proc/$agent/stat)
	out=$(in_sandbox caudit $A setpriority $agent 19)
	refused "$out" setpriority
	assert_eq "$nice_before" "$(awk '{ print $19 }' /proc/$agent/stat)" "the agent was reniced"
	bi_event "$out" guard.sched
	cp "$POLICY" "$HXT_TMP/policy-before"
	out=$(in_sandbox caudit $HXBIN/hx-try open "$POLICY" w)
	assert_contains "$out" "open: EPERM"
	cmp -s "$POLICY" "$HXT_TMP/policy-before" || fail "the policy changed"
	audit_wait 1 ".process.pid==$(result_pid "$out") and .rule.name==\"guard.policy_file\" and .helixagent.decision==\"deny\""
	# the control: outside any sandbox the same mount works
	out=$($A mount-tmpfs "$HXT_TMP/m")
	assert_contains "$out" "mount-tmpfs: ok"
}

test_restarted_agent_guarded_before_it_loads() {
	agent_stop
	$HX run -c "$POLICY" --audit-log "$AUDIT_LOG" >>"$HXT_SUITE_TMP/agent.log" 2>&1 &
	new=$!
	echo $new >"$(agent_pidfile)"
	in_sandbox c sh -c "while [ ! -e $HXT_TMP/ready ]; do
		if kill -CONT $new 2>/dev/null; then echo through; else echo refused; fi
		sleep 0.05
	done" >"$HXT_TMP/seq" &
	loop=$!
	wait_for 480 sh -c "$HX status >/dev/null 2>&1 || ! kill -0 $new 2>/dev/null"
	touch "$HXT_TMP/ready"
	wait $loop
	$HX status >/dev/null || fail "the new daemon did not start"
	log "sequence: $(uniq -c "$HXT_TMP/seq" | tr '\n' ' ')"
	grep -q refused "$HXT_TMP/seq" || fail "never refused while loading"
	if sed -n '/refused/,$p' "$HXT_TMP/seq" | grep -q through; then
		fail "a signal got through after the guard named the daemon"
	fi
	kill -0 "$new" || fail "the new daemon died"
}
