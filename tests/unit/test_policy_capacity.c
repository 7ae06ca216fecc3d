// SPDX-License-Identifier: GPL-2.0
/* Capacity is known before load: entries per family, and a refusal with the number needed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "test_policy_util.h"

static const char *policy =
	"security:\n"
	"  exec: {blocked: [/usr/bin/sudo]}\n"
	"  network:\n"
	"    blocked_cidrs: [10.0.0.0/8, \"fd00::/8\"]\n"
	"sandboxes:\n"
	"  web:\n"
	"    exec: {allowed: [/usr/sbin/nginx, /usr/bin/], blocked_commands: [\"rm -rf\"]}\n"
	"    filesystem: {allowed_paths: [/var/www, /etc/ssl], blocked_paths: [/etc/shadow]}\n"
	"    network:\n"
	"      allowed_cidrs: [192.0.2.0/24, \"2001:db8::/32\", \"2001:db8:1::/48\"]\n"
	"      allowed_ports: [80, 443]\n"
	"      blocked_ports: [25]\n"
	"      allowed_hosts: [api.example.com]\n"
	"      blocked_hosts: [bad.example.com]\n"
	"  small: {}\n";

static void test_per_sandbox(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok_warn(policy, NULL, &d);
	struct hx_capacity c;

	hx_sandbox_capacity(hx_policy_find(p, "web"), &c);
	assert_int_equal(c.sandboxes, 1);
	assert_int_equal(c.exec_rules, 3); /* sudo (inherited), nginx, /usr/bin */
	assert_int_equal(c.fs_rules, 3);
	assert_int_equal(c.path_rules, 6);
	assert_int_equal(c.cidr4, 2);
	assert_int_equal(c.cidr6, 3);
	assert_int_equal(c.ports, 3);
	assert_int_equal(c.hosts, 2);
	assert_int_equal(c.blocked_commands, 1);

	hx_sandbox_capacity(hx_policy_find(p, "small"), &c);
	assert_int_equal(c.exec_rules, 1);
	assert_int_equal(c.fs_rules, 0);
	assert_int_equal(c.cidr4, 1);
	assert_int_equal(c.cidr6, 1);
	assert_int_equal(c.ports, 0);
	tp_done(p, &d);
}

/*
 * The count and the install read the same parsed prefix: an IPv4-mapped IPv6
 * prefix of /96 or longer is installed in the IPv4 trie, so it counts there.
 */
static void test_mapped_prefix_counts_as_ipv4(void **state)
{
	struct hx_diags d;
	struct hx_policy *p =
		tp_expect_ok("sandboxes:\n"
			     "  m:\n"
			     "    network:\n"
			     "      allowed_cidrs: [\"::ffff:192.0.2.0/120\", \"::ffff:0:0/96\",\n"
			     "                      \"::/80\", \"2001:db8::/32\"]\n",
			     &d);
	struct hx_capacity c;

	hx_sandbox_capacity(hx_policy_find(p, "m"), &c);
	assert_int_equal(c.cidr4, 2);
	assert_int_equal(c.cidr6, 2);
	tp_done(p, &d);
}

static void test_whole_policy(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok_warn(policy, NULL, &d);
	struct hx_capacity c;

	/* web, small and the implicit default each carry the base */
	hx_policy_capacity(p, &c);
	assert_int_equal(c.sandboxes, 3);
	assert_int_equal(c.exec_rules, 5);
	assert_int_equal(c.path_rules, 8);
	assert_int_equal(c.cidr4, 4);
	assert_int_equal(c.cidr6, 5);
	assert_int_equal(c.ports, 3);
	assert_int_equal(c.hosts, 2);
	tp_done(p, &d);
}

static void test_check_against_limits(void **state)
{
	struct hx_diags d, cd = { 0 };
	struct hx_policy *p = tp_expect_ok_warn(policy, NULL, &d);
	struct hx_capacity lim = { .sandboxes = 16, .path_rules = 8, .cidr4 = 4, .cidr6 = 4 };
	char *out = NULL;
	size_t len;
	FILE *f;

	assert_int_equal(hx_policy_check_capacity(p, &lim, &cd), -E2BIG);
	assert_int_equal(cd.errors, 1);
	f = open_memstream(&out, &len);
	hx_diags_print(&cd, "t.yaml", f);
	fclose(f);
	assert_non_null(strstr(
		out,
		"t.yaml:6:3: error: the policy needs 5 IPv6 CIDR rules, more than the 4 the kernel maps hold (sandbox 'web' alone needs 3)"));
	free(out);
	hx_diags_free(&cd);

	/* exactly at the limit fits; a zero limit is no limit */
	lim.cidr6 = 5;
	assert_int_equal(hx_policy_check_capacity(p, &lim, &cd), 0);
	assert_int_equal(cd.n, 0);
	memset(&lim, 0, sizeof(lim));
	assert_int_equal(hx_policy_check_capacity(p, &lim, &cd), 0);
	lim.hosts = 1;
	lim.sandboxes = 2;
	assert_int_equal(hx_policy_check_capacity(p, &lim, &cd), -E2BIG);
	assert_int_equal(cd.errors, 2);
	hx_diags_free(&cd);
	tp_done(p, &d);
}

/* The network family's scale: 100,000 CIDRs (and the duplicate checks) load in linear time. */
static void test_large_policy_loads_fast(void **state)
{
	size_t n = 100000, len = 0;
	char *y = malloc(128 + n * 48);
	struct hx_diags d = { 0 };
	struct hx_policy *p;
	struct hx_capacity c;
	struct timespec t0, t1;
	double secs;

	len += sprintf(y, "sandboxes:\n  big:\n    network:\n      allowed_cidrs:\n");
	for (size_t i = 0; i < n; i++)
		len += sprintf(y + len, "        - %zu.%zu.%zu.0/24\n", 1 + i / 65536,
			       (i / 256) % 256, i % 256);
	len += sprintf(y + len, "      blocked_cidrs: [\"1.0.0.0/24\"]\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = hx_policy_load_buf("t.yaml", y, len, &d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* the one conflict is found among them */
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(d.v[0].msg, "'1.0.0.0/24' is both allowed and blocked"));
	hx_sandbox_capacity(hx_policy_find(p, "big"), &c);
	assert_int_equal(c.cidr4, n);
	/* generous: this runs under ASan; the plain build takes a fraction of it */
	if (secs > 5.0)
		fail_msg("100,000 CIDRs took %.2f s to load", secs);
	tp_done(p, &d);
	free(y);
}

/* A large base copied into many sandboxes is refused before it is copied. */
static void test_inheritance_expansion_is_bounded(void **state)
{
	size_t n = 30000, len = 0;
	char *y = malloc(128 + n * 32 + 70 * 16);
	struct hx_diags d = { 0 };
	struct hx_policy *p;

	len += sprintf(y, "security:\n  network:\n    allowed_cidrs:\n");
	for (size_t i = 0; i < n; i++)
		len += sprintf(y + len, "      - 10.%zu.%zu.0/24\n", i / 256, i % 256);
	len += sprintf(y + len, "sandboxes:\n");
	for (size_t i = 0; i < 70; i++)
		len += sprintf(y + len, "  s%zu: {}\n", i);
	p = hx_policy_load_buf("t.yaml", y, len, &d);
	assert_int_equal(d.errors, 1);
	assert_non_null(strstr(
		d.v[0].msg,
		"the policy expands to 2130000 rules once each of its 71 sandboxes inherits its layers (security: alone has 30000), more than 2000000"));
	tp_done(p, &d);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_sandbox),
		cmocka_unit_test(test_mapped_prefix_counts_as_ipv4),
		cmocka_unit_test(test_whole_policy),
		cmocka_unit_test(test_check_against_limits),
		cmocka_unit_test(test_large_policy_loads_fast),
		cmocka_unit_test(test_inheritance_expansion_is_bounded),
	};

	return cmocka_run_group_tests_name("policy_capacity", tests, NULL, NULL);
}
