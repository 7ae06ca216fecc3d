// SPDX-License-Identifier: GPL-2.0
/*
 * The model's lists: growing, copying, layering one sandbox on another,
 * freeing. Inheritance is one rule everywhere: lists are concatenated with
 * the inherited entries first; a scalar or tri-state set by the inheriting
 * sandbox wins over the inherited one.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void *hx_xrealloc(void *p, size_t n)
{
	void *r = realloc(p, n ? n : 1);

	if (!r)
		abort();
	return r;
}

char *hx_xstrdup(const char *s)
{
	char *r = strdup(s ? s : "");

	if (!r)
		abort();
	return r;
}

char *hx_xasprintf(const char *fmt, ...)
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

/* Grows a {v, n, cap} list by one zeroed element and returns it. */
#define LIST_PUSH(r)                                                                               \
	({                                                                                         \
		if ((r)->n == (r)->cap) {                                                          \
			(r)->cap = (r)->cap ? (r)->cap * 2 : 8;                                    \
			(r)->v = hx_xrealloc((r)->v, (r)->cap * sizeof(*(r)->v));                  \
		}                                                                                  \
		memset(&(r)->v[(r)->n], 0, sizeof((r)->v[0]));                                     \
		&(r)->v[(r)->n++];                                                                 \
	})

struct hx_path_rule *hx_path_rules_push(struct hx_path_rules *r)
{
	return LIST_PUSH(r);
}

struct hx_cidr_rule *hx_cidr_rules_push(struct hx_cidr_rules *r)
{
	return LIST_PUSH(r);
}

struct hx_port_rule *hx_port_rules_push(struct hx_port_rules *r)
{
	return LIST_PUSH(r);
}

struct hx_host_rule *hx_host_rules_push(struct hx_host_rules *r)
{
	return LIST_PUSH(r);
}

void hx_strings_add(struct hx_strings *s, const char *v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = hx_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = hx_xstrdup(v);
}

bool hx_strings_has(const struct hx_strings *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], v))
			return true;
	return false;
}

void hx_strings_free(struct hx_strings *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- copies, the inherited entries first ---- */

static void strings_inherit(struct hx_strings *dst, const struct hx_strings *b)
{
	struct hx_strings m = { 0 };
	struct hx_idx seen = { 0 };

	for (size_t i = 0; i < b->n; i++)
		if (hx_idx_put(&seen, &m, b->v[i], 0))
			hx_strings_add(&m, b->v[i]);
	for (size_t i = 0; i < dst->n; i++)
		if (hx_idx_put(&seen, &m, dst->v[i], 0))
			hx_strings_add(&m, dst->v[i]);
	hx_idx_free(&seen);
	hx_strings_free(dst);
	*dst = m;
}

/*
 * A sandbox rule on the same path, prefix or port as an inherited one is
 * kept too: the map compiler merges them (block wins). So a sandbox cannot
 * unblock what it inherits blocked.
 */
static void path_rules_inherit(struct hx_path_rules *dst, const struct hx_path_rules *b)
{
	struct hx_path_rules m = { 0 };

	for (size_t i = 0; i < b->n; i++) {
		struct hx_path_rule *r = hx_path_rules_push(&m);

		*r = b->v[i];
		r->path = hx_xstrdup(b->v[i].path);
		r->name = hx_xstrdup(b->v[i].name);
	}
	for (size_t i = 0; i < dst->n; i++)
		*hx_path_rules_push(&m) = dst->v[i];
	free(dst->v);
	*dst = m;
}

static void cidr_rules_inherit(struct hx_cidr_rules *dst, const struct hx_cidr_rules *b)
{
	struct hx_cidr_rules m = { 0 };

	for (size_t i = 0; i < b->n; i++) {
		struct hx_cidr_rule *r = hx_cidr_rules_push(&m);

		*r = b->v[i];
		r->cidr = hx_xstrdup(b->v[i].cidr);
		r->name = hx_xstrdup(b->v[i].name);
	}
	for (size_t i = 0; i < dst->n; i++)
		*hx_cidr_rules_push(&m) = dst->v[i];
	free(dst->v);
	*dst = m;
}

static void port_rules_inherit(struct hx_port_rules *dst, const struct hx_port_rules *b)
{
	struct hx_port_rules m = { 0 };

	for (size_t i = 0; i < b->n; i++) {
		struct hx_port_rule *r = hx_port_rules_push(&m);

		*r = b->v[i];
		r->name = hx_xstrdup(b->v[i].name);
	}
	for (size_t i = 0; i < dst->n; i++)
		*hx_port_rules_push(&m) = dst->v[i];
	free(dst->v);
	*dst = m;
}

static void host_rules_inherit(struct hx_host_rules *dst, const struct hx_host_rules *b)
{
	struct hx_host_rules m = { 0 };

	for (size_t i = 0; i < b->n; i++) {
		struct hx_host_rule *r = hx_host_rules_push(&m);

		*r = b->v[i];
		r->host = hx_xstrdup(b->v[i].host);
		r->name = hx_xstrdup(b->v[i].name);
		r->ports = NULL;
		if (b->v[i].nports) {
			r->ports = hx_xrealloc(NULL, b->v[i].nports * sizeof(*r->ports));
			memcpy(r->ports, b->v[i].ports, b->v[i].nports * sizeof(*r->ports));
		}
	}
	for (size_t i = 0; i < dst->n; i++)
		*hx_host_rules_push(&m) = dst->v[i];
	free(dst->v);
	*dst = m;
}

static enum hx_tri tri_or(enum hx_tri v, enum hx_tri base)
{
	return v != HX_UNSET ? v : base;
}

static void str_or(char **v, const char *base)
{
	if (!*v && base)
		*v = hx_xstrdup(base);
}

void hx_sandbox_inherit(struct hx_sandbox *s, const struct hx_sandbox *b)
{
	if (!s->mode)
		s->mode = b->mode;

	if (b->exec.present) {
		s->exec.present = true;
		if (!s->exec.default_policy)
			s->exec.default_policy = b->exec.default_policy;
		path_rules_inherit(&s->exec.rules, &b->exec.rules);
		strings_inherit(&s->exec.blocked_commands, &b->exec.blocked_commands);
	}

	if (b->fs.present) {
		s->fs.present = true;
		if (!s->fs.default_policy)
			s->fs.default_policy = b->fs.default_policy;
		path_rules_inherit(&s->fs.rules, &b->fs.rules);
		s->fs.allow_symlinks = tri_or(s->fs.allow_symlinks, b->fs.allow_symlinks);
		str_or(&s->fs.temp_directory, b->fs.temp_directory);
	}

	if (b->net.present) {
		s->net.present = true;
		if (!s->net.default_policy)
			s->net.default_policy = b->net.default_policy;
		s->net.allow_dns = tri_or(s->net.allow_dns, b->net.allow_dns);
		s->net.allow_inbound = tri_or(s->net.allow_inbound, b->net.allow_inbound);
		s->net.allow_outbound = tri_or(s->net.allow_outbound, b->net.allow_outbound);
		cidr_rules_inherit(&s->net.cidrs, &b->net.cidrs);
		port_rules_inherit(&s->net.ports, &b->net.ports);
		host_rules_inherit(&s->net.hosts, &b->net.hosts);
		host_rules_inherit(&s->net.blocked_hosts, &b->net.blocked_hosts);
	}

	s->perms.allow_exec = tri_or(s->perms.allow_exec, b->perms.allow_exec);
	s->perms.allow_filesystem = tri_or(s->perms.allow_filesystem, b->perms.allow_filesystem);
	s->perms.allow_network = tri_or(s->perms.allow_network, b->perms.allow_network);
	s->perms.allow_environment = tri_or(s->perms.allow_environment, b->perms.allow_environment);

	if (!s->limits.max_memory)
		s->limits.max_memory = b->limits.max_memory;
	if (!s->limits.max_cpu_milli)
		s->limits.max_cpu_milli = b->limits.max_cpu_milli;
	if (!s->limits.max_processes)
		s->limits.max_processes = b->limits.max_processes;
	if (!s->limits.max_open_files)
		s->limits.max_open_files = b->limits.max_open_files;
	if (!s->limits.max_execution_ms)
		s->limits.max_execution_ms = b->limits.max_execution_ms;

	if (!s->rate_limit.set)
		s->rate_limit = b->rate_limit;

	s->env.inherit = tri_or(s->env.inherit, b->env.inherit);
	strings_inherit(&s->env.allowed_vars, &b->env.allowed_vars);
	strings_inherit(&s->env.blocked_vars, &b->env.blocked_vars);

	s->proc.use_namespaces = tri_or(s->proc.use_namespaces, b->proc.use_namespaces);
	s->proc.use_seccomp = tri_or(s->proc.use_seccomp, b->proc.use_seccomp);
	s->proc.use_cgroups = tri_or(s->proc.use_cgroups, b->proc.use_cgroups);
	s->proc.no_new_privileges = tri_or(s->proc.no_new_privileges, b->proc.no_new_privileges);
	s->proc.read_only_root = tri_or(s->proc.read_only_root, b->proc.read_only_root);
	str_or(&s->proc.network_mode, b->proc.network_mode);
	str_or(&s->proc.root_fs, b->proc.root_fs);
	strings_inherit(&s->proc.read_only_paths, &b->proc.read_only_paths);
	strings_inherit(&s->proc.writable_paths, &b->proc.writable_paths);
	strings_inherit(&s->proc.masked_paths, &b->proc.masked_paths);
	strings_inherit(&s->proc.tmpfs, &b->proc.tmpfs);

	/*
	 * Capabilities: what the sandbox adds comes back from an inherited drop,
	 * what it drops leaves an inherited add; within one section add wins.
	 */
	if (b->caps.present) {
		uint64_t drop = (b->caps.drop & ~s->caps.add) | s->caps.drop;
		uint64_t add = (b->caps.add & ~s->caps.drop) | s->caps.add;

		s->caps.present = true;
		s->caps.drop = drop;
		s->caps.add = add;
	}

	/* containment: each relaxation as the sandbox says, else as security: says */
	if (!s->contain.mount_set && b->contain.mount_set) {
		s->contain.mount_set = true;
		s->contain.mount_types = b->contain.mount_types;
	}
	s->contain.kernel_tunables = tri_or(s->contain.kernel_tunables, b->contain.kernel_tunables);
	s->contain.raw_devices = tri_or(s->contain.raw_devices, b->contain.raw_devices);
	s->contain.network_admin = tri_or(s->contain.network_admin, b->contain.network_admin);
	s->contain.system_time = tri_or(s->contain.system_time, b->contain.system_time);

	s->cmd.enabled = tri_or(s->cmd.enabled, b->cmd.enabled);
	strings_inherit(&s->cmd.blocked_commands, &b->cmd.blocked_commands);
	strings_inherit(&s->cmd.blocked_patterns, &b->cmd.blocked_patterns);
	strings_inherit(&s->cmd.allowed_commands, &b->cmd.allowed_commands);
}

/* ---- freeing ---- */

static void path_rules_free(struct hx_path_rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].name);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void host_rules_free(struct hx_host_rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].host);
		free(r->v[i].ports);
		free(r->v[i].name);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void hx_sandbox_free(struct hx_sandbox *s)
{
	free(s->name);
	free(s->cgroup);
	free(s->origin);
	path_rules_free(&s->exec.rules);
	hx_strings_free(&s->exec.blocked_commands);
	path_rules_free(&s->fs.rules);
	free(s->fs.temp_directory);
	for (size_t i = 0; i < s->net.cidrs.n; i++) {
		free(s->net.cidrs.v[i].cidr);
		free(s->net.cidrs.v[i].name);
	}
	free(s->net.cidrs.v);
	for (size_t i = 0; i < s->net.ports.n; i++)
		free(s->net.ports.v[i].name);
	free(s->net.ports.v);
	host_rules_free(&s->net.hosts);
	host_rules_free(&s->net.blocked_hosts);
	hx_strings_free(&s->env.allowed_vars);
	hx_strings_free(&s->env.blocked_vars);
	free(s->proc.network_mode);
	free(s->proc.root_fs);
	hx_strings_free(&s->proc.read_only_paths);
	hx_strings_free(&s->proc.writable_paths);
	hx_strings_free(&s->proc.masked_paths);
	hx_strings_free(&s->proc.tmpfs);
	hx_strings_free(&s->cmd.blocked_commands);
	hx_strings_free(&s->cmd.blocked_patterns);
	hx_strings_free(&s->cmd.allowed_commands);
	memset(s, 0, sizeof(*s));
}

const struct hx_sandbox *hx_policy_find(const struct hx_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nsandboxes; i++)
		if (p->sandboxes[i].name && !strcmp(p->sandboxes[i].name, name))
			return &p->sandboxes[i];
	return NULL;
}

void hx_policy_free(struct hx_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nsandboxes; i++)
		hx_sandbox_free(&p->sandboxes[i]);
	free(p->sandboxes);
	hx_sandbox_free(&p->base);
	for (size_t i = 0; i < p->nalerts; i++) {
		free(p->alerts[i].name);
		free(p->alerts[i].condition);
	}
	free(p->alerts);
	free(p->file);
	free(p->cgroup_root);
	free(p->audit_path);
	free(p->log_level);
	free(p->sandbox_type);
	free(p->metrics_listen);
	free(p);
}

/* ---- an index of (owner, key) -> value, so duplicate checks stay linear ---- */

static uint64_t idx_hash(const void *owner, const char *key)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)owner;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 1099511628211ull;
	}
	h ^= h >> 29;
	return h ? h : 1;
}

static struct hx_idx_ent *idx_slot(const struct hx_idx *x, const void *owner, const char *key,
				   uint64_t h)
{
	size_t mask = x->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct hx_idx_ent *e = &x->v[i];

		if (!e->h || (e->h == h && e->owner == owner && !strcmp(e->key, key)))
			return e;
	}
}

bool hx_idx_get(const struct hx_idx *x, const void *owner, const char *key, size_t *val)
{
	struct hx_idx_ent *e;

	if (!x->cap)
		return false;
	e = idx_slot(x, owner, key, idx_hash(owner, key));
	if (!e->h)
		return false;
	if (val)
		*val = e->val;
	return true;
}

bool hx_idx_put(struct hx_idx *x, const void *owner, const char *key, size_t val)
{
	uint64_t h = idx_hash(owner, key);
	struct hx_idx_ent *e;

	if ((x->n + 1) * 2 > x->cap) {
		struct hx_idx old = *x;

		x->cap = old.cap ? old.cap * 2 : 64;
		x->v = hx_xrealloc(NULL, x->cap * sizeof(*x->v));
		memset(x->v, 0, x->cap * sizeof(*x->v));
		for (size_t i = 0; i < old.cap; i++)
			if (old.v[i].h)
				*idx_slot(x, old.v[i].owner, old.v[i].key, old.v[i].h) = old.v[i];
		free(old.v);
	}
	e = idx_slot(x, owner, key, h);
	if (e->h)
		return false;
	e->h = h;
	e->owner = owner;
	e->key = hx_xstrdup(key);
	e->val = val;
	x->n++;
	return true;
}

void hx_idx_free(struct hx_idx *x)
{
	for (size_t i = 0; i < x->cap; i++)
		free(x->v[i].key);
	free(x->v);
	memset(x, 0, sizeof(*x));
}
