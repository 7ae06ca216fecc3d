/* SPDX-License-Identifier: GPL-2.0 */
/* What every command gets from the command line. */
#ifndef HX_CLI_H
#define HX_CLI_H

#include <stdbool.h>

#include "policy/policy.h"

#define HX_DEFAULT_CONFIG "/etc/helixagent/helixagent.yaml"

struct hx_cli {
	const char *config; /* NULL: the embedded default policy */
	const char *config_shown; /* for messages: the file, or "<embedded default>" */
	const char *audit_log;
	bool audit_stdout;
	/* run: daemon outputs (each overrides what the policy says) */
	const char *metrics_listen; /* --metrics-listen HOST:PORT, "none" to turn off */
	const char *syslog; /* --syslog TARGET */
	const char *syslog_facility; /* --syslog-facility NAME */
	const char *audit_max_size; /* --audit-max-size SIZE: rotate the audit log */
	const char *audit_keep; /* --audit-keep N: rotated files kept */
	const char *log_format; /* --log-format logfmt|json */
	bool json;
	bool verbose;
	bool dump;
	const char *sandbox;
	const char *shell; /* exec --shell: the command as one shell string */
	char **argv; /* exec: the command */
	int argc;
};

/* One line to stderr, prefixed with the program name. */
void hx_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The policy -c names, or the embedded default. NULL with errno on I/O error. */
struct hx_policy *hx_cli_load_policy(const struct hx_cli *cli, struct hx_diags *d);

int hx_cmd_run(const struct hx_cli *cli);
int hx_cmd_status(const struct hx_cli *cli);
int hx_cmd_exec(const struct hx_cli *cli);
int hx_cmd_version(const struct hx_cli *cli);

#endif
