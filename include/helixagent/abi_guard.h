/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The guard's part of the ABI: the agent protecting itself and the containment
 * baseline every sandbox gets (bpf/guard.bpf.c, bpf/contain.bpf.c,
 * src/loader/guard.c, src/events/audit_guard.c).
 */
#ifndef HELIXAGENT_ABI_GUARD_H
#define HELIXAGENT_ABI_GUARD_H

#include "helixagent/abi.h"

/* hx_guard: the single entry names what sandboxes may never touch. */
struct hx_guard {
	__u32 agent_tgid; /* the daemon: no signals, no ptrace from sandboxes */
	__u32 host_mntns; /* the daemon's mount namespace (inode number): the host's */
	__u32 host_netns; /* the daemon's network namespace (inode number): the host's */
	__u32 host_utsns; /* the daemon's UTS namespace (inode number): the host's */
};

/*
 * hx_sbx_cfg.relax: what the policy's containment: section gives back of the
 * baseline every sandbox gets (docs/threat-model.md). Nothing else of the
 * baseline or the guard can be relaxed.
 */
#define HX_RELAX_KERNEL_TUNABLES (1u << 0) /* writes under /proc/sys and /sys */
#define HX_RELAX_RAW_DEVICES (1u << 1) /* block devices, CAP_SYS_RAWIO */
#define HX_RELAX_NETWORK_ADMIN (1u << 2) /* CAP_NET_ADMIN over the host's network namespace */
#define HX_RELAX_SYSTEM_TIME (1u << 3) /* CAP_SYS_TIME */

/* hx_sbx_cfg.mount_types: the filesystem types containment.mount may name */
#define HX_MNT_TMPFS (1u << 0)
#define HX_MNT_PROC (1u << 1)
#define HX_MNT_SYSFS (1u << 2)
#define HX_MNT_MQUEUE (1u << 3)
#define HX_MNT_DEVPTS (1u << 4)
#define HX_MNT_RAMFS (1u << 5)
#define HX_MNT_OVERLAY (1u << 6)
#define HX_MNT_BIND (1u << 7) /* bind mounts of what the sandbox can already reach */
#define HX_MNT_COUNT 8

/*
 * Built-in rules: the containment baseline every sandbox gets and the guard
 * of the agent's own life. An event's rule_id is HX_RULE_BUILTIN | enum
 * hx_builtin; the audit stream names them (src/events/audit_guard.c).
 */
enum hx_builtin {
	HX_BI_CGROUP_ESCAPE = 1, /* guard.cgroup_escape */
	HX_BI_CGROUPFS, /* guard.cgroupfs */
	HX_BI_MOUNT, /* baseline.mount */
	HX_BI_KERNEL_TUNABLES, /* baseline.kernel_tunables: /proc/sys, /sys, kernel pseudo filesystems */
	HX_BI_RAW_DEVICES, /* baseline.raw_devices */
	HX_BI_KERNEL_MODULES, /* baseline.kernel_modules */
	HX_BI_KEXEC, /* baseline.kexec */
	HX_BI_KERNEL_LOAD, /* baseline.kernel_load: firmware, policy, certificates */
	HX_BI_CAPABILITY, /* baseline.capability */
	HX_BI_HOST_SYSCALL, /* baseline.host_syscall: swapon, swapoff, ... */
	HX_BI_PROC_PID, /* guard.proc_pid: /proc/PID of a process outside the sandbox */
	HX_BI_SIGIO, /* guard.sigio */
	HX_BI_SCHED, /* guard.sched: nice, I/O priority, scheduler, affinity, memory placement */
	HX_BI_PRLIMIT, /* guard.prlimit */
	HX_BI_LEASE, /* guard.lease */
	HX_BI_FANOTIFY, /* baseline.fanotify_permission */
	HX_BI_TTY_INJECT, /* baseline.tty_injection */
	HX_BI_PERF, /* baseline.perf_kernel */
	HX_BI_MAX,
};

#endif
