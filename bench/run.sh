#!/bin/sh
# Host-side driver of the benchmarks (make bench): the VM suite on each kernel, the audit
# throughput and network benchmarks on the host, then the report.
#
#   bench/run.sh [KERNEL...]      kernel series as vmtest/run.sh takes them (default 6.1)
#
# Output: build/bench/vm-<series>.jsonl, native.jsonl and events.jsonl (raw), results.json and
# results.md (bench/report.py). Benchmarks never fail on time: the status is non-zero
# only when nothing could be measured.
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=build/bench
mkdir -p "$OUT"
[ $# -gt 0 ] || set -- 6.1

kernels=
for k in "$@"; do
	log=build/vmtest/$k-bench.log
	rm -f "$log"
	# suite-bench.sh stays out of tests/vm/ so that `--suite all` never runs it
	HX_VM_EXTRA_SUITES="bench/suite-bench.sh bench/policies.sh policy/examples/llm-tool-runner.yaml" \
		HXT_TIMEOUT=${HXT_TIMEOUT:-900} \
		vmtest/run.sh --kernel "$k" --suite bench --timeout "${BENCH_VM_TIMEOUT:-1800}" --keep-log ||
		echo "bench: the VM on $k reported failures (see $log); the figures it printed are kept" >&2
	if [ -f "$log" ]; then
		tr -d '\r' <"$log" | sed -n 's/^.*HXB \({.*}\)$/\1/p' >"$OUT/vm-$k.jsonl"
		kernels="$kernels $k"
	fi
done

# Audit throughput: natively, the host loads tracepoint programs and ring buffers.
if ! build/bench/hx-bench-events -s "${BENCH_EVENTS_SECONDS:-2}" >"$OUT/events.jsonl" 2>"$OUT/events.err"; then
	echo "bench: the events benchmark failed: $(tail -n 1 "$OUT/events.err")" >&2
fi

# Network figures natively too: the host loads cgroup sock_addr programs.
if ! bench/native.sh >"$OUT/native.jsonl" 2>"$OUT/native.err"; then
	echo "bench: the native network benchmark failed: $(tail -n 1 "$OUT/native.err")" >&2
fi

# shellcheck disable=SC2086
python3 bench/report.py "$OUT" $kernels || exit 1
echo "bench: $OUT/results.md, $OUT/results.json"
