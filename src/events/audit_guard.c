// SPDX-License-Identifier: GPL-2.0
/*
 * Guard and baseline decisions in ECS: the self-protection actions, the
 * built-in rules' names, and the capability, new euid or target process a
 * decision was about.
 */
#include <stdio.h>

#include "helixagent/abi_guard.h"
#include "audit.h"

/* The built-in rules' names (enum hx_builtin): what the audit line says refused it. */
static const char *const builtin_names[HX_BI_MAX] = {
	[HX_BI_CGROUP_ESCAPE] = "guard.cgroup_escape",
	[HX_BI_CGROUPFS] = "guard.cgroupfs",
	[HX_BI_MOUNT] = "baseline.mount",
	[HX_BI_KERNEL_TUNABLES] = "baseline.kernel_tunables",
	[HX_BI_RAW_DEVICES] = "baseline.raw_devices",
	[HX_BI_KERNEL_MODULES] = "baseline.kernel_modules",
	[HX_BI_KEXEC] = "baseline.kexec",
	[HX_BI_KERNEL_LOAD] = "baseline.kernel_load",
	[HX_BI_CAPABILITY] = "baseline.capability",
	[HX_BI_HOST_SYSCALL] = "baseline.host_syscall",
	[HX_BI_PROC_PID] = "guard.proc_pid",
	[HX_BI_SIGIO] = "guard.sigio",
	[HX_BI_SCHED] = "guard.sched",
	[HX_BI_PRLIMIT] = "guard.prlimit",
	[HX_BI_LEASE] = "guard.lease",
	[HX_BI_FANOTIFY] = "baseline.fanotify_permission",
	[HX_BI_TTY_INJECT] = "baseline.tty_injection",
	[HX_BI_PERF] = "baseline.perf_kernel",
};

/* The built-in rule an event names, or NULL. */
const char *hx_audit_builtin_rule(const struct hx_event *e)
{
	uint32_t id = e->rule_id & ~HX_RULE_BUILTIN;

	if (e->rule_id == HX_RULE_NONE || !(e->rule_id & HX_RULE_BUILTIN))
		return NULL;
	return id < HX_BI_MAX && builtin_names[id] ? builtin_names[id] : "guard.unknown";
}

void hx_audit_guard_fields(struct hx_audit *a, const struct hx_event *e)
{
	struct jw *w = &a->w;

	if (e->action == HX_ACT_CAPABLE || e->action == HX_ACT_MOUNT_API ||
	    e->action == HX_ACT_SYSCALL) {
		jw_ku64(w, "capability", e->target_pid);
	} else if (e->action == HX_ACT_EXEC_CREDS) {
		jw_ku64(w, "new_euid", e->target_pid);
	} else if (e->target_pid) {
		jw_key(w, "target");
		jw_obj(w);
		jw_ku64(w, "pid", e->target_pid);
		jw_obj_end(w);
	}
}
