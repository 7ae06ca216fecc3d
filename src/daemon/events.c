// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's side of the event ring buffer: each record becomes an audit
 * line, named by the policy that decided it (the names of the last
 * generations are kept); the kernel's drop and rate limit counts become
 * audit events of their own.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "events/audit.h"
#include "helixagent.skel.h"
#include "util/names.h"

/*
 * Ring buffer records handled per turn of the event loop: a sandbox that
 * floods denials cannot keep the daemon from signals, ticks and scrapes.
 */
#define RING_BATCH 2048

static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

/* Keeps a copy of the names of the generation just installed. */
void hx_d_remember(struct daemon *d, const struct hx_compiled *c)
{
	struct hx_compiled *h = &d->hist[c->generation % HISTORY];
	bool oom = false;

	hx_compiled_free(h);
	h->sbx = calloc(c->nsbx ? c->nsbx : 1, sizeof(*h->sbx));
	h->rules = calloc(c->nrules ? c->nrules : 1, sizeof(*h->rules));
	if (!h->sbx || !h->rules) {
		hx_compiled_free(h);
		return;
	}
	h->nsbx = c->nsbx;
	h->nrules = c->nrules;
	for (size_t i = 0; i < c->nsbx; i++) {
		h->sbx[i] = c->sbx[i];
		h->sbx[i].name = dup_or_null(c->sbx[i].name, &oom);
		h->sbx[i].cgroup = dup_or_null(c->sbx[i].cgroup, &oom);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		h->rules[i] = c->rules[i];
		h->rules[i].name = dup_or_null(c->rules[i].name, &oom);
		h->rules[i].path = dup_or_null(c->rules[i].path, &oom);
	}
	h->generation = c->generation;
	h->inode_entries = c->inode_entries;
	if (oom)
		hx_compiled_free(h);
}

static const struct hx_compiled *tables(struct daemon *d, uint32_t generation)
{
	const struct hx_compiled *c = hx_loader_tables(&d->l, generation);
	const struct hx_compiled *h = &d->hist[generation % HISTORY];

	if (c)
		return c;
	return h->generation == generation && h->sbx ? h : NULL;
}

int hx_d_on_event(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	const struct hx_event *e = data;
	static struct hx_event copy;

	d->ring_events++;
	d->ring_batch++;
	if (len < offsetof(struct hx_event, path) || e->type != HX_EV_DECISION)
		return d->ring_batch >= RING_BATCH ? -EAGAIN : 0;
	/* Records are sent without their unused tail: pad into a whole event. */
	if (len < sizeof(copy)) {
		memcpy(&copy, data, len);
		memset((char *)&copy + len, 0, sizeof(copy) - len);
		e = &copy;
	}
	hx_audit_decision(&d->audit, e, tables(d, e->generation));
	/* Consumed; stop this turn here (libbpf commits the record before stopping). */
	return d->ring_batch >= RING_BATCH ? -EAGAIN : 0;
}

/* One turn's worth of ring buffer records. */
void hx_d_drain(struct daemon *d)
{
	int rc;

	if (!d->rb)
		return;
	d->ring_batch = 0;
	rc = ring_buffer__consume(d->rb);
	d->ring_more = rc == -EAGAIN;
}

void hx_d_read_drops(struct daemon *d)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(d->l.skel->maps.hx_drops);

	if (ncpu <= 0)
		return;
	for (__u32 r = 0; r < HX_DROP_MAX; r++) {
		__u64 vals[ncpu], sum = 0;

		if (bpf_map_lookup_elem(fd, &r, vals))
			continue;
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
		d->drops_now[r] = sum;
	}
}

/* Sandbox indexes whose rate limit bucket may hold counts: those of this policy and the last. */
static size_t rl_span(const struct daemon *d)
{
	size_t n = d->l.cur.nsbx > d->l.prev.nsbx ? d->l.cur.nsbx : d->l.prev.nsbx;

	return n < HX_RL_SANDBOXES ? n : HX_RL_SANDBOXES;
}

void hx_d_read_rate_limits(struct daemon *d)
{
	int fd = bpf_map__fd(d->l.skel->maps.hx_rl);
	size_t n = rl_span(d);

	for (__u32 i = 0; i < n; i++) {
		struct hx_rl_state st;

		if (!bpf_map_lookup_elem(fd, &i, &st))
			d->rl_now[i] = st.suppressed;
	}
}

/* RFC 3339 UTC with milliseconds, as @timestamp */
static void iso_ms(char *out, size_t len, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ns % 1000000000 / 1000000));
}

/*
 * events_rate_limited: @count events of @sandbox (NULL: unknown, e.g. while
 * no daemon ran) that its rate_limit kept in the kernel between @from and @to.
 */
void hx_d_audit_rate_limited(struct daemon *d, const char *sandbox, uint64_t count, uint64_t total,
			     int64_t from, int64_t to)
{
	static const char *const cat[] = { "host" }, *const type[] = { "info" };
	struct hx_audit *a = &d->audit;
	char f[96], t[96];

	iso_ms(f, sizeof(f), from);
	iso_ms(t, sizeof(t), to);
	hx_ecs_head(a, to);
	hx_ecs_event(a, "metric", cat, 1, type, 1, "events_rate_limited", "events_rate_limited",
		     "helixagent");
	jw_key(&a->w, "helixagent");
	jw_obj(&a->w);
	jw_kstr(&a->w, "drop_reason", hx_drop_name(HX_DROP_RATE_LIMIT));
	jw_kstr(&a->w, "sandbox", sandbox);
	jw_ku64(&a->w, "dropped", count);
	jw_ku64(&a->w, "dropped_total", total);
	jw_kstr(&a->w, "window_start", f);
	jw_kstr(&a->w, "window_end", t);
	jw_obj_end(&a->w);
	hx_ecs_emit(a);
}

/*
 * One summary per sandbox whose rate limit suppressed events since the last
 * one, so every event.sequence gap has its count. Called every second,
 * right before a new policy renumbers the sandboxes, and at exit.
 */
void hx_d_check_rate_limits(struct daemon *d)
{
	size_t n = rl_span(d);
	int64_t now = real_ns();

	hx_d_read_rate_limits(d);
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL;

		if (d->rl_now[i] <= d->rl_reported[i])
			continue;
		if (i < d->l.cur.nsbx)
			name = d->l.cur.sbx[i].name;
		else if (i < d->l.prev.nsbx)
			name = d->l.prev.sbx[i].name;
		hx_d_audit_rate_limited(d, name, d->rl_now[i] - d->rl_reported[i], d->rl_now[i],
					d->rl_since, now);
		d->drops_reported[HX_DROP_RATE_LIMIT] += d->rl_now[i] - d->rl_reported[i];
		d->rl_reported[i] = d->rl_now[i];
	}
	d->rl_since = now;
}

/* Reports each reason whose kernel count grew since the last report (the last daemon's too). */
void hx_d_check_drops(struct daemon *d)
{
	hx_d_read_drops(d);
	for (__u32 r = 0; r < HX_DROP_MAX; r++) {
		uint64_t sum = d->drops_now[r];

		if (r == HX_DROP_RATE_LIMIT)
			continue; /* per sandbox: hx_d_check_rate_limits */
		if (sum > d->drops_reported[r]) {
			hx_audit_dropped(&d->audit, hx_drop_name(r), sum - d->drops_reported[r],
					 sum);
			d->drops_reported[r] = sum;
		}
	}
}
