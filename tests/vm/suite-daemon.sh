# shellcheck shell=sh
# The daemon: restarts without a window, atomic reloads, audit delivery
# (every event written or counted), rotation, syslog, metrics, readiness,
# and the faults it must survive.
. "$HXT_DIR/lib-agent.sh"

POL_A=$HXT_DIR/policies/daemon-a.yaml
POL_B=$HXT_DIR/policies/daemon-b.yaml
POL_BAD=$HXT_DIR/policies/daemon-bad.yaml
LIVE=/etc/helixagent/daemon.yaml
X=/usr/libexec/hxd/x
Y=/usr/libexec/hxd/y
Z=/usr/libexec/hxd/z
F0=/var/lib/hxd/f0
F1=/var/lib/hxd/f1
F2=/var/lib/hxd/f2
HAMMER=$HXBIN/hx-hammer
TRY=$HXBIN/hx-try
METRICS=127.0.0.1:9464
DLOG=$HXT_SUITE_TMP/agent.log
NOTIFY=/run/hxd-notify.sock
SYSLOG_OUT=$HXT_SUITE_TMP/syslog.tcp
# How every daemon of the suite runs unless a test says otherwise.
SUITE_ARGS="--syslog tcp://127.0.0.1:5515 --syslog-facility local3 --audit-max-size 4M --audit-keep 40"

# Restarts cost tens of seconds under TCG, a burst of 100k events a minute or
# two, 100 reloads two to five minutes on a busy machine: this suite's tests
# get more time than the harness's default.
[ "${HXT_TIMEOUT:-120}" -ge 600 ] || HXT_TIMEOUT=600

# ---- helpers --------------------------------------------------------------------------------

# dstart [ARG...]: start the daemon on $LIVE with the suite's outputs and ARGs;
# returns once this daemon enforces (its "ready" log line).
dstart() {
	$HX run -c "$LIVE" --audit-log "$AUDIT_LOG" --metrics-listen "$METRICS" "$@" \
		>>"$DLOG" 2>&1 &
	_p=$!
	echo "$_p" >"$(agent_pidfile)"
	# BPF verification under TCG on a loaded machine: minutes on the newest kernel
	wait_for 480 _ready_or_dead "$_p" || true
	if ! _ready "$_p"; then
		tail -n 30 "$DLOG" >&2
		fail "daemon $_p did not become ready"
	fi
}

_ready() { # in either log format
	grep -Eq "(event=ready .*pid=$1 |\"event\":\"ready\".*\"pid\":$1[,}])" "$DLOG"
}

_ready_or_dead() {
	_ready "$1" || ! kill -0 "$1" 2>/dev/null
}

# drestart [ARG...]: SIGTERM the daemon, start a new one (enforcement stays meanwhile).
drestart() {
	agent_stop
	dstart "$@"
}

# counter NAME: what the running daemon counts (/run/helixagent/counters), without
# running anything: `status --json | jq` takes a second under TCG.
counter() { awk -v k="$1" '$1 == k { print $2 }' /run/helixagent/counters; }
gen() { counter generation; }
nloads() { echo $(($(counter policy_loads_ok) + $(counter policy_loads_failed))); }
_loads_above() { [ "$(nloads)" -gt "$1" ]; }
_gen_above() { [ "$(gen)" -gt "$1" ]; }

# use_policy FILE: make FILE the live policy, atomically (as an editor or a ConfigMap would).
use_policy() {
	cp "$1" "$LIVE.tmp" && mv -f "$LIVE.tmp" "$LIVE"
}

# reload: SIGHUP, then wait until the daemon finished the load it caused.
reload() {
	_n=$(nloads)
	kill -HUP "$(agent_pid)"
	wait_for 60 _loads_above "$_n" || fail "no policy load within 60s of SIGHUP"
}

last_load() { # FILTER on the last policy_load event
	grep -h '"action":"policy_load"' "$AUDIT_LOG" | tail -n 1 | jq -r "$1"
}

# dwait_pid PID [SECONDS]: wait until an event of PID is in the log. grep, not jq:
# jq reads a few MB a second under TCG, and the log holds tens of thousands of lines.
_has_pid() {
	grep -q "\"process\":{\"pid\":$1," "$AUDIT_LOG" "$AUDIT_LOG.1" 2>/dev/null
}
dwait_pid() {
	wait_for "${2:-30}" _has_pid "$1" || fail "no event of pid $1 in the audit log"
}

# dbarrier: an exec in sandbox hammer (logged as command_execute); once its event
# is in the log, so is everything decided before it.
dbarrier() {
	_r=$(in_sandbox hammer $TRY exec "$HXBIN/hx-hello")
	_bp=$(result_pid "$_r")
	[ -n "$_bp" ] || fail "barrier: no pid in '$_r'"
	dwait_pid "$_bp" 60
}

scrape() { wget -q -O - "http://$METRICS/metrics"; }

# metric 'NAME{LABELS}': its value in a fresh scrape (empty if absent).
metric() {
	scrape | awk -v k="$1" '$1 == k { print $2 }'
}

sandbox_counter() { # SANDBOX FAMILY FIELD: the kernel's count, from status
	$HX status --json | jq ".sandboxes[] | select(.name==\"$1\") | .counters.$2.$3"
}

dropped_events() { # events the kernel could not queue, all reasons that lose events
	$HX status --json | jq '.dropped.ringbuf_full + (.dropped.rate_limited // 0)'
}

ringbuf_dropped() { # events lost to a full ring buffer (the reason events_dropped reports)
	$HX status --json | jq '.dropped.ringbuf_full'
}

hammer_bg() { # SANDBOX OUT STOPFILE OP...: the hammer in SANDBOX, in the background
	_sb=$1 _out=$2 _stop=$3
	shift 3
	rm -f "$_stop" "$_out.ready"
	in_sandbox "$_sb" "$HAMMER" -o "$_out" -s "$_stop" -r "$_out.ready" "$@" \
		>"$_out.sum" 2>&1 &
	echo $! >"$_out.pid"
	wait_for 30 test -e "$_out.ready" || fail "hammer did not start: $(cat "$_out.sum")"
}

hammer_stop() { # OUT STOPFILE
	touch "$2"
	wait_for 60 sh -c "! kill -0 $(cat "$1.pid") 2>/dev/null" || fail "hammer did not stop"
}

# Every line of the audit log, rotated files first, oldest first.
all_audit() {
	for _f in $(ls "$AUDIT_LOG".[0-9]* 2>/dev/null | sort -t. -k3 -rn) "$AUDIT_LOG"; do
		[ -f "$_f" ] && cat "$_f"
	done
}

# note TEXT: a measured number, kept in the console log (build/vmtest/*.log with --keep-log).
note() {
	echo "hxd: $*" >/dev/console 2>/dev/null || true
	log "$*"
}

suite_setup() {
	mkdir -p /usr/libexec/hxd /var/lib/hxd
	for b in x y z; do cp "$HXBIN/hx-hello" "/usr/libexec/hxd/$b"; done
	for f in f0 f1 f2; do echo "$f" >"/var/lib/hxd/$f"; done
	use_policy "$POL_A"
	: >"$DLOG"
	rm -f "$AUDIT_LOG"*
	# Collectors for every daemon of the suite: systemd's notify socket, a TCP syslog.
	$HXBIN/hx-sockrecv unix "$NOTIFY" "$HXT_SUITE_TMP/notify" &
	echo $! >"$HXT_SUITE_TMP/notify.pid"
	$HXBIN/hx-sockrecv tcp 5515 "$SYSLOG_OUT" &
	echo $! >"$HXT_SUITE_TMP/syslog.pid"
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=1000000
	export NOTIFY_SOCKET WATCHDOG_USEC
	dstart $SUITE_ARGS
}

# Each test's duration, in the console log: the suite has to fit the VM's time.
setup() {
	cut -d' ' -f1 /proc/uptime >"$HXT_SUITE_TMP/t0"
}

teardown() {
	echo "hxd: time $HXT_TEST $(awk -v t0="$(cat "$HXT_SUITE_TMP/t0")" '{ printf "%.1fs", $1 - t0 }' /proc/uptime)" \
		>/dev/console 2>/dev/null
	true
}

suite_teardown() {
	# How long starts and loads took, for whoever reads the console log.
	grep -E 'event.{0,3}(startup|policy_load)' "$DLOG" | sed 's/^/hxd: /' | tail -n 30 >/dev/console 2>/dev/null
	agent_release
	kill "$(cat "$HXT_SUITE_TMP/notify.pid")" "$(cat "$HXT_SUITE_TMP/syslog.pid")" 2>/dev/null
	umount /var/log/helixagent 2>/dev/null
	true
}

# ---- operations --------------------------------------------------------------------------

test_ready_status_and_policy_load_event() {
	sha=$(sha256sum "$LIVE" | cut -d' ' -f1)
	js=$($HX status --json)
	log "$js"
	printf '%s' "$js" | jq -e --arg sha "$sha" --arg m "$METRICS" \
		'.active and .daemon.running and .daemon.policy_load.sha256 == $sha and
		 .daemon.audit.path != null and .daemon.metrics.listen == $m and
		 .daemon.audit.syslog.connected' >/dev/null ||
		fail "status --json lacks the daemon's view"
	g=$(gen)
	assert_eq "$g" "$(printf '%s' "$js" | jq .policy_generation)"
	ev=$(audit_select ".event.action==\"policy_load\" and .helixagent.policy_generation==$g")
	[ -n "$ev" ] || fail "no policy_load event for generation $g"
	f() { printf '%s' "$ev" | tail -n 1 | jq -r "$1"; }
	assert_eq loaded "$(f .helixagent.decision)"
	assert_eq "$sha" "$(f .helixagent.policy_sha256)"
	assert_eq start "$(f .helixagent.trigger)"
	assert_eq true "$(f '.helixagent.load_seconds > 0')"
	assert_eq true "$(f '[.helixagent.sandboxes[].name] | index("hammer") != null')"
	grep -q 'level=info event=policy_load .*generation=' "$DLOG" ||
		fail "no structured policy_load line in the daemon's log"
	out=$($HX status) || fail "status exited $?"
	assert_contains "$out" "policy sha:  $sha"
}

test_metrics_endpoint_serves_the_spec_names() {
	in_sandbox hammer $TRY exec $X >/dev/null
	out=$(scrape) || fail "cannot scrape http://$METRICS/metrics"
	for name in helixagent_decisions_total helixagent_sandbox_violations_total \
		helixagent_permission_denied_total helixagent_events_dropped_total \
		helixagent_map_entries helixagent_map_capacity helixagent_policy_load_duration_seconds \
		helixagent_policy_generation helixagent_enforcement_active; do
		printf '%s\n' "$out" | grep -q "^# TYPE $name " || fail "no metric $name"
	done
	k='helixagent_decisions_total{sandbox="hammer",family="exec",decision="deny"}'
	pk='helixagent_permission_denied_total{sandbox="hammer",family="exec"}'
	vk='helixagent_sandbox_violations_total{sandbox="hammer"}'
	before=$(metric "$k")
	[ "${before:-0}" -ge 1 ] || fail "$k is '$before' after a denial"
	pd_before=$(metric "$pk")
	v_before=$(metric "$vk")
	for i in 1 2 3; do in_sandbox hammer $TRY exec $X >/dev/null; done
	assert_eq $((before + 3)) "$(metric "$k")" "$k after three more denials"
	assert_eq $((pd_before + 3)) "$(metric "$pk")"
	assert_eq $((v_before + 3)) "$(metric "$vk")"
	assert_eq "$(gen)" "$(metric helixagent_policy_generation)"
	assert_eq 1 "$(metric helixagent_enforcement_active)"
	printf '%s\n' "$out" | grep -q '^helixagent_events_dropped_total{reason="ringbuf_full"} ' ||
		fail "no ringbuf_full drop counter"
	printf '%s\n' "$out" | grep -q '^helixagent_map_entries{map="hx_cgrp"} [1-9]' ||
		fail "hx_cgrp fill not reported"
	assert_eq ok "$(wget -q -O - "http://$METRICS/healthz")"
}

test_syslog_tcp_rfc5424_survives_a_collector_restart() {
	res=$(in_sandbox hammer $TRY exec $X)
	pid=$(result_pid "$res")
	wait_for 15 grep -q "\"pid\":$pid," "$SYSLOG_OUT" || fail "no syslog message for pid $pid"
	msg=$(grep "\"pid\":$pid," "$SYSLOG_OUT" | head -n 1)
	log "$msg"
	# <PRI>1 TIMESTAMP HOST APP PROCID MSGID [meta sequenceId="N"] JSON; local3.warning = 156
	printf '%s\n' "$msg" | grep -Eq '^<156>1 20[0-9-]{8}T[0-9:]{8}\.[0-9]{6}Z hxvm helixagent [0-9]+ permission_denied \[meta sequenceId="[0-9]+"\] \{' ||
		fail "not RFC 5424: $msg"
	sd=$(printf '%s\n' "$msg" | sed -n 's/.*sequenceId="\([0-9]*\)".*/\1/p')
	json=$(printf '%s\n' "$msg" | sed 's/^[^{]*//')
	assert_eq "$sd" "$(printf '%s' "$json" | jq .event.sequence)" "sequenceId"
	assert_eq "$(agent_pid)" "$(printf '%s\n' "$msg" | cut -d' ' -f5)" "PROCID"
	# The collector restarts: lines wait in the queue and arrive once it is back.
	kill "$(cat "$HXT_SUITE_TMP/syslog.pid")"
	# The daemon notices the collector is gone when it next sends: denials
	# until it says so (syslog_connected 0); from then on lines can only be
	# queued (or lost, which the end checks), and every one must arrive.
	lost0=$(counter lost_syslog)
	pids=
	for i in $(seq 1 30); do
		pids="$pids $(result_pid "$(in_sandbox hammer $TRY exec $X)")"
		wait_for 1 sh -c "[ \"\$(awk '\$1 == \"syslog_connected\" { print \$2 }' /run/helixagent/counters)\" = 0 ]" &&
			break
	done
	[ "$(counter syslog_connected)" = 0 ] ||
		fail "the daemon did not notice that the collector went away"
	for i in 1 2 3; do
		pids="$pids $(result_pid "$(in_sandbox hammer $TRY exec $X)")"
	done
	# written to the audit log: the daemon has handed them to the syslog sink
	for p in $pids; do dwait_pid "$p"; done
	for p in $pids; do
		grep -q "\"pid\":$p," "$SYSLOG_OUT" && fail "pid $p delivered while no collector ran"
	done
	sent0=$(counter syslog_sent)
	$HXBIN/hx-sockrecv tcp 5515 "$SYSLOG_OUT" &
	echo $! >"$HXT_SUITE_TMP/syslog.pid"
	for p in $pids; do
		wait_for 40 grep -q "\"pid\":$p," "$SYSLOG_OUT" ||
			fail "pid $p: not delivered after the collector came back"
	done
	assert_eq "$lost0" "$(counter lost_syslog)" "syslog lines lost while the collector was away"
	assert_eq 0 "$(counter lost_syslog)" "syslog lines lost"
	wait_for 10 sh -c "[ \$(awk '\$1 == \"syslog_sent\" { print \$2 }' /run/helixagent/counters) -ge $((sent0 + 3)) ]" ||
		fail "syslog_sent $sent0 -> $(counter syslog_sent): the queued lines were not counted as sent"
}

test_invalid_policy_is_rejected_and_the_old_one_stays() {
	g=$(gen)
	use_policy "$POL_BAD"
	reload
	ev=$(audit_select '.event.action=="policy_load"' | tail -n 1)
	log "$ev"
	f() { printf '%s' "$ev" | jq -r "$1"; }
	assert_eq rejected "$(f .helixagent.decision)"
	assert_eq "$g" "$(f .helixagent.policy_generation)" "generation in force named by the rejection"
	assert_eq 2 "$(f .helixagent.errors_count)"
	assert_eq 12 "$(f '.helixagent.errors[0].line')"
	assert_contains "$(f '.helixagent.errors[0].message')" "must be allow or deny"
	grep -q "$LIVE:16:7: error: unknown key 'no_such_key'" "$DLOG" ||
		fail "the daemon's log lacks the error with its line"
	assert_eq "$g" "$(gen)" "generation after a rejected reload"
	assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM"
	$HX status --json | jq -e '.daemon.policy_load.failed >= 1 and
		(.daemon.policy_load.last_error | test("error"))' >/dev/null ||
		fail "status does not show the rejected load"
	use_policy "$POL_A"
	wait_for 20 _gen_above "$g" || fail "the file change back to A was not loaded"
	assert_eq file_change "$(last_load .helixagent.trigger)"
}

test_policy_file_deleted_keeps_the_policy() {
	g=$(gen)
	rm -f "$LIVE"
	wait_for 10 grep -q "event=policy_file .*was deleted; the policy in force stays" "$DLOG" ||
		fail "the deletion was not noticed"
	assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM"
	reload
	assert_eq rejected "$(last_load .helixagent.decision)"
	assert_eq "$g" "$(gen)"
	assert_eq missing "$(counter policy_file_state)"
	use_policy "$POL_A"
	wait_for 20 _gen_above "$g" || fail "the restored file was not loaded"
}

test_policy_file_truncated_keeps_the_policy() {
	g=$(gen)
	: >"$LIVE"
	wait_for 10 grep -q "event=policy_file .*is empty; the policy in force stays" "$DLOG" ||
		fail "the truncation was not noticed"
	reload
	assert_contains "$(last_load .helixagent.message)" "empty"
	# Cut in the middle of a flow sequence, as a writer interrupted there would leave it.
	cut=$(grep -b -o '/usr/libexec/hxd/y' "$POL_A" | head -n 1 | cut -d: -f1)
	head -c "$cut" "$POL_A" >"$LIVE"
	reload
	assert_eq rejected "$(last_load .helixagent.decision)"
	assert_eq "$g" "$(gen)"
	assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM"
	assert_contains "$(in_sandbox hammer $TRY exec $Y)" "exec: EPERM" "y is still refused (policy A)"
	use_policy "$POL_A"
	wait_for 20 _gen_above "$g" || fail "the repaired file was not loaded"
}

# ---- reloads and restarts under load -----------------------------------------------------

# policy_of_generations: "GENERATION A|B" lines from the policy_load events.
policy_of_generations() {
	sa=$(sha256sum "$POL_A" | cut -d' ' -f1)
	sb=$(sha256sum "$POL_B" | cut -d' ' -f1)
	all_audit | grep '"action":"policy_load"' | jq -r --arg a "$sa" --arg b "$sb" \
		'select(.helixagent.decision=="loaded") |
		 "\(.helixagent.policy_generation) \(if .helixagent.policy_sha256 == $a then "A"
			elif .helixagent.policy_sha256 == $b then "B" else "?" end)"'
}

# decisions: "PID PATH DECISION GENERATION ACTION" of every kernel decision in sandbox
# hammer, from every file of the log (sed, not jq: thousands of lines under TCG).
decisions() {
	all_audit | grep '"sandbox":"hammer"' |
		sed -n 's/.*"action":"\([a-z_]*\)".*"decision":"\([a-z]*\)".*"policy_generation":\([0-9]*\).*"process":{"pid":\([0-9]*\).*"file":{"path":"\([^"]*\)".*/\4 \5 \2 \3 \1/p'
}

# The hammer in sandbox hammer tries x, y, z (exec) and f0, f1, f2 (open) in a loop
# while the policy flips between A and B a hundred times. Policy A refuses x y f0 f1,
# B refuses x z f0 f2. A refusal is judged by the generation its event names; an
# observed outcome by its event; x and f0 are refused by both, so an allow there
# would be a decision of no policy.
test_hundred_reloads_every_decision_belongs_to_a_policy() {
	out=$HXT_TMP/hammer
	g0=$(gen)
	f0=$(counter policy_loads_failed)
	# Paced (30 ms between rounds) so the reloads get their share of the one CPU.
	hammer_bg hammer "$out" "$HXT_TMP/stop" -d 30 exec:$X exec:$Y exec:$Z open:$F0 open:$F1 open:$F2
	t0=$(cut -d' ' -f1 /proc/uptime)
	i=0
	while [ $i -lt 100 ]; do
		if [ $((i % 2)) = 0 ]; then use_policy "$POL_B"; else use_policy "$POL_A"; fi
		reload
		i=$((i + 1))
	done
	t1=$(cut -d' ' -f1 /proc/uptime)
	hammer_stop "$out" "$HXT_TMP/stop"
	g1=$(gen)
	note "reloads: generations $g0 -> $g1 in ${t0}..${t1}s of uptime; hammer: $(tr '\n' ';' <"$out.sum")"
	[ $((g1 - g0)) -ge 100 ] || fail "only $((g1 - g0)) generations for 100 reloads"
	dbarrier
	assert_eq "$f0" "$(counter policy_loads_failed)" "rejected reloads"

	policy_of_generations >"$HXT_TMP/gens"
	odd=$(awk -v g="$g0" '$1 >= g && $2 == "?"' "$HXT_TMP/gens")
	[ -z "$odd" ] || fail "generations of neither policy: $odd"
	decisions >"$HXT_TMP/events"
	awk -v X=$X -v Y=$Y -v Z=$Z -v F0=$F0 -v F1=$F1 -v F2=$F2 -v G0="$g0" '
		function refused(p, path) {
			if (path == X || path == F0) return 1
			if (path == Y || path == F1) return p == "A"
			if (path == Z || path == F2) return p == "B"
			return -1
		}
		FILENAME == ARGV[1] { pol[$1] = $2; next }
		FILENAME == ARGV[2] {
			if ($4 < G0) next
			if (!($4 in pol)) { print "event of unknown generation " $4 ": " $0; bad++; next }
			r = refused(pol[$4], $2)
			if (r < 0) next
			if ($3 == "deny") {
				if (!r) { print "generation " $4 " (" pol[$4] ") refused " $5 " of " $2 ", which it allows"; bad++ }
				deny[$1 " " $2 " " $5]++
				fsdeny[$2]++
				gens[$4] = 1
			} else if (r) {
				# An allowed exec is logged after the exec, with the generation live then.
				late++
			}
			next
		}
		{
			n[$1]++
			if (($2 == X || $2 == F0) && $4 != "EPERM") { print "allowed though every policy refuses it: " $0; bad++ }
			if ($1 == "exec") {
				k = $3 " " $2 " exec"
				if ($4 == "EPERM" && !(k in deny)) missing++
				if ($4 != "EPERM" && (k in deny)) { print "ran, but its event says refused: " $0; bad++ }
			} else if ($4 == "EPERM") {
				fsobs[$2]++
			}
		}
		END {
			for (g in gens) ng++
			for (f in fsobs) if (fsobs[f] > fsdeny[f]) missing += fsobs[f] - fsdeny[f]
			printf "attempts exec=%d open=%d, generations refusing=%d, refusals without event=%d, allowed execs logged under the next generation=%d\n", n["exec"], n["open"], ng, missing + 0, late + 0
			if (ng < 20) { print "the hammer saw too few generations"; bad++ }
			exit bad > 0
		}' "$HXT_TMP/gens" "$HXT_TMP/events" "$out" >"$HXT_TMP/check" 2>&1
	rc=$?
	cat "$HXT_TMP/check" >&2
	[ $rc = 0 ] || fail "$(head -n 1 "$HXT_TMP/check")"
	note "reloads: $(tail -n 1 "$HXT_TMP/check")"
	missing=$(sed -n 's/.*refusals without event=\([0-9]*\).*/\1/p' "$HXT_TMP/check" | tail -n 1)
	drops=$(dropped_events)
	[ "$missing" -le "$drops" ] || fail "$missing refusals without an event, $drops counted as dropped"
	use_policy "$POL_A"
	reload
}

# ---- audit delivery -------------------------------------------------------------------------

# _drained: the daemon read no new ring buffer record for two seconds (asked over
# HTTP: the daemon answers between two turns of its loop).
_drained() {
	_a=$(metric helixagent_ringbuf_events_total)
	sleep 2
	[ -n "$_a" ] && [ "$_a" = "$(metric helixagent_ringbuf_events_total)" ]
}

test_burst_of_100k_events_all_written_or_counted() {
	n=100000
	d0=$(sandbox_counter burst filesystem deny)
	r0=$(dropped_events)
	s0=$(counter audit_sequence)
	t0=$(cut -d' ' -f1 /proc/uptime)
	in_sandbox burst "$HAMMER" -n $n open:$F0 >"$HXT_TMP/sum"
	t1=$(cut -d' ' -f1 /proc/uptime)
	log "$(cat "$HXT_TMP/sum")"
	assert_contains "$(cat "$HXT_TMP/sum")" "EPERM=$n "
	# Nothing else may log until the daemon has drained the ring: the kernel's loss
	# counter is global, and a loss of another event would count here.
	wait_for 120 _drained || fail "the daemon did not drain the ring buffer"
	r1=$(dropped_events)
	rb1=$(ringbuf_dropped)
	wait_for 60 sh -c "[ \$(awk '\$1 == \"reported_ringbuf_full\" { print \$2 }' /run/helixagent/counters) -ge $rb1 ]" ||
		fail "the ring buffer losses were not reported: $rb1 counted, $(counter reported_ringbuf_full) reported"
	generated=$(($(sandbox_counter burst filesystem deny) - d0))
	dropped=$((r1 - r0))
	# One pass over every file of the log (tens of MB): the fields that matter, per line.
	all_audit | grep -o -E '"(code|sequence|sandbox|drop_reason|dropped)":("[a-z_]*"|[0-9]+)' |
		awk -F: -v s0="$s0" '
		function done() {
			if (!seq) return
			if (nseq++ && seq != prev + 1) { printf "gap after %d: %d\n", prev, seq; gaps++ }
			prev = seq
			if (code == "\"events_dropped\"" && dr == "\"ringbuf_full\"") reported += dropped
			if (seq > s0 && code == "\"permission_denied\"" && sb == "\"burst\"") written++
		}
		$1 == "\"code\"" { done(); code = $2; seq = 0; sb = ""; dr = ""; dropped = 0 }
		$1 == "\"sequence\"" { seq = $2 }
		$1 == "\"sandbox\"" { sb = $2 }
		$1 == "\"drop_reason\"" { dr = $2 }
		$1 == "\"dropped\"" { dropped = $2 }
		END { done(); printf "written=%d reported=%d gaps=%d\n", written, reported, gaps }' \
		>"$HXT_TMP/count"
	cat "$HXT_TMP/count" >&2
	written=$(sed -n 's/^written=\([0-9]*\) .*/\1/p' "$HXT_TMP/count")
	reported=$(sed -n 's/.* reported=\([0-9]*\) .*/\1/p' "$HXT_TMP/count")
	note "burst: generated=$generated written=$written dropped=$dropped in ${t0}..${t1}s of uptime; rotations=$(counter audit_rotations)"
	assert_eq $n "$generated" "kernel deny counter"
	assert_eq $n $((written + dropped)) "written ($written) + dropped ($dropped)"
	assert_eq "$rb1" "$reported" "ringbuf_full drops reported by events_dropped events"
	# event.sequence: one more per event, across the rotated files.
	grep -q ' gaps=0$' "$HXT_TMP/count" || fail "event.sequence has a gap: $(head -n 1 "$HXT_TMP/count")"
	[ "$(counter audit_rotations)" -ge 1 ] || fail "the log was never rotated"
}

# Sandbox limited (rate_limit: 100/s) is refused f0 thousands of times: every
# open is refused, far fewer events are written, and each one not written is
# counted for the sandbox and summed up by an events_rate_limited event.
test_rate_limit_suppresses_events_never_denials() {
	n=5000
	d0=$(sandbox_counter limited filesystem deny)
	rb0=$(ringbuf_dropped)
	s0=$(counter audit_sequence)
	t0=$(cut -d' ' -f1 /proc/uptime)
	in_sandbox limited "$HAMMER" -n $n open:$F0 >"$HXT_TMP/sum"
	t1=$(cut -d' ' -f1 /proc/uptime)
	log "$(cat "$HXT_TMP/sum")"
	assert_contains "$(cat "$HXT_TMP/sum")" "ok=0 EPERM=$n other=0"
	wait_for 120 _drained || fail "the daemon did not drain the ring buffer"
	generated=$(($(sandbox_counter limited filesystem deny) - d0))
	assert_eq $n "$generated" "kernel deny counter: every open refused"
	supp=$($HX status --json | jq '.dropped.rate_limited')
	[ "${supp:-0}" -gt 0 ] || fail "nothing counted as rate_limited"
	wait_for 30 sh -c "[ \$(awk '\$1 == \"reported_rate_limited\" { print \$2 }' /run/helixagent/counters) -ge $supp ]" ||
		fail "suppressed events not summed up: $supp counted, $(counter reported_rate_limited) reported"
	all_audit | grep '"sandbox":"limited"' |
		grep -o -E '"(code|sequence|dropped)":("[a-z_]*"|[0-9]+)' |
		awk -F: -v s0="$s0" '
		function done() {
			if (seq <= s0) return
			if (code == "\"permission_denied\"") written++
			if (code == "\"events_rate_limited\"") { summaries++; suppressed += dropped }
		}
		$1 == "\"code\"" { if (code != "") done(); code = $2; seq = 0; dropped = 0 }
		$1 == "\"sequence\"" { seq = $2 }
		$1 == "\"dropped\"" { dropped = $2 }
		END { if (code != "") done(); printf "written=%d suppressed=%d summaries=%d\n", written, suppressed, summaries }' \
		>"$HXT_TMP/count"
	cat "$HXT_TMP/count" >&2
	written=$(sed -n 's/^written=\([0-9]*\) .*/\1/p' "$HXT_TMP/count")
	suppressed=$(sed -n 's/.* suppressed=\([0-9]*\) .*/\1/p' "$HXT_TMP/count")
	summaries=$(sed -n 's/.* summaries=\([0-9]*\)$/\1/p' "$HXT_TMP/count")
	lost=$(($(ringbuf_dropped) - rb0))
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", b - a + 1 }')
	note "rate_limit 100/s: generated=$generated written=$written suppressed=$suppressed summaries=$summaries ringbuf_lost=$lost in ${secs}s"
	[ "$summaries" -ge 1 ] || fail "no events_rate_limited event for sandbox limited"
	assert_eq "$generated" $((written + suppressed + lost)) "written ($written) + suppressed ($suppressed) + lost ($lost)"
	# 100 at once, then 100 a second (one more per CPU racing on the bucket at most)
	[ "$written" -le $((100 + 100 * secs + 8)) ] || fail "$written events written in ${secs}s at 100/s"
	[ $((written * 4)) -lt "$generated" ] || fail "$written of $generated events written: not limited"
	ev=$(all_audit | grep '"code":"events_rate_limited"' | grep '"sandbox":"limited"' | tail -n 1)
	log "$ev"
	printf '%s' "$ev" | jq -e '.helixagent.drop_reason == "rate_limited" and .helixagent.dropped > 0 and
		(.helixagent.window_start | test("^20")) and .helixagent.window_end >= .helixagent.window_start' \
		>/dev/null || fail "events_rate_limited lacks its fields: $ev"
	m=$(metric 'helixagent_events_rate_limited_total{sandbox="limited"}')
	[ "${m:-0}" -ge "$suppressed" ] || fail "metric events_rate_limited_total is '$m', $suppressed suppressed"
	[ "$(metric 'helixagent_events_dropped_total{reason="rate_limited"}')" -ge "$suppressed" ] ||
		fail "events_dropped_total{reason=rate_limited} does not count them"
	# Another sandbox is not limited: its denial is logged at once.
	pid=$(result_pid "$(in_sandbox hammer $TRY exec $X)")
	dwait_pid "$pid"
}

test_sigusr1_reopens_the_log() {
	mv "$AUDIT_LOG" "$AUDIT_LOG.moved"
	kill -USR1 "$(agent_pid)"
	wait_for 10 test -e "$AUDIT_LOG" || fail "SIGUSR1 did not reopen $AUDIT_LOG"
	last=$(tail -n 1 "$AUDIT_LOG.moved" | jq .event.sequence)
	out=$(in_sandbox hammer $TRY exec $X)
	pid=$(result_pid "$out")
	dwait_pid "$pid"
	first=$(head -n 1 "$AUDIT_LOG" | jq .event.sequence)
	assert_eq $((last + 1)) "$first" "sequence continues in the reopened file"
	! grep -q "\"pid\":$pid," "$AUDIT_LOG.moved" || fail "event went to the old file"
	rm -f "$AUDIT_LOG.moved"
}

test_enospc_on_the_audit_path() {
	dir=$(dirname "$AUDIT_LOG")
	# A small filesystem over the log directory; SIGUSR1 makes the daemon write there.
	mount -t tmpfs -o size=256k,mode=0700 tmpfs "$dir" || fail "cannot mount a small tmpfs"
	kill -USR1 "$(agent_pid)"
	wait_for 10 test -e "$AUDIT_LOG" || fail "not reopened on the small filesystem"
	# A line before the disk fills, so the gap shows in this file.
	pid=$(result_pid "$(in_sandbox hammer $TRY exec $X)")
	audit_wait 1 ".process.pid==$pid"
	dd if=/dev/zero of="$dir/filler" bs=4k count=1000 2>/dev/null
	n=20
	for i in $(seq 1 $n); do
		assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM" "denial with a full disk"
	done
	kill -0 "$(agent_pid)" || fail "the daemon died on ENOSPC"
	wait_for 10 sh -c "[ \$(awk '\$1 == \"lost_audit_write\" { print \$2 }' /run/helixagent/counters) -ge $n ]" ||
		fail "audit_write losses not counted: $(grep lost_ /run/helixagent/counters)"
	lost=$(counter lost_audit_write)
	[ "$(metric 'helixagent_events_dropped_total{reason="audit_write"}')" -ge "$lost" ] ||
		fail "metric does not count the losses"
	assert_contains "$($HX status --json | jq -r .daemon.audit.last_error)" "space"
	rm -f "$dir/filler"
	out=$(in_sandbox hammer $TRY exec $X)
	pid=$(result_pid "$out")
	audit_wait 1 ".process.pid==$pid"
	audit_wait 1 '.helixagent.drop_reason=="audit_write"' 15
	rep=$(audit_select '.helixagent.drop_reason=="audit_write"' | jq -s 'map(.helixagent.dropped) | add')
	# Each gap in event.sequence is a line an events_dropped event accounts for.
	gaps=$(grep -o '"sequence":[0-9]*' "$AUDIT_LOG" | cut -d: -f2 |
		awk 'NR > 1 { g += $1 - prev - 1 } { prev = $1 } END { print g + 0 }')
	note "enospc: $n denials refused, lost=$lost reported=$rep sequence_gaps=$gaps"
	assert_eq "$gaps" "$rep" "sequence gaps vs events_dropped(audit_write)"
	[ "$rep" -ge "$n" ] || fail "reported $rep lost lines for $n denials"
	umount -l "$dir"
	kill -USR1 "$(agent_pid)"
	assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM"
}

# ---- faults ----------------------------------------------------------------------------------

test_sandbox_cgroup_removed_behind_the_agent() {
	cg=$(sandbox_cg hammer)
	old=$(sandbox_cgid hammer)
	rmdir "$cg" || fail "cannot remove $cg"
	wait_for 15 sh -c "[ -d $cg ] && [ \$($HX status --json | jq '.sandboxes[] | select(.name==\"hammer\") | .cgroup_id') = \$(stat -c %i $cg) ]" ||
		fail "the sandbox cgroup was not recreated and mapped"
	[ "$(sandbox_cgid hammer)" != "$old" ] || fail "same cgroup id"
	grep -q "event=cgroup_gone .*sandbox=hammer" "$DLOG" || fail "not logged"
	assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM" "in the recreated cgroup"
	assert_eq cgroup_repair "$(last_load .helixagent.trigger)"
}

LATE=/sys/fs/cgroup/hxd-late/svc/unit

# in_late CMD...: CMD in the explicit cgroup of sandbox late
in_late() {
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$LATE" "$@"
}

_late_mapped() { # N: at least N cgroup_mapped lines for sandbox late
	[ "$(grep -c "event=cgroup_mapped .*sandbox=late" "$DLOG")" -ge "$1" ]
}

# Sandbox late names a cgroup two levels below a cgroup that does not exist
# when the policy loads: the load warns about it and installs everything
# else. The kernel maps the cgroup as it is created, before any process can
# enter it: its rules apply to the first process, with the daemon stopped
# (the daemon's own watch, four times a second, is the fallback). Again when
# it is removed and created anew.
test_cgroup_created_after_the_load_is_enforced() {
	rmdir $LATE /sys/fs/cgroup/hxd-late/svc /sys/fs/cgroup/hxd-late 2>/dev/null
	[ ! -d $LATE ] || fail "cannot remove $LATE before the load"
	g=$(gen)
	o=$(wc -l <"$DLOG")
	reload
	[ "$(gen)" -gt "$g" ] || fail "a policy with a missing explicit cgroup was not loaded"
	# this load's warning: the daemon's log after the offset taken before it
	tail -n +$((o + 1)) "$DLOG" |
		grep -q "sandbox 'late': cgroup /sys/fs/cgroup/hxd-late/svc/unit does not exist (yet)" ||
		fail "no warning for the missing cgroup of sandbox late from this load"
	assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM" "the other sandboxes are enforced"
	m0=$(grep -c "event=cgroup_mapped .*sandbox=late" "$DLOG")
	r0=$(grep -c "event=cgroup_gone .*sandbox=late" "$DLOG")
	for round in 1 2; do
		kill -STOP "$(agent_pid)"
		mkdir -p $LATE || { kill -CONT "$(agent_pid)"; fail "cannot create the cgroup"; }
		out=$(in_late $TRY exec $X)
		kill -CONT "$(agent_pid)"
		assert_contains "$out" "exec: EPERM" "round $round: the cgroup's first process, daemon stopped"
		pid=$(result_pid "$out")
		dwait_pid "$pid"
		audit_select ".process.pid==$pid" | grep -q '"sandbox":"late"' ||
			fail "the denial is not named for sandbox late"
		assert_contains "$(in_late $TRY exec $Y)" "exec: ok" "y is allowed in late"
		# The daemon's watch (the fallback) sees it too, within 2 s of running again, and names it.
		wait_for 2 _late_mapped $((m0 + round)) || fail "round $round: the daemon's watch did not map the cgroup within 2s"
		# Removed (a container that ended): reported; created again: governed again.
		rmdir $LATE || fail "cannot remove the cgroup"
		wait_for 10 sh -c "[ \$(grep -c 'event=cgroup_gone .*sandbox=late' $DLOG) -ge $((r0 + round)) ]" ||
			fail "round $round: removal not noticed"
	done
}

fds() { ls "/proc/$(agent_pid)/fd" | wc -l; }
# The daemon's own memory (heap, stacks): its RSS also counts the ring buffer's
# 16 MiB, mapped twice, as the kernel fills it.
rss() { awk '/^RssAnon/ { print $2 }' "/proc/$(agent_pid)/status"; }

test_thousand_short_lived_sandboxes_leak_nothing() {
	# Warm up: the first decisions of a sandbox create its counters.
	$HXBIN/hx-cgcycle "$(sandbox_cg quiet)" 1 $X /bin/true >/dev/null
	$HX exec -c "$LIVE" --sandbox quiet -- /bin/true
	scrape >/dev/null
	sleep 1
	fd0=$(fds)
	s0=$(counter audit_sequence)
	m0=$(scrape | grep '^helixagent_map_entries' | sort)
	rss0=$(rss)
	e0=$(counter ringbuf_events)
	out=$($HXBIN/hx-cgcycle "$(sandbox_cg quiet)" 1000 $X /bin/true) || fail "cycles failed: $out"
	assert_eq "cycles=1000 refused=1000 ran=1000 failed=0" "$out"
	# The daemon drains those 1,000 events first: a launcher that waits more than 2 s
	# for the daemon's hand writes its lines itself (nothing lost, but not relayed).
	dbarrier
	# And the launcher's own short-lived sandboxes.
	for i in $(seq 1 20); do
		$HX exec -c "$LIVE" --sandbox quiet -- /bin/true || fail "helixagent exec run $i failed"
	done
	assert_contains "$($HX exec -c "$LIVE" --sandbox quiet -- $X 2>&1; echo "rc=$?")" "rc=126"
	dbarrier
	# The launchers' events went through the daemon: one writer, one sequence.
	# (the counters file is rewritten on the daemon's tick, not at each line)
	wait_for 10 sh -c "[ \$(awk '\$1 == \"audit_relayed\" { print \$2 }' /run/helixagent/counters) -ge 40 ]" ||
		fail "only $(counter audit_relayed) lines relayed"
	grep -c '"code":"sandbox_create"' "$AUDIT_LOG" >/dev/null || fail "no sandbox_create event"
	all_audit | grep -o '"sequence":[0-9]*' | cut -d: -f2 |
		awk -v s0="$s0" '$1 < s0 { next } n++ && $1 != prev + 1 { print "sequence " prev " then " $1; bad = 1 } { prev = $1 } END { exit bad }' >&2 ||
		fail "event.sequence is not one stream with the launchers' events"
	left=$(find "$(sandbox_cg quiet)" -mindepth 1 -type d | wc -l)
	assert_eq 0 "$left" "child cgroups left under the sandbox"
	[ $(($(counter ringbuf_events) - e0)) -ge 2000 ] || fail "the daemon did not see the cycles' events"
	assert_eq "$m0" "$(scrape | grep '^helixagent_map_entries' | sort)" "map entries"
	sleep 1
	assert_eq "$fd0" "$(fds)" "daemon descriptors"
	rss1=$(rss)
	note "flood: 1000 cgroup cycles + 21 helixagent exec; daemon RssAnon ${rss0}k -> ${rss1}k, fds $fd0 -> $(fds)"
	[ $((rss1 - rss0)) -lt 2048 ] || fail "daemon grew by $((rss1 - rss0)) KiB"
}

test_restarts_leave_no_window() {
	out=$HXT_TMP/hammer
	# 20 attempts a second: enough to cover the restart, without taking the VM's
	# only vCPU from the new daemon's BPF verification
	hammer_bg hammer "$out" "$HXT_TMP/stop" -d 50 exec:$X open:$F0
	kill -9 "$(agent_pid)"
	wait_for 10 sh -c "! kill -0 $(agent_pid) 2>/dev/null" || fail "daemon did not die"
	sleep 1
	# The next tests check rotation by count and the JSON log on this daemon.
	dstart --syslog tcp://127.0.0.1:5515 --audit-max-size 16K --audit-keep 3 --log-format json
	sleep 1
	hammer_stop "$out" "$HXT_TMP/stop"
	total=$(wc -l <"$out")
	refused=$(grep -c ' EPERM$' "$out")
	note "restarts: $total attempts across kill -9, no daemon, a new daemon adopting, $refused refused"
	[ "$total" -ge 20 ] || fail "the hammer made only $total attempts"
	assert_eq "$total" "$refused" "attempts refused across kill -9 and a restart"
	# What the kernel refused while no daemon ran reached the log once one was back.
	dbarrier
	all_audit | grep '"sandbox":"hammer"' | grep "\"file\":{\"path\":\"$X\"" |
		grep -o '"process":{"pid":[0-9]*' | cut -d: -f3 >"$HXT_TMP/logged"
	missing=$(awk 'FILENAME == ARGV[1] { seen[$1] = 1; next } $1 == "exec" && !($3 in seen) { m++ } END { print m + 0 }' \
		"$HXT_TMP/logged" "$out")
	drops=$(dropped_events)
	[ "$missing" -le "$drops" ] || fail "$missing refused execs without an event, $drops counted as dropped"
}

test_rotation_by_size_keeps_count() {
	for i in $(seq 1 40); do in_sandbox hammer $TRY exec $X >/dev/null; done
	dbarrier
	[ -f "$AUDIT_LOG.3" ] || fail "no $AUDIT_LOG.3"
	[ ! -e "$AUDIT_LOG.4" ] || fail "more than 3 rotated files kept"
	for f in "$AUDIT_LOG" "$AUDIT_LOG.1" "$AUDIT_LOG.2" "$AUDIT_LOG.3"; do
		[ "$(stat -c %s "$f")" -le 16384 ] || fail "$f is larger than 16K"
		[ "$(stat -c %a "$f")" = 600 ] || fail "$f is not mode 0600"
	done
	last3=$(tail -n 1 "$AUDIT_LOG.3" | jq .event.sequence)
	first2=$(head -n 1 "$AUDIT_LOG.2" | jq .event.sequence)
	assert_eq $((last3 + 1)) "$first2" "sequence across a rotation"
}

test_json_daemon_log() {
	pid=$(agent_pid)
	line=$(grep '"event":"ready"' "$DLOG" | tail -n 1)
	log "$line"
	printf '%s' "$line" | jq -e --argjson p "$pid" '.level == "info" and .pid == $p and (.ts | test("Z$"))' \
		>/dev/null || fail "not a JSON log line: $line"
	grep '"event":"policy_load"' "$DLOG" | tail -n 1 | jq -e '.generation > 0 and (.sha256 | length) == 64' \
		>/dev/null || fail "policy_load log line lacks its fields"
}

# notify_since N PATTERN: a notify message after the first N lines matches PATTERN
_notify_since() {
	tail -n +$(($1 + 1)) "$HXT_SUITE_TMP/notify" | grep -q "$2"
}

# ... and a READY=1 follows the first RELOADING=1 after them
_ready_after_reloading() {
	tail -n +$(($1 + 1)) "$HXT_SUITE_TMP/notify" | sed -n '/RELOADING=1/,$p' | grep -q "READY=1"
}

test_sd_notify_ready_reloading_watchdog_stopping() {
	n=$HXT_SUITE_TMP/notify
	pid=$(agent_pid)
	grep -q "READY=1 MAINPID=$pid " "$n" || fail "no READY=1 with MAINPID=$pid: $(cat "$n")"
	o=$(wc -l <"$n")
	wait_for 5 _notify_since "$o" "WATCHDOG=1" || fail "no WATCHDOG=1 within 5s with WATCHDOG_USEC=1s"
	o=$(wc -l <"$n")
	_notify_since "$o" "RELOADING=1" && fail "RELOADING=1 before any reload"
	reload
	wait_for 10 _notify_since "$o" "RELOADING=1" || fail "no RELOADING=1 for this reload"
	wait_for 10 _ready_after_reloading "$o" || fail "no READY=1 after this reload's RELOADING=1"
}

test_bpffs_unmounted_pins_restored() {
	umount /sys/fs/bpf || fail "cannot unmount bpffs"
	assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM" "with bpffs unmounted"
	wait_for 15 grep -q '"event":"repinned"' "$DLOG" || fail "the daemon did not pin again"
	[ -e /sys/fs/bpf/helixagent/hx_live ] || fail "the pins were not restored"
	$HX status >/dev/null || fail "status: not active after the pins came back"
	# The pins hold enforcement again: stop the daemon (SIGTERM, as systemd would).
	agent_stop
	grep -q "STOPPING=1" "$HXT_SUITE_TMP/notify" || fail "no STOPPING=1 on SIGTERM"
	assert_contains "$(in_sandbox hammer $TRY exec $X)" "exec: EPERM" "daemon gone, pins restored"
	# The next test wants a daemon whose syslog collector is away.
	dstart --syslog /run/hxd-late.sock
}

test_syslog_lines_a_collector_missed_are_counted_and_reported() {
	out=$HXT_TMP/late
	for i in 1 2 3; do in_sandbox hammer $TRY exec $X >/dev/null; done
	wait_for 10 sh -c "[ \$(awk '\$1 == \"lost_syslog\" { print \$2 }' /run/helixagent/counters) -ge 3 ]" ||
		fail "lines the collector missed were not counted"
	$HXBIN/hx-sockrecv unix /run/hxd-late.sock "$out" &
	rpid=$!
	wait_for 10 test -S /run/hxd-late.sock
	# The daemon retries the socket with a backoff (at most 5 s): until then lines are lost.
	got=
	for i in $(seq 1 20); do
		pid=$(result_pid "$(in_sandbox hammer $TRY exec $X)")
		if wait_for 1 grep -q "\"pid\":$pid," "$out"; then
			got=$pid
			break
		fi
	done
	[ -n "$got" ] || fail "no line after the collector came back"
	wait_for 15 grep -q '"drop_reason":"syslog"' "$out" ||
		fail "no events_dropped(syslog) after the collector came back"
	total=$(grep '"drop_reason":"syslog"' "$out" | tail -n 1 | sed 's/^[^{]*//' | jq .helixagent.dropped_total)
	[ "$total" -ge 3 ] || fail "reported $total lost lines"
	wait_for 5 sh -c "[ \$(awk '\$1 == \"lost_syslog\" { print \$2 }' /run/helixagent/counters) = $total ]" ||
		fail "the daemon counts $(counter lost_syslog) lost lines, the report says $total"
	kill "$rpid"
}

test_daemon_under_valgrind() {
	command -v valgrind >/dev/null ||
		skip "valgrind is not in this image (tools/vmtest-valgrind.sh puts it there)"
	agent_stop
	vlog=$HXT_TMP/valgrind.log
	valgrind --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --track-fds=yes --error-exitcode=99 \
		--suppressions="$HXT_DIR/valgrind-daemon.supp" --log-file="$vlog" $HX run -c "$LIVE" --audit-log "$AUDIT_LOG" \
		--metrics-listen "$METRICS" $SUITE_ARGS >>"$DLOG" 2>&1 &
	vpid=$!
	echo $vpid >"$(agent_pidfile)"
	wait_for 560 _ready_or_dead $vpid
	_ready $vpid || { cat "$vlog" >&2; fail "daemon under valgrind not ready"; }
	for i in 1 2 3; do in_sandbox hammer $TRY exec $X >/dev/null; done
	use_policy "$POL_B"
	reload
	use_policy "$POL_BAD"
	reload
	use_policy "$POL_A"
	reload
	kill -USR1 $vpid
	scrape >/dev/null
	kill $vpid
	wait $vpid
	rc=$?
	cat "$vlog" >&2
	note "valgrind: $(grep -E 'ERROR SUMMARY|definitely lost|FILE DESCRIPTORS' "$vlog" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
	assert_eq 0 "$rc" "valgrind's exit status"
	grep -q "ERROR SUMMARY: 0 errors" "$vlog" || fail "valgrind found errors"
	# Open at exit: stdin, stdout, stderr and valgrind's own log, nothing of the daemon's.
	grep -q "FILE DESCRIPTORS: 4 open (3 std) at exit" "$vlog" || fail "the daemon left descriptors open"
	dstart
}
