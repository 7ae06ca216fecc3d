/* SPDX-License-Identifier: GPL-2.0 */
/* What every command gets from the command line (filled by src/cmd/table.c). */
#ifndef HX_CLI_H
#define HX_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#include "policy/policy.h"

#define HX_DEFAULT_CONFIG "/etc/helixagent/helixagent.yaml"

struct hx_cli {
	const char *config_arg; /* what -c said; NULL: not given */
	const char *config; /* NULL: the embedded default policy; "-": standard input */
	const char *config_shown; /* for messages: the file, "<stdin>" or "<embedded default>" */
	const char *audit_log;
	bool audit_stdout;
	/* run: daemon outputs (each overrides what the policy says) */
	const char *metrics_listen; /* --metrics-listen HOST:PORT, "none" to turn off */
	const char *syslog; /* --syslog TARGET */
	const char *syslog_facility; /* --syslog-facility NAME */
	bool journald; /* --journald: also to journald, with structured fields */
	const char *audit_max_size; /* --audit-max-size SIZE: rotate the audit log */
	const char *audit_keep; /* --audit-keep N: rotated files kept */
	const char *log_format; /* --log-format logfmt|json */
	bool json;
	bool verbose;
	bool dump;
	bool help;
	const char *sandbox;
	const char *shell; /* exec --shell: the command as one shell string */
	/* learn */
	const char *learn_out; /* --out FILE */
	const char *from_audit; /* --from-audit LOG */
	const char *fold; /* --fold N */
	const char *network; /* --network none|host */
	char **argv; /* exec: the command */
	int argc;
};

/* One line to stderr, prefixed with the program name. */
void hx_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Exit status for a failure with @err (a positive errno): 2 for what the
 * system refused (no permission, I/O, memory), 1 for what the operator named
 * wrongly (no such file, not a regular file, too large).
 */
int hx_cli_exit_for(int err);

/*
 * Opens a policy file for reading without blocking and without side
 * effects: the name is pinned with O_PATH, refused unless it is a regular
 * file, and only then opened for reading (a FIFO or a device is never
 * opened). The descriptor, or -errno: -EINVAL when it is not a regular
 * file, with its type in *@type.
 */
int hx_cli_open_policy(const char *path, mode_t *type);
/* Reads at most HX_POLICY_MAX_BYTES from @fd into a NUL-terminated *@buf; -EFBIG beyond. */
int hx_cli_read_fd(int fd, char **buf, size_t *len);
/* "cannot read: it is a FIFO, not a regular file", "No such file or directory", ... */
const char *hx_cli_policy_strerror(int err, mode_t type, char *out, size_t outlen);

/*
 * Sets config and config_shown from config_arg. For a command that reads a
 * policy: a missing default file (or a dangling link) means the embedded
 * default, said on stderr; a named file must be a readable regular file.
 * 0, or the exit status after a message.
 */
int hx_cli_resolve_config(struct hx_cli *cli, bool reads_policy, bool stdin_ok);
/* The same with another default file (tests). */
int hx_cli_resolve_config_from(struct hx_cli *cli, const char *def, bool reads_policy,
			       bool stdin_ok);

/* The policy -c names, the embedded default, or stdin ("-"). NULL with errno on I/O error. */
struct hx_policy *hx_cli_load_policy(const struct hx_cli *cli, struct hx_diags *d);

/*
 * Warns on stderr, once per finding, when @path or a directory above it can
 * be written by anyone but root. The number of findings.
 */
int hx_cli_warn_writable(const char *path);

int hx_cmd_run(const struct hx_cli *cli);
int hx_cmd_exec(const struct hx_cli *cli);

#endif
