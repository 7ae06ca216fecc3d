// SPDX-License-Identifier: GPL-2.0
/*
 * Producer of the audit throughput benchmark: each getppid() of the benchmark's producer
 * process (seen at raw_tp/sys_enter) emits one filesystem denial record, built and sent the way the agent's hooks
 * send theirs (per-CPU scratch event, bpf_ringbuf_output without the unused tail, a
 * counted drop when the ring is full). Runs on the host: tracepoints and ring buffers
 * load there, LSM programs do not.
 */
#include <linux/bpf.h>
#include <linux/types.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>

#include "helixagent/abi.h"

const volatile __u32 producer_tgid;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* the agent's default ring */
} ev_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hx_event);
} ev_scratch SEC(".maps");

/* 0: records sent, 1: records lost to a full ring */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} ev_count SEC(".maps");

#define PATH "shadow\0etc\0" /* /etc/shadow, leaf first, ends at the root */
#define EXE "/usr/libexec/hx/hx-try"
#define NR_GETPPID 110 /* x86_64 */

/* raw_tp needs no tracefs, which the host does not mount */
SEC("raw_tp/sys_enter")
int ev_produce(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 zero = 0, slot;
	struct hx_event *e;
	__u64 *n;

	if ((pid_tgid >> 32) != producer_tgid || ctx->args[1] != NR_GETPPID)
		return 0;
	e = bpf_map_lookup_elem(&ev_scratch, &zero);
	if (!e)
		return 0;
	e->type = HX_EV_DECISION;
	e->action = HX_ACT_OPEN;
	e->family = HX_FAM_FILE;
	e->decision = 1;
	e->mode = 0;
	e->access = HX_ACC_R;
	e->flags = 0;
	e->generation = 1;
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->cgid = bpf_get_current_cgroup_id();
	e->start_boot_ns = 0;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = 1;
	e->uid = 0;
	e->gid = 0;
	e->sbx = 0;
	e->err = -1;
	e->rule_id = 0;
	e->dev = 0x800001;
	e->ino = 1234567;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->path, PATH, sizeof(PATH));
	e->path_len = sizeof(PATH);
	__builtin_memcpy(e->exe, EXE, sizeof(EXE) - 1);
	e->exe_len = sizeof(EXE) - 1;
	e->nargs = 0;
	e->args_len = 0;
	/* as hx_event_submit: the record ends where its path does */
	slot = bpf_ringbuf_output(&ev_ring, e, offsetof(struct hx_event, path) + sizeof(PATH), 0) ?
		       1 :
		       0;
	n = bpf_map_lookup_elem(&ev_count, &slot);
	if (n)
		(*n)++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
