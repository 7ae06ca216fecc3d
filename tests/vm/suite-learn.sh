# shellcheck shell=sh
# `helixagent learn`: a workload run once in audit mode gives a deny-by-default
# policy; enforced, the same workload runs with no denial, and anything it did
# not do while learning (a third file, another port) is refused and logged.
#
# The workload (job.sh, run by busybox sh): reads a.conf (the shell) and b.conf
# (hx-try), writes a file with a mktemp name in /srv/job/tmp, execs hx-try and
# hx-net, and connects to a listener on 127.0.0.1:7777 outside the sandbox.
. "$HXT_DIR/lib-agent.sh"

JOB=/srv/job
LEARNED=$JOB/learned.yaml
TRY=$HXBIN/hx-try
NET=$HXBIN/hx-net

suite_setup() {
	# learning loads a policy of its own: nothing may be loaded
	agent_stop
	agent_unload
	mkdir -p $JOB/tmp
	echo "alpha" >$JOB/a.conf
	echo "beta" >$JOB/b.conf
	echo "gamma" >$JOB/c.conf
	cat >$JOB/job.sh <<EOF
#!/bin/sh
# arguments: one more command to run at the end, for the variants (the
# launcher passes the command line, not the caller's environment)
read first <$JOB/a.conf || exit 10
$TRY open $JOB/b.conf r | grep -q '^open: ok' || exit 11
t=\$(mktemp $JOB/tmp/out.XXXXXX) || exit 12
echo "\$first" >"\$t" || exit 13
$NET connect 127.0.0.1 7777 tcp | grep -q '^connect: ok' || exit 14
if [ \$# -gt 0 ]; then "\$@"; exit \$?; fi
exit 0
EOF
	chmod 755 $JOB/job.sh
	for p in 7777 7778; do
		$NET serve 127.0.0.1 $p tcp "$HXT_SUITE_TMP/serve-$p" &
		echo $! >"$HXT_SUITE_TMP/serve-$p.pid"
	done
	wait_for 10 sh -c "[ -e $HXT_SUITE_TMP/serve-7777 ] && [ -e $HXT_SUITE_TMP/serve-7778 ]" ||
		fail "listeners did not start"
}

suite_teardown() {
	agent_release
	for f in "$HXT_SUITE_TMP"/serve-*.pid; do kill "$(cat "$f")" 2>/dev/null; done
	return 0
}

connections() { cat "$HXT_SUITE_TMP/serve-$1" 2>/dev/null || echo 0; }

# Control: the workload does all of it outside any sandbox.
test_workload_runs_unconfined() {
	n=$(connections 7777)
	sh $JOB/job.sh || fail "job.sh exited $? outside the sandbox"
	wait_for 5 sh -c "[ \$(cat $HXT_SUITE_TMP/serve-7777) -gt $n ]" || fail "no connection reached 7777"
	sh $JOB/job.sh $TRY open $JOB/c.conf r || fail "the c.conf variant failed outside: $?"
	sh $JOB/job.sh $NET connect 127.0.0.1 7778 tcp || fail "the 7778 variant failed outside: $?"
}

test_learn_refuses_while_enforcement_is_loaded() {
	agent_start "$HXT_DIR/policies/exec.yaml"
	out=$($HX learn --sandbox job --out $LEARNED -- /bin/sh $JOB/job.sh 2>&1)
	rc=$?
	agent_stop
	agent_unload
	assert_eq 2 "$rc" "learn's exit status with a daemon running"
	assert_contains "$out" "a daemon is running"
	[ ! -e $LEARNED ] || fail "a policy was written anyway"
}

test_learn_writes_a_policy_that_check_accepts() {
	n=$(connections 7777)
	out=$($HX learn --sandbox job --network host --out $LEARNED -- /bin/sh $JOB/job.sh 2>&1) ||
		fail "learn exited $?: $out"
	log "$out"
	cat $LEARNED >&2
	# it really ran, in the sandbox
	[ "$(connections 7777)" -gt "$n" ] || fail "the workload's connection never arrived"
	if $HX status >/dev/null 2>&1; then fail "learn left enforcement loaded"; fi
	$HX check -c $LEARNED || fail "check refuses the learned policy"
	y=$(cat $LEARNED)
	assert_contains "$y" "\"$TRY\""
	assert_contains "$y" "\"$NET\""
	assert_contains "$y" "{path: \"$JOB/a.conf\", permissions: r}"
	assert_contains "$y" "{path: \"$JOB/b.conf\", permissions: r}"
	assert_contains "$y" "{path: \"$JOB/tmp/\", permissions: rw}"
	assert_contains "$y" "{host: \"127.0.0.1\", ports: [7777], protocol: tcp}"
	assert_contains "$y" "network_mode: host"
	case $y in *c.conf* | *7778*) fail "learned something the workload did not do" ;; esac
}

# learned_start: enforce the learned policy (mode enforce, deny by default).
learned_start() {
	[ -e $LEARNED ] || fail "no learned policy (an earlier test failed)"
	agent_start $LEARNED
}

test_enforced_the_workload_runs_without_a_denial() {
	learned_start
	n=$(connections 7777)
	$HX exec -c $LEARNED --sandbox job -- /bin/sh $JOB/job.sh || fail "job.sh exited $? under the learned policy"
	[ "$(connections 7777)" -gt "$n" ] || fail "the connection did not arrive"
	# a denial of our own (hx-hello was never learned), then every earlier event is logged
	audit_barrier job
	den=$(audit_select '.helixagent.sandbox=="job" and .helixagent.decision=="deny" and .file.path!="'$HXBIN/hx-hello'"')
	[ -z "$den" ] || fail "denials under the learned policy: $den"
}

test_enforced_a_third_file_is_denied() {
	out=$($HX exec -c $LEARNED --sandbox job -- /bin/sh $JOB/job.sh $TRY open $JOB/c.conf r 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || fail "the c.conf variant succeeded: $out"
	audit_wait 1 ".helixagent.sandbox==\"job\" and .file.path==\"$JOB/c.conf\" and .helixagent.decision==\"deny\""
	ev=$(audit_select ".file.path==\"$JOB/c.conf\"" | head -n 1)
	assert_eq filesystem "$(printf '%s' "$ev" | jq -r .helixagent.family)"
	assert_eq "$TRY" "$(printf '%s' "$ev" | jq -r .process.executable)"
}

test_enforced_another_port_is_denied() {
	n=$(connections 7778)
	out=$($HX exec -c $LEARNED --sandbox job -- /bin/sh $JOB/job.sh $NET connect 127.0.0.1 7778 tcp 2>&1)
	rc=$?
	[ "$rc" -ne 0 ] || fail "the 7778 variant succeeded: $out"
	assert_contains "$out" "EPERM"
	audit_wait 1 '.helixagent.sandbox=="job" and .destination.port==7778 and .helixagent.decision=="deny"'
	[ "$(connections 7778)" -eq "$n" ] || fail "a connection reached 7778"
	agent_stop
}

test_learn_from_an_audit_log() {
	# the daemon's own audit log of a sandbox in audit mode: the same rules
	cat >"$HXT_SUITE_TMP/audit.yaml" <<EOF
sandboxes:
  job:
    mode: audit
    rate_limit: none
    process: {network_mode: host}
    exec: {default_policy: deny}
    filesystem: {default_policy: deny}
    network: {default_policy: deny}
EOF
	agent_start "$HXT_SUITE_TMP/audit.yaml"
	$HX exec -c "$HXT_SUITE_TMP/audit.yaml" --sandbox job -- /bin/sh $JOB/job.sh || fail "job.sh exited $? in audit mode"
	agent_stop
	$HX learn --sandbox job --from-audit "$AUDIT_LOG" --out "$HXT_SUITE_TMP/from-audit.yaml" ||
		fail "learn --from-audit exited $?"
	$HX check -c "$HXT_SUITE_TMP/from-audit.yaml" || fail "check refuses it"
	y=$(cat "$HXT_SUITE_TMP/from-audit.yaml")
	assert_contains "$y" "{path: \"$JOB/b.conf\", permissions: r}"
	assert_contains "$y" "{host: \"127.0.0.1\", ports: [7777], protocol: tcp}"
	# a log of another sandbox teaches nothing about this one
	$HX learn --sandbox other --from-audit "$AUDIT_LOG" --out "$HXT_SUITE_TMP/other.yaml" 2>"$HXT_SUITE_TMP/other.err" ||
		fail "learn of an absent sandbox exited $?"
	assert_contains "$(cat "$HXT_SUITE_TMP/other.err")" "nothing of sandbox other was seen"
	case $(cat "$HXT_SUITE_TMP/other.yaml") in *b.conf*) fail "rules of another sandbox" ;; esac
}
