// SPDX-License-Identifier: GPL-2.0
/* The example policies of policy/examples/ load, and mean what their comments say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helixagent/abi.h"
#include "test_policy_util.h"

#define CAP_NET_BIND_SERVICE 10

static void test_web_server(void **state)
{
	struct hx_diags d;
	char *out;
	struct hx_policy *p = tp_load_src("policy/examples/web-server.yaml", &d, &out);
	const struct hx_sandbox *w = hx_policy_find(p, "web");
	struct hx_capacity c;

	assert_int_equal(d.warnings, 0);
	assert_non_null(w);
	assert_true(w->cgroup_explicit);
	assert_string_equal(w->cgroup, "/system.slice/nginx.service");
	assert_int_equal(w->exec.default_policy, HX_DEF_DENY);
	assert_int_equal(w->fs.default_policy, HX_DEF_DENY);
	assert_int_equal(w->fs.allow_symlinks, HX_NO);
	assert_int_equal(w->net.allow_inbound, HX_YES);
	assert_int_equal(w->net.allow_dns, HX_YES);
	assert_int_equal(w->net.ports.n, 1);
	assert_int_equal(w->net.ports.v[0].proto, HX_PROTO_TCP);
	assert_true(w->caps.add & (1ull << CAP_NET_BIND_SERVICE));
	assert_int_equal(w->limits.max_open_files, 65536);
	assert_int_equal(p->audit_events, HX_AE_PERMISSION_DENIED | HX_AE_RESOURCE_VIOLATION);
	hx_sandbox_capacity(w, &c);
	assert_int_equal(c.fs_rules, 11);
	assert_int_equal(c.cidr4, 2);
	assert_int_equal(c.cidr6, 1);
	free(out);
	tp_done(p, &d);
}

static void test_llm_tool_runner(void **state)
{
	struct hx_diags d;
	char *out;
	struct hx_policy *p = tp_load_src("policy/examples/llm-tool-runner.yaml", &d, &out);
	const struct hx_sandbox *t = hx_policy_find(p, "tools"),
				*r = hx_policy_find(p, "retriever");

	/* the regexes and the alerts, each honoured elsewhere and said so */
	assert_int_equal(d.warnings, 2);
	assert_non_null(t);
	assert_int_equal(t->limits.max_execution_ms, 60000);
	assert_int_equal(t->limits.max_memory, 512ull << 20);
	assert_int_equal(t->exec.default_policy, HX_DEF_DENY);
	assert_int_equal(t->exec.blocked_commands.n, 4);
	assert_int_equal(t->cmd.blocked_patterns.n, 3);
	assert_int_equal(t->env.inherit, HX_NO);
	assert_int_equal(t->net.hosts.n, 2);
	assert_int_equal(t->proc.use_seccomp, HX_YES);
	assert_true(t->caps.drop == HX_CAPS_ALL);
	/* the base's filesystem rules first, then the tools' workspace */
	assert_string_equal(t->fs.rules.v[t->fs.rules.n - 1].path, "/srv/workspace");
	assert_string_equal(t->fs.temp_directory, "/tmp/sandbox");
	assert_non_null(r);
	assert_int_equal(r->limits.max_memory, 512ull << 20);
	assert_int_equal(r->limits.max_cpu_milli, 250);
	assert_int_equal(r->perms.allow_exec, HX_NO);
	assert_string_equal(r->fs.rules.v[r->fs.rules.n - 1].path, "/data/models");
	assert_int_equal(p->nalerts, 2);
	free(out);
	tp_done(p, &d);
}

static void test_locked_down_plugin(void **state)
{
	struct hx_diags d;
	char *out;
	struct hx_policy *p = tp_load_src("policy/examples/locked-down-plugin.yaml", &d, &out);
	const struct hx_sandbox *s = hx_policy_find(p, "converter");

	assert_int_equal(d.warnings, 0);
	assert_non_null(s);
	assert_int_equal(s->perms.allow_network, HX_NO);
	assert_int_equal(s->perms.allow_exec, HX_NO);
	assert_int_equal(s->perms.allow_environment, HX_NO);
	assert_true(s->caps.present);
	assert_true(s->caps.drop == HX_CAPS_ALL);
	assert_true(s->caps.add == 0);
	assert_int_equal(s->env.inherit, HX_NO);
	assert_string_equal(s->proc.network_mode, "none");
	assert_int_equal(s->proc.read_only_root, HX_YES);
	assert_int_equal(s->proc.tmpfs.n, 1);
	assert_int_equal(s->limits.max_memory, 128ull << 20);
	assert_int_equal(s->limits.max_cpu_milli, 500);
	assert_int_equal(s->limits.max_processes, 4);
	assert_int_equal(s->limits.max_execution_ms, 30000);
	assert_int_equal(s->fs.default_policy, HX_DEF_DENY);
	assert_int_equal(s->fs.rules.n, 7);
	assert_true(s->fs.rules.v[6].block);
	assert_int_equal(s->fs.rules.v[5].perms, HX_ACC_W);
	assert_int_equal(s->exec.rules.n, 1);
	free(out);
	tp_done(p, &d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_web_server),
		cmocka_unit_test(test_llm_tool_runner),
		cmocka_unit_test(test_locked_down_plugin),
	};

	return cmocka_run_group_tests_name("policy_examples", tests, NULL, NULL);
}
