// SPDX-License-Identifier: GPL-2.0
/*
 * Inheritance: security: under every sandbox, plugins.security.default_context
 * under plugin sandboxes; lists concatenated (inherited entries first),
 * scalars and tri-states: the nearer layer wins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helixagent/abi.h"
#include "test_policy_util.h"

#define CAP(n) (1ull << (n))
#define CAP_NET_BIND_SERVICE 10
#define CAP_NET_ADMIN 12
#define CAP_NET_RAW 13
#define CAP_SYS_ADMIN 21

static void test_three_layers(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok(
		"security:\n"
		"  mode: audit\n"
		"  filesystem:\n"
		"    allowed_paths: [/usr]\n"
		"    blocked_paths: [/etc/shadow]\n"
		"  limits: {max_memory: 1G, max_processes: 100}\n"
		"  environment: {blocked_vars: [\"AWS_*\"]}\n"
		"plugins:\n"
		"  security:\n"
		"    default_context:\n"
		"      max_memory_mb: 256\n"
		"      timeout: 60s\n"
		"      filesystem: {allowed_paths: [{path: /opt/plugins, permissions: rx}]}\n"
		"      environment: {inherit: false, allowed_vars: [PATH]}\n"
		"      permissions: {allow_exec: false}\n"
		"    overrides:\n"
		"      a:\n"
		"        mode: enforce\n"
		"        max_memory_mb: 512\n"
		"        permissions: {allow_exec: true, allowed_paths: [/data/a]}\n"
		"        environment: {allowed_vars: [HOME]}\n"
		"sandboxes:\n"
		"  web: {}\n",
		&d);
	const struct hx_sandbox *a = hx_policy_find(p, "a"),
				*plugins = hx_policy_find(p, "plugins");
	const struct hx_sandbox *web = hx_policy_find(p, "web");

	assert_non_null(a);
	/* scalars: the nearest layer that sets one wins */
	assert_int_equal(a->mode, HX_PM_ENFORCE);
	assert_int_equal(plugins->mode, HX_PM_AUDIT);
	assert_int_equal(a->limits.max_memory, 512ull << 20);
	assert_int_equal(plugins->limits.max_memory, 256ull << 20);
	assert_int_equal(web->limits.max_memory, 1ull << 30);
	assert_int_equal(a->limits.max_processes, 100);
	assert_int_equal(a->limits.max_execution_ms, 60000);
	assert_int_equal(web->limits.max_execution_ms, 0);
	assert_int_equal(a->perms.allow_exec, HX_YES);
	assert_int_equal(plugins->perms.allow_exec, HX_NO);
	assert_int_equal(web->perms.allow_exec, HX_UNSET);
	/* lists: security:, then default_context, then the sandbox's own */
	assert_int_equal(a->fs.rules.n, 4);
	assert_string_equal(a->fs.rules.v[0].name, "security.filesystem.allowed_paths[0]");
	assert_string_equal(a->fs.rules.v[1].name, "security.filesystem.blocked_paths[0]");
	assert_string_equal(a->fs.rules.v[2].name,
			    "plugins.security.default_context.filesystem.allowed_paths[0]");
	assert_int_equal(a->fs.rules.v[2].perms, HX_ACC_R | HX_ACC_X);
	assert_string_equal(a->fs.rules.v[3].name, "permissions.allowed_paths[0]");
	assert_int_equal(web->fs.rules.n, 2);
	assert_int_equal(a->env.inherit, HX_NO);
	assert_int_equal(a->env.allowed_vars.n, 2);
	assert_string_equal(a->env.allowed_vars.v[0], "PATH");
	assert_string_equal(a->env.allowed_vars.v[1], "HOME");
	assert_int_equal(a->env.blocked_vars.n, 1);
	assert_int_equal(web->env.inherit, HX_UNSET);
	assert_int_equal(web->env.allowed_vars.n, 0);
	tp_done(p, &d);
}

static void test_capabilities_layering(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok(
		"security:\n"
		"  capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}\n"
		"sandboxes:\n"
		"  plain: {}\n"
		"  more:\n"
		"    capabilities: {add: [cap_net_admin]}\n"
		"  less:\n"
		"    capabilities: {drop: [NET_BIND_SERVICE]}\n"
		"  mixed:\n"
		"    container: {drop_capabilities: [SYS_ADMIN], add_capabilities: [NET_RAW]}\n",
		&d);
	const struct hx_sandbox *s;

	s = hx_policy_find(p, "plain");
	assert_true(s->caps.present);
	assert_true(s->caps.drop == HX_CAPS_ALL);
	assert_true(s->caps.add == CAP(CAP_NET_BIND_SERVICE));
	/* an add comes back from the inherited drop ALL */
	s = hx_policy_find(p, "more");
	assert_true(s->caps.add == (CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_NET_ADMIN)));
	assert_false(s->caps.drop & CAP(CAP_NET_ADMIN));
	/* a drop removes an inherited add */
	s = hx_policy_find(p, "less");
	assert_true(s->caps.add == 0);
	assert_true(s->caps.drop & CAP(CAP_NET_BIND_SERVICE));
	s = hx_policy_find(p, "mixed");
	assert_true(s->caps.add == (CAP(CAP_NET_BIND_SERVICE) | CAP(CAP_NET_RAW)));
	tp_done(p, &d);
}

static void test_process_options_layering(void **state)
{
	struct hx_diags d;
	char *dump;
	struct hx_policy *p =
		tp_expect_ok("security:\n"
			     "  sandbox:\n"
			     "    process: {use_namespaces: true, use_seccomp: true,\n"
			     "              read_only_paths: [/usr], network_mode: none}\n"
			     "sandboxes:\n"
			     "  a:\n"
			     "    process:\n"
			     "      use_seccomp: false\n"
			     "      network_mode: host\n"
			     "      root_fs: /srv/rootfs/\n"
			     "      read_only_paths: [/etc]\n"
			     "      writable_paths: [/tmp/a]\n"
			     "      masked_paths: [/proc/kcore]\n"
			     "      tmpfs: [/run]\n",
			     &d);
	const struct hx_sandbox *a = hx_policy_find(p, "a");

	assert_int_equal(a->proc.use_namespaces, HX_YES);
	assert_int_equal(a->proc.use_seccomp, HX_NO);
	assert_string_equal(a->proc.network_mode, "host");
	assert_string_equal(a->proc.root_fs, "/srv/rootfs");
	assert_int_equal(a->proc.read_only_paths.n, 2);
	assert_string_equal(a->proc.read_only_paths.v[0], "/usr");
	assert_string_equal(a->proc.read_only_paths.v[1], "/etc");
	assert_string_equal(a->proc.writable_paths.v[0], "/tmp/a");
	assert_string_equal(a->proc.masked_paths.v[0], "/proc/kcore");
	assert_string_equal(a->proc.tmpfs.v[0], "/run");
	assert_string_equal(hx_policy_find(p, "default")->proc.network_mode, "none");
	dump = tp_dump(p);
	assert_non_null(strstr(dump, "\"read_only_paths\":[\"/usr\",\"/etc\"]"));
	free(dump);
	tp_done(p, &d);
}

static void test_command_validation_lowering(void **state)
{
	struct hx_diags d;
	struct hx_policy *p;
	const struct hx_sandbox *t;

	/* the base restricts exec: the tools sandbox keeps its default and adds the commands */
	p = tp_expect_ok(
		"security:\n"
		"  exec: {default_policy: deny, allowed: [/usr/bin/], blocked_commands: [sudo]}\n"
		"tools:\n"
		"  security:\n"
		"    command_validation:\n"
		"      blocked_commands: [sudo, \"rm -rf\"]\n"
		"      allowed_commands: [ls, git]\n",
		&d);
	t = hx_policy_find(p, "tools");
	assert_int_equal(t->exec.default_policy, HX_DEF_DENY);
	assert_int_equal(t->exec.rules.n, 1);
	assert_int_equal(t->exec.blocked_commands.n, 2);
	assert_string_equal(t->exec.blocked_commands.v[1], "rm -rf");
	assert_int_equal(t->cmd.enabled, HX_YES);
	assert_int_equal(t->cmd.allowed_commands.n, 2);
	/* the base's exec does not get the tools' commands */
	assert_int_equal(hx_policy_find(p, "default")->exec.blocked_commands.n, 1);
	tp_done(p, &d);

	/* enabled: false keeps the lists but applies nothing */
	p = tp_expect_ok("tools:\n"
			 "  security:\n"
			 "    command_validation: {enabled: false, blocked_commands: [sudo]}\n",
			 &d);
	t = hx_policy_find(p, "tools");
	assert_int_equal(t->cmd.enabled, HX_NO);
	assert_int_equal(t->cmd.blocked_commands.n, 1);
	assert_false(t->exec.present);
	tp_done(p, &d);
}

static void test_switched_off(void **state)
{
	struct hx_diags d;
	struct hx_policy *p;

	p = tp_expect_ok_warn("plugins:\n"
			      "  security:\n"
			      "    default_context: {sandbox_enabled: false}\n"
			      "    overrides:\n"
			      "      a: {}\n"
			      "      b: {sandbox_enabled: true}\n"
			      "      c: {sandbox_type: none}\n",
			      "t.yaml:3:40: warning: sandbox 'plugins' is switched off", &d);
	assert_null(hx_policy_find(p, "plugins"));
	assert_null(hx_policy_find(p, "a"));
	assert_non_null(hx_policy_find(p, "b"));
	assert_null(hx_policy_find(p, "c"));
	assert_non_null(hx_policy_find(p, "default"));
	assert_int_equal(d.warnings, 3);
	tp_done(p, &d);

	p = tp_expect_ok_warn(
		"security:\n  sandbox: {enabled: false}\nsandboxes:\n  a: {}\n",
		"t.yaml:2:22: warning: sandboxing is switched off here: none of the 2 sandboxes declared is enforced",
		&d);
	assert_int_equal(p->nsandboxes, 0);
	assert_false(p->sandbox_enabled);
	tp_done(p, &d);

	p = tp_expect_ok_warn("security:\n  enabled: false\n", "sandboxing is switched off here",
			      &d);
	assert_int_equal(p->nsandboxes, 0);
	assert_false(p->enabled);
	tp_done(p, &d);

	p = tp_expect_ok_warn("security:\n  sandbox: {type: none}\n", "sandboxing is switched off",
			      &d);
	assert_int_equal(p->nsandboxes, 0);
	tp_done(p, &d);
}

static void test_network_only_blocked_warns(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok_warn(
		"sandboxes:\n  a:\n    network: {blocked_cidrs: [10.0.0.0/8]}\n",
		"t.yaml:2:3: warning: sandbox 'a': network lists only blocked entries and no default_policy",
		&d);

	assert_int_equal(hx_policy_find(p, "a")->net.default_policy, HX_DEF_DENY);
	tp_done(p, &d);
}

static void test_seed_shorthands(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok("limits: {max_cpu: \"50%\"}\n"
					   "security:\n"
					   "  limits: {max_memory: 1Gi}\n"
					   "  metrics: {listen: \"127.0.0.1:9464\"}\n"
					   "tools:\n"
					   "  security:\n"
					   "    max_cpu_percent: 150\n"
					   "    timeout: 1h30m\n",
					   &d);

	assert_int_equal(hx_policy_find(p, "default")->limits.max_cpu_milli, 500);
	assert_int_equal(hx_policy_find(p, "default")->limits.max_memory, 1ull << 30);
	assert_int_equal(hx_policy_find(p, "tools")->limits.max_cpu_milli, 1500);
	assert_int_equal(hx_policy_find(p, "tools")->limits.max_execution_ms, 5400000);
	assert_int_equal(hx_policy_find(p, "tools")->limits.max_memory, 1ull << 30);
	assert_string_equal(p->metrics_listen, "127.0.0.1:9464");
	tp_done(p, &d);
}

static void test_root_cgroup_warns(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok_warn(
		"sandboxes:\n  host:\n    cgroup: //\n",
		"t.yaml:2:3: warning: sandbox 'host' governs the root cgroup", &d);

	assert_string_equal(hx_policy_find(p, "host")->cgroup, "/");
	tp_done(p, &d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_layers),
		cmocka_unit_test(test_capabilities_layering),
		cmocka_unit_test(test_process_options_layering),
		cmocka_unit_test(test_command_validation_lowering),
		cmocka_unit_test(test_switched_off),
		cmocka_unit_test(test_network_only_blocked_warns),
		cmocka_unit_test(test_seed_shorthands),
		cmocka_unit_test(test_root_cgroup_warns),
	};

	return cmocka_run_group_tests_name("policy_layers", tests, NULL, NULL);
}
