// SPDX-License-Identifier: GPL-2.0
/* Network family: policy -> network maps. Not enforced yet (issue 5). */
#include "family.h"

__u32 hx_net_sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s)
{
	return 0;
}

int hx_net_install(struct hx_loader *l, uint32_t slot, const struct hx_policy *p,
		   struct hx_compiled *out, struct hx_diags *diags)
{
	return 0;
}

void hx_net_clear(struct hx_loader *l, uint32_t slot)
{
}

void hx_net_tick(struct hx_loader *l)
{
}
