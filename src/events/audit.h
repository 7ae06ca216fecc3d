/* SPDX-License-Identifier: GPL-2.0 */
/* Decision records -> ECS JSON lines on the audit outputs. */
#ifndef HX_AUDIT_H
#define HX_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "helixagent/abi.h"
#include "loader/loader.h"
#include "util/json.h"

struct hx_audit {
	int fd; /* the JSON-lines log, -1 if none */
	char *path;
	bool to_stdout;
	uint64_t seq; /* last sequence written */
	uint64_t written;
	uint64_t write_errors; /* lines that could not be written */
	int64_t boot_to_real_ns;
	char boot_id[40];
	char machine_id[40];
	char hostname[256];
	struct jw w;
};

int hx_audit_open(struct hx_audit *a, const char *path, bool to_stdout);
void hx_audit_close(struct hx_audit *a);
/* Reopens the log file (after rotation). */
int hx_audit_reopen(struct hx_audit *a);

/* Formats one kernel decision; @c names sandboxes and rules of its generation. */
void hx_audit_decision(struct hx_audit *a, const struct hx_event *e, const struct hx_compiled *c);
/* events_dropped: @count events lost for @reason since the last report */
void hx_audit_dropped(struct hx_audit *a, const char *reason, uint64_t count, uint64_t total);
/* policy_load */
void hx_audit_policy_load(struct hx_audit *a, const struct hx_compiled *c, const char *file,
			  bool ok, const char *message);

/* Formats an event into a's buffer without writing it; for tests. */
void hx_audit_format_decision(struct hx_audit *a, const struct hx_event *e,
			      const struct hx_compiled *c);

/* Building blocks for formatters of other families (events/audit_*.c). */
void hx_ecs_head(struct hx_audit *a, int64_t real_ns);
void hx_ecs_event(struct hx_audit *a, const char *kind, const char *const *cat, size_t ncat,
		  const char *const *type, size_t ntype, const char *action, const char *code,
		  const char *provider);
void hx_ecs_emit(struct hx_audit *a);
const char *hx_ecs_decision_name(uint8_t d);

/*
 * Extension points, weak so a family can add its own actions and fields
 * (destination.*, network.*) without touching this file.
 */
struct hx_action_desc {
	const char *action; /* event.action */
	const char *category; /* event.category (first) */
	const char *type; /* event.type (first) */
	const char *provider; /* event.provider: the hook */
};
const struct hx_action_desc *hx_audit_ext_action(uint16_t action) __attribute__((weak));
void hx_audit_ext_fields(struct hx_audit *a, const struct hx_event *e) __attribute__((weak));

/* Joins leaf-first NUL-separated components into "/a/b/c"; returns length. */
size_t hx_components_to_path(const char *comp, size_t len, char *out, size_t outlen,
			     bool *complete);

#endif
