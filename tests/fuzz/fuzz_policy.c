// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: the policy loader must refuse or accept any input without crashing. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hx_diags d = { 0 };
	struct hx_policy *p = hx_policy_load_buf("fuzz.yaml", (const char *)data, size, &d);
	FILE *devnull = fopen("/dev/null", "w");

	if (devnull) {
		hx_diags_print(&d, "fuzz.yaml", devnull);
		if (p && !d.errors)
			hx_policy_dump_json(p, devnull);
		fclose(devnull);
	}
	hx_diags_free(&d);
	hx_policy_free(p);
	return 0;
}
