/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The process sandbox behind `helixagent exec` (SPEC section 4).
 *
 *   launch.c     the command: policy, validation, run cgroup, start, wait, clean up
 *   cmd.c        command validation (tools.security.command_validation)
 *   env.c        environment rules (inherit, allowed_vars, blocked_vars)
 *   cgroup_run.c the per-run child cgroup: limits, statistics, kill, removal
 *   monitor.c    resource counters -> resource_violation events
 *   child.c      what runs in the new process: namespaces, init, then the program
 *   mounts.c     read-only / writable / masked paths, tmpfs, root_fs, /proc
 *   seccomp.c    the default seccomp filter
 *   caps.c       capability sets (bounding, inheritable, ambient, effective)
 *
 * Nothing here but launch.c logs; functions return 0 or a negative errno.
 */
#ifndef HX_SANDBOX_H
#define HX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

/*
 * Exit status of `helixagent exec` when the launcher, not the program, ends
 * the run. Otherwise the status is the program's (128+N for signal N).
 */
#define HX_EXEC_EXIT_USAGE 1 /* usage, invalid policy, unknown sandbox */
#define HX_EXEC_EXIT_SYSTEM 2 /* agent not enforcing, cgroup not created, setup failed */
#define HX_EXEC_EXIT_LIMIT 3 /* the kernel refused a limit of the policy */
#define HX_EXEC_EXIT_REFUSED 4 /* command_validation refused the command */
#define HX_EXEC_EXIT_CANNOT_EXEC 126 /* found but not executable (or denied) */
#define HX_EXEC_EXIT_NOT_FOUND 127

/* ---- cmd.c ---- */

struct hx_cmd_verdict {
	bool refused;
	const char *list; /* "blocked_commands", "blocked_patterns", "allowed_commands" */
	size_t index; /* entry of that list (allowed_commands: none, index is 0) */
	const char *entry;
	char command[256]; /* the simple command that was refused, normalised */
};

/*
 * Checks a shell command string: blocked_patterns (POSIX ERE) against the
 * whole string, blocked_commands and allowed_commands against each simple
 * command in it (see cmd.c). Returns 0 (verdict in *out), -EINVAL when a
 * pattern does not compile (*out names it), -ENOMEM.
 */
int hx_cmd_validate_shell(const struct hx_cmd_validation *v, const char *cmd,
			  struct hx_cmd_verdict *out);
/* Checks an argv command: blocked_commands and allowed_commands, no patterns. */
int hx_cmd_validate_argv(const struct hx_cmd_validation *v, char *const *argv,
			 struct hx_cmd_verdict *out);
/*
 * The simple commands of a shell string, normalised: words separated by one
 * space, quotes removed, the command word reduced to its basename, leading
 * assignments and wrappers (env, nice, exec, ...) skipped; `sh -c STRING` and
 * `eval` contribute the commands of their string. For tests.
 */
int hx_cmd_simple_commands(const char *s, struct hx_strings *out);
void hx_cmd_strings_free(struct hx_strings *s);

/* ---- env.c ---- */

/*
 * The environment of the program: from @in (the launcher's) keep everything
 * when inherit is true, else only names matching allowed_vars; then drop
 * names matching blocked_vars, always. permissions.allow_environment: false
 * passes nothing. *out is a NULL-terminated array (hx_env_free).
 */
int hx_env_build(const struct hx_env_policy *env, enum hx_tri allow_environment, char *const *in,
		 char ***out);
void hx_env_free(char **env);
/* Whether NAME (of @len bytes) matches one of the globs. */
bool hx_env_match(const struct hx_strings *globs, const char *name, size_t len);

/* ---- cgroup_run.c ---- */

#define HX_V1_MAX 3

/* A cgroup v1 hierarchy of a hybrid layout, for a controller cgroup2 does not have. */
struct hx_v1_cg {
	const char *ctrl; /* "memory", "cpu", "pids" */
	char path[800]; /* <v1 mount><sandbox cgroup>/run-N */
	bool created;
};

struct hx_run_cg {
	char root[256]; /* the cgroup2 mount */
	char rel[512]; /* "/helixagent/web/run-123" */
	char path[800]; /* root + rel */
	uint64_t id;
	bool created;
	struct hx_v1_cg v1[HX_V1_MAX]; /* the same run in v1 hierarchies, for their limits */
	size_t nv1;
};

/* Creates root+parent+"/"+name; fails with -EEXIST if it exists. */
int hx_runcg_create(struct hx_run_cg *cg, const char *root, const char *parent, const char *name);
/*
 * Writes memory.max, cpu.max and pids.max (enabling the controllers on the
 * way down from the root when needed). A controller that cgroup2 does not
 * have but a cgroup v1 hierarchy does (a hybrid layout) is limited there,
 * in a run cgroup of the same path: memory.limit_in_bytes,
 * cpu.cfs_quota_us, pids.max. On failure @what names the file or
 * controller.
 */
int hx_runcg_apply_limits(struct hx_run_cg *cg, const struct hx_limits *l, char *what, size_t wlen);
/* SIGKILLs every process of the cgroup and below (cgroup.kill, or freeze and kill on 5.10). */
int hx_runcg_kill(struct hx_run_cg *cg);
/* Kills what is left, waits until the cgroup is empty and removes it and its children. */
int hx_runcg_destroy(struct hx_run_cg *cg);
bool hx_runcg_populated(const struct hx_run_cg *cg);

struct hx_runcg_stats {
	uint64_t mem_max, mem_oom, mem_oom_kill; /* memory.events */
	uint64_t mem_current, mem_peak; /* bytes; peak 0 when the kernel has no memory.peak */
	uint64_t pids_max; /* pids.events */
	uint64_t pids_current, pids_peak;
	uint64_t cpu_usage_usec, cpu_nr_throttled, cpu_throttled_usec;
};
void hx_runcg_stats(const struct hx_run_cg *cg, struct hx_runcg_stats *s);

/* The mount point of the cgroup v1 hierarchy with @ctrl in a mountinfo text; -ENOENT if none. */
int hx_mountinfo_v1(const char *mountinfo, const char *ctrl, char *out, size_t len);

/* "key value" lines (memory.events, cpu.stat): the value of @key. */
int hx_kv_find(const char *text, const char *key, uint64_t *out);
/* cpu.max for thousandths of a CPU: "QUOTA PERIOD". */
int hx_cpu_max_format(uint32_t milli, char *buf, size_t len);

/* ---- monitor.c ---- */

enum hx_violation_kind {
	HX_VIO_MEMORY_MAX, /* memory.events max: reclaim at memory.max */
	HX_VIO_MEMORY_OOM, /* memory.events oom */
	HX_VIO_MEMORY_OOM_KILL, /* memory.events oom_kill */
	HX_VIO_PIDS_MAX, /* pids.events max: a fork refused */
	HX_VIO_CPU_THROTTLED, /* cpu.stat nr_throttled */
	HX_VIO_TIMEOUT, /* max_execution_time */
	HX_VIO_MAX,
};

struct hx_violation {
	enum hx_violation_kind kind;
	const char *resource; /* "memory", "pids", "cpu", "time" */
	const char *limit_name; /* "max_memory", ... */
	const char *counter; /* "memory.events:oom_kill", ... */
	uint64_t limit; /* in the policy's unit: bytes, processes, milli-CPU, ms */
	uint64_t current; /* the value seen, same unit */
	uint64_t count; /* the counter's value */
};

/*
 * Compares two readings of the counters; fills @out with the kinds whose
 * counter grew and that were not reported yet (*reported, a bit mask).
 * Returns how many.
 */
size_t hx_monitor_diff(const struct hx_limits *l, const struct hx_runcg_stats *before,
		       const struct hx_runcg_stats *now, uint64_t elapsed_ms, unsigned *reported,
		       struct hx_violation *out, size_t max);
/* The timeout as a violation. */
void hx_monitor_timeout(const struct hx_limits *l, uint64_t elapsed_ms, struct hx_violation *out);

/* ---- child.c / mounts.c / seccomp.c / caps.c ---- */

/* Where a setup step failed, reported to the launcher through a pipe. */
enum hx_stage {
	HX_STAGE_SETUP = 1, /* namespaces, mounts, seccomp, capabilities: system error */
	HX_STAGE_LIMIT, /* a limit the kernel refused (RLIMIT_NOFILE) */
	HX_STAGE_EXEC, /* execve of the program */
};

struct hx_child_err {
	int stage; /* enum hx_stage */
	int err; /* positive errno */
	char what[240];
};

/* What the child does; computed by the launcher from the sandbox. */
struct hx_run_plan {
	const char *sandbox;
	char *const *argv;
	char **envp;
	unsigned long ns_flags; /* CLONE_NEW* for the first child */
	bool userns; /* the program runs in a user namespace of its own */
	bool pidns; /* the first child is the init of a PID namespace */
	bool mountns;
	bool netns;
	uint32_t nofile; /* RLIMIT_NOFILE, 0 unchanged */
	bool nnp;
	bool seccomp;
	bool caps_set; /* change the capability sets */
	uint64_t caps_keep; /* CAP_* bits the program keeps (all when !caps_set) */
	uint64_t caps_added; /* capabilities.add: never dropped by the launcher's own hardening */
	const struct hx_process_opts *proc;
	const char *cgroup_mount; /* made read-only inside a mount namespace */
	int go_fd; /* launcher -> child: one byte when the child may go on */
	int err_fd; /* child -> launcher: struct hx_child_err on failure (CLOEXEC) */
	/*
	 * The run cgroup's cgroup.procs, opened by the launcher. The program
	 * joins through it after its own setup and right before exec: the
	 * setup needs privileges that the kernel refuses inside a sandbox
	 * whose capabilities.drop names them.
	 */
	int cg_procs_fd;
	int v1_procs_fd[HX_V1_MAX]; /* the same, in the v1 hierarchies of a hybrid layout */
	size_t nv1;
};

/* The user the program runs as on the host when it has a user namespace. */
#define HX_SANDBOX_HOST_UID 65534
#define HX_SANDBOX_HOST_GID 65534

/* Runs in the first child after clone; never returns. */
void hx_child_main(const struct hx_run_plan *plan) __attribute__((noreturn));
/* Reports a failed step to the launcher (no-op if @err is 0). */
void hx_child_report(const struct hx_run_plan *plan, int stage, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The mount namespace: / made a slave, root_fs, a fresh /proc when @plan
 * has a PID namespace, then read_only_root, read_only_paths and
 * writable_paths (shortest path first, so the most specific wins), tmpfs,
 * masked_paths, and the cgroup2 mount read-only. @chroot_fallback is set
 * when root_fs could only be entered with chroot (an initramfs root).
 */
int hx_mounts_setup(const struct hx_run_plan *plan, bool *chroot_fallback, char *what, size_t wlen);
/* "PATH[:OPTIONS]" of a tmpfs entry -> flags and data ("size=64m,mode=1777"). */
int hx_tmpfs_parse(const char *spec, char *path, size_t plen, unsigned long *flags, char *data,
		   size_t dlen);

/* The default filter: EPERM for what a sandboxed tool never needs (seccomp.c). */
int hx_seccomp_load(void);
/* Names of the calls the filter denies, NULL-terminated (for messages and tests). */
extern const char *const hx_seccomp_denied[];

/* Keeps only @keep in the bounding, inheritable, permitted and effective sets; clears ambient. */
int hx_caps_apply(uint64_t keep);
/* Capabilities the sandbox keeps: all known to this kernel minus drop, plus add. */
uint64_t hx_caps_keep_mask(const struct hx_caps *c, unsigned last_cap);

#endif
