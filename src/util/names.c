// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "util/names.h"

#include <linux/types.h>

#include "helixagent/abi.h"

static const char *const family_names[HX_FAM_MAX] = {
	[HX_FAM_EXEC] = "exec",
	[HX_FAM_FILE] = "filesystem",
	[HX_FAM_NET] = "network",
	[HX_FAM_GUARD] = "guard",
};

static const char *const decision_names[HX_DECISION_MAX] = {
	[HX_DECISION_ALLOW] = "allow",
	[HX_DECISION_DENY] = "deny",
	[HX_DECISION_AUDIT] = "audit",
};

static const char *const drop_names[HX_DROP_MAX] = {
	[HX_DROP_RINGBUF] = "ringbuf_full",	  [HX_DROP_WALK_DEPTH] = "path_too_deep",
	[HX_DROP_CGRP_DEPTH] = "cgroup_too_deep", [HX_DROP_NO_FILE] = "no_file",
	[HX_DROP_RATE_LIMIT] = "rate_limited",
};

const char *hx_family_name(unsigned family)
{
	return family < HX_FAM_MAX && family_names[family] ? family_names[family] : "unknown";
}

const char *hx_decision_name(unsigned decision)
{
	return decision < HX_DECISION_MAX ? decision_names[decision] : "unknown";
}

const char *hx_drop_name(unsigned reason)
{
	return reason < HX_DROP_MAX && drop_names[reason] ? drop_names[reason] : "other";
}

bool hx_drop_loses_event(unsigned reason)
{
	return reason == HX_DROP_RINGBUF || reason == HX_DROP_RATE_LIMIT || reason >= HX_DROP_MAX ||
	       !drop_names[reason];
}
