// SPDX-License-Identifier: GPL-2.0
/* `helixagent check`: validate a policy without touching the kernel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "loader/loader.h"
#include "util/json.h"

/* Every diagnostic, in the order of the text output, as the text output would name it. */
static int print_json(const struct hx_diags *d, const char *file, const struct hx_policy *p)
{
	const struct hx_diag **sorted = hx_diags_sorted(d);
	struct jw w;

	if (!sorted)
		return -ENOMEM;
	jw_init(&w);
	jw_obj(&w);
	jw_kstr(&w, "file", file);
	jw_kbool(&w, "valid", !d->errors);
	jw_ku64(&w, "errors", d->errors);
	jw_ku64(&w, "warnings", d->warnings);
	if (p && !d->errors)
		jw_ku64(&w, "sandboxes", p->nsandboxes);
	jw_key(&w, "diagnostics");
	jw_arr(&w);
	for (size_t i = 0; i < d->n; i++) {
		jw_obj(&w);
		jw_kstr(&w, "file", file);
		jw_ku64(&w, "line", sorted[i]->src.line);
		jw_ku64(&w, "column", sorted[i]->src.col);
		jw_kstr(&w, "severity", sorted[i]->level == HX_DIAG_ERROR ? "error" : "warning");
		jw_kstr(&w, "message", sorted[i]->msg);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	/* Beyond HX_DIAGS_MAX they are only counted, as in the text output. */
	jw_ku64(&w, "not_shown", d->errors + d->warnings - d->n);
	jw_obj_end(&w);
	free(sorted);
	if (w.oom) {
		jw_free(&w);
		return -ENOMEM;
	}
	printf("%s\n", w.buf);
	jw_free(&w);
	return 0;
}

static int check(const struct hx_cli *cli)
{
	struct hx_diags d = { 0 };
	struct hx_policy *p = hx_cli_load_policy(cli, &d);
	char why[128];
	int rc;

	if (!p) {
		int err = errno;

		fprintf(stderr, "%s: error: cannot read the policy: %s\n", cli->config_shown,
			hx_cli_policy_strerror(err, 0, why, sizeof(why)));
		return hx_cli_exit_for(err);
	}
	/* What the kernel maps can hold is known before any load. */
	if (!d.errors)
		hx_policy_check_capacity(p, &hx_kernel_capacity, &d);
	rc = d.errors ? 1 : 0;
	if (cli->json && !(cli->dump && !rc)) {
		if (print_json(&d, cli->config_shown, p)) {
			hx_log("check: out of memory");
			rc = 2;
		}
	} else {
		hx_diags_print(&d, cli->config_shown, stderr);
		if (!rc && cli->dump)
			hx_policy_dump_json(p, stdout);
		else if (!rc)
			printf("%s: ok (%zu sandbox%s, %zu warning%s)\n", cli->config_shown,
			       p->nsandboxes, p->nsandboxes == 1 ? "" : "es", d.warnings,
			       d.warnings == 1 ? "" : "s");
	}
	hx_diags_free(&d);
	hx_policy_free(p);
	return rc;
}

static const struct hx_opt opt_dump =
	HX_OPT_FLAG("dump", 0, dump, "print the normalised policy as JSON (inheritance resolved)");

const struct hx_cmd hx_cmd_check_def = {
	.name = "check",
	.synopsis = "[-c FILE|-] [--dump] [--json]",
	.summary = "validate a policy without touching the kernel",
	.details = "Every error and warning goes to stderr as FILE:LINE:COL: error: MESSAGE;\n"
		   "with --json, stdout gets one object with all of them (file, line, column,\n"
		   "severity, message). -c - reads the policy from standard input.\n"
		   "Exit status: 0 valid, 1 errors (or the file is missing, not a regular file,\n"
		   "too large), 2 the system refused (no permission to read it).\n",
	.opts = (const struct hx_opt *const[]){ &hx_opt_config, &opt_dump, &hx_opt_json,
						&hx_opt_help, NULL },
	.flags = HX_CMD_POLICY | HX_CMD_STDIN,
	.run = check,
};
