// SPDX-License-Identifier: GPL-2.0
/* The exec family: exec: (default_policy, allowed and blocked programs, blocked_commands). */
#include "parse.h"

static void exec_paths(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
		       void *loc)
{
	struct hx_exec_policy *e = obj;
	const char *k = kn->str;
	bool block = k[0] == 'b';

	if (!hx_p_want(c, v, Y_SEQ, k))
		return;
	for (size_t i = 0; i < v->n; i++)
		hx_p_add_path_rule(c, &e->rules, v->items[i],
				   block ? "exec.blocked" : "exec.allowed", i, k, HX_ACC_X, block);
}

static const struct pkey exec_keys[] = {
	{ "default_policy", PK_DEFAULT, AT(struct hx_exec_policy, default_policy),
	  .what = "exec.default_policy" },
	{ "allowed", PK_FN, .fn = exec_paths },
	{ "blocked", PK_FN, .fn = exec_paths },
	{ "blocked_commands", PK_COMMANDS, AT(struct hx_exec_policy, blocked_commands) },
	{ 0 },
};

static const struct psection exec_section = { .name = "exec", .keys = exec_keys };

void hx_p_exec(struct pctx *c, const struct ynode *n, struct hx_exec_policy *e)
{
	if (hx_p_walk(c, n, NULL, &exec_section, e, NULL))
		e->present = true;
}
