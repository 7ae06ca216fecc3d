// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup paths in the kernel's form: what the loader enters in hx_cgpath
 * must equal, byte for byte, the path the cgroup_mkdir tracepoint gives.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/cgroup.h"

static void expect(const char *in, const char *want)
{
	char out[32];

	memset(out, 'x', sizeof(out));
	assert_int_equal(hx_cgroup_kernel_path(in, out, sizeof(out)), (int)strlen(want));
	assert_string_equal(out, want);
	for (size_t i = strlen(want); i < sizeof(out); i++)
		assert_int_equal(out[i], 0); /* zero-padded: the whole key is compared */
}

static void test_kernel_form(void **state)
{
	(void)state;
	expect("/a/b", "/a/b");
	expect("a/b", "/a/b");
	expect("/a//b/", "/a/b");
	expect("//a///b//", "/a/b");
	expect("/", "/");
	expect("", "/");
	expect("/kubepods.slice/x-1.scope", "/kubepods.slice/x-1.scope");
}

static void test_too_long(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(hx_cgroup_kernel_path("/abcdef", out, sizeof(out)), 7);
	assert_int_equal(hx_cgroup_kernel_path("/abcdefg", out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(out[0], 0);
	/* slashes that are dropped do not count */
	assert_int_equal(hx_cgroup_kernel_path("//abc//de//", out, sizeof(out)), 7);
	assert_string_equal(out, "/abc/de");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_form),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
