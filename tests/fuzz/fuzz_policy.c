// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the policy loader must refuse or accept any input
 * without crashing, leaking or running away; on a valid policy the dump and
 * the capacity report must hold too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hx_diags d = { 0 }, cd = { 0 };
	struct hx_policy *p = hx_policy_load_buf("fuzz.yaml", (const char *)data, size, &d);
	FILE *devnull = fopen("/dev/null", "w");

	if (devnull) {
		hx_diags_print(&d, "fuzz.yaml", devnull);
		if (p && !d.errors) {
			/* limits small enough that some fuzzed policies exceed them */
			struct hx_capacity total, lim = { .sandboxes = 8,
							  .path_rules = 16,
							  .cidr4 = 8,
							  .cidr6 = 8,
							  .ports = 8,
							  .hosts = 8,
							  .blocked_commands = 8 };

			hx_policy_dump_json(p, devnull);
			hx_policy_capacity(p, &total);
			hx_policy_check_capacity(p, &lim, &cd);
			hx_diags_print(&cd, "fuzz.yaml", devnull);
			for (size_t i = 0; i < p->nsandboxes; i++)
				if (hx_policy_find(p, p->sandboxes[i].name) != &p->sandboxes[i])
					__builtin_trap(); /* names are unique in a valid policy */
		}
		fclose(devnull);
	}
	hx_diags_free(&cd);
	hx_diags_free(&d);
	hx_policy_free(p);
	return 0;
}
