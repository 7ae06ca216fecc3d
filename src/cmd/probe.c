// SPDX-License-Identifier: GPL-2.0
/* `helixagent probe`: what this kernel allows. */
#include <stdio.h>

#include "cmd/cmd.h"
#include "loader/probe.h"

static int probe(const struct hx_cli *cli)
{
	struct hx_probe p;

	hx_probe_run(&p);
	hx_probe_print(&p, cli->json, stdout);
	return p.enforce_ok ? 0 : 2;
}

const struct hx_cmd hx_cmd_probe_def = {
	.name = "probe",
	.synopsis = "[--json] [-v]",
	.summary = "what this kernel allows: BTF, BPF LSM, cgroup v2, ring buffer, each hook",
	.details = "Exit status: 0 when full enforcement is possible, 2 when it is not (the\n"
		   "output names what is missing).\n",
	.opts = (const struct hx_opt *const[]){ &hx_opt_config_unused, &hx_opt_json,
						&hx_opt_verbose, &hx_opt_help, NULL },
	.run = probe,
};
