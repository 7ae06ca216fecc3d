/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `helixagent learn`: a deny-by-default policy for one sandbox from what its
 * workload did. Observations come from audit lines of the sandbox in audit
 * mode (every "would deny" of a deny-by-default family is one thing the
 * workload did); the folding rules (docs/learn.md) turn them into rules.
 * No I/O but the output stream and stat() of observed paths.
 */
#ifndef HX_LEARN_H
#define HX_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HX_LR_R 1u
#define HX_LR_W 2u
#define HX_LR_X 4u

struct hx_learn;

struct hx_learn_opts {
	const char *sandbox; /* the sandbox the rules are for */
	unsigned fold_threshold; /* files of one directory folded into it; 0: never */
	bool network_host; /* the learning run shared the host's network */
	const char *source; /* what was learned from, for the header comment */
};

/* What the observations held and what could not become a rule. */
struct hx_learn_stats {
	unsigned long lines; /* audit lines read */
	unsigned long used; /* turned into (part of) a rule */
	unsigned long other; /* other sandboxes, other event kinds */
	unsigned long enforced; /* decision "deny": the sandbox was not in audit mode */
	unsigned long unlearnable; /* incomplete paths, fileless execs, baseline/guard refusals */
	unsigned long bad; /* not JSON, or not an audit event */
	unsigned long dropped; /* events the agent reported lost (events_dropped...) */
};

struct hx_learn *hx_learn_new(const struct hx_learn_opts *o);
void hx_learn_free(struct hx_learn *l);

/* Observations; each returns 0 or -ENOMEM. */
int hx_learn_exec(struct hx_learn *l, const char *path);
int hx_learn_file(struct hx_learn *l, const char *path, unsigned perms);
/* @addr is an address literal; @proto "tcp" or "udp". */
int hx_learn_connect(struct hx_learn *l, const char *addr, unsigned port, const char *proto);
int hx_learn_listen(struct hx_learn *l, unsigned port, const char *proto);

/*
 * One audit line (JSON, as the daemon writes it). Events of other sandboxes
 * and other kinds are counted and ignored. Returns 0, or -ENOMEM.
 */
int hx_learn_audit_line(struct hx_learn *l, const char *line, size_t len);

/* The policy: a YAML file with this one sandbox, every rule commented. */
int hx_learn_write(struct hx_learn *l, FILE *out);

const struct hx_learn_stats *hx_learn_stats(const struct hx_learn *l);

/* The folding rules, exposed for the unit tests. */
bool hx_learn_is_temp_name(const char *name);
/* The system directory that groups @path ("/usr/lib/x86_64-linux-gnu/"), or NULL. */
const char *hx_learn_system_group(const char *path, char *buf, size_t len);

#endif
