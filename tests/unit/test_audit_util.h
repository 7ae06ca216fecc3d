/* SPDX-License-Identifier: GPL-2.0 */
/* Decision events and their audit lines, for the unit tests of the audit (after cmocka.h). */
#ifndef HX_TEST_AUDIT_UTIL_H
#define HX_TEST_AUDIT_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events/audit.h"
#include "helixagent/abi.h"

/* @e's decision line as the audit formats it against @c (caller frees). */
static inline char *ta_format(const struct hx_event *e, const struct hx_compiled *c)
{
	struct hx_audit a;
	char *out;

	assert_int_equal(hx_audit_open(&a, NULL, false), 0);
	hx_audit_format_decision(&a, e, c);
	assert_non_null(a.w.buf);
	out = strndup(a.w.buf, a.w.len);
	hx_audit_close(&a);
	return out;
}

/* A refusal (decision 1, generation 1) of @action in @family, otherwise zero (caller frees). */
static inline struct hx_event *ta_refusal(uint16_t action, uint8_t family)
{
	struct hx_event *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->type = HX_EV_DECISION;
	e->action = action;
	e->family = family;
	e->decision = 1;
	e->generation = 1;
	return e;
}

#endif
