// SPDX-License-Identifier: GPL-2.0
/* ECS lines for runs of `helixagent exec` (see audit_sandbox.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit_sandbox.h"

#define PROVIDER "helixagent/exec"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *base(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;

	return s && s[1] ? s + 1 : p;
}

/* helixagent.{sandbox, mode, run, cgroup, policy_generation}, left open for more fields */
static void helix_open(struct hx_audit *a, const struct hx_run_desc *r)
{
	struct jw *w = &a->w;

	jw_key(w, "helixagent");
	jw_obj(w);
	jw_kstr(w, "sandbox", r->sandbox);
	jw_kstr(w, "mode", r->mode);
	jw_key(w, "run");
	jw_obj(w);
	jw_kstr(w, "id", r->run_id);
	jw_ku64(w, "launcher_pid", (uint64_t)r->launcher_pid);
	jw_obj_end(w);
	if (r->cgroup) {
		jw_key(w, "cgroup");
		jw_obj(w);
		jw_ku64(w, "id", r->cgroup_id);
		jw_kstr(w, "path", r->cgroup);
		jw_obj_end(w);
	}
	if (r->policy_generation)
		jw_ku64(w, "policy_generation", r->policy_generation);
}

static void process(struct hx_audit *a, const struct hx_run_desc *r, const struct hx_run_end *end)
{
	struct jw *w = &a->w;

	jw_key(w, "process");
	jw_obj(w);
	if (r->pid > 0)
		jw_ku64(w, "pid", (uint64_t)r->pid);
	if (r->argv && r->argv[0]) {
		jw_kstr(w, "name", base(r->argv[0]));
		jw_key(w, "args");
		jw_arr(w);
		for (char *const *p = r->argv; *p; p++)
			jw_str(w, *p);
		jw_arr_end(w);
	}
	if (r->command_line)
		jw_kstr(w, "command_line", r->command_line);
	if (end)
		jw_ki64(w, "exit_code", end->exit_code);
	jw_key(w, "parent");
	jw_obj(w);
	jw_ku64(w, "pid", (uint64_t)r->launcher_pid);
	jw_obj_end(w);
	jw_obj_end(w);
}

static void rule(struct hx_audit *a, const struct hx_run_desc *r, const char *name)
{
	jw_key(&a->w, "rule");
	jw_obj(&a->w);
	jw_kstr(&a->w, "name", name);
	jw_kstr(&a->w, "ruleset", r->sandbox);
	jw_obj_end(&a->w);
}

void hx_audit_sandbox_create(struct hx_audit *a, const struct hx_run_desc *r,
			     const struct hx_run_isolation *iso)
{
	static const char *const cat[] = { "process" }, *const type[] = { "start" };
	struct jw *w = &a->w;
	char buf[32];

	hx_ecs_head(a, now_ns());
	hx_ecs_event(a, "event", cat, 1, type, 1, "sandbox_create", "sandbox_create", PROVIDER);
	helix_open(a, r);
	jw_key(w, "limits");
	jw_obj(w);
	if (iso->max_memory)
		jw_ku64(w, "max_memory", iso->max_memory);
	if (iso->max_cpu_milli)
		jw_ku64(w, "max_cpu_milli", iso->max_cpu_milli);
	if (iso->max_processes)
		jw_ku64(w, "max_processes", iso->max_processes);
	if (iso->max_open_files)
		jw_ku64(w, "max_open_files", iso->max_open_files);
	if (iso->max_execution_ms)
		jw_ku64(w, "max_execution_ms", iso->max_execution_ms);
	jw_obj_end(w);
	jw_key(w, "isolation");
	jw_obj(w);
	jw_key(w, "namespaces");
	jw_arr(w);
	for (size_t i = 0; i < 8 && iso->namespaces[i]; i++)
		jw_str(w, iso->namespaces[i]);
	jw_arr_end(w);
	jw_kbool(w, "seccomp", iso->seccomp);
	jw_kbool(w, "no_new_privileges", iso->no_new_privileges);
	if (iso->caps_set) {
		snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)iso->caps_keep);
		jw_kstr(w, "capabilities", buf);
	}
	if (iso->network_mode)
		jw_kstr(w, "network_mode", iso->network_mode);
	if (iso->root_fs)
		jw_kstr(w, "root_fs", iso->root_fs);
	jw_obj_end(w);
	jw_obj_end(w);
	process(a, r, NULL);
	hx_ecs_emit(a);
}

void hx_audit_sandbox_destroy(struct hx_audit *a, const struct hx_run_desc *r,
			      const struct hx_run_end *end)
{
	static const char *const cat[] = { "process" }, *const type[] = { "end" };
	struct jw *w = &a->w;

	hx_ecs_head(a, now_ns());
	hx_ecs_event(a, "event", cat, 1, type, 1, "sandbox_destroy", "sandbox_destroy", PROVIDER);
	helix_open(a, r);
	jw_kstr(w, "end_reason", end->reason);
	if (end->signal)
		jw_ki64(w, "signal", end->signal);
	jw_ku64(w, "duration_ms", end->duration_ms);
	jw_key(w, "usage");
	jw_obj(w);
	jw_ku64(w, "memory_peak", end->memory_peak);
	jw_ku64(w, "pids_peak", end->pids_peak);
	jw_ku64(w, "cpu_usec", end->cpu_usage_usec);
	jw_obj_end(w);
	jw_obj_end(w);
	process(a, r, end);
	hx_ecs_emit(a);
}

void hx_audit_resource_violation(struct hx_audit *a, const struct hx_run_desc *r,
				 const struct hx_run_violation *v)
{
	static const char *const cat[] = { "process" }, *const type[] = { "info" };
	struct jw *w = &a->w;
	char name[64];

	hx_ecs_head(a, now_ns());
	hx_ecs_event(a, "alert", cat, 1, type, 1, "resource_violation", "resource_violation",
		     PROVIDER);
	helix_open(a, r);
	jw_kstr(w, "resource", v->resource);
	jw_kstr(w, "limit_name", v->limit_name);
	jw_ku64(w, "limit", v->limit);
	jw_ku64(w, "current", v->current);
	jw_kstr(w, "unit", v->unit);
	jw_kstr(w, "counter", v->counter);
	jw_ku64(w, "count", v->count);
	jw_kstr(w, "action_taken", v->action);
	jw_obj_end(w);
	snprintf(name, sizeof(name), "limits.%s", v->limit_name);
	rule(a, r, name);
	process(a, r, NULL);
	hx_ecs_emit(a);
}

void hx_audit_command_refused(struct hx_audit *a, const struct hx_run_desc *r, const char *rname,
			      const char *detail, bool audit_only)
{
	static const char *const cat[] = { "process", "intrusion_detection" };
	static const char *const deny[] = { "start", "denied" }, *const aud[] = { "start" };
	struct jw *w = &a->w;

	hx_ecs_head(a, now_ns());
	hx_ecs_event(a, "alert", cat, 2, audit_only ? aud : deny, audit_only ? 1 : 2, "exec",
		     "permission_denied", PROVIDER "/command_validation");
	helix_open(a, r);
	jw_kstr(w, "decision", audit_only ? "audit" : "deny");
	jw_kstr(w, "family", "command_validation");
	jw_kstr(w, "reason", "rule");
	if (detail)
		jw_kstr(w, "matched", detail);
	jw_obj_end(w);
	rule(a, r, rname);
	process(a, r, NULL);
	hx_ecs_emit(a);
}
