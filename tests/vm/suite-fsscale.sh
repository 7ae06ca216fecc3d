# shellcheck shell=sh
# Scale: 10,000 path rules in one sandbox load and enforce correctly.
. "$HXT_DIR/lib-agent.sh"

TRY=$HXBIN/hx-try
N=10000
# 10,000 directories and a BPF load under TCG: minutes on a loaded machine
[ "${HXT_TIMEOUT:-120}" -ge 600 ] || HXT_TIMEOUT=600

suite_setup() {
	pol=$HXT_SUITE_TMP/scale.yaml
	mkdir -p /scale/blocked
	echo no >/scale/blocked/f
	{
		echo "security: {audit: {enabled: true, events: [permission_denied]}}"
		echo "sandboxes:"
		echo "  big:"
		echo "    filesystem:"
		echo "      default_policy: deny"
		echo "      blocked_paths: [/scale/blocked]"
		echo "      allowed_paths:"
		for p in /bin /usr /lib /lib64; do echo "        - {path: $p, permissions: rx}"; done
		i=0
		while [ $i -lt $N ]; do
			echo "        - {path: /scale/d$i, permissions: rw}"
			i=$((i + 1))
		done
	} >"$pol"
	i=0
	while [ $i -lt $N ]; do
		mkdir /scale/d$i
		i=$((i + 1))
	done
	echo yes >/scale/d$((N - 1))/f
	echo yes >/scale/d0/f
	echo "$pol" >"$HXT_SUITE_TMP/policy"
	agent_start "$pol"
}

suite_teardown() {
	agent_release
}

test_policy_with_10000_rules_is_in_force() {
	$HX check -c "$(cat "$HXT_SUITE_TMP/policy")" >/dev/null || fail "check refused the policy"
	grep -qE "object_rules=100[0-9]{2}" "$HXT_SUITE_TMP/agent.log" || {
		tail -n 5 "$HXT_SUITE_TMP/agent.log" >&2
		fail "the agent did not load ~10,000 object rules"
	}
}

test_first_and_last_rule_allow() {
	assert_contains "$(in_sandbox big $TRY open /scale/d0/f r)" "open: ok"
	assert_contains "$(in_sandbox big $TRY open /scale/d$((N - 1))/f rw)" "open: ok"
}

test_block_and_default_still_apply() {
	out=$(in_sandbox big $TRY open /scale/blocked/f r)
	assert_contains "$out" "open: EPERM"
	audit_wait 1 ".process.pid==$(result_pid "$out")"
	out=$(in_sandbox big $TRY open /etc/passwd r)
	assert_contains "$out" "open: EPERM"
}
