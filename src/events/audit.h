/* SPDX-License-Identifier: GPL-2.0 */
/* Decision records -> ECS JSON lines on the audit outputs. */
#ifndef HX_AUDIT_H
#define HX_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "helixagent/abi.h"
#include "loader/loader.h"
#include "util/json.h"

struct hx_sink;
struct hx_journal;

#define HX_UUID_LEN 36
/* Where agent.id is kept on a host without /etc/machine-id. */
#define HX_AGENT_STATE_DIR "/var/lib/helixagent"
/* event.module and event.dataset of every line */
#define HX_ECS_MODULE "helixagent"
#define HX_ECS_DATASET "helixagent.audit"

/*
 * Why a line did not reach an output. Each loss is counted, and reported
 * by an events_dropped event once that output takes lines again, so every
 * gap in an output's event.sequence is accounted for.
 */
enum hx_audit_loss {
	HX_LOSS_WRITE = 0, /* "audit_write": the JSON-lines file refused it (ENOSPC, EIO, ...) */
	HX_LOSS_SYSLOG, /* "syslog": the collector could not take it in time */
	HX_LOSS_FORMAT, /* "audit_format": no memory to format it */
	HX_LOSS_JOURNALD_QUEUE, /* "journald_queue": journald was behind, its queue full */
	HX_LOSS_JOURNALD, /* "journald": journald refused it */
	HX_LOSS_MAX,
};

struct hx_audit {
	int fd; /* the JSON-lines log, -1 if none */
	char *path;
	bool to_stdout;
	uint64_t seq; /* last sequence given out */
	uint64_t written; /* lines written to the file */
	uint64_t write_errors; /* lines that could not be written, all outputs */
	int64_t boot_to_real_ns;
	char boot_id[40];
	char machine_id[40];
	char hostname[256];
	char agent_id[HX_UUID_LEN + 1]; /* agent.id: stable per host (events/audit_agent.c) */
	char ephemeral_id[HX_UUID_LEN + 1]; /* agent.ephemeral_id: this process's */
	/* agent.*, observer.*, host.* as JSON, the same in every line: made once */
	char *origin;
	char origin_host[256]; /* the host name it was made for */
	struct jw w;
	/* rotation by size: path -> path.1 -> ... -> path.keep */
	uint64_t max_size; /* 0: never rotate */
	unsigned keep;
	uint64_t size; /* bytes in the current file, as far as this process knows */
	uint64_t rotations;
	int last_errno; /* of the last failed file write or rotation, 0 after a success */
	uint64_t lost[HX_LOSS_MAX];
	uint64_t lost_reported[HX_LOSS_MAX]; /* covered by an events_dropped event already */
	int64_t report_retry_ns; /* while the file fails: when to try a report again */
	struct hx_sink *syslog; /* owned */
	struct hx_journal *journal; /* owned */
	/* the event being formatted: for the syslog header */
	const char *cur_kind, *cur_code;
	int64_t cur_real_ns;
	bool in_report;
	unsigned last_out; /* outputs the last line reached */
	/*
	 * Lines of other processes (`helixagent exec`) go through the daemon, so the
	 * stream has one writer and one sequence: -1 when this process writes itself.
	 */
	int relay_fd;
	uint64_t relayed; /* lines handed to the daemon */
};

/* Where the daemon takes the lines of other processes (a datagram socket). */
#define HX_AUDIT_SOCKET HX_RUN_DIR "/audit.sock"

/*
 * Opens the stream for a process other than the daemon: its lines go to the
 * running daemon (which numbers them in its sequence and writes them to its
 * outputs), or to @path directly when no daemon runs.
 */
int hx_audit_open(struct hx_audit *a, const char *path, bool to_stdout);
/* Opens the stream for the daemon: it writes @path itself. */
int hx_audit_open_direct(struct hx_audit *a, const char *path, bool to_stdout);
/*
 * The daemon's side of the relay: @line (one JSON object, no newline) from
 * another process gets the next event.sequence and goes to every output.
 */
void hx_audit_relay(struct hx_audit *a, const char *line, size_t len);
void hx_audit_close(struct hx_audit *a);
/* Reopens the log file (after an external rotation: logrotate, SIGUSR1). */
int hx_audit_reopen(struct hx_audit *a);
/* Rotates when a line would take the file past @max_size bytes (0: never), keeping @keep old files. */
void hx_audit_set_rotation(struct hx_audit *a, uint64_t max_size, unsigned keep);
/* Renames path -> path.1 ... and opens a fresh file now. */
int hx_audit_rotate(struct hx_audit *a);
/* Also sends every line to @s (RFC 5424); the audit stream owns it from now on. */
void hx_audit_set_syslog(struct hx_audit *a, struct hx_sink *s);
/* Also sends every line to journald (sink.h); the audit stream owns @j from now on. */
void hx_audit_set_journal(struct hx_audit *a, struct hx_journal *j);
/* Periodic work: flush and reconnect syslog, report losses once outputs work again. */
void hx_audit_tick(struct hx_audit *a);
/* Lines lost for @reason (enum hx_audit_loss) since open. */
const char *hx_audit_loss_name(unsigned reason);

/* Formats one kernel decision; @c names sandboxes and rules of its generation. */
void hx_audit_decision(struct hx_audit *a, const struct hx_event *e, const struct hx_compiled *c);
/* events_dropped: @count events lost for @reason since the last report */
void hx_audit_dropped(struct hx_audit *a, const char *reason, uint64_t count, uint64_t total);
/* policy_load */
void hx_audit_policy_load(struct hx_audit *a, const struct hx_compiled *c, const char *file,
			  bool ok, const char *message);

/* Formats an event into a's buffer without writing it; for tests. */
void hx_audit_format_decision(struct hx_audit *a, const struct hx_event *e,
			      const struct hx_compiled *c);

/* Building blocks for formatters of other families (events/audit_*.c). */
void hx_ecs_head(struct hx_audit *a, int64_t real_ns);
void hx_ecs_event(struct hx_audit *a, const char *kind, const char *const *cat, size_t ncat,
		  const char *const *type, size_t ntype, const char *action, const char *code,
		  const char *provider);
void hx_ecs_emit(struct hx_audit *a);
/* Writes the finished line in a->w to every output (events/audit_out.c). */
void hx_audit_write_line(struct hx_audit *a);

/*
 * Extension points, weak so a family can add its own actions and fields
 * (destination.*, network.*) without touching this file.
 */
struct hx_action_desc {
	const char *action; /* event.action */
	const char *category; /* event.category (first) */
	const char *type; /* event.type (first) */
	const char *provider; /* event.provider: the hook */
};
const struct hx_action_desc *hx_audit_ext_action(uint16_t action) __attribute__((weak));
void hx_audit_ext_fields(struct hx_audit *a, const struct hx_event *e) __attribute__((weak));

/*
 * Each family's part of a decision line (events/audit_exec.c, audit_file.c,
 * audit_guard.c): its helixagent.* fields and its objects.
 */
void hx_audit_file_fields(struct hx_audit *a, const struct hx_event *e);
void hx_audit_exec_fields(struct hx_audit *a, const struct hx_event *e);
void hx_audit_guard_fields(struct hx_audit *a, const struct hx_event *e);
/* file.* (path, inode, device), if the decision was about an object. */
void hx_audit_file_obj(struct hx_audit *a, const struct hx_event *e);
/* The built-in rule (guard.*, baseline.*) an event names, or NULL. */
const char *hx_audit_builtin_rule(const struct hx_event *e);

/*
 * agent.id for a host: from @machine_id when there is one, else the id kept
 * in @state_dir (made there the first time). 0 when the id is stable; a
 * negative errno when it could not be kept (@out then holds an id for this
 * run only).
 */
int hx_agent_id(const char *machine_id, const char *state_dir, char out[HX_UUID_LEN + 1]);
void hx_uuid_random(char out[HX_UUID_LEN + 1]);

/* Joins leaf-first NUL-separated components into "/a/b/c"; returns length. */
size_t hx_components_to_path(const char *comp, size_t len, char *out, size_t outlen,
			     bool *complete);

#endif
