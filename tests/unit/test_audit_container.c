// SPDX-License-Identifier: GPL-2.0
/* container.* and orchestrator.* in decision lines, from the cgroup path of the event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "events/audit.h"
#include "helixagent/abi.h"

#define ID "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"

/* A refused open of a process in the sandbox's own cgroup, @cgroup. */
static char *format(const char *cgroup)
{
	struct hx_sbx_info sbx = { .name = "ctr", .cgid = 42 };
	struct hx_compiled c = { .generation = 1, .sbx = &sbx, .nsbx = 1 };
	struct hx_event e = { .type = HX_EV_DECISION,
			      .action = HX_ACT_OPEN,
			      .family = HX_FAM_FILE,
			      .decision = 1,
			      .generation = 1,
			      .cgid = 42,
			      .pid = 4242,
			      .err = -1 };
	struct hx_audit a;
	char *out;

	sbx.cgroup = strdup(cgroup);
	assert_int_equal(hx_audit_open(&a, NULL, false), 0);
	hx_audit_format_decision(&a, &e, &c);
	out = strndup(a.w.buf, a.w.len);
	hx_audit_close(&a);
	free(sbx.cgroup);
	return out;
}

static void test_container_and_pod(void **state)
{
	char *js;

	(void)state;
	js = format("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		    "6b1f2c3d_4e5f_4a6b_9c8d_7e6f5a4b3c2d.slice/cri-containerd-" ID ".scope");
	assert_non_null(strstr(js, "\"container\":{\"id\":\"" ID "\",\"runtime\":\"containerd\"}"));
	assert_non_null(strstr(js,
			       "\"orchestrator\":{\"type\":\"kubernetes\",\"resource\":{\"type\":"
			       "\"pod\",\"id\":\"6b1f2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d\"}}"));
	free(js);

	js = format("/helixagent/ctr/libpod-" ID ".scope/container");
	assert_non_null(strstr(js, "\"container\":{\"id\":\"" ID "\",\"runtime\":\"podman\"}"));
	assert_null(strstr(js, "orchestrator"));
	free(js);

	/* a bare id in a pod: the runtime is not known, and not guessed */
	js = format("/kubepods/pod6b1f2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d/" ID);
	assert_non_null(strstr(js, "\"container\":{\"id\":\"" ID "\"}"));
	free(js);
}

static void test_no_container(void **state)
{
	char *js;

	(void)state;
	js = format("/helixagent/ctr");
	assert_null(strstr(js, "\"container\""));
	assert_null(strstr(js, "orchestrator"));
	free(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_and_pod),
		cmocka_unit_test(test_no_container),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
