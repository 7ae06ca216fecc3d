// SPDX-License-Identifier: GPL-2.0
/*
 * What `helixagent version` and helixagent_build_info report: the hash of
 * the BPF object is the hash of the bytes the skeleton loads, the version
 * is VERSION's, and the command's JSON twin has every field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "helixagent.skel.h"
#include "metrics/metrics.h"
#include "util/sha256.h"
#include "util/version.h"

static void bpf_hash_is_the_skeletons(void **state)
{
	size_t sz;
	const void *elf = hx_bpf__elf_bytes(&sz);
	char hex[65];

	hx_sha256_hex(elf, sz, hex);
	assert_string_equal(hex, hx_bpf_object_sha256());
}

static void version_starts_with_version_file(void **state)
{
	char want[64] = { 0 };
	FILE *f = fopen(HX_SRCDIR "/VERSION", "r");

	assert_non_null(f);
	assert_non_null(fgets(want, sizeof(want), f));
	fclose(f);
	want[strcspn(want, "\n")] = 0;
	assert_true(want[0]);
	assert_memory_equal(hx_version(), want, strlen(want));
	assert_true(hx_version()[strlen(want)] == 0 || hx_version()[strlen(want)] == '+');
}

static void build_info_metric(void **state)
{
	struct hx_buf b = { 0 };
	char want[256];

	hx_prom_build_info(&b);
	assert_false(b.oom);
	snprintf(want, sizeof(want),
		 "helixagent_build_info{version=\"%s\",bpf_object_sha256=\"%s\",libbpf=\"%s\"} 1\n",
		 hx_version(), hx_bpf_object_sha256(), hx_libbpf_version());
	assert_non_null(strstr(b.p, want));
	assert_non_null(strstr(b.p, "# TYPE helixagent_build_info gauge\n"));
	hx_buf_free(&b);
}

static char *run(const char *args, int *rc)
{
	char cmd[512], *out = calloc(1, 8192);
	size_t n;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s/build/helixagent' %s", HX_SRCDIR, args);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(out);
	n = fread(out, 1, 8191, f);
	out[n] = 0;
	st = pclose(f);
	*rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

static void version_command(void **state)
{
	static const char *const keys[] = { "\"version\":", "\"bpf_object_sha256\":", "\"libbpf\":",
					    "\"kernel\":" };
	char want[128];
	int rc;
	char *out = run("version --json", &rc);

	assert_int_equal(rc, 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strstr(out, keys[i]))
			fail_msg("no %s in: %s", keys[i], out);
	snprintf(want, sizeof(want), "\"bpf_object_sha256\":\"%s\"", hx_bpf_object_sha256());
	assert_non_null(strstr(out, want));
	free(out);

	out = run("--version", &rc);
	assert_int_equal(rc, 0);
	snprintf(want, sizeof(want), "helixagent %s\n", hx_version());
	assert_memory_equal(out, want, strlen(want));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bpf_hash_is_the_skeletons),
		cmocka_unit_test(version_starts_with_version_file),
		cmocka_unit_test(build_info_metric),
		cmocka_unit_test(version_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
