#!/bin/sh
# Kubernetes policy selector: finds the cgroups of the pods on this node that
# match a label selector and writes a HelixAgent policy with one sandbox per
# pod, governing the pod's cgroup (every container of the pod is below it).
# The daemon reloads the file when it changes (atomically, by rename). Run as a
# sidecar of the agent's DaemonSet (deploy/kubernetes/helixagent.yaml).
#
#   k8s-policy-selector.sh --base BASE.yaml --template SANDBOX.yaml --selector 'app=web'
#                          --out /run/helixagent-policy/helixagent.yaml
#                          [--node NAME] [--interval SECONDS] [--once]
#                          [--cgroup-driver systemd|cgroupfs] [--pods-json FILE]
#
#   BASE.yaml      the policy without the selected sandboxes; its last top-level
#                  key is `sandboxes:` (or it has none, and one is added)
#   SANDBOX.yaml   the body of each selected sandbox (exec:, filesystem:, ...),
#                  indented as at the top level; `cgroup:` is added
#   --selector     a kubectl label selector
#   --pods-json    read the pod list from FILE instead of kubectl (for tests)
#
# A pod's cgroup, by QoS class (UID dashes become underscores with systemd):
#   systemd:  /kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid>.slice
#             /kubepods.slice/kubepods-pod<uid>.slice                  (Guaranteed)
#   cgroupfs: /kubepods/<qos>/pod<uid>,  /kubepods/pod<uid>              (Guaranteed)
# Pods whose cgroup is not on this node yet are left out until the next pass.
set -eu

base='' template='' selector='' out='' node=${NODE_NAME:-} interval=30 once=0
driver=systemd pods_json='' cgroot=${HX_CGROUP_ROOT:-/sys/fs/cgroup}
while [ $# -gt 0 ]; do
	case $1 in
	--base) base=$2; shift 2 ;;
	--template) template=$2; shift 2 ;;
	--selector) selector=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--node) node=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--once) once=1; shift ;;
	--cgroup-driver) driver=$2; shift 2 ;;
	--pods-json) pods_json=$2; shift 2 ;;
	*) echo "k8s-policy-selector: unknown argument '$1'" >&2; exit 1 ;;
	esac
done
[ -n "$base" ] && [ -n "$template" ] && [ -n "$out" ] || {
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' >&2
	exit 1
}

# pods: "NAMESPACE NAME UID QOS" of the running pods on this node that match.
pods() {
	if [ -n "$pods_json" ]; then
		cat "$pods_json"
	else
		kubectl get pods --all-namespaces -o json \
			${selector:+-l "$selector"} ${node:+--field-selector "spec.nodeName=$node"}
	fi | jq -r '.items[] | select(.status.phase == "Running" or .status.phase == "Pending") |
		"\(.metadata.namespace) \(.metadata.name) \(.metadata.uid) \(.status.qosClass // "BestEffort")"'
}

cgroup_of() { # UID QOS
	qos=$(echo "$2" | tr 'A-Z' 'a-z')
	if [ "$driver" = systemd ]; then
		u=$(echo "$1" | tr '-' '_')
		if [ "$qos" = guaranteed ]; then
			echo "/kubepods.slice/kubepods-pod$u.slice"
		else
			echo "/kubepods.slice/kubepods-$qos.slice/kubepods-$qos-pod$u.slice"
		fi
	elif [ "$qos" = guaranteed ]; then
		echo "/kubepods/pod$1"
	else
		echo "/kubepods/$qos/pod$1"
	fi
}

generate() {
	tmp=$out.tmp.$$
	{
		cat "$base"
		grep -q '^sandboxes:' "$base" || echo "sandboxes:"
		pods | while read -r ns name uid qos; do
			cg=$(cgroup_of "$uid" "$qos")
			[ -d "$cgroot$cg" ] || continue
			# sandbox names: [a-z0-9_-]{1,63}
			sb=$(printf 'k8s-%s-%s' "$ns" "$name" | tr -c 'a-z0-9_\n-' '_' | cut -c1-63)
			printf '  %s:\n    cgroup: %s\n' "$sb" "$cg"
			sed 's/^/    /' "$template"
		done
	} >"$tmp"
	# Only a changed policy is moved into place: the daemon reloads on change.
	if [ -f "$out" ] && cmp -s "$tmp" "$out"; then
		rm -f "$tmp"
	else
		mv -f "$tmp" "$out"
	fi
}

mkdir -p "$(dirname "$out")"
while :; do
	generate || echo "k8s-policy-selector: this pass failed; the last policy stays" >&2
	[ "$once" = 0 ] || exit 0
	sleep "$interval"
done
