// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel decision as one ECS line, the part common to every family:
 * @timestamp, event.*, helixagent.*, rule.*, process.*, the cgroup and the
 * container; each family adds its own (audit_exec.c, audit_file.c,
 * audit_guard.c, audit_net.c). Also events_dropped and policy_load.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "util/cgroup.h"
#include "util/container.h"
#include "util/names.h"
#include "util/str.h"
#include "util/version.h"

#define ECS_VERSION "8.11.0"

static int64_t ts_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

size_t hx_components_to_path(const char *comp, size_t len, char *out, size_t outlen, bool *complete)
{
	const char *starts[512];
	size_t n = 0, o = 0;

	*complete = false;
	for (size_t i = 0; i < len && n < 512;) {
		size_t l = strnlen(comp + i, len - i);

		if (l == 0) {
			*complete = true; /* the empty component: the walk reached the root */
			break;
		}
		starts[n++] = comp + i;
		i += l + 1;
	}
	if (outlen == 0)
		return 0;
	if (n == 0) {
		snprintf(out, outlen, "/");
		return strlen(out);
	}
	/* A path the walk could not finish is marked as such, never guessed. */
	if (!*complete)
		o += (size_t)snprintf(out, outlen, "...");
	for (size_t i = n; i > 0 && o < outlen; i--)
		o += (size_t)snprintf(out + o, outlen - o, "/%s", starts[i - 1]);
	if (o >= outlen)
		o = outlen - 1;
	return o;
}

static void timestamp(struct jw *w, int64_t real_ns)
{
	struct tm tm;
	time_t sec = (time_t)(real_ns / 1000000000);
	long ns = (long)(real_ns % 1000000000);
	char buf[64];

	/* before 1970 (a clock set back, a record from before a clock step): round down */
	if (ns < 0) {
		ns += 1000000000;
		sec--;
	}
	gmtime_r(&sec, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
	jw_kstr(w, "@timestamp", buf);
}

void hx_ecs_head(struct hx_audit *a, int64_t real_ns)
{
	jw_reset(&a->w);
	a->cur_real_ns = real_ns;
	a->cur_kind = a->cur_code = NULL;
	jw_obj(&a->w);
	timestamp(&a->w, real_ns);
	jw_key(&a->w, "ecs");
	jw_obj(&a->w);
	jw_kstr(&a->w, "version", ECS_VERSION);
	jw_obj_end(&a->w);
}

/*
 * Who observed and wrote the event, in every line: agent.* (this host's
 * agent; agent.name is the host name, as Beats name theirs), observer.* (ECS
 * describes enforcing devices, firewalls and IPSs, there: the product that
 * made the decision) and host.*.
 */
static void origin_fields(struct jw *w, const struct hx_audit *a)
{
	jw_key(w, "agent");
	jw_obj(w);
	jw_kstr(w, "type", HX_ECS_MODULE);
	jw_kstr(w, "name", a->hostname);
	jw_kstr(w, "id", a->agent_id);
	jw_kstr(w, "ephemeral_id", a->ephemeral_id);
	jw_kstr(w, "version", hx_version());
	jw_obj_end(w);
	jw_key(w, "observer");
	jw_obj(w);
	jw_kstr(w, "type", "ips");
	jw_kstr(w, "vendor", "HelixAgent");
	jw_kstr(w, "product", HX_ECS_MODULE);
	jw_kstr(w, "version", hx_version());
	jw_obj_end(w);
	jw_key(w, "host");
	jw_obj(w);
	jw_kstr(w, "hostname", a->hostname);
	if (a->machine_id[0])
		jw_kstr(w, "id", a->machine_id);
	jw_obj_end(w);
}

/*
 * These fields are a third of every line and never change: written once as
 * text and copied after, unless the host name needs escaping (then each line
 * writes them, so helixagent.escaped names it).
 */
static void origin(struct hx_audit *a)
{
	if (!a->origin || strcmp(a->origin_host, a->hostname)) {
		struct jw t;

		free(a->origin);
		a->origin = NULL;
		jw_init(&t);
		jw_obj(&t);
		origin_fields(&t, a);
		jw_obj_end(&t);
		if (!t.oom && !t.nescaped && t.len > 2) {
			t.buf[t.len - 1] = 0; /* without the braces around */
			a->origin = strdup(t.buf + 1);
			hx_strlcpy(a->origin_host, a->hostname, sizeof(a->origin_host));
		}
		jw_free(&t);
	}
	if (a->origin)
		jw_raw(&a->w, a->origin);
	else
		origin_fields(&a->w, a);
}

/*
 * helixagent.escaped: the names of the values whose invalid UTF-8 was
 * escaped (util/json.h), so a consumer knows which to unescape. Added to the
 * helixagent object, which every event has, once the line is complete.
 */
static void escaped(struct hx_audit *a)
{
	struct jw *w = &a->w;
	char list[JW_ESCAPED_MAX + 32];
	int n;

	if (!w->nescaped && !w->escaped_overflow)
		return;
	n = snprintf(list, sizeof(list), "%s\"escaped\":[%.*s%s%s]",
		     w->anchor_off && w->buf[w->anchor_off - 1] != '{' ? "," : "",
		     (int)w->escaped_len, w->escaped, w->nescaped && w->escaped_overflow ? "," : "",
		     w->escaped_overflow ? "\"*\"" : "");
	if (n < 0 || (size_t)n >= sizeof(list)) {
		w->oom = true; /* cannot happen (sizes above); never write a line without it */
		return;
	}
	if (w->anchor_off) {
		jw_insert(w, w->anchor_off, list, (size_t)n);
	} else {
		jw_key(w, "helixagent");
		jw_obj(w);
		jw_raw(w, list);
		jw_obj_end(w);
	}
}

void hx_ecs_emit(struct hx_audit *a)
{
	origin(a);
	escaped(a);
	jw_obj_end(&a->w);
	hx_audit_write_line(a);
}

void hx_ecs_event(struct hx_audit *a, const char *kind, const char *const *cat, size_t ncat,
		  const char *const *type, size_t ntype, const char *action, const char *code,
		  const char *provider)
{
	struct jw *w = &a->w;

	jw_key(w, "event");
	jw_obj(w);
	jw_kstr(w, "kind", kind);
	jw_key(w, "category");
	jw_arr(w);
	for (size_t i = 0; i < ncat; i++)
		jw_str(w, cat[i]);
	jw_arr_end(w);
	jw_key(w, "type");
	jw_arr(w);
	for (size_t i = 0; i < ntype; i++)
		jw_str(w, type[i]);
	jw_arr_end(w);
	jw_kstr(w, "action", action);
	jw_kstr(w, "outcome", "success");
	jw_kstr(w, "code", code);
	jw_kstr(w, "module", HX_ECS_MODULE);
	jw_kstr(w, "dataset", HX_ECS_DATASET);
	jw_ku64(w, "sequence", ++a->seq);
	a->cur_kind = kind;
	a->cur_code = code;
	if (provider)
		jw_kstr(w, "provider", provider);
	jw_obj_end(w);
}

/* The ECS description of each action: event.action, category, type, provider. */
static const struct hx_action_desc actions[] = {
	[HX_ACT_EXEC] = { "exec", "process", "start", "lsm/bprm_check_security" },
	[HX_ACT_OPEN] = { "open", "file", "access", "lsm/file_open" },
	[HX_ACT_EXEC_OPEN] = { "exec", "file", "access", "lsm/file_open" },
	[HX_ACT_MMAP_EXEC] = { "mmap_exec", "file", "access", "lsm/mmap_file" },
	[HX_ACT_MPROTECT_EXEC] = { "mprotect_exec", "file", "access", "lsm/file_mprotect" },
	[HX_ACT_TRUNCATE] = { "truncate", "file", "change", "lsm/path_truncate" },
	[HX_ACT_CREATE] = { "create", "file", "creation", "lsm/path_mknod" },
	[HX_ACT_MKDIR] = { "mkdir", "file", "creation", "lsm/path_mkdir" },
	[HX_ACT_RMDIR] = { "rmdir", "file", "deletion", "lsm/path_rmdir" },
	[HX_ACT_UNLINK] = { "unlink", "file", "deletion", "lsm/path_unlink" },
	[HX_ACT_SYMLINK] = { "symlink", "file", "creation", "lsm/path_symlink" },
	[HX_ACT_LINK] = { "link", "file", "creation", "lsm/path_link" },
	[HX_ACT_RENAME] = { "rename", "file", "change", "lsm/path_rename" },
	[HX_ACT_CHMOD] = { "chmod", "file", "change", "lsm/path_chmod" },
	[HX_ACT_CHOWN] = { "chown", "file", "change", "lsm/path_chown" },
	[HX_ACT_SETXATTR] = { "setxattr", "file", "change", "lsm/inode_setxattr" },
	[HX_ACT_BPF] = { "bpf", "host", "access", "lsm/bpf" },
	[HX_ACT_KILL] = { "kill", "process", "access", "lsm/task_kill" },
	[HX_ACT_PTRACE] = { "ptrace", "process", "access", "lsm/ptrace_access_check" },
	[HX_ACT_CAPABLE] = { "capable", "process", "access", "lsm/capable" },
	[HX_ACT_COMMAND] = { "exec", "process", "start", "tp_btf/sched_process_exec" },
	[HX_ACT_EXEC_CREDS] = { "exec", "process", "start", "lsm/bprm_creds_from_file" },
	[HX_ACT_MOUNT] = { "mount", "configuration", "change", "lsm/sb_mount" },
	[HX_ACT_UMOUNT] = { "umount", "configuration", "change", "lsm/sb_umount" },
	[HX_ACT_PIVOT_ROOT] = { "pivot_root", "configuration", "change", "lsm/sb_pivotroot" },
	[HX_ACT_MOVE_MOUNT] = { "move_mount", "configuration", "change", "lsm/move_mount" },
	[HX_ACT_MOUNT_API] = { "mount_api", "configuration", "change", "lsm/capable" },
	[HX_ACT_CLONE] = { "clone_into_cgroup", "process", "start", "lsm/task_alloc" },
	[HX_ACT_KERNEL_READ] = { "kernel_load", "driver", "change", "lsm/kernel_read_file" },
	[HX_ACT_KERNEL_LOAD] = { "kernel_load", "driver", "change", "lsm/kernel_load_data" },
	[HX_ACT_MODULE_REQUEST] = { "module_request", "driver", "change",
				    "lsm/kernel_module_request" },
	[HX_ACT_SIGIO] = { "sigio", "process", "access", "lsm/file_send_sigiotask" },
	[HX_ACT_SETNICE] = { "setpriority", "process", "change", "lsm/task_setnice" },
	[HX_ACT_SETIOPRIO] = { "ioprio_set", "process", "change", "lsm/task_setioprio" },
	[HX_ACT_SETSCHED] = { "sched_set", "process", "change", "lsm/task_setscheduler" },
	[HX_ACT_PRLIMIT] = { "prlimit", "process", "change", "lsm/task_prlimit" },
	[HX_ACT_LEASE] = { "lease", "file", "access", "lsm/file_fcntl" },
	[HX_ACT_FANOTIFY] = { "fanotify_mark", "file", "access", "lsm/path_notify" },
	[HX_ACT_SYSCALL] = { "syscall", "host", "change", "lsm/capable" },
	[HX_ACT_MOVEMEM] = { "move_pages", "process", "change", "lsm/task_movememory" },
	[HX_ACT_IOCTL] = { "ioctl", "host", "access", "lsm/file_ioctl" },
	[HX_ACT_PERF] = { "perf_event_open", "host", "access", "lsm/perf_event_open" },
};

static const struct hx_action_desc *action_desc(uint16_t act)
{
	static const struct hx_action_desc unknown = { "unknown", "host", "info", NULL };

	if (act < sizeof(actions) / sizeof(actions[0]) && actions[act].action)
		return &actions[act];
	return hx_audit_ext_action ? hx_audit_ext_action(act) : &unknown;
}

/* helixagent.cgroup; the path (or "") into @cgpath, PATH_MAX bytes, for container_obj. */
static void cgroup_obj(struct hx_audit *a, const struct hx_event *e, const struct hx_sbx_info *sb,
		       char *cgpath)
{
	struct jw *w = &a->w;

	jw_key(w, "cgroup");
	jw_obj(w);
	jw_ku64(w, "id", e->cgid);
	cgpath[0] = 0;
	if (sb && sb->cgid == e->cgid) {
		hx_strlcpy(cgpath, sb->cgroup, PATH_MAX);
	} else if (!hx_cgroup_of_pid((int)e->pid, cgpath, PATH_MAX)) {
		/* /proc is read after the fact: keep the path only if it still is that cgroup. */
		char root[256];
		uint64_t id = 0;

		if (hx_cgroup2_root(root, sizeof(root)) || hx_cgroup_id(root, cgpath, &id) ||
		    id != e->cgid)
			cgpath[0] = 0;
	}
	if (cgpath[0])
		jw_kstr(w, "path", cgpath);
	jw_obj_end(w);
}

/*
 * container.* and orchestrator.*, where the cgroup path names a container or a
 * Kubernetes pod (util/container.h): read from the path alone, no runtime asked.
 */
static void container_obj(struct hx_audit *a, const char *cgpath)
{
	struct jw *w = &a->w;
	struct hx_container c;

	if (!cgpath[0] || !hx_container_from_cgroup(cgpath, &c))
		return;
	if (c.id[0]) {
		jw_key(w, "container");
		jw_obj(w);
		jw_kstr(w, "id", c.id);
		if (c.runtime)
			jw_kstr(w, "runtime", c.runtime);
		jw_obj_end(w);
	}
	if (c.pod_uid[0]) {
		jw_key(w, "orchestrator");
		jw_obj(w);
		jw_kstr(w, "type", "kubernetes");
		jw_key(w, "resource");
		jw_obj(w);
		jw_kstr(w, "type", "pod");
		jw_kstr(w, "id", c.pod_uid);
		jw_obj_end(w);
		jw_obj_end(w);
	}
}

static void process_obj(struct hx_audit *a, const struct hx_event *e)
{
	struct jw *w = &a->w;
	char path[PATH_MAX + 8], buf[128];
	bool complete;
	size_t plen;

	jw_key(w, "process");
	jw_obj(w);
	jw_ku64(w, "pid", e->pid);
	snprintf(buf, sizeof(buf), "%s-%u-%llu", a->boot_id, e->pid,
		 (unsigned long long)e->start_boot_ns);
	jw_kstr(w, "entity_id", buf);
	jw_key(w, "name");
	jw_strn(w, e->comm, strnlen(e->comm, sizeof(e->comm)));
	if (e->exe_len) {
		/* the kernel's lengths are trusted no further than the buffers */
		plen = hx_components_to_path(
			e->exe, e->exe_len < sizeof(e->exe) ? e->exe_len : sizeof(e->exe), path,
			sizeof(path), &complete);
		jw_key(w, "executable");
		jw_strn(w, path, plen);
	}
	if (e->args_len) {
		size_t len = e->args_len < sizeof(e->args) ? e->args_len : sizeof(e->args);
		size_t n = 0;

		jw_key(w, "args");
		jw_arr(w);
		for (size_t i = 0; i < len;) {
			size_t l = strnlen(e->args + i, len - i);

			jw_strn(w, e->args + i, l);
			n++;
			i += l + 1;
		}
		jw_arr_end(w);
		jw_ku64(w, "args_count", n);
	}
	jw_key(w, "thread");
	jw_obj(w);
	jw_ku64(w, "id", e->tid);
	jw_obj_end(w);
	jw_key(w, "parent");
	jw_obj(w);
	jw_ku64(w, "pid", e->ppid);
	jw_obj_end(w);
	/*
	 * The kernel side reads the real ids (bpf_get_current_uid_gid), which
	 * ECS names real_user and real_group; process.user.id and process.group.id
	 * (ECS 8.3 on) carry the same values, as the SPEC has them.
	 */
	snprintf(buf, sizeof(buf), "%u", e->uid);
	jw_key(w, "user");
	jw_obj(w);
	jw_kstr(w, "id", buf);
	jw_obj_end(w);
	jw_key(w, "real_user");
	jw_obj(w);
	jw_kstr(w, "id", buf);
	jw_obj_end(w);
	snprintf(buf, sizeof(buf), "%u", e->gid);
	jw_key(w, "group");
	jw_obj(w);
	jw_kstr(w, "id", buf);
	jw_obj_end(w);
	jw_key(w, "real_group");
	jw_obj(w);
	jw_kstr(w, "id", buf);
	jw_obj_end(w);
	jw_obj_end(w);
}

void hx_audit_format_decision(struct hx_audit *a, const struct hx_event *e,
			      const struct hx_compiled *c)
{
	/* @c is NULL for an event of a generation whose tables are gone. */
	const struct hx_sbx_info *sb = c && e->sbx < c->nsbx ? &c->sbx[e->sbx] : NULL;
	const struct hx_rule_info *rule = c && e->rule_id < c->nrules ? &c->rules[e->rule_id] :
									NULL;
	const struct hx_action_desc *ad = action_desc(e->action);
	const char *builtin = hx_audit_builtin_rule(e);
	const char *fam = hx_family_name(e->family);
	struct jw *w = &a->w;
	const char *cats[3], *types[3];
	size_t ncat = 0, ntype = 0;
	char rname[64], cgpath[PATH_MAX];

	/* unsigned: a record's clock is not trusted to keep the sum in range */
	hx_ecs_head(a, (int64_t)(e->ts_boot_ns + (uint64_t)a->boot_to_real_ns));

	cats[ncat++] = ad->category;
	types[ntype++] = ad->type;
	if (e->decision != HX_DECISION_ALLOW) {
		/* ECS: network denials are not intrusion_detection by themselves. */
		if (e->family != HX_FAM_NET)
			cats[ncat++] = "intrusion_detection";
		if (e->decision == HX_DECISION_DENY)
			types[ntype++] = "denied";
	} else {
		types[ntype++] = "allowed";
	}
	hx_ecs_event(a, e->decision != HX_DECISION_ALLOW ? "alert" : "event", cats, ncat, types,
		     ntype, ad->action,
		     e->decision ?
			     "permission_denied" :
			     (e->family == HX_FAM_EXEC ? "command_execute" : "access_allowed"),
		     ad->provider);

	jw_key(w, "helixagent");
	jw_obj(w);
	jw_kstr(w, "decision", hx_decision_name(e->decision));
	jw_kstr(w, "mode", e->mode == HX_MODE_AUDIT ? "audit" : "enforce");
	jw_kstr(w, "family", fam);
	jw_kstr(w, "sandbox", sb ? sb->name : NULL);
	jw_ki64(w, "errno", e->err);
	cgroup_obj(a, e, sb, cgpath);
	jw_ku64(w, "policy_generation", e->generation);
	hx_audit_file_fields(a, e);
	hx_audit_exec_fields(a, e);
	hx_audit_guard_fields(a, e);
	jw_kstr(w, "reason",
		builtin			    ? (builtin[0] == 'b' ? "baseline" : "guard") :
		e->flags & HX_EVF_NO_RULE   ? "default_policy" :
		e->flags & HX_EVF_FORBIDDEN ? "permissions" :
					      "rule");
	jw_obj_end(w);

	jw_key(w, "rule");
	jw_obj(w);
	if (builtin) {
		jw_kstr(w, "name", builtin);
	} else if (rule) {
		jw_kstr(w, "name", rule->name);
	} else if (e->family == HX_FAM_GUARD) {
		snprintf(rname, sizeof(rname), "guard.%s", ad->action);
		jw_kstr(w, "name", rname);
	} else if (e->action == HX_ACT_CAPABLE) {
		jw_kstr(w, "name", "capabilities.drop");
	} else if (e->action == HX_ACT_EXEC_CREDS) {
		jw_kstr(w, "name", "process.no_new_privileges");
	} else if (e->flags & HX_EVF_FILELESS) {
		jw_kstr(w, "name", "exec.fileless");
	} else {
		snprintf(rname, sizeof(rname), "%s.%s",
			 e->flags & HX_EVF_FORBIDDEN ? "permissions" : fam,
			 e->flags & HX_EVF_FORBIDDEN ?
				 (e->family == HX_FAM_EXEC ? "allow_exec" :
				  e->family == HX_FAM_NET  ? "allow_network" :
							     "allow_filesystem") :
				 "default_policy");
		jw_kstr(w, "name", rname);
	}
	jw_kstr(w, "ruleset", sb ? sb->name : NULL);
	jw_obj_end(w);

	process_obj(a, e);
	hx_audit_file_obj(a, e);
	container_obj(a, cgpath);
	if (hx_audit_ext_fields)
		hx_audit_ext_fields(a, e);
}

void hx_audit_decision(struct hx_audit *a, const struct hx_event *e, const struct hx_compiled *c)
{
	hx_audit_format_decision(a, e, c);
	hx_ecs_emit(a);
}

void hx_audit_dropped(struct hx_audit *a, const char *reason, uint64_t count, uint64_t total)
{
	static const char *const cat[] = { "host" }, *const type[] = { "info" };

	hx_ecs_head(a, ts_ns(CLOCK_REALTIME));
	hx_ecs_event(a, "metric", cat, 1, type, 1, "events_dropped", "events_dropped",
		     "helixagent");
	jw_key(&a->w, "helixagent");
	jw_obj(&a->w);
	jw_kstr(&a->w, "drop_reason", reason);
	jw_ku64(&a->w, "dropped", count);
	jw_ku64(&a->w, "dropped_total", total);
	jw_obj_end(&a->w);
	hx_ecs_emit(a);
}

void hx_audit_policy_load(struct hx_audit *a, const struct hx_compiled *c, const char *file,
			  bool ok, const char *message)
{
	static const char *const cat[] = { "configuration" }, *const type[] = { "change" };

	hx_ecs_head(a, ts_ns(CLOCK_REALTIME));
	hx_ecs_event(a, "event", cat, 1, type, 1, "policy_load", "policy_load", "helixagent");
	jw_key(&a->w, "helixagent");
	jw_obj(&a->w);
	jw_kstr(&a->w, "decision", ok ? "loaded" : "rejected");
	jw_ku64(&a->w, "policy_generation", c ? c->generation : 0);
	jw_kstr(&a->w, "policy_file", file);
	if (message)
		jw_kstr(&a->w, "message", message);
	if (c && ok) {
		jw_key(&a->w, "sandboxes");
		jw_arr(&a->w);
		for (size_t i = 0; i < c->nsbx; i++) {
			jw_obj(&a->w);
			jw_kstr(&a->w, "name", c->sbx[i].name);
			jw_kstr(&a->w, "cgroup", c->sbx[i].cgroup);
			jw_ku64(&a->w, "cgroup_id", c->sbx[i].cgid);
			jw_obj_end(&a->w);
		}
		jw_arr_end(&a->w);
	}
	jw_obj_end(&a->w);
	hx_ecs_emit(a);
}
