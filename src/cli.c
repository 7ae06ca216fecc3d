// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void hx_log(const char *fmt, ...)
{
	va_list ap;

	fputs("helixagent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct hx_policy *hx_cli_load_policy(const struct hx_cli *cli, struct hx_diags *d)
{
	if (!cli->config)
		return hx_policy_load_buf(cli->config_shown, hx_default_policy,
					  strlen(hx_default_policy), d);
	return hx_policy_load_file(cli->config, d);
}

