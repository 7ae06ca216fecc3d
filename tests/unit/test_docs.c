// SPDX-License-Identifier: GPL-2.0
/*
 * The man pages say what the code and the policy reference say:
 * helixagent(8) names every option of every command table, and
 * helixagent.yaml(5), generated from policy/README.md, keeps every key and
 * value the README spells out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmd/cmd.h"
#include "test_file_util.h"

static void man8_names_every_option(void **state)
{
	char *man = slurp(HX_SRCDIR "/doc/helixagent.8.scd");
	char want[96];

	for (size_t i = 0; hx_cmds[i]; i++) {
		snprintf(want, sizeof(want), "\n*%s*", hx_cmds[i]->name);
		if (!strstr(man, want))
			fail_msg("helixagent.8.scd has no entry for the command %s",
				 hx_cmds[i]->name);
		for (size_t j = 0; hx_cmds[i]->opts[j]; j++) {
			snprintf(want, sizeof(want), "*--%s*", hx_cmds[i]->opts[j]->name);
			if (!strstr(man, want))
				fail_msg("helixagent.8.scd does not name %s's option --%s",
					 hx_cmds[i]->name, hx_cmds[i]->opts[j]->name);
		}
	}
	free(man);
}

/* Every `code` span of the README, as md2scd writes it: *code* with _ and * escaped. */
static void man5_keeps_the_readme(void **state)
{
	char *md = slurp(HX_SRCDIR "/policy/README.md");
	char *scd = slurp(HX_SRCDIR "/build/doc/helixagent.yaml.5.scd");
	size_t checked = 0;
	bool fence = false;

	for (char *line = strtok(md, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "```", 3)) {
			fence = !fence;
			continue;
		}
		if (fence || !strncmp(line, "Contents:", 9) || line[0] == '#')
			continue;
		for (char *p = strchr(line, '`'), *q; p && (q = strchr(p + 1, '`'));
		     p = strchr(q + 1, '`')) {
			char want[512];
			size_t n = 0;

			want[n++] = '*';
			for (char *c = p + 1; c < q && n < sizeof(want) - 3; c++) {
				if (*c == '\\' && c[1] == '|')
					continue;
				if (*c == '_' || *c == '*' || *c == '\\')
					want[n++] = '\\';
				want[n++] = *c;
			}
			want[n++] = '*';
			want[n] = 0;
			if (q > p + 1 && !strstr(scd, want))
				fail_msg("helixagent.yaml.5 lost %s of policy/README.md", want);
			checked++;
		}
	}
	assert_true(checked > 300);
	free(md);
	free(scd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(man8_names_every_option),
		cmocka_unit_test(man5_keeps_the_readme),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
