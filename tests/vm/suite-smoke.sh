# shellcheck shell=sh
# Smoke tests: the test VM is set up the way the other suites expect.

# fstype MOUNTPOINT: the type of the file system mounted there (last mount wins)
fstype() {
	awk -v m="$1" '$2 == m { t = $3 } END { print t }' /proc/mounts
}

test_bpf_lsm_active() {
	lsm=$(cat /sys/kernel/security/lsm) || fail "cannot read /sys/kernel/security/lsm"
	case ",$lsm," in
	*,bpf,*) ;;
	*) fail "bpf not in active LSM list: $lsm" ;;
	esac
}

test_cgroup2_writable() {
	assert_eq cgroup2 "$(fstype /sys/fs/cgroup)" "/sys/fs/cgroup type"
	cg=/sys/fs/cgroup/hxt-smoke
	mkdir "$cg" || fail "cannot create cgroup $cg"
	[ -f "$cg/cgroup.procs" ] || { rmdir "$cg"; fail "$cg has no cgroup.procs"; }
	# move a process in and out again
	sh -c "echo \$\$ >$cg/cgroup.procs && grep -qx 0::/hxt-smoke /proc/self/cgroup" ||
		{ rmdir "$cg"; fail "cannot run a process in $cg"; }
	wait_for 5 rmdir "$cg" || fail "cannot remove cgroup $cg"
}

test_cgroup_controllers() {
	ctl=$(cat /sys/fs/cgroup/cgroup.subtree_control)
	for c in memory pids; do
		assert_contains " $ctl " " $c " "subtree_control"
	done
}

test_bpffs_mounted() {
	assert_eq bpf "$(fstype /sys/fs/bpf)" "/sys/fs/bpf type"
	mkdir /sys/fs/bpf/hxt-smoke || fail "cannot mkdir in bpffs"
	rmdir /sys/fs/bpf/hxt-smoke
}

test_btf_vmlinux() {
	[ -s /sys/kernel/btf/vmlinux ] || fail "/sys/kernel/btf/vmlinux missing"
}

test_loopback_addresses() {
	addrs=$(ip addr show dev lo)
	log "$addrs"
	assert_contains "$addrs" ",UP" "lo is not up"
	for a in 127.0.0.1/8 192.0.2.1/24 198.51.100.1/24 203.0.113.1/24 2001:db8::1/64; do
		assert_contains "$addrs" " $a " "lo lacks $a"
	done
}

test_loopback_connect() {
	# a TCP connection to a test address stays on lo
	nc -l -p 4711 >"$HXT_TMP/got" &
	srv=$!
	wait_for 5 sh -c "netstat -ltn | grep -q ':4711 '" || fail "listener did not start"
	echo hello | nc -w 2 192.0.2.1 4711 || fail "connect to 192.0.2.1:4711 failed"
	wait_for 5 grep -q hello "$HXT_TMP/got" || fail "data did not arrive"
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	return 0
}

test_jq_runs() {
	assert_eq 3 "$(echo '{"a":[1,2]}' | jq '.a | length + 1')" "jq"
}

test_guest_basics() {
	assert_eq hxvm "$(hostname)" "hostname"
	assert_eq 0 "$(id -u)" "uid"
	assert_file_contains /etc/passwd "root:x:0:0:"
	[ -d /hx/tests/vm ] || fail "/hx/tests/vm missing"
	[ -d /hx/policy ] || fail "/hx/policy missing"
	touch /var/log/hxt-smoke || fail "/var/log not writable"
	rm -f /var/log/hxt-smoke
}
