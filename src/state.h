/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's public state (/run/helixagent/state): what `status` reports
 * next to the pinned maps. A line-oriented file, written atomically.
 */
#ifndef HX_STATE_H
#define HX_STATE_H

#include <stdint.h>

#include "loader/loader.h"

int hx_state_write(const struct hx_loader *l, const char *policy_file, const struct hx_policy *p);

struct hx_state_sbx {
	uint32_t idx;
	uint64_t cgid;
	char mode[16];
	char name[64];
	char cgroup[512];
};

struct hx_state {
	int pid; /* 0: no daemon */
	uint32_t generation;
	char policy[512];
	char mode[16];
	struct hx_state_sbx *sbx;
	size_t nsbx;
	struct {
		char section[64];
		char pin[64];
	} progs[64];
	size_t nprogs;
};

int hx_state_read(struct hx_state *s);
void hx_state_free(struct hx_state *s);

#endif
