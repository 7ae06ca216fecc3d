#!/bin/bash
# Runs the product on its embedded default policy inside a VM: installs what
# is needed, builds, boots a Debian kernel, starts the agent, shows a denial
# and its audit line. KERNEL=5.10|6.1|6.12|newest (default 6.1).
set -eu
cd "$(dirname "$0")/.."
tools/deps.sh
make -j2
kernel=${KERNEL:-6.1}
out=build/vmtest
mkdir -p "$out"
rc=0
vmtest/run.sh --kernel "$kernel" --suite demo --keep-log >"$out/demo-run.txt" 2>&1 || rc=$?
grep -a -v ' | ' "$out/demo-run.txt" || true
echo
grep -a '^DEMO' "$out/$kernel-demo.log" | sed 's/^DEMO //' || true
exit $rc
