// SPDX-License-Identifier: GPL-2.0
/*
 * YAML tree -> validated policy model. Every problem is recorded with its
 * position and parsing goes on, so one run reports all of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helixagent/abi.h"
#include "policy.h"
#include "ytree.h"

struct pctx {
	struct hx_diags *d;
	struct hx_policy *p;
	/* Prepended to rule names: where the section being parsed sits in the file
	 * when its rules are inherited ("security."), empty for a sandbox's own. */
	const char *pfx;
};

/* ---- diagnostics ---- */

static void vdiag(struct hx_diags *d, enum hx_diag_level lvl, unsigned line, unsigned col,
		  const char *fmt, va_list ap)
{
	struct hx_diag *nv;
	char *msg;

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
	if (lvl == HX_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
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

static int diag_cmp(const void *a, const void *b)
{
	const struct hx_diag *x = a, *y = b;

	if (x->src.line != y->src.line)
		return x->src.line < y->src.line ? -1 : 1;
	if (x->src.col != y->src.col)
		return x->src.col < y->src.col ? -1 : 1;
	return 0;
}

void hx_diags_print(const struct hx_diags *d, const char *file, FILE *out)
{
	struct hx_diag *sorted;

	if (!d->n)
		return;
	/* Report in file order; qsort is not stable, so copy and sort. */
	sorted = malloc(d->n * sizeof(*sorted));
	if (!sorted)
		return;
	memcpy(sorted, d->v, d->n * sizeof(*sorted));
	qsort(sorted, d->n, sizeof(*sorted), diag_cmp);
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s:%u:%u: %s: %s\n", file, sorted[i].src.line, sorted[i].src.col,
			sorted[i].level == HX_DIAG_ERROR ? "error" : "warning", sorted[i].msg);
	free(sorted);
}

void hx_diags_free(struct hx_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ---- small helpers ---- */

static char *xstrdup(const char *s)
{
	char *r = strdup(s ? s : "");

	if (!r)
		abort(); /* out of memory while parsing a policy: nothing sane to do */
	return r;
}

static void *xrealloc(void *p, size_t n)
{
	void *r = realloc(p, n ? n : 1);

	if (!r)
		abort();
	return r;
}

__attribute__((format(printf, 1, 2))) static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&r, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return r;
}

/* "security." + "network.allowed_ports" + "[0]" */
static char *rule_name(struct pctx *c, const char *list, size_t idx)
{
	return xasprintf("%s%s[%zu]", c->pfx ? c->pfx : "", list, idx);
}

static void strings_add(struct hx_strings *s, const char *v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = xstrdup(v);
}

static void strings_free(struct hx_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static bool strings_has(const struct hx_strings *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], v))
			return true;
	return false;
}

static struct hx_path_rule *rules_add(struct hx_path_rules *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	return &r->v[r->n++];
}

static void rules_free(struct hx_path_rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].name);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static struct hx_cidr_rule *cidrs_push(struct hx_cidr_rules *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	return &r->v[r->n++];
}

static void cidrs_free(struct hx_cidr_rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].cidr);
		free(r->v[i].name);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

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
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE") ||
	    !strcmp(s, "no")) {
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
#define MAP_FOREACH_I(M, I, K, V) \
	for (size_t I = 0; I + 1 < (M)->n && ((K) = (M)->items[I]->str, (V) = (M)->items[I + 1], 1); I += 2)
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
	out = xstrdup(s);
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
		unsigned bit = *p == 'r' ? HX_ACC_R : *p == 'w' ? HX_ACC_W : *p == 'x' ? HX_ACC_X : 0;

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
	for (size_t i = 0; i < rules->n; i++) {
		if (strcmp(rules->v[i].path, path))
			continue;
		if (rules->v[i].block != block)
			err(c, n, "'%s' is both allowed and blocked (also %s)", path,
			    rules->v[i].name);
		else
			err(c, n, "'%s' is listed twice (first as %s)", path, rules->v[i].name);
		free(path);
		return;
	}
	r = rules_add(rules);
	r->path = path;
	r->perms = perms;
	r->block = block;
	r->dir_hint = dir_hint;
	r->src.line = n->line;
	r->src.col = n->col;
	r->name = rule_name(c, list, idx);
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
				else if (strings_has(&e->blocked_commands, s))
					err(c, v->items[i], "'%s' is listed twice", s);
				else
					strings_add(&e->blocked_commands, s);
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
			if (!want(c, v, Y_SEQ, k))
				continue;
			for (size_t i = 0; i < v->n; i++) {
				const struct ynode *it = v->items[i], *path = NULL;
				unsigned perms = HX_ACC_R;
				const char *ik;
				const struct ynode *iv;

				if (it->kind == Y_SCALAR) {
					/* A bare path: read-only, the least that is useful. */
					add_path_rule(c, &f->rules, it, "filesystem.allowed_paths",
						      i, k, perms, false);
					continue;
				}
				if (!map_ok(c, it, "allowed_paths entry"))
					continue;
				MAP_FOREACH_I(it, _j, ik, iv) {
					if (!ik)
						continue;
					if (!strcmp(ik, "path"))
						path = iv;
					else if (!strcmp(ik, "permissions"))
						parse_perms(c, iv, &perms);
					else if (!strcmp(ik, "recursive")) {
						bool rec;

						if (get_bool(c, iv, ik, &rec) && !rec)
							err(c, iv,
							    "'recursive: false' is not supported: a directory rule covers its whole tree");
					} else
						unknown_key(c, KEYNODE_J(it), "allowed_paths entry");
				}
				if (!path)
					err(c, it, "allowed_paths entry needs a 'path'");
				else
					add_path_rule(c, &f->rules, path, "filesystem.allowed_paths",
						      i, "path", perms, false);
			}
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
		if (!(*p == '-' || *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
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

	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->v[i].cidr, cidr))
			continue;
		if (r->v[i].block != block)
			err(c, n, "'%s' is both allowed and blocked (also %s)", cidr, r->v[i].name);
		else
			err(c, n, "'%s' is listed twice (first as %s)", cidr, r->v[i].name);
		free(name);
		return;
	}
	x = cidrs_push(r);
	x->cidr = xstrdup(cidr);
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

static void port_add(struct pctx *c, struct hx_port_rules *r, const struct ynode *n,
		     uint16_t port, enum hx_proto proto, bool block, char *name)
{
	struct hx_port_rule *x;

	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].port != port || r->v[i].proto != proto)
			continue;
		if (r->v[i].block != block)
			err(c, n, "port %u/%s is both allowed and blocked (also %s)", port,
			    proto_name(proto), r->v[i].name);
		else
			err(c, n, "port %u/%s is listed twice (first as %s)", port,
			    proto_name(proto), r->v[i].name);
		free(name);
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	x = &r->v[r->n++];
	memset(x, 0, sizeof(*x));
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
				unknown_key(c, KEYNODE_J(it), block ? "blocked_ports entry" :
								      "allowed_ports entry");
			}
		}
		if (!has_port)
			err(c, it, "%s entry needs a 'port'", key);
		else if (ok)
			port_add(c, r, it, port, proto, b, rule_name(c, list, i));
	}
}

static void host_rule_free(struct hx_host_rule *h)
{
	free(h->host);
	free(h->ports);
	free(h->name);
}

static void hosts_free(struct hx_host_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		host_rule_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static struct hx_host_rule *hosts_push(struct hx_host_rules *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	return &r->v[r->n++];
}

static void host_copy(struct hx_host_rule *dst, const struct hx_host_rule *src)
{
	*dst = *src;
	dst->host = xstrdup(src->host);
	dst->name = xstrdup(src->name);
	dst->ports = NULL;
	if (src->nports) {
		dst->ports = xrealloc(NULL, src->nports * sizeof(*src->ports));
		memcpy(dst->ports, src->ports, src->nports * sizeof(*src->ports));
	}
}

static bool same_host_rule(const struct hx_host_rule *a, const struct hx_host_rule *b)
{
	if (strcmp(a->host, b->host) || a->proto != b->proto || a->nports != b->nports)
		return false;
	for (size_t i = 0; i < a->nports; i++)
		if (a->ports[i] != b->ports[i])
			return false;
	return true;
}

static bool host_in(const struct hx_host_rules *r, const char *host, const char **name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].host, host)) {
			*name = r->v[i].name;
			return true;
		}
	return false;
}

/* Host names are case-insensitive; a trailing dot (the root) is dropped. */
static char *norm_host(const char *s)
{
	char *h = xstrdup(s);
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
		const char *ik, *host = NULL, *prev;
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
					h.ports = xrealloc(NULL, iv->n * sizeof(*h.ports));
					h.nports = 0;
					for (size_t k = 0; k < iv->n; k++) {
						uint16_t port;
						bool dup = false;

						if (!get_port(c, iv->items[k], ik, &port)) {
							ok = false;
							continue;
						}
						for (size_t m = 0; m < h.nports; m++)
							dup |= h.ports[m] == port;
						if (dup)
							err(c, iv->items[k], "port %u is listed twice",
							    port);
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
		if (ok && !valid_hostname(host)) {
			err(c, hostn, "'%s' is not a valid host name%s", host,
			    strchr(host, ':') || strchr(host, '/') ?
				    " (addresses and prefixes go in allowed_cidrs or blocked_cidrs)" :
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
		if (host_in(other, h.host, &prev)) {
			err(c, hostn, "'%s' is both allowed and blocked (also %s)", h.host, prev);
			free(h.host);
			free(h.ports);
			continue;
		}
		for (size_t k = 0; k < r->n && ok; k++)
			if (same_host_rule(&r->v[k], &h)) {
				err(c, hostn, "'%s' is listed twice (first as %s)", h.host,
				    r->v[k].name);
				ok = false;
			}
		if (!ok) {
			free(h.host);
			free(h.ports);
			continue;
		}
		h.name = rule_name(c, list, i);
		*hosts_push(r) = h;
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
			err(c, pol, "zone '%s': 'allow_all: true' contradicts 'default_policy: deny'",
			    k);
			continue;
		}
		if (all == HX_NO && def == HX_DEF_ALLOW) {
			err(c, pol, "zone '%s': 'allow_all: false' contradicts 'default_policy: allow'",
			    k);
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
				err(c, v, "'network.default_policy' is already set (by another section or a zone)");
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

static void parse_perms_section(struct pctx *c, const struct ynode *n, struct hx_permissions *p)
{
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
		else
			unknown_key(c, KEYNODE(n), "permissions");
	}
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
			if ((s = scalar(c, v, k)) && hx_parse_size(s, &l->max_memory))
				err(c, v, "'max_memory': '%s' is not a size (e.g. 512Mi, 512m, 1G)", s);
		} else if (!strcmp(k, "max_cpu")) {
			if ((s = scalar(c, v, k)) && hx_parse_cpu_milli(s, &l->max_cpu_milli))
				err(c, v, "'max_cpu': '%s' is not a CPU amount (e.g. \"0.5\", \"50%%\")", s);
		} else if (!strcmp(k, "max_processes")) {
			if (get_uint(c, v, k, 1, 4194304, &u))
				l->max_processes = (uint32_t)u;
		} else if (!strcmp(k, "max_open_files")) {
			if (get_uint(c, v, k, 1, 1048576, &u))
				l->max_open_files = (uint32_t)u;
		} else if (!strcmp(k, "max_execution_time")) {
			if ((s = scalar(c, v, k)) && hx_parse_duration_ms(s, &l->max_execution_ms))
				err(c, v, "'max_execution_time': '%s' is not a duration (e.g. 300s, 5m, 1h)", s);
		} else {
			unknown_key(c, KEYNODE(n), "limits");
		}
	}
}

static const char *const cap_names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
	"SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
	"SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
	"AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

static void parse_cap_list(struct pctx *c, const struct ynode *v, const char *key)
{
	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = scalar(c, v->items[i], key);
		bool ok = false;

		if (!s)
			continue;
		if (!strncasecmp(s, "CAP_", 4))
			s += 4;
		ok = !strcasecmp(s, "ALL");
		for (size_t j = 0; !ok && j < sizeof(cap_names) / sizeof(cap_names[0]); j++)
			ok = !strcasecmp(s, cap_names[j]);
		if (!ok)
			err(c, v->items[i], "'%s' is not a capability", v->items[i]->str);
	}
}

static void parse_caps(struct pctx *c, const struct ynode *n)
{
	const char *k;
	const struct ynode *v;

	if (!map_ok(c, n, "capabilities"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "drop") || !strcmp(k, "add"))
			parse_cap_list(c, v, k);
		else
			unknown_key(c, KEYNODE(n), "capabilities");
	}
}

static void parse_glob_list(struct pctx *c, const struct ynode *v, const char *key)
{
	if (!want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = scalar(c, v->items[i], key);

		if (s && (!*s || strchr(s, '=')))
			err(c, v->items[i], "'%s' is not a variable name or glob", s);
	}
}

static void parse_env(struct pctx *c, const struct ynode *n)
{
	const char *k;
	const struct ynode *v;
	bool b;

	if (!map_ok(c, n, "environment"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "inherit"))
			get_bool(c, v, k, &b);
		else if (!strcmp(k, "allowed_vars") || !strcmp(k, "blocked_vars"))
			parse_glob_list(c, v, k);
		else
			unknown_key(c, KEYNODE(n), "environment");
	}
}

/* Keys common to the security: base and to each sandbox. */
static bool parse_rule_key(struct pctx *c, const char *k, const struct ynode *v,
			   struct hx_sandbox *s)
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
		parse_perms_section(c, v, &s->perms);
	else if (!strcmp(k, "limits"))
		parse_limits(c, v, &s->limits);
	else if (!strcmp(k, "capabilities"))
		parse_caps(c, v);
	else if (!strcmp(k, "environment"))
		parse_env(c, v);
	else
		return false;
	return true;
}

static void parse_sandbox(struct pctx *c, const struct ynode *keyn, const struct ynode *n,
			  struct hx_sandbox *s)
{
	const char *k;
	const struct ynode *v;

	s->name = xstrdup(keyn->str);
	s->src.line = keyn->line;
	s->src.col = keyn->col;
	if (!valid_sandbox_name(keyn->str))
		err(c, keyn, "sandbox name '%s' must match [a-z0-9_-]{1,63}", keyn->str);
	if (is_null(n))
		return;
	if (!map_ok(c, n, keyn->str))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "cgroup")) {
			bool dh;
			char *p = norm_path(c, v, "cgroup", &dh);

			if (p) {
				free(s->cgroup);
				s->cgroup = p;
				s->cgroup_explicit = true;
			}
		} else if (!parse_rule_key(c, k, v, s)) {
			unknown_key(c, KEYNODE(n), "a sandbox");
		}
	}
}

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
				err(c, v, "'log_level' must be debug, info, warning or error, not '%s'", s);
			else if (s) {
				free(p->log_level);
				p->log_level = xstrdup(s);
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

static void parse_sandbox_cfg(struct pctx *c, const struct ynode *n)
{
	const char *k, *s;
	const struct ynode *v, *k2, *v2;
	bool b;

	if (!map_ok(c, n, "sandbox"))
		return;
	MAP_FOREACH(n, k, v) {
		if (!k || is_null(v))
			continue;
		if (!strcmp(k, "enabled")) {
			get_bool(c, v, k, &b);
		} else if (!strcmp(k, "type")) {
			s = scalar(c, v, k);
			if (s && strcmp(s, "process") && strcmp(s, "container") && strcmp(s, "none"))
				err(c, v, "'type' must be process, container or none, not '%s'", s);
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
				free(c->p->cgroup_root);
				c->p->cgroup_root = xstrdup(s);
			}
		} else if (!strcmp(k, "process") || !strcmp(k, "container")) {
			if (!map_ok(c, v, k))
				continue;
			for (size_t i = 0; i + 1 < v->n; i += 2) {
				k2 = v->items[i];
				v2 = v->items[i + 1];
				if (!k2->str || is_null(v2))
					continue;
				if (!strcmp(k2->str, "use_namespaces") ||
				    !strcmp(k2->str, "use_seccomp") ||
				    !strcmp(k2->str, "use_cgroups") ||
				    !strcmp(k2->str, "read_only") ||
				    !strcmp(k2->str, "no_new_privileges"))
					get_bool(c, v2, k2->str, &b);
				else if (!strcmp(k2->str, "runtime") ||
					 !strcmp(k2->str, "default_image"))
					scalar(c, v2, k2->str);
				else if (!strcmp(k2->str, "drop_capabilities") ||
					 !strcmp(k2->str, "add_capabilities"))
					parse_cap_list(c, v2, k2->str);
				else
					unknown_key(c, k2, k);
			}
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
			if (get_bool(c, v, k, &b))
				p->enabled = b;
		} else if (!strcmp(k, "sandbox")) {
			parse_sandbox_cfg(c, v);
		} else if (!strcmp(k, "audit")) {
			parse_audit(c, v);
		} else if (!parse_rule_key(c, k, v, &p->base)) {
			unknown_key(c, KEYNODE(n), "security");
		}
	}
	p->mode = p->base.mode;
}

/* ---- inheritance ---- */

static void inherit_rules(struct hx_path_rules *dst, const struct hx_path_rules *base)
{
	struct hx_path_rules merged = { 0 };

	/* Base rules first, so names stay stable; a sandbox rule on the same
	 * path is kept too: the map compiler merges them (block wins). */
	for (size_t i = 0; i < base->n; i++) {
		struct hx_path_rule *r = rules_add(&merged);

		*r = base->v[i];
		r->path = xstrdup(base->v[i].path);
		r->name = xstrdup(base->v[i].name);
	}
	for (size_t i = 0; i < dst->n; i++)
		*rules_add(&merged) = dst->v[i];
	free(dst->v);
	*dst = merged;
}

static void inherit_strings(struct hx_strings *dst, const struct hx_strings *base)
{
	for (size_t i = 0; i < base->n; i++)
		if (!strings_has(dst, base->v[i]))
			strings_add(dst, base->v[i]);
}

/* Base entries first, then the sandbox's own: lists are concatenated. */
static void inherit_net_lists(struct hx_net_policy *dst, const struct hx_net_policy *b)
{
	struct hx_cidr_rules cidrs = { 0 };
	struct hx_port_rules ports = { 0 };
	struct hx_host_rules hosts = { 0 }, bhosts = { 0 };

	for (size_t i = 0; i < b->cidrs.n; i++) {
		struct hx_cidr_rule *x = cidrs_push(&cidrs);

		*x = b->cidrs.v[i];
		x->cidr = xstrdup(b->cidrs.v[i].cidr);
		x->name = xstrdup(b->cidrs.v[i].name);
	}
	for (size_t i = 0; i < dst->cidrs.n; i++)
		*cidrs_push(&cidrs) = dst->cidrs.v[i];
	free(dst->cidrs.v);
	dst->cidrs = cidrs;

	ports.cap = ports.n = b->ports.n + dst->ports.n;
	ports.v = xrealloc(NULL, ports.n * sizeof(*ports.v));
	for (size_t i = 0; i < b->ports.n; i++) {
		ports.v[i] = b->ports.v[i];
		ports.v[i].name = xstrdup(b->ports.v[i].name);
	}
	if (dst->ports.n)
		memcpy(ports.v + b->ports.n, dst->ports.v, dst->ports.n * sizeof(*ports.v));
	free(dst->ports.v);
	dst->ports = ports;

	for (size_t i = 0; i < b->hosts.n; i++)
		host_copy(hosts_push(&hosts), &b->hosts.v[i]);
	for (size_t i = 0; i < dst->hosts.n; i++)
		*hosts_push(&hosts) = dst->hosts.v[i];
	free(dst->hosts.v);
	dst->hosts = hosts;

	for (size_t i = 0; i < b->blocked_hosts.n; i++)
		host_copy(hosts_push(&bhosts), &b->blocked_hosts.v[i]);
	for (size_t i = 0; i < dst->blocked_hosts.n; i++)
		*hosts_push(&bhosts) = dst->blocked_hosts.v[i];
	free(dst->blocked_hosts.v);
	dst->blocked_hosts = bhosts;
}

static enum hx_tri tri_or(enum hx_tri v, enum hx_tri base)
{
	return v != HX_UNSET ? v : base;
}

static void apply_base(struct pctx *c, struct hx_sandbox *s, const struct hx_sandbox *b)
{
	struct ynode at = { .line = s->src.line, .col = s->src.col };

	if (!s->mode)
		s->mode = b->mode ? b->mode : HX_PM_ENFORCE;
	if (b->exec.present) {
		s->exec.present = true;
		if (!s->exec.default_policy)
			s->exec.default_policy = b->exec.default_policy;
		inherit_rules(&s->exec.rules, &b->exec.rules);
		inherit_strings(&s->exec.blocked_commands, &b->exec.blocked_commands);
	}
	if (b->fs.present) {
		s->fs.present = true;
		if (!s->fs.default_policy)
			s->fs.default_policy = b->fs.default_policy;
		inherit_rules(&s->fs.rules, &b->fs.rules);
		s->fs.allow_symlinks = tri_or(s->fs.allow_symlinks, b->fs.allow_symlinks);
		if (!s->fs.temp_directory && b->fs.temp_directory)
			s->fs.temp_directory = xstrdup(b->fs.temp_directory);
	}
	if (b->net.present) {
		s->net.present = true;
		if (!s->net.default_policy)
			s->net.default_policy = b->net.default_policy;
		s->net.allow_dns = tri_or(s->net.allow_dns, b->net.allow_dns);
		s->net.allow_inbound = tri_or(s->net.allow_inbound, b->net.allow_inbound);
		s->net.allow_outbound = tri_or(s->net.allow_outbound, b->net.allow_outbound);
		inherit_net_lists(&s->net, &b->net);
	}
	s->perms.allow_exec = tri_or(s->perms.allow_exec, b->perms.allow_exec);
	s->perms.allow_filesystem = tri_or(s->perms.allow_filesystem, b->perms.allow_filesystem);
	s->perms.allow_network = tri_or(s->perms.allow_network, b->perms.allow_network);
	s->perms.allow_environment =
		tri_or(s->perms.allow_environment, b->perms.allow_environment);
#define LIM(f)                           \
	if (!s->limits.f)                \
		s->limits.f = b->limits.f;
	LIM(max_memory)
	LIM(max_cpu_milli)
	LIM(max_processes)
	LIM(max_open_files)
	LIM(max_execution_ms)
#undef LIM

	/* Fail secure: a family that is present denies what no rule allows. */
	if (s->exec.present && !s->exec.default_policy) {
		s->exec.default_policy = HX_DEF_DENY;
		if (s->exec.rules.n) {
			bool any_allow = false;

			for (size_t i = 0; i < s->exec.rules.n; i++)
				any_allow |= !s->exec.rules.v[i].block;
			if (!any_allow)
				warn(c, &at,
				     "sandbox '%s': exec lists only blocked entries and no default_policy, so every other program is denied",
				     s->name);
		}
	}
	if (s->fs.present && !s->fs.default_policy) {
		bool any_allow = false;

		s->fs.default_policy = HX_DEF_DENY;
		for (size_t i = 0; i < s->fs.rules.n; i++)
			any_allow |= !s->fs.rules.v[i].block;
		if (s->fs.rules.n && !any_allow)
			warn(c, &at,
			     "sandbox '%s': filesystem lists only blocked paths and no default_policy, so every other path is denied",
			     s->name);
	}
	if (s->net.present && !s->net.default_policy)
		s->net.default_policy = HX_DEF_DENY;
}

/* ---- top level ---- */

static struct hx_sandbox *add_sandbox(struct hx_policy *p)
{
	p->sandboxes = xrealloc(p->sandboxes, (p->nsandboxes + 1) * sizeof(*p->sandboxes));
	memset(&p->sandboxes[p->nsandboxes], 0, sizeof(p->sandboxes[0]));
	return &p->sandboxes[p->nsandboxes++];
}

static void parse_root(struct pctx *c, const struct ynode *root)
{
	struct hx_policy *p = c->p;
	const struct ynode *sbx = NULL, *v;
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
			/* The seed's top-level network: (zones, the whitelist example) is part of the base. */
			if (!is_null(v))
				parse_net(c, v, &p->base.net);
		} else if (!strcmp(k, "sandboxes")) {
			sbx = v;
		} else {
			unknown_key(c, KEYNODE(root),
				    "the policy (expected security, sandboxes, network, plugins, tools or monitoring)");
		}
	}
	if (sbx && map_ok(c, sbx, "sandboxes")) {
		for (size_t i = 0; i + 1 < sbx->n; i += 2) {
			if (sbx->items[i]->kind != Y_SCALAR)
				continue;
			parse_sandbox(c, sbx->items[i], sbx->items[i + 1], add_sandbox(p));
		}
	}
	if (!hx_policy_find(p, "default")) {
		/* The base governs a sandbox of its own, for `exec --sandbox default`. */
		struct hx_sandbox *d = add_sandbox(p);

		d->name = xstrdup("default");
	}
}

static void finish(struct pctx *c)
{
	struct hx_policy *p = c->p;

	if (!p->cgroup_root)
		p->cgroup_root = xstrdup("helixagent");
	if (!p->audit_path)
		p->audit_path = xstrdup("/var/log/helixagent/audit.jsonl");
	if (!p->log_level)
		p->log_level = xstrdup("info");
	if (!p->mode)
		p->mode = HX_PM_ENFORCE;

	for (size_t i = 0; i < p->nsandboxes; i++) {
		struct hx_sandbox *s = &p->sandboxes[i];

		if (!s->cgroup) {
			if (asprintf(&s->cgroup, "/%s/%s", p->cgroup_root, s->name) < 0)
				abort();
		}
		apply_base(c, s, &p->base);
	}
	for (size_t i = 0; i < p->nsandboxes; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->sandboxes[i].cgroup, p->sandboxes[j].cgroup)) {
				struct ynode at = { .line = p->sandboxes[i].src.line,
						    .col = p->sandboxes[i].src.col };

				err(c, &at, "sandboxes '%s' and '%s' both govern cgroup %s",
				    p->sandboxes[j].name, p->sandboxes[i].name,
				    p->sandboxes[i].cgroup);
			}
	for (size_t i = 0; i < p->nsandboxes; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->sandboxes[i].name, p->sandboxes[j].name)) {
				struct ynode at = { .line = p->sandboxes[i].src.line,
						    .col = p->sandboxes[i].src.col };

				err(c, &at, "duplicate sandbox name '%s'", p->sandboxes[i].name);
			}
}

struct hx_policy *hx_policy_load_buf(const char *name, const char *buf, size_t len,
				     struct hx_diags *diags)
{
	struct hx_policy *p = calloc(1, sizeof(*p));
	struct pctx c = { .d = diags, .p = p };
	struct ytree t;
	struct yerr ye = { 0 };

	if (!p)
		return NULL;
	p->file = xstrdup(name);
	p->enabled = true;
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
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int e = S_ISREG(st.st_mode) ? errno : EINVAL;

		close(fd);
		errno = e;
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

const struct hx_sandbox *hx_policy_find(const struct hx_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nsandboxes; i++)
		if (p->sandboxes[i].name && !strcmp(p->sandboxes[i].name, name))
			return &p->sandboxes[i];
	return NULL;
}

static void sandbox_free(struct hx_sandbox *s)
{
	free(s->name);
	free(s->cgroup);
	rules_free(&s->exec.rules);
	strings_free(&s->exec.blocked_commands);
	rules_free(&s->fs.rules);
	free(s->fs.temp_directory);
	cidrs_free(&s->net.cidrs);
	for (size_t i = 0; i < s->net.ports.n; i++)
		free(s->net.ports.v[i].name);
	free(s->net.ports.v);
	hosts_free(&s->net.hosts);
	hosts_free(&s->net.blocked_hosts);
}

void hx_policy_free(struct hx_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsandboxes; i++)
		sandbox_free(&p->sandboxes[i]);
	free(p->sandboxes);
	sandbox_free(&p->base);
	free(p->file);
	free(p->cgroup_root);
	free(p->audit_path);
	free(p->log_level);
	free(p);
}
