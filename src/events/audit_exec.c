// SPDX-License-Identifier: GPL-2.0
/*
 * Exec decisions in ECS: the exec actions (an exec judged by its rules, a
 * blocked command killed, an exec refused its privileges) and whether the
 * process was killed or ran from no file.
 */
#include <stdio.h>

#include "audit.h"

void hx_audit_exec_fields(struct hx_audit *a, const struct hx_event *e)
{
	struct jw *w = &a->w;

	if (e->flags & HX_EVF_KILLED)
		jw_kstr(w, "enforcement", "killed");
	if (e->flags & HX_EVF_FILELESS)
		jw_kbool(w, "fileless", true);
}
