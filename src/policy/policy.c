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
 *
 * This file holds the document: its top-level sections (sandboxes, plugins,
 * tools, monitoring), finish() and the entry points. A layer's keys are in
 * parse_layer.c, each family's section in parse_F.c, and walk(), which reads
 * every section through its table of keys, in parse.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"
#include "util/file.h"

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
	if (keyn && !hx_p_valid_name(name))
		err(c, keyn, "sandbox name '%s' must match [a-z0-9_-]{1,63}", name);
	return c->ndecls++;
}

/* ---- sandboxes:, plugins:, tools:, monitoring: ---- */

static void parse_sandboxes(struct pctx *c, const struct ynode *kn, const struct ynode *n,
			    void *obj, void *loc)
{
	if (!hx_p_map_ok(c, n, "sandboxes"))
		return;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *keyn = n->items[i];
		size_t d;

		if (keyn->kind != Y_SCALAR)
			continue;
		d = declare(c, keyn->str, keyn, hx_xasprintf("sandboxes.%s", keyn->str), false);
		hx_p_layer(c, n->items[i + 1], c->decls[d].s, L_SANDBOX, &c->decls[d], keyn->str);
	}
}

/* plugins: and plugins.security: (key nodes kept: the sandboxes are declared at them) */
struct plugins_in {
	const struct ynode *seck, *sec, *ctxk, *ctx, *ovr;
};

static void plugins_security(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			     void *obj, void *loc)
{
	struct plugins_in *in = obj;

	in->seck = kn;
	in->sec = v;
}

static void plugins_context(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			    void *obj, void *loc)
{
	struct plugins_in *in = obj;

	in->ctxk = kn;
	in->ctx = v;
}

static const struct pkey plugins_keys[] = {
	{ "security", PK_FN, .fn = plugins_security },
	{ 0 },
};

static const struct pkey plugins_security_keys[] = {
	{ "default_context", PK_FN, .fn = plugins_context },
	{ "overrides", PK_NODE, AT(struct plugins_in, ovr) },
	{ 0 },
};

/* plugins: and plugins.security:, their keys kept even without a value */
static const struct psection plugins_section[] = {
	{ .name = "plugins", .keys = plugins_keys, .nulls = true },
	{ .name = "plugins.security", .keys = plugins_security_keys, .nulls = true },
};

/*
 * plugins.security: default_context declares the sandbox "plugins" (for a
 * plugin without an override), each overrides.NAME the sandbox NAME; both
 * are layered on default_context, which is layered on security:.
 */
static void parse_plugins(struct pctx *c, const struct ynode *kn, const struct ynode *n, void *obj,
			  void *loc)
{
	struct plugins_in in = { 0 };
	const struct ynode *ovr;

	if (!hx_p_walk(c, n, NULL, &plugins_section[0], &in, NULL))
		return;
	if (!in.sec)
		return;
	if (!hx_p_walk(c, in.sec, "security", &plugins_section[1], &in, NULL)) {
		declare(c, "plugins", in.seck, hx_xstrdup("plugins.security.default_context"),
			true);
		return;
	}
	/* the sandbox "plugins" sits where default_context (or plugins.security) is written */
	declare(c, "plugins", in.ctxk ? in.ctxk : in.seck,
		hx_xstrdup("plugins.security.default_context"), true);
	if (in.ctx) {
		c->pfx = "plugins.security.default_context.";
		hx_p_layer(c, in.ctx, &c->ctx, L_PLUGINS, &c->ctx_decl, "default_context");
		c->pfx = "";
	}
	ovr = in.ovr;
	if (!ovr || hx_p_is_null(ovr) || !hx_p_map_ok(c, ovr, "overrides"))
		return;
	for (size_t i = 0; i + 1 < ovr->n; i += 2) {
		const struct ynode *keyn = ovr->items[i];
		size_t d;

		if (keyn->kind != Y_SCALAR)
			continue;
		d = declare(c, keyn->str, keyn,
			    hx_xasprintf("plugins.security.overrides.%s", keyn->str), true);
		hx_p_layer(c, ovr->items[i + 1], c->decls[d].s, L_PLUGIN, &c->decls[d], keyn->str);
	}
}

/* tools.security declares the sandbox "tools", layered on security:. */
static void tools_security(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			   void *loc)
{
	size_t d = declare(c, "tools", kn, hx_xstrdup("tools.security"), false);

	hx_p_layer(c, v, c->decls[d].s, L_TOOLS, &c->decls[d], "security");
}

static const struct pkey tools_keys[] = {
	{ "security", PK_FN, .fn = tools_security },
	{ 0 },
};

static const struct psection tools_section = { .name = "tools", .keys = tools_keys, .nulls = true };

static void parse_tools(struct pctx *c, const struct ynode *kn, const struct ynode *n, void *obj,
			void *loc)
{
	hx_p_walk(c, n, NULL, &tools_section, NULL, NULL);
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

struct alert_in {
	struct pscalar name, cond, sev;
};

static const struct pkey alert_keys[] = {
	{ "name", PK_SCALAR, AT(struct alert_in, name) },
	{ "condition", PK_SCALAR, AT(struct alert_in, cond) },
	{ "severity", PK_SCALAR, AT(struct alert_in, sev) },
	{ 0 },
};

static const struct psection alert_section = { .name = "an alert", .keys = alert_keys };

static void parse_alert(struct pctx *c, const struct ynode *it)
{
	struct hx_policy *p = c->p;
	struct alert_in in = { 0 };
	const struct ynode *namen, *condn, *sevn;
	const char *name, *cond, *sev;
	enum hx_severity severity = 0;
	struct hx_alert *a;

	if (!hx_p_walk(c, it, "alerts entry", &alert_section, &in, NULL))
		return;
	namen = in.name.n;
	condn = in.cond.n;
	sevn = in.sev.n;
	name = in.name.s;
	cond = in.cond.s;
	sev = in.sev.s;
	if (!namen || !condn || !sevn) {
		err(c, it, "an alert needs a name, a condition and a severity");
		return;
	}
	if (!name || !cond || !sev)
		return;
	if (!*name || !hx_p_valid_var_glob(name) || strpbrk(name, "*?[]!")) {
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

/* monitoring: and monitoring.security: */
struct monitoring_in {
	const struct ynode *sec, *alerts;
};

static void monitoring_alerts(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			      void *obj, void *loc)
{
	((struct monitoring_in *)obj)->alerts = kn;
}

static const struct pkey monitoring_keys[] = {
	{ "security", PK_NODE, AT(struct monitoring_in, sec) },
	{ 0 },
};

static const struct pkey monitoring_security_keys[] = {
	{ "alerts", PK_FN, .fn = monitoring_alerts },
	{ 0 },
};

/* monitoring: and monitoring.security:, their keys kept even without a value */
static const struct psection monitoring_section[] = {
	{ .name = "monitoring", .keys = monitoring_keys, .nulls = true },
	{ .name = "monitoring.security", .keys = monitoring_security_keys, .nulls = true },
};

/* monitoring.security.alerts */
static void parse_monitoring(struct pctx *c, const struct ynode *kn, const struct ynode *n,
			     void *obj, void *loc)
{
	struct monitoring_in in = { 0 };
	const struct ynode *sec, *v;

	if (!hx_p_walk(c, n, NULL, &monitoring_section[0], &in, NULL))
		return;
	sec = in.sec;
	if (!sec || !hx_p_walk(c, sec, "security", &monitoring_section[1], &in, NULL))
		return;
	if (!in.alerts)
		return;
	for (size_t i = 0; i + 1 < sec->n; i += 2) {
		if (sec->items[i] != in.alerts)
			continue;
		v = sec->items[i + 1];
		if (hx_p_is_null(v) || !hx_p_want(c, v, Y_SEQ, "alerts"))
			return;
		for (size_t j = 0; j < v->n; j++)
			parse_alert(c, v->items[j]);
	}
	warn(c, in.alerts,
	     "alerts are not evaluated by the agent: they are checked and kept; evaluate them in Prometheus over the metrics endpoint (security.metrics.listen)");
}

/* ---- the whole policy ---- */

static void root_security(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			  void *loc)
{
	c->pfx = "security.";
	hx_p_security(c, v);
	c->pfx = "";
}

/* the seed's top-level network: (zones, whitelist example) is the base's */
static void root_network(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			 void *loc)
{
	hx_p_net(c, v, &c->p->base.net);
}

/* the seed's top-level limits: (best practice 4) is the base's */
static void root_limits(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			void *loc)
{
	hx_p_limits(c, v, &c->p->base.limits);
}

/* A section written without a value is left out (each one's hx_p_map_ok() says nothing). */
static const struct pkey root_keys[] = {
	{ "security", PK_FN, .fn = root_security },
	{ "network", PK_FN, .fn = root_network },
	{ "limits", PK_FN, .fn = root_limits },
	{ "sandboxes", PK_FN, .fn = parse_sandboxes },
	{ "plugins", PK_FN, .fn = parse_plugins },
	{ "tools", PK_FN, .fn = parse_tools },
	{ "monitoring", PK_FN, .fn = parse_monitoring },
	{ 0 },
};

static const struct psection root_section = {
	"the policy (expected security, sandboxes, plugins, tools, network, limits or monitoring)",
	root_keys, .nulls = true
};

static void parse_root(struct pctx *c, const struct ynode *root)
{
	if (!root || hx_p_is_null(root)) {
		err(c, NULL, "the policy is empty");
		return;
	}
	hx_p_walk(c, root, "the policy", &root_section, c->p, NULL);
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
			hx_diag_add(
				c->d, HX_DIAG_WARNING, s->src,
				"sandbox '%s': exec lists only blocked entries and no default_policy, so every other program is denied",
				s->name);
	}
	if (s->fs.present && !s->fs.default_policy) {
		s->fs.default_policy = HX_DEF_DENY;
		if (only_blocked_paths(&s->fs.rules))
			hx_diag_add(
				c->d, HX_DIAG_WARNING, s->src,
				"sandbox '%s': filesystem lists only blocked paths and no default_policy, so every other path is denied",
				s->name);
	}
	if (s->net.present && !s->net.default_policy) {
		s->net.default_policy = HX_DEF_DENY;
		if (only_blocked_net(&s->net))
			hx_diag_add(
				c->d, HX_DIAG_WARNING, s->src,
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
	hx_diag_add(
		c->d, HX_DIAG_ERROR, c->ndecls ? c->decls[0].s->src : (struct hx_src){ 1, 1 },
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
			hx_diag_add(
				c->d, HX_DIAG_WARNING, s->src,
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
			hx_diag_add(
				c->d, HX_DIAG_ERROR, s->src,
				"duplicate sandbox name '%s': declared by %s (line %u) and by %s",
				s->name, a->origin, a->src.line, s->origin);
		} else if (!hx_idx_put(&names, p, s->cgroup, i)) {
			hx_idx_get(&names, p, s->cgroup, &j);
			hx_diag_add(c->d, HX_DIAG_ERROR, s->src,
				    "sandboxes '%s' and '%s' both govern cgroup %s",
				    c->decls[j].s->name, s->name, s->cgroup);
		}
	}
	hx_idx_free(&names);

	/* Sandboxing switched off: what is declared is checked above, then not kept. */
	if (c->sandboxing_off) {
		if (c->ndecls)
			hx_diag_add(
				c->d, HX_DIAG_WARNING, c->sandboxing_off_at,
				"sandboxing is switched off here: none of the %zu sandbox%s declared is enforced",
				c->ndecls, c->ndecls == 1 ? "" : "es");
		p->sandbox_enabled = false;
	}
	p->sandboxes = hx_xrealloc(NULL, c->ndecls * sizeof(*p->sandboxes));
	p->nsandboxes = 0;
	for (size_t i = 0; i < c->ndecls; i++) {
		struct hx_sandbox *s = c->decls[i].s;

		if (!c->sandboxing_off && c->decls[i].enabled == HX_NO)
			hx_diag_add(
				c->d, HX_DIAG_WARNING, c->decls[i].enabled_at,
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
	size_t got;
	char *buf;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	err = hx_read_whole(fd, HX_POLICY_MAX_BYTES, &buf, &got, &st);
	if (err == -EFBIG)
		return hx_policy_load_buf(path, "", HX_POLICY_MAX_BYTES + 1, diags);
	if (err) {
		errno = -err;
		return NULL;
	}
	p = hx_policy_load_buf(path, buf, got, diags);
	free(buf);
	return p;
}
