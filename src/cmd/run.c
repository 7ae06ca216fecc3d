// SPDX-License-Identifier: GPL-2.0
/*
 * `helixagent run`: the daemon (src/daemon/). Its options are checked here,
 * before it touches anything, so a typo is a usage error and not a daemon
 * that starts without the output it was asked for.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "events/sink.h"
#include "util/str.h"

/*
 * What --syslog accepts, as the sink will read it: /path, unix:/path, udp://,
 * tcp:// or tls://HOST:PORT (tls:// with ?ca=&cert=&key=, which the sink
 * checks when it loads them).
 */
static bool valid_syslog_target(const char *t)
{
	if (!strncmp(t, "tls://", 6)) {
		char hp[512];
		size_t n = strcspn(t + 6, "?");

		if (n >= sizeof(hp))
			return false;
		memcpy(hp, t + 6, n);
		hp[n] = 0;
		return hx_policy_valid_listen(hp);
	}
	if (!strncmp(t, "udp://", 6) || !strncmp(t, "tcp://", 6))
		return hx_policy_valid_listen(t + 6);
	if (!strncmp(t, "unix:", 5))
		t += 5;
	/* sockaddr_un's sun_path: 108 bytes with the terminator */
	return t[0] == '/' && strlen(t) < 108;
}

/* 0, or a usage error (1) after a message naming the option and the value. */
static int check_options(const struct hx_cli *cli)
{
	uint64_t size;

	if (cli->metrics_listen && strcmp(cli->metrics_listen, "none") &&
	    !hx_policy_valid_listen(cli->metrics_listen)) {
		hx_log("run: --metrics-listen: '%s' is not HOST:PORT, [IPv6]:PORT or none",
		       cli->metrics_listen);
		return 1;
	}
	if (cli->syslog && !valid_syslog_target(cli->syslog)) {
		hx_log("run: --syslog: '%s' is not /path/to/socket, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT",
		       cli->syslog);
		return 1;
	}
	if (cli->syslog_facility && hx_syslog_facility(cli->syslog_facility) < 0) {
		hx_log("run: --syslog-facility: unknown facility '%s' (auth, authpriv, daemon, local0..local7, ...)",
		       cli->syslog_facility);
		return 1;
	}
	if (cli->syslog_facility && !cli->syslog && !cli->journald) {
		hx_log("run: --syslog-facility needs --syslog TARGET or --journald");
		return 1;
	}
	if (cli->audit_max_size && hx_parse_size(cli->audit_max_size, &size)) {
		hx_log("run: --audit-max-size: '%s' is not a size (10M, 512Ki, 1G)",
		       cli->audit_max_size);
		return 1;
	}
	if (cli->audit_keep) {
		char *end;
		unsigned long keep = strtoul(cli->audit_keep, &end, 10);

		if (!cli->audit_keep[0] || *end || cli->audit_keep[0] == '-' || keep > 1000) {
			hx_log("run: --audit-keep: '%s' is not a number of files (0-1000)",
			       cli->audit_keep);
			return 1;
		}
	}
	if (cli->log_format && strcmp(cli->log_format, "json") &&
	    strcmp(cli->log_format, "logfmt")) {
		hx_log("run: --log-format: '%s' is not logfmt or json", cli->log_format);
		return 1;
	}
	return 0;
}

static int run(const struct hx_cli *cli)
{
	if (cli->config)
		hx_cli_warn_writable(cli->config);
	return hx_cmd_run(cli);
}

static const struct hx_opt opt_audit_log =
	HX_OPT_ARG("audit-log", 0, "PATH", audit_log,
		   "the JSON-lines audit log (default: security.audit.path)");
static const struct hx_opt opt_audit_stdout =
	HX_OPT_FLAG("audit-stdout", 0, audit_stdout, "also write every event to stdout");
static const struct hx_opt opt_audit_max_size =
	HX_OPT_ARG("audit-max-size", 0, "SIZE", audit_max_size,
		   "rotate the audit log past SIZE (10M, 512Mi, 1G)");
static const struct hx_opt opt_audit_keep =
	HX_OPT_ARG("audit-keep", 0, "N", audit_keep, "rotated audit files kept (default 5)");
static const struct hx_opt opt_syslog = HX_OPT_ARG(
	"syslog", 0, "TARGET", syslog,
	"also send every event as RFC 5424: /dev/log, /path/to/socket, udp://HOST:PORT, tcp://HOST:PORT, "
	"tls://HOST:PORT[?ca=FILE&cert=FILE&key=FILE] (RFC 5425)");
static const struct hx_opt opt_syslog_facility =
	HX_OPT_ARG("syslog-facility", 0, "NAME", syslog_facility,
		   "auth (default), authpriv, daemon, local0..local7");
static const struct hx_opt opt_journald = HX_OPT_FLAG(
	"journald", 0, journald,
	"also send every event to journald, ECS fields as journal fields (docs/audit.md)");
static const struct hx_opt opt_metrics_listen = HX_OPT_ARG(
	"metrics-listen", 0, "HOST:PORT", metrics_listen,
	"Prometheus /metrics and /healthz (default: security.metrics.listen; none: off)");
static const struct hx_opt opt_log_format = HX_OPT_ARG(
	"log-format", 0, "FORMAT", log_format, "the daemon's own log: logfmt (default) or json");

const struct hx_cmd hx_cmd_run_def = {
	.name = "run",
	.synopsis =
		"[-c FILE] [--audit-log PATH] [--audit-stdout] [--audit-max-size SIZE]\n"
		"       [--audit-keep N] [--syslog TARGET] [--journald] [--syslog-facility NAME]\n"
		"       [--metrics-listen HOST:PORT|none] [--log-format logfmt|json] [-v]",
	.summary = "the enforcement daemon, in the foreground",
	.details = "Probes the kernel, loads and pins the BPF programs, installs the policy and\n"
		   "writes the audit stream. SIGHUP or a change of the policy file reloads it\n"
		   "atomically; SIGTERM and SIGINT stop the daemon and leave the policy enforced\n"
		   "(helixagent unload ends it). Every option is checked before anything starts.\n"
		   "Exit status: 0 after SIGTERM/SIGINT, 1 usage or policy error, 2 the kernel or\n"
		   "the system refused.\n",
	.opts = (const struct hx_opt *const[]){ &hx_opt_config, &opt_audit_log, &opt_audit_stdout,
						&opt_audit_max_size, &opt_audit_keep, &opt_syslog,
						&opt_syslog_facility, &opt_journald,
						&opt_metrics_listen, &opt_log_format,
						&hx_opt_verbose, &hx_opt_help, NULL },
	.flags = HX_CMD_POLICY,
	.check = check_options,
	.run = run,
};
