/* SPDX-License-Identifier: GPL-2.0 */
/* ECS lines about the daemon itself: policy loads with their hash, timing and errors. */
#ifndef HX_AUDIT_DAEMON_H
#define HX_AUDIT_DAEMON_H

#include "audit.h"

struct hx_policy_event {
	bool ok;
	uint32_t generation; /* the new one; when rejected, the one that stays in force (0: none) */
	const char *file;
	const char *sha256; /* of the text judged; NULL when it could not be read */
	const char *trigger; /* "start", "signal", "file_change", "cgroup_repair" */
	double seconds; /* read, validate, compile, switch */
	const char *message; /* why it was rejected */
	const struct hx_diags *diags; /* errors and warnings, with their lines */
	const struct hx_compiled *c; /* when loaded: the sandboxes */
};

void hx_audit_policy_event(struct hx_audit *a, const struct hx_policy_event *ev);

#endif
