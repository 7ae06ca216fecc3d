// SPDX-License-Identifier: GPL-2.0
/*
 * A sandbox's own sections beyond the enforcement families: permissions:,
 * limits:, capabilities:, environment:, rate_limit:, and the launcher's
 * process: and container: options.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

/* ---- permissions, limits ---- */

/* the seed's plugin override: filesystem allowed paths (read unless said) */
static void perms_paths(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			void *loc)
{
	struct hx_sandbox *s = obj;

	if (!hx_p_want(c, v, Y_SEQ, kn->str))
		return;
	s->fs.present = true;
	hx_p_allowed_paths(c, v, &s->fs.rules, "permissions.allowed_paths");
}

static const struct pkey perms_keys[] = {
	{ "allow_network", PK_TRI, AT(struct hx_sandbox, perms.allow_network) },
	{ "allow_filesystem", PK_TRI, AT(struct hx_sandbox, perms.allow_filesystem) },
	{ "allow_exec", PK_TRI, AT(struct hx_sandbox, perms.allow_exec) },
	{ "allow_environment", PK_TRI, AT(struct hx_sandbox, perms.allow_environment) },
	{ "allowed_paths", PK_FN, .fn = perms_paths },
	{ 0 },
};

static const struct psection perms_section = { .name = "permissions", .keys = perms_keys };

void hx_p_perms_section(struct pctx *c, const struct ynode *n, struct hx_sandbox *s)
{
	hx_p_walk(c, n, NULL, &perms_section, s, NULL);
}

/* Each limit may already be set by another section or by a seed shorthand such as max_memory_mb. */
static const struct pkey limits_keys[] = {
	{ "max_memory", PK_SIZE, AT(struct hx_limits, max_memory), .once = "max_memory",
	  .what = "a size (e.g. 512Mi, 512m, 1G)" },
	{ "max_cpu", PK_CPU, AT(struct hx_limits, max_cpu_milli), .once = "max_cpu",
	  .what = "a CPU amount (e.g. \"0.5\", \"50%\")" },
	{ "max_processes", PK_UINT, AT(struct hx_limits, max_processes), .min = 1, .max = 4194304,
	  .once = "max_processes" },
	{ "max_open_files", PK_UINT, AT(struct hx_limits, max_open_files), .min = 1, .max = 1048576,
	  .once = "max_open_files" },
	{ "max_execution_time", PK_DURATION, AT(struct hx_limits, max_execution_ms),
	  .once = "max_execution_time", .what = "a duration (e.g. 300s, 5m, 1h)" },
	{ 0 },
};

static const struct psection limits_section = { .name = "limits", .keys = limits_keys };

void hx_p_limits(struct pctx *c, const struct ynode *n, struct hx_limits *l)
{
	hx_p_walk(c, n, NULL, &limits_section, l, NULL);
}

/* ---- capabilities ---- */

static void cap_item(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
		     const char *key, void *out)
{
	uint64_t *mask = out;
	unsigned cap;

	if (!strncasecmp(s, "CAP_", 4))
		s += 4;
	if (!strcasecmp(s, "ALL")) {
		*mask = HX_CAPS_ALL;
		return;
	}
	for (cap = 0; cap < HX_CAP_COUNT; cap++)
		if (!strcasecmp(s, hx_cap_name(cap)))
			break;
	if (cap == HX_CAP_COUNT)
		err(c, n, "'%s' is not a capability", n->str);
	else
		*mask |= 1ull << cap;
}

void hx_p_cap_list(struct pctx *c, const struct ynode *v, const char *key, uint64_t *mask)
{
	hx_p_each(c, v, key, cap_item, mask);
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
static const struct pkey caps_keys[] = {
	{ "drop", PK_CAPS, AT(struct hx_caps, drop) },
	{ "add", PK_CAPS, AT(struct hx_caps, add) },
	{ 0 },
};

static const struct psection caps_section = { .name = "capabilities", .keys = caps_keys };

void hx_p_caps(struct pctx *c, const struct ynode *n, struct hx_caps *caps)
{
	struct hx_caps mine = { 0 };

	if (!hx_p_walk(c, n, NULL, &caps_section, &mine, NULL))
		return;
	caps_check(c, n, &mine);
	caps->present = true;
	caps->drop |= mine.drop;
	caps->add |= mine.add;
}

/* ---- environment ---- */

struct glob_list {
	struct hx_strings *out;
	const struct hx_strings *other;
};

static void glob_item(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
		      const char *key, void *out)
{
	struct glob_list *l = out;

	if (!hx_p_valid_var_glob(s))
		err(c, n, "'%s' is not a variable name or glob", s);
	else if (hx_idx_get(&c->seen, l->other, s, NULL))
		err(c, n, "'%s' is both allowed and blocked", s);
	else
		hx_p_add_once(c, n, l->out, s);
}

static void parse_glob_list(struct pctx *c, const struct ynode *v, const char *key,
			    struct hx_strings *out, const struct hx_strings *other)
{
	struct glob_list l = { out, other };

	hx_p_each(c, v, key, glob_item, &l);
}

struct env_lists {
	const struct ynode *allowed, *blocked;
};

static const struct pkey env_keys[] = {
	{ "inherit", PK_TRI, AT(struct hx_env_policy, inherit) },
	{ "allowed_vars", PK_NODE, LOC(struct env_lists, allowed) },
	{ "blocked_vars", PK_NODE, LOC(struct env_lists, blocked) },
	{ 0 },
};

static const struct psection env_section = { .name = "environment", .keys = env_keys };

void hx_p_env(struct pctx *c, const struct ynode *n, struct hx_env_policy *e)
{
	struct env_lists l = { 0 };

	if (!hx_p_walk(c, n, NULL, &env_section, e, &l))
		return;
	if (l.allowed)
		parse_glob_list(c, l.allowed, "allowed_vars", &e->allowed_vars, &e->blocked_vars);
	if (l.blocked)
		parse_glob_list(c, l.blocked, "blocked_vars", &e->blocked_vars, &e->allowed_vars);
}

/* ---- process and container options (what the launcher adds) ---- */

static void proc_cgroups(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			 void *loc)
{
	struct hx_process_opts *o = obj;

	hx_p_get_tri(c, v, kn->str, &o->use_cgroups);
	if (o->use_cgroups == HX_NO)
		err(c, v,
		    "'use_cgroups: false' is not possible: every HelixAgent sandbox is a cgroup, which is how its rules and limits find its processes");
}

static void proc_network_mode(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			      void *obj, void *loc)
{
	static const char *const names[] = { "none", "host", "bridge", NULL };
	struct hx_process_opts *o = obj;
	int mode = hx_p_choice(c, v, kn->str, names);

	if (mode < 0)
		return;
	if (mode == 2)
		warn(c, v,
		     "'network_mode: bridge': HelixAgent creates no bridge; the sandbox shares the host's network, restricted by its network rules (use none for an empty network namespace)");
	free(o->network_mode);
	o->network_mode = hx_xstrdup(v->str);
}

static const struct pkey process_keys[] = {
	{ "use_namespaces", PK_TRI, AT(struct hx_process_opts, use_namespaces) },
	{ "use_seccomp", PK_TRI, AT(struct hx_process_opts, use_seccomp) },
	{ "use_cgroups", PK_FN, .fn = proc_cgroups },
	{ "no_new_privileges", PK_TRI, AT(struct hx_process_opts, no_new_privileges) },
	{ "read_only_root", PK_TRI, AT(struct hx_process_opts, read_only_root) },
	{ "network_mode", PK_FN, .fn = proc_network_mode },
	{ "root_fs", PK_PATH, AT(struct hx_process_opts, root_fs) },
	{ "read_only_paths", PK_PATHS, AT(struct hx_process_opts, read_only_paths) },
	{ "writable_paths", PK_PATHS, AT(struct hx_process_opts, writable_paths) },
	{ "masked_paths", PK_PATHS, AT(struct hx_process_opts, masked_paths) },
	{ "tmpfs", PK_PATHS, AT(struct hx_process_opts, tmpfs) },
	{ 0 },
};

void hx_p_process(struct pctx *c, const struct ynode *n, struct hx_process_opts *o,
		  const char *section)
{
	const struct psection sec = { .name = section, .keys = process_keys };

	if (!hx_p_walk(c, n, NULL, &sec, o, NULL))
		return;
	for (size_t i = 0; i < o->read_only_paths.n; i++)
		if (hx_idx_get(&c->seen, &o->writable_paths, o->read_only_paths.v[i], NULL))
			err(c, n, "'%s' is both in read_only_paths and in writable_paths",
			    o->read_only_paths.v[i]);
}

/* The seed's container: options, honoured by the process sandbox where they have a meaning. */
struct container_caps {
	struct hx_caps mine;
	bool any;
};

static void container_none(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			   void *loc)
{
	if (hx_p_scalar(c, v, kn->str))
		warn(c, v,
		     "'%s' is not used: HelixAgent starts no container runtime and no image; the program runs from the host's filesystem in its process sandbox (cgroup, kernel rules, launcher isolation)",
		     kn->str);
}

static void container_caps(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			   void *loc)
{
	struct container_caps *cc = loc;

	hx_p_cap_list(c, v, kn->str, kn->str[0] == 'd' ? &cc->mine.drop : &cc->mine.add);
	cc->any = true;
}

static const struct pkey container_keys[] = {
	{ "runtime", PK_FN, .fn = container_none },
	{ "default_image", PK_FN, .fn = container_none },
	{ "image", PK_FN, .fn = container_none },
	{ "read_only", PK_TRI, AT(struct hx_sandbox, proc.read_only_root) },
	{ "no_new_privileges", PK_TRI, AT(struct hx_sandbox, proc.no_new_privileges) },
	{ "drop_capabilities", PK_FN, .fn = container_caps },
	{ "add_capabilities", PK_FN, .fn = container_caps },
	{ "tmpfs", PK_PATHS, AT(struct hx_sandbox, proc.tmpfs) },
	{ 0 },
};

static const struct psection container_section = { .name = "container", .keys = container_keys };

void hx_p_container(struct pctx *c, const struct ynode *n, struct hx_sandbox *s)
{
	struct container_caps cc = { 0 };

	if (!hx_p_walk(c, n, NULL, &container_section, s, &cc))
		return;
	if (cc.any) {
		caps_check(c, n, &cc.mine);
		s->caps.present = true;
		s->caps.drop |= cc.mine.drop;
		s->caps.add |= cc.mine.add;
	}
}

/* rate_limit: 1000/s, 6000/m, 100000/h, or none */
void hx_p_rate_limit(struct pctx *c, const struct ynode *v, struct hx_rate_limit *r)
{
	const char *s = hx_p_scalar(c, v, "rate_limit");

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
