// SPDX-License-Identifier: GPL-2.0
/* helixagent: command table and the small commands. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "loader/loader.h"
#include "probe.h"
#include "state.h"

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose && level != LIBBPF_WARN)
		return 0;
	if (!verbose)
		return 0; /* warnings surface as one line where the error is handled */
	return vfprintf(stderr, fmt, ap);
}

static int cmd_check(const struct hx_cli *cli)
{
	struct hx_diags d = { 0 };
	struct hx_policy *p = hx_cli_load_policy(cli, &d);
	int rc;

	if (!p) {
		fprintf(stderr, "%s: error: cannot read: %s\n", cli->config_shown, strerror(errno));
		return 1;
	}
	/* What the kernel maps can hold is known before any load. */
	if (!d.errors)
		hx_policy_check_capacity(p, &hx_kernel_capacity, &d);
	hx_diags_print(&d, cli->config_shown, stderr);
	rc = d.errors ? 1 : 0;
	if (!rc && cli->dump)
		hx_policy_dump_json(p, stdout);
	else if (!rc && !cli->json)
		printf("%s: ok (%zu sandbox%s, %zu warning%s)\n", cli->config_shown, p->nsandboxes,
		       p->nsandboxes == 1 ? "" : "es", d.warnings, d.warnings == 1 ? "" : "s");
	else if (cli->json)
		printf("{\"valid\":%s,\"errors\":%zu,\"warnings\":%zu}\n", rc ? "false" : "true",
		       d.errors, d.warnings);
	hx_diags_free(&d);
	hx_policy_free(p);
	return rc;
}

static int cmd_probe(const struct hx_cli *cli)
{
	struct hx_probe p;

	hx_probe_run(&p);
	hx_probe_print(&p, cli->json, stdout);
	return p.enforce_ok ? 0 : 2;
}

static int cmd_unload(const struct hx_cli *cli)
{
	struct hx_state st;
	int err;

	/* A running daemon holds links open: stop it first, or enforcement would stay. */
	if (!hx_state_read(&st) && st.pid > 0 && kill(st.pid, 0) == 0) {
		kill(st.pid, SIGTERM);
		for (int i = 0; i < 100 && kill(st.pid, 0) == 0; i++)
			usleep(50000);
		if (kill(st.pid, 0) == 0) {
			hx_log("daemon pid %d did not exit; not unloading", st.pid);
			hx_state_free(&st);
			return 2;
		}
	}
	hx_state_free(&st);
	err = hx_loader_unpin_all();
	if (err) {
		hx_log("failed to remove pins under %s: %s", HX_PIN_DIR, strerror(-err));
		return 2;
	}
	unlink(HX_STATE_FILE);
	if (!cli->json)
		printf("unloaded: enforcement removed\n");
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: helixagent COMMAND [options]\n"
		"\n"
		"commands:\n"
		"  check  [-c FILE] [--dump]            validate a policy (no kernel access)\n"
		"  run    [-c FILE] [--audit-log PATH] [--audit-stdout]\n"
		"         [--audit-max-size SIZE] [--audit-keep N] [--syslog TARGET]\n"
		"         [--syslog-facility NAME] [--metrics-listen HOST:PORT] [--log-format logfmt|json]\n"
		"                                       the enforcement daemon, in the foreground\n"
		"  status [--json]                      enforcement state; exit 3 when not active\n"
		"  exec   [-c FILE] --sandbox NAME {[--] CMD [ARG...] | --shell \"COMMAND\"}\n"
		"                                       run CMD confined by sandbox NAME; its exit status,\n"
		"                                       or 1 usage/policy, 2 system, 3 limit refused,\n"
		"                                       4 command refused, 126 cannot execute, 127 not found\n"
		"  probe  [--json]                      what this kernel allows\n"
		"  unload                               detach everything and remove the pins\n"
		"  version [--json]                     this build (also --version): version, BPF object\n"
		"                                       sha256, libbpf and kernel versions\n"
		"\n"
		"options: -c FILE (default " HX_DEFAULT_CONFIG
		", or the embedded default policy\n"
		"         when that file does not exist), --json, -v (libbpf and verifier output)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "dump", no_argument, NULL, 'd' },
		{ "audit-log", required_argument, NULL, 'a' },
		{ "audit-stdout", no_argument, NULL, 'o' },
		{ "sandbox", required_argument, NULL, 's' },
		{ "shell", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "metrics-listen", required_argument, NULL, 0x100 },
		{ "syslog", required_argument, NULL, 0x101 },
		{ "syslog-facility", required_argument, NULL, 0x102 },
		{ "audit-max-size", required_argument, NULL, 0x103 },
		{ "audit-keep", required_argument, NULL, 0x104 },
		{ "log-format", required_argument, NULL, 0x105 },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct hx_cli cli = { 0 };
	const char *cmd;
	int c;

	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version"))
		cmd = "version";
	optind = 2;
	/* "+": stop at the first non-option, so exec's command keeps its own options. */
	while ((c = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli.config = optarg; break;
		case 'j': cli.json = true; break;
		case 'd': cli.dump = true; break;
		case 'a': cli.audit_log = optarg; break;
		case 'o': cli.audit_stdout = true; break;
		case 's': cli.sandbox = optarg; break;
		case 'S': cli.shell = optarg; break;
		case 'v': cli.verbose = verbose = true; break;
		case 0x100: cli.metrics_listen = optarg; break;
		case 0x101: cli.syslog = optarg; break;
		case 0x102: cli.syslog_facility = optarg; break;
		case 0x103: cli.audit_max_size = optarg; break;
		case 0x104: cli.audit_keep = optarg; break;
		case 0x105: cli.log_format = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	cli.argv = argv + optind;
	cli.argc = argc - optind;
	if (!cli.config && access(HX_DEFAULT_CONFIG, F_OK) == 0)
		cli.config = HX_DEFAULT_CONFIG;
	cli.config_shown = cli.config ? cli.config : "<embedded default>";
	libbpf_set_print(libbpf_print);

	if (strcmp(cmd, "exec") && cli.argc > 0) {
		hx_log("%s: unexpected argument '%s'", cmd, cli.argv[0]);
		return 1;
	}
	if (!strcmp(cmd, "check"))
		return cmd_check(&cli);
	if (!strcmp(cmd, "run"))
		return hx_cmd_run(&cli);
	if (!strcmp(cmd, "status"))
		return hx_cmd_status(&cli);
	if (!strcmp(cmd, "exec"))
		return hx_cmd_exec(&cli);
	if (!strcmp(cmd, "probe"))
		return cmd_probe(&cli);
	if (!strcmp(cmd, "unload"))
		return cmd_unload(&cli);
	if (!strcmp(cmd, "version"))
		return hx_cmd_version(&cli);
	hx_log("unknown command '%s'", cmd);
	usage(stderr);
	return 1;
}
