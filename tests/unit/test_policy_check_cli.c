// SPDX-License-Identifier: GPL-2.0
/*
 * `helixagent check` itself (build/helixagent, built before the unit tests)
 * on every seed fixture and example: exit 0, and --dump prints the model.
 * An invalid policy: exit 1 with FILE:LINE:COL: error: lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_policy_util.h"

static const char *const files[] = {
	"tests/fixtures/seed/01-global-security.yaml",
	"tests/fixtures/seed/02-plugin-security.yaml",
	"tests/fixtures/seed/03-tool-security.yaml",
	"tests/fixtures/seed/bp1-enable-sandboxing.yaml",
	"tests/fixtures/seed/bp2-minimal-permissions.yaml",
	"tests/fixtures/seed/bp3a-whitelist-good.yaml",
	"tests/fixtures/seed/bp3b-blacklist-bad.yaml",
	"tests/fixtures/seed/bp4-resource-limits.yaml",
	"tests/fixtures/seed/bp5-audit-logging.yaml",
	"tests/fixtures/seed/bp7-container-isolation.yaml",
	"tests/fixtures/seed/bp8-network-segmentation.yaml",
	"tests/fixtures/seed/bp10-monitoring-alerts.yaml",
	"policy/examples/web-server.yaml",
	"policy/examples/llm-tool-runner.yaml",
	"policy/examples/locked-down-plugin.yaml",
	"policy/default.yaml",
};

/* Runs `helixagent check ARGS` (redirections included); output in *out; returns its exit status. */
static int run_check(const char *args, char **out)
{
	char cmd[8192];
	size_t len = 0, cap = 0;
	char buf[4096];
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "cd '%s' && ./build/helixagent check %s", HX_SRCDIR, args);
	f = popen(cmd, "r");
	assert_non_null(f);
	*out = NULL;
	for (size_t n; (n = fread(buf, 1, sizeof(buf), f)) > 0;) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			*out = realloc(*out, cap);
			assert_non_null(*out);
		}
		memcpy(*out + len, buf, n);
		len += n;
	}
	if (!*out)
		*out = calloc(1, 1);
	else
		(*out)[len] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_every_fixture_passes_check(void **state)
{
	char args[1024], *out, ok[1100];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(args, sizeof(args), "-c %s 2>&1", files[i]);
		if (run_check(args, &out) != 0)
			fail_msg("helixagent check -c %s failed:\n%s", files[i], out);
		snprintf(ok, sizeof(ok), "%s: ok (", files[i]);
		if (!strstr(out, ok))
			fail_msg("no \"%s\" in:\n%s", ok, out);
		free(out);

		snprintf(args, sizeof(args), "-c %s --dump 2>/dev/null", files[i]);
		assert_int_equal(run_check(args, &out), 0);
		if (out[0] != '{' || !strstr(out, "\"sandboxes\":["))
			fail_msg("helixagent check --dump -c %s:\n%s", files[i], out);
		free(out);
	}
}

static void test_invalid_policy_fails_check(void **state)
{
	char path[] = "/tmp/hx-check-XXXXXX", args[128], *out;
	int fd = mkstemp(path);
	const char *y = "sandboxes:\n  a:\n    network: {allowed_cidrs: [10.0.0.1/8]}\n"
			"    limits: {max_execution_time: 300}\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
	close(fd);
	snprintf(args, sizeof(args), "-c %s 2>&1", path);
	assert_int_equal(run_check(args, &out), 1);
	snprintf(args, sizeof(args), "%s:3:31: error: '10.0.0.1/8' has host bits set", path);
	if (!strstr(out, args))
		fail_msg("no \"%s\" in:\n%s", args, out);
	snprintf(args, sizeof(args), "%s:4:34: error: 'max_execution_time'", path);
	if (!strstr(out, args))
		fail_msg("no \"%s\" in:\n%s", args, out);
	free(out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_fixture_passes_check),
		cmocka_unit_test(test_invalid_policy_fails_check),
	};

	return cmocka_run_group_tests_name("policy_check_cli", tests, NULL, NULL);
}
