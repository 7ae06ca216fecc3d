/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ABI between the BPF programs and the userspace loader: map keys and
 * values, event records. Fixed-width types and explicit padding only, since
 * both sides (clang -target bpf and the host compiler) must agree on layout
 * (tests/unit/test_abi_btf.c holds every member against the BPF object's BTF).
 * This header holds what every family shares; each family's own maps are in
 * abi_exec.h, abi_file.h, abi_net.h and abi_guard.h, which include it.
 */
#ifndef HELIXAGENT_ABI_H
#define HELIXAGENT_ABI_H

#ifdef __bpf__
/* vmlinux.h provides the __u* types */
#else
#include <linux/types.h>
#endif

/*
 * Policy slots. Every policy map key carries the slot it belongs to; the
 * live slot is switched by one write to hx_live, so a reload swaps the
 * whole policy at once.
 */
#define HX_SLOTS 2

/* Rule families */
enum hx_family {
	HX_FAM_EXEC = 0,
	HX_FAM_FILE = 1,
	HX_FAM_NET = 2,
	HX_FAM_GUARD = 3, /* the agent protecting itself */
	HX_FAM_MAX = 4,
};

/* What the kernel decided (hx_event.decision, the hx_stats counters) */
enum hx_decision {
	HX_DECISION_ALLOW = 0,
	HX_DECISION_DENY = 1,
	HX_DECISION_AUDIT = 2, /* would deny; mode audit let it through */
	HX_DECISION_MAX = 3,
};

/* Access bits for object (inode) rules */
#define HX_ACC_R 0x1
#define HX_ACC_W 0x2
#define HX_ACC_X 0x4

enum hx_verdict {
	HX_V_ALLOW = 0,
	HX_V_DENY = 1,
};

enum hx_mode {
	HX_MODE_ENFORCE = 0,
	HX_MODE_AUDIT = 1,
};

/* hx_sbx_cfg.flags */
#define HX_SBX_EXEC_PRESENT (1u << 0) /* exec family restricted */
#define HX_SBX_EXEC_DEFAULT_DENY (1u << 1)
#define HX_SBX_EXEC_FORBIDDEN (1u << 2) /* permissions.allow_exec: false */
#define HX_SBX_AUDIT_EXEC_OK (1u << 3) /* log command_execute on allowed exec */
#define HX_SBX_AUDIT_DENIED (1u << 4) /* log permission_denied */
#define HX_SBX_FS_PRESENT (1u << 8) /* filesystem family restricted */
#define HX_SBX_FS_DEFAULT_DENY (1u << 9)
#define HX_SBX_FS_FORBIDDEN (1u << 10) /* permissions.allow_filesystem: false */
#define HX_SBX_FS_NO_SYMLINKS (1u << 11) /* allow_symlinks: false */
#define HX_SBX_GUARD (1u << 12) /* protect the agent (set for every sandbox) */
#define HX_SBX_CMDS (1u << 5) /* blocked_commands present: check argv after exec */
#define HX_SBX_CAPS (1u << 6) /* capabilities.drop present */
#define HX_SBX_NNP (1u << 7) /* no_new_privileges: an exec gains no ids or capabilities */

/* hx_live: the single entry says which slot is live. */
struct hx_live {
	__u32 slot;
	__u32 generation;
	__u32 ready; /* 0 until a policy was ever installed */
	__u32 pad;
};

/*
 * hx_build[0]: what the pinned links run: SHA-256 (hex) of the BPF object, the
 * programs this kernel loads of it and the kernel's release. A daemon whose
 * own build gives the same text adopts the pinned links instead of verifying
 * and attaching every program again; all zero while links are being replaced.
 */
struct hx_build {
	char id[64];
};

/* hx_cgrp: cgroup id -> sandbox index, per slot */
struct hx_cgrp_key {
	__u64 cgid;
	__u32 slot;
	__u32 pad;
};

struct hx_cgrp_val {
	__u32 sbx;
	__u32 pad;
};

/*
 * hx_cgpath: (slot, cgroup path) -> sandbox (struct hx_cgrp_val). Every
 * sandbox's cgroup, as a path from the cgroup2 hierarchy's root ("/a/b", no
 * trailing slash, zero-padded): cgroup.bpf.c maps a cgroup created under that
 * path in hx_cgrp the moment it is made. Paths of HX_CGPATH_MAX - 1 bytes
 * or more are not entered (the daemon's watch maps them).
 */
#define HX_CGPATH_MAX 252
struct hx_cgpath_key {
	__u32 slot;
	char path[HX_CGPATH_MAX];
};

/* hx_sbx: (slot, sandbox) -> configuration */
struct hx_sbx_key {
	__u32 slot;
	__u32 sbx;
};

struct hx_sbx_cfg {
	__u32 flags;
	__u8 mode; /* enum hx_mode */
	__u8 relax; /* HX_RELAX_*: the containment baseline's relaxations (policy containment:) */
	__u16 mount_types; /* HX_MNT_* the sandbox may mount in a mount namespace of its own */
	__u64 cap_deny; /* capabilities refused to the sandbox (CAP_* bits), even for root */
};

/* hx_inode: rules on filesystem objects, shared by the exec and file families */
struct hx_inode_key {
	__u64 dev; /* kernel encoding: major << 20 | minor */
	__u64 ino;
	__u32 slot;
	__u16 sbx;
	__u8 family; /* enum hx_family */
	__u8 pad;
};

struct hx_inode_rule {
	__u32 rule_id; /* index into the loader's rule name table */
	__u8 allow; /* HX_ACC_* granted */
	__u8 deny; /* HX_ACC_* refused: wins over allow on the same object */
	__u8 flags; /* HX_RULE_* */
	__u8 pad;
};

/*
 * A rule that only refuses: when the access needs none of its deny bits,
 * the walk goes on to the ancestors as if it were not there. The agent's
 * own files are protected this way in every sandbox.
 */
#define HX_RULE_CONTINUE 0x1

/* Counters: per (slot, sandbox, family), per CPU */
struct hx_stat_key {
	__u32 slot;
	__u16 sbx;
	__u8 family;
	__u8 pad;
};

struct hx_stat_val { /* one counter per enum hx_decision, in its order */
	__u64 allow;
	__u64 deny;
	__u64 audit;
};

/* hx_drops: per-CPU array of reasons for lost events or unresolvable objects */
enum hx_drop {
	HX_DROP_RINGBUF = 0, /* ring buffer full: event lost, decision stood */
	HX_DROP_WALK_DEPTH, /* path deeper than the walk bound: denied */
	HX_DROP_CGRP_DEPTH, /* cgroup deeper than the walk bound */
	HX_DROP_NO_FILE, /* hook had no file to judge: denied */
	HX_DROP_RATE_LIMIT, /* the sandbox's rate_limit: event suppressed, decision stood */
	HX_DROP_MAX,
};

/* Events */
enum hx_ev_type {
	HX_EV_DECISION = 1,
};

enum hx_action {
	HX_ACT_EXEC = 1,
	/* filesystem */
	HX_ACT_OPEN = 2,
	HX_ACT_EXEC_OPEN = 3,
	HX_ACT_MMAP_EXEC = 4,
	HX_ACT_MPROTECT_EXEC = 5,
	HX_ACT_TRUNCATE = 6,
	HX_ACT_CREATE = 7,
	HX_ACT_MKDIR = 8,
	HX_ACT_RMDIR = 9,
	HX_ACT_UNLINK = 10,
	HX_ACT_SYMLINK = 11,
	HX_ACT_LINK = 12,
	HX_ACT_RENAME = 13,
	HX_ACT_CHMOD = 14,
	HX_ACT_CHOWN = 15,
	HX_ACT_SETXATTR = 16,
	HX_ACT_FS_MAX,
	/* 32 and up: network (abi_net.h) */
	/* self-protection */
	HX_ACT_BPF = 64,
	HX_ACT_KILL = 65,
	HX_ACT_PTRACE = 66,
	HX_ACT_CAPABLE = 67,
	HX_ACT_COMMAND = 68, /* a blocked command, killed before its first instruction */
	HX_ACT_EXEC_CREDS = 69, /* an exec that would gain privileges (no_new_privileges) */
	/* containment (bpf/contain.bpf.c) */
	HX_ACT_MOUNT = 70, /* mount(2): new, bind, move, remount, propagation */
	HX_ACT_UMOUNT = 71,
	HX_ACT_PIVOT_ROOT = 72,
	HX_ACT_MOVE_MOUNT = 73,
	HX_ACT_MOUNT_API = 74, /* fsopen, fsconfig, fsmount, fspick, open_tree, mount_setattr */
	HX_ACT_CLONE = 75, /* clone3(CLONE_INTO_CGROUP) */
	HX_ACT_KERNEL_READ = 76, /* finit_module, kexec_file_load, firmware, policy */
	HX_ACT_KERNEL_LOAD = 77, /* init_module, kexec_load */
	HX_ACT_MODULE_REQUEST = 78, /* a module the kernel would load on the sandbox's behalf */
	HX_ACT_SIGIO = 79, /* SIGIO/SIGURG through F_SETOWN */
	HX_ACT_SETNICE = 80,
	HX_ACT_SETIOPRIO = 81,
	HX_ACT_SETSCHED = 82,
	HX_ACT_PRLIMIT = 83,
	HX_ACT_LEASE = 84,
	HX_ACT_FANOTIFY = 85, /* a fanotify permission mark: it would stall whoever opens */
	HX_ACT_SYSCALL = 86, /* a host-wide syscall refused through its capability check */
	HX_ACT_MOVEMEM = 87,
	HX_ACT_IOCTL = 88, /* TIOCSTI, TIOCLINUX: typing into a terminal */
	HX_ACT_PERF = 89, /* perf_event_open of kernel events, tracepoints, probes */
};

/* hx_event.flags */
#define HX_EVF_PATH_TRUNC (1u << 0) /* path components beyond the buffer */
#define HX_EVF_EXE_TRUNC (1u << 1)
#define HX_EVF_NO_RULE (1u << 2) /* decided by default_policy */
#define HX_EVF_FORBIDDEN (1u << 3) /* decided by permissions.allow_X: false */
#define HX_EVF_UNRESOLVED (1u << 4) /* the object could not be resolved: denied */
#define HX_EVF_FILELESS (1u << 5) /* exec of a file with no name (memfd, deleted) */
#define HX_EVF_KILLED (1u << 6) /* enforced by SIGKILL before the program ran */

#define HX_PATH_BUF 4096
#define HX_EXE_BUF 1024
#define HX_ARGS_BUF 512
#define HX_COMM_LEN 16

/*
 * One decision. Paths are stored as NUL-terminated components from the leaf
 * up (e.g. "id\0bin\0usr\0"); the reader reverses them. A path that reached
 * the root ends with an empty component.
 */
struct hx_event {
	__u16 type; /* enum hx_ev_type */
	__u16 action; /* enum hx_action */
	__u8 family;
	__u8 decision; /* enum hx_decision */
	__u8 mode;
	__u8 access; /* HX_ACC_* requested (filesystem family) */
	__u32 flags;
	__u32 generation;
	__u64 ts_boot_ns;
	__u64 cgid;
	__u64 start_boot_ns; /* process start, for process.entity_id */
	__u32 pid; /* process (thread group) id */
	__u32 tid; /* thread id */
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 sbx;
	__s32 err;
	__u32 rule_id; /* ~0u: no rule matched */
	__u64 dev;
	__u64 ino;
	char comm[HX_COMM_LEN];
	/* network family: the destination (or the bound address for bind) */
	__u8 daddr[16]; /* IPv4 in the first 4 bytes, network order */
	__u16 dport; /* host order */
	__u8 af; /* AF_INET or AF_INET6, after unmapping ::ffff:a.b.c.d */
	__u8 proto; /* IPPROTO_* */
	__u8 direction; /* 0 egress, 1 ingress */
	__u8 nargs; /* arguments in args[] (exec events) */
	__u16 args_len; /* bytes used in args[] */
	__u16 path_len; /* bytes used in path[] */
	__u16 exe_len; /* bytes used in exe[] */
	__u32 target_pid; /* kill, ptrace: the process acted upon */
	char exe[HX_EXE_BUF];
	char args[HX_ARGS_BUF]; /* argv, NUL-separated, the first HX_ARGS_BUF bytes */
	/* last, so a record is sent only as long as its path (hx_event_submit) */
	char path[HX_PATH_BUF];
};

#define HX_RULE_NONE 0xffffffffu
/* A built-in rule's id: HX_RULE_BUILTIN | enum hx_builtin (helixagent/abi_guard.h) */
#define HX_RULE_BUILTIN 0x80000000u

/*
 * Per-sandbox event rate limit (policy rate_limit), a GCRA bucket: an event
 * is admitted when the theoretical arrival time is at most tolerance_ns
 * ahead of now; each admitted event moves it interval_ns further.
 * hx_rate: (slot, sandbox) -> configuration; no entry: no limit.
 * hx_rl: sandbox index -> state and the count of suppressed events.
 */
#define HX_RL_SANDBOXES 4096

struct hx_rate_cfg {
	__u64 interval_ns; /* window / events */
	__u64 tolerance_ns; /* window - interval: a full window's events in a burst */
};

struct hx_rl_state {
	__u64 tat; /* bpf_ktime_get_ns() time */
	__u64 suppressed; /* events not sent, ever (the daemon reports the growth) */
};

#ifndef __bpf__
_Static_assert(sizeof(struct hx_inode_key) == 24, "hx_inode_key layout");
_Static_assert(sizeof(struct hx_cgrp_key) == 16, "hx_cgrp_key layout");
_Static_assert(sizeof(struct hx_cgpath_key) == 256, "hx_cgpath_key layout");
_Static_assert(sizeof(struct hx_event) == 136 + HX_PATH_BUF + HX_EXE_BUF + HX_ARGS_BUF,
	       "hx_event layout");
#endif

#endif
