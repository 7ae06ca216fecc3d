/* SPDX-License-Identifier: GPL-2.0 */
/* What this kernel allows, checked once and cached. */
#ifndef HX_PROBE_H
#define HX_PROBE_H

#include <stdbool.h>
#include <stdio.h>

enum hx_probe_id {
	HX_P_ROOT,
	HX_P_BTF,
	HX_P_CGROUP2,
	HX_P_BPFFS,
	HX_P_LSM_ACTIVE,
	HX_P_LSM_LOAD,
	HX_P_RINGBUF,
	HX_P_HOOK_BPRM,
	HX_P_CGROUP_SOCK,
	HX_P_BPF_LOOP, /* optional */
	HX_P_SLEEPABLE, /* optional */
	HX_P_USERNS_HOOK, /* optional */
	HX_P_URING_WORKERS, /* optional */
	HX_P_CONTAIN, /* optional: which containment classes this kernel cannot close */
	HX_P_MAX,
};

struct hx_probe_item {
	const char *name;
	bool required;
	bool ok;
	char detail[256];
};

struct hx_probe {
	struct hx_probe_item it[HX_P_MAX];
	bool enforce_ok; /* every required item passed */
	char reason[512]; /* the first failure as one line */
};

void hx_probe_run(struct hx_probe *p);
/* 0 when an lsm/HOOK program can be loaded on this kernel, else -errno. */
int hx_probe_lsm_hook(const char *hook);
void hx_probe_print(const struct hx_probe *p, bool json, FILE *out);

#endif
