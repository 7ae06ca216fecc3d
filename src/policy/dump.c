// SPDX-License-Identifier: GPL-2.0
/* The effective policy as JSON, for `check --dump`. */
#include <stdio.h>

#include "helixagent/abi.h"
#include "policy.h"
#include "util/json.h"

static const char *def_name(enum hx_default d)
{
	return d == HX_DEF_ALLOW ? "allow" : d == HX_DEF_DENY ? "deny" : "unset";
}

static const char *mode_name(enum hx_policy_mode m)
{
	return m == HX_PM_AUDIT ? "audit" : "enforce";
}

static void tri(struct jw *w, const char *k, enum hx_tri t)
{
	jw_key(w, k);
	if (t == HX_UNSET)
		jw_null(w);
	else
		jw_bool(w, t == HX_YES);
}

static void perms_str(unsigned p, char out[4])
{
	int i = 0;

	if (p & HX_ACC_R)
		out[i++] = 'r';
	if (p & HX_ACC_W)
		out[i++] = 'w';
	if (p & HX_ACC_X)
		out[i++] = 'x';
	out[i] = 0;
}

static void rules(struct jw *w, const char *k, const struct hx_path_rules *r, bool with_perms)
{
	char ps[4];

	jw_key(w, k);
	jw_arr(w);
	for (size_t i = 0; i < r->n; i++) {
		jw_obj(w);
		jw_kstr(w, "path", r->v[i].path);
		jw_kstr(w, "action", r->v[i].block ? "block" : "allow");
		if (with_perms && !r->v[i].block) {
			perms_str(r->v[i].perms, ps);
			jw_kstr(w, "permissions", ps);
		}
		jw_kstr(w, "rule", r->v[i].name);
		jw_ku64(w, "line", r->v[i].src.line);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void strings(struct jw *w, const char *k, const struct hx_strings *s)
{
	jw_key(w, k);
	jw_arr(w);
	for (size_t i = 0; i < s->n; i++)
		jw_str(w, s->v[i]);
	jw_arr_end(w);
}

static const char *proto_name(enum hx_proto p)
{
	return p == HX_PROTO_TCP ? "tcp" : p == HX_PROTO_UDP ? "udp" : "any";
}

static void hosts(struct jw *w, const char *k, const struct hx_host_rules *r, const char *action)
{
	jw_key(w, k);
	jw_arr(w);
	for (size_t i = 0; i < r->n; i++) {
		jw_obj(w);
		jw_kstr(w, "host", r->v[i].host);
		jw_key(w, "ports");
		jw_arr(w);
		for (size_t j = 0; j < r->v[i].nports; j++)
			jw_u64(w, r->v[i].ports[j]);
		jw_arr_end(w);
		jw_kstr(w, "protocol", proto_name(r->v[i].proto));
		jw_kstr(w, "action", action);
		jw_kstr(w, "rule", r->v[i].name);
		jw_ku64(w, "line", r->v[i].src.line);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void sandbox(struct jw *w, const struct hx_sandbox *s)
{
	jw_obj(w);
	jw_kstr(w, "name", s->name);
	jw_kstr(w, "cgroup", s->cgroup);
	jw_kbool(w, "cgroup_created_by_agent", !s->cgroup_explicit);
	jw_kstr(w, "mode", mode_name(s->mode));

	jw_key(w, "exec");
	if (!s->exec.present) {
		jw_null(w);
	} else {
		jw_obj(w);
		jw_kstr(w, "default_policy", def_name(s->exec.default_policy));
		rules(w, "rules", &s->exec.rules, false);
		strings(w, "blocked_commands", &s->exec.blocked_commands);
		jw_obj_end(w);
	}

	jw_key(w, "filesystem");
	if (!s->fs.present) {
		jw_null(w);
	} else {
		jw_obj(w);
		jw_kstr(w, "default_policy", def_name(s->fs.default_policy));
		rules(w, "rules", &s->fs.rules, true);
		tri(w, "allow_symlinks", s->fs.allow_symlinks);
		jw_kstr(w, "temp_directory", s->fs.temp_directory);
		jw_obj_end(w);
	}

	jw_key(w, "network");
	if (!s->net.present) {
		jw_null(w);
	} else {
		jw_obj(w);
		jw_kstr(w, "default_policy", def_name(s->net.default_policy));
		tri(w, "allow_dns", s->net.allow_dns);
		tri(w, "allow_inbound", s->net.allow_inbound);
		tri(w, "allow_outbound", s->net.allow_outbound);
		jw_key(w, "cidrs");
		jw_arr(w);
		for (size_t i = 0; i < s->net.cidrs.n; i++) {
			jw_obj(w);
			jw_kstr(w, "cidr", s->net.cidrs.v[i].cidr);
			jw_kstr(w, "action", s->net.cidrs.v[i].block ? "block" : "allow");
			jw_kstr(w, "rule", s->net.cidrs.v[i].name);
			jw_ku64(w, "line", s->net.cidrs.v[i].src.line);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		jw_key(w, "ports");
		jw_arr(w);
		for (size_t i = 0; i < s->net.ports.n; i++) {
			jw_obj(w);
			jw_ku64(w, "port", s->net.ports.v[i].port);
			jw_kstr(w, "protocol", proto_name(s->net.ports.v[i].proto));
			jw_kstr(w, "action", s->net.ports.v[i].block ? "block" : "allow");
			jw_kstr(w, "rule", s->net.ports.v[i].name);
			jw_ku64(w, "line", s->net.ports.v[i].src.line);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		hosts(w, "hosts", &s->net.hosts, "allow");
		hosts(w, "blocked_hosts", &s->net.blocked_hosts, "block");
		jw_obj_end(w);
	}

	jw_key(w, "permissions");
	jw_obj(w);
	tri(w, "allow_network", s->perms.allow_network);
	tri(w, "allow_filesystem", s->perms.allow_filesystem);
	tri(w, "allow_exec", s->perms.allow_exec);
	tri(w, "allow_environment", s->perms.allow_environment);
	jw_obj_end(w);

	jw_key(w, "limits");
	jw_obj(w);
	jw_ku64(w, "max_memory_bytes", s->limits.max_memory);
	jw_ku64(w, "max_cpu_millis", s->limits.max_cpu_milli);
	jw_ku64(w, "max_processes", s->limits.max_processes);
	jw_ku64(w, "max_open_files", s->limits.max_open_files);
	jw_ku64(w, "max_execution_ms", s->limits.max_execution_ms);
	jw_obj_end(w);
	jw_obj_end(w);
}

void hx_policy_dump_json(const struct hx_policy *p, FILE *out)
{
	static const char *const evnames[] = { "sandbox_create", "sandbox_destroy",
					       "command_execute", "resource_violation",
					       "permission_denied" };
	struct jw w;

	jw_init(&w);
	jw_obj(&w);
	jw_kstr(&w, "file", p->file);
	jw_kbool(&w, "enabled", p->enabled);
	jw_kstr(&w, "mode", mode_name(p->mode));
	jw_kstr(&w, "cgroup_root", p->cgroup_root);
	jw_key(&w, "audit");
	jw_obj(&w);
	jw_kbool(&w, "enabled", p->audit_enabled);
	jw_kstr(&w, "path", p->audit_path);
	jw_kstr(&w, "log_level", p->log_level);
	jw_key(&w, "events");
	jw_arr(&w);
	for (unsigned i = 0; i < 5; i++)
		if (p->audit_events & (1u << i))
			jw_str(&w, evnames[i]);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_key(&w, "sandboxes");
	jw_arr(&w);
	for (size_t i = 0; i < p->nsandboxes; i++)
		sandbox(&w, &p->sandboxes[i]);
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (w.buf)
		fprintf(out, "%s\n", w.buf);
	jw_free(&w);
}
