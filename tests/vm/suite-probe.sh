# shellcheck shell=sh
# probe: what each kernel of the matrix offers, reported exactly (never skipped).
HX=/usr/sbin/helixagent

# kernel_at_least MAJOR MINOR
kernel_at_least() {
	r=$(uname -r)
	maj=${r%%.*}
	rest=${r#*.}
	min=${rest%%[!0-9]*}
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "$min" -ge "$2" ]; }
}

check_item() { # NAME EXPECTED(true|false)
	got=$($HX probe --json | jq -r ".checks[] | select(.name==\"$1\") | .ok")
	assert_eq "$2" "$got" "probe item $1 on $(uname -r)"
}

test_required_items_pass() {
	$HX probe >"$HXT_TMP/out" 2>&1 || fail "probe exited $?: $(cat "$HXT_TMP/out")"
	for item in privileges btf cgroup2 bpffs bpf_lsm_active lsm_program_load ringbuf \
		"hook lsm/bprm_check_security"; do
		check_item "$item" true
	done
}

test_bpf_loop_reported_per_kernel() {
	if kernel_at_least 5 17; then check_item bpf_loop true; else check_item bpf_loop false; fi
}

test_sleepable_lsm_reported_per_kernel() {
	if kernel_at_least 5 11; then check_item sleepable_lsm true; else check_item sleepable_lsm false; fi
}

test_userns_hook_reported_per_kernel() {
	if kernel_at_least 6 1; then
		check_item "hook lsm/userns_create" true
	else
		check_item "hook lsm/userns_create" false
	fi
}

test_missing_bpffs_is_named() {
	umount /sys/fs/bpf || fail "cannot unmount bpffs"
	$HX probe >"$HXT_TMP/out" 2>&1
	rc=$?
	mount -t bpf bpf /sys/fs/bpf
	assert_eq 2 "$rc" "probe exit status without bpffs"
	assert_file_contains "$HXT_TMP/out" "enforcement impossible: bpffs"
}
