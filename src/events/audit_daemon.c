// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <time.h>

#include "audit_daemon.h"

#define MAX_DIAGS 20 /* in one event; the daemon's log has them all */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void diags(struct jw *w, const struct hx_diags *d, enum hx_diag_level lvl, const char *key)
{
	size_t n = 0;

	if (!d || !(lvl == HX_DIAG_ERROR ? d->errors : d->warnings))
		return;
	jw_key(w, key);
	jw_arr(w);
	for (size_t i = 0; i < d->n && n < MAX_DIAGS; i++) {
		if (d->v[i].level != lvl)
			continue;
		jw_obj(w);
		if (d->v[i].src.line) {
			jw_ku64(w, "line", d->v[i].src.line);
			jw_ku64(w, "column", d->v[i].src.col);
		}
		jw_kstr(w, "message", d->v[i].msg);
		jw_obj_end(w);
		n++;
	}
	jw_arr_end(w);
}

void hx_audit_policy_event(struct hx_audit *a, const struct hx_policy_event *ev)
{
	static const char *const cat[] = { "configuration" }, *const type[] = { "change" };
	struct jw *w = &a->w;

	hx_ecs_head(a, now_ns());
	hx_ecs_event(a, "event", cat, 1, type, 1, "policy_load", "policy_load", "helixagent");
	jw_key(w, "helixagent");
	jw_obj(w);
	jw_kstr(w, "decision", ev->ok ? "loaded" : "rejected");
	jw_ku64(w, "policy_generation", ev->generation);
	jw_kstr(w, "policy_file", ev->file);
	if (ev->sha256)
		jw_kstr(w, "policy_sha256", ev->sha256);
	if (ev->trigger)
		jw_kstr(w, "trigger", ev->trigger);
	jw_key(w, "load_seconds");
	{
		char buf[32];

		snprintf(buf, sizeof(buf), "%.6f", ev->seconds);
		jw_raw(w, buf);
	}
	if (ev->message)
		jw_kstr(w, "message", ev->message);
	if (ev->diags) {
		jw_ku64(w, "errors_count", ev->diags->errors);
		jw_ku64(w, "warnings_count", ev->diags->warnings);
	}
	diags(w, ev->diags, HX_DIAG_ERROR, "errors");
	diags(w, ev->diags, HX_DIAG_WARNING, "warnings");
	if (ev->c && ev->ok) {
		jw_key(w, "sandboxes");
		jw_arr(w);
		for (size_t i = 0; i < ev->c->nsbx; i++) {
			jw_obj(w);
			jw_kstr(w, "name", ev->c->sbx[i].name);
			jw_kstr(w, "cgroup", ev->c->sbx[i].cgroup);
			jw_ku64(w, "cgroup_id", ev->c->sbx[i].cgid);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	jw_obj_end(w);
	hx_ecs_emit(a);
}
