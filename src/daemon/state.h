/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's state (/run/helixagent/state, root only): what `status` reports
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
	/* Who the pid was: a pid reused by another process is not the daemon. */
	uint64_t start; /* /proc/PID/stat starttime (clock ticks since boot); 0: not recorded */
	char exe[512]; /* /proc/PID/exe; "": not recorded */
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

/*
 * @pid's executable and start time, as /proc says now; " (deleted)" (an
 * upgraded binary) is removed from @exe. 0 or -errno (-ENOENT: no such
 * process, -ESRCH: a zombie).
 */
int hx_proc_identity(int pid, char *exe, size_t exelen, uint64_t *start);

enum hx_daemon_check {
	HX_DAEMON_NONE, /* no pid recorded, or no such process */
	HX_DAEMON_ALIVE, /* the process that wrote the state file */
	HX_DAEMON_OTHER, /* the pid now names another process */
};
/* Whether the daemon the state file names still runs; what runs instead in @what. */
enum hx_daemon_check hx_state_daemon(const struct hx_state *s, char *what, size_t whatlen);
void hx_state_free(struct hx_state *s);
/* The names (sandboxes, rules) of the generation the state file describes. */
int hx_state_read_tables(struct hx_compiled *c);

/*
 * What the running daemon counts (/run/helixagent/counters): rewritten every
 * second while it runs, read by `status` next to the kernel's counters.
 * "name value" lines; a reader keeps what it knows and skips the rest.
 */
#define HX_COUNTERS_FILE HX_RUN_DIR "/counters"
#define HX_COUNTERS_MAX 64

struct hx_counter {
	char name[48];
	char value[208];
};

struct hx_counters {
	struct hx_counter v[HX_COUNTERS_MAX];
	size_t n;
};

void hx_counters_set(struct hx_counters *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The value of @name, or NULL. */
const char *hx_counters_get(const struct hx_counters *c, const char *name);
int hx_counters_write(const struct hx_counters *c);
int hx_counters_read(struct hx_counters *c);

#endif
