// SPDX-License-Identifier: GPL-2.0
/* The effective policy as JSON, for `check --dump`. */
#include <stdio.h>
#include <string.h>

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

/* Capability names; ALL when every bit is set. */
static void caps(struct jw *w, const char *k, uint64_t mask)
{
	jw_key(w, k);
	jw_arr(w);
	if (mask == HX_CAPS_ALL) {
		jw_str(w, "ALL");
	} else {
		for (unsigned i = 0; i < HX_CAP_COUNT; i++)
			if (mask & (1ull << i))
				jw_str(w, hx_cap_name(i));
	}
	jw_arr_end(w);
}

static void sandbox(struct jw *w, const struct hx_sandbox *s)
{
	jw_obj(w);
	jw_kstr(w, "name", s->name);
	jw_kstr(w, "origin", s->origin);
	jw_key(w, "inherits");
	jw_arr(w);
	if (s->origin && strcmp(s->origin, "security"))
		jw_str(w, "security");
	if (s->origin && !strncmp(s->origin, "plugins.security.overrides.", 27))
		jw_str(w, "plugins.security.default_context");
	jw_arr_end(w);
	jw_ku64(w, "line", s->src.line);
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

	jw_key(w, "rate_limit");
	if (!s->rate_limit.events) {
		jw_null(w);
	} else {
		jw_obj(w);
		jw_ku64(w, "events", s->rate_limit.events);
		jw_ku64(w, "window_s", s->rate_limit.window_s);
		jw_obj_end(w);
	}

	jw_key(w, "environment");
	jw_obj(w);
	tri(w, "inherit", s->env.inherit);
	strings(w, "allowed_vars", &s->env.allowed_vars);
	strings(w, "blocked_vars", &s->env.blocked_vars);
	jw_obj_end(w);

	jw_key(w, "process");
	jw_obj(w);
	tri(w, "use_namespaces", s->proc.use_namespaces);
	tri(w, "use_seccomp", s->proc.use_seccomp);
	tri(w, "use_cgroups", s->proc.use_cgroups);
	tri(w, "no_new_privileges", s->proc.no_new_privileges);
	tri(w, "read_only_root", s->proc.read_only_root);
	jw_kstr(w, "network_mode", s->proc.network_mode);
	jw_kstr(w, "root_fs", s->proc.root_fs);
	strings(w, "read_only_paths", &s->proc.read_only_paths);
	strings(w, "writable_paths", &s->proc.writable_paths);
	strings(w, "masked_paths", &s->proc.masked_paths);
	strings(w, "tmpfs", &s->proc.tmpfs);
	jw_obj_end(w);

	jw_key(w, "capabilities");
	if (!s->caps.present) {
		jw_null(w);
	} else {
		jw_obj(w);
		caps(w, "drop", s->caps.drop);
		caps(w, "add", s->caps.add);
		jw_obj_end(w);
	}

	/* containment: the relaxations in force (false and [] are the baseline) */
	jw_key(w, "containment");
	jw_obj(w);
	jw_key(w, "mount");
	jw_arr(w);
	for (unsigned i = 0; i < HX_MT_COUNT; i++)
		if (s->contain.mount_types & (1u << i))
			jw_str(w, hx_mount_type_name(i));
	jw_arr_end(w);
	jw_kbool(w, "kernel_tunables", s->contain.kernel_tunables == HX_YES);
	jw_kbool(w, "raw_devices", s->contain.raw_devices == HX_YES);
	jw_kbool(w, "network_admin", s->contain.network_admin == HX_YES);
	jw_kbool(w, "system_time", s->contain.system_time == HX_YES);
	jw_obj_end(w);

	jw_key(w, "command_validation");
	jw_obj(w);
	tri(w, "enabled", s->cmd.enabled);
	strings(w, "blocked_commands", &s->cmd.blocked_commands);
	strings(w, "blocked_patterns", &s->cmd.blocked_patterns);
	strings(w, "allowed_commands", &s->cmd.allowed_commands);
	jw_obj_end(w);
	jw_obj_end(w);
}

static const char *sev_name(enum hx_severity s)
{
	return s == HX_SEV_CRITICAL ? "critical" : s == HX_SEV_WARNING ? "warning" : "info";
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
	jw_kbool(&w, "sandbox_enabled", p->sandbox_enabled);
	jw_kstr(&w, "sandbox_type", p->sandbox_type);
	jw_kstr(&w, "metrics_listen", p->metrics_listen);
	jw_key(&w, "alerts");
	jw_arr(&w);
	for (size_t i = 0; i < p->nalerts; i++) {
		jw_obj(&w);
		jw_kstr(&w, "name", p->alerts[i].name);
		jw_kstr(&w, "condition", p->alerts[i].condition);
		jw_kstr(&w, "severity", sev_name(p->alerts[i].severity));
		jw_ku64(&w, "line", p->alerts[i].src.line);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
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
