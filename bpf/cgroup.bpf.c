// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroups made after the load. The loader enters every sandbox's cgroup path
 * in hx_cgpath; when a cgroup is created under one of those paths, its id is
 * mapped to the sandbox here, in the kernel. The tracepoint fires inside
 * cgroup_mkdir, under the cgroup mutex and before the directory is
 * activated, so no process can be moved into the new cgroup before its rules
 * apply: an explicit cgroup missing at load (a unit not started yet, a pod
 * not scheduled yet), or one removed and made again, is governed from its
 * first process on. The daemon still looks for such cgroups four times a
 * second (the fallback where this does not apply: a path too long for the
 * key, a cgroup2 mount that is not the hierarchy's root, a full hx_cgrp).
 */
#include "lib/common.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* resized by the loader */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hx_cgpath_key);
	__type(value, struct hx_cgrp_val);
} hx_cgpath SEC(".maps");

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(hx_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct hx_cgpath_key key = {};
	struct hx_cgrp_key ck = {};
	struct hx_cgrp_val *v;
	struct hx_live *live;
	__u32 zero = 0;
	long n;

	/* The unified hierarchy only: the ids of a v1 hierarchy are another
	 * kernfs's, and could equal a v2 cgroup's. */
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	live = bpf_map_lookup_elem(&hx_live, &zero);
	if (!live || !live->ready)
		return 0;
	key.slot = live->slot & 1;
	n = bpf_probe_read_kernel_str(key.path, sizeof(key.path), path);
	/* A path that filled the key may have been cut: never an entry's. */
	if (n <= 0 || n >= (long)sizeof(key.path))
		return 0;
	v = bpf_map_lookup_elem(&hx_cgpath, &key);
	if (!v)
		return 0;
	ck.cgid = BPF_CORE_READ(cgrp, kn, id);
	ck.slot = key.slot;
	bpf_map_update_elem(&hx_cgrp, &ck, v, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
