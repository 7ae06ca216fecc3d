// SPDX-License-Identifier: GPL-2.0
/* `helixagent exec`: the launcher (src/sandbox/launch.c) behind its options. */
#include "cmd/cmd.h"

static const struct hx_opt opt_sandbox =
	HX_OPT_ARG("sandbox", 0, "NAME", sandbox, "the sandbox of the policy to run CMD in");
static const struct hx_opt opt_shell = HX_OPT_ARG(
	"shell", 0, "COMMAND", shell, "run COMMAND with /bin/sh -c, validated as a whole");

const struct hx_cmd hx_cmd_exec_def = {
	.name = "exec",
	.synopsis = "[-c FILE] --sandbox NAME {[--] CMD [ARG...] | --shell \"COMMAND\"}",
	.summary = "run CMD confined by sandbox NAME",
	.details = "Options end at the first argument that is not one (or at --): what follows\n"
		   "is CMD and its own arguments.\n"
		   "Exit status: CMD's, or 128+N when a signal N ended it; 1 usage or policy\n"
		   "error, 2 system error, 3 a limit was refused, 4 the command was refused,\n"
		   "126 CMD cannot be executed, 127 CMD was not found.\n",
	.opts = (const struct hx_opt *const[]){ &hx_opt_config, &opt_sandbox, &opt_shell,
						&hx_opt_help, NULL },
	.flags = HX_CMD_POLICY | HX_CMD_TRAILING,
	.run = hx_cmd_exec,
};
