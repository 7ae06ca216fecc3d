// SPDX-License-Identifier: GPL-2.0
/* containment: the relaxations of the baseline, inheritance from security:, errors, the dump. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_policy_util.h"

static void test_baseline_by_default(void **state)
{
	struct hx_diags d;
	char *dump;
	struct hx_policy *p = tp_expect_ok("sandboxes:\n  a: {}\n", &d);
	const struct hx_sandbox *a = hx_policy_find(p, "a");

	(void)state;
	assert_false(a->contain.mount_set);
	assert_int_equal(a->contain.mount_types, 0);
	assert_int_equal(a->contain.kernel_tunables, HX_UNSET);
	dump = tp_dump(p);
	assert_non_null(strstr(dump, "\"containment\":{\"mount\":[],\"kernel_tunables\":false,"
				     "\"raw_devices\":false,\"network_admin\":false,"
				     "\"system_time\":false}"));
	free(dump);
	tp_done(p, &d);
}

static void test_keys_inherited_and_overridden(void **state)
{
	struct hx_diags d;
	char *dump;
	struct hx_policy *p = tp_expect_ok("security:\n"
					   "  containment:\n"
					   "    mount: [tmpfs, bind]\n"
					   "    system_time: true\n"
					   "sandboxes:\n"
					   "  a: {}\n"
					   "  b:\n"
					   "    containment:\n"
					   "      mount: []\n"
					   "      system_time: false\n"
					   "      kernel_tunables: true\n"
					   "      raw_devices: true\n"
					   "      network_admin: true\n",
					   &d);
	const struct hx_sandbox *a = hx_policy_find(p, "a"), *b = hx_policy_find(p, "b");

	(void)state;
	assert_int_equal(a->contain.mount_types, HX_MT_TMPFS | HX_MT_BIND);
	assert_int_equal(a->contain.system_time, HX_YES);
	assert_int_equal(a->contain.network_admin, HX_UNSET);
	assert_true(b->contain.mount_set);
	assert_int_equal(b->contain.mount_types, 0);
	assert_int_equal(b->contain.system_time, HX_NO);
	assert_int_equal(b->contain.kernel_tunables, HX_YES);
	assert_int_equal(b->contain.raw_devices, HX_YES);
	assert_int_equal(b->contain.network_admin, HX_YES);
	dump = tp_dump(p);
	assert_non_null(strstr(dump, "\"containment\":{\"mount\":[\"tmpfs\",\"bind\"],"
				     "\"kernel_tunables\":false,\"raw_devices\":false,"
				     "\"network_admin\":false,\"system_time\":true}"));
	assert_non_null(strstr(dump, "\"containment\":{\"mount\":[],\"kernel_tunables\":true,"
				     "\"raw_devices\":true,\"network_admin\":true,"
				     "\"system_time\":false}"));
	free(dump);
	tp_done(p, &d);
}

static void test_every_mount_type(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok(
		"sandboxes:\n  a:\n    containment:\n      mount: [tmpfs, proc, sysfs, "
		"mqueue, devpts, ramfs, overlay, bind]\n",
		&d);

	(void)state;
	assert_int_equal(hx_policy_find(p, "a")->contain.mount_types, (1u << HX_MT_COUNT) - 1);
	for (unsigned i = 0; i < HX_MT_COUNT; i++)
		assert_non_null(hx_mount_type_name(i));
	assert_null(hx_mount_type_name(HX_MT_COUNT));
	tp_done(p, &d);
}

static void test_errors(void **state)
{
	(void)state;
	tp_expect_error("sandboxes:\n  a:\n    containment:\n      mount: [ext4]\n",
			"'mount': 'ext4' is not a mount type a sandbox may be given");
	tp_expect_error("sandboxes:\n  a:\n    containment:\n      mount: tmpfs\n",
			"'mount' must be a list");
	tp_expect_error("sandboxes:\n  a:\n    containment:\n      modules: true\n", "modules");
	tp_expect_error("sandboxes:\n  a:\n    containment:\n      kernel_tunables: maybe\n",
			"'kernel_tunables' must be true or false");
	tp_expect_error("sandboxes:\n  a:\n    containment: [mount]\n", "containment");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_baseline_by_default),
		cmocka_unit_test(test_keys_inherited_and_overridden),
		cmocka_unit_test(test_every_mount_type),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
