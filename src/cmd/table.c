// SPDX-License-Identifier: GPL-2.0
/* The command table, the option parser and help: what happens before a command runs. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"

const struct hx_opt hx_opt_config =
	HX_OPT_ARG("config", 'c', "FILE", config_arg,
		   "the policy (default " HX_DEFAULT_CONFIG
		   ", or the embedded default when that file does not exist)");
const struct hx_opt hx_opt_config_unused =
	HX_OPT_ARG("config", 'c', "FILE", config_arg,
		   "accepted, as by every command; this one reads no policy");
const struct hx_opt hx_opt_json = HX_OPT_FLAG("json", 0, json, "machine-readable output");
const struct hx_opt hx_opt_verbose =
	HX_OPT_FLAG("verbose", 'v', verbose, "libbpf and verifier output on stderr");
const struct hx_opt hx_opt_help = HX_OPT_FLAG("help", 'h', help, "this help");

const struct hx_cmd *const hx_cmds[] = {
	&hx_cmd_check_def, &hx_cmd_run_def,	&hx_cmd_status_def,
	&hx_cmd_exec_def,  &hx_cmd_probe_def,	&hx_cmd_unload_def,
	&hx_cmd_learn_def, &hx_cmd_version_def, NULL,
};

const struct hx_cmd *hx_cmd_find(const char *name)
{
	for (size_t i = 0; hx_cmds[i]; i++)
		if (!strcmp(hx_cmds[i]->name, name))
			return hx_cmds[i];
	return NULL;
}

static const struct hx_opt *find_long(const struct hx_cmd *cmd, const char *name, size_t len)
{
	for (size_t i = 0; cmd->opts[i]; i++)
		if (strlen(cmd->opts[i]->name) == len && !strncmp(cmd->opts[i]->name, name, len))
			return cmd->opts[i];
	return NULL;
}

static const struct hx_opt *find_short(const struct hx_cmd *cmd, char c)
{
	for (size_t i = 0; cmd->opts[i]; i++)
		if (cmd->opts[i]->short_name == c)
			return cmd->opts[i];
	return NULL;
}

/* "run", "run or probe", "check, run or exec": the commands that do take it. */
static void owners(const char *name, size_t len, char sname, char *out, size_t outlen)
{
	const struct hx_cmd *who[16];
	size_t n = 0, k = 0;

	out[0] = 0;
	for (size_t i = 0; hx_cmds[i] && k < 16; i++)
		if (sname ? find_short(hx_cmds[i], sname) : find_long(hx_cmds[i], name, len))
			who[k++] = hx_cmds[i];
	for (size_t i = 0; i < k && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s",
				      !i	? "" :
				      i + 1 < k ? ", " :
						  " or ",
				      who[i]->name);
}

static int bad_option(const struct hx_cmd *cmd, const char *shown, const char *name, size_t len,
		      char sname, char *err, size_t errlen)
{
	char who[128];

	owners(name, len, sname, who, sizeof(who));
	if (who[0])
		snprintf(err, errlen, "%s: %s is an option of %s, not of %s", cmd->name, shown, who,
			 cmd->name);
	else
		snprintf(err, errlen, "%s: unknown option %s", cmd->name, shown);
	return -EINVAL;
}

static void set(const struct hx_opt *o, struct hx_cli *cli, const char *value)
{
	char *field = (char *)cli + o->off;

	if (o->arg)
		*(const char **)(void *)field = value;
	else
		*(bool *)(void *)field = true;
}

int hx_cmd_parse(const struct hx_cmd *cmd, int argc, char **argv, struct hx_cli *cli, char *err,
		 size_t errlen)
{
	int i;

	err[0] = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct hx_opt *o;

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1]) /* "-" alone is an operand */
			break;
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			char shown[80];

			snprintf(shown, sizeof(shown), "--%.*s", (int)(len < 64 ? len : 64), name);
			o = find_long(cmd, name, len);
			if (!o)
				return bad_option(cmd, shown, name, len, 0, err, errlen);
			if (!o->arg && eq) {
				snprintf(err, errlen, "%s: %s takes no value", cmd->name, shown);
				return -EINVAL;
			}
			if (o->arg && !eq && i + 1 >= argc) {
				snprintf(err, errlen, "%s: %s needs a value (%s)", cmd->name, shown,
					 o->arg);
				return -EINVAL;
			}
			set(o, cli, !o->arg ? NULL : eq ? eq + 1 : argv[++i]);
			continue;
		}
		/* -v, -c FILE, -cFILE, -vc FILE */
		for (const char *p = a + 1; *p; p++) {
			char shown[3] = { '-', *p, 0 };

			o = find_short(cmd, *p);
			if (!o)
				return bad_option(cmd, shown, NULL, 0, *p, err, errlen);
			if (!o->arg) {
				set(o, cli, NULL);
				continue;
			}
			if (p[1]) {
				set(o, cli, p + 1);
			} else if (i + 1 < argc) {
				set(o, cli, argv[++i]);
			} else {
				snprintf(err, errlen, "%s: %s needs a value (%s)", cmd->name, shown,
					 o->arg);
				return -EINVAL;
			}
			break;
		}
	}
	cli->argv = argv + i;
	cli->argc = argc - i;
	if (cli->argc && !(cmd->flags & HX_CMD_TRAILING) && !cli->help) {
		snprintf(err, errlen, "%s: unexpected argument '%s'", cmd->name, cli->argv[0]);
		return -EINVAL;
	}
	return 0;
}

/* @text from column @col, broken between words before column 100. */
static void wrapped(FILE *out, const char *text, int col)
{
	const int width = 100 - col;
	int at = 0;

	while (*text) {
		int len = (int)strcspn(text, " ");

		if (at && at + 1 + len > width) {
			fprintf(out, "\n%*s", col, "");
			at = 0;
		} else if (at) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", len, text);
		at += len;
		text += len;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

void hx_cmd_help(const struct hx_cmd *cmd, FILE *out)
{
	fprintf(out, "usage: helixagent %s %s\n\n%s.\n", cmd->name, cmd->synopsis, cmd->summary);
	if (cmd->details)
		fprintf(out, "\n%s", cmd->details);
	fprintf(out, "\noptions:\n");
	for (size_t i = 0; cmd->opts[i]; i++) {
		const struct hx_opt *o = cmd->opts[i];
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		fprintf(out, "  %-28s ", left);
		wrapped(out, o->help, 31);
	}
}

void hx_cmd_usage(FILE *out)
{
	fprintf(out, "usage: helixagent COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; hx_cmds[i]; i++)
		fprintf(out, "  %-8s %s\n", hx_cmds[i]->name, hx_cmds[i]->summary);
	fprintf(out,
		"\n'helixagent COMMAND --help' lists the options of COMMAND; 'helixagent --version'\n"
		"prints the version. Exit status: 0 success, 1 usage or policy error, 2 system\n"
		"error (kernel refused, no permission), 3 not active (status).\n");
}

static bool verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Without -v, libbpf's warnings surface as one line where the error is handled. */
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int hx_main(int argc, char **argv)
{
	struct hx_cli cli = { 0 };
	const struct hx_cmd *cmd;
	const char *name;
	char err[256];
	int rc;

	if (argc < 2) {
		hx_cmd_usage(stderr);
		return 1;
	}
	name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		hx_cmd_usage(stdout);
		return 0;
	}
	if (!strcmp(name, "help")) {
		if (argc < 3) {
			hx_cmd_usage(stdout);
			return 0;
		}
		cmd = hx_cmd_find(argv[2]);
		if (!cmd) {
			hx_log("help: unknown command '%s'", argv[2]);
			return 1;
		}
		hx_cmd_help(cmd, stdout);
		return 0;
	}
	if (!strcmp(name, "--version"))
		name = "version";
	cmd = hx_cmd_find(name);
	if (!cmd) {
		/* Whatever follows, even --help: a typo must not look like success. */
		hx_log(name[0] == '-' ?
			       "unknown option '%s' before the command (see helixagent --help)" :
			       "unknown command '%s' (see helixagent --help)",
		       name);
		return 1;
	}
	if (hx_cmd_parse(cmd, argc - 2, argv + 2, &cli, err, sizeof(err))) {
		hx_log("%s (see helixagent %s --help)", err, cmd->name);
		return 1;
	}
	if (cli.help) {
		hx_cmd_help(cmd, stdout);
		return 0;
	}
	verbose = cli.verbose;
	libbpf_set_print(libbpf_print);
	/* The options' values first: a typo is reported before anything else is said or done. */
	if (cmd->check && (rc = cmd->check(&cli)))
		return rc;
	rc = hx_cli_resolve_config(&cli, cmd->flags & HX_CMD_POLICY, cmd->flags & HX_CMD_STDIN);
	if (rc)
		return rc;
	return cmd->run(&cli);
}
