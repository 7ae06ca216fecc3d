/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the parser files of src/policy/ only (policy.c, parse*.c): the
 * parse context, diagnostics, scalar readers and the one walker that reads
 * every section through its table of keys.
 */
#ifndef HX_POLICY_PARSE_H
#define HX_POLICY_PARSE_H

#include <stddef.h>

#include "helixagent/abi.h"
#include "internal.h"
#include "ytree.h"

/*
 * A declared sandbox and what the parser knows beyond the model. Each one
 * is allocated on its own so its lists never move while the duplicate
 * index refers to them; finish() moves them into p->sandboxes.
 */
struct decl {
	struct hx_sandbox *s;
	enum hx_tri enabled; /* sandbox_enabled, sandbox_type: none */
	struct hx_src enabled_at;
	bool plugin; /* layered on plugins.security.default_context */
};

struct pctx {
	struct hx_diags *d;
	struct hx_policy *p;
	/* Prepended to rule names: where the section being parsed sits in the file
	 * when its rules are inherited ("security."), empty for a sandbox's own. */
	const char *pfx;
	struct decl *decls; /* the sandboxes declared, in file order */
	size_t ndecls;
	struct decl *dc; /* the layer being parsed (its seed keys), NULL for security: */
	struct hx_idx seen; /* (list, entry) -> index in the list, for duplicates */
	struct hx_sandbox ctx; /* plugins.security.default_context */
	struct decl ctx_decl;
	bool sandboxing_off; /* security.sandbox.enabled: false or type: none */
	struct hx_src sandboxing_off_at;
};

/* ---- diagnostics ---- */

static inline struct hx_src src_of(const struct ynode *n)
{
	return (struct hx_src){ .line = n ? n->line : 0, .col = n ? n->col : 0 };
}

/* An error or a warning at @n (NULL: the file). */
void hx_p_diag(struct pctx *c, enum hx_diag_level lvl, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define err(c, n, ...) hx_p_diag(c, HX_DIAG_ERROR, n, __VA_ARGS__)
#define warn(c, n, ...) hx_p_diag(c, HX_DIAG_WARNING, n, __VA_ARGS__)

/* "security." + "network.allowed_ports" + "[0]" */
static inline char *rule_name(struct pctx *c, const char *list, size_t idx)
{
	return hx_xasprintf("%s%s[%zu]", c->pfx ? c->pfx : "", list, idx);
}

/* ---- scalars (parse.c) ---- */

/* An empty value (`key:`) is YAML null: treated as absent. */
bool hx_p_is_null(const struct ynode *n);
bool hx_p_want(struct pctx *c, const struct ynode *n, enum ynode_kind kind, const char *key);
const char *hx_p_scalar(struct pctx *c, const struct ynode *n, const char *key);
bool hx_p_get_bool(struct pctx *c, const struct ynode *n, const char *key, bool *out);
void hx_p_get_tri(struct pctx *c, const struct ynode *n, const char *key, enum hx_tri *out);
bool hx_p_get_uint(struct pctx *c, const struct ynode *n, const char *key, unsigned long min,
		   unsigned long max, unsigned long *out);
void hx_p_get_default(struct pctx *c, const struct ynode *n, const char *key, enum hx_default *out);
bool hx_p_map_ok(struct pctx *c, const struct ynode *n, const char *key);
/* Normalises an absolute path; returns NULL (after reporting) if invalid. */
char *hx_p_norm_path(struct pctx *c, const struct ynode *n, const char *key, bool *dir_hint);
/* Adds @s to @out unless it is there already (then reports it at @n). */
void hx_p_add_once(struct pctx *c, const struct ynode *n, struct hx_strings *out, const char *s);
/*
 * Hands each entry of the list @v to @fn with its text; an entry that is not
 * a scalar is reported. Returns false (after reporting) if @v is not a list.
 */
typedef void (*pitem_fn)(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
			 const char *key, void *out);
bool hx_p_each(struct pctx *c, const struct ynode *v, const char *key, pitem_fn fn, void *out);
/*
 * The index of @n's text in @names (NULL-terminated), or -1 after reporting
 * "'@key' must be a, b or c, not '...'" (or if @n is not a scalar).
 */
int hx_p_choice(struct pctx *c, const struct ynode *n, const char *key, const char *const *names);
/*
 * Reports a rule (@fmt: as messages show it, "'/etc'", "port 443/tcp") that
 * another rule of its list, @prev_name, already has: as both allowed and
 * blocked if @both, else as listed twice.
 */
void hx_p_clash(struct pctx *c, const struct ynode *n, bool both, const char *prev_name,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Claims @key for the next rule of @list (struct hx_*_rules); false after hx_p_clash() if taken. */
#define RULE_CLAIM(c, n, list, key, block, ...)                                                    \
	({                                                                                         \
		size_t i_ = 0;                                                                     \
		bool ok_ = hx_idx_put(&(c)->seen, list, key, (list)->n);                           \
		if (!ok_) {                                                                        \
			hx_idx_get(&(c)->seen, list, key, &i_);                                    \
			hx_p_clash(c, n, (list)->v[i_].block != (block), (list)->v[i_].name,       \
				   __VA_ARGS__);                                                   \
		}                                                                                  \
		ok_;                                                                               \
	})
/* A list of absolute paths, each once. */
void hx_p_path_list(struct pctx *c, const struct ynode *v, const char *key, struct hx_strings *out);
/* A list of non-empty strings, each once (command names and lines). */
void hx_p_command_list(struct pctx *c, const struct ynode *v, const char *key,
		       struct hx_strings *out);
bool hx_p_valid_name(const char *s);
bool hx_p_valid_var_glob(const char *s);

/* ---- the walker ---- */

/*
 * One key of a section: what its value must be and where it goes. @off (and
 * @size) place the value in the object walk() is given, or, with PF_LOC, in
 * the scratch object next to it (what a section reads before it acts on it).
 */
struct pkey;
typedef void (*pkey_fn)(struct pctx *c, const struct ynode *k, const struct ynode *v, void *obj,
			void *loc);

enum pkind {
	PK_FN, /* fn(c, key node, value, obj, loc) */
	PK_NODE, /* the value node, kept: const struct ynode * */
	PK_SCALAR, /* any scalar: struct pscalar (the node, its text or NULL) */
	PK_BOOL, /* true or false: bool, changed only when valid */
	PK_TRI, /* true or false: enum hx_tri */
	PK_TRI_ONCE, /* PK_TRI, refused when another section set it */
	PK_DEFAULT, /* allow or deny: enum hx_default; messages say .what */
	PK_UINT, /* a whole number from .min to .max, times .scale (1 if 0) */
	PK_SIZE, /* 512Mi: uint64_t bytes */
	PK_CPU, /* "0.5", "50%": uint32_t thousandths of a CPU */
	PK_DURATION, /* 300s: uint64_t milliseconds */
	PK_PATH, /* an absolute path, normalised: char *, replaced */
	PK_PATHS, /* a list of absolute paths: struct hx_strings */
	PK_COMMANDS, /* a list of non-empty strings: struct hx_strings */
	PK_CAPS, /* capability names (or ALL): uint64_t mask, or-ed */
	PK_INCLUDE, /* the keys of another table, .sub */
};

#define PF_LOC 1u /* @off is in the scratch object */

struct pkey {
	const char *name;
	enum pkind kind;
	unsigned flags;
	size_t off, size;
	pkey_fn fn;
	const struct pkey *sub;
	unsigned long min, max, scale;
	/* PK_UINT..PK_DURATION: refused when already set, naming this key */
	const char *once;
	/* PK_DEFAULT: the key as messages name it; PK_SIZE..PK_DURATION: "a size (e.g. ...)" */
	const char *what;
};

/* Where a field of T goes: .off and .size. */
#define AT(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)
#define LOC(T, f) .flags = PF_LOC, AT(T, f)

struct pscalar {
	const struct ynode *n;
	const char *s;
};

/*
 * A section: its name in "unknown key '%s' in %s", its keys (ending with a
 * NULL name), and whether null values are given to the keys (otherwise a key
 * written without a value is skipped, unknown or not).
 */
struct psection {
	const char *name;
	const struct pkey *keys;
	bool nulls;
};

/*
 * Reads the mapping @map: each key is looked up in @sec's table, its value
 * checked and stored or handed to its handler; an unknown key is reported.
 * Returns false (after reporting, unless it is null) if @map is not a
 * mapping, which messages call @what (NULL: the section's name).
 */
bool hx_p_walk(struct pctx *c, const struct ynode *map, const char *what,
	       const struct psection *sec, void *obj, void *loc);

/* ---- layers (parse_layer.c) ---- */

/* Which section a layer is, for the keys it accepts. */
enum layer {
	L_SANDBOX, /* sandboxes.NAME */
	L_PLUGINS, /* plugins.security.default_context */
	L_PLUGIN, /* plugins.security.overrides.NAME */
	L_TOOLS, /* tools.security */
};

/* Parses the body of a layer: a sandbox, a plugin context, tools.security. */
void hx_p_layer(struct pctx *c, const struct ynode *n, struct hx_sandbox *s, enum layer kind,
		struct decl *dc, const char *what);
/* security: the base layer and the policy's own settings */
void hx_p_security(struct pctx *c, const struct ynode *n);

/* ---- the families, one file each ---- */

/* parse_exec.c */
void hx_p_exec(struct pctx *c, const struct ynode *n, struct hx_exec_policy *e);

/* parse_file.c */
void hx_p_add_path_rule(struct pctx *c, struct hx_path_rules *rules, const struct ynode *n,
			const char *list, size_t idx, const char *key, unsigned perms, bool block);
void hx_p_allowed_paths(struct pctx *c, const struct ynode *v, struct hx_path_rules *rules,
			const char *list);
void hx_p_fs(struct pctx *c, const struct ynode *n, struct hx_fs_policy *f);

/* parse_net.c */
bool hx_p_valid_hostname(const char *s);
void hx_p_net(struct pctx *c, const struct ynode *n, struct hx_net_policy *np);

/* parse_guard.c: command validation and containment */
void hx_p_cmd(struct pctx *c, const struct ynode *n, struct hx_cmd_validation *cv);
void hx_p_containment(struct pctx *c, const struct ynode *n, struct hx_containment *ct);

/* parse_sandbox.c: permissions, limits, capabilities, environment, process, container */
void hx_p_perms_section(struct pctx *c, const struct ynode *n, struct hx_sandbox *s);
void hx_p_limits(struct pctx *c, const struct ynode *n, struct hx_limits *l);
void hx_p_caps(struct pctx *c, const struct ynode *n, struct hx_caps *caps);
void hx_p_env(struct pctx *c, const struct ynode *n, struct hx_env_policy *e);
void hx_p_process(struct pctx *c, const struct ynode *n, struct hx_process_opts *o,
		  const char *section);
void hx_p_container(struct pctx *c, const struct ynode *n, struct hx_sandbox *s);
void hx_p_rate_limit(struct pctx *c, const struct ynode *v, struct hx_rate_limit *r);
void hx_p_cap_list(struct pctx *c, const struct ynode *v, const char *key, uint64_t *mask);

#endif
