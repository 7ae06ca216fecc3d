// SPDX-License-Identifier: GPL-2.0
/*
 * File family: path rules -> object rules (hx_inode), for the filesystem
 * rules and exec's alike: the object a path names, hard links and mounts
 * below a blocked directory, watches for paths that do not exist yet
 * (hx_pend_*); temp_directory.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "helixagent.skel.h"
#include "helixagent/abi.h"
#include "helixagent/abi_file.h"
#include "internal.h"
#include "util/str.h"

/*
 * A file under a blocked directory that has another name elsewhere (a hard
 * link) would be judged by that other name's ancestors. Such files get a
 * rule of their own, found by scanning the blocked tree at load.
 */
#define HX_LINK_SCAN_MAX 200000
static struct {
	struct hx_loader_build *b;
	struct hx_inode_key key;
	uint32_t rule_id;
	size_t seen;
	int err;
} scan;

static int scan_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (++scan.seen > HX_LINK_SCAN_MAX)
		return 1;
	if (flag != FTW_F || st->st_nlink < 2 || S_ISDIR(st->st_mode))
		return 0;
	scan.key.dev = hx_kdev(st->st_dev);
	scan.key.ino = st->st_ino;
	scan.err = hx_add_inode_rule(scan.b, &scan.key, scan.rule_id, 0,
				     HX_ACC_R | HX_ACC_W | HX_ACC_X);
	return scan.err ? 1 : 0;
}

static int cover_hard_links(struct hx_loader_build *b, const struct hx_inode_key *dir_key,
			    uint32_t rule_id, const struct hx_path_rule *r,
			    const struct hx_sandbox *s, struct hx_diags *diags)
{
	scan.b = b;
	scan.key = *dir_key;
	scan.rule_id = rule_id;
	scan.seen = 0;
	scan.err = 0;
	nftw(r->path, scan_one, 32, FTW_PHYS);
	if (scan.err)
		return scan.err;
	if (scan.seen > HX_LINK_SCAN_MAX)
		hx_loader_diag(
			diags, HX_DIAG_WARNING, r->src,
			"sandbox '%s': %s '%s' holds more than %d entries; hard links beyond them are judged by their other names",
			s->name, r->name, r->path, HX_LINK_SCAN_MAX);
	return 0;
}

/*
 * Watched paths. A rule whose path does not exist at load is watched from
 * its deepest existing directory: from then on the kernel writes the rule
 * for the object the moment its name appears, whoever creates it
 * (bpf/file.bpf.c, hx_pend_*). One watch per missing path; its targets are
 * the rules (of every sandbox and family) waiting for it.
 */
struct fs_watch {
	const char *path;
	size_t base; /* path[0..base) is the directory watched at compile */
	uint32_t ncomp;
	char comp[HX_PEND_DEPTH][HX_PEND_NAME]; /* the missing components below it */
	struct hx_pend_target *targets;
	size_t ntarget;
};

static int fs_watch_add(struct hx_loader_build *b, const struct hx_inode_key *key, uint32_t rule_id,
			unsigned allow, unsigned deny, const struct hx_path_rule *r,
			const struct hx_sandbox *s, struct hx_diags *diags, int why)
{
	struct hx_pend_target t = {
		.key = *key,
		.rule = { .rule_id = rule_id, .allow = (__u8)allow, .deny = (__u8)deny }
	};
	struct hx_pend_target *nt;
	struct fs_watch *w = NULL;
	char dir[PATH_MAX];
	const char *p;
	struct stat st;
	char *slash;
	size_t i;

	hx_strlcpy(dir, r->path, sizeof(dir));
	for (;;) {
		slash = strrchr(dir, '/');
		if (!slash)
			goto unwatched;
		if (slash == dir)
			slash[1] = 0;
		else
			*slash = 0;
		if (!stat(dir, &st))
			break;
		if (slash == dir)
			goto unwatched;
	}
	if (!S_ISDIR(st.st_mode))
		goto unwatched;
	for (i = 0; i < b->nwatch; i++)
		if (!strcmp(b->watches[i].path, r->path))
			w = &b->watches[i];
	if (!w) {
		struct fs_watch nw = { .path = r->path, .base = strlen(dir) }, *nv;

		for (p = r->path + nw.base; *p == '/'; p++)
			;
		while (*p) {
			size_t len = strcspn(p, "/");

			if (nw.ncomp == HX_PEND_DEPTH || len >= HX_PEND_NAME)
				goto unwatched;
			memcpy(nw.comp[nw.ncomp++], p, len);
			for (p += len; *p == '/'; p++)
				;
		}
		if (!nw.ncomp)
			goto unwatched;
		if (b->nwatch == HX_MAX_PEND) {
			hx_loader_diag(
				diags, HX_DIAG_ERROR, r->src,
				"sandbox '%s': %s '%s' does not exist, and the kernel watches at most %d missing paths",
				s->name, r->name, r->path, HX_MAX_PEND);
			return 0;
		}
		nv = realloc(b->watches, (b->nwatch + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->watches = nv;
		w = &nv[b->nwatch++];
		*w = nw;
	}
	if (w->ntarget == HX_PEND_TARGETS) {
		hx_loader_diag(
			diags, HX_DIAG_ERROR, r->src,
			"sandbox '%s': %s '%s' does not exist, and at most %d rules may wait for one missing path",
			s->name, r->name, r->path, HX_PEND_TARGETS);
		return 0;
	}
	nt = realloc(w->targets, (w->ntarget + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	w->targets = nt;
	nt[w->ntarget++] = t;
	hx_loader_diag(
		diags, HX_DIAG_WARNING, r->src,
		"sandbox '%s': %s '%s' does not exist (%s); watched from %s: enforced the moment it appears",
		s->name, r->name, r->path, strerror(why), dir);
	return 0;
unwatched:
	hx_loader_diag(
		diags, HX_DIAG_WARNING, r->src,
		"sandbox '%s': %s '%s' does not exist (%s) and cannot be watched (more than %d missing levels, a name longer than %d bytes or no directory above it); the rule is not in effect until a reload finds it",
		s->name, r->name, r->path, strerror(why), HX_PEND_DEPTH, HX_PEND_NAME - 1);
	return 0;
}

static void fs_watch_free(struct hx_loader_build *b)
{
	for (size_t i = 0; i < b->nwatch; i++)
		free(b->watches[i].targets);
	free(b->watches);
}

/* A rule for an object, merged into what the slot holds: a refusal wins. */
static int fs_watch_put_rule(int fd, struct hx_inode_key *key, const struct hx_inode_rule *rule)
{
	struct hx_inode_rule cur;

	if (!bpf_map_lookup_elem(fd, key, &cur)) {
		if (rule->deny && !cur.deny)
			cur.rule_id = rule->rule_id;
		cur.allow |= rule->allow;
		cur.deny |= rule->deny;
		cur.flags &= rule->flags;
		rule = &cur;
	}
	return bpf_map_update_elem(fd, key, rule, BPF_ANY) ? -errno : 0;
}

/* Adds (watch @i, component @k) to what waits for @pk's name in @pk's directory. */
static int fs_watch_wait(int fd, struct hx_pend_key *pk, uint32_t i, uint32_t k)
{
	for (pk->part = 0; pk->part < HX_PEND_PARTS; pk->part++) {
		struct hx_pend_val pv;
		uint32_t j;

		if (bpf_map_lookup_elem(fd, pk, &pv))
			memset(&pv, 0, sizeof(pv));
		for (j = 0; j < pv.n && j < HX_PEND_FAN; j++)
			if (pv.e[j].watch == i && pv.e[j].comp == k)
				return 0;
		if (pv.n >= HX_PEND_FAN)
			continue;
		pv.e[pv.n].watch = i;
		pv.e[pv.n].comp = k;
		pv.n++;
		return bpf_map_update_elem(fd, pk, &pv, BPF_ANY) ? -errno : 0;
	}
	return -ENOSPC;
}

/*
 * Arms watch @i: waits for its first missing component in the directory
 * watched. A component that appeared since compile (or appears while this
 * runs) is followed: each level is armed before it is looked at again, so a
 * name appears either before its look (and is seen here) or after its arming
 * (and is seen by the kernel).
 */
static int fs_watch_arm(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot, uint32_t i,
			struct hx_diags *diags)
{
	struct hx_bpf *s = l->skel;
	const struct fs_watch *w = &b->watches[i];
	char dir[PATH_MAX];
	struct stat st;
	size_t len;
	uint32_t k;
	int err;

	hx_strlcpy(dir, w->path, w->base + 1 < sizeof(dir) ? w->base + 1 : sizeof(dir));
	if (stat(dir, &st)) {
		hx_loader_diag(diags, HX_DIAG_ERROR, (struct hx_src){ 0 },
			       "'%s': the directory %s vanished during the load", w->path, dir);
		return 0;
	}
	for (k = 0;; k++) {
		struct hx_pend_key pk;

		if (k == w->ncomp) {
			for (size_t t = 0; t < w->ntarget; t++) {
				struct hx_inode_key key = w->targets[t].key;

				key.dev = hx_kdev(st.st_dev);
				key.ino = st.st_ino;
				err = fs_watch_put_rule(bpf_map__fd(s->maps.hx_inode), &key,
							&w->targets[t].rule);
				if (err)
					return err;
			}
			return 0;
		}
		memset(&pk, 0, sizeof(pk));
		pk.dev = hx_kdev(st.st_dev);
		pk.ino = st.st_ino;
		pk.slot = slot;
		memcpy(pk.name, w->comp[k], sizeof(pk.name));
		err = fs_watch_wait(bpf_map__fd(s->maps.hx_pend), &pk, i, k);
		if (err == -ENOSPC) {
			hx_loader_diag(
				diags, HX_DIAG_ERROR, (struct hx_src){ 0 },
				"'%s': more than %d missing rule paths wait for '%s' in one directory",
				w->path, HX_PEND_FAN * HX_PEND_PARTS, w->comp[k]);
			return 0;
		}
		if (err)
			return err;
		len = strlen(dir);
		snprintf(dir + len, sizeof(dir) - len, "%s%s", strcmp(dir, "/") ? "/" : "",
			 w->comp[k]);
		if (stat(dir, &st) || (!S_ISDIR(st.st_mode) && k + 1 < w->ncomp))
			return 0; /* armed: the kernel takes it from here */
	}
}

static int fs_watch_install(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot,
			    struct hx_diags *diags)
{
	struct hx_bpf *s = l->skel;
	struct hx_pend_slot ps = { .generation = l->generation + 1, .nwatch = (__u32)b->nwatch };
	uint32_t first = 0;
	int err;

	if (!b->nwatch)
		return 0;
	for (uint32_t i = 0; i < b->nwatch; i++)
		first += (uint32_t)b->watches[i].ntarget;
	if (first > HX_MAX_PEND_TARGETS) {
		hx_loader_diag(diags, HX_DIAG_ERROR, (struct hx_src){ 0 },
			       "%u rules wait for missing paths; the kernel holds at most %d",
			       first, HX_MAX_PEND_TARGETS);
		return -EINVAL;
	}
	/* Slot first: the kernel follows the entries as soon as they are written. */
	if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_pslot), &slot, &ps, BPF_ANY))
		return -errno;
	first = 0;
	for (uint32_t i = 0; i < b->nwatch; i++) {
		const struct fs_watch *w = &b->watches[i];
		struct hx_pend_watch pw = { .first = first,
					    .ntarget = (__u32)w->ntarget,
					    .ncomp = w->ncomp };
		__u32 wi = slot * HX_MAX_PEND + i;

		for (size_t t = 0; t < w->ntarget; t++, first++) {
			__u32 ti = slot * HX_MAX_PEND_TARGETS + first;

			if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_ptarget), &ti,
						&w->targets[t], BPF_ANY))
				return -errno;
		}
		if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_pwatch), &wi, &pw, BPF_ANY))
			return -errno;
		for (uint32_t k = 0; k < w->ncomp; k++) {
			__u32 ci = wi * HX_PEND_DEPTH + k;
			struct hx_pend_comp pc;

			memcpy(pc.name, w->comp[k], sizeof(pc.name));
			if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_pcomp), &ci, &pc, BPF_ANY))
				return -errno;
		}
	}
	for (uint32_t i = 0; i < b->nwatch; i++) {
		err = fs_watch_arm(l, b, slot, i, diags);
		if (err)
			return err;
	}
	return diags->errors ? -EINVAL : 0;
}

/* Forgets the watches of @slot. */
static void fs_watch_clear(struct hx_loader *l, uint32_t slot)
{
	int fd = bpf_map__fd(l->skel->maps.hx_pend);
	struct hx_pend_slot ps = { 0 };
	struct hx_pend_key key, next;
	void *prev = NULL;

	bpf_map_update_elem(bpf_map__fd(l->skel->maps.hx_pslot), &slot, &ps, BPF_ANY);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (next.slot == slot) {
			bpf_map_delete_elem(fd, &next);
			prev = NULL;
			continue;
		}
		key = next;
		prev = &key;
	}
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void mountinfo_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

/*
 * A filesystem mounted below a rule's directory has no ancestors of its own
 * above its root: reached through a second mount of it (a bind mount
 * elsewhere, an open_tree() clone, another mount namespace), the walk never
 * meets the directory. So the root of every whole-filesystem mount (its
 * mountinfo root is "/") whose mountpoint lies below a rule's directory gets
 * that rule: the most specific one, as the walk through the mountpoint
 * would find. A bind mount of a subdirectory keeps its real ancestors and
 * is judged by them. Mounts present at load and at each reload are covered;
 * one made later is judged through its mountpoint until the next reload.
 */
static int cover_mounts(struct hx_loader_build *b, uint32_t slot, uint32_t sbx, uint8_t family,
			const struct hx_path_rules *rules, const int *ids)
{
	char line[2 * PATH_MAX + 256], root[PATH_MAX], mp[PATH_MAX], real[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char **paths;
	int err = 0;

	if (!f)
		return 0; /* no /proc: nothing is known to be mounted */
	paths = calloc(rules->n ? rules->n : 1, sizeof(*paths));
	if (!paths) {
		fclose(f);
		return -ENOMEM;
	}
	for (size_t i = 0; i < rules->n; i++)
		if (ids[i] >= 0 && realpath(rules->v[i].path, real))
			paths[i] = strdup(real);
	while (!err && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		size_t best_len = 0, best = rules->n;
		struct stat st;

		if (sscanf(line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, mp) != 4)
			continue;
		mountinfo_unescape(root);
		mountinfo_unescape(mp);
		if (strcmp(root, "/") || !strcmp(mp, "/"))
			continue;
		for (size_t i = 0; i < rules->n; i++) {
			size_t len = paths[i] ? strlen(paths[i]) : 0;

			if (!len)
				continue;
			if (!strcmp(paths[i], "/"))
				len = 0;
			if (strncmp(mp, paths[i], len) || mp[len] != '/' ||
			    (best < rules->n && len < best_len))
				continue;
			best = i;
			best_len = len;
		}
		/* (an overmounted mount cannot be reached by its path: stat shows the top one) */
		if (best == rules->n || stat(mp, &st) || major(st.st_dev) != maj ||
		    minor(st.st_dev) != min)
			continue;
		{
			const struct hx_path_rule *r = &rules->v[best];
			struct hx_inode_key key = { .dev = hx_kdev(st.st_dev),
						    .ino = st.st_ino,
						    .slot = slot,
						    .sbx = (__u16)sbx,
						    .family = family };

			err = hx_add_inode_rule(b, &key, (uint32_t)ids[best],
						r->block ? 0 : r->perms,
						r->block ? (HX_ACC_R | HX_ACC_W | HX_ACC_X) : 0);
		}
	}
	for (size_t i = 0; i < rules->n; i++)
		free(paths[i]);
	free(paths);
	fclose(f);
	return err;
}

static int compile_path_rules_ids(struct hx_loader_build *b, uint32_t slot, uint32_t sbx,
				  uint8_t family, const struct hx_sandbox *s,
				  const struct hx_path_rules *rules, struct hx_diags *diags,
				  int *ids)
{
	for (size_t i = 0; i < rules->n; i++) {
		const struct hx_path_rule *r = &rules->v[i];
		struct hx_inode_key key = { .slot = slot, .sbx = (__u16)sbx, .family = family };
		struct stat st;
		unsigned allow, deny;
		int id, err;

		allow = r->block ? 0 : r->perms;
		deny = r->block ? (HX_ACC_R | HX_ACC_W | HX_ACC_X) : 0;
		/* The rule names the real object: stat follows symlinks. */
		if (stat(r->path, &st)) {
			int why = errno;

			id = hx_rules_add(&b->out, sbx, family, r->name, r->path);
			if (id < 0)
				return id;
			err = fs_watch_add(b, &key, (uint32_t)id, allow, deny, r, s, diags, why);
			if (err)
				return err;
			ids[i] = -1; /* watched: no mount can be below it yet */
			continue;
		}
		key.dev = hx_kdev(st.st_dev);
		key.ino = st.st_ino;
		id = hx_rules_add(&b->out, sbx, family, r->name, r->path);
		if (id < 0)
			return id;
		ids[i] = S_ISDIR(st.st_mode) ? id : -1;
		err = hx_add_inode_rule(b, &key, (uint32_t)id, allow, deny);
		if (err)
			return err;
		if (r->block && S_ISDIR(st.st_mode)) {
			err = cover_hard_links(b, &key, (uint32_t)id, r, s, diags);
			if (err)
				return err;
		}
	}
	return 0;
}

int hx_compile_path_rules(struct hx_loader_build *b, uint32_t slot, uint32_t sbx, uint8_t family,
			  const struct hx_sandbox *s, const struct hx_path_rules *rules,
			  struct hx_diags *diags)
{
	int *ids = calloc(rules->n ? rules->n : 1, sizeof(*ids));
	int err;

	if (!ids)
		return -ENOMEM;
	err = compile_path_rules_ids(b, slot, sbx, family, s, rules, diags, ids);
	if (!err)
		err = cover_mounts(b, slot, sbx, family, rules, ids);
	free(ids);
	return err;
}

/* temp_directory: a working directory the sandbox may read and write, made if missing. */
static int compile_temp_dir(struct hx_loader_build *b, uint32_t slot, uint32_t sbx,
			    const struct hx_sandbox *s, struct hx_diags *diags)
{
	struct hx_path_rules one = { 0 };
	struct hx_path_rule r = { .path = s->fs.temp_directory,
				  .perms = HX_ACC_R | HX_ACC_W,
				  .name = "filesystem.temp_directory" };

	if (!s->fs.temp_directory)
		return 0;
	if (mkdir(s->fs.temp_directory, 01777) && errno != EEXIST)
		hx_loader_diag(diags, HX_DIAG_WARNING, r.src, "sandbox '%s': cannot create %s: %s",
			       s->name, s->fs.temp_directory, strerror(errno));
	one.v = &r;
	one.n = 1;
	return hx_compile_path_rules(b, slot, sbx, HX_FAM_FILE, s, &one, diags);
}

static __u32 file_sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s)
{
	__u32 f = hx_section_flags(s->fs.present, s->fs.default_policy, s->perms.allow_filesystem,
				   HX_SBX_FS_PRESENT, HX_SBX_FS_DEFAULT_DENY, HX_SBX_FS_FORBIDDEN);

	(void)p;
	if (s->fs.allow_symlinks == HX_NO)
		f |= HX_SBX_FS_NO_SYMLINKS;
	return f;
}

static int file_compile(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot, uint32_t i,
			const struct hx_policy *p, struct hx_diags *diags)
{
	const struct hx_sandbox *sb = &p->sandboxes[i];
	int err = 0;

	(void)l;
	if (sb->fs.present) {
		err = hx_compile_path_rules(b, slot, i, HX_FAM_FILE, sb, &sb->fs.rules, diags);
		if (!err)
			err = compile_temp_dir(b, slot, i, sb, diags);
	}
	return err;
}

static int file_install(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot,
			const struct hx_policy *p, struct hx_diags *diags)
{
	(void)p;
	return fs_watch_install(l, b, slot, diags);
}

HX_FAMILY(file, HX_FAM_FILE, .sbx_flags = file_sbx_flags, .compile = file_compile,
	  .install = file_install, .clear = fs_watch_clear, .release = fs_watch_free);
