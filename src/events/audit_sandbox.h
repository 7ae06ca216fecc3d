/* SPDX-License-Identifier: GPL-2.0 */
/* Events of runs started by `helixagent exec`: sandbox_create, sandbox_destroy, resource_violation. */
#ifndef HX_AUDIT_SANDBOX_H
#define HX_AUDIT_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "audit.h"

/* One run, as every event of it describes it. */
struct hx_run_desc {
	const char *sandbox;
	const char *mode; /* "enforce" or "audit" */
	const char *run_id; /* "run-<launcher pid>" */
	const char *cgroup; /* below the cgroup2 mount: "/helixagent/web/run-123" */
	uint64_t cgroup_id;
	char *const *argv;
	const char *command_line; /* the --shell string, or NULL */
	int pid; /* the run's first process, as the host sees it; 0 before it exists */
	int launcher_pid;
	uint32_t policy_generation;
};

/* What sandbox_create reports of the confinement. */
struct hx_run_isolation {
	uint64_t max_memory, max_execution_ms;
	uint32_t max_cpu_milli, max_processes, max_open_files;
	const char *namespaces[8]; /* "user", "mnt", ...; NULL-terminated */
	bool seccomp, no_new_privileges, caps_set;
	uint64_t caps_keep;
	const char *network_mode, *root_fs;
};

struct hx_run_end {
	int exit_code; /* the status `exec` returns */
	int signal; /* the signal that ended the run's first process, 0 if none */
	const char *reason; /* "exited", "signaled", "timeout", "oom_kill", "setup_failed", ... */
	uint64_t duration_ms;
	uint64_t memory_peak, pids_peak, cpu_usage_usec;
};

struct hx_run_violation {
	const char *resource; /* "memory", "pids", "cpu", "time" */
	const char *limit_name; /* "max_memory", ... */
	uint64_t limit, current;
	const char *unit; /* "bytes", "processes", "millicpu", "ms" */
	const char *counter; /* "memory.events:oom_kill", ... */
	uint64_t count;
	const char *action; /* what the kernel or the launcher did: "killed", "throttled", ... */
};

void hx_audit_sandbox_create(struct hx_audit *a, const struct hx_run_desc *r,
			     const struct hx_run_isolation *iso);
void hx_audit_sandbox_destroy(struct hx_audit *a, const struct hx_run_desc *r,
			      const struct hx_run_end *end);
void hx_audit_resource_violation(struct hx_audit *a, const struct hx_run_desc *r,
				 const struct hx_run_violation *v);
/* A command refused (or, in audit mode, let through) by command_validation. */
void hx_audit_command_refused(struct hx_audit *a, const struct hx_run_desc *r, const char *rule,
			      const char *detail, bool audit_only);

#endif
