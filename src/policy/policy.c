// SPDX-License-Identifier: GPL-2.0
/*
 * YAML tree -> validated policy model. Every problem is recorded with its
 * position and parsing goes on, so one run reports all of them.
 *
 * The policy is a stack of layers, each parsed into a struct hx_sandbox:
 * security: (the base) under every sandbox, plugins.security.default_context
 * under every plugin sandbox, then the sandbox's own section
 * (sandboxes.NAME, plugins.security.overrides.NAME, tools.security).
 * finish() layers them (model.c) and applies the defaults.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helixagent/abi.h"
#include "internal.h"
#include "ytree.h"

/* Which section a layer is, for the keys it accepts. */
enum layer {
	L_BASE, /* security: */
	L_SANDBOX, /* sandboxes.NAME */
	L_PLUGINS, /* plugins.security.default_context */
	L_PLUGIN, /* plugins.security.overrides.NAME */
	L_TOOLS, /* tools.security */
};

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
	struct hx_idx seen; /* (list, entry) -> index in the list, for duplicates */
	struct hx_sandbox ctx; /* plugins.security.default_context */
	struct decl ctx_decl;
	bool sandboxing_off; /* security.sandbox.enabled: false or type: none */
	struct hx_src sandboxing_off_at;
};

/* ---- diagnostics ---- */

static void vdiag(struct hx_diags *d, enum hx_diag_level lvl, unsigned line, unsigned col,
		  const char *fmt, va_list ap)
{
	struct hx_diag *nv;
	char *msg;

	if (lvl == HX_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	/* counted, not kept, past the limit: a hostile file can't make the report huge */
	if (d->n >= HX_DIAGS_MAX)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;

		nv = realloc(d->v, ncap * sizeof(*nv));
		if (!nv) {
			free(msg);
			return;
		}
		d->v = nv;
		d->cap = ncap;
	}
	d->v[d->n].level = lvl;
	d->v[d->n].src.line = line;
	d->v[d->n].src.col = col;
	d->v[d->n].msg = msg;
	d->n++;
}

void hx_diag_add(struct hx_diags *d, enum hx_diag_level lvl, struct hx_src at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(d, lvl, at.line, at.col, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void err(struct pctx *c, const struct ynode *n,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(c->d, HX_DIAG_ERROR, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void warn(struct pctx *c, const struct ynode *n,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(c->d, HX_DIAG_WARNING, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void diag_at(struct pctx *c, enum hx_diag_level lvl,
							  struct hx_src at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(c->d, lvl, at.line, at.col, fmt, ap);
	va_end(ap);
}

static struct hx_src src_of(const struct ynode *n)
{
	return (struct hx_src){ .line = n ? n->line : 0, .col = n ? n->col : 0 };
}

/* Sorts by position; equal positions keep the order they were found in. */
static int diag_cmp(const void *a, const void *b)
{
	const struct hx_diag *const *x = a, *const *y = b;

	if ((*x)->src.line != (*y)->src.line)
		return (*x)->src.line < (*y)->src.line ? -1 : 1;
	if ((*x)->src.col != (*y)->src.col)
		return (*x)->src.col < (*y)->src.col ? -1 : 1;
	return *x < *y ? -1 : *x > *y;
}

const struct hx_diag **hx_diags_sorted(const struct hx_diags *d)
{
	const struct hx_diag **sorted = malloc((d->n ? d->n : 1) * sizeof(*sorted));

	if (!sorted)
		return NULL;
	for (size_t i = 0; i < d->n; i++)
		sorted[i] = &d->v[i];
	if (d->n)
		qsort(sorted, d->n, sizeof(*sorted), diag_cmp);
	return sorted;
}

void hx_diags_print(const struct hx_diags *d, const char *file, FILE *out)
{
	const struct hx_diag **sorted;

	if (!d->n)
		return;
	sorted = hx_diags_sorted(d);
	if (!sorted)
		return;
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s:%u:%u: %s: %s\n", file, sorted[i]->src.line, sorted[i]->src.col,
			sorted[i]->level == HX_DIAG_ERROR ? "error" : "warning", sorted[i]->msg);
	if (d->errors + d->warnings > d->n)
		fprintf(out, "%s: error: %zu more errors and warnings not shown\n", file,
			d->errors + d->warnings - d->n);
	free(sorted);
}

void hx_diags_free(struct hx_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* "security." + "network.allowed_ports" + "[0]" */
static char *rule_name(struct pctx *c, const char *list, size_t idx)
{
	return hx_xasprintf("%s%s[%zu]", c->pfx ? c->pfx : "", list, idx);
}

/* ---- scalars ---- */

static const char *kind_name(enum ynode_kind k)
{
	return k == Y_SCALAR ? "a scalar" : k == Y_SEQ ? "a list" : "a mapping";
}

static bool want(struct pctx *c, const struct ynode *n, enum ynode_kind kind, const char *key)
{
	if (n->kind == kind)
		return true;
	err(c, n, "'%s' must be %s, not %s", key, kind_name(kind), kind_name(n->kind));
	return false;
}

/* An empty value (`key:`) is YAML null: treated as absent. */
static bool is_null(const struct ynode *n)
{
	return n->kind == Y_SCALAR && n->plain &&
	       (!n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

static const char *scalar(struct pctx *c, const struct ynode *n, const char *key)
{
	if (!want(c, n, Y_SCALAR, key))
		return NULL;
	return n->str;
}

static bool get_bool(struct pctx *c, const struct ynode *n, const char *key, bool *out)
{
	const char *s = scalar(c, n, key);

	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE") || !strcmp(s, "yes")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE") || !strcmp(s, "no")) {
		*out = false;
		return true;
	}
	err(c, n, "'%s' must be true or false, not '%s'", key, s);
	return false;
}

static void get_tri(struct pctx *c, const struct ynode *n, const char *key, enum hx_tri *out)
{
	bool b;

	if (get_bool(c, n, key, &b))
		*out = b ? HX_YES : HX_NO;
}

/* A setting another section may already have set (the seed's shorthands). */
static void set_tri(struct pctx *c, const struct ynode *n, const char *key, enum hx_tri *out)
{
	if (*out != HX_UNSET)
		err(c, n, "'%s' is already set (by another section)", key);
	else
		get_tri(c, n, key, out);
}

static bool get_uint(struct pctx *c, const struct ynode *n, const char *key, unsigned long min,
		     unsigned long max, unsigned long *out)
{
	const char *s = scalar(c, n, key);
	char *end;
	unsigned long v;

	if (!s)
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || s[0] == '+' || v < min || v > max) {
		err(c, n, "'%s' must be a whole number from %lu to %lu, not '%s'", key, min, max,
		    s);
		return false;
	}
	*out = v;
	return true;
}

static void get_default(struct pctx *c, const struct ynode *n, const char *key,
			enum hx_default *out)
{
	const char *s = scalar(c, n, key);

	if (!s)
		return;
	if (!strcmp(s, "allow"))
		*out = HX_DEF_ALLOW;
	else if (!strcmp(s, "deny"))
		*out = HX_DEF_DENY;
	else
		err(c, n, "'%s' must be allow or deny, not '%s'", key, s);
}

static void get_mode(struct pctx *c, const struct ynode *n, enum hx_policy_mode *out)
{
	const char *s = scalar(c, n, "mode");

	if (!s)
		return;
	if (!strcmp(s, "enforce"))
		*out = HX_PM_ENFORCE;
	else if (!strcmp(s, "audit"))
		*out = HX_PM_AUDIT;
	else
		err(c, n, "'mode' must be enforce or audit, not '%s'", s);
}

static void unknown_key(struct pctx *c, const struct ynode *k, const char *section)
{
	err(c, k, "unknown key '%s' in %s", k->str ? k->str : "?", section);
}

/*
 * Iterates over a mapping's pairs, checking for non-scalar and duplicate
 * keys. Returns false (after reporting) if @n is not a mapping.
 */
static bool map_ok(struct pctx *c, const struct ynode *n, const char *key)
{
	if (is_null(n))
		return false;
	if (!want(c, n, Y_MAP, key))
		return false;
	for (size_t i = 0; i < n->n; i += 2) {
		const struct ynode *k = n->items[i];

		if (k->kind != Y_SCALAR) {
			err(c, k, "a key in '%s' must be a scalar", key);
			continue;
		}
		for (size_t j = 0; j < i; j += 2)
			if (n->items[j]->kind == Y_SCALAR && !strcmp(n->items[j]->str, k->str)) {
				err(c, k, "duplicate key '%s' (first at line %u)", k->str,
				    n->items[j]->line);
				break;
			}
	}
	return true;
}

/* Iterates a mapping's pairs: K is the key string (NULL if not a scalar), V the value node. */
#define MAP_FOREACH_I(M, I, K, V)                                                                  \
	for (size_t I = 0;                                                                         \
	     I + 1 < (M)->n && ((K) = (M)->items[I]->str, (V) = (M)->items[I + 1], 1); I += 2)
#define MAP_FOREACH(M, K, V) MAP_FOREACH_I(M, _i, K, V)
#define KEYNODE(M) ((M)->items[_i])
#define KEYNODE_J(M) ((M)->items[_j])

/* ---- paths ---- */

/* Normalises an absolute path; returns NULL (after reporting) if invalid. */
static char *norm_path(struct pctx *c, const struct ynode *n, const char *key, bool *dir_hint)
{
	const char *s = scalar(c, n, key);
	char *out, *o;
	const char *p;

	if (!s)
		return NULL;
	if (s[0] != '/') {
		err(c, n, "'%s': path '%s' must be absolute", key, s);
		return NULL;
	}
	if (strlen(s) >= 4096) {
		err(c, n, "'%s': path longer than 4095 bytes", key);
		return NULL;
	}
	*dir_hint = s[strlen(s) - 1] == '/';
	out = hx_xstrdup(s);
	o = out;
	for (p = s; *p;) {
		const char *seg;
		size_t len;

		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - seg);
		if (!len || (len == 1 && seg[0] == '.'))
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			err(c, n, "'%s': path '%s' must not contain '..'", key, s);
			free(out);
			return NULL;
		}
		*o++ = '/';
		memmove(o, seg, len);
		o += len;
	}
	if (o == out)
		*o++ = '/';
	*o = 0;
	return out;
}

static bool parse_perms(struct pctx *c, const struct ynode *n, unsigned *out)
{
	const char *s = scalar(c, n, "permissions");
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

static void add_path_rule(struct pctx *c, struct hx_path_rules *rules, const struct ynode *n,
			  const char *list, size_t idx, const char *key, unsigned perms, bool block)
{
	struct hx_path_rule *r;
	bool dir_hint = false;
	char *path = norm_path(c, n, key, &dir_hint);

	if (!path)
		return;
	if (!hx_idx_put(&c->seen, rules, path, rules->n)) {
		size_t i = 0;

		hx_idx_get(&c->seen, rules, path, &i);
		if (rules->v[i].block != block)
			err(c, n, "'%s' is both allowed and blocked (also %s)", path,
			    rules->v[i].name);
		else
			err(c, n, "'%s' is listed twice (first as %s)", path, rules->v[i].name);
		free(path);
		return;
	}
	r = hx_path_rules_push(rules);
	r->path = path;
	r->perms = perms;
	r->block = block;
	r->dir_hint = dir_hint;
	r->src.line = n->line;
	r->src.col = n->col;
	r->name = rule_name(c, list, idx);
}

/* [/path, {path: /p, permissions: rw, recursive: true}] */
static void parse_allowed_paths(struct pctx *c, const struct ynode *v, struct hx_path_rules *rules,
				const char *list)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i], *path = NULL, *iv;
		unsigned perms = HX_ACC_R;
		const char *ik;
		bool ok = true;

		if (it->kind == Y_SCALAR) {
			/* A bare path: read-only, the least that is useful. */
			add_path_rule(c, rules, it, list, i, "allowed_paths", perms, false);
			continue;
		}
		if (!map_ok(c, it, "allowed_paths entry"))
			continue;
		MAP_FOREACH_I(it, _j, ik, iv) {
			if (!ik)
				continue;
			if (!strcmp(ik, "path")) {
				path = iv;
			} else if (!strcmp(ik, "permissions")) {
				ok &= parse_perms(c, iv, &perms);
			} else if (!strcmp(ik, "recursive")) {
				bool rec;

				if (get_bool(c, iv, ik, &rec) && !rec)
					err(c, iv,
					    "'recursive: false' is not supported: a directory rule covers its whole tree");
			} else {
				unknown_key(c, KEYNODE_J(it), "allowed_paths entry");
			}
		}
		if (!path)
			err(c, it, "allowed_paths entry needs a 'path'");
		else if (ok)
			add_path_rule(c, rules, path, list, i, "path", perms, false);
	}
}

/* ---- sections ---- */

static void parse_exec(struct pctx *c, const struct ynode *n, struct hx_exec_policy *e)
{
	const char *k;
	const struct ynode *v;

	if (!map_ok(c, n, "exec"))
		return;
	e->present = true;
	MAP_FOREACH(n, k, v) {
		if (!k)
			continue;
		if (is_null(v))
			continue;
		if (!strcmp(k, "default_policy")) {
			get_default(c, v, "exec.default_policy", &e->default_policy);
		} else if (!strcmp(k, "allowed") || !strcmp(k, "blocked")) {
			bool block = k[0] == 'b';

			if (!want(c, v, Y_SEQ, k))
				continue;
			for (size_t i = 0; i < v->n; i++)
				add_path_rule(c, &e->rules, v->items[i],
					      block ? "exec.blocked" : "exec.allowed", i, k,
					      HX_ACC_X, block);
		} else if (!strcmp(k, "blocked_commands")) {
			if (!want(c, v, Y_SEQ, k))
				continue;
			for (size_t i = 0; i < v->n; i++) {
				const char *s = scalar(c, v->items[i], k);

				if (!s)
					continue;
				if (!*s || strspn(s, " \t") == strlen(s))
					err(c, v->items[i], "'blocked_commands' entry is empty");
				else if (!hx_idx_put(&c->seen, &e->blocked_commands, s, 0))
					err(c, v->items[i], "'%s' is listed twice", s);
				else
					hx_strings_add(&e->blocked_commands, s);
			}
		} else {
			unknown_key(c, KEYNODE(n), "exec");
		}
	}
}

static void parse_fs(struct pctx *c, const struct ynode *n, struct hx_fs_policy *f)
{
	const char *k;
	const struct ynode *v;

	if (!map_ok(c, n, "filesystem"))
		return;
	f->present = true;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "default_policy")) {
			get_default(c, v, "filesystem.default_policy", &f->default_policy);
		} else if (!strcmp(k, "allowed_paths")) {
			if (want(c, v, Y_SEQ, k))
				parse_allowed_paths(c, v, &f->rules, "filesystem.allowed_paths");
		} else if (!strcmp(k, "blocked_paths")) {
			if (!want(c, v, Y_SEQ, k))
				continue;
			for (size_t i = 0; i < v->n; i++)
				add_path_rule(c, &f->rules, v->items[i], "filesystem.blocked_paths",
					      i, k, HX_ACC_R | HX_ACC_W | HX_ACC_X, true);
		} else if (!strcmp(k, "allow_symlinks")) {
			get_tri(c, v, k, &f->allow_symlinks);
		} else if (!strcmp(k, "temp_directory")) {
			bool dh;
			char *p = norm_path(c, v, k, &dh);

			if (p) {
				free(f->temp_directory);
				f->temp_directory = p;
			}
		} else {
			unknown_key(c, KEYNODE(n), "filesystem");
		}
	}
}

static bool valid_sandbox_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 63)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

/*
 * An address literal stands for itself in a host list (it is never resolved):
 * with ports, an exact (address, port) rule, which the CIDR lists cannot make.
 */
static bool is_address(const char *s)
{
	char canon[INET6_ADDRSTRLEN];

	return hx_addr_canon(s, canon);
}

static bool valid_hostname(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (!len || len > 253)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!(*p == '-' || *p == '_' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

static bool get_port(struct pctx *c, const struct ynode *n, const char *key, uint16_t *out)
{
	unsigned long v;

	if (!get_uint(c, n, key, 1, 65535, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool get_protocol(struct pctx *c, const struct ynode *v, enum hx_proto *out)
{
	const char *s = scalar(c, v, "protocol");

	if (!s)
		return false;
	if (!strcmp(s, "tcp"))
		*out = HX_PROTO_TCP;
	else if (!strcmp(s, "udp"))
		*out = HX_PROTO_UDP;
	else {
		err(c, v, "'protocol' must be tcp or udp, not '%s'", s);
		return false;
	}
	return true;
}

static const char *proto_name(enum hx_proto p)
{
	return p == HX_PROTO_TCP ? "tcp" : p == HX_PROTO_UDP ? "udp" : "any";
}

/* Adds a CIDR rule, refusing one listed twice or both allowed and blocked. */
static void cidr_add(struct pctx *c, struct hx_cidr_rules *r, const struct ynode *n,
		     const char *cidr, bool block, char *name)
{
	struct hx_cidr_rule *x;
	char key[INET6_ADDRSTRLEN + 8];

	/* one prefix however it is spelt: 10.0.0.1 and 10.0.0.1/32, 2001:DB8:: and 2001:db8:: */
	if (hx_cidr_canon(cidr, key, sizeof(key)))
		snprintf(key, sizeof(key), "%.*s", (int)sizeof(key) - 1, cidr);
	if (!hx_idx_put(&c->seen, r, key, r->n)) {
		size_t i = 0;

		hx_idx_get(&c->seen, r, key, &i);
		if (r->v[i].block != block)
			err(c, n, "'%s' is both allowed and blocked (also %s)", cidr, r->v[i].name);
		else
			err(c, n, "'%s' is listed twice (first as %s)", cidr, r->v[i].name);
		free(name);
		return;
	}
	x = hx_cidr_rules_push(r);
	x->cidr = hx_xstrdup(cidr);
	x->block = block;
	x->name = name;
	x->src.line = n->line;
	x->src.col = n->col;
}

static void parse_cidr_list(struct pctx *c, const struct ynode *v, const char *key,
			    struct hx_cidr_rules *r, bool block, const char *list)
{
	char msg[160];

	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = scalar(c, v->items[i], key);

		if (!s)
			continue;
		if (hx_parse_cidr(s, msg, sizeof(msg))) {
			err(c, v->items[i], "%s", msg);
			continue;
		}
		cidr_add(c, r, v->items[i], s, block, rule_name(c, list, i));
	}
}

static void port_add(struct pctx *c, struct hx_port_rules *r, const struct ynode *n, uint16_t port,
		     enum hx_proto proto, bool block, char *name)
{
	struct hx_port_rule *x;
	char key[16];

	snprintf(key, sizeof(key), "%u/%d", port, proto);
	if (!hx_idx_put(&c->seen, r, key, r->n)) {
		size_t i = 0;

		hx_idx_get(&c->seen, r, key, &i);
		if (r->v[i].block != block)
			err(c, n, "port %u/%s is both allowed and blocked (also %s)", port,
			    proto_name(proto), r->v[i].name);
		else
			err(c, n, "port %u/%s is listed twice (first as %s)", port,
			    proto_name(proto), r->v[i].name);
		free(name);
		return;
	}
	x = hx_port_rules_push(r);
	x->port = port;
	x->proto = proto;
	x->block = block;
	x->name = name;
	x->src.line = n->line;
	x->src.col = n->col;
}

/*
 * allowed_ports: [443, {port: 443, protocol: tcp, allow: true}]
 * blocked_ports: [25, {port: 25, protocol: tcp}]
 */
static void parse_port_rules(struct pctx *c, const struct ynode *v, const char *key,
			     struct hx_port_rules *r, bool block, const char *list)
{
	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i], *iv;
		enum hx_proto proto = HX_PROTO_ANY;
		const char *ik;
		uint16_t port = 0;
		bool ok = true, has_port = false, b = block, allow;

		if (it->kind == Y_SCALAR) {
			if (get_port(c, it, key, &port))
				port_add(c, r, it, port, proto, b, rule_name(c, list, i));
			continue;
		}
		if (!map_ok(c, it, key))
			continue;
		MAP_FOREACH_I(it, _j, ik, iv) {
			if (!ik)
				continue;
			if (!strcmp(ik, "port")) {
				has_port = true;
				ok &= get_port(c, iv, ik, &port);
			} else if (!strcmp(ik, "protocol")) {
				ok &= get_protocol(c, iv, &proto);
			} else if (!block && !strcmp(ik, "allow")) {
				if (get_bool(c, iv, ik, &allow))
					b = !allow;
				else
					ok = false;
			} else {
				unknown_key(c, KEYNODE_J(it),
					    block ? "blocked_ports entry" : "allowed_ports entry");
			}
		}
		if (!has_port)
			err(c, it, "%s entry needs a 'port'", key);
		else if (ok)
			port_add(c, r, it, port, proto, b, rule_name(c, list, i));
	}
}

/* The whole rule as a key: "h\x1fproto\x1fport,port" */
static char *host_rule_key(const struct hx_host_rule *h)
{
	size_t len = strlen(h->host) + 8 + h->nports * 6;
	char *key = hx_xrealloc(NULL, len), *o = key;

	o += sprintf(o, "%s\x1f%d\x1f", h->host, h->proto);
	for (size_t i = 0; i < h->nports; i++)
		o += sprintf(o, "%u,", h->ports[i]);
	return key;
}

/* Host names are case-insensitive; a trailing dot (the root) is dropped. */
static char *norm_host(const char *s)
{
	char *h = hx_xstrdup(s);
	size_t len = strlen(h);

	for (char *p = h; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (len > 1 && h[len - 1] == '.')
		h[len - 1] = 0;
	return h;
}

/*
 * allowed_hosts / blocked_hosts: ["api.example.com", {host: h, ports: [443], protocol: tcp}]
 * @other is the opposite list, to refuse a name both allowed and blocked.
 */
static void parse_host_rules(struct pctx *c, const struct ynode *v, const char *key,
			     struct hx_host_rules *r, const struct hx_host_rules *other,
			     const char *list)
{
	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i], *iv, *hostn = it;
		struct hx_host_rule h = { .proto = HX_PROTO_ANY };
		const char *ik, *host = NULL;
		uint64_t seen_port[65536 / 64];
		size_t prev;
		char *rkey;
		bool ok = true;

		if (it->kind == Y_SCALAR) {
			host = it->str;
		} else if (map_ok(c, it, key)) {
			MAP_FOREACH_I(it, _j, ik, iv) {
				if (!ik)
					continue;
				if (!strcmp(ik, "host")) {
					host = scalar(c, iv, ik);
					hostn = iv;
					ok &= host != NULL;
				} else if (!strcmp(ik, "ports")) {
					if (!want(c, iv, Y_SEQ, ik)) {
						ok = false;
						continue;
					}
					free(h.ports);
					h.ports = hx_xrealloc(NULL, iv->n * sizeof(*h.ports));
					h.nports = 0;
					memset(seen_port, 0, sizeof(seen_port));
					for (size_t k = 0; k < iv->n; k++) {
						uint16_t port;
						bool dup;

						if (!get_port(c, iv->items[k], ik, &port)) {
							ok = false;
							continue;
						}
						dup = seen_port[port / 64] & (1ull << (port % 64));
						seen_port[port / 64] |= 1ull << (port % 64);
						if (dup)
							err(c, iv->items[k],
							    "port %u is listed twice", port);
						else
							h.ports[h.nports++] = port;
					}
				} else if (!strcmp(ik, "protocol")) {
					ok &= get_protocol(c, iv, &h.proto);
				} else {
					unknown_key(c, KEYNODE_J(it), "a host entry");
				}
			}
			if (!host && ok) {
				err(c, it, "%s entry needs a 'host'", key);
				ok = false;
			}
		} else {
			ok = false;
		}
		if (ok && !valid_hostname(host) && !is_address(host)) {
			err(c, hostn, "'%s' is not a valid host name or address%s", host,
			    strchr(host, '/') ? " (prefixes go in allowed_cidrs or blocked_cidrs)" :
						"");
			ok = false;
		}
		if (!ok) {
			free(h.ports);
			continue;
		}
		h.host = norm_host(host);
		h.src.line = hostn->line;
		h.src.col = hostn->col;
		rkey = host_rule_key(&h);
		if (hx_idx_get(&c->seen, other, h.host, &prev)) {
			err(c, hostn, "'%s' is both allowed and blocked (also %s)", h.host,
			    other->v[prev].name);
			ok = false;
		} else if (hx_idx_get(&c->seen, r, rkey, &prev)) {
			err(c, hostn, "'%s' is listed twice (first as %s)", h.host,
			    r->v[prev].name);
			ok = false;
		}
		if (!ok) {
			free(rkey);
			free(h.host);
			free(h.ports);
			continue;
		}
		/* by name (first rule), for the allowed-and-blocked check; by whole rule */
		hx_idx_put(&c->seen, r, h.host, r->n);
		hx_idx_put(&c->seen, r, rkey, r->n);
		free(rkey);
		h.name = rule_name(c, list, i);
		*hx_host_rules_push(r) = h;
	}
}

/*
 * network.zones (the seed's segmentation example), lowered into rules of the
 * same network section:
 *  - a zone with cidrs: each prefix becomes an allowed CIDR when the zone
 *    allows (allow_all: true or default_policy: allow), a blocked one
 *    otherwise; named "network.zones.NAME.cidrs[i]";
 *  - a zone without cidrs is "the rest of the network": its policy becomes
 *    the section's default_policy (at most one such zone);
 *  - a zone's allowed_hosts become allowed hosts of the section.
 */
static void parse_zones(struct pctx *c, const struct ynode *n, struct hx_net_policy *np)
{
	const struct ynode *rest = NULL, *v;
	const char *k;

	if (!map_ok(c, n, "zones"))
		return;
	MAP_FOREACH(n, k, v) {
		const struct ynode *zk = KEYNODE(n), *cidrs = NULL, *hosts = NULL, *pol = NULL;
		enum hx_default def = HX_DEF_UNSET;
		enum hx_tri all = HX_UNSET;
		const char *ik;
		const struct ynode *iv;
		char list[128];

		if (!k)
			continue;
		if (!valid_sandbox_name(k)) {
			err(c, zk, "zone name '%s' must match [a-z0-9_-]{1,63}", k);
			continue;
		}
		if (!map_ok(c, v, k))
			continue;
		MAP_FOREACH_I(v, _j, ik, iv) {
			if (!ik || is_null(iv))
				continue;
			if (!strcmp(ik, "cidrs"))
				cidrs = iv;
			else if (!strcmp(ik, "allowed_hosts"))
				hosts = iv;
			else if (!strcmp(ik, "allow_all"))
				get_tri(c, iv, ik, &all);
			else if (!strcmp(ik, "default_policy")) {
				pol = iv;
				get_default(c, iv, "default_policy", &def);
			} else if (!strcmp(ik, "description"))
				scalar(c, iv, ik);
			else
				unknown_key(c, KEYNODE_J(v), "a network zone");
		}
		if (all == HX_YES && def == HX_DEF_DENY) {
			err(c, pol,
			    "zone '%s': 'allow_all: true' contradicts 'default_policy: deny'", k);
			continue;
		}
		if (all == HX_NO && def == HX_DEF_ALLOW) {
			err(c, pol,
			    "zone '%s': 'allow_all: false' contradicts 'default_policy: allow'", k);
			continue;
		}
		if (all == HX_YES)
			def = HX_DEF_ALLOW;
		if (cidrs && cidrs->kind == Y_SEQ && cidrs->n) {
			snprintf(list, sizeof(list), "network.zones.%s.cidrs", k);
			parse_cidr_list(c, cidrs, "cidrs", &np->cidrs, def != HX_DEF_ALLOW, list);
		} else if (cidrs && cidrs->kind != Y_SEQ) {
			want(c, cidrs, Y_SEQ, "cidrs");
		} else if (rest) {
			err(c, zk,
			    "zones '%s' and '%s' both have no cidrs: only one zone can be the rest of the network",
			    rest->str, k);
		} else {
			rest = zk;
			if (def != HX_DEF_UNSET) {
				if (np->default_policy && np->default_policy != def)
					err(c, zk,
					    "zone '%s' (the rest of the network) sets default_policy %s, but the network section says %s",
					    k, def == HX_DEF_ALLOW ? "allow" : "deny",
					    np->default_policy == HX_DEF_ALLOW ? "allow" : "deny");
				else
					np->default_policy = def;
			}
		}
		if (hosts) {
			snprintf(list, sizeof(list), "network.zones.%s.allowed_hosts", k);
			parse_host_rules(c, hosts, "allowed_hosts", &np->hosts, &np->blocked_hosts,
					 list);
		}
	}
}

static void parse_net(struct pctx *c, const struct ynode *n, struct hx_net_policy *np)
{
	const struct ynode *v, *zones = NULL, *lists[6] = { 0 };
	const char *k;

	if (!map_ok(c, n, "network"))
		return;
	np->present = true;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "default_policy")) {
			if (np->default_policy)
				err(c, v,
				    "'network.default_policy' is already set (by another section or a zone)");
			else
				get_default(c, v, "network.default_policy", &np->default_policy);
		} else if (!strcmp(k, "allow_dns")) {
			set_tri(c, v, k, &np->allow_dns);
		} else if (!strcmp(k, "allow_inbound")) {
			set_tri(c, v, k, &np->allow_inbound);
		} else if (!strcmp(k, "allow_outbound")) {
			set_tri(c, v, k, &np->allow_outbound);
		} else if (!strcmp(k, "allowed_cidrs")) {
			lists[0] = v;
		} else if (!strcmp(k, "blocked_cidrs")) {
			lists[1] = v;
		} else if (!strcmp(k, "allowed_ports")) {
			lists[2] = v;
		} else if (!strcmp(k, "blocked_ports")) {
			lists[3] = v;
		} else if (!strcmp(k, "allowed_hosts")) {
			lists[4] = v;
		} else if (!strcmp(k, "blocked_hosts")) {
			lists[5] = v;
		} else if (!strcmp(k, "zones")) {
			zones = v;
		} else {
			unknown_key(c, KEYNODE(n), "network");
		}
	}
	/* Allowed lists first, so a conflict is reported at the blocked entry. */
	if (lists[0])
		parse_cidr_list(c, lists[0], "allowed_cidrs", &np->cidrs, false,
				"network.allowed_cidrs");
	if (lists[1])
		parse_cidr_list(c, lists[1], "blocked_cidrs", &np->cidrs, true,
				"network.blocked_cidrs");
	if (lists[2])
		parse_port_rules(c, lists[2], "allowed_ports", &np->ports, false,
				 "network.allowed_ports");
	if (lists[3])
		parse_port_rules(c, lists[3], "blocked_ports", &np->ports, true,
				 "network.blocked_ports");
	if (lists[4])
		parse_host_rules(c, lists[4], "allowed_hosts", &np->hosts, &np->blocked_hosts,
				 "network.allowed_hosts");
	if (lists[5])
		parse_host_rules(c, lists[5], "blocked_hosts", &np->blocked_hosts, &np->hosts,
				 "network.blocked_hosts");
	if (zones)
		parse_zones(c, zones, np);
	if (lists[5])
		warn(c, lists[5],
		     "blocked_hosts blocks only the addresses these names resolve to when the agent resolves them; the same service under another name or address is not blocked: prefer default_policy: deny with allowed_hosts");
}

/* ---- permissions, limits ---- */

static void parse_perms_section(struct pctx *c, const struct ynode *n, struct hx_sandbox *s)
{
	struct hx_permissions *p = &s->perms;
	const char *k;
	const struct ynode *v;

	if (!map_ok(c, n, "permissions"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "allow_network"))
			get_tri(c, v, k, &p->allow_network);
		else if (!strcmp(k, "allow_filesystem"))
			get_tri(c, v, k, &p->allow_filesystem);
		else if (!strcmp(k, "allow_exec"))
			get_tri(c, v, k, &p->allow_exec);
		else if (!strcmp(k, "allow_environment"))
			get_tri(c, v, k, &p->allow_environment);
		else if (!strcmp(k, "allowed_paths")) {
			/* the seed's plugin override: filesystem allowed paths (read unless said) */
			if (!want(c, v, Y_SEQ, k))
				continue;
			s->fs.present = true;
			parse_allowed_paths(c, v, &s->fs.rules, "permissions.allowed_paths");
		} else
			unknown_key(c, KEYNODE(n), "permissions");
	}
}

/* A limit another section (or a seed shorthand such as max_memory_mb) may already have set. */
static bool limit_free(struct pctx *c, const struct ynode *v, const char *key, uint64_t cur)
{
	if (!cur)
		return true;
	err(c, v, "'%s' is already set (by another section or by its seed shorthand)", key);
	return false;
}

static void parse_limits(struct pctx *c, const struct ynode *n, struct hx_limits *l)
{
	const char *k, *s;
	const struct ynode *v;
	unsigned long u;

	if (!map_ok(c, n, "limits"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "max_memory")) {
			if (!limit_free(c, v, k, l->max_memory))
				continue;
			if ((s = scalar(c, v, k)) && hx_parse_size(s, &l->max_memory))
				err(c, v, "'max_memory': '%s' is not a size (e.g. 512Mi, 512m, 1G)",
				    s);
		} else if (!strcmp(k, "max_cpu")) {
			if (!limit_free(c, v, k, l->max_cpu_milli))
				continue;
			if ((s = scalar(c, v, k)) && hx_parse_cpu_milli(s, &l->max_cpu_milli))
				err(c, v,
				    "'max_cpu': '%s' is not a CPU amount (e.g. \"0.5\", \"50%%\")",
				    s);
		} else if (!strcmp(k, "max_processes")) {
			if (limit_free(c, v, k, l->max_processes) &&
			    get_uint(c, v, k, 1, 4194304, &u))
				l->max_processes = (uint32_t)u;
		} else if (!strcmp(k, "max_open_files")) {
			if (limit_free(c, v, k, l->max_open_files) &&
			    get_uint(c, v, k, 1, 1048576, &u))
				l->max_open_files = (uint32_t)u;
		} else if (!strcmp(k, "max_execution_time")) {
			if (!limit_free(c, v, k, l->max_execution_ms))
				continue;
			if ((s = scalar(c, v, k)) && hx_parse_duration_ms(s, &l->max_execution_ms))
				err(c, v,
				    "'max_execution_time': '%s' is not a duration (e.g. 300s, 5m, 1h)",
				    s);
		} else {
			unknown_key(c, KEYNODE(n), "limits");
		}
	}
}

/* ---- capabilities ---- */

static void parse_cap_list(struct pctx *c, const struct ynode *v, const char *key, uint64_t *mask)
{
	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = scalar(c, v->items[i], key);
		unsigned cap;

		if (!s)
			continue;
		if (!strncasecmp(s, "CAP_", 4))
			s += 4;
		if (!strcasecmp(s, "ALL")) {
			*mask = HX_CAPS_ALL;
			continue;
		}
		for (cap = 0; cap < HX_CAP_COUNT; cap++)
			if (!strcasecmp(s, hx_cap_name(cap)))
				break;
		if (cap == HX_CAP_COUNT)
			err(c, v->items[i], "'%s' is not a capability", v->items[i]->str);
		else
			*mask |= 1ull << cap;
	}
}

/* Both lists of one section read; a capability named in both is a contradiction. */
static void caps_check(struct pctx *c, const struct ynode *at, const struct hx_caps *caps)
{
	uint64_t both = caps->drop & caps->add;

	if (caps->drop == HX_CAPS_ALL || caps->add == HX_CAPS_ALL)
		return; /* drop ALL + add X is the seed's idiom */
	for (unsigned cap = 0; cap < HX_CAP_COUNT; cap++)
		if (both & (1ull << cap))
			err(c, at, "capability %s is both dropped and added", hx_cap_name(cap));
}

static void parse_caps(struct pctx *c, const struct ynode *n, struct hx_caps *caps)
{
	struct hx_caps mine = { 0 };
	const char *k;
	const struct ynode *v;

	if (!map_ok(c, n, "capabilities"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "drop"))
			parse_cap_list(c, v, k, &mine.drop);
		else if (!strcmp(k, "add"))
			parse_cap_list(c, v, k, &mine.add);
		else
			unknown_key(c, KEYNODE(n), "capabilities");
	}
	caps_check(c, n, &mine);
	caps->present = true;
	caps->drop |= mine.drop;
	caps->add |= mine.add;
}

/* ---- environment ---- */

/* An environment variable name or a glob over names: AWS_*, *_KEY, LC_? */
static bool valid_var_glob(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("_*?[]!-.", *p)))
			return false;
	return true;
}

static void parse_glob_list(struct pctx *c, const struct ynode *v, const char *key,
			    struct hx_strings *out, const struct hx_strings *other)
{
	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = scalar(c, v->items[i], key);

		if (!s)
			continue;
		if (!valid_var_glob(s))
			err(c, v->items[i], "'%s' is not a variable name or glob", s);
		else if (hx_idx_get(&c->seen, other, s, NULL))
			err(c, v->items[i], "'%s' is both allowed and blocked", s);
		else if (!hx_idx_put(&c->seen, out, s, 0))
			err(c, v->items[i], "'%s' is listed twice", s);
		else
			hx_strings_add(out, s);
	}
}

static void parse_env(struct pctx *c, const struct ynode *n, struct hx_env_policy *e)
{
	const struct ynode *v, *allowed = NULL, *blocked = NULL;
	const char *k;

	if (!map_ok(c, n, "environment"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "inherit"))
			get_tri(c, v, k, &e->inherit);
		else if (!strcmp(k, "allowed_vars"))
			allowed = v;
		else if (!strcmp(k, "blocked_vars"))
			blocked = v;
		else
			unknown_key(c, KEYNODE(n), "environment");
	}
	if (allowed)
		parse_glob_list(c, allowed, "allowed_vars", &e->allowed_vars, &e->blocked_vars);
	if (blocked)
		parse_glob_list(c, blocked, "blocked_vars", &e->blocked_vars, &e->allowed_vars);
}

/* ---- process and container options (what the launcher adds) ---- */

static void parse_path_list(struct pctx *c, const struct ynode *v, const char *key,
			    struct hx_strings *out)
{
	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		bool dh;
		char *path = norm_path(c, v->items[i], key, &dh);

		if (!path)
			continue;
		if (!hx_idx_put(&c->seen, out, path, 0))
			err(c, v->items[i], "'%s' is listed twice", path);
		else
			hx_strings_add(out, path);
		free(path);
	}
}

static void parse_process(struct pctx *c, const struct ynode *n, struct hx_process_opts *o,
			  const char *section)
{
	const char *k, *s;
	const struct ynode *v;

	if (!map_ok(c, n, section))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "use_namespaces")) {
			get_tri(c, v, k, &o->use_namespaces);
		} else if (!strcmp(k, "use_seccomp")) {
			get_tri(c, v, k, &o->use_seccomp);
		} else if (!strcmp(k, "use_cgroups")) {
			get_tri(c, v, k, &o->use_cgroups);
			if (o->use_cgroups == HX_NO)
				err(c, v,
				    "'use_cgroups: false' is not possible: every HelixAgent sandbox is a cgroup, which is how its rules and limits find its processes");
		} else if (!strcmp(k, "no_new_privileges")) {
			get_tri(c, v, k, &o->no_new_privileges);
		} else if (!strcmp(k, "read_only_root")) {
			get_tri(c, v, k, &o->read_only_root);
		} else if (!strcmp(k, "network_mode")) {
			s = scalar(c, v, k);
			if (!s)
				continue;
			if (strcmp(s, "none") && strcmp(s, "host") && strcmp(s, "bridge")) {
				err(c, v, "'network_mode' must be none, host or bridge, not '%s'",
				    s);
				continue;
			}
			if (!strcmp(s, "bridge"))
				warn(c, v,
				     "'network_mode: bridge': HelixAgent creates no bridge; the sandbox shares the host's network, restricted by its network rules (use none for an empty network namespace)");
			free(o->network_mode);
			o->network_mode = hx_xstrdup(s);
		} else if (!strcmp(k, "root_fs")) {
			bool dh;
			char *p = norm_path(c, v, k, &dh);

			if (p) {
				free(o->root_fs);
				o->root_fs = p;
			}
		} else if (!strcmp(k, "read_only_paths")) {
			parse_path_list(c, v, k, &o->read_only_paths);
		} else if (!strcmp(k, "writable_paths")) {
			parse_path_list(c, v, k, &o->writable_paths);
		} else if (!strcmp(k, "masked_paths")) {
			parse_path_list(c, v, k, &o->masked_paths);
		} else if (!strcmp(k, "tmpfs")) {
			parse_path_list(c, v, k, &o->tmpfs);
		} else {
			unknown_key(c, KEYNODE(n), section);
		}
	}
	for (size_t i = 0; i < o->read_only_paths.n; i++)
		if (hx_idx_get(&c->seen, &o->writable_paths, o->read_only_paths.v[i], NULL))
			err(c, n, "'%s' is both in read_only_paths and in writable_paths",
			    o->read_only_paths.v[i]);
}

static void warn_no_container(struct pctx *c, const struct ynode *v, const char *key)
{
	warn(c, v,
	     "'%s' is not used: HelixAgent starts no container runtime and no image; the program runs from the host's filesystem in its process sandbox (cgroup, kernel rules, launcher isolation)",
	     key);
}

/* The seed's container: options, honoured by the process sandbox where they have a meaning. */
static void parse_container(struct pctx *c, const struct ynode *n, struct hx_sandbox *s)
{
	struct hx_caps mine = { 0 };
	bool any_caps = false;
	const char *k;
	const struct ynode *v;

	if (!map_ok(c, n, "container"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "runtime") || !strcmp(k, "default_image") || !strcmp(k, "image")) {
			if (scalar(c, v, k))
				warn_no_container(c, v, k);
		} else if (!strcmp(k, "read_only")) {
			get_tri(c, v, k, &s->proc.read_only_root);
		} else if (!strcmp(k, "no_new_privileges")) {
			get_tri(c, v, k, &s->proc.no_new_privileges);
		} else if (!strcmp(k, "drop_capabilities")) {
			parse_cap_list(c, v, k, &mine.drop);
			any_caps = true;
		} else if (!strcmp(k, "add_capabilities")) {
			parse_cap_list(c, v, k, &mine.add);
			any_caps = true;
		} else if (!strcmp(k, "tmpfs")) {
			parse_path_list(c, v, k, &s->proc.tmpfs);
		} else {
			unknown_key(c, KEYNODE(n), "container");
		}
	}
	if (any_caps) {
		caps_check(c, n, &mine);
		s->caps.present = true;
		s->caps.drop |= mine.drop;
		s->caps.add |= mine.add;
	}
}

/* ---- command validation (the seed's tools.security) ---- */

/*
 * What regcomp() is asked to build, bounded before it is called: glibc
 * copies the operand of every repetition ("a+" is "aa*", "a{3}" is "aaa"),
 * so stacked or nested repetitions grow exponentially ("a++++++...",
 * "((a+)+)+"). re_*() estimate the size of the tree it builds.
 */
#define RE_MAX_NODES 10000ul
#define RE_CAP (1ul << 30)

static unsigned long re_add(unsigned long a, unsigned long b)
{
	return a + b > RE_CAP ? RE_CAP : a + b;
}

static unsigned long re_mul(unsigned long a, unsigned long b)
{
	return a && b > RE_CAP / a ? RE_CAP : a * b;
}

static unsigned long re_alt(const char **pp, int depth);

static unsigned long re_atom(const char **pp, int depth)
{
	const char *p = *pp;
	unsigned long n = 1;

	if (*p == '(') {
		p++;
		n = depth < 64 ? re_add(re_alt(&p, depth + 1), 1) : RE_CAP;
		if (*p == ')')
			p++;
	} else if (*p == '[') {
		p++;
		if (*p == '^')
			p++;
		if (*p == ']')
			p++;
		while (*p && *p != ']') {
			if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
				char close = p[1];

				for (p += 2; *p && !(*p == close && p[1] == ']'); p++)
					;
				if (*p)
					p += 2;
			} else {
				p++;
			}
		}
		if (*p)
			p++;
	} else if (*p == '\\' && p[1]) {
		p += 2;
	} else if (*p) {
		p++;
	}
	*pp = p;
	return n;
}

static unsigned long re_piece(const char **pp, int depth)
{
	unsigned long n = re_atom(pp, depth);
	const char *p = *pp;

	for (;;) {
		if (*p == '*' || *p == '?') {
			n = re_add(n, 1);
			p++;
		} else if (*p == '+') {
			n = re_add(re_mul(n, 2), 1);
			p++;
		} else if (*p == '{' && (p[1] == ',' || (p[1] >= '0' && p[1] <= '9'))) {
			unsigned long lo, hi;
			char *end;

			lo = strtoul(p + 1, &end, 10);
			hi = lo;
			if (*end == ',')
				hi = end[1] == '}' ? lo + 1 : strtoul(end + 1, &end, 10);
			while (*end && *end != '}')
				end++;
			if (hi > 255 || lo > 255)
				return RE_CAP;
			n = re_mul(n, (hi > lo ? hi : lo) + 1);
			p = *end ? end + 1 : end;
		} else {
			break;
		}
	}
	*pp = p;
	return n;
}

static unsigned long re_alt(const char **pp, int depth)
{
	unsigned long n = 0;

	while (**pp && **pp != ')') {
		if (**pp == '|') {
			(*pp)++;
			n = re_add(n, 1);
			continue;
		}
		n = re_add(n, re_piece(pp, depth));
	}
	return n;
}

static const char *regex_too_costly(const char *s)
{
	unsigned long n = 0;
	const char *p = s;

	if (strlen(s) > 1024)
		return "longer than 1024 bytes";
	while (*p) {
		n = re_add(n, re_alt(&p, 0));
		if (*p == ')')
			p++; /* unmatched: regcomp() says so */
	}
	if (n > RE_MAX_NODES)
		return "its repetitions expand to more than 10000 nodes (each counted repetition at most 255)";
	return NULL;
}

static void parse_command_list(struct pctx *c, const struct ynode *v, const char *key,
			       struct hx_strings *out)
{
	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = scalar(c, v->items[i], key);

		if (!s)
			continue;
		if (!*s || strspn(s, " \t") == strlen(s))
			err(c, v->items[i], "'%s' entry is empty", key);
		else if (!hx_idx_put(&c->seen, out, s, 0))
			err(c, v->items[i], "'%s' is listed twice", s);
		else
			hx_strings_add(out, s);
	}
}

static void parse_patterns(struct pctx *c, const struct ynode *v, struct hx_strings *out)
{
	if (!want(c, v, Y_SEQ, "blocked_patterns"))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = scalar(c, v->items[i], "blocked_patterns"), *why;
		char msg[128];
		regex_t re;
		int rc;

		if (!s)
			continue;
		if (!*s) {
			err(c, v->items[i], "'blocked_patterns' entry is empty");
			continue;
		}
		why = regex_too_costly(s);
		if (why) {
			err(c, v->items[i], "pattern '%s' is refused: %s", s, why);
			continue;
		}
		rc = regcomp(&re, s, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			regerror(rc, &re, msg, sizeof(msg));
			err(c, v->items[i], "'%s' is not a POSIX extended regular expression: %s",
			    s, msg);
			continue;
		}
		regfree(&re);
		if (!hx_idx_put(&c->seen, out, s, 0))
			err(c, v->items[i], "'%s' is listed twice", s);
		else
			hx_strings_add(out, s);
	}
}

static void parse_cmd(struct pctx *c, const struct ynode *n, struct hx_cmd_validation *cv)
{
	const char *k;
	const struct ynode *v;

	if (!map_ok(c, n, "command_validation"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "enabled")) {
			get_tri(c, v, k, &cv->enabled);
		} else if (!strcmp(k, "blocked_commands")) {
			parse_command_list(c, v, k, &cv->blocked_commands);
		} else if (!strcmp(k, "allowed_commands")) {
			parse_command_list(c, v, k, &cv->allowed_commands);
		} else if (!strcmp(k, "blocked_patterns")) {
			parse_patterns(c, v, &cv->blocked_patterns);
			if (cv->blocked_patterns.n)
				warn(c, KEYNODE(n),
				     "blocked_patterns are regular expressions the kernel cannot match: `helixagent exec --shell` checks them against the command string before anything runs; programs started later from inside the sandbox are not checked against them (blocked_commands also apply in the kernel, to every exec)");
		} else {
			unknown_key(c, KEYNODE(n), "command_validation");
		}
	}
}

/* ---- layers: the keys of security:, sandboxes.NAME, plugins and tools ---- */

/* The seed's plugin/tool context shorthands (default_context, overrides, tools.security). */
static bool parse_seed_key(struct pctx *c, const char *k, const struct ynode *v,
			   struct hx_sandbox *s, struct decl *dc)
{
	struct hx_limits *l = &s->limits;
	unsigned long u;
	const char *str;
	bool b;

	if (!strcmp(k, "sandbox_enabled")) {
		if (get_bool(c, v, k, &b)) {
			if (dc->enabled == HX_NO && b)
				err(c, v,
				    "'sandbox_enabled: true' contradicts 'sandbox_type: none'");
			dc->enabled = b ? HX_YES : HX_NO;
			dc->enabled_at = src_of(v);
		}
	} else if (!strcmp(k, "sandbox_type")) {
		str = scalar(c, v, k);
		if (!str)
			return true;
		if (!strcmp(str, "none")) {
			if (dc->enabled == HX_YES)
				err(c, v,
				    "'sandbox_type: none' contradicts 'sandbox_enabled: true'");
			dc->enabled = HX_NO;
			dc->enabled_at = src_of(v);
		} else if (!strcmp(str, "container")) {
			warn(c, v,
			     "'sandbox_type: container' runs as HelixAgent's process sandbox: a cgroup with the kernel rules, limits and launcher isolation of this section; no container runtime is used");
		} else if (strcmp(str, "process")) {
			err(c, v, "'sandbox_type' must be process, container or none, not '%s'",
			    str);
		}
	} else if (!strcmp(k, "max_memory_mb")) {
		if (limit_free(c, v, "max_memory", l->max_memory) &&
		    get_uint(c, v, k, 1, 1ul << 30, &u))
			l->max_memory = (uint64_t)u << 20;
	} else if (!strcmp(k, "max_cpu_percent")) {
		/* percent of one CPU, as the seed's MaxCPUPercent: 25 is a quarter of a CPU */
		if (limit_free(c, v, "max_cpu", l->max_cpu_milli) &&
		    get_uint(c, v, k, 1, 102400, &u))
			l->max_cpu_milli = (uint32_t)(u * 10);
	} else if (!strcmp(k, "timeout")) {
		if (!limit_free(c, v, "max_execution_time", l->max_execution_ms))
			return true;
		str = scalar(c, v, k);
		if (str && hx_parse_duration_ms(str, &l->max_execution_ms))
			err(c, v, "'timeout': '%s' is not a duration (e.g. 60s, 5m, 1h)", str);
	} else {
		return false;
	}
	return true;
}

/* rate_limit: 1000/s, 6000/m, 100000/h, or none */
static void parse_rate_limit(struct pctx *c, const struct ynode *v, struct hx_rate_limit *r)
{
	const char *s = scalar(c, v, "rate_limit");

	if (!s)
		return;
	if (!strcmp(s, "none")) {
		r->set = true;
		r->events = 0;
		r->window_s = 0;
		return;
	}
	if (hx_parse_rate(s, &r->events, &r->window_s)) {
		err(c, v,
		    "'rate_limit': '%s' is not a rate (e.g. 1000/s, 6000/m, 100000/h, at most %u events; or none)",
		    s, HX_RATE_MAX_EVENTS);
		return;
	}
	r->set = true;
}

/* ---- containment ---- */

static const char *const mount_type_names[HX_MT_COUNT] = {
	"tmpfs", "proc", "sysfs", "mqueue", "devpts", "ramfs", "overlay", "bind",
};

const char *hx_mount_type_name(unsigned i)
{
	return i < HX_MT_COUNT ? mount_type_names[i] : NULL;
}

static void parse_mount_types(struct pctx *c, const struct ynode *v, struct hx_containment *ct)
{
	if (!want(c, v, Y_SEQ, "mount"))
		return;
	ct->mount_set = true;
	ct->mount_types = 0;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = scalar(c, v->items[i], "mount");
		unsigned t;

		if (!s)
			continue;
		for (t = 0; t < HX_MT_COUNT; t++)
			if (!strcmp(s, mount_type_names[t]))
				break;
		if (t == HX_MT_COUNT)
			err(c, v->items[i],
			    "'mount': '%s' is not a mount type a sandbox may be given (tmpfs, proc, sysfs, mqueue, devpts, ramfs, overlay, bind)",
			    s);
		else
			ct->mount_types |= 1u << t;
	}
}

static void parse_containment(struct pctx *c, const struct ynode *n, struct hx_containment *ct)
{
	const char *k;
	const struct ynode *v;

	if (!map_ok(c, n, "containment"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "mount"))
			parse_mount_types(c, v, ct);
		else if (!strcmp(k, "kernel_tunables"))
			get_tri(c, v, k, &ct->kernel_tunables);
		else if (!strcmp(k, "raw_devices"))
			get_tri(c, v, k, &ct->raw_devices);
		else if (!strcmp(k, "network_admin"))
			get_tri(c, v, k, &ct->network_admin);
		else if (!strcmp(k, "system_time"))
			get_tri(c, v, k, &ct->system_time);
		else
			unknown_key(c, KEYNODE(n), "containment");
	}
}

/* Returns false if @k is not a key of this kind of layer. */
static bool parse_layer_key(struct pctx *c, const char *k, const struct ynode *v,
			    struct hx_sandbox *s, enum layer kind, struct decl *dc)
{
	if (!strcmp(k, "mode"))
		get_mode(c, v, &s->mode);
	else if (!strcmp(k, "filesystem"))
		parse_fs(c, v, &s->fs);
	else if (!strcmp(k, "exec"))
		parse_exec(c, v, &s->exec);
	else if (!strcmp(k, "network"))
		parse_net(c, v, &s->net);
	else if (!strcmp(k, "permissions"))
		parse_perms_section(c, v, s);
	else if (!strcmp(k, "limits"))
		parse_limits(c, v, &s->limits);
	else if (!strcmp(k, "capabilities"))
		parse_caps(c, v, &s->caps);
	else if (!strcmp(k, "environment"))
		parse_env(c, v, &s->env);
	else if (!strcmp(k, "command_validation"))
		parse_cmd(c, v, &s->cmd);
	else if (!strcmp(k, "rate_limit"))
		parse_rate_limit(c, v, &s->rate_limit);
	else if (!strcmp(k, "containment"))
		parse_containment(c, v, &s->contain);
	else if (kind != L_BASE && !strcmp(k, "process"))
		parse_process(c, v, &s->proc, "process");
	else if (kind != L_BASE && !strcmp(k, "container"))
		parse_container(c, v, s);
	else if (kind != L_BASE && kind != L_SANDBOX && dc && parse_seed_key(c, k, v, s, dc))
		return true;
	else
		return false;
	return true;
}

static const char *layer_name(enum layer kind)
{
	switch (kind) {
	case L_BASE:
		return "security";
	case L_SANDBOX:
		return "a sandbox";
	case L_PLUGINS:
		return "default_context";
	case L_PLUGIN:
		return "a plugin override";
	default:
		return "tools.security";
	}
}

/* Declares a sandbox; its position is @keyn's. Returns its index in c->decls. */
static size_t declare(struct pctx *c, const char *name, const struct ynode *keyn, char *origin,
		      bool plugin)
{
	struct hx_sandbox *s = calloc(1, sizeof(*s));
	struct decl *dc;

	if (!s)
		abort();
	c->decls = hx_xrealloc(c->decls, (c->ndecls + 1) * sizeof(*c->decls));
	dc = &c->decls[c->ndecls];
	memset(dc, 0, sizeof(*dc));
	dc->plugin = plugin;
	dc->s = s;
	s->name = hx_xstrdup(name);
	s->origin = origin;
	s->src = src_of(keyn);
	if (keyn && !valid_sandbox_name(name))
		err(c, keyn, "sandbox name '%s' must match [a-z0-9_-]{1,63}", name);
	return c->ndecls++;
}

/* Parses the body of a layer: a sandbox, a plugin context, tools.security. */
static void parse_layer(struct pctx *c, const struct ynode *n, struct hx_sandbox *s,
			enum layer kind, struct decl *dc, const char *what)
{
	const char *k;
	const struct ynode *v;

	if (is_null(n) || !map_ok(c, n, what))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (kind != L_BASE && kind != L_PLUGINS && !strcmp(k, "cgroup")) {
			bool dh;
			char *path = norm_path(c, v, "cgroup", &dh);

			if (path) {
				free(s->cgroup);
				s->cgroup = path;
				s->cgroup_explicit = true;
			}
		} else if (!parse_layer_key(c, k, v, s, kind, dc)) {
			unknown_key(c, KEYNODE(n), layer_name(kind));
		}
	}
}

/* ---- security: ---- */

static void parse_audit(struct pctx *c, const struct ynode *n)
{
	static const struct {
		const char *name;
		unsigned bit;
	} evs[] = {
		{ "sandbox_create", HX_AE_SANDBOX_CREATE },
		{ "sandbox_destroy", HX_AE_SANDBOX_DESTROY },
		{ "command_execute", HX_AE_COMMAND_EXECUTE },
		{ "resource_violation", HX_AE_RESOURCE_VIOLATION },
		{ "permission_denied", HX_AE_PERMISSION_DENIED },
	};
	struct hx_policy *p = c->p;
	const char *k, *s;
	const struct ynode *v;
	bool b;

	if (!map_ok(c, n, "audit"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "enabled")) {
			if (get_bool(c, v, k, &b))
				p->audit_enabled = b;
		} else if (!strcmp(k, "log_level")) {
			s = scalar(c, v, k);
			if (s && strcmp(s, "debug") && strcmp(s, "info") && strcmp(s, "warning") &&
			    strcmp(s, "error"))
				err(c, v,
				    "'log_level' must be debug, info, warning or error, not '%s'",
				    s);
			else if (s) {
				free(p->log_level);
				p->log_level = hx_xstrdup(s);
				warn(c, v,
				     "'log_level' does not filter the audit stream: every event listed in 'events' is written, whatever its level");
			}
		} else if (!strcmp(k, "events")) {
			if (!want(c, v, Y_SEQ, k))
				continue;
			p->audit_events = 0;
			for (size_t i = 0; i < v->n; i++) {
				size_t j;

				s = scalar(c, v->items[i], k);
				if (!s)
					continue;
				for (j = 0; j < sizeof(evs) / sizeof(evs[0]); j++)
					if (!strcmp(s, evs[j].name))
						break;
				if (j == sizeof(evs) / sizeof(evs[0]))
					err(c, v->items[i], "unknown audit event '%s'", s);
				else
					p->audit_events |= evs[j].bit;
			}
		} else if (!strcmp(k, "path")) {
			bool dh;
			char *path = norm_path(c, v, k, &dh);

			if (path) {
				free(p->audit_path);
				p->audit_path = path;
			}
		} else {
			unknown_key(c, KEYNODE(n), "audit");
		}
	}
}

/* host:port or [v6]:port */
bool hx_policy_valid_listen(const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[256], msg[160];
	unsigned long port;
	char *end;
	size_t hlen;

	if (!colon || colon == s)
		return false;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 1 || port > 65535 || colon[1] == '-' ||
	    colon[1] == '+')
		return false;
	hlen = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hlen < 3 || s[hlen - 1] != ']' || hlen - 2 >= sizeof(host))
			return false;
		memcpy(host, s + 1, hlen - 2);
		host[hlen - 2] = 0;
		return strchr(host, ':') && !strchr(host, '/') &&
		       !hx_parse_cidr(host, msg, sizeof(msg));
	}
	if (hlen >= sizeof(host))
		return false;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	return !strchr(host, ':') && valid_hostname(host);
}

static void parse_metrics(struct pctx *c, const struct ynode *n)
{
	const char *k, *s;
	const struct ynode *v;

	if (!map_ok(c, n, "metrics"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "listen")) {
			s = scalar(c, v, k);
			if (!s)
				continue;
			if (!hx_policy_valid_listen(s)) {
				err(c, v, "'listen' must be HOST:PORT or [IPv6]:PORT, not '%s'", s);
				continue;
			}
			free(c->p->metrics_listen);
			c->p->metrics_listen = hx_xstrdup(s);
		} else {
			unknown_key(c, KEYNODE(n), "metrics");
		}
	}
}

static void parse_sandbox_cfg(struct pctx *c, const struct ynode *n)
{
	struct hx_policy *p = c->p;
	const char *k, *s;
	const struct ynode *v;
	bool b;

	if (!map_ok(c, n, "sandbox"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "enabled")) {
			if (get_bool(c, v, k, &b) && !b) {
				c->sandboxing_off = true;
				c->sandboxing_off_at = src_of(v);
			}
		} else if (!strcmp(k, "type")) {
			s = scalar(c, v, k);
			if (!s)
				continue;
			if (strcmp(s, "process") && strcmp(s, "container") && strcmp(s, "none")) {
				err(c, v, "'type' must be process, container or none, not '%s'", s);
				continue;
			}
			free(p->sandbox_type);
			p->sandbox_type = hx_xstrdup(s);
			if (!strcmp(s, "none")) {
				c->sandboxing_off = true;
				c->sandboxing_off_at = src_of(v);
			} else if (!strcmp(s, "container")) {
				warn(c, v,
				     "sandbox type 'container' runs as HelixAgent's process sandbox: each sandbox is a cgroup with kernel rules, limits and launcher isolation (namespaces, seccomp, capabilities, read-only paths); no container runtime is used");
			}
		} else if (!strcmp(k, "cgroup_root")) {
			s = scalar(c, v, k);
			if (!s)
				continue;
			while (*s == '/')
				s++;
			if (!*s || strstr(s, "..") || strchr(s, '\n'))
				err(c, v, "'cgroup_root' must be a relative cgroup path, not '%s'",
				    v->str);
			else {
				free(p->cgroup_root);
				p->cgroup_root = hx_xstrdup(s);
			}
		} else if (!strcmp(k, "process")) {
			parse_process(c, v, &p->base.proc, "process");
		} else if (!strcmp(k, "container")) {
			parse_container(c, v, &p->base);
		} else {
			unknown_key(c, KEYNODE(n), "sandbox");
		}
	}
}

static void parse_security(struct pctx *c, const struct ynode *n)
{
	struct hx_policy *p = c->p;
	const char *k;
	const struct ynode *v;
	bool b;

	if (!map_ok(c, n, "security"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "enabled")) {
			if (!get_bool(c, v, k, &b))
				continue;
			p->enabled = b;
			if (!b) {
				c->sandboxing_off = true;
				c->sandboxing_off_at = src_of(v);
			}
		} else if (!strcmp(k, "sandbox")) {
			parse_sandbox_cfg(c, v);
		} else if (!strcmp(k, "audit")) {
			parse_audit(c, v);
		} else if (!strcmp(k, "metrics")) {
			parse_metrics(c, v);
		} else if (!parse_layer_key(c, k, v, &p->base, L_BASE, NULL)) {
			unknown_key(c, KEYNODE(n), "security");
		}
	}
}

/* ---- sandboxes:, plugins:, tools:, monitoring: ---- */

static void parse_sandboxes(struct pctx *c, const struct ynode *n)
{
	if (!map_ok(c, n, "sandboxes"))
		return;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *keyn = n->items[i];
		size_t d;

		if (keyn->kind != Y_SCALAR)
			continue;
		d = declare(c, keyn->str, keyn, hx_xasprintf("sandboxes.%s", keyn->str), false);
		parse_layer(c, n->items[i + 1], c->decls[d].s, L_SANDBOX, &c->decls[d], keyn->str);
	}
}

/*
 * plugins.security: default_context declares the sandbox "plugins" (for a
 * plugin without an override), each overrides.NAME the sandbox NAME; both
 * are layered on default_context, which is layered on security:.
 */
static void parse_plugins(struct pctx *c, const struct ynode *n)
{
	const struct ynode *seck = NULL, *sec = NULL, *ctxk = NULL, *ctx = NULL, *ovr = NULL, *v;
	const char *k;

	if (!map_ok(c, n, "plugins"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k)
			continue;
		if (!strcmp(k, "security")) {
			seck = KEYNODE(n);
			sec = v;
		} else {
			unknown_key(c, KEYNODE(n), "plugins");
		}
	}
	if (!sec)
		return;
	if (is_null(sec) || !map_ok(c, sec, "security")) {
		declare(c, "plugins", seck, hx_xstrdup("plugins.security.default_context"), true);
		return;
	}
	MAP_FOREACH(sec, k, v) {
		if (!k)
			continue;
		if (!strcmp(k, "default_context")) {
			ctxk = KEYNODE(sec);
			ctx = v;
		} else if (!strcmp(k, "overrides")) {
			ovr = v;
		} else {
			unknown_key(c, KEYNODE(sec), "plugins.security");
		}
	}
	/* the sandbox "plugins" sits where default_context (or plugins.security) is written */
	declare(c, "plugins", ctxk ? ctxk : seck, hx_xstrdup("plugins.security.default_context"),
		true);
	if (ctx) {
		c->pfx = "plugins.security.default_context.";
		parse_layer(c, ctx, &c->ctx, L_PLUGINS, &c->ctx_decl, "default_context");
		c->pfx = "";
	}
	if (!ovr || is_null(ovr) || !map_ok(c, ovr, "overrides"))
		return;
	for (size_t i = 0; i + 1 < ovr->n; i += 2) {
		const struct ynode *keyn = ovr->items[i];
		size_t d;

		if (keyn->kind != Y_SCALAR)
			continue;
		d = declare(c, keyn->str, keyn,
			    hx_xasprintf("plugins.security.overrides.%s", keyn->str), true);
		parse_layer(c, ovr->items[i + 1], c->decls[d].s, L_PLUGIN, &c->decls[d], keyn->str);
	}
}

/* tools.security declares the sandbox "tools", layered on security:. */
static void parse_tools(struct pctx *c, const struct ynode *n)
{
	const struct ynode *v;
	const char *k;

	if (!map_ok(c, n, "tools"))
		return;
	MAP_FOREACH(n, k, v) {
		size_t d;

		if (!k)
			continue;
		if (strcmp(k, "security")) {
			unknown_key(c, KEYNODE(n), "tools");
			continue;
		}
		d = declare(c, "tools", KEYNODE(n), hx_xstrdup("tools.security"), false);
		parse_layer(c, v, c->decls[d].s, L_TOOLS, &c->decls[d], "security");
	}
}

/* Brackets balanced, nothing unprintable: enough to catch a condition cut short. */
static bool plausible_condition(const char *s)
{
	char stack[64];
	int depth = 0;

	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
		if (*p == '(' || *p == '[' || *p == '{') {
			if (depth == (int)sizeof(stack))
				return false;
			stack[depth++] = *p;
		} else if (*p == ')' || *p == ']' || *p == '}') {
			char open = *p == ')' ? '(' : *p == ']' ? '[' : '{';

			if (!depth || stack[--depth] != open)
				return false;
		}
	}
	return depth == 0;
}

static void parse_alert(struct pctx *c, const struct ynode *it)
{
	struct hx_policy *p = c->p;
	const struct ynode *v, *namen = NULL, *condn = NULL, *sevn = NULL;
	const char *k, *name = NULL, *cond = NULL, *sev = NULL;
	enum hx_severity severity = 0;
	struct hx_alert *a;

	if (!map_ok(c, it, "alerts entry"))
		return;
	MAP_FOREACH(it, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "name"))
			name = scalar(c, namen = v, k);
		else if (!strcmp(k, "condition"))
			cond = scalar(c, condn = v, k);
		else if (!strcmp(k, "severity"))
			sev = scalar(c, sevn = v, k);
		else
			unknown_key(c, KEYNODE(it), "an alert");
	}
	if (!namen || !condn || !sevn) {
		err(c, it, "an alert needs a name, a condition and a severity");
		return;
	}
	if (!name || !cond || !sev)
		return;
	if (!*name || !valid_var_glob(name) || strpbrk(name, "*?[]!")) {
		err(c, namen, "alert name '%s' must be letters, digits, '_', '-' or '.'", name);
		return;
	}
	for (size_t i = 0; i < p->nalerts; i++)
		if (!strcmp(p->alerts[i].name, name)) {
			err(c, namen, "alert '%s' is defined twice (first at line %u)", name,
			    p->alerts[i].src.line);
			return;
		}
	if (!*cond || strspn(cond, " \t") == strlen(cond)) {
		err(c, condn, "alert '%s': the condition is empty", name);
		return;
	}
	if (!plausible_condition(cond)) {
		err(c, condn,
		    "alert '%s': condition '%s' has unbalanced brackets or control characters",
		    name, cond);
		return;
	}
	if (!strcmp(sev, "info"))
		severity = HX_SEV_INFO;
	else if (!strcmp(sev, "warning"))
		severity = HX_SEV_WARNING;
	else if (!strcmp(sev, "critical"))
		severity = HX_SEV_CRITICAL;
	else {
		err(c, sevn, "alert '%s': severity must be info, warning or critical, not '%s'",
		    name, sev);
		return;
	}
	p->alerts = hx_xrealloc(p->alerts, (p->nalerts + 1) * sizeof(*p->alerts));
	a = &p->alerts[p->nalerts++];
	a->name = hx_xstrdup(name);
	a->condition = hx_xstrdup(cond);
	a->severity = severity;
	a->src = src_of(namen);
}

/* monitoring.security.alerts */
static void parse_monitoring(struct pctx *c, const struct ynode *n)
{
	const struct ynode *v, *sec = NULL, *alerts = NULL;
	const char *k;

	if (!map_ok(c, n, "monitoring"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k)
			continue;
		if (!strcmp(k, "security"))
			sec = v;
		else
			unknown_key(c, KEYNODE(n), "monitoring");
	}
	if (!sec || !map_ok(c, sec, "security"))
		return;
	MAP_FOREACH(sec, k, v) {
		if (!k)
			continue;
		if (!strcmp(k, "alerts"))
			alerts = KEYNODE(sec);
		else
			unknown_key(c, KEYNODE(sec), "monitoring.security");
	}
	if (!alerts)
		return;
	for (size_t i = 0; i + 1 < sec->n; i += 2) {
		if (sec->items[i] != alerts)
			continue;
		v = sec->items[i + 1];
		if (is_null(v) || !want(c, v, Y_SEQ, "alerts"))
			return;
		for (size_t j = 0; j < v->n; j++)
			parse_alert(c, v->items[j]);
	}
	warn(c, alerts,
	     "alerts are not evaluated by the agent: they are checked and kept; evaluate them in Prometheus over the metrics endpoint (security.metrics.listen)");
}

/* ---- the whole policy ---- */

static void parse_root(struct pctx *c, const struct ynode *root)
{
	struct hx_policy *p = c->p;
	const struct ynode *v;
	const char *k;

	if (!root || is_null(root)) {
		err(c, NULL, "the policy is empty");
		return;
	}
	if (!map_ok(c, root, "the policy"))
		return;
	MAP_FOREACH(root, k, v) {
		if (!k)
			continue;
		if (!strcmp(k, "security")) {
			c->pfx = "security.";
			parse_security(c, v);
			c->pfx = "";
		} else if (!strcmp(k, "network")) {
			/* the seed's top-level network: (zones, whitelist example) is the base's */
			if (!is_null(v))
				parse_net(c, v, &p->base.net);
		} else if (!strcmp(k, "limits")) {
			/* the seed's top-level limits: (best practice 4) is the base's */
			if (!is_null(v))
				parse_limits(c, v, &p->base.limits);
		} else if (!strcmp(k, "sandboxes")) {
			if (!is_null(v))
				parse_sandboxes(c, v);
		} else if (!strcmp(k, "plugins")) {
			if (!is_null(v))
				parse_plugins(c, v);
		} else if (!strcmp(k, "tools")) {
			if (!is_null(v))
				parse_tools(c, v);
		} else if (!strcmp(k, "monitoring")) {
			if (!is_null(v))
				parse_monitoring(c, v);
		} else {
			unknown_key(
				c, KEYNODE(root),
				"the policy (expected security, sandboxes, plugins, tools, network, limits or monitoring)");
		}
	}
}

static bool only_blocked_net(const struct hx_net_policy *n)
{
	for (size_t i = 0; i < n->cidrs.n; i++)
		if (!n->cidrs.v[i].block)
			return false;
	for (size_t i = 0; i < n->ports.n; i++)
		if (!n->ports.v[i].block)
			return false;
	return !n->hosts.n && (n->cidrs.n || n->ports.n || n->blocked_hosts.n);
}

static bool only_blocked_paths(const struct hx_path_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i].block)
			return false;
	return r->n;
}

/* Defaults of a fully layered sandbox, and the warnings they call for. */
static void settle(struct pctx *c, struct hx_sandbox *s)
{
	if (!s->mode)
		s->mode = HX_PM_ENFORCE;

	/* Fail secure: a family that is present denies what no rule allows. */
	if (s->exec.present && !s->exec.default_policy) {
		s->exec.default_policy = HX_DEF_DENY;
		if (only_blocked_paths(&s->exec.rules))
			diag_at(c, HX_DIAG_WARNING, s->src,
				"sandbox '%s': exec lists only blocked entries and no default_policy, so every other program is denied",
				s->name);
	}
	if (s->fs.present && !s->fs.default_policy) {
		s->fs.default_policy = HX_DEF_DENY;
		if (only_blocked_paths(&s->fs.rules))
			diag_at(c, HX_DIAG_WARNING, s->src,
				"sandbox '%s': filesystem lists only blocked paths and no default_policy, so every other path is denied",
				s->name);
	}
	if (s->net.present && !s->net.default_policy) {
		s->net.default_policy = HX_DEF_DENY;
		if (only_blocked_net(&s->net))
			diag_at(c, HX_DIAG_WARNING, s->src,
				"sandbox '%s': network lists only blocked entries and no default_policy, so every other destination is denied",
				s->name);
	}

	/*
	 * command_validation.blocked_commands also go to the kernel as
	 * exec.blocked_commands, so a program started from inside the sandbox
	 * can't run them either. Where the exec family is otherwise absent it
	 * becomes present with default_policy allow: nothing else is restricted.
	 */
	if (s->cmd.enabled != HX_NO && s->cmd.blocked_commands.n) {
		struct hx_idx have = { 0 };

		if (!s->exec.present) {
			s->exec.present = true;
			s->exec.default_policy = HX_DEF_ALLOW;
		}
		for (size_t i = 0; i < s->exec.blocked_commands.n; i++)
			hx_idx_put(&have, &have, s->exec.blocked_commands.v[i], i);
		for (size_t i = 0; i < s->cmd.blocked_commands.n; i++)
			if (hx_idx_put(&have, &have, s->cmd.blocked_commands.v[i], 0))
				hx_strings_add(&s->exec.blocked_commands,
					       s->cmd.blocked_commands.v[i]);
		hx_idx_free(&have);
	}
	if (s->cmd.enabled == HX_UNSET &&
	    (s->cmd.blocked_commands.n || s->cmd.blocked_patterns.n || s->cmd.allowed_commands.n))
		s->cmd.enabled = HX_YES;
}

/* List entries of one layer: what inheriting it copies. */
static size_t layer_entries(const struct hx_sandbox *s)
{
	return s->exec.rules.n + s->exec.blocked_commands.n + s->fs.rules.n + s->net.cidrs.n +
	       s->net.ports.n + s->net.hosts.n + s->net.blocked_hosts.n + s->env.allowed_vars.n +
	       s->env.blocked_vars.n + s->proc.read_only_paths.n + s->proc.writable_paths.n +
	       s->proc.masked_paths.n + s->proc.tmpfs.n + s->cmd.blocked_commands.n +
	       s->cmd.blocked_patterns.n + s->cmd.allowed_commands.n;
}

/*
 * Inheritance copies the base into every sandbox: a large security: and many
 * sandboxes multiply. Bounded before anything is copied.
 */
static bool expansion_ok(struct pctx *c)
{
	size_t base = layer_entries(&c->p->base), ctx = layer_entries(&c->ctx), total = 0;

	for (size_t i = 0; i < c->ndecls; i++)
		total += layer_entries(c->decls[i].s) + base + (c->decls[i].plugin ? ctx : 0);
	if (total <= HX_POLICY_MAX_ENTRIES)
		return true;
	diag_at(c, HX_DIAG_ERROR, c->ndecls ? c->decls[0].s->src : (struct hx_src){ 1, 1 },
		"the policy expands to %zu rules once each of its %zu sandboxes inherits its layers (security: alone has %zu), more than %u: move rules out of security: into the sandboxes that need them",
		total, c->ndecls, base, HX_POLICY_MAX_ENTRIES);
	return false;
}

static void finish(struct pctx *c)
{
	struct hx_policy *p = c->p;
	struct hx_idx names = { 0 };
	bool have_default = false, expand;
	size_t j;

	if (!p->cgroup_root)
		p->cgroup_root = hx_xstrdup("helixagent");
	if (!p->audit_path)
		p->audit_path = hx_xstrdup("/var/log/helixagent/audit.jsonl");
	if (!p->log_level)
		p->log_level = hx_xstrdup("info");
	if (!p->sandbox_type)
		p->sandbox_type = hx_xstrdup("process");
	p->mode = p->base.mode ? p->base.mode : HX_PM_ENFORCE;

	for (size_t i = 0; i < c->ndecls; i++)
		have_default |= !strcmp(c->decls[i].s->name, "default");
	if (!have_default) {
		/* The base governs a sandbox of its own, for `exec --sandbox default`. */
		declare(c, "default", NULL, hx_xstrdup("security"), false);
	}

	expand = expansion_ok(c);
	for (size_t i = 0; i < c->ndecls; i++) {
		struct hx_sandbox *s = c->decls[i].s;
		struct decl *dc = &c->decls[i];

		if (!s->cgroup)
			s->cgroup = hx_xasprintf("/%s/%s", p->cgroup_root, s->name);
		else if (!strcmp(s->cgroup, "/"))
			diag_at(c, HX_DIAG_WARNING, s->src,
				"sandbox '%s' governs the root cgroup: every process of the host, the agent and its shell included",
				s->name);
		if (dc->plugin && dc->enabled == HX_UNSET) {
			dc->enabled = c->ctx_decl.enabled;
			dc->enabled_at = c->ctx_decl.enabled_at;
		}
		/* refused by expansion_ok(): sandboxes stay as written, the policy is invalid */
		if (expand) {
			if (dc->plugin)
				hx_sandbox_inherit(s, &c->ctx);
			hx_sandbox_inherit(s, &p->base);
			settle(c, s);
		}

		/* one name, one cgroup per sandbox (both keys in one index, told apart by owner) */
		if (!hx_idx_put(&names, &names, s->name, i)) {
			const struct hx_sandbox *a;

			hx_idx_get(&names, &names, s->name, &j);
			a = c->decls[j].s;
			diag_at(c, HX_DIAG_ERROR, s->src,
				"duplicate sandbox name '%s': declared by %s (line %u) and by %s",
				s->name, a->origin, a->src.line, s->origin);
		} else if (!hx_idx_put(&names, p, s->cgroup, i)) {
			hx_idx_get(&names, p, s->cgroup, &j);
			diag_at(c, HX_DIAG_ERROR, s->src,
				"sandboxes '%s' and '%s' both govern cgroup %s",
				c->decls[j].s->name, s->name, s->cgroup);
		}
	}
	hx_idx_free(&names);

	/* Sandboxing switched off: what is declared is checked above, then not kept. */
	if (c->sandboxing_off) {
		if (c->ndecls)
			diag_at(c, HX_DIAG_WARNING, c->sandboxing_off_at,
				"sandboxing is switched off here: none of the %zu sandbox%s declared is enforced",
				c->ndecls, c->ndecls == 1 ? "" : "es");
		p->sandbox_enabled = false;
	}
	p->sandboxes = hx_xrealloc(NULL, c->ndecls * sizeof(*p->sandboxes));
	p->nsandboxes = 0;
	for (size_t i = 0; i < c->ndecls; i++) {
		struct hx_sandbox *s = c->decls[i].s;

		if (!c->sandboxing_off && c->decls[i].enabled == HX_NO)
			diag_at(c, HX_DIAG_WARNING, c->decls[i].enabled_at,
				"sandbox '%s' is switched off (sandbox_enabled: false or sandbox_type: none): its programs run unconfined and `helixagent exec --sandbox %s` is refused",
				s->name, s->name);
		if (c->sandboxing_off || c->decls[i].enabled == HX_NO)
			hx_sandbox_free(s);
		else
			p->sandboxes[p->nsandboxes++] = *s;
		free(s);
	}
	free(c->decls);
	c->decls = NULL;
	c->ndecls = 0;
}

struct hx_policy *hx_policy_load_buf(const char *name, const char *buf, size_t len,
				     struct hx_diags *diags)
{
	struct hx_policy *p = calloc(1, sizeof(*p));
	struct pctx c = { .d = diags, .p = p, .pfx = "" };
	struct ytree t;
	struct yerr ye = { 0 };

	if (!p)
		return NULL;
	p->file = hx_xstrdup(name);
	p->enabled = true;
	p->sandbox_enabled = true;
	p->audit_enabled = true;
	p->audit_events = HX_AE_ALL;

	if (len > HX_POLICY_MAX_BYTES) {
		err(&c, NULL, "the policy is larger than %u bytes", HX_POLICY_MAX_BYTES);
		return p;
	}
	if (memchr(buf, 0, len)) {
		const char *z = memchr(buf, 0, len);
		unsigned line = 1, col = 1;

		for (const char *q = buf; q < z; q++, col++)
			if (*q == '\n') {
				line++;
				col = 0;
			}
		struct ynode at = { .line = line, .col = col };

		err(&c, &at, "NUL byte in the policy file");
		return p;
	}
	if (ytree_parse(buf, len, &t, &ye)) {
		struct ynode at = { .line = ye.line, .col = ye.col };

		err(&c, &at, "%s", ye.msg);
		return p;
	}
	parse_root(&c, t.root);
	ytree_free(&t);
	finish(&c);
	hx_sandbox_free(&c.ctx);
	hx_idx_free(&c.seen);
	return p;
}

struct hx_policy *hx_policy_load_file(const char *path, struct hx_diags *diags)
{
	struct hx_policy *p;
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		int e = errno;

		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	if ((size_t)st.st_size > HX_POLICY_MAX_BYTES) {
		close(fd);
		p = hx_policy_load_buf(path, "", HX_POLICY_MAX_BYTES + 1, diags);
		return p;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	p = hx_policy_load_buf(path, buf, got, diags);
	free(buf);
	return p;
}
