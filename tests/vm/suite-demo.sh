# shellcheck shell=sh
# The product on its embedded default policy (no /etc/helixagent/helixagent.yaml):
# what the README's first command shows. Lines starting with "DEMO" go to the
# console so tools/demo.sh can print them.
. "$HXT_DIR/lib-agent.sh"

show() { printf 'DEMO %s\n' "$*" >/dev/console; }

suite_setup() {
	[ ! -e /etc/helixagent/helixagent.yaml ] || fail "a policy file exists; the demo needs the default"
	rm -f "$AUDIT_LOG"
	$HX run >>"$HXT_SUITE_TMP/agent.log" 2>&1 &
	echo $! >"$(agent_pidfile)"
	wait_for 280 _agent_up_or_dead
	$HX status >/dev/null 2>&1 || { cat "$HXT_SUITE_TMP/agent.log" >&2; fail "agent not active"; }
}

suite_teardown() {
	agent_release
}

test_default_policy_denies_id_in_the_demo_sandbox() {
	show "\$ helixagent run            # no -c: the embedded default policy"
	sed 's/^/DEMO   /' "$HXT_SUITE_TMP/agent.log" >/dev/console
	show "\$ helixagent status"
	$HX status | sed 's/^/DEMO   /' >/dev/console
	show "\$ id                        # outside any sandbox"
	id | sed 's/^/DEMO   /' >/dev/console
	# (by its full path: in this VM /bin/id is busybox, which the default
	# policy also blocks, as /bin/mount)
	show "\$ helixagent exec --sandbox demo -- /usr/bin/id"
	$HX exec --sandbox demo -- /usr/bin/id >"$HXT_TMP/out" 2>&1
	rc=$?
	sed 's/^/DEMO   /' "$HXT_TMP/out" >/dev/console
	show "  (exit status $rc)"
	assert_eq 126 "$rc" "exit status of the denied id"
	audit_wait 1 '.event.code=="permission_denied" and .file.path=="/usr/bin/id"'
	show "\$ tail -n 1 $AUDIT_LOG | jq ."
	audit_select '.event.code=="permission_denied"' | tail -n 1 | jq . | sed 's/^/DEMO   /' >/dev/console
	assert_eq demo "$(audit_select '.file.path=="/usr/bin/id"' | jq -r .helixagent.sandbox | tail -n 1)"
}
