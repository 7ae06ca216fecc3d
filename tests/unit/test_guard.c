// SPDX-License-Identifier: GPL-2.0
/* The guard family (and the containment baseline) in the audit stream: built-in rule names, actions, providers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "events/audit.h"
#include "helixagent/abi.h"
#include "helixagent/abi_guard.h"

#include "test_audit_util.h"

static char *format(const struct hx_event *e)
{
	struct hx_sbx_info sbx = { .name = "c", .cgroup = "/helixagent/c", .cgid = 42 };
	struct hx_compiled c = { .generation = 1, .sbx = &sbx, .nsbx = 1 };

	return ta_format(e, &c);
}

static struct hx_event *refusal(uint16_t action, uint32_t bi)
{
	struct hx_event *e = ta_refusal(action, HX_FAM_GUARD);

	e->cgid = 42;
	e->pid = 4242;
	e->err = -1;
	e->flags = HX_EVF_FORBIDDEN;
	e->rule_id = HX_RULE_BUILTIN | bi;
	return e;
}

static void test_mount_refusal(void **state)
{
	struct hx_event *e = refusal(HX_ACT_MOUNT, HX_BI_MOUNT);
	char *js;

	(void)state;
	memcpy(e->path, "m\0tmp\0\0", 7);
	e->path_len = 7;
	js = format(e);
	assert_non_null(strstr(js, "\"rule\":{\"name\":\"baseline.mount\",\"ruleset\":\"c\"}"));
	assert_non_null(strstr(js, "\"reason\":\"baseline\""));
	assert_non_null(strstr(js, "\"action\":\"mount\""));
	assert_non_null(strstr(js, "\"provider\":\"lsm/sb_mount\""));
	assert_non_null(strstr(js, "\"category\":[\"configuration\",\"intrusion_detection\"]"));
	assert_non_null(strstr(js, "\"type\":[\"change\",\"denied\"]"));
	assert_non_null(strstr(js, "\"code\":\"permission_denied\""));
	assert_non_null(strstr(js, "\"family\":\"guard\""));
	assert_non_null(strstr(js, "\"path\":\"/tmp/m\""));
	free(js);
	free(e);
}

static void test_guard_and_capability_refusals(void **state)
{
	struct hx_event *e = refusal(HX_ACT_SIGIO, HX_BI_SIGIO);
	char *js;

	(void)state;
	e->target_pid = 77;
	js = format(e);
	assert_non_null(strstr(js, "\"name\":\"guard.sigio\""));
	assert_non_null(strstr(js, "\"reason\":\"guard\""));
	assert_non_null(strstr(js, "\"target\":{\"pid\":77}"));
	free(js);
	free(e);

	e = refusal(HX_ACT_CAPABLE, HX_BI_CAPABILITY);
	e->target_pid = 16;
	js = format(e);
	assert_non_null(strstr(js, "\"name\":\"baseline.capability\""));
	assert_non_null(strstr(js, "\"capability\":16"));
	assert_null(strstr(js, "\"target\""));
	free(js);
	free(e);
}

/* Every containment action has its ECS description, every built-in rule its name. */
static void test_every_action_and_rule_named(void **state)
{
	(void)state;
	for (uint16_t act = HX_ACT_MOUNT; act <= HX_ACT_PERF; act++) {
		struct hx_event *e = refusal(act, HX_BI_MOUNT);
		char *js = format(e);

		if (strstr(js, "\"action\":\"unknown\"") || !strstr(js, "\"provider\":\"lsm/"))
			fail_msg("action %u has no description: %s", act, js);
		free(js);
		free(e);
	}
	for (uint32_t bi = 1; bi < HX_BI_MAX; bi++) {
		struct hx_event *e = refusal(HX_ACT_MOUNT, bi);
		char *js = format(e);

		if (strstr(js, "guard.unknown") ||
		    (!strstr(js, "\"name\":\"baseline.") && !strstr(js, "\"name\":\"guard.")))
			fail_msg("built-in rule %u has no name: %s", bi, js);
		free(js);
		free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_refusal),
		cmocka_unit_test(test_guard_and_capability_refusals),
		cmocka_unit_test(test_every_action_and_rule_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
