// SPDX-License-Identifier: GPL-2.0
/*
 * Every policy block of the seed document (tests/fixtures/seed/, verbatim)
 * loads, and its values reach the model and the dump. Where a construct is
 * honoured differently from what it says, the warning that says so is there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helixagent/abi.h"
#include "test_policy_util.h"

#define SEED "tests/fixtures/seed/"
#define CAP(n) (1ull << (n))
#define CAP_NET_BIND_SERVICE 10

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, hay);
}

static void test_global_security(void **state)
{
	struct hx_diags d;
	char *out, *dump;
	struct hx_policy *p = tp_load_src(SEED "01-global-security.yaml", &d, &out);
	const struct hx_sandbox *s = hx_policy_find(p, "default"), *b = &p->base;

	/* sandbox: type container is run as the process sandbox, and says so */
	assert_true(p->enabled);
	assert_true(p->sandbox_enabled);
	assert_string_equal(p->sandbox_type, "container");
	assert_int_equal(d.warnings, 3);
	assert_contains(
		out,
		"01-global-security.yaml:8:11: warning: sandbox type 'container' runs as HelixAgent's process sandbox");
	assert_contains(out, ":18:16: warning: 'runtime' is not used");
	assert_contains(out, ":19:22: warning: 'default_image' is not used");
	/* process and container options */
	assert_int_equal(b->proc.use_namespaces, HX_YES);
	assert_int_equal(b->proc.use_seccomp, HX_YES);
	assert_int_equal(b->proc.use_cgroups, HX_YES);
	assert_int_equal(b->proc.read_only_root, HX_YES);
	assert_int_equal(b->proc.no_new_privileges, HX_YES);
	assert_true(b->caps.present);
	assert_true(b->caps.drop == HX_CAPS_ALL);
	assert_true(b->caps.add == CAP(CAP_NET_BIND_SERVICE));
	/* limits */
	assert_non_null(s);
	assert_int_equal(s->limits.max_memory, 512ull << 20);
	assert_int_equal(s->limits.max_cpu_milli, 1000);
	assert_int_equal(s->limits.max_processes, 100);
	assert_int_equal(s->limits.max_open_files, 1024);
	assert_int_equal(s->limits.max_execution_ms, 300000);
	/* network */
	assert_true(s->net.present);
	assert_int_equal(s->net.default_policy, HX_DEF_DENY);
	assert_int_equal(s->net.allow_dns, HX_YES);
	assert_int_equal(s->net.hosts.n, 2);
	assert_string_equal(s->net.hosts.v[1].host, "api.anthropic.com");
	assert_int_equal(s->net.hosts.v[1].nports, 1);
	assert_int_equal(s->net.hosts.v[1].ports[0], 443);
	assert_string_equal(s->net.hosts.v[1].name, "security.network.allowed_hosts[1]");
	assert_int_equal(s->net.cidrs.n, 3);
	assert_string_equal(s->net.cidrs.v[2].cidr, "192.168.0.0/16");
	assert_true(s->net.cidrs.v[2].block);
	/* filesystem */
	assert_true(s->fs.present);
	assert_int_equal(s->fs.default_policy, HX_DEF_DENY);
	assert_string_equal(s->fs.temp_directory, "/tmp/sandbox");
	assert_int_equal(s->fs.rules.n, 5);
	assert_string_equal(s->fs.rules.v[0].path, "/etc/ssl/certs");
	assert_int_equal(s->fs.rules.v[0].perms, HX_ACC_R);
	assert_int_equal(s->fs.rules.v[1].perms, HX_ACC_R | HX_ACC_W);
	assert_string_equal(s->fs.rules.v[4].path, "/root");
	assert_true(s->fs.rules.v[4].block);
	assert_string_equal(s->fs.rules.v[4].name, "security.filesystem.blocked_paths[2]");

	dump = tp_dump(p);
	assert_contains(dump, "\"sandbox_type\":\"container\"");
	assert_contains(dump,
			"\"capabilities\":{\"drop\":[\"ALL\"],\"add\":[\"NET_BIND_SERVICE\"]}");
	assert_contains(dump, "\"use_seccomp\":true");
	assert_contains(
		dump,
		"{\"host\":\"api.openai.com\",\"ports\":[443],\"protocol\":\"any\",\"action\":\"allow\",\"rule\":\"security.network.allowed_hosts[0]\"");
	assert_contains(dump, "\"max_memory_bytes\":536870912");
	free(dump);
	free(out);
	tp_done(p, &d);
}

static void test_plugin_security(void **state)
{
	struct hx_diags d;
	char *out, *dump;
	struct hx_policy *p = tp_load_src(SEED "02-plugin-security.yaml", &d, &out);
	const struct hx_sandbox *dflt = hx_policy_find(p, "plugins");
	const struct hx_sandbox *mine = hx_policy_find(p, "myplugin");

	assert_int_equal(d.warnings, 0);
	/* default_context is the sandbox "plugins" */
	assert_non_null(dflt);
	assert_string_equal(dflt->origin, "plugins.security.default_context");
	assert_string_equal(dflt->cgroup, "/helixagent/plugins");
	assert_int_equal(dflt->limits.max_memory, 256ull << 20);
	assert_int_equal(dflt->limits.max_cpu_milli, 250);
	assert_int_equal(dflt->limits.max_execution_ms, 60000);
	assert_int_equal(dflt->perms.allow_network, HX_YES);
	assert_int_equal(dflt->perms.allow_filesystem, HX_NO);
	assert_int_equal(dflt->perms.allow_exec, HX_NO);
	assert_int_equal(dflt->perms.allow_environment, HX_NO);
	assert_false(dflt->fs.present);
	/* the override: its own values win, the rest comes from default_context */
	assert_non_null(mine);
	assert_string_equal(mine->origin, "plugins.security.overrides.myplugin");
	assert_int_equal(mine->limits.max_memory, 512ull << 20);
	assert_int_equal(mine->limits.max_cpu_milli, 250);
	assert_int_equal(mine->limits.max_execution_ms, 60000);
	assert_int_equal(mine->perms.allow_filesystem, HX_YES);
	assert_int_equal(mine->perms.allow_exec, HX_NO);
	assert_int_equal(mine->perms.allow_network, HX_YES);
	/* permissions.allowed_paths is a filesystem rule: the family is present, default deny */
	assert_true(mine->fs.present);
	assert_int_equal(mine->fs.default_policy, HX_DEF_DENY);
	assert_int_equal(mine->fs.rules.n, 1);
	assert_string_equal(mine->fs.rules.v[0].path, "/data/models");
	assert_int_equal(mine->fs.rules.v[0].perms, HX_ACC_R);
	assert_string_equal(mine->fs.rules.v[0].name, "permissions.allowed_paths[0]");

	dump = tp_dump(p);
	assert_contains(dump,
			"\"name\":\"myplugin\",\"origin\":\"plugins.security.overrides.myplugin\","
			"\"inherits\":[\"security\",\"plugins.security.default_context\"]");
	assert_contains(dump, "\"rule\":\"permissions.allowed_paths[0]\"");
	free(dump);
	free(out);
	tp_done(p, &d);
}

static void test_tool_security(void **state)
{
	struct hx_diags d;
	char *out, *dump;
	struct hx_policy *p = tp_load_src(SEED "03-tool-security.yaml", &d, &out);
	const struct hx_sandbox *t = hx_policy_find(p, "tools");

	assert_non_null(t);
	assert_string_equal(t->origin, "tools.security");
	assert_int_equal(t->cmd.enabled, HX_YES);
	assert_int_equal(t->cmd.blocked_commands.n, 4);
	assert_string_equal(t->cmd.blocked_commands.v[0], "rm -rf");
	assert_int_equal(t->cmd.blocked_patterns.n, 3);
	assert_string_equal(t->cmd.blocked_patterns.v[0], ".*\\|.*");
	assert_string_equal(t->cmd.blocked_patterns.v[2], ".*`.*");
	/* blocked_commands also reach the kernel's exec family, which restricts nothing else */
	assert_true(t->exec.present);
	assert_int_equal(t->exec.default_policy, HX_DEF_ALLOW);
	assert_int_equal(t->exec.rules.n, 0);
	assert_int_equal(t->exec.blocked_commands.n, 4);
	assert_string_equal(t->exec.blocked_commands.v[3], "chown");
	/* environment */
	assert_int_equal(t->env.inherit, HX_NO);
	assert_int_equal(t->env.allowed_vars.n, 3);
	assert_string_equal(t->env.allowed_vars.v[2], "LANG");
	assert_int_equal(t->env.blocked_vars.n, 4);
	assert_string_equal(t->env.blocked_vars.v[3], "*_SECRET");
	/* regexes: honoured by the launcher, and said so */
	assert_int_equal(d.warnings, 1);
	assert_contains(
		out,
		"03-tool-security.yaml:15:7: warning: blocked_patterns are regular expressions the kernel cannot match");
	assert_contains(out, "helixagent exec --shell");

	dump = tp_dump(p);
	assert_contains(dump, "\"blocked_vars\":[\"AWS_*\",\"GOOGLE_*\",\"*_KEY\",\"*_SECRET\"]");
	assert_contains(dump, "\"blocked_patterns\":[\".*\\\\|.*\",\".*>.*\",\".*`.*\"]");
	free(dump);
	free(out);
	tp_done(p, &d);
}

static void test_bp1_enable_sandboxing(void **state)
{
	struct hx_diags d;
	char *out;
	struct hx_policy *p = tp_load_src(SEED "bp1-enable-sandboxing.yaml", &d, &out);

	assert_true(p->sandbox_enabled);
	assert_string_equal(p->sandbox_type, "container");
	assert_int_equal(p->nsandboxes, 1);
	assert_contains(out,
			"warning: sandbox type 'container' runs as HelixAgent's process sandbox");
	free(out);
	tp_done(p, &d);
}

static void test_bp2_minimal_permissions(void **state)
{
	struct hx_diags d;
	char *out;
	struct hx_policy *p = tp_load_src(SEED "bp2-minimal-permissions.yaml", &d, &out);
	const struct hx_sandbox *s = hx_policy_find(p, "plugins");

	assert_int_equal(d.warnings, 0);
	assert_non_null(s);
	assert_int_equal(s->perms.allow_network, HX_YES);
	assert_int_equal(s->perms.allow_filesystem, HX_NO);
	assert_int_equal(s->perms.allow_exec, HX_NO);
	assert_int_equal(s->perms.allow_environment, HX_NO);
	free(out);
	tp_done(p, &d);
}

static void test_bp3_whitelist_and_blacklist(void **state)
{
	struct hx_diags d;
	char *out;
	struct hx_policy *p = tp_load_src(SEED "bp3a-whitelist-good.yaml", &d, &out);
	const struct hx_sandbox *s = hx_policy_find(p, "default");

	/* the top-level network: is the base's */
	assert_int_equal(d.warnings, 0);
	assert_true(s->net.present);
	assert_int_equal(s->net.default_policy, HX_DEF_DENY);
	assert_int_equal(s->net.hosts.n, 1);
	assert_string_equal(s->net.hosts.v[0].host, "api.openai.com");
	assert_int_equal(s->net.hosts.v[0].nports, 0);
	assert_string_equal(s->net.hosts.v[0].name, "network.allowed_hosts[0]");
	free(out);
	tp_done(p, &d);

	p = tp_load_src(SEED "bp3b-blacklist-bad.yaml", &d, &out);
	s = hx_policy_find(p, "default");
	assert_int_equal(s->net.default_policy, HX_DEF_ALLOW);
	assert_int_equal(s->net.hosts.n, 0);
	assert_int_equal(s->net.blocked_hosts.n, 1);
	assert_string_equal(s->net.blocked_hosts.v[0].host, "internal.corp.com");
	assert_string_equal(s->net.blocked_hosts.v[0].name, "network.blocked_hosts[0]");
	assert_int_equal(d.warnings, 1);
	assert_contains(out,
			"warning: blocked_hosts blocks only the addresses these names resolve to");
	free(out);
	tp_done(p, &d);
}

static void test_bp4_resource_limits(void **state)
{
	struct hx_diags d;
	char *out;
	struct hx_policy *p = tp_load_src(SEED "bp4-resource-limits.yaml", &d, &out);
	const struct hx_sandbox *s = hx_policy_find(p, "default");

	assert_int_equal(s->limits.max_memory, 256ull << 20);
	assert_int_equal(s->limits.max_cpu_milli, 500);
	assert_int_equal(s->limits.max_execution_ms, 60000);
	free(out);
	tp_done(p, &d);
}

static void test_bp5_audit_logging(void **state)
{
	struct hx_diags d;
	char *out, *dump;
	struct hx_policy *p = tp_load_src(SEED "bp5-audit-logging.yaml", &d, &out);

	assert_true(p->audit_enabled);
	assert_int_equal(p->audit_events, HX_AE_ALL);
	assert_string_equal(p->log_level, "info");
	assert_int_equal(d.warnings, 1);
	assert_contains(out, "warning: 'log_level' does not filter the audit stream");
	dump = tp_dump(p);
	assert_contains(dump,
			"\"events\":[\"sandbox_create\",\"sandbox_destroy\",\"command_execute\","
			"\"resource_violation\",\"permission_denied\"]");
	free(dump);
	free(out);
	tp_done(p, &d);
}

static void test_bp7_container_isolation(void **state)
{
	struct hx_diags d;
	char *out;
	struct hx_policy *p = tp_load_src(SEED "bp7-container-isolation.yaml", &d, &out);
	const struct hx_sandbox *s = hx_policy_find(p, "plugins");

	assert_non_null(s);
	assert_int_equal(s->proc.read_only_root, HX_YES);
	assert_int_equal(s->proc.no_new_privileges, HX_YES);
	assert_int_equal(d.warnings, 2);
	assert_contains(
		out,
		":6:21: warning: 'sandbox_type: container' runs as HelixAgent's process sandbox");
	assert_contains(out, ":8:16: warning: 'image' is not used");
	free(out);
	tp_done(p, &d);
}

static void test_bp8_network_segmentation(void **state)
{
	struct hx_diags d;
	char *out, *dump;
	struct hx_policy *p = tp_load_src(SEED "bp8-network-segmentation.yaml", &d, &out);
	const struct hx_sandbox *s = hx_policy_find(p, "default");

	assert_int_equal(d.warnings, 0);
	assert_int_equal(s->net.default_policy, HX_DEF_DENY); /* the zone "untrusted" */
	assert_int_equal(s->net.cidrs.n, 1);
	assert_string_equal(s->net.cidrs.v[0].cidr, "10.0.0.0/24");
	assert_false(s->net.cidrs.v[0].block);
	assert_string_equal(s->net.cidrs.v[0].name, "network.zones.trusted.cidrs[0]");
	assert_int_equal(s->net.hosts.n, 1);
	assert_string_equal(s->net.hosts.v[0].host, "api.external.com");
	assert_string_equal(s->net.hosts.v[0].name, "network.zones.untrusted.allowed_hosts[0]");
	dump = tp_dump(p);
	assert_contains(
		dump,
		"{\"cidr\":\"10.0.0.0/24\",\"action\":\"allow\",\"rule\":\"network.zones.trusted.cidrs[0]\"");
	free(dump);
	free(out);
	tp_done(p, &d);
}

static void test_bp10_monitoring_alerts(void **state)
{
	struct hx_diags d;
	char *out, *dump;
	struct hx_policy *p = tp_load_src(SEED "bp10-monitoring-alerts.yaml", &d, &out);

	assert_int_equal(p->nalerts, 2);
	assert_string_equal(p->alerts[0].name, "sandbox_violation");
	assert_string_equal(p->alerts[0].condition, "sandbox_violations > 0");
	assert_int_equal(p->alerts[0].severity, HX_SEV_WARNING);
	assert_string_equal(p->alerts[1].condition, "rate(permission_denied[5m]) > 10");
	assert_int_equal(p->alerts[1].severity, HX_SEV_CRITICAL);
	assert_int_equal(d.warnings, 1);
	assert_contains(out, "warning: alerts are not evaluated by the agent");
	dump = tp_dump(p);
	assert_contains(
		dump,
		"{\"name\":\"permission_denied_spike\",\"condition\":\"rate(permission_denied[5m]) > 10\",\"severity\":\"critical\"");
	free(dump);
	free(out);
	tp_done(p, &d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global_security),
		cmocka_unit_test(test_plugin_security),
		cmocka_unit_test(test_tool_security),
		cmocka_unit_test(test_bp1_enable_sandboxing),
		cmocka_unit_test(test_bp2_minimal_permissions),
		cmocka_unit_test(test_bp3_whitelist_and_blacklist),
		cmocka_unit_test(test_bp4_resource_limits),
		cmocka_unit_test(test_bp5_audit_logging),
		cmocka_unit_test(test_bp7_container_isolation),
		cmocka_unit_test(test_bp8_network_segmentation),
		cmocka_unit_test(test_bp10_monitoring_alerts),
	};

	return cmocka_run_group_tests_name("policy_seed", tests, NULL, NULL);
}
