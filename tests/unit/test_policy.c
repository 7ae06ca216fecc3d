// SPDX-License-Identifier: GPL-2.0
/* The policy loader: valid input reaches the model; each class of invalid input is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "helixagent/abi.h"
#include "policy/policy.h"

#include "test_policy_util.h"

static void test_embedded_default_is_valid(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok(hx_default_policy, &d);

	assert_non_null(hx_policy_find(p, "demo"));
	assert_true(hx_policy_find(p, "demo")->exec.present);
	tp_done(p, &d);
}

static void test_sandbox_exec_rules_reach_the_model(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok("sandboxes:\n"
					   "  web:\n"
					   "    mode: audit\n"
					   "    exec:\n"
					   "      default_policy: deny\n"
					   "      allowed: [/usr/sbin/nginx, /usr/bin/]\n"
					   "      blocked: [/usr/bin/sudo]\n"
					   "      blocked_commands: [\"rm -rf\", chmod]\n",
					   &d);
	const struct hx_sandbox *s = hx_policy_find(p, "web");

	assert_non_null(s);
	assert_string_equal(s->cgroup, "/helixagent/web");
	assert_int_equal(s->mode, HX_PM_AUDIT);
	assert_int_equal(s->exec.default_policy, HX_DEF_DENY);
	assert_int_equal(s->exec.rules.n, 3);
	assert_string_equal(s->exec.rules.v[1].path, "/usr/bin");
	assert_true(s->exec.rules.v[1].dir_hint);
	assert_string_equal(s->exec.rules.v[1].name, "exec.allowed[1]");
	assert_true(s->exec.rules.v[2].block);
	assert_int_equal(s->exec.rules.v[2].src.line, 7);
	assert_int_equal(s->exec.blocked_commands.n, 2);
	tp_done(p, &d);
}

static void test_base_is_inherited(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok("security:\n"
					   "  mode: audit\n"
					   "  exec:\n"
					   "    blocked: [/usr/bin/sudo]\n"
					   "  limits: {max_memory: 512Mi, max_cpu: \"50%\"}\n"
					   "sandboxes:\n"
					   "  a:\n"
					   "    cgroup: /system.slice/a.service\n"
					   "    exec: {allowed: [/usr/bin/]}\n"
					   "    limits: {max_memory: 1G}\n",
					   &d);
	const struct hx_sandbox *s = hx_policy_find(p, "a");

	assert_non_null(s);
	assert_true(s->cgroup_explicit);
	assert_string_equal(s->cgroup, "/system.slice/a.service");
	assert_int_equal(s->mode, HX_PM_AUDIT);
	assert_int_equal(s->exec.rules.n, 2);
	assert_string_equal(s->exec.rules.v[0].path, "/usr/bin/sudo");
	assert_int_equal(s->exec.default_policy, HX_DEF_DENY);
	assert_int_equal(s->limits.max_memory, 1ull << 30);
	assert_int_equal(s->limits.max_cpu_milli, 500);
	/* the implicit "default" sandbox carries the base */
	assert_non_null(hx_policy_find(p, "default"));
	assert_int_equal(hx_policy_find(p, "default")->exec.rules.n, 1);
	tp_done(p, &d);
}

static void test_error_has_file_line_col(void **state)
{
	tp_expect_error("security:\n  bogus: 1\n",
			"t.yaml:2:3: error: unknown key 'bogus' in security");
}

static void test_unknown_keys_everywhere(void **state)
{
	tp_expect_error("sandboxes:\n  a:\n    exec:\n      alowed: [/bin/]\n",
			"t.yaml:4:7: error: unknown key 'alowed' in exec");
	tp_expect_error("nope: 1\n", "unknown key 'nope'");
	tp_expect_error("sandboxes:\n  a:\n    colour: red\n", "unknown key 'colour' in a sandbox");
}

static void test_wrong_types(void **state)
{
	tp_expect_error("sandboxes:\n  a:\n    exec: [/bin]\n",
			"'exec' must be a mapping, not a list");
	tp_expect_error("sandboxes:\n  a:\n    exec:\n      allowed: /bin\n",
			"'allowed' must be a list, not a scalar");
	tp_expect_error("security:\n  enabled: maybe\n", "'enabled' must be true or false");
	tp_expect_error("sandboxes:\n  a:\n    mode: strict\n", "'mode' must be enforce or audit");
}

static void test_bad_cidrs(void **state)
{
	tp_expect_error("security:\n  network:\n    blocked_cidrs: [10.0.0.1/8]\n",
			"host bits set");
	tp_expect_error("security:\n  network:\n    allowed_cidrs: [10.0.0.0/33]\n",
			"prefix length must be 0 to 32");
	tp_expect_error("security:\n  network:\n    allowed_cidrs: [\"2001:db8::/129\"]\n",
			"prefix length must be 0 to 128");
	tp_expect_error("security:\n  network:\n    allowed_cidrs: [example.com]\n",
			"not an IP address or CIDR");
	tp_expect_error("security:\n  network:\n    allowed_cidrs: [192.0.2.0/24]\n"
			"    blocked_cidrs: [192.0.2.0/24]\n",
			"both allowed and blocked");
}

static void test_bad_ports(void **state)
{
	tp_expect_error("security:\n  network:\n    blocked_ports: [0]\n", "from 1 to 65535");
	tp_expect_error("security:\n  network:\n    blocked_ports: [70000]\n", "from 1 to 65535");
	tp_expect_error("security:\n  network:\n    allowed_ports: [{port: 443, protocol: sctp}]\n",
			"'protocol' must be tcp or udp");
	tp_expect_error(
		"security:\n  network:\n    allowed_hosts: [{host: a.example, ports: [-1]}]\n",
		"from 1 to 65535");
}

static void test_bad_units(void **state)
{
	tp_expect_error("security:\n  limits: {max_memory: lots}\n",
			"'max_memory': 'lots' is not a size");
	tp_expect_error("security:\n  limits: {max_execution_time: 300}\n", "is not a duration");
	tp_expect_error("security:\n  limits: {max_cpu: \"-1\"}\n", "is not a CPU amount");
	tp_expect_error("security:\n  limits: {max_processes: 0}\n",
			"'max_processes' must be a whole number");
}

static void test_paths(void **state)
{
	tp_expect_error("sandboxes:\n  a:\n    exec: {allowed: [usr/bin]}\n", "must be absolute");
	tp_expect_error("sandboxes:\n  a:\n    exec: {allowed: [/usr/../etc]}\n",
			"must not contain '..'");
	tp_expect_error(
		"sandboxes:\n  a:\n    exec: {allowed: [/usr/bin], blocked: [/usr//bin/]}\n",
		"'/usr/bin' is both allowed");
	tp_expect_error("sandboxes:\n  a:\n    filesystem:\n      allowed_paths:\n"
			"        - {path: /data, permissions: rwz}\n",
			"'permissions' must combine r, w and x");
}

static void test_sandbox_names_and_cgroups(void **state)
{
	tp_expect_error("sandboxes:\n  Web:\n    mode: audit\n", "must match [a-z0-9_-]{1,63}");
	tp_expect_error("sandboxes:\n  a: {}\n  a: {}\n", "duplicate key 'a' (first at line 2)");
	tp_expect_error("sandboxes:\n  a: {cgroup: /x}\n  b: {cgroup: /x}\n",
			"sandboxes 'a' and 'b' both govern cgroup /x");
}

static void test_all_errors_are_reported(void **state)
{
	struct hx_diags d;
	char *out = NULL;
	struct hx_policy *p = tp_load("security:\n"
				      "  bogus: 1\n"
				      "  limits: {max_memory: lots}\n"
				      "sandboxes:\n"
				      "  Bad: {}\n"
				      "  b:\n"
				      "    exec: {allowed: [rel]}\n",
				      &d, &out);

	assert_int_equal(d.errors, 4);
	/* in file order */
	assert_true(strstr(out, ":2:3:") < strstr(out, ":3:24:"));
	assert_true(strstr(out, ":3:24:") < strstr(out, ":5:3:"));
	tp_done(p, &d);
	free(out);
}

static void test_warning_for_blocklist_without_default(void **state)
{
	struct hx_diags d;
	char *out = NULL;
	struct hx_policy *p =
		tp_load("sandboxes:\n  a:\n    exec: {blocked: [/usr/bin/sudo]}\n", &d, &out);

	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	assert_non_null(strstr(out, "t.yaml:2:3: warning: sandbox 'a': exec lists only blocked"));
	tp_done(p, &d);
	free(out);
}

static void test_hostile_alias_bomb(void **state)
{
	/* Each level multiplies by 10: a billion nodes if expanded. */
	tp_expect_error("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
			"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n",
			"document too large");
}

static void test_hostile_deep_nesting(void **state)
{
	size_t n = 100000;
	char *y = malloc(2 * n + 1);

	memset(y, '[', n);
	memset(y + n, ']', n);
	y[2 * n] = 0;
	tp_expect_error(y, "nesting deeper than 64 levels");
	free(y);
}

static void test_hostile_huge_and_nul(void **state)
{
	size_t n = 10u << 20;
	char *y = malloc(n + 1);
	struct hx_diags d = { 0 };
	struct hx_policy *p;
	clock_t t0 = clock();

	memset(y, '#', n);
	y[n] = 0;
	p = hx_policy_load_buf("t.yaml", y, n, &d);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].msg, "larger than"));
	/* refused up front, not parsed */
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	tp_done(p, &d);
	free(y);

	memset(&d, 0, sizeof(d));
	p = hx_policy_load_buf("t.yaml", "security:\n  en\0abled: true\n", 27, &d);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].msg, "NUL byte"));
	assert_int_equal(d.v[0].src.line, 2);
	tp_done(p, &d);
}

static void test_yaml_syntax_error_position(void **state)
{
	tp_expect_error("security:\n  mode: [enforce\n", "t.yaml:3:1: error:");
}

static void test_aliases_are_usable(void **state)
{
	struct hx_diags d;
	struct hx_policy *p =
		tp_expect_ok("sandboxes:\n"
			     "  a:\n"
			     "    exec: &e {default_policy: allow, blocked: [/usr/bin/sudo]}\n"
			     "  b:\n"
			     "    exec: *e\n",
			     &d);

	assert_int_equal(hx_policy_find(p, "b")->exec.rules.n, 1);
	tp_done(p, &d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_default_is_valid),
		cmocka_unit_test(test_sandbox_exec_rules_reach_the_model),
		cmocka_unit_test(test_base_is_inherited),
		cmocka_unit_test(test_error_has_file_line_col),
		cmocka_unit_test(test_unknown_keys_everywhere),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_bad_cidrs),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_bad_units),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_sandbox_names_and_cgroups),
		cmocka_unit_test(test_all_errors_are_reported),
		cmocka_unit_test(test_warning_for_blocklist_without_default),
		cmocka_unit_test(test_hostile_alias_bomb),
		cmocka_unit_test(test_hostile_deep_nesting),
		cmocka_unit_test(test_hostile_huge_and_nul),
		cmocka_unit_test(test_yaml_syntax_error_position),
		cmocka_unit_test(test_aliases_are_usable),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
