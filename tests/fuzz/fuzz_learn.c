// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what `helixagent learn` reads and writes. Each input line
 * is an audit line for hx_learn_audit_line and a cgroup path for
 * hx_container_from_cgroup; whatever they held, the policy learn writes must
 * load with no error (the promise that its output passes `helixagent check`),
 * and a container id found must be 64 lower-case hex digits.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/learn.h"
#include "policy/policy.h"
#include "util/container.h"

static void fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_learn: %s\n%s\n", what, text ? text : "");
	__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hx_learn_opts o = { .sandbox = "job", .fold_threshold = 3, .network_host = true };
	struct hx_learn *l = hx_learn_new(&o);
	const char *p = (const char *)data, *end = p + size;
	struct hx_diags d = { 0 };
	struct hx_policy *pol;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	if (!l)
		return 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, n);
		struct hx_container c;

		if (line) {
			hx_learn_audit_line(l, line, strlen(line));
			if (hx_container_from_cgroup(line, &c) && c.id[0] &&
			    (strlen(c.id) != 64 || strspn(c.id, "0123456789abcdef") != 64))
				fail("container id not 64 hex digits", c.id);
			free(line);
		}
		p += n + 1;
	}
	f = open_memstream(&out, &outlen);
	if (f) {
		if (hx_learn_write(l, f))
			fail("hx_learn_write failed", NULL);
		fclose(f);
		pol = hx_policy_load_buf("learned.yaml", out, outlen, &d);
		if (!pol || d.errors) {
			hx_diags_print(&d, "learned.yaml", stderr);
			fail("the learned policy does not load", out);
		}
		hx_policy_free(pol);
		hx_diags_free(&d);
		free(out);
	}
	hx_learn_free(l);
	return 0;
}
