// SPDX-License-Identifier: GPL-2.0
/*
 * The layers: the keys of security:, sandboxes.NAME, plugins.security's
 * default_context and overrides.NAME, and tools.security, each family's
 * section read by its file; the seed's shorthands of the plugin and tool
 * contexts; and security:'s own sections (sandbox, audit, metrics).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* ---- layers: the keys of security:, sandboxes.NAME, plugins and tools ---- */

static void get_mode(struct pctx *c, const struct ynode *n, enum hx_policy_mode *out)
{
	static const char *const names[] = { "enforce", "audit", NULL };
	int i = hx_p_choice(c, n, "mode", names);

	if (i >= 0)
		*out = i ? HX_PM_AUDIT : HX_PM_ENFORCE;
}

/* sandbox_type (a plugin or tool context) and security.sandbox.type */
enum { T_PROCESS, T_CONTAINER, T_NONE };
static const char *const sandbox_types[] = { "process", "container", "none", NULL };

/* Each family's section of a layer (struct hx_sandbox), read by its file. */
static void layer_mode(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
		       void *loc)
{
	get_mode(c, v, &((struct hx_sandbox *)obj)->mode);
}

#define LAYER_FN(NAME, CALL)                                                                       \
	static void layer_##NAME(struct pctx *c, const struct ynode *kn, const struct ynode *v,    \
				 void *obj, void *loc)                                             \
	{                                                                                          \
		struct hx_sandbox *s = obj;                                                        \
		CALL;                                                                              \
	}
LAYER_FN(fs, hx_p_fs(c, v, &s->fs))
LAYER_FN(exec, hx_p_exec(c, v, &s->exec))
LAYER_FN(net, hx_p_net(c, v, &s->net))
LAYER_FN(perms, hx_p_perms_section(c, v, s))
LAYER_FN(limits, hx_p_limits(c, v, &s->limits))
LAYER_FN(caps, hx_p_caps(c, v, &s->caps))
LAYER_FN(env, hx_p_env(c, v, &s->env))
LAYER_FN(cmd, hx_p_cmd(c, v, &s->cmd))
LAYER_FN(rate_limit, hx_p_rate_limit(c, v, &s->rate_limit))
LAYER_FN(containment, hx_p_containment(c, v, &s->contain))
LAYER_FN(process, hx_p_process(c, v, &s->proc, "process"))
LAYER_FN(container, hx_p_container(c, v, s))

/* The keys of every layer, security: included. */
static const struct pkey layer_keys[] = {
	{ "mode", PK_FN, .fn = layer_mode },
	{ "filesystem", PK_FN, .fn = layer_fs },
	{ "exec", PK_FN, .fn = layer_exec },
	{ "network", PK_FN, .fn = layer_net },
	{ "permissions", PK_FN, .fn = layer_perms },
	{ "limits", PK_FN, .fn = layer_limits },
	{ "capabilities", PK_FN, .fn = layer_caps },
	{ "environment", PK_FN, .fn = layer_env },
	{ "command_validation", PK_FN, .fn = layer_cmd },
	{ "rate_limit", PK_FN, .fn = layer_rate_limit },
	{ "containment", PK_FN, .fn = layer_containment },
	{ 0 },
};

/* What the launcher adds: every layer but security: (security.sandbox has them). */
static const struct pkey launcher_keys[] = {
	{ "process", PK_FN, .fn = layer_process },
	{ "container", PK_FN, .fn = layer_container },
	{ 0 },
};

static void seed_enabled(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			 void *loc)
{
	struct decl *dc = c->dc;
	bool b;

	if (!hx_p_get_bool(c, v, kn->str, &b))
		return;
	if (dc->enabled == HX_NO && b)
		err(c, v, "'sandbox_enabled: true' contradicts 'sandbox_type: none'");
	dc->enabled = b ? HX_YES : HX_NO;
	dc->enabled_at = src_of(v);
}

static void seed_type(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
		      void *loc)
{
	struct decl *dc = c->dc;
	int t = hx_p_choice(c, v, kn->str, sandbox_types);

	if (t == T_NONE) {
		if (dc->enabled == HX_YES)
			err(c, v, "'sandbox_type: none' contradicts 'sandbox_enabled: true'");
		dc->enabled = HX_NO;
		dc->enabled_at = src_of(v);
	} else if (t == T_CONTAINER) {
		warn(c, v,
		     "'sandbox_type: container' runs as HelixAgent's process sandbox: a cgroup with the kernel rules, limits and launcher isolation of this section; no container runtime is used");
	}
}

/*
 * The seed's plugin/tool context shorthands (default_context, overrides,
 * tools.security). Their limits are refused when the limit is already set.
 */
static const struct pkey seed_keys[] = {
	{ "sandbox_enabled", PK_FN, .fn = seed_enabled },
	{ "sandbox_type", PK_FN, .fn = seed_type },
	{ "max_memory_mb", PK_UINT, AT(struct hx_sandbox, limits.max_memory), .min = 1,
	  .max = 1ul << 30, .scale = 1ul << 20, .once = "max_memory" },
	/* percent of one CPU, as the seed's MaxCPUPercent: 25 is a quarter of a CPU */
	{ "max_cpu_percent", PK_UINT, AT(struct hx_sandbox, limits.max_cpu_milli), .min = 1,
	  .max = 102400, .scale = 10, .once = "max_cpu" },
	{ "timeout", PK_DURATION, AT(struct hx_sandbox, limits.max_execution_ms),
	  .once = "max_execution_time", .what = "a duration (e.g. 60s, 5m, 1h)" },
	{ 0 },
};

static void layer_cgroup(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			 void *loc)
{
	struct hx_sandbox *s = obj;
	bool dh;
	char *path = hx_p_norm_path(c, v, "cgroup", &dh);

	if (path) {
		free(s->cgroup);
		s->cgroup = path;
		s->cgroup_explicit = true;
	}
}

static const struct pkey sandbox_layer_keys[] = {
	{ "cgroup", PK_FN, .fn = layer_cgroup },
	{ "", PK_INCLUDE, .sub = layer_keys },
	{ "", PK_INCLUDE, .sub = launcher_keys },
	{ 0 },
};

static const struct pkey context_layer_keys[] = {
	{ "", PK_INCLUDE, .sub = layer_keys },
	{ "", PK_INCLUDE, .sub = launcher_keys },
	{ "", PK_INCLUDE, .sub = seed_keys },
	{ 0 },
};

static const struct pkey seed_layer_keys[] = {
	{ "cgroup", PK_FN, .fn = layer_cgroup },
	{ "", PK_INCLUDE, .sub = context_layer_keys },
	{ 0 },
};

static const struct psection layer_sections[] = {
	[L_SANDBOX] = { .name = "a sandbox", .keys = sandbox_layer_keys },
	[L_PLUGINS] = { .name = "default_context", .keys = context_layer_keys },
	[L_PLUGIN] = { .name = "a plugin override", .keys = seed_layer_keys },
	[L_TOOLS] = { .name = "tools.security", .keys = seed_layer_keys },
};

/* Parses the body of a layer: a sandbox, a plugin context, tools.security. */
void hx_p_layer(struct pctx *c, const struct ynode *n, struct hx_sandbox *s, enum layer kind,
		struct decl *dc, const char *what)
{
	c->dc = dc;
	hx_p_walk(c, n, what, &layer_sections[kind], s, NULL);
	c->dc = NULL;
}

/* ---- security: ---- */

static const struct {
	const char *name;
	unsigned bit;
} audit_events[] = {
	{ "sandbox_create", HX_AE_SANDBOX_CREATE },
	{ "sandbox_destroy", HX_AE_SANDBOX_DESTROY },
	{ "command_execute", HX_AE_COMMAND_EXECUTE },
	{ "resource_violation", HX_AE_RESOURCE_VIOLATION },
	{ "permission_denied", HX_AE_PERMISSION_DENIED },
};

static void audit_log_level(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			    void *obj, void *loc)
{
	static const char *const names[] = { "debug", "info", "warning", "error", NULL };
	struct hx_policy *p = obj;

	if (hx_p_choice(c, v, kn->str, names) < 0)
		return;
	free(p->log_level);
	p->log_level = hx_xstrdup(v->str);
	warn(c, v,
	     "'log_level' does not filter the audit stream: every event listed in 'events' is written, whatever its level");
}

static void audit_event(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
			const char *key, void *out)
{
	struct hx_policy *p = out;
	const size_t nev = sizeof(audit_events) / sizeof(audit_events[0]);
	size_t j;

	for (j = 0; j < nev; j++)
		if (!strcmp(s, audit_events[j].name))
			break;
	if (j == nev)
		err(c, n, "unknown audit event '%s'", s);
	else
		p->audit_events |= audit_events[j].bit;
}

static void audit_events_list(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			      void *obj, void *loc)
{
	struct hx_policy *p = obj;

	if (v->kind == Y_SEQ)
		p->audit_events = 0;
	hx_p_each(c, v, kn->str, audit_event, p);
}

static const struct pkey audit_keys[] = {
	{ "enabled", PK_BOOL, AT(struct hx_policy, audit_enabled) },
	{ "log_level", PK_FN, .fn = audit_log_level },
	{ "events", PK_FN, .fn = audit_events_list },
	{ "path", PK_PATH, AT(struct hx_policy, audit_path) },
	{ 0 },
};

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
		       !hx_parse_cidr(host, NULL, msg, sizeof(msg));
	}
	if (hlen >= sizeof(host))
		return false;
	memcpy(host, s, hlen);
	host[hlen] = 0;
	return !strchr(host, ':') && hx_p_valid_hostname(host);
}

static void metrics_listen(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			   void *loc)
{
	struct hx_policy *p = obj;
	const char *s = hx_p_scalar(c, v, kn->str);

	if (!s)
		return;
	if (!hx_policy_valid_listen(s)) {
		err(c, v, "'listen' must be HOST:PORT or [IPv6]:PORT, not '%s'", s);
		return;
	}
	free(p->metrics_listen);
	p->metrics_listen = hx_xstrdup(s);
}

static const struct pkey metrics_keys[] = {
	{ "listen", PK_FN, .fn = metrics_listen },
	{ 0 },
};

/* security.sandbox: (on the base layer, for its process: and container:) */
static void sandbox_enabled(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			    void *obj, void *loc)
{
	bool b;

	if (hx_p_get_bool(c, v, kn->str, &b) && !b) {
		c->sandboxing_off = true;
		c->sandboxing_off_at = src_of(v);
	}
}

static void sandbox_type(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			 void *loc)
{
	struct hx_policy *p = c->p;
	int t = hx_p_choice(c, v, kn->str, sandbox_types);

	if (t < 0)
		return;
	free(p->sandbox_type);
	p->sandbox_type = hx_xstrdup(v->str);
	if (t == T_NONE) {
		c->sandboxing_off = true;
		c->sandboxing_off_at = src_of(v);
	} else if (t == T_CONTAINER) {
		warn(c, v,
		     "sandbox type 'container' runs as HelixAgent's process sandbox: each sandbox is a cgroup with kernel rules, limits and launcher isolation (namespaces, seccomp, capabilities, read-only paths); no container runtime is used");
	}
}

static void sandbox_cgroup_root(struct pctx *c, const struct ynode *kn, const struct ynode *v,
				void *obj, void *loc)
{
	struct hx_policy *p = c->p;
	const char *s = hx_p_scalar(c, v, kn->str);

	if (!s)
		return;
	while (*s == '/')
		s++;
	if (!*s || strstr(s, "..") || strchr(s, '\n'))
		err(c, v, "'cgroup_root' must be a relative cgroup path, not '%s'", v->str);
	else {
		free(p->cgroup_root);
		p->cgroup_root = hx_xstrdup(s);
	}
}

static const struct pkey sandbox_cfg_keys[] = {
	{ "enabled", PK_FN, .fn = sandbox_enabled },
	{ "type", PK_FN, .fn = sandbox_type },
	{ "cgroup_root", PK_FN, .fn = sandbox_cgroup_root },
	{ "", PK_INCLUDE, .sub = launcher_keys },
	{ 0 },
};

static void security_enabled(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			     void *obj, void *loc)
{
	bool b;

	if (!hx_p_get_bool(c, v, kn->str, &b))
		return;
	c->p->enabled = b;
	if (!b) {
		c->sandboxing_off = true;
		c->sandboxing_off_at = src_of(v);
	}
}

/* security:'s own sections: read into the policy, or (sandbox:) into its base layer */
static const struct psection audit_section = { .name = "audit", .keys = audit_keys },
			     metrics_section = { .name = "metrics", .keys = metrics_keys },
			     sandbox_section = { .name = "sandbox", .keys = sandbox_cfg_keys };

static void security_audit(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			   void *loc)
{
	hx_p_walk(c, v, NULL, &audit_section, c->p, NULL);
}

static void security_metrics(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			     void *obj, void *loc)
{
	hx_p_walk(c, v, NULL, &metrics_section, c->p, NULL);
}

static void security_sandbox(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			     void *obj, void *loc)
{
	hx_p_walk(c, v, NULL, &sandbox_section, &c->p->base, NULL);
}

static const struct pkey security_keys[] = {
	{ "enabled", PK_FN, .fn = security_enabled },
	{ "sandbox", PK_FN, .fn = security_sandbox },
	{ "audit", PK_FN, .fn = security_audit },
	{ "metrics", PK_FN, .fn = security_metrics },
	/* and the keys of every layer: security: is the base one */
	{ "", PK_INCLUDE, .sub = layer_keys },
	{ 0 },
};

static const struct psection security_section = { .name = "security", .keys = security_keys };

void hx_p_security(struct pctx *c, const struct ynode *n)
{
	hx_p_walk(c, n, NULL, &security_section, &c->p->base, NULL);
}
