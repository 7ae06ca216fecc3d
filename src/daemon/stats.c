// SPDX-License-Identifier: GPL-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

int hx_dstats_init(struct hx_dstats *s)
{
	memset(s, 0, sizeof(*s));
	s->ncpu = libbpf_num_possible_cpus();
	return s->ncpu > 0 ? 0 : -EINVAL;
}

void hx_dstats_free(struct hx_dstats *s)
{
	for (size_t i = 0; i < s->ntot; i++)
		free(s->tot[i].name);
	free(s->tot);
	for (int k = 0; k < HX_SLOTS; k++) {
		free(s->slot[k].last);
		free(s->slot[k].tot);
	}
	memset(s, 0, sizeof(*s));
}

static int grow_last(struct hx_dstats_slot *sl, size_t idx)
{
	size_t n = idx + 1 > sl->nlast * 2 ? idx + 1 : sl->nlast * 2;
	struct hx_stat_val *nv;

	if (idx < sl->nlast)
		return 0;
	nv = realloc(sl->last, n * HX_FAM_MAX * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	memset(nv + sl->nlast * HX_FAM_MAX, 0, (n - sl->nlast) * HX_FAM_MAX * sizeof(*nv));
	sl->last = nv;
	sl->nlast = n;
	return 0;
}

static uint64_t grew(uint64_t now, uint64_t before)
{
	/* Smaller than before: the entry was deleted and counted again from zero. */
	return now >= before ? now - before : now;
}

void hx_dstats_poll(struct hx_dstats *s, int fd)
{
	struct hx_stat_key key, next;
	struct hx_stat_val *vals;
	void *prev = NULL;

	if (fd < 0 || s->ncpu <= 0)
		return;
	vals = calloc((size_t)s->ncpu, sizeof(*vals));
	if (!vals)
		return;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct hx_dstats_slot *sl = &s->slot[next.slot & 1];
		struct hx_stat_val sum = { 0 }, *last;

		key = next;
		prev = &key;
		if (next.family >= HX_FAM_MAX || bpf_map_lookup_elem(fd, &next, vals))
			continue;
		for (int c = 0; c < s->ncpu; c++) {
			sum.allow += vals[c].allow;
			sum.deny += vals[c].deny;
			sum.audit += vals[c].audit;
		}
		if (grow_last(sl, next.sbx))
			continue;
		last = &sl->last[(size_t)next.sbx * HX_FAM_MAX + next.family];
		if (next.sbx < sl->ntot && sl->tot[next.sbx] != SIZE_MAX) {
			uint64_t *t = s->tot[sl->tot[next.sbx]].v[next.family];

			t[HX_DECISION_ALLOW] += grew(sum.allow, last->allow);
			t[HX_DECISION_DENY] += grew(sum.deny, last->deny);
			t[HX_DECISION_AUDIT] += grew(sum.audit, last->audit);
		}
		*last = sum;
	}
	free(vals);
}

void hx_dstats_clear_slot(struct hx_dstats *s, int fd, uint32_t slot)
{
	struct hx_dstats_slot *sl = &s->slot[slot & 1];
	struct hx_stat_key key, next;
	void *prev = NULL;

	hx_dstats_poll(s, fd);
	while (fd >= 0 && !bpf_map_get_next_key(fd, prev, &next)) {
		if ((next.slot & 1) == (slot & 1)) {
			bpf_map_delete_elem(fd, &next);
			prev = NULL; /* deleting invalidates the position */
			continue;
		}
		key = next;
		prev = &key;
	}
	if (sl->last)
		memset(sl->last, 0, sl->nlast * HX_FAM_MAX * sizeof(*sl->last));
	for (size_t i = 0; i < sl->ntot; i++)
		sl->tot[i] = SIZE_MAX;
}

static size_t total_of(struct hx_dstats *s, const char *name)
{
	struct hx_sbx_total *nv;

	for (size_t i = 0; i < s->ntot; i++)
		if (!strcmp(s->tot[i].name, name))
			return i;
	nv = realloc(s->tot, (s->ntot + 1) * sizeof(*nv));
	if (!nv)
		return SIZE_MAX;
	s->tot = nv;
	memset(&nv[s->ntot], 0, sizeof(nv[0]));
	nv[s->ntot].name = strdup(name);
	if (!nv[s->ntot].name)
		return SIZE_MAX;
	return s->ntot++;
}

int hx_dstats_name_slot(struct hx_dstats *s, uint32_t slot, const char *const *names, size_t n)
{
	struct hx_dstats_slot *sl = &s->slot[slot & 1];
	size_t *nv = realloc(sl->tot, (n ? n : 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	sl->tot = nv;
	sl->ntot = n;
	for (size_t i = 0; i < n; i++)
		nv[i] = names[i] ? total_of(s, names[i]) : SIZE_MAX;
	return 0;
}
