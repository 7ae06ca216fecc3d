// SPDX-License-Identifier: GPL-2.0
/* rate_limit: the unit parser, the key in every layer, inheritance from security:, the dump. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_policy_util.h"

static void test_parse_rate(void **state)
{
	uint32_t n = 0, w = 0;

	(void)state;
	assert_int_equal(hx_parse_rate("1000/s", &n, &w), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(w, 1);
	assert_int_equal(hx_parse_rate("6000/m", &n, &w), 0);
	assert_int_equal(n, 6000);
	assert_int_equal(w, 60);
	assert_int_equal(hx_parse_rate("1/h", &n, &w), 0);
	assert_int_equal(n, 1);
	assert_int_equal(w, 3600);
	assert_int_equal(hx_parse_rate("10000000/s", &n, &w), 0);
	assert_int_equal(n, 10000000);

	static const char *const bad[] = {
		"",	"/s",	 "0/s",	  "1000",  "1000/", "1000/x",	  "1000/ss",
		"-1/s", "1.5/s", " 10/s", "10 /s", "10/s ", "10000001/s", "99999999999999999999/s",
		"10/S", "10/sec"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = w = 7;
		if (hx_parse_rate(bad[i], &n, &w) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(n, 7);
		assert_int_equal(w, 7);
	}
}

static void test_inherited_overridden_lifted(void **state)
{
	struct hx_diags d;
	char *dump;
	struct hx_policy *p = tp_expect_ok("security:\n"
					   "  rate_limit: 1000/s\n"
					   "sandboxes:\n"
					   "  a: {}\n"
					   "  b:\n"
					   "    rate_limit: 100/m\n"
					   "  c:\n"
					   "    rate_limit: none\n",
					   &d);
	const struct hx_sandbox *a = hx_policy_find(p, "a"), *b = hx_policy_find(p, "b"),
				*c = hx_policy_find(p, "c");

	(void)state;
	assert_non_null(a);
	assert_int_equal(a->rate_limit.events, 1000);
	assert_int_equal(a->rate_limit.window_s, 1);
	assert_int_equal(b->rate_limit.events, 100);
	assert_int_equal(b->rate_limit.window_s, 60);
	assert_true(c->rate_limit.set);
	assert_int_equal(c->rate_limit.events, 0);
	assert_int_equal(hx_policy_find(p, "default")->rate_limit.events, 1000);
	dump = tp_dump(p);
	assert_non_null(strstr(dump, "\"rate_limit\":{\"events\":1000,\"window_s\":1}"));
	assert_non_null(strstr(dump, "\"rate_limit\":{\"events\":100,\"window_s\":60}"));
	assert_non_null(strstr(dump, "\"rate_limit\":null"));
	free(dump);
	tp_done(p, &d);
}

static void test_unset_is_unlimited(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok("sandboxes:\n  a: {}\n", &d);

	(void)state;
	assert_false(hx_policy_find(p, "a")->rate_limit.set);
	assert_int_equal(hx_policy_find(p, "a")->rate_limit.events, 0);
	tp_done(p, &d);
}

static void test_plugins_inherit_default_context(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok("security:\n"
					   "  rate_limit: 10/s\n"
					   "plugins:\n"
					   "  security:\n"
					   "    default_context:\n"
					   "      rate_limit: 20/s\n"
					   "    overrides:\n"
					   "      x: {}\n",
					   &d);
	const struct hx_sandbox *x = hx_policy_find(p, "x");

	(void)state;
	assert_non_null(x);
	assert_int_equal(x->rate_limit.events, 20);
	tp_done(p, &d);
}

static void test_errors(void **state)
{
	(void)state;
	tp_expect_error("security:\n  rate_limit: 1000\n", "'rate_limit': '1000' is not a rate");
	tp_expect_error("sandboxes:\n  a:\n    rate_limit: 0/s\n", "is not a rate");
	tp_expect_error("sandboxes:\n  a:\n    rate_limit: 5/d\n", "is not a rate");
	tp_expect_error("sandboxes:\n  a:\n    rate_limit: [1/s]\n", "rate_limit");
	tp_expect_error("sandboxes:\n  a:\n    rate_limit: {events: 1}\n", "rate_limit");
	tp_expect_error("sandboxes:\n  a:\n    rate_limit: 20000000/s\n", "at most 10000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_inherited_overridden_lifted),
		cmocka_unit_test(test_unset_is_unlimited),
		cmocka_unit_test(test_plugins_inherit_default_context),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
