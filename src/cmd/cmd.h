/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command table: one struct hx_cmd per command (src/cmd/NAME.c), each
 * with the options it accepts and nothing else. The parser fills struct
 * hx_cli from a command's own table, so an option of another command is a
 * usage error that names both.
 */
#ifndef HX_CMD_H
#define HX_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cmd/cli.h"

struct hx_opt {
	const char *name; /* long name, without "--" */
	char short_name; /* 0: none */
	const char *arg; /* the argument's name in help; NULL: a flag */
	size_t off; /* in struct hx_cli: a bool for a flag, a const char * for an argument */
	const char *help;
};

#define HX_OPT_FLAG(lname, sname, field, text)                                                     \
	{                                                                                          \
		.name = lname, .short_name = sname, .off = offsetof(struct hx_cli, field),         \
		.help = text                                                                       \
	}
#define HX_OPT_ARG(lname, sname, argname, field, text)                                             \
	{                                                                                          \
		.name = lname, .short_name = sname, .arg = argname,                                \
		.off = offsetof(struct hx_cli, field), .help = text                                \
	}

/* Options several commands share. */
extern const struct hx_opt hx_opt_config, hx_opt_json, hx_opt_verbose, hx_opt_help;
/* -c for a command that reads no policy: every command takes it (SPEC section 1). */
extern const struct hx_opt hx_opt_config_unused;

enum {
	HX_CMD_TRAILING = 1 << 0, /* takes a command line after its options (exec) */
	HX_CMD_POLICY = 1 << 1, /* reads the policy -c names (or the embedded default) */
	HX_CMD_STDIN = 1 << 2, /* "-c -" reads the policy from standard input */
};

struct hx_cmd {
	const char *name;
	const char *synopsis; /* after "helixagent NAME " */
	const char *summary; /* one line for the command list */
	const char *details; /* more for NAME --help; may be NULL */
	const struct hx_opt *const *opts; /* NULL-terminated */
	unsigned flags;
	/* The values of the options, before the policy is looked at: 0 or the exit status. */
	int (*check)(const struct hx_cli *cli);
	int (*run)(const struct hx_cli *cli);
};

extern const struct hx_cmd hx_cmd_check_def, hx_cmd_run_def, hx_cmd_status_def, hx_cmd_exec_def,
	hx_cmd_probe_def, hx_cmd_unload_def, hx_cmd_learn_def, hx_cmd_version_def;
/* Every command, NULL-terminated, in the order help lists them. */
extern const struct hx_cmd *const hx_cmds[];

const struct hx_cmd *hx_cmd_find(const char *name);

/*
 * Parses @argc/@argv (what follows the command's name) with @cmd's options
 * into @cli. 0, or -EINVAL with the reason in @err ("check: --audit-log is
 * an option of run, not of check").
 */
int hx_cmd_parse(const struct hx_cmd *cmd, int argc, char **argv, struct hx_cli *cli, char *err,
		 size_t errlen);

/* `helixagent NAME --help`, and the list of commands for `helixagent --help`. */
void hx_cmd_help(const struct hx_cmd *cmd, FILE *out);
void hx_cmd_usage(FILE *out);

/* The whole command line: what main() returns. */
int hx_main(int argc, char **argv);

#endif
