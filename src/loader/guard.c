// SPDX-License-Identifier: GPL-2.0
/*
 * Guard family: the agent protecting itself in every sandbox, whatever its
 * rules. Writes refused to its pins, state, policy, audit log, binary and
 * code, the cgroup filesystem and the resolver's files; their names guarded
 * in their directories (hx_name_guard_g), so none can be moved into place.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helixagent/abi.h"
#include "helixagent/abi_exec.h"
#include "internal.h"
#include "loader.h"
#include "util/str.h"

/* Bytes of a name bpf/file.bpf.c hashes (HX_GNAME_MAX less its NUL). */
#define GUARD_NAME_MAX 127

/* The name guard's key: FNV-1a 64 over the directory's inode number, then the name. */
static __u64 guard_name_hash(__u64 dir_ino, const char *name, size_t len)
{
	__u64 h = HX_FNV_OFFSET;

	for (int i = 0; i < 8; i++)
		h = (h ^ ((dir_ino >> (8 * i)) & 0xff)) * HX_FNV_PRIME;
	for (size_t i = 0; i < len && i < GUARD_NAME_MAX; i++)
		h = (h ^ (unsigned char)name[i]) * HX_FNV_PRIME;
	return h;
}

/*
 * Guards each name along @path (as spelled: a symlink component is a name
 * too) in its directory: no sandbox may create, remove, rename or replace
 * it (bpf/file.bpf.c, hx_name_guard_g). Names below the first missing
 * directory are not reachable: guarding the missing one is enough.
 */
static int guard_names(struct hx_loader_build *b, uint32_t slot, uint32_t sbx, const char *path,
		       uint32_t rule_id)
{
	char dir[PATH_MAX];
	const char *p = path, *name;
	size_t dlen = 1;
	struct stat st;

	if (!path || path[0] != '/' || strlen(path) >= sizeof(dir))
		return 0;
	strcpy(dir, "/");
	for (;;) {
		struct hx_inode_key key = { .slot = slot,
					    .sbx = (__u16)sbx,
					    .family = HX_FAM_GUARD };
		size_t len;
		int err;

		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		name = p;
		len = strcspn(p, "/");
		p += len;
		if (stat(dir, &st) || !S_ISDIR(st.st_mode))
			return 0;
		key.dev = hx_kdev(st.st_dev);
		key.ino = guard_name_hash(st.st_ino, name, len);
		err = hx_add_inode_rule(b, &key, rule_id, 0, HX_ACC_W);
		if (err)
			return err;
		if (dlen > 1)
			dir[dlen++] = '/';
		memcpy(dir + dlen, name, len);
		dlen += len;
		dir[dlen] = 0;
	}
}

/* guard_names() on @path as spelled and on the file it resolves to (its symlinks followed). */
static int guard_path(struct hx_loader_build *b, uint32_t slot, uint32_t sbx, const char *path,
		      const char *rule)
{
	char real[PATH_MAX];
	int id, err;

	if (!path || path[0] != '/')
		return 0;
	id = hx_rules_add(&b->out, sbx, HX_FAM_FILE, rule, path);
	if (id < 0)
		return id;
	err = guard_names(b, slot, sbx, path, (uint32_t)id);
	if (!err && realpath(path, real) && strcmp(real, path))
		err = guard_names(b, slot, sbx, real, (uint32_t)id);
	return err;
}

/* The files the resolver reads for allowed_hosts (and allow_dns's resolvers). */
static const char *const resolver_files[] = {
	"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf",
};

/*
 * A guard rule: writes to @path's object (a directory: everything below it)
 * refused in the sandbox, whatever its rules; reading is left to them
 * (HX_RULE_CONTINUE). A path that does not exist (or, with @regular_only,
 * is not a regular file) has nothing to guard.
 */
static int guard_writes(struct hx_loader_build *b, uint32_t slot, uint32_t sbx, const char *path,
			const char *name, bool regular_only)
{
	struct hx_inode_key key = { .slot = slot, .sbx = (__u16)sbx, .family = HX_FAM_FILE };
	struct stat st;
	int id, err;

	if (stat(path, &st) || (regular_only && !S_ISREG(st.st_mode)))
		return 0;
	key.dev = hx_kdev(st.st_dev);
	key.ino = st.st_ino;
	id = hx_rules_add(&b->out, sbx, HX_FAM_FILE, name, path);
	if (id < 0)
		return id;
	err = hx_add_inode_rule(b, &key, (uint32_t)id, 0, HX_ACC_W);
	if (err)
		return err;
	b->ents[b->n - 1].rule.flags = HX_RULE_CONTINUE;
	return 0;
}

/*
 * The agent's own files, refused for writing in every sandbox whatever its
 * rules (HX_RULE_CONTINUE: reading is judged by the sandbox's rules as usual).
 * The agent's inputs (the policy, the resolver's files) are guarded by name
 * too, so that no sandbox can move its own policy into their place.
 */
static int compile_guard(struct hx_loader_build *b, uint32_t slot, uint32_t sbx,
			 const struct hx_policy *p, const char *cg_root)
{
	char exe[PATH_MAX], logdir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *const paths[][2] = {
		{ HX_PIN_DIR, "guard.pin_dir" },
		{ HX_RUN_DIR, "guard.state_dir" },
		{ p->file, "guard.policy_file" },
		{ logdir, "guard.audit_log" },
		{ n > 0 ? exe : NULL, "guard.agent_binary" },
		/* cgroup.procs, cgroup.threads, limits: no escape, no raising limits */
		{ cg_root, "guard.cgroupfs" },
		{ resolver_files[0], "guard.resolver" },
		{ resolver_files[1], "guard.resolver" },
		{ resolver_files[2], "guard.resolver" },
		{ resolver_files[3], "guard.resolver" },
		{ resolver_files[4], "guard.resolver" },
	};
	struct hx_inode_key none = { .slot = slot, .sbx = (__u16)sbx, .family = HX_FAM_FILE };
	char *slash;
	int id, err;

	/* Names the refusal of a path that cannot be walked (a disconnected
	 * dentry): the entry on no object, (0, 0), which no walk meets. */
	id = hx_rules_add(&b->out, sbx, HX_FAM_FILE,
			  p->sandboxes[sbx].fs.present ? "filesystem.unresolved_path" :
							 "guard.unresolved_path",
			  NULL);
	if (id < 0)
		return id;
	err = hx_add_inode_rule(b, &none, (uint32_t)id, 0, 0);
	if (err)
		return err;
	b->ents[b->n - 1].rule.flags = HX_RULE_CONTINUE;
	err = guard_path(b, slot, sbx, p->file, "guard.policy_dir");
	for (size_t i = 0; !err && i < sizeof(resolver_files) / sizeof(resolver_files[0]); i++)
		err = guard_path(b, slot, sbx, resolver_files[i], "guard.resolver");
	if (err)
		return err;

	exe[n > 0 ? n : 0] = 0;
	hx_strlcpy(logdir, p->audit_path ? p->audit_path : "", sizeof(logdir));
	slash = strrchr(logdir, '/');
	if (slash && slash != logdir)
		*slash = 0;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (!paths[i][0] || paths[i][0][0] != '/')
			continue;
		err = guard_writes(b, slot, sbx, paths[i][0], paths[i][1], false);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The code the next daemon will run besides its binary: every file it maps
 * (its shared objects and the dynamic loader) and the loader's configuration.
 * A sandbox that rewrote one would run its code as the agent at the next
 * start. Read once: the daemon loads no code after it starts.
 */
static const char *const *agent_code_paths(size_t *n)
{
	static char **paths;
	static size_t npaths;
	static bool done;
	static const char *const ld_conf[] = { "/etc/ld.so.preload", "/etc/ld.so.cache",
					       "/etc/ld.so.conf" };
	char line[PATH_MAX + 128];
	FILE *f;

	if (done) {
		*n = npaths;
		return (const char *const *)paths;
	}
	done = true;
	for (size_t i = 0; i < sizeof(ld_conf) / sizeof(ld_conf[0]); i++) {
		char **nv = realloc(paths, (npaths + 1) * sizeof(*nv));

		if (!nv)
			break;
		paths = nv;
		paths[npaths++] = strdup(ld_conf[i]);
	}
	f = fopen("/proc/self/maps", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/'), **nv;
		bool seen = false;

		if (!path || strstr(line, "(deleted)"))
			continue;
		path[strcspn(path, "\n")] = 0;
		for (size_t i = 0; i < npaths && !seen; i++)
			seen = paths[i] && !strcmp(paths[i], path);
		if (seen)
			continue;
		nv = realloc(paths, (npaths + 1) * sizeof(*nv));
		if (!nv)
			break;
		paths = nv;
		paths[npaths++] = strdup(path);
	}
	if (f)
		fclose(f);
	*n = npaths;
	return (const char *const *)paths;
}

/* guard.agent_code: writes refused to agent_code_paths(), in every sandbox. */
static int guard_agent_code(struct hx_loader_build *b, uint32_t slot, uint32_t sbx)
{
	size_t n;
	const char *const *paths = agent_code_paths(&n);

	for (size_t i = 0; i < n; i++) {
		int err = paths[i] ?
				  guard_writes(b, slot, sbx, paths[i], "guard.agent_code", true) :
				  0;

		if (err)
			return err;
	}
	return 0;
}

static __u32 guard_sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s)
{
	(void)p;
	(void)s;
	return HX_SBX_GUARD;
}

static int guard_compile(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot, uint32_t i,
			 const struct hx_policy *p, struct hx_diags *diags)
{
	int err;

	(void)diags;
	err = compile_guard(b, slot, i, p, l->cg_root);
	if (!err)
		err = guard_agent_code(b, slot, i);
	return err;
}

HX_FAMILY(guard, HX_FAM_GUARD, .sbx_flags = guard_sbx_flags, .compile = guard_compile);
