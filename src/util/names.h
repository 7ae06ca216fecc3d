/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The names of the ABI's values (include/helixagent/abi.h), one table each,
 * as the audit stream, the metrics and status print them.
 */
#ifndef HX_UTIL_NAMES_H
#define HX_UTIL_NAMES_H

#include <stdbool.h>

/* enum hx_family: "exec", "filesystem", "network", "guard"; "unknown" past the end */
const char *hx_family_name(unsigned family);
/* enum hx_decision: "allow", "deny", "audit"; "unknown" past the end */
const char *hx_decision_name(unsigned decision);
/* enum hx_drop: "ringbuf_full", "path_too_deep", ...; "other" for a reason without a name */
const char *hx_drop_name(unsigned reason);
/* A drop that lost an event (the others are decisions made without full information). */
bool hx_drop_loses_event(unsigned reason);

#endif
