// SPDX-License-Identifier: GPL-2.0
/* Resource monitoring: cgroup counters that grew become resource_violation events. */
#include <string.h>

#include "sandbox.h"

static void fill(struct hx_violation *v, enum hx_violation_kind kind, const struct hx_limits *l,
		 const struct hx_runcg_stats *s, uint64_t elapsed_ms)
{
	memset(v, 0, sizeof(*v));
	v->kind = kind;
	switch (kind) {
	case HX_VIO_MEMORY_MAX:
	case HX_VIO_MEMORY_OOM:
	case HX_VIO_MEMORY_OOM_KILL:
		v->resource = "memory";
		v->limit_name = "max_memory";
		v->limit = l->max_memory;
		/*
		 * memory.peak (5.19+) says how far it went, memory.current only
		 * where it is now; the counter moved because usage reached the
		 * limit, so that is the least it was.
		 */
		v->current = s->mem_peak ? s->mem_peak : s->mem_current;
		if (v->current < v->limit)
			v->current = v->limit;
		v->counter = kind == HX_VIO_MEMORY_MAX ? "memory.events:max" :
			     kind == HX_VIO_MEMORY_OOM ? "memory.events:oom" :
							 "memory.events:oom_kill";
		v->count = kind == HX_VIO_MEMORY_MAX ? s->mem_max :
			   kind == HX_VIO_MEMORY_OOM ? s->mem_oom :
						       s->mem_oom_kill;
		break;
	case HX_VIO_PIDS_MAX:
		v->resource = "pids";
		v->limit_name = "max_processes";
		v->limit = l->max_processes;
		/* a fork was refused because the count was at the limit (pids.peak: 6.1+) */
		v->current = s->pids_peak ? s->pids_peak : s->pids_current;
		if (v->current < v->limit)
			v->current = v->limit;
		v->counter = "pids.events:max";
		v->count = s->pids_max;
		break;
	case HX_VIO_CPU_THROTTLED:
		v->resource = "cpu";
		v->limit_name = "max_cpu";
		v->limit = l->max_cpu_milli;
		/* the CPU the run used, in thousandths of a CPU, over its life so far */
		v->current = elapsed_ms ? s->cpu_usage_usec / elapsed_ms : 0;
		v->counter = "cpu.stat:nr_throttled";
		v->count = s->cpu_nr_throttled;
		break;
	case HX_VIO_TIMEOUT:
	case HX_VIO_MAX:
		v->resource = "time";
		v->limit_name = "max_execution_time";
		v->limit = l->max_execution_ms;
		v->current = elapsed_ms;
		v->counter = "max_execution_time";
		v->count = 1;
		break;
	}
}

size_t hx_monitor_diff(const struct hx_limits *l, const struct hx_runcg_stats *before,
		       const struct hx_runcg_stats *now, uint64_t elapsed_ms, unsigned *reported,
		       struct hx_violation *out, size_t max)
{
	const struct {
		enum hx_violation_kind kind;
		uint64_t was, is;
		bool limited;
	} c[] = {
		{ HX_VIO_MEMORY_MAX, before->mem_max, now->mem_max, l->max_memory != 0 },
		{ HX_VIO_MEMORY_OOM, before->mem_oom, now->mem_oom, l->max_memory != 0 },
		{ HX_VIO_MEMORY_OOM_KILL, before->mem_oom_kill, now->mem_oom_kill,
		  l->max_memory != 0 },
		{ HX_VIO_PIDS_MAX, before->pids_max, now->pids_max, l->max_processes != 0 },
		{ HX_VIO_CPU_THROTTLED, before->cpu_nr_throttled, now->cpu_nr_throttled,
		  l->max_cpu_milli != 0 },
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]) && n < max; i++) {
		/* Once per kind and run: a program at its limit moves the counter constantly. */
		if (!c[i].limited || c[i].is <= c[i].was || (*reported & (1u << c[i].kind)))
			continue;
		*reported |= 1u << c[i].kind;
		fill(&out[n++], c[i].kind, l, now, elapsed_ms);
	}
	return n;
}

void hx_monitor_timeout(const struct hx_limits *l, uint64_t elapsed_ms, struct hx_violation *out)
{
	struct hx_runcg_stats none = { 0 };

	fill(out, HX_VIO_TIMEOUT, l, &none, elapsed_ms);
}
