# shellcheck shell=sh
# Filesystem family: path rules that cannot be walked around. Each scenario
# runs the operation in the VM and checks the errno, the side effect and the
# audit line. Rules name objects: /secret and /data/blocked are blocked, /data
# is rw, /etc r, default deny. /data/late, /data/late2/a/b, /data/late-file
# /data/late3/x (blocked) and /other/late-pub (rw) do not exist at load: they
# are watched.
. "$HXT_DIR/lib-agent.sh"

POLICY=$HXT_DIR/policies/fs.yaml
TRY=$HXBIN/hx-try

suite_setup() {
	mkdir -p /data/blocked /data/sub/inner /secret /secret2 /exec /other /mnt/ns
	echo ok >/data/ok
	echo secret >/secret/file
	echo inner >/data/sub/inner/file
	echo blocked >/data/blocked/file
	echo secret2 >/secret2/file
	echo other >/other/file
	echo hl >/secret/hlfile
	# A hard link made before the policy loads: judged as the blocked file it is.
	ln /secret/hlfile /data/hardlink
	cp $HXBIN/hx-hello /data/prog
	cp $HXBIN/hx-hello /exec/prog
	rm -rf /data/late /data/late2 /data/late-file /data/late3 /data/stage3 /other/late-pub
	# ext4 on a loop device below /data: a filesystem whose dentries can be
	# evicted (tmpfs keeps them all), so a file handle decodes disconnected.
	mkdir -p /data/ext
	dd if=/dev/zero of=/tmp/fs-ext4.img bs=1M count=8 2>/dev/null
	mkfs.ext4 -q -F /tmp/fs-ext4.img && mount -o loop /tmp/fs-ext4.img /data/ext ||
		log "no ext4 on loop: the file handle test will fail"
	mkdir -p /data/ext/blk && echo handle >/data/ext/blk/file
	# a filesystem mounted below a blocked directory (at load: its root gets the rule)
	mkdir -p /secret/mnt && mount -t tmpfs tmpfs /secret/mnt && echo under >/secret/mnt/file
	# overlay layers, the way a container runtime mounts them (outside the
	# sandbox): a lower layer in a blocked directory, one in /data (rw, no x)
	mkdir -p /secret/lower /data/low2 /exec/ovl
	echo lower >/secret/lower/file
	cp $HXBIN/hx-hello /secret/lower/prog
	cp $HXBIN/hx-hello /data/low2/prog2
	mount -t overlay overlay -o lowerdir=/secret/lower:/data/low2 /exec/ovl ||
		log "no overlayfs: the overlay tests will fail"
	agent_start "$POLICY"
}

suite_teardown() {
	agent_release
	umount /exec/ovl /secret/mnt /data/ext 2>/dev/null
}

# rule_of PID: the rule name of the (last) event of PID
rule_of() {
	audit_wait 1 ".process.pid==$1"
	audit_select ".process.pid==$1" | jq -r .rule.name | tail -n 1
}

# A file handle's dentry, its ancestors evicted from the cache, is its own
# parent without being a root: the walk cannot reach the blocked directory.
test_file_handle_of_evicted_dentry_is_refused() {
	out=$($TRY handle-get /data/ext/blk/file /tmp/h.blk)
	assert_contains "$out" "handle-get: ok"
	grep -q " /data/ext ext4 " /proc/mounts || fail "no ext4 mounted at /data/ext"
	# A referenced dentry is only rotated on the LRU by a pass; the kernel
	# stops after a pass that freed little (a small VM): several passes.
	sync
	for i in 1 2 3 4; do echo 2 >/proc/sys/vm/drop_caches; done
	out=$($TRY -j "$(sandbox_cg fs)" handle-open /data/ext /tmp/h.blk r)
	assert_contains "$out" "handle-open: EPERM"
	pid=$(result_pid "$out")
	assert_eq filesystem.unresolved_path "$(rule_of "$pid")"
	assert_eq true "$(audit_select ".process.pid==$pid" | jq -r .helixagent.path_incomplete | tail -n 1)"
	out=$($TRY handle-open /data/ext /tmp/h.blk r)
	assert_contains "$out" "handle-open: ok" "the same open_by_handle_at outside the sandbox"
}

# A second mount of a filesystem mounted below /secret (bind mount elsewhere,
# open_tree clone): the blocked directory above the mountpoint still holds.
test_mount_below_blocked_dir_reached_by_bind_mount() {
	mkdir -p /data/bind2
	mount --bind /secret/mnt /data/bind2 || fail "bind mount"
	out=$(fs_try fs open /data/bind2/file r)
	ctl=$($TRY open /data/bind2/file r)
	umount /data/bind2
	assert_contains "$out" "open: EPERM"
	assert_eq "filesystem.blocked_paths[0]" "$(rule_of "$(result_pid "$out")")"
	assert_contains "$ctl" "open: ok" "the same open outside the sandbox"
}

test_mount_below_blocked_dir_reached_by_open_tree() {
	# the detached copy is made before joining (an fd handed in)
	out=$($TRY -j "$(sandbox_cg fs)" tree-open /secret/mnt file)
	assert_contains "$out" "tree-open: EPERM"
	assert_eq "filesystem.blocked_paths[0]" "$(rule_of "$(result_pid "$out")")"
	out=$($TRY tree-open /secret/mnt file)
	assert_contains "$out" "tree-open: ok" "outside the sandbox"
}

# An overlay at /exec/ovl (rx) over a blocked lower layer: the real file is judged too.
test_overlay_does_not_expose_a_blocked_lower_layer() {
	out=$(fs_try fs open /exec/ovl/file r)
	assert_contains "$out" "open: EPERM"
	assert_eq "filesystem.blocked_paths[0]" "$(rule_of "$(result_pid "$out")")"
	out=$(fs_try fs exec /exec/ovl/prog)
	assert_contains "$out" "exec: EPERM"
	assert_eq "filesystem.blocked_paths[0]" "$(rule_of "$(result_pid "$out")")"
	out=$(fs_try fs mmapx /exec/ovl/prog)
	assert_contains "$out" ": EPERM"
	out=$($TRY open /exec/ovl/file r)
	assert_contains "$out" "open: ok" "outside the sandbox"
	out=$($TRY exec /exec/ovl/prog)
	assert_contains "$out" "exec: ok" "outside the sandbox"
}

# A lower layer in /data (rw, no x): readable through the overlay, never executable.
test_overlay_keeps_the_lower_layers_permissions() {
	out=$(fs_try fs open /exec/ovl/prog2 r)
	assert_contains "$out" "open: ok"
	out=$(fs_try fs mmapx /exec/ovl/prog2)
	assert_contains "$out" "mmapx: EPERM"
	assert_eq "filesystem.allowed_paths[7]" "$(rule_of "$(result_pid "$out")")"
	out=$(fs_try fs exec /exec/ovl/prog2)
	assert_contains "$out" "exec: EPERM"
	assert_eq "filesystem.allowed_paths[7]" "$(rule_of "$(result_pid "$out")")"
	out=$($TRY mmapx /exec/ovl/prog2)
	assert_contains "$out" "mmapx: ok" "outside the sandbox"
}

# fs_try SANDBOX ARGS...: run hx-try in the sandbox; prints its result line
fs_try() {
	_sb=$1
	shift
	in_sandbox "$_sb" $TRY "$@"
}

# expect_denied RESULT PATH [ACCESS] [RULE]: EPERM, and one event for that pid with that file.path
expect_denied() {
	assert_contains "$1" ": EPERM" "result"
	_pid=$(result_pid "$1")
	audit_wait 1 ".process.pid==$_pid and .file.path==\"$2\""
	_ev=$(audit_select ".process.pid==$_pid and .file.path==\"$2\"" | tail -n 1)
	assert_eq deny "$(printf '%s' "$_ev" | jq -r .helixagent.decision)" "decision"
	assert_eq filesystem "$(printf '%s' "$_ev" | jq -r .helixagent.family)" "family"
	assert_eq -1 "$(printf '%s' "$_ev" | jq -r .helixagent.errno)" "errno"
	[ -z "${3:-}" ] || assert_eq "$3" "$(printf '%s' "$_ev" | jq -r .helixagent.access)" "access"
	[ -z "${4:-}" ] || assert_eq "$4" "$(printf '%s' "$_ev" | jq -r .rule.name)" "rule"
}

test_allowed_read_and_write() {
	out=$(fs_try fs open /data/ok r)
	assert_contains "$out" "open: ok"
	out=$(fs_try fs open /data/new c)
	assert_contains "$out" "open: ok"
	[ -e /data/new ] || fail "file not created"
	out=$(fs_try fs open /etc/passwd r)
	assert_contains "$out" "open: ok"
}

test_blocked_read_denied_with_audit() {
	out=$(fs_try fs open /secret/file r)
	expect_denied "$out" /secret/file r "filesystem.blocked_paths[0]"
	ev=$(audit_select '.file.path=="/secret/file"' | tail -n 1)
	assert_eq open "$(printf '%s' "$ev" | jq -r .event.action)"
	assert_eq lsm/file_open "$(printf '%s' "$ev" | jq -r .event.provider)"
	assert_eq fs "$(printf '%s' "$ev" | jq -r .helixagent.sandbox)"
	assert_eq "$TRY" "$(printf '%s' "$ev" | jq -r .process.executable)"
	assert_eq "$(stat -c %i /secret/file)" "$(printf '%s' "$ev" | jq -r .file.inode)"
}

test_read_only_path_refuses_writes() {
	out=$(fs_try fs open /etc/passwd w)
	expect_denied "$out" /etc/passwd w "filesystem.allowed_paths[4]"
	out=$(fs_try fs open /etc/newfile c)
	expect_denied "$out" /etc/newfile w
	[ ! -e /etc/newfile ] || fail "/etc/newfile was created"
}

test_default_policy_denies_unlisted() {
	out=$(fs_try fs open /other/file r)
	expect_denied "$out" /other/file r filesystem.default_policy
}

test_outside_sandbox_untouched() {
	out=$($TRY open /secret/file r)
	assert_contains "$out" "open: ok"
	pid=$(result_pid "$out")
	out=$($TRY open /other/x c)
	assert_contains "$out" "open: ok"
	out=$(fs_try fs open /secret/file r) # barrier: a denial logged after the above
	audit_wait 1 ".process.pid==$(result_pid "$out")"
	assert_eq 0 "$(audit_count ".process.pid==$pid")" "events for a process outside sandboxes"
}

test_write_operations_on_blocked_objects() {
	for op in unlink chmod truncate; do
		out=$(fs_try fs $op /secret/file)
		expect_denied "$out" /secret/file w
	done
	[ "$(cat /secret/file)" = secret ] || fail "/secret/file changed"
	out=$(fs_try fs mkdir /secret/newdir)
	expect_denied "$out" /secret/newdir w
	[ ! -e /secret/newdir ] || fail "directory created"
	out=$(fs_try fs rename /secret/file /data/stolen)
	expect_denied "$out" /secret/file w
	[ -e /secret/file ] && [ ! -e /data/stolen ] || fail "rename happened"
	out=$(fs_try fs rmdir /data/blocked)
	expect_denied "$out" /data/blocked w
	# xattrs are judged on the dentry alone: the name is marked incomplete
	out=$(fs_try fs setxattr /secret/file)
	assert_contains "$out" "setxattr: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid and .event.action==\"setxattr\""
	assert_eq "filesystem.blocked_paths[0]" "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
	case $(audit_select ".process.pid==$pid" | jq -r .file.path) in ...*/secret/file) ;;
	*) fail "file.path of a dentry-only event" ;; esac
}

test_readdir_of_blocked_directory() {
	out=$(fs_try fs readdir /secret)
	expect_denied "$out" /secret r
}

test_symlink_to_blocked_is_judged_by_target() {
	ln -sf /secret/file /data/link
	out=$(fs_try fs open /data/link r)
	expect_denied "$out" /secret/file r
}

test_hard_link_made_before_load() {
	out=$(fs_try fs open /data/hardlink r)
	assert_contains "$out" ": EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq "filesystem.blocked_paths[0]" "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
}

test_hard_link_from_inside_is_refused() {
	out=$(fs_try fs link /secret/file /data/hl2)
	expect_denied "$out" /secret/file w
	[ ! -e /data/hl2 ] || fail "link created"
}

test_bind_mount_of_blocked_tree() {
	mkdir -p /data/bind
	mount --bind /secret /data/bind || fail "bind mount"
	out=$(fs_try fs open /data/bind/file r)
	umount /data/bind
	assert_contains "$out" ": EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq "filesystem.blocked_paths[0]" "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
}

test_dotdot_and_relative_spellings() {
	out=$(fs_try fs open /data/../secret/file r)
	expect_denied "$out" /secret/file r
	out=$(fs_try fs chdir-open /data ../secret/file)
	expect_denied "$out" /secret/file r
}

test_dirfd_opened_before_joining() {
	out=$($TRY -j "$(sandbox_cg fs)" openat-pre /secret file)
	expect_denied "$out" /secret/file r
}

test_proc_self_fd_reopen() {
	out=$($TRY -j "$(sandbox_cg fs)" reopen-pre /secret/file)
	expect_denied "$out" /secret/file r
	out=$(fs_try fs reopen /secret/file)
	assert_contains "$out" "reopen: EPERM"
}

test_proc_pid_root_path() {
	# (another process's /proc/PID/root is refused by the guard: see suite-guard)
	out=$(fs_try fs open /proc/self/root/secret/file r)
	expect_denied "$out" /secret/file r
}

test_renamed_parent_inside_sandbox_keeps_rule() {
	out=$(fs_try fs rename /data/sub /data/sub-renamed)
	assert_contains "$out" "rename: ok"
	[ -f /data/sub-renamed/inner/file ] || fail "the rename did not happen"
	res=$(fs_try fs open /data/sub-renamed/inner/file r)
	ctl=$($TRY open /data/sub-renamed/inner/file r)
	mv /data/sub-renamed /data/sub
	expect_denied "$res" /data/sub-renamed/inner/file r "filesystem.blocked_paths[2]"
	assert_contains "$ctl" "open: ok" "the same open outside the sandbox"
}

test_blocked_dir_renamed_outside_follows_object() {
	mv /secret2 /moved-secret2 || fail "mv"
	out=$(fs_try fs open /moved-secret2/file r)
	mv /moved-secret2 /secret2
	assert_contains "$out" ": EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq "filesystem.blocked_paths[3]" "$(audit_select ".process.pid==$pid" | jq -r .rule.name)"
}

# A bind mount in another mount namespace reaches the same objects. The
# sandbox may not mount (suite contain): the namespace and the mount are
# made outside, then the process joins the sandbox and opens through them.
test_new_mount_namespace_bind_mount() {
	out=$(unshare -m sh -c "mount --bind /secret /mnt/ns &&
		echo \$\$ >$(sandbox_cg fs)/cgroup.procs && exec $TRY open /mnt/ns/file r" 2>&1)
	assert_contains "$out" "open: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid and .helixagent.decision==\"deny\""
	assert_eq "filesystem.blocked_paths[0]" "$(rule_of "$pid")"
	out=$(unshare -m sh -c "mount --bind /secret /mnt/ns && exec $TRY open /mnt/ns/file r" 2>&1)
	assert_contains "$out" "open: ok" "outside the sandbox"
	out=$(in_sandbox fs unshare -m sh -c "mount --bind /secret /mnt/ns" 2>&1)
	assert_contains "$out" "Operation not permitted" "the sandbox itself may not mount"
}

test_deep_tree_beyond_walk_bound_is_denied_and_counted() {
	before=$($HX status --json | jq .dropped.path_too_deep)
	d=/data/deep
	i=0
	while [ $i -lt 70 ]; do d=$d/d; i=$((i + 1)); done
	mkdir -p "$d"
	echo x >"$d/f"
	out=$(fs_try fs chdir-open "$d" f)
	assert_contains "$out" ": EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq true "$(audit_select ".process.pid==$pid" | jq -r .helixagent.path_incomplete)"
	after=$($HX status --json | jq .dropped.path_too_deep)
	[ "$after" -gt "$before" ] || fail "path_too_deep not counted ($before -> $after)"
}

test_long_path_beyond_4096_bytes() {
	# Built by relative steps: the whole path is longer than PATH_MAX.
	out=$($TRY mkdeep /secret 22)
	assert_contains "$out" "mkdeep: ok"
	out=$($TRY -j "$(sandbox_cg fs)" deep-open /secret 22)
	assert_contains "$out" "open: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	ev=$(audit_select ".process.pid==$pid")
	assert_eq "filesystem.blocked_paths[0]" "$(printf '%s' "$ev" | jq -r .rule.name)"
	# The name is longer than the event holds: marked incomplete, never guessed.
	assert_eq true "$(printf '%s' "$ev" | jq -r .helixagent.path_incomplete)"
	case $(printf '%s' "$ev" | jq -r .file.path) in ...*/f) ;; *) fail "file.path not marked truncated" ;; esac
}

test_exec_needs_x() {
	out=$(fs_try fs exec /data/prog)
	assert_contains "$out" "exec: EPERM"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq x "$(audit_select ".process.pid==$pid" | jq -r .helixagent.access)"
	out=$(fs_try fs exec /exec/prog)
	assert_contains "$out" "exec: ok"
}

test_mmap_exec_of_non_executable_file() {
	out=$(fs_try fs mmapx /data/prog)
	expect_denied "$out" /data/prog x
}

test_ld_so_cannot_run_a_non_executable_file() {
	ldso=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null || ls /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2)
	out=$("$ldso" /data/prog 2>&1)
	assert_contains "$out" "hello from" "ld.so runs /data/prog outside the sandbox"
	# the shell that joins the sandbox becomes ld.so: its pid is the mapper's
	out=$(in_sandbox fs sh -c 'echo pid=$$; exec "$0" /data/prog' "$ldso" 2>&1)
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	[ -n "$pid" ] || fail "no pid in '$out'"
	case $out in *"hello from"*) fail "ld.so ran a file without x: $out" ;; esac
	sel=".process.pid==$pid and .file.path==\"/data/prog\" and .helixagent.access==\"x\""
	audit_wait 1 "$sel"
	assert_eq deny "$(audit_select "$sel" | jq -r .helixagent.decision | head -n 1)"
	assert_eq "filesystem.allowed_paths[7]" "$(audit_select "$sel" | jq -r .rule.name | head -n 1)"
}

test_symlink_creation_refused_when_disallowed() {
	out=$(fs_try fs_nosym symlink /data/ok /data/sym)
	assert_contains "$out" "symlink: EPERM"
	[ ! -L /data/sym ] || fail "symlink created"
	sel=".process.pid==$(result_pid "$out") and .event.action==\"symlink\""
	audit_wait 1 "$sel"
	assert_eq deny "$(audit_select "$sel" | jq -r .helixagent.decision | head -n 1)"
	assert_eq fs_nosym "$(audit_select "$sel" | jq -r .helixagent.sandbox | head -n 1)"
	out=$(fs_try fs symlink /data/ok /data/sym2)
	assert_contains "$out" "symlink: ok"
}

test_allow_filesystem_false_denies_everything() {
	# (a shell builtin: the sandbox could not even open a program to run)
	rd='echo "pid=$$"; if read x </etc/passwd; then echo read=ok; else echo read=refused; fi'
	out=$(sh -c "$rd" 2>&1)
	assert_contains "$out" "read=ok" "the same read outside the sandbox"
	out=$(sh -c 'echo $$ > "$0/cgroup.procs" && eval "$1"' "$(sandbox_cg fs_none)" "$rd" 2>&1)
	assert_contains "$out" "read=refused"
	assert_contains "$out" "Operation not permitted"
	pid=$(printf '%s\n' "$out" | sed -n 's/^pid=//p')
	[ -n "$pid" ] || fail "no pid in '$out'"
	sel=".process.pid==$pid and .file.path==\"/etc/passwd\""
	audit_wait 1 "$sel"
	assert_eq permissions.allow_filesystem "$(audit_select "$sel" | jq -r .rule.name | head -n 1)"
	assert_eq deny "$(audit_select "$sel" | jq -r .helixagent.decision | head -n 1)"
}

test_audit_mode_logs_and_allows() {
	out=$(fs_try fs_audit open /secret/file r)
	assert_contains "$out" "open: ok"
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	assert_eq audit "$(audit_select ".process.pid==$pid" | jq -r .helixagent.decision)"
}

# The kernel's counter, read from the pins by status, grows with this test's own denial.
test_counters() {
	_fs_deny() { $HX status --json | jq '.sandboxes[] | select(.name=="fs") | .counters.filesystem.deny'; }
	before=$(_fs_deny)
	out=$(fs_try fs open /secret/file r)
	assert_contains "$out" ": EPERM" "result"
	after=$(_fs_deny)
	[ "$after" -gt "$before" ] || fail "filesystem deny counter $before -> $after across a denied open"
}

# Paths missing at load: watched, enforced from the moment they appear,
# whoever makes them, with no reload.
test_missing_paths_are_reported_as_watched() {
	for p in /data/late /data/late2/a/b /data/late-file /data/late3/x /other/late-pub; do
		grep -q "'$p' does not exist.*watched from" "$HXT_SUITE_TMP/agent.log" ||
			fail "no 'watched' warning for $p"
	done
}

test_blocked_path_made_later_outside_is_denied_at_once() {
	gen=$($HX status --json | jq .policy_generation)
	mkdir /data/late && echo late >/data/late/file
	out=$(fs_try fs open /data/late/file r)
	expect_denied "$out" /data/late/file r "filesystem.blocked_paths[4]"
	out=$(fs_try fs open /data/late/file w)
	expect_denied "$out" /data/late/file w "filesystem.blocked_paths[4]"
	out=$(fs_try fs open /data/late/new c)
	expect_denied "$out" /data/late/new w "filesystem.blocked_paths[4]"
	[ "$(cat /data/late/file)" = late ] || fail "/data/late/file changed"
	[ ! -e /data/late/new ] || fail "/data/late/new created"
	assert_eq "$gen" "$($HX status --json | jq .policy_generation)" "no reload happened"
}

test_nested_blocked_path_made_later_is_denied() {
	mkdir -p /data/late2/a/b && echo deep >/data/late2/a/b/file
	out=$(fs_try fs open /data/late2/a/b/file r)
	expect_denied "$out" /data/late2/a/b/file r "filesystem.blocked_paths[5]"
	out=$(fs_try fs unlink /data/late2/a/b/file)
	expect_denied "$out" /data/late2/a/b/file w "filesystem.blocked_paths[5]"
	[ "$(cat /data/late2/a/b/file)" = deep ] || fail "/data/late2/a/b/file changed"
	# the directories above it are not blocked
	out=$(fs_try fs open /data/late2/a/ok c)
	assert_contains "$out" "open: ok"
}

test_blocked_file_renamed_into_place_is_denied() {
	echo staged >/data/late-stage
	mv /data/late-stage /data/late-file || fail "mv"
	out=$(fs_try fs open /data/late-file r)
	expect_denied "$out" /data/late-file r "filesystem.blocked_paths[6]"
	out=$(fs_try fs truncate /data/late-file)
	expect_denied "$out" /data/late-file w "filesystem.blocked_paths[6]"
	[ "$(cat /data/late-file)" = staged ] || fail "/data/late-file changed"
}

test_directory_moved_in_above_a_blocked_path_is_blocked_whole() {
	# The rest of the path is already inside: the moved directory is
	# covered whole until a reload resolves the path (fail-closed).
	mkdir -p /data/stage3/x && echo moved >/data/stage3/x/file && echo side >/data/stage3/side
	mv /data/stage3 /data/late3 || fail "mv"
	out=$(fs_try fs open /data/late3/x/file r)
	expect_denied "$out" /data/late3/x/file r "filesystem.blocked_paths[7]"
	out=$(fs_try fs open /data/late3/side r)
	expect_denied "$out" /data/late3/side r "filesystem.blocked_paths[7]"
	[ "$(cat /data/late3/x/file)" = moved ] || fail "/data/late3/x/file changed"
}

test_allowed_path_made_later_works() {
	# /other is default deny: without the watch this would be refused
	mkdir /other/late-pub
	out=$(fs_try fs open /other/late-pub/new c)
	assert_contains "$out" "open: ok"
	[ -e /other/late-pub/new ] || fail "file not created"
	out=$(fs_try fs open /other/late-pub/new r)
	assert_contains "$out" "open: ok"
	out=$(fs_try fs open /other/file r)
	expect_denied "$out" /other/file r filesystem.default_policy
}
