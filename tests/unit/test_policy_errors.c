// SPDX-License-Identifier: GPL-2.0
/* Each class of invalid input in the seed's sections is an error FILE:LINE:COL, all in one run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_policy_util.h"

static void test_duplicate_sandboxes_across_sections(void **state)
{
	tp_expect_error(
		"sandboxes:\n  myplugin: {}\n"
		"plugins:\n  security:\n    overrides:\n      myplugin: {}\n",
		"t.yaml:6:7: error: duplicate sandbox name 'myplugin': declared by sandboxes.myplugin (line 2) and by plugins.security.overrides.myplugin");
	tp_expect_error(
		"tools:\n  security: {}\nsandboxes:\n  tools: {}\n",
		"t.yaml:4:3: error: duplicate sandbox name 'tools': declared by tools.security (line 2) and by sandboxes.tools");
	tp_expect_error(
		"sandboxes:\n  plugins: {}\nplugins:\n  security:\n    default_context: {}\n",
		"duplicate sandbox name 'plugins'");
	tp_expect_error("plugins:\n  security:\n    overrides:\n      a: {cgroup: /x}\n"
			"sandboxes:\n  b: {cgroup: /x}\n",
			"sandboxes 'a' and 'b' both govern cgroup /x");
	tp_expect_error("plugins:\n  security:\n    overrides:\n      Bad: {}\n",
			"sandbox name 'Bad' must match [a-z0-9_-]{1,63}");
}

static void test_unknown_keys_in_seed_sections(void **state)
{
	tp_expect_error("plugins:\n  security:\n    default_context: {colour: red}\n",
			"t.yaml:3:23: error: unknown key 'colour' in default_context");
	tp_expect_error("plugins:\n  security:\n    default_context: {cgroup: /x}\n",
			"unknown key 'cgroup' in default_context");
	tp_expect_error("plugins:\n  security:\n    overrides:\n      a: {colour: red}\n",
			"unknown key 'colour' in a plugin override");
	tp_expect_error("plugins:\n  security:\n    defaults: {}\n",
			"unknown key 'defaults' in plugins.security");
	tp_expect_error("plugins:\n  registry: x\n", "unknown key 'registry' in plugins");
	tp_expect_error("tools:\n  security:\n    colour: red\n",
			"unknown key 'colour' in tools.security");
	tp_expect_error("tools:\n  runner: x\n", "unknown key 'runner' in tools");
	tp_expect_error("monitoring:\n  metrics: {}\n", "unknown key 'metrics' in monitoring");
	tp_expect_error("monitoring:\n  security: {dashboards: []}\n",
			"unknown key 'dashboards' in monitoring.security");
	/* the base takes process/container options under sandbox:, a sandbox directly */
	tp_expect_error("security:\n  process: {use_seccomp: true}\n",
			"unknown key 'process' in security");
	tp_expect_error("sandboxes:\n  a: {sandbox_enabled: false}\n",
			"unknown key 'sandbox_enabled' in a sandbox");
	tp_expect_error("security:\n  sandbox:\n    container: {volumes: []}\n",
			"unknown key 'volumes' in container");
	tp_expect_error("security:\n  sandbox:\n    process: {chroot: /x}\n",
			"unknown key 'chroot' in process");
	tp_expect_error("security:\n  command_validation: {regexes: []}\n",
			"unknown key 'regexes' in command_validation");
	tp_expect_error("security:\n  metrics: {port: 9464}\n", "unknown key 'port' in metrics");
}

static void test_capabilities(void **state)
{
	tp_expect_error("sandboxes:\n  a:\n    capabilities: {drop: [NET_BIND_SERVICES]}\n",
			"t.yaml:3:27: error: 'NET_BIND_SERVICES' is not a capability");
	tp_expect_error("security:\n  sandbox:\n    container: {add_capabilities: [CAP_FLY]}\n",
			"'CAP_FLY' is not a capability");
	tp_expect_error("sandboxes:\n  a:\n    capabilities: {drop: [NET_RAW], add: [NET_RAW]}\n",
			"capability NET_RAW is both dropped and added");
	tp_expect_error("sandboxes:\n  a:\n    capabilities: {keep: [NET_RAW]}\n",
			"unknown key 'keep' in capabilities");
}

static void test_command_validation(void **state)
{
	tp_expect_error(
		"tools:\n  security:\n    command_validation:\n      blocked_patterns: [\"(\"]\n",
		"t.yaml:4:26: error: '(' is not a POSIX extended regular expression: ");
	tp_expect_error(
		"tools:\n  security:\n    command_validation:\n      blocked_patterns: [\"[z-a]\"]\n",
		"is not a POSIX extended regular expression");
	tp_expect_error("tools:\n  security:\n    command_validation:\n"
			"      blocked_patterns: [\"((a{200}){200}){200}\"]\n",
			"is refused: its repetitions expand to more than 10000 nodes");
	tp_expect_error(
		"tools:\n  security:\n    command_validation:\n      blocked_patterns: [\"a{1000}\"]\n",
		"is refused: its repetitions expand");
	/* found by the fuzzer: glibc copies the operand of each '+', so stacked ones explode */
	tp_expect_error(
		"tools:\n  security:\n    command_validation:\n"
		"      blocked_patterns: [\"chown++++++++++++++++++++++++++++++++++++++++\"]\n",
		"is refused: its repetitions expand");
	tp_expect_error(
		"tools:\n  security:\n    command_validation:\n"
		"      blocked_patterns: [\"((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)\"]\n",
		"is refused: its repetitions expand");
	tp_expect_error(
		"tools:\n  security:\n    command_validation:\n      blocked_patterns: [\"\"]\n",
		"'blocked_patterns' entry is empty");
	tp_expect_error(
		"tools:\n  security:\n    command_validation:\n      blocked_commands: [\"  \"]\n",
		"'blocked_commands' entry is empty");
	tp_expect_error(
		"tools:\n  security:\n    command_validation:\n      blocked_commands: [sudo, sudo]\n",
		"'sudo' is listed twice");
	tp_expect_error("tools:\n  security:\n    command_validation: {enabled: maybe}\n",
			"'enabled' must be true or false");
}

static void test_reasonable_patterns_pass(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok_warn("tools:\n  security:\n    command_validation:\n"
						"      blocked_patterns:\n"
						"        - \"a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p+\"\n"
						"        - \"^(curl|wget) .*https?://[^ ]+\"\n"
						"        - \"[[:space:]]*rm[[:space:]]+-[a-z]*r\"\n"
						"        - \"x{2,200}\"\n",
						"blocked_patterns are regular expressions", &d);

	assert_int_equal(hx_policy_find(p, "tools")->cmd.blocked_patterns.n, 4);
	tp_done(p, &d);
}

static void test_environment(void **state)
{
	tp_expect_error("sandboxes:\n  a:\n    environment: {allowed_vars: [\"A=B\"]}\n",
			"'A=B' is not a variable name or glob");
	tp_expect_error("sandboxes:\n  a:\n    environment: {blocked_vars: [\"\"]}\n",
			"'' is not a variable name or glob");
	tp_expect_error(
		"sandboxes:\n  a:\n    environment: {allowed_vars: [HOME], blocked_vars: [HOME]}\n",
		"'HOME' is both allowed and blocked");
	tp_expect_error("sandboxes:\n  a:\n    environment: {allowed_vars: [HOME, HOME]}\n",
			"'HOME' is listed twice");
	tp_expect_error("sandboxes:\n  a:\n    environment: {inherit: sometimes}\n",
			"'inherit' must be true or false");
}

static void test_process_options(void **state)
{
	tp_expect_error("security:\n  sandbox:\n    process: {use_cgroups: false}\n",
			"'use_cgroups: false' is not possible");
	tp_expect_error("sandboxes:\n  a:\n    process: {network_mode: overlay}\n",
			"'network_mode' must be none, host or bridge, not 'overlay'");
	tp_expect_error(
		"sandboxes:\n  a:\n    process: {read_only_paths: [/x], writable_paths: [/x/]}\n",
		"'/x' is both in read_only_paths and in writable_paths");
	tp_expect_error("sandboxes:\n  a:\n    process: {masked_paths: [proc/kcore]}\n",
			"must be absolute");
	tp_expect_error("security:\n  sandbox: {type: vm}\n",
			"'type' must be process, container or none");
	tp_expect_error("plugins:\n  security:\n    default_context: {sandbox_type: vm}\n",
			"'sandbox_type' must be process, container or none, not 'vm'");
	tp_expect_error(
		"plugins:\n  security:\n    default_context: {sandbox_type: none, sandbox_enabled: true}\n",
		"'sandbox_enabled: true' contradicts 'sandbox_type: none'");
}

static void test_seed_limits(void **state)
{
	tp_expect_error("plugins:\n  security:\n    default_context:\n      max_memory_mb: 256\n"
			"      limits: {max_memory: 1G}\n",
			"t.yaml:5:28: error: 'max_memory' is already set");
	tp_expect_error("limits: {max_memory: 1G}\nsecurity:\n  limits: {max_memory: 2G}\n",
			"t.yaml:3:24: error: 'max_memory' is already set");
	tp_expect_error("plugins:\n  security:\n    default_context: {max_cpu_percent: 0}\n",
			"'max_cpu_percent' must be a whole number from 1 to 102400");
	tp_expect_error("plugins:\n  security:\n    default_context: {max_memory_mb: 1.5}\n",
			"'max_memory_mb' must be a whole number");
	tp_expect_error("plugins:\n  security:\n    default_context: {timeout: 60}\n",
			"'timeout': '60' is not a duration");
}

static void test_alerts(void **state)
{
	tp_expect_error(
		"monitoring:\n  security:\n    alerts:\n      - {name: a, condition: \"x > 0\"}\n",
		"t.yaml:4:9: error: an alert needs a name, a condition and a severity");
	tp_expect_error("monitoring:\n  security:\n    alerts:\n"
			"      - {name: a, condition: \"x > 0\", severity: fatal}\n",
			"alert 'a': severity must be info, warning or critical, not 'fatal'");
	tp_expect_error("monitoring:\n  security:\n    alerts:\n"
			"      - {name: a, condition: \"  \", severity: info}\n",
			"alert 'a': the condition is empty");
	tp_expect_error("monitoring:\n  security:\n    alerts:\n"
			"      - {name: a, condition: \"rate(x[5m) > 1\", severity: info}\n",
			"has unbalanced brackets");
	tp_expect_error("monitoring:\n  security:\n    alerts:\n"
			"      - {name: a, condition: \"x > 0\", severity: info}\n"
			"      - {name: a, condition: \"y > 0\", severity: info}\n",
			"alert 'a' is defined twice (first at line 4)");
	tp_expect_error("monitoring:\n  security:\n    alerts:\n"
			"      - {name: \"a b\", condition: \"y > 0\", severity: info}\n",
			"alert name 'a b' must be");
	tp_expect_error("monitoring:\n  security:\n    alerts:\n"
			"      - {name: a, condition: \"y > 0\", severity: info, for: 5m}\n",
			"unknown key 'for' in an alert");
	tp_expect_error("monitoring:\n  security:\n    alerts: {a: 1}\n",
			"'alerts' must be a list");
}

static void test_metrics_listen(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok("security:\n  metrics: {listen: \"[::1]:9464\"}\n", &d);

	assert_string_equal(p->metrics_listen, "[::1]:9464");
	tp_done(p, &d);
	tp_expect_error("security:\n  metrics: {listen: \"9464\"}\n", "'listen' must be HOST:PORT");
	tp_expect_error("security:\n  metrics: {listen: \"localhost:0\"}\n",
			"'listen' must be HOST:PORT");
	tp_expect_error("security:\n  metrics: {listen: \"::1:9464\"}\n",
			"'listen' must be HOST:PORT");
	tp_expect_error("security:\n  metrics: {listen: \"[nothost]:9464\"}\n",
			"'listen' must be HOST:PORT");
}

static void test_all_errors_in_one_run(void **state)
{
	struct hx_diags d;
	char *out = NULL;
	struct hx_policy *p = tp_load("plugins:\n"
				      "  security:\n"
				      "    default_context:\n"
				      "      max_cpu_percent: lots\n"
				      "      capabilities: {drop: [NOPE]}\n"
				      "    overrides:\n"
				      "      x: {environment: {blocked_vars: [\"A=1\"]}}\n"
				      "tools:\n"
				      "  security:\n"
				      "    command_validation: {blocked_patterns: [\"(\"]}\n"
				      "monitoring:\n"
				      "  security:\n"
				      "    alerts: [{name: a, condition: x, severity: loud}]\n"
				      "sandboxes:\n"
				      "  x: {}\n",
				      &d, &out);

	assert_int_equal(d.errors, 6);
	assert_non_null(strstr(out, "t.yaml:4:24: error:"));
	assert_non_null(strstr(out, "t.yaml:5:29: error:"));
	assert_non_null(strstr(out, "t.yaml:7:40: error:"));
	assert_non_null(strstr(out, "t.yaml:10:45: error:"));
	assert_non_null(strstr(out, "t.yaml:13:48: error:"));
	assert_non_null(strstr(out, "t.yaml:15:3: error: duplicate sandbox name 'x'"));
	/* in file order */
	assert_true(strstr(out, ":4:24:") < strstr(out, ":7:40:"));
	assert_true(strstr(out, ":10:45:") < strstr(out, ":15:3:"));
	hx_diags_free(&d);
	hx_policy_free(p);
	free(out);
}

static void test_diagnostics_are_bounded(void **state)
{
	size_t n = 3000, len = 0;
	char *y = malloc(64 + n * 24), *out = NULL;
	struct hx_diags d;
	struct hx_policy *p;

	len += sprintf(y, "security:\n  network:\n    allowed_cidrs:\n");
	for (size_t i = 0; i < n; i++)
		len += sprintf(y + len, "      - 10.0.0.%zu/8\n", i % 255 + 1);
	p = tp_load(y, &d, &out);
	/* every error counted, the first HX_DIAGS_MAX kept, the rest summed up in one line */
	assert_int_equal(d.errors, n);
	assert_int_equal(d.n, HX_DIAGS_MAX);
	assert_non_null(strstr(out, "t.yaml: error: 2000 more errors and warnings not shown\n"));
	tp_done(p, &d);
	free(out);
	free(y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_sandboxes_across_sections),
		cmocka_unit_test(test_unknown_keys_in_seed_sections),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_command_validation),
		cmocka_unit_test(test_reasonable_patterns_pass),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_process_options),
		cmocka_unit_test(test_seed_limits),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_metrics_listen),
		cmocka_unit_test(test_all_errors_in_one_run),
		cmocka_unit_test(test_diagnostics_are_bounded),
	};

	return cmocka_run_group_tests_name("policy_errors", tests, NULL, NULL);
}
