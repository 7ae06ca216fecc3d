# shellcheck shell=sh
# The process sandbox: `helixagent exec` runs a command confined (SPEC section 4).
# Every option is shown from inside, with tests/vm/progs/hx-probe-self.c.
. "$HXT_DIR/lib-agent.sh"

POLICY=$HXT_DIR/policies/sandbox.yaml
PROBE=$HXBIN/hx-probe-self
HELLO=$HXBIN/hx-hello

suite_setup() {
	mkdir -p /srv/ro/rw /srv/secret /srv/scratch /srv/rw /srv/rootfs/bin
	echo original >/srv/ro/file
	chmod 0777 /srv/ro/rw /srv/rw
	echo "top secret" >/srv/secret.txt
	echo "hidden" >/srv/secret/inside
	echo host >/srv/hostfile
	chmod 0644 /srv/hostfile
	# a root_fs: a static busybox, a shell, a marker
	cp /bin/busybox /srv/rootfs/bin/busybox
	ln -sf busybox /srv/rootfs/bin/sh
	ln -sf busybox /srv/rootfs/bin/cat
	ln -sf busybox /srv/rootfs/bin/ls
	echo "inside the root_fs" >/srv/rootfs/marker
	# a setuid-nobody copy of the reporter, for no_new_privileges
	cp $PROBE /srv/probe-suid
	chown 65534 /srv/probe-suid
	chmod 4755 /srv/probe-suid
	agent_start "$POLICY"
}

suite_teardown() {
	agent_release
}

# sx SANDBOX CMD [ARG...]: helixagent exec; $rc, $HXT_TMP/out, $HXT_TMP/err
sx() {
	_sb=$1
	shift
	$HX exec -c "$POLICY" --sandbox "$_sb" -- "$@" >"$HXT_TMP/out" 2>"$HXT_TMP/err"
	rc=$?
	log "exec --sandbox $_sb -- $* -> $rc"
	sed 's/^/    out: /' "$HXT_TMP/out" >&2
	sed 's/^/    err: /' "$HXT_TMP/err" >&2
}

# sh_x SANDBOX STRING: helixagent exec --shell STRING; also $lpid, the launcher's pid
sh_x() {
	sh -c 'echo $$ >"$0"; exec "$@"' "$HXT_TMP/lpid" \
		$HX exec -c "$POLICY" --sandbox "$1" --shell "$2" >"$HXT_TMP/out" 2>"$HXT_TMP/err"
	rc=$?
	lpid=$(cat "$HXT_TMP/lpid")
	log "exec --sandbox $1 --shell '$2' -> $rc (launcher pid $lpid)"
	sed 's/^/    out: /' "$HXT_TMP/out" >&2
	sed 's/^/    err: /' "$HXT_TMP/err" >&2
}

# val KEY: VALUE of the first "KEY: VALUE" line the program printed
val() {
	sed -n "s|^$1: ||p" "$HXT_TMP/out" | head -n 1
}

# The run id of the last sx: from the cgroup the program printed.
run_id() {
	val cgroup | sed 's|.*/||'
}

assert_rc() {
	assert_eq "$1" "$rc" "${2:-exit status}"
}

# One line on stderr, containing $1.
assert_one_line() {
	assert_eq 1 "$(wc -l <"$HXT_TMP/err")" "lines on stderr"
	assert_file_contains "$HXT_TMP/err" "$1"
}

no_runs_left() {
	_left=$(ls -d "$(sandbox_cg "$1")"/run-* 2>/dev/null)
	[ -z "$_left" ] || fail "run cgroup left behind: $_left"
}

# ---- the run's cgroup, exit status, events ----

test_each_run_gets_its_own_cgroup() {
	sx sb_plain $PROBE cgroup
	assert_rc 0
	cg=$(val cgroup)
	case $cg in
	/helixagent/sb_plain/run-[0-9]*) ;;
	*) fail "cgroup of the program: '$cg'" ;;
	esac
	no_runs_left sb_plain
	sx sb_plain $PROBE cgroup
	[ "$(val cgroup)" != "$cg" ] || fail "two runs shared cgroup $cg"
}

test_exit_status_is_the_programs() {
	sx sb_plain sh -c 'exit 7'
	assert_rc 7
	sx sb_plain sh -c 'kill -TERM $$'
	assert_rc 143 "killed by SIGTERM"
	sx sb_ns sh -c 'exit 9'
	assert_rc 9 "through the sandbox's init"
	sx sb_ns sh -c 'kill -KILL $$'
	assert_rc 137 "killed by SIGKILL, through the sandbox's init"
	no_runs_left sb_ns
}

test_create_and_destroy_events() {
	sx sb_plain $PROBE cgroup
	id=$(run_id)
	audit_wait 1 "(.event.code==\"sandbox_destroy\") and .helixagent.run.id==\"$id\""
	c=$(audit_select ".event.code==\"sandbox_create\" and .helixagent.run.id==\"$id\"")
	d=$(audit_select ".event.code==\"sandbox_destroy\" and .helixagent.run.id==\"$id\"")
	log "$c"
	log "$d"
	f() { printf '%s' "$1" | jq -r "$2"; }
	assert_eq sb_plain "$(f "$c" .helixagent.sandbox)"
	assert_eq "/helixagent/sb_plain/$id" "$(f "$c" .helixagent.cgroup.path)"
	[ "$(f "$c" .helixagent.cgroup.id)" -gt 0 ] || fail "no cgroup id"
	assert_eq "$PROBE" "$(f "$c" '.process.args[0]')"
	assert_eq cgroup "$(f "$c" '.process.args[1]')"
	assert_eq "${id#run-}" "$(f "$c" .process.parent.pid)"
	assert_eq start "$(f "$c" '.event.type[0]')"
	assert_eq "/helixagent/sb_plain/$id" "$(f "$d" .helixagent.cgroup.path)"
	assert_eq 0 "$(f "$d" .process.exit_code)"
	assert_eq exited "$(f "$d" .helixagent.end_reason)"
	assert_eq end "$(f "$d" '.event.type[0]')"
	s1=$(f "$c" .event.sequence)
	s2=$(f "$d" .event.sequence)
	[ "$s2" -gt "$s1" ] || fail "sequence $s1 then $s2"
}

# ---- limits ----

test_limits_seen_from_inside() {
	sx sb_limits $PROBE limits
	assert_rc 0
	assert_eq 33554432 "$(val memory.max)"
	assert_eq "20000 100000" "$(val cpu.max)"
	assert_eq 8 "$(val pids.max)"
	assert_eq "64 64" "$(val nofile)"
	no_runs_left sb_limits
}

test_max_processes_refuses_fork() {
	sx sb_limits $PROBE cgroup fork 20
	assert_rc 0
	r=$(val fork)
	case $r in
	[0-7]" EAGAIN") ;;
	*) fail "fork under pids.max 8: '$r'" ;;
	esac
	id=$(run_id)
	sel=".event.code==\"resource_violation\" and .helixagent.run.id==\"$id\" and .helixagent.resource==\"pids\""
	audit_wait 1 "$sel"
	ev=$(audit_select "$sel")
	log "$ev"
	assert_eq pids "$(printf '%s' "$ev" | jq -r .helixagent.resource)"
	assert_eq 8 "$(printf '%s' "$ev" | jq -r .helixagent.limit)"
	assert_eq max_processes "$(printf '%s' "$ev" | jq -r .helixagent.limit_name)"
	assert_eq pids.events:max "$(printf '%s' "$ev" | jq -r .helixagent.counter)"
	[ "$(printf '%s' "$ev" | jq -r .helixagent.current)" -ge 1 ] || fail "no current value"
	assert_eq alert "$(printf '%s' "$ev" | jq -r .event.kind)"
}

test_max_processes_counts_the_program_not_the_init() {
	sx sb_limits_ns $PROBE fork 20
	assert_rc 0
	# the sandbox's init stays outside the run's cgroup: the program and 7 children fit in 8
	assert_eq "7 EAGAIN" "$(val fork)"
	sx sb_limits $PROBE fork 20
	assert_eq "7 EAGAIN" "$(val fork)" "the same without namespaces"
}

test_max_memory_oom_kills_with_event() {
	sx sb_limits $PROBE cgroup alloc 96
	assert_rc 137 "killed by the OOM killer"
	grep -q "alloc: ok" "$HXT_TMP/out" && fail "allocated 96 MiB under a 32 MiB limit"
	id=$(run_id)
	audit_wait 1 ".event.code==\"sandbox_destroy\" and .helixagent.run.id==\"$id\""
	ev=$(audit_select ".event.code==\"resource_violation\" and .helixagent.run.id==\"$id\" and .helixagent.counter==\"memory.events:oom_kill\"")
	log "$ev"
	[ -n "$ev" ] || fail "no oom_kill resource_violation"
	assert_eq 33554432 "$(printf '%s' "$ev" | jq -r .helixagent.limit)"
	assert_eq max_memory "$(printf '%s' "$ev" | jq -r .helixagent.limit_name)"
	[ "$(printf '%s' "$ev" | jq -r .helixagent.current)" -gt 0 ] || fail "no current value"
	d=$(audit_select ".event.code==\"sandbox_destroy\" and .helixagent.run.id==\"$id\"")
	assert_eq oom_kill "$(printf '%s' "$d" | jq -r .helixagent.end_reason)"
	assert_eq 137 "$(printf '%s' "$d" | jq -r .process.exit_code)"
	no_runs_left sb_limits
}

test_max_open_files() {
	sx sb_limits $PROBE files 200
	r=$(val files)
	case $r in
	*" EMFILE") [ "${r%% *}" -le 61 ] || fail "opened ${r%% *} files with RLIMIT_NOFILE 64" ;;
	*) fail "files: '$r'" ;;
	esac
	sx sb_plain $PROBE files 200
	assert_eq 200 "$(val files)" "without the limit"
}

test_max_cpu_throttles() {
	sx sb_limits $PROBE cgroup spin 1500
	r=$(val spin)
	cpu=$(echo "$r" | sed -n 's/cpu_ms=\([0-9]*\).*/\1/p')
	wall=$(echo "$r" | sed -n 's/.*wall_ms=\([0-9]*\)/\1/p')
	# 0.2 CPU: at most a fifth of the wall time, with slack for the first period
	[ $((cpu * 100)) -le $((wall * 35)) ] || fail "used $cpu ms of CPU in $wall ms under max_cpu 0.2"
	id=$(run_id)
	audit_wait 1 ".event.code==\"resource_violation\" and .helixagent.run.id==\"$id\" and .helixagent.resource==\"cpu\""
	ev=$(audit_select ".event.code==\"resource_violation\" and .helixagent.run.id==\"$id\" and .helixagent.resource==\"cpu\"")
	assert_eq 200 "$(printf '%s' "$ev" | jq -r .helixagent.limit)"
	assert_eq throttled "$(printf '%s' "$ev" | jq -r .helixagent.action_taken)"
}

# The timeout kills the whole cgroup, a detached grandchild included.
timeout_kills_everything() {
	chmod 1777 "$HXT_TMP"
	t0=$(hxt_now_cs)
	sx "$1" sh -c "$PROBE cgroup daemon 60 $HXT_TMP/daemon.pid; sleep 60"
	t1=$(hxt_now_cs)
	assert_rc 137 "killed at max_execution_time"
	[ $((t1 - t0)) -lt 1500 ] || fail "took $(((t1 - t0) / 100)) s for a 2 s limit"
	[ $((t1 - t0)) -ge 190 ] || fail "ended after $((t1 - t0)) cs, before the 2 s limit"
	assert_file_contains "$HXT_TMP/err" "max_execution_time"
	[ -s "$HXT_TMP/daemon.pid" ] || fail "the grandchild did not start"
	if [ "${2:-}" = host-pids ]; then
		dpid=$(cat "$HXT_TMP/daemon.pid")
		! kill -0 "$dpid" 2>/dev/null || fail "grandchild $dpid survived the timeout"
	fi
	# removing the cgroup needs it empty: nothing of the run is left
	no_runs_left "$1"
	id=$(run_id)
	audit_wait 1 ".event.code==\"sandbox_destroy\" and .helixagent.run.id==\"$id\""
	ev=$(audit_select ".event.code==\"resource_violation\" and .helixagent.run.id==\"$id\"")
	log "$ev"
	assert_eq time "$(printf '%s' "$ev" | jq -r .helixagent.resource)"
	assert_eq 2000 "$(printf '%s' "$ev" | jq -r .helixagent.limit)"
	[ "$(printf '%s' "$ev" | jq -r .helixagent.current)" -ge 2000 ] || fail "current below the limit"
	assert_eq killed "$(printf '%s' "$ev" | jq -r .helixagent.action_taken)"
	assert_eq timeout "$(audit_select ".event.code==\"sandbox_destroy\" and .helixagent.run.id==\"$id\"" | jq -r .helixagent.end_reason)"
}

test_max_execution_time_kills_the_cgroup() {
	timeout_kills_everything sb_timeout host-pids
}

test_max_execution_time_with_namespaces() {
	timeout_kills_everything sb_timeout_ns
}

# ---- errors: one line, a distinct status, no cgroup left ----

test_error_unknown_sandbox() {
	sx nosuch /bin/true
	assert_rc 1
	assert_one_line "no sandbox named 'nosuch'"
}

test_error_missing_program() {
	sx sb_plain /nonexistent/program
	assert_rc 127
	assert_one_line "/nonexistent/program: No such file or directory"
	no_runs_left sb_plain
	sx sb_ns /nonexistent/program
	assert_rc 127 "missing program, with namespaces"
	assert_one_line "No such file or directory"
	no_runs_left sb_ns
}

test_error_not_executable() {
	printf 'data\n' >"$HXT_TMP/notexec"
	chmod 0644 "$HXT_TMP/notexec"
	sx sb_plain "$HXT_TMP/notexec"
	assert_rc 126
	assert_one_line "Permission denied"
	sx sb_exec $HELLO
	assert_rc 126 "denied by the sandbox's exec rules"
	assert_one_line "Operation not permitted"
	no_runs_left sb_exec
}

test_error_cgroup_cannot_be_created() {
	echo 0 >"$(sandbox_cg sb_plain)/cgroup.max.descendants"
	sx sb_plain /bin/true
	echo max >"$(sandbox_cg sb_plain)/cgroup.max.descendants"
	assert_rc 2
	assert_one_line "cannot create cgroup /sys/fs/cgroup/helixagent/sb_plain/run-"
}

test_error_limit_refused_by_the_kernel() {
	sx sb_cpu_bad /bin/true
	assert_rc 3
	assert_one_line "the kernel refused a limit"
	assert_file_contains "$HXT_TMP/err" "cpu.max"
	no_runs_left sb_cpu_bad
}

test_error_usage() {
	$HX exec -c "$POLICY" --sandbox sb_plain --shell "true" extra 2>"$HXT_TMP/err"
	rc=$?
	assert_rc 1 "--shell with arguments"
	$HX exec -c "$POLICY" --sandbox sb_plain 2>"$HXT_TMP/err"
	rc=$?
	assert_rc 1 "no command"
}

# ---- environment ----

test_environment_allowed_and_blocked() {
	export AWS_SECRET_ACCESS_KEY=leak AWS_REGION=eu API_KEY=k DB_SECRET=s HX_OK_1=one FOO=bar
	export LANG=C
	sx sb_env $PROBE env
	unset AWS_SECRET_ACCESS_KEY AWS_REGION API_KEY DB_SECRET HX_OK_1 FOO
	assert_rc 0
	for v in PATH HOME LANG HX_OK_1; do
		grep -q "^env: $v=" "$HXT_TMP/out" || fail "$v did not pass"
	done
	for v in AWS_SECRET_ACCESS_KEY AWS_REGION API_KEY DB_SECRET FOO TERM; do
		grep -q "^env: $v=" "$HXT_TMP/out" && fail "$v passed"
	done
	assert_eq 4 "$(grep -c '^env: ' "$HXT_TMP/out")" "variables"
}

test_environment_inherit_still_blocks() {
	export AWS_SECRET_ACCESS_KEY=leak API_KEY=k DB_SECRET=s FOO=bar
	sx sb_env_inherit $PROBE env
	unset AWS_SECRET_ACCESS_KEY API_KEY DB_SECRET FOO
	grep -q "^env: FOO=bar" "$HXT_TMP/out" || fail "inherit: FOO did not pass"
	grep -q "^env: PATH=" "$HXT_TMP/out" || fail "inherit: PATH did not pass"
	grep -qE "^env: (AWS_SECRET_ACCESS_KEY|API_KEY|DB_SECRET)=" "$HXT_TMP/out" &&
		fail "a blocked variable passed"
	return 0
}

test_environment_of_the_seed_tools_block() {
	export GOOGLE_CREDENTIALS=g FOO=bar LANG=C
	sx tools $PROBE env
	unset GOOGLE_CREDENTIALS FOO
	assert_rc 0
	assert_eq "HOME LANG PATH" "$(sed -n 's/^env: \([A-Z_]*\)=.*/\1/p' "$HXT_TMP/out" | sort | tr '\n' ' ' | sed 's/ $//')"
}

# ---- namespaces ----

test_namespaces_user_mount_pid_ipc_uts() {
	$PROBE ns >"$HXT_TMP/host"
	sx sb_ns $PROBE ns pid hostname ids
	assert_rc 0
	for n in user mnt pid ipc uts; do
		h=$(sed -n "s/^ns.$n: //p" "$HXT_TMP/host")
		[ "$(val "ns.$n")" != "$h" ] || fail "$n namespace is the host's ($h)"
	done
	assert_eq "$(sed -n 's/^ns.net: //p' "$HXT_TMP/host")" "$(val ns.net)" "net namespace without network_mode none"
	assert_eq "2 ppid=1" "$(val pid)" "the program is PID 2 under the sandbox's init"
	assert_eq sb_ns "$(val hostname)"
	assert_eq "uid=0 euid=0 gid=0 egid=0 ngroups=0" "$(val ids)"
	assert_eq "0 65534 1" "$(val uid_map | tr -s ' ' | sed 's/^ //')"
	# only its own processes are visible
	sx sb_ns sh -c 'ls /proc | grep -c "^[0-9]"'
	[ "$(cat "$HXT_TMP/out")" -le 4 ] || fail "sees $(cat "$HXT_TMP/out") processes"
}

test_user_namespace_root_is_nobody_outside() {
	sx sb_ns $PROBE write /srv/hostfile chown /srv/hostfile 0
	assert_eq EACCES "$(val "write /srv/hostfile")"
	assert_eq host "$(cat /srv/hostfile)"
	assert_eq EPERM "$(val "chown /srv/hostfile")"
	sx sb_plain $PROBE write "$HXT_TMP/plain"
	assert_eq ok "$(val "write $HXT_TMP/plain")" "without namespaces the program is root"
}

test_network_mode_none() {
	sx sb_netnone $PROBE net ns
	assert_eq lo "$(val net.ifaces | sed 's/^ //')"
	assert_eq ENETUNREACH "$(val net.connect)"
	sx sb_ns $PROBE net
	assert_eq ok "$(val net.connect)" "host network without network_mode none"
}

# ---- seccomp, no_new_privileges, capabilities ----

test_seccomp_default_filter() {
	sx sb_seccomp $PROBE status try keyctl try ptrace try unshare try mount try bpf \
		try init_module try kexec_load try open_by_handle_at try setns
	assert_rc 0
	assert_eq 2 "$(val Seccomp)" "seccomp mode"
	for c in keyctl ptrace unshare mount bpf init_module kexec_load open_by_handle_at setns; do
		assert_eq EPERM "$(val "try.$c")" "$c"
	done
	# the same calls succeed without the filter
	sx sb_plain $PROBE status try keyctl try ptrace try unshare
	assert_eq 0 "$(val Seccomp)"
	for c in keyctl ptrace unshare; do
		assert_eq ok "$(val "try.$c")" "$c without seccomp"
	done
}

test_no_new_privileges() {
	sx sb_nnp /srv/probe-suid status ids
	assert_eq 1 "$(val NoNewPrivs)"
	assert_eq "uid=0 euid=0 gid=0 egid=0 ngroups=0" "$(val ids)" "setuid bit ignored"
	sx sb_plain /srv/probe-suid status ids
	assert_eq 0 "$(val NoNewPrivs)"
	case $(val ids) in
	*euid=65534*) ;;
	*) fail "without no_new_privileges the setuid bit applies: $(val ids)" ;;
	esac
}

test_capabilities_dropped_from_every_set() {
	touch "$HXT_TMP/f"
	sx sb_caps $PROBE status chown "$HXT_TMP/f" 65534
	assert_eq 0000000000000400 "$(val CapBnd)" "bounding: NET_BIND_SERVICE only"
	assert_eq 0000000000000400 "$(val CapEff)"
	assert_eq 0000000000000400 "$(val CapPrm)"
	assert_eq 0000000000000000 "$(val CapInh)"
	assert_eq 0000000000000000 "$(val CapAmb)"
	assert_eq EPERM "$(val "chown $HXT_TMP/f")"
	sx sb_caps_chown $PROBE status chown "$HXT_TMP/f" 65534
	assert_eq EPERM "$(val "chown $HXT_TMP/f")" "CHOWN dropped"
	case $(val CapBnd) in *fe) ;; *) fail "CapBnd $(val CapBnd) still has CHOWN (bit 0)" ;; esac
	sx sb_plain $PROBE chown "$HXT_TMP/f" 65534
	assert_eq ok "$(val "chown $HXT_TMP/f")"
	# an exec cannot bring a capability back
	sx sb_caps sh -c "$PROBE status"
	assert_eq 0000000000000400 "$(val CapEff)" "after another exec"
}

# ---- paths ----

paths_checks() {
	echo original >/srv/ro/file
	rm -f /srv/ro/rw/new /srv/scratch/x
	sx "$1" $PROBE write /srv/ro/file write /srv/ro/new write /srv/ro/rw/new \
		read /srv/secret.txt ls /srv/secret write /srv/scratch/x ls /srv/scratch
	assert_rc 0
	assert_eq EROFS "$(val "write /srv/ro/file")"
	assert_eq EROFS "$(val "write /srv/ro/new")"
	assert_eq original "$(cat /srv/ro/file)"
	assert_eq ok "$(val "write /srv/ro/rw/new")" "writable inside a read-only path"
	[ -f /srv/ro/rw/new ] || fail "the write to the writable path did not reach the host"
	assert_eq "ok 0" "$(val "read /srv/secret.txt")" "masked file"
	assert_eq 0 "$(val "ls /srv/secret")" "masked directory"
	assert_eq ok "$(val "write /srv/scratch/x")"
	assert_eq 1 "$(val "ls /srv/scratch")"
	[ ! -e /srv/scratch/x ] || fail "the tmpfs write reached the host"
	[ -f /srv/secret/inside ] || fail "masking touched the host"
}

test_read_only_writable_masked_tmpfs() {
	paths_checks sb_paths
	# mounts cannot be undone by a program that stays root of the host: CAP_SYS_ADMIN is dropped
	sx sb_paths $PROBE umount /srv/secret.txt remount-rw /srv/ro status
	assert_eq EPERM "$(val "umount /srv/secret.txt")"
	assert_eq EPERM "$(val "remount-rw /srv/ro")"
}

test_paths_with_namespaces_are_locked() {
	paths_checks sb_paths_ns
	# root of its own user namespace, with every capability there, and still locked
	sx sb_paths_ns $PROBE umount /srv/secret.txt remount-rw /srv/ro read /srv/secret.txt
	assert_eq EINVAL "$(val "umount /srv/secret.txt")"
	assert_eq EPERM "$(val "remount-rw /srv/ro")"
	assert_eq "ok 0" "$(val "read /srv/secret.txt")"
}

test_read_only_root() {
	rm -f /srv/rw/f /srv/newfile
	sx sb_roroot $PROBE write /srv/newfile write /srv/rw/f write /tmp/roroot write /dev/null
	assert_eq EROFS "$(val "write /srv/newfile")"
	assert_eq EROFS "$(val "write /tmp/roroot")"
	assert_eq ok "$(val "write /srv/rw/f")"
	assert_eq ok "$(val "write /dev/null")"
	[ -f /srv/rw/f ] || fail "writable path did not reach the host"
}

test_root_fs() {
	sx sb_rootfs /bin/sh -c 'cat /marker; ls /; ls /usr/libexec/hx 2>&1; echo pid=$$'
	assert_rc 0
	assert_file_contains "$HXT_TMP/out" "inside the root_fs"
	grep -q "^hx$" "$HXT_TMP/out" && fail "the host's /hx is visible"
	assert_file_contains "$HXT_TMP/out" "No such file or directory"
	assert_file_contains "$HXT_TMP/out" "pid=2"
	no_runs_left sb_rootfs
}

# ---- staying inside ----

# What a program of the run writes to find its own cgroup directory
OWN_CG='cd /sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)'

test_cannot_leave_or_raise_limits_with_namespaces() {
	sx sb_limits_ns $PROBE cgmove /sys/fs/cgroup
	case $(val "cgmove /sys/fs/cgroup") in
	EROFS | EACCES | EPERM) ;;
	*) fail "moved itself to the root cgroup: $(val "cgmove /sys/fs/cgroup")" ;;
	esac
	case $(val cgroup) in
	/helixagent/sb_limits_ns/run-*) ;;
	*) fail "left its run: $(val cgroup)" ;;
	esac
	sx sb_limits_ns sh -c "$OWN_CG && $PROBE cgwrite pids.max max cgwrite memory.max max limits"
	case $(val "cgwrite pids.max") in
	EROFS | EACCES | EPERM) ;;
	*) fail "raised its own pids.max: $(val "cgwrite pids.max")" ;;
	esac
	assert_eq 8 "$(val pids.max)"
	assert_eq 33554432 "$(val memory.max)"
}

test_cannot_leave_its_cgroup() {
	# the kernel side (writing another cgroup's cgroup.procs denied) is the BPF guard's
	sx sb_plain $PROBE cgmove /sys/fs/cgroup
	case $(val "cgmove /sys/fs/cgroup") in
	EPERM | EACCES) ;;
	*) fail "a program of the sandbox moved itself out of its cgroup: $(val cgroup)" ;;
	esac
	sx sb_plain sh -c "$PROBE cgmove /sys/fs/cgroup/helixagent"
	case $(val "cgmove /sys/fs/cgroup/helixagent") in
	EPERM | EACCES) ;;
	*) fail "a child moved itself out of the run: $(val cgroup)" ;;
	esac
}

test_cannot_raise_its_limits() {
	sx sb_limits sh -c "$OWN_CG && $PROBE cgwrite pids.max max limits"
	case $(val "cgwrite pids.max") in
	EPERM | EACCES | EROFS) ;;
	*) fail "raised its own pids.max: $(val "cgwrite pids.max")" ;;
	esac
}

test_descendants_stay_confined_after_the_launcher_dies() {
	rm -f "$HXT_TMP/d.pid"
	$HX exec -c "$POLICY" --sandbox sb_exec -- $PROBE daemon 60 "$HXT_TMP/d.pid" sleep 60 \
		>"$HXT_TMP/out" 2>&1 &
	lpid=$!
	wait_for 10 test -s "$HXT_TMP/d.pid" || fail "the detached child did not start"
	kill -9 $lpid
	wait $lpid 2>/dev/null
	dpid=$(cat "$HXT_TMP/d.pid")
	kill -0 "$dpid" || fail "the detached child died with the launcher"
	cg=$(sed -n 's/^0:://p' "/proc/$dpid/cgroup")
	assert_eq "/helixagent/sb_exec/run-$lpid" "$cg" "cgroup of the detached child"
	# still governed: the sandbox's exec rules apply in its cgroup
	out=$(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$CG$cg" $HXBIN/hx-try exec $HELLO)
	assert_contains "$out" "exec: EPERM"
	echo 1 >"$CG$cg/cgroup.kill" 2>/dev/null || kill -9 "$dpid"
	wait_for 5 sh -c "! kill -0 $dpid 2>/dev/null"
	rmdir "$CG$cg"
}

test_signals_reach_the_program() {
	chmod 1777 "$HXT_TMP"
	for sb in sb_plain sb_ns; do
		$HX exec -c "$POLICY" --sandbox $sb -- sh -c \
			"trap 'exit 42' TERM; echo ready >$HXT_TMP/ready.$sb; while :; do sleep 0.1; done" &
		lpid=$!
		wait_for 10 test -s "$HXT_TMP/ready.$sb" || fail "$sb: not started"
		kill -TERM $lpid
		wait $lpid
		rc=$?
		assert_rc 42 "$sb: SIGTERM forwarded"
	done
	no_runs_left sb_ns
}

# ---- command validation (--shell) ----

test_command_validation_refuses_before_running() {
	touch /tmp/victim
	sh_x tools "rm -rf /tmp/victim"
	assert_rc 4
	assert_one_line "blocked_commands[0]"
	[ -e /tmp/victim ] || fail "the refused command ran"
	no_runs_left tools
	for c in "true; /bin/rm  -rf /tmp/victim" "sudo id" "echo \$(chmod 777 /tmp/victim)" \
		"sh -c 'chown 1 /tmp/victim'"; do
		sh_x tools "$c"
		assert_rc 4 "refused: $c"
	done
	sh_x tools "ls /tmp | cat"
	assert_rc 4 "pipe pattern"
	assert_one_line "blocked_patterns[0]"
	sh_x tools "echo x > /tmp/victim"
	assert_rc 4 "redirect pattern"
	[ -e /tmp/victim ] || fail "the refused command ran"
	# argv-form commands are passed without a shell: '|' is a plain argument
	sx tools echo 'a|b'
	assert_rc 0
	assert_eq "a|b" "$(cat "$HXT_TMP/out")"
	sh_x tools "echo allowed"
	assert_rc 0
	assert_eq allowed "$(cat "$HXT_TMP/out")"
}

test_command_validation_event() {
	sh_x tools "sudo id"
	assert_rc 4
	# this launcher's event, not the one the test before caused with the same command
	sel=".helixagent.run.launcher_pid==$lpid and .helixagent.family==\"command_validation\""
	audit_wait 1 "$sel"
	assert_eq 1 "$(audit_count "$sel")" "events of launcher $lpid"
	ev=$(audit_select "$sel")
	assert_eq "sudo id" "$(printf '%s' "$ev" | jq -r .process.command_line)"
	log "$ev"
	assert_eq permission_denied "$(printf '%s' "$ev" | jq -r .event.code)"
	assert_eq deny "$(printf '%s' "$ev" | jq -r .helixagent.decision)"
	assert_eq "command_validation.blocked_commands[1]" "$(printf '%s' "$ev" | jq -r .rule.name)"
	assert_eq tools "$(printf '%s' "$ev" | jq -r .rule.ruleset)"
}

test_command_validation_in_audit_mode_runs_and_logs() {
	mkdir -p /tmp/auditvictim
	sh_x sb_audit "rm -rf /tmp/auditvictim"
	assert_rc 0
	[ ! -e /tmp/auditvictim ] || fail "audit mode refused the command"
	audit_wait 1 ".helixagent.run.launcher_pid==$lpid and .helixagent.family==\"command_validation\" and .helixagent.decision==\"audit\""
}

# ---- everything at once ----

test_all_options_together() {
	export API_KEY=k
	sx sb_all $PROBE cgroup limits status ids pid net try mount write /srv/hostfile \
		read /srv/secret.txt write /srv/scratch/y env
	unset API_KEY
	assert_rc 0
	assert_eq 67108864 "$(val memory.max)"
	assert_eq "50000 100000" "$(val cpu.max)"
	assert_eq 16 "$(val pids.max)"
	assert_eq "128 128" "$(val nofile)"
	assert_eq 0000000000000000 "$(val CapBnd)"
	assert_eq 1 "$(val NoNewPrivs)"
	assert_eq 2 "$(val Seccomp)"
	assert_eq "2 ppid=1" "$(val pid)"
	assert_eq lo "$(val net.ifaces | sed 's/^ //')"
	assert_eq EPERM "$(val try.mount)"
	case $(val "write /srv/hostfile") in EROFS | EACCES) ;; *) fail "wrote a host file" ;; esac
	assert_eq "ok 0" "$(val "read /srv/secret.txt")"
	assert_eq ok "$(val "write /srv/scratch/y")"
	grep -q "^env: API_KEY" "$HXT_TMP/out" && fail "API_KEY passed"
	sx sb_all $HELLO
	assert_rc 126 "the kernel's exec rules still apply"
	no_runs_left sb_all
}

# ---- a hybrid layout: the limit controllers in cgroup v1 hierarchies ----

V1=/run/v1

# hybrid_on CTRL: moves controller CTRL from cgroup2 to a v1 hierarchy at
# $V1/CTRL; returns 1 if this kernel cannot mount it in v1.
hybrid_on() {
	for d in $(find $CG -mindepth 1 -type d | sort -r) $CG; do
		echo "-$1" >"$d/cgroup.subtree_control" 2>/dev/null
	done
	mkdir -p $V1/$1
	mount -t cgroup -o "$1" cgroup $V1/"$1" 2>/dev/null && return 0
	echo "+$1" >$CG/cgroup.subtree_control || log "cannot give $1 back to cgroup2"
	return 1
}

hybrid_off() {
	if grep -q " $V1/$1 " /proc/mounts; then
		find $V1/"$1" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
		umount $V1/"$1"
	fi
	# The kernel frees an unmounted v1 hierarchy asynchronously (under TCG, not
	# within 30 s for pids), and only then does cgroup2 get the controller back;
	# each hybrid test's sandbox has its one limit, so none needs another's.
	wait_for 5 sh -c "grep -qw $1 $CG/cgroup.controllers" || log "$1 is not back in cgroup2 yet"
	echo "+$1" >$CG/cgroup.subtree_control 2>/dev/null || log "cannot give $1 back to cgroup2 yet"
}

# hybrid_run CTRL ARG...: with CTRL in v1, helixagent exec sb_v1_CTRL $PROBE cgroup v1limits ARG...;
# $rc, $HXT_TMP/out; fails if a v1 run cgroup is left behind. Skips the test
# when the kernel has no v1 hierarchy for CTRL (pids: it must have one).
hybrid_run() {
	_c=$1
	shift
	if ! hybrid_on "$_c"; then
		[ "$_c" != pids ] || fail "cannot mount a cgroup v1 pids hierarchy"
		skip "no cgroup v1 $_c hierarchy on $(uname -r)"
	fi
	sx sb_v1_$_c $PROBE cgroup v1limits $V1 "$@"
	_r=$rc
	_left=$(find $V1/"$_c" -name 'run-*' 2>/dev/null)
	hybrid_off "$_c"
	rc=$_r
	[ -z "$_left" ] || fail "v1 run cgroups left behind: $_left"
	case $(val "v1.$_c") in /helixagent/sb_v1_$_c/run-*) ;; *) fail "v1 $_c cgroup: '$(val "v1.$_c")'" ;; esac
}

test_hybrid_layout_pids_limit_in_cgroup_v1() {
	hybrid_run pids fork 20
	assert_rc 0
	assert_eq 8 "$(val pids.max)"
	assert_eq "7 EAGAIN" "$(val fork)" "fork under the v1 pids.max"
	audit_wait 1 ".event.code==\"resource_violation\" and .helixagent.run.id==\"$(run_id)\" and .helixagent.resource==\"pids\""
}

test_hybrid_layout_memory_limit_in_cgroup_v1() {
	out=$($PROBE alloc 96)
	assert_contains "$out" "alloc: ok 96 MiB" "the same allocation outside the sandbox"
	hybrid_run memory alloc 96
	assert_rc 137 "OOM-killed under the v1 memory limit"
	assert_eq 33554432 "$(val memory.limit_in_bytes)"
	grep -q "^alloc: ok" "$HXT_TMP/out" && fail "allocated 96 MiB under a 32 MiB limit"
	audit_wait 1 ".event.code==\"resource_violation\" and .helixagent.run.id==\"$(run_id)\" and .helixagent.counter==\"memory.events:oom_kill\""
}

# spin_ms LINE KEY: cpu_ms or wall_ms of a "spin:" line
spin_ms() {
	printf '%s\n' "$1" | sed -n "s/.*$2=\([0-9]*\).*/\1/p"
}

test_hybrid_layout_cpu_limit_in_cgroup_v1() {
	# the same spin unlimited uses most of the wall time: the comparison below means something
	ctl=$($PROBE spin 1000)
	cpu=$(spin_ms "$ctl" cpu_ms)
	wall=$(spin_ms "$ctl" wall_ms)
	[ -n "$cpu" ] && [ -n "$wall" ] && [ "$wall" -ge 1000 ] || fail "no spin result outside: '$ctl'"
	[ $((cpu * 100)) -ge $((wall * 60)) ] || fail "unlimited spin used only $cpu ms in $wall ms"
	hybrid_run cpu spin 1500
	assert_rc 0
	assert_eq 20000 "$(val cpu.cfs_quota_us)"
	assert_eq 100000 "$(val cpu.cfs_period_us)"
	spin=$(val spin)
	cpu=$(spin_ms "$spin" cpu_ms)
	wall=$(spin_ms "$spin" wall_ms)
	[ -n "$cpu" ] && [ -n "$wall" ] && [ "$wall" -ge 1500 ] || fail "no spin result under the limit: '$spin'"
	[ "$cpu" -gt 0 ] || fail "the spinner used no CPU: '$spin'"
	[ $((cpu * 100)) -le $((wall * 35)) ] || fail "v1 cpu: used $cpu ms in $wall ms under 0.2"
}

# ---- last: without enforcement nothing runs ----

test_refuses_to_run_unconfined() {
	agent_stop
	agent_unload
	sx sb_plain /bin/true
	assert_rc 2
	assert_one_line "enforcement is not active"
}
