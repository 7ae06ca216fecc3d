/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decision counters by sandbox name, across policy generations. The kernel
 * counts per (slot, sandbox index, family); an index means another sandbox
 * in another generation, so the daemon folds the growth of each slot's
 * counters into totals by name, with the names of the generation that owns
 * the slot. The totals only grow: Prometheus counters.
 */
#ifndef HX_DAEMON_STATS_H
#define HX_DAEMON_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "helixagent/abi.h"

struct hx_sbx_total {
	char *name;
	uint64_t v[HX_FAM_MAX][HX_DECISION_MAX];
};

struct hx_dstats_slot {
	struct hx_stat_val *last; /* [sandbox index * HX_FAM_MAX + family] */
	size_t nlast; /* sandbox indexes with room in last */
	size_t *tot; /* sandbox index -> index in totals; SIZE_MAX: unknown */
	size_t ntot;
};

struct hx_dstats {
	struct hx_sbx_total *tot;
	size_t ntot;
	struct hx_dstats_slot slot[HX_SLOTS];
	int ncpu;
};

int hx_dstats_init(struct hx_dstats *s);
void hx_dstats_free(struct hx_dstats *s);
/* Folds what the counters of the map @fd gained since the last look. */
void hx_dstats_poll(struct hx_dstats *s, int fd);
/* Folds, then deletes the kernel counters of @slot: it is about to get a new policy. */
void hx_dstats_clear_slot(struct hx_dstats *s, int fd, uint32_t slot);
/* From now on, sandbox index i of @slot is names[i]. */
int hx_dstats_name_slot(struct hx_dstats *s, uint32_t slot, const char *const *names, size_t n);

#endif
