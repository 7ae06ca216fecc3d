/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the daemon (`helixagent run`) share, private to
 * src/daemon/: struct daemon and the functions one file calls in another.
 * run.c: setup, the tick and the loop; events.c: ring buffer records, drops
 * and rate limits; reload.c: the policy; watch.c: the policy file, sandbox
 * cgroups and pins; metrics.c: /metrics; counters.c: the counters for
 * `status`; relay.c: audit lines of other processes.
 */
#ifndef HX_DAEMON_H
#define HX_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd/cli.h"
#include "events/audit.h"
#include "helixagent/abi.h"
#include "loader/loader.h"
#include "policy/policy.h"
#include "stats.h"

struct ring_buffer;
struct hx_metrics;

#define TICKS_PER_SEC 4
/*
 * Generations whose sandbox and rule names the daemon keeps, beyond the two
 * the loader keeps: an event still in the ring after several quick reloads
 * is named by the policy that decided it.
 */
#define HISTORY 8

enum trigger { T_START, T_SIGNAL, T_FILE, T_REPAIR };

/* What the policy file looked like at the last look. */
enum pf_state { PF_OK, PF_MISSING, PF_EMPTY, PF_UNREADABLE };

struct daemon {
	const struct hx_cli *cli;
	struct hx_loader l;
	struct hx_audit audit;
	struct ring_buffer *rb;
	struct hx_dstats stats;
	struct hx_metrics *metrics;
	char *metrics_listen; /* what it should listen on; NULL: off */
	int64_t metrics_retry_ns;
	int efd;
	int relay_fd; /* HX_AUDIT_SOCKET: lines of `helixagent exec` */
	int relay_conns[64];
	uint64_t relayed, relay_refused;
	uint64_t ring_events;
	unsigned ring_batch;
	bool ring_more; /* the last turn stopped with records left */
	uint64_t drops_reported[HX_DROP_MAX];
	uint64_t drops_now[HX_DROP_MAX];
	uint64_t rl_reported[HX_RL_SANDBOXES]; /* per sandbox index: suppressed events reported */
	uint64_t rl_now[HX_RL_SANDBOXES];
	int64_t rl_since; /* realtime ns: start of the window the next summary covers */

	/* the policy file and what it held when last read */
	struct stat seen_st, pending_st;
	bool seen_ok, pending_ok;
	enum pf_state pf;

	/* the policy in force */
	char sha[65];
	char *good; /* its text, for reinstalling after a cgroup was removed */
	size_t good_len;
	bool *explicit_cg; /* per sandbox of l.cur: governs a cgroup it did not create */
	bool *cg_missing; /* per sandbox: reported missing already */
	enum hx_policy_mode pmode; /* of the policy in force, for the state file */
	char *audit_path;
	double load_seconds;
	int64_t loaded_at;
	uint64_t loads_ok, loads_failed, repairs, repins;
	int64_t repair_after_ns;
	char last_error[200];
	bool pins_lost;

	struct hx_compiled hist[HISTORY];

	int64_t started_at;
	uint64_t wd_usec;
	int64_t wd_next_ns;
	unsigned ticks;
};

/* The relay's connections and their epoll tags (relay.c). */
#define RELAY_CONNS 64
#define TAG_RELAY_LISTEN 4
#define TAG_RELAY_CONN 100

static inline int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t real_s(void)
{
	return (int64_t)time(NULL);
}

static inline int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* events.c */
void hx_d_remember(struct daemon *d, const struct hx_compiled *c);
int hx_d_on_event(void *ctx, void *data, size_t len);
void hx_d_drain(struct daemon *d);
void hx_d_read_drops(struct daemon *d);
void hx_d_read_rate_limits(struct daemon *d);
void hx_d_audit_rate_limited(struct daemon *d, const char *sandbox, uint64_t count, uint64_t total,
			     int64_t from, int64_t to);
void hx_d_check_rate_limits(struct daemon *d);
void hx_d_check_drops(struct daemon *d);

/* reload.c */
void hx_d_log_diags(const struct hx_diags *dg, const char *file);
int hx_d_load_and_install(struct daemon *d, enum trigger why);

/* watch.c */
void hx_d_watch_policy_file(struct daemon *d);
void hx_d_watch_missing_cgroups(struct daemon *d);
void hx_d_watch_cgroups(struct daemon *d);
void hx_d_watch_pins(struct daemon *d);

/* metrics.c */
void hx_d_metrics_configure(struct daemon *d, const char *listen);

/* counters.c */
void hx_d_write_counters(struct daemon *d);
void hx_d_adopt_counters(struct daemon *d);

/* relay.c */
int hx_d_relay_open(struct daemon *d);
void hx_d_relay_accept(struct daemon *d);
void hx_d_relay_read(struct daemon *d, int slot);
void hx_d_relay_close(struct daemon *d);

#endif
