// SPDX-License-Identifier: GPL-2.0
/*
 * The file family: filesystem: (default_policy, allowed and blocked paths,
 * symlinks, temp_directory) and the path rules exec: and permissions: share.
 */
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static bool parse_perms(struct pctx *c, const struct ynode *n, unsigned *out)
{
	const char *s = hx_p_scalar(c, n, "permissions");
	unsigned v = 0;

	if (!s)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned bit = *p == 'r' ? HX_ACC_R :
			       *p == 'w' ? HX_ACC_W :
			       *p == 'x' ? HX_ACC_X :
					   0;

		if (!bit || (v & bit)) {
			err(c, n, "'permissions' must combine r, w and x once each, not '%s'", s);
			return false;
		}
		v |= bit;
	}
	if (!v) {
		err(c, n, "'permissions' is empty");
		return false;
	}
	*out = v;
	return true;
}

void hx_p_add_path_rule(struct pctx *c, struct hx_path_rules *rules, const struct ynode *n,
			const char *list, size_t idx, const char *key, unsigned perms, bool block)
{
	bool dir_hint = false;
	char *path = hx_p_norm_path(c, n, key, &dir_hint);

	if (!path)
		return;
	if (!RULE_CLAIM(c, n, rules, path, block, "'%s'", path)) {
		free(path);
		return;
	}
	*hx_path_rules_push(rules) = (struct hx_path_rule){ .path = path,
							    .perms = perms,
							    .block = block,
							    .dir_hint = dir_hint,
							    .src = src_of(n),
							    .name = rule_name(c, list, idx) };
}

/* An allowed_paths entry written as a mapping. */
struct path_entry {
	const struct ynode *path;
	unsigned perms;
	bool ok;
};

static void entry_perms(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			void *loc)
{
	struct path_entry *e = obj;

	e->ok &= parse_perms(c, v, &e->perms);
}

static void entry_recursive(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			    void *obj, void *loc)
{
	bool rec;

	if (hx_p_get_bool(c, v, kn->str, &rec) && !rec)
		err(c, v,
		    "'recursive: false' is not supported: a directory rule covers its whole tree");
}

static const struct pkey path_entry_keys[] = {
	{ "path", PK_NODE, AT(struct path_entry, path) },
	{ "permissions", PK_FN, .fn = entry_perms },
	{ "recursive", PK_FN, .fn = entry_recursive },
	{ 0 },
};

static const struct psection path_entry_section = { "allowed_paths entry", path_entry_keys,
						    .nulls = true };

/* [/path, {path: /p, permissions: rw, recursive: true}] */
void hx_p_allowed_paths(struct pctx *c, const struct ynode *v, struct hx_path_rules *rules,
			const char *list)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		struct path_entry e = { .perms = HX_ACC_R, .ok = true };

		if (it->kind == Y_SCALAR) {
			/* A bare path: read-only, the least that is useful. */
			hx_p_add_path_rule(c, rules, it, list, i, "allowed_paths", e.perms, false);
			continue;
		}
		if (!hx_p_walk(c, it, NULL, &path_entry_section, &e, NULL))
			continue;
		if (!e.path)
			err(c, it, "allowed_paths entry needs a 'path'");
		else if (e.ok)
			hx_p_add_path_rule(c, rules, e.path, list, i, "path", e.perms, false);
	}
}

/* ---- filesystem: ---- */

static void fs_allowed(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
		       void *loc)
{
	struct hx_fs_policy *f = obj;

	if (hx_p_want(c, v, Y_SEQ, kn->str))
		hx_p_allowed_paths(c, v, &f->rules, "filesystem.allowed_paths");
}

static void fs_blocked(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
		       void *loc)
{
	struct hx_fs_policy *f = obj;

	if (!hx_p_want(c, v, Y_SEQ, kn->str))
		return;
	for (size_t i = 0; i < v->n; i++)
		hx_p_add_path_rule(c, &f->rules, v->items[i], "filesystem.blocked_paths", i,
				   kn->str, HX_ACC_R | HX_ACC_W | HX_ACC_X, true);
}

static const struct pkey fs_keys[] = {
	{ "default_policy", PK_DEFAULT, AT(struct hx_fs_policy, default_policy),
	  .what = "filesystem.default_policy" },
	{ "allowed_paths", PK_FN, .fn = fs_allowed },
	{ "blocked_paths", PK_FN, .fn = fs_blocked },
	{ "allow_symlinks", PK_TRI, AT(struct hx_fs_policy, allow_symlinks) },
	{ "temp_directory", PK_PATH, AT(struct hx_fs_policy, temp_directory) },
	{ 0 },
};

static const struct psection fs_section = { .name = "filesystem", .keys = fs_keys };

void hx_p_fs(struct pctx *c, const struct ynode *n, struct hx_fs_policy *f)
{
	if (hx_p_walk(c, n, NULL, &fs_section, f, NULL))
		f->present = true;
}
