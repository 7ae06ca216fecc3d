// SPDX-License-Identifier: GPL-2.0
/*
 * What every section of the parser shares: diagnostics, the scalar readers
 * (booleans, numbers, paths, lists) and walk(), which reads a section's
 * mapping through its table of keys (parse.h). The sections themselves are
 * in parse_exec.c, parse_file.c, parse_net.c, parse_guard.c (command
 * validation, containment), parse_sandbox.c (permissions, limits,
 * capabilities, environment, process, container), parse_layer.c (the
 * layers, security:) and policy.c (the top level).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* ---- diagnostics ---- */

static void diag_vadd(struct hx_diags *d, enum hx_diag_level lvl, struct hx_src at, const char *fmt,
		      va_list ap)
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
	d->v[d->n].src.line = at.line;
	d->v[d->n].src.col = at.col;
	d->v[d->n].msg = msg;
	d->n++;
}

void hx_diag_add(struct hx_diags *d, enum hx_diag_level lvl, struct hx_src at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, lvl, at, fmt, ap);
	va_end(ap);
}

void hx_p_diag(struct pctx *c, enum hx_diag_level lvl, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(c->d, lvl, src_of(n), fmt, ap);
	va_end(ap);
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

/* ---- scalars ---- */

static const char *kind_name(enum ynode_kind k)
{
	return k == Y_SCALAR ? "a scalar" : k == Y_SEQ ? "a list" : "a mapping";
}

bool hx_p_want(struct pctx *c, const struct ynode *n, enum ynode_kind kind, const char *key)
{
	if (n->kind == kind)
		return true;
	err(c, n, "'%s' must be %s, not %s", key, kind_name(kind), kind_name(n->kind));
	return false;
}

/* An empty value (`key:`) is YAML null: treated as absent. */
bool hx_p_is_null(const struct ynode *n)
{
	return n->kind == Y_SCALAR && n->plain &&
	       (!n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

const char *hx_p_scalar(struct pctx *c, const struct ynode *n, const char *key)
{
	if (!hx_p_want(c, n, Y_SCALAR, key))
		return NULL;
	return n->str;
}

bool hx_p_get_bool(struct pctx *c, const struct ynode *n, const char *key, bool *out)
{
	const char *s = hx_p_scalar(c, n, key);

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

void hx_p_get_tri(struct pctx *c, const struct ynode *n, const char *key, enum hx_tri *out)
{
	bool b;

	if (hx_p_get_bool(c, n, key, &b))
		*out = b ? HX_YES : HX_NO;
}

bool hx_p_get_uint(struct pctx *c, const struct ynode *n, const char *key, unsigned long min,
		   unsigned long max, unsigned long *out)
{
	const char *s = hx_p_scalar(c, n, key);
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

int hx_p_choice(struct pctx *c, const struct ynode *n, const char *key, const char *const *names)
{
	const char *s = hx_p_scalar(c, n, key);
	char list[256];
	size_t len = 0;

	if (!s)
		return -1;
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	list[0] = 0;
	for (int i = 0; names[i] && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					!i	     ? "" :
					names[i + 1] ? ", " :
						       " or ",
					names[i]);
	err(c, n, "'%s' must be %s, not '%s'", key, list, s);
	return -1;
}

void hx_p_get_default(struct pctx *c, const struct ynode *n, const char *key, enum hx_default *out)
{
	static const char *const names[] = { "allow", "deny", NULL };
	int i = hx_p_choice(c, n, key, names);

	if (i >= 0)
		*out = i ? HX_DEF_DENY : HX_DEF_ALLOW;
}
static void unknown_key(struct pctx *c, const struct ynode *k, const char *section)
{
	err(c, k, "unknown key '%s' in %s", k->str ? k->str : "?", section);
}

/*
 * Iterates over a mapping's pairs, checking for non-scalar and duplicate
 * keys. Returns false (after reporting) if @n is not a mapping.
 */
bool hx_p_map_ok(struct pctx *c, const struct ynode *n, const char *key)
{
	if (hx_p_is_null(n))
		return false;
	if (!hx_p_want(c, n, Y_MAP, key))
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

/* ---- paths ---- */

/* Normalises an absolute path; returns NULL (after reporting) if invalid. */
char *hx_p_norm_path(struct pctx *c, const struct ynode *n, const char *key, bool *dir_hint)
{
	const char *s = hx_p_scalar(c, n, key);
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

void hx_p_clash(struct pctx *c, const struct ynode *n, bool both, const char *prev_name,
		const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (!what)
		abort();
	if (both)
		err(c, n, "%s is both allowed and blocked (also %s)", what, prev_name);
	else
		err(c, n, "%s is listed twice (first as %s)", what, prev_name);
	free(what);
}

void hx_p_add_once(struct pctx *c, const struct ynode *n, struct hx_strings *out, const char *s)
{
	if (!hx_idx_put(&c->seen, out, s, 0))
		err(c, n, "'%s' is listed twice", s);
	else
		hx_strings_add(out, s);
}

bool hx_p_each(struct pctx *c, const struct ynode *v, const char *key, pitem_fn fn, void *out)
{
	if (!hx_p_want(c, v, Y_SEQ, key))
		return false;
	for (size_t i = 0; i < v->n; i++) {
		const char *s = hx_p_scalar(c, v->items[i], key);

		if (s)
			fn(c, v->items[i], s, i, key, out);
	}
	return true;
}

static void path_item(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
		      const char *key, void *out)
{
	bool dh;
	char *path = hx_p_norm_path(c, n, key, &dh);

	if (!path)
		return;
	hx_p_add_once(c, n, out, path);
	free(path);
}

void hx_p_path_list(struct pctx *c, const struct ynode *v, const char *key, struct hx_strings *out)
{
	hx_p_each(c, v, key, path_item, out);
}

static void command_item(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
			 const char *key, void *out)
{
	if (!*s || strspn(s, " \t") == strlen(s))
		err(c, n, "'%s' entry is empty", key);
	else
		hx_p_add_once(c, n, out, s);
}

void hx_p_command_list(struct pctx *c, const struct ynode *v, const char *key,
		       struct hx_strings *out)
{
	hx_p_each(c, v, key, command_item, out);
}

bool hx_p_valid_name(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 63)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

/* An environment variable name or a glob over names: AWS_*, *_KEY, LC_? */
bool hx_p_valid_var_glob(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("_*?[]!-.", *p)))
			return false;
	return true;
}

/* ---- the walker ---- */

static const struct pkey *find_key(const struct pkey *keys, const char *k)
{
	for (; keys->name; keys++) {
		if (keys->kind == PK_INCLUDE) {
			const struct pkey *in = find_key(keys->sub, k);

			if (in)
				return in;
		} else if (!strcmp(keys->name, k)) {
			return keys;
		}
	}
	return NULL;
}

static uint64_t load(const void *at, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)at;
	case 2:
		return *(const uint16_t *)at;
	case 4:
		return *(const uint32_t *)at;
	default:
		return *(const uint64_t *)at;
	}
}

static void store(void *at, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)at = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)at = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)at = (uint32_t)v;
		break;
	default:
		*(uint64_t *)at = v;
	}
}

/* A unit (size, CPU, duration): parsed straight into the field, as its parser writes it. */
static void get_unit(struct pctx *c, const struct pkey *key, const struct ynode *v, void *at)
{
	const char *s = hx_p_scalar(c, v, key->name);
	int rc;

	if (!s)
		return;
	if (key->kind == PK_SIZE)
		rc = hx_parse_size(s, at);
	else if (key->kind == PK_CPU)
		rc = hx_parse_cpu_milli(s, at);
	else
		rc = hx_parse_duration_ms(s, at);
	if (rc)
		err(c, v, "'%s': '%s' is not %s", key->name, s, key->what);
}

static void apply(struct pctx *c, const struct pkey *key, const struct ynode *kn,
		  const struct ynode *v, void *obj, void *loc)
{
	const char *k = key->name;
	char *at = (char *)(key->flags & PF_LOC ? loc : obj) + key->off;
	unsigned long u;
	bool dh;
	char *path;

	switch (key->kind) {
	case PK_FN:
		key->fn(c, kn, v, obj, loc);
		return;
	case PK_NODE:
		*(const struct ynode **)at = v;
		return;
	case PK_SCALAR:
		((struct pscalar *)at)->n = v;
		((struct pscalar *)at)->s = hx_p_scalar(c, v, k);
		return;
	case PK_BOOL:
		hx_p_get_bool(c, v, k, (bool *)at);
		return;
	case PK_TRI_ONCE:
		/* a setting another section may already have set (the seed's shorthands) */
		if (*(enum hx_tri *)at != HX_UNSET) {
			err(c, v, "'%s' is already set (by another section)", k);
			return;
		}
		/* fallthrough */
	case PK_TRI:
		hx_p_get_tri(c, v, k, (enum hx_tri *)at);
		return;
	case PK_DEFAULT:
		hx_p_get_default(c, v, key->what ? key->what : k, (enum hx_default *)at);
		return;
	case PK_UINT:
	case PK_SIZE:
	case PK_CPU:
	case PK_DURATION:
		/* a limit another section (or a seed shorthand such as max_memory_mb) may have set */
		if (key->once && load(at, key->size)) {
			err(c, v,
			    "'%s' is already set (by another section or by its seed shorthand)",
			    key->once);
			return;
		}
		if (key->kind != PK_UINT)
			get_unit(c, key, v, at);
		else if (hx_p_get_uint(c, v, k, key->min, key->max, &u))
			store(at, key->size, (uint64_t)u * (key->scale ? key->scale : 1));
		return;
	case PK_PATH:
		path = hx_p_norm_path(c, v, k, &dh);
		if (path) {
			free(*(char **)at);
			*(char **)at = path;
		}
		return;
	case PK_PATHS:
		hx_p_path_list(c, v, k, (struct hx_strings *)at);
		return;
	case PK_COMMANDS:
		hx_p_command_list(c, v, k, (struct hx_strings *)at);
		return;
	case PK_CAPS:
		hx_p_cap_list(c, v, k, (uint64_t *)at);
		return;
	case PK_INCLUDE:
		return;
	}
}

bool hx_p_walk(struct pctx *c, const struct ynode *map, const char *what,
	       const struct psection *sec, void *obj, void *loc)
{
	if (!hx_p_map_ok(c, map, what ? what : sec->name))
		return false;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *kn = map->items[i], *v = map->items[i + 1];
		const struct pkey *key;

		if (!kn->str) /* not a scalar: hx_p_map_ok() said so */
			continue;
		if (!sec->nulls && hx_p_is_null(v))
			continue;
		key = find_key(sec->keys, kn->str);
		if (key)
			apply(c, key, kn, v, obj, loc);
		else
			unknown_key(c, kn, sec->name);
	}
	return true;
}
