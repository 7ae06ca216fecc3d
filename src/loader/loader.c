// SPDX-License-Identifier: GPL-2.0
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "helixagent.skel.h"
#include "helixagent/abi.h"
#include "family.h"
#include "loader.h"
#include "probe.h"
#include "sha256.h"
#include "net/net.h"
#include "util/cgroup.h"
#include "util/str.h"

static void compiled_free(struct hx_compiled *c)
{
	for (size_t i = 0; i < c->nsbx; i++) {
		free(c->sbx[i].name);
		free(c->sbx[i].cgroup);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		free(c->rules[i].name);
		free(c->rules[i].path);
	}
	free(c->sbx);
	free(c->rules);
	memset(c, 0, sizeof(*c));
}

void hx_compiled_free(struct hx_compiled *c)
{
	compiled_free(c);
}

/* What the kernel maps hold; a policy needing more is refused with the number it needed. */
const struct hx_capacity hx_kernel_capacity = {
	.sandboxes = HX_MAX_SANDBOXES,
	.path_rules = HX_MAX_INODE_RULES,
	.blocked_commands = HX_MAX_COMMANDS,
};

/* Number of parameters of a kernel function, from the kernel's BTF; -errno if unknown. */
int hx_btf_func_nargs(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, n;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id < 0) {
		btf__free(btf);
		return id;
	}
	t = btf__type_by_id(btf, btf__type_by_id(btf, (__u32)id)->type);
	n = t ? btf_vlen(t) : -ENOENT;
	btf__free(btf);
	return n;
}

static int pin_map(struct bpf_map *m)
{
	char path[256];

	snprintf(path, sizeof(path), HX_PIN_DIR "/%s", bpf_map__name(m));
	return bpf_map__set_pin_path(m, path);
}

/* Keeps @link for hx_loader_close; a link that does not fit is let go at once. */
static int keep_link(struct hx_loader *l, struct bpf_link *link)
{
	if (l->nlinks >= sizeof(l->links) / sizeof(l->links[0])) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	l->links[l->nlinks++] = link;
	return 0;
}

/* What this daemon would load: the object, the programs chosen for this kernel, the kernel. */
static void build_id(struct hx_bpf *s, struct hx_build *b)
{
	struct bpf_program *prog;
	struct utsname u;
	size_t sz, len = 0, cap = 4096;
	char *buf = malloc(cap), hex[65];
	const void *elf = hx_bpf__elf_bytes(&sz);

	memset(b, 0, sizeof(*b));
	if (!buf)
		return;
	hx_sha256_hex(elf, sz, hex);
	len = (size_t)snprintf(buf, cap, "%s", hex);
	if (!uname(&u))
		len += (size_t)snprintf(buf + len, cap - len, " %s %s", u.release, u.version);
	bpf_object__for_each_program(prog, s->obj) {
		if (!bpf_program__autoload(prog) || len >= cap)
			continue;
		len += (size_t)snprintf(buf + len, cap - len, " %s", bpf_program__name(prog));
	}
	if (len < cap) {
		hx_sha256_hex(buf, len, hex);
		memcpy(b->id, hex, sizeof(b->id));
	}
	free(buf);
}

static void link_pin_path(char *path, size_t n, const struct bpf_program *prog)
{
	snprintf(path, n, HX_PIN_DIR "/link_%s", bpf_program__name(prog));
}

/*
 * The pinned links run this very build (a restart of the same binary on the same
 * kernel, after kill -9 or a stop): every one of them is there and hx_build
 * names this build. Then there is nothing to verify or attach again.
 */
static bool can_adopt(struct hx_bpf *s, const struct hx_build *want)
{
	struct bpf_program *prog;
	struct hx_build have;
	char path[256];
	__u32 zero = 0;
	bool ok;
	int fd;

	if (!want->id[0])
		return false;
	fd = bpf_obj_get(HX_PIN_DIR "/hx_build");
	if (fd < 0)
		return false;
	ok = !bpf_map_lookup_elem(fd, &zero, &have) && !memcmp(have.id, want->id, sizeof(have.id));
	close(fd);
	bpf_object__for_each_program(prog, s->obj) {
		if (!ok)
			break;
		if (!bpf_program__autoload(prog))
			continue;
		link_pin_path(path, sizeof(path), prog);
		ok = access(path, F_OK) == 0;
	}
	return ok;
}

/* Names this process and the host's namespaces (its own) to the guard (hx_guard). */
static int guard_register(int fd)
{
	struct hx_guard g = { .agent_tgid = (__u32)getpid() };
	struct stat st;
	__u32 zero = 0;

	if (!stat("/proc/self/ns/mnt", &st))
		g.host_mntns = (__u32)st.st_ino;
	if (!stat("/proc/self/ns/net", &st))
		g.host_netns = (__u32)st.st_ino;
	if (!stat("/proc/self/ns/uts", &st))
		g.host_utsns = (__u32)st.st_ino;
	return bpf_map_update_elem(fd, &zero, &g, BPF_ANY) ? -errno : 0;
}

/* Whether @pid runs (a zombie, killed and not yet reaped, does not). */
static bool process_alive(pid_t pid)
{
	char path[64], buf[256], *end;
	FILE *f;
	bool alive = true;

	if (kill(pid, 0) && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno != ENOENT;
	if (fgets(buf, sizeof(buf), f) && (end = strrchr(buf, ')')) && end[1] == ' ')
		alive = end[2] != 'Z' && end[2] != 'X';
	fclose(f);
	return alive;
}

/*
 * A restart: the pinned guard still names the old daemon. The daemon names
 * itself before anything else: probing, verifying and attaching take seconds
 * (minutes under emulation), and meanwhile the sandboxes could signal it.
 * Nothing pinned (a first start): the load registers it.
 */
void hx_loader_name_agent(void)
{
	int fd = bpf_obj_get(HX_PIN_DIR "/hx_guard");
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	struct hx_guard g = { 0 };

	if (fd < 0)
		return;
	/* A map of another shape is an older build's: the load will say so. A
	 * daemon still alive keeps the guard (this start will find it running). */
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
	    info.value_size == sizeof(struct hx_guard) && !bpf_map_lookup_elem(fd, &zero, &g) &&
	    (!g.agent_tgid || !process_alive((pid_t)g.agent_tgid)))
		guard_register(fd);
	close(fd);
}

static void note_prog(struct hx_loader *l, const struct bpf_program *prog)
{
	if (l->nprogs < sizeof(l->progs) / sizeof(l->progs[0]) &&
	    asprintf(&l->progs[l->nprogs], "%s link_%s", bpf_program__section_name(prog),
		     bpf_program__name(prog)) > 0)
		l->nprogs++;
}

int hx_loader_open(struct hx_loader *l, const char **what)
{
	struct hx_bpf *s;
	struct bpf_map *m;
	struct bpf_program *prog;
	struct hx_live live = {};
	struct hx_build build;
	__u32 zero = 0;
	int err;

	*what = "find the cgroup2 mount";
	err = hx_cgroup2_root(l->cg_root, sizeof(l->cg_root));
	if (err)
		return err;
	{
		/* Mounted inside a cgroup namespace, the mount's root is not the
		 * hierarchy's (id 1), and the kernel's paths are not ours. */
		uint64_t root_id = 0;

		l->cg_hier_root = !hx_cgroup_id(l->cg_root, "/", &root_id) && root_id == 1;
	}

	*what = "create " HX_PIN_DIR;
	if (mkdir(HX_PIN_DIR, 0700) && errno != EEXIST)
		return -errno;

	hx_loader_name_agent();

	*what = "open the BPF object";
	s = hx_bpf__open();
	if (!s)
		return -errno;
	l->skel = s;

	bpf_map__set_max_entries(s->maps.hx_cgrp, HX_SLOTS * HX_MAX_SANDBOXES);
	bpf_map__set_max_entries(s->maps.hx_sbx, HX_SLOTS * HX_MAX_SANDBOXES);
	bpf_map__set_max_entries(s->maps.hx_inode, HX_SLOTS * HX_MAX_INODE_RULES);
	bpf_map__set_max_entries(s->maps.hx_stats, HX_SLOTS * HX_MAX_SANDBOXES * HX_FAM_MAX);
	bpf_map__set_max_entries(s->maps.hx_cmds, HX_SLOTS * HX_MAX_COMMANDS);
	bpf_map__set_max_entries(s->maps.hx_rate, HX_SLOTS * HX_MAX_SANDBOXES);
	bpf_map__set_max_entries(s->maps.hx_cgpath, HX_SLOTS * HX_MAX_SANDBOXES);
	bpf_map__set_map_flags(s->maps.hx_rate, BPF_F_NO_PREALLOC);
	bpf_map__set_map_flags(s->maps.hx_cmds, BPF_F_NO_PREALLOC);
	/* Policy maps are big; allocate entries only when used. */
	bpf_map__set_map_flags(s->maps.hx_inode, BPF_F_NO_PREALLOC);
	bpf_map__set_map_flags(s->maps.hx_cgrp, BPF_F_NO_PREALLOC);
	bpf_map__set_map_flags(s->maps.hx_sbx, BPF_F_NO_PREALLOC);

	/* Pinned maps are reused, so a restarted daemon adopts the live policy. */
	bpf_object__for_each_map(m, s->obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY &&
		    !strcmp(bpf_map__name(m), "hx_scratch"))
			continue;
		if (strncmp(bpf_map__name(m), "hx_", 3))
			continue; /* .rodata and friends */
		err = pin_map(m);
		if (err) {
			*what = "set map pin paths";
			return err;
		}
	}

	/* path_rename gained a flags argument in 5.19: keep the program matching this kernel. */
	{
		int nargs = hx_btf_func_nargs("bpf_lsm_path_rename");
		bool five = nargs == 5;

		bpf_program__set_autoload(s->progs.hx_path_rename, !five);
		bpf_program__set_autoload(s->progs.hx_path_rename5, five);
	}
	/* inode_setxattr/removexattr gained a namespace argument in 5.12. */
	{
		bool ns = hx_btf_func_nargs("bpf_lsm_inode_setxattr") == 6;
		bool rns = hx_btf_func_nargs("bpf_lsm_inode_removexattr") == 3;

		bpf_program__set_autoload(s->progs.hx_setxattr, !ns);
		bpf_program__set_autoload(s->progs.hx_setxattr_ns, ns);
		bpf_program__set_autoload(s->progs.hx_rmxattr, !rns);
		bpf_program__set_autoload(s->progs.hx_rmxattr_ns, rns);
	}
	/* 32-bit ioctls have had a hook of their own since 6.8; perf_event_open lost its attr argument. */
	bpf_program__set_autoload(s->progs.hx_file_ioctl_compat,
				  hx_probe_lsm_hook("file_ioctl_compat") == 0);
	{
		int n = hx_btf_func_nargs("bpf_lsm_perf_event_open");

		bpf_program__set_autoload(s->progs.hx_perf_event_open, n == 2);
		bpf_program__set_autoload(s->progs.hx_perf_event_open1, n == 1);
	}
	/* security_bpf gained a "kernel" argument in 6.14. */
	{
		bool four = hx_btf_func_nargs("bpf_lsm_bpf") == 4;

		bpf_program__set_autoload(s->progs.hx_bpf, !four);
		bpf_program__set_autoload(s->progs.hx_bpf4, four);
	}
	/* Without io threads (before 5.12 and their 5.10.162 backport) io_uring's workers
	 * escape every cgroup: bpf/uring.bpf.c. HX_URING_REFUSE=1 loads it anyway (VM tests). */
	bpf_program__set_autoload(s->progs.hx_uring_mmap,
				  hx_btf_func_nargs("create_io_thread") < 0 ||
					  (getenv("HX_URING_REFUSE") &&
					   !strcmp(getenv("HX_URING_REFUSE"), "1")));
	/* path_chown takes struct arguments, which trampolines accept from 6.0 on. */
	{
		bool chown_ok = hx_probe_lsm_hook("path_chown") == 0;

		bpf_program__set_autoload(s->progs.hx_path_chown, chown_ok);
		bpf_program__set_autoload(s->progs.hx_setattr_chown, !chown_ok);
	}

	if (l->only_prog_type)
		bpf_object__for_each_program(prog, s->obj)
			if ((int)bpf_program__type(prog) != l->only_prog_type)
				bpf_program__set_autoload(prog, false);

	build_id(s, &build);
	l->adopted = !l->only_prog_type && can_adopt(s, &build);
	if (l->adopted) {
		/* Maps only: the programs already run, from the pinned links. */
		bpf_object__for_each_program(prog, s->obj) {
			struct bpf_link *link;
			char path[256];

			if (!bpf_program__autoload(prog))
				continue;
			*what = "open a pinned link";
			link_pin_path(path, sizeof(path), prog);
			link = bpf_link__open(path);
			if (!link)
				return -errno;
			if (keep_link(l, link))
				return -E2BIG;
			note_prog(l, prog);
			bpf_program__set_autoload(prog, false);
		}
	}

	*what = "load the BPF programs (run with -v for the verifier log)";
	err = hx_bpf__load(s);
	if (err)
		return err;

	if (!l->adopted) {
		/* The links are about to change: no later start may adopt a mix. */
		struct hx_build none = { 0 };

		*what = "write hx_build";
		if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_build), &zero, &none, BPF_ANY))
			return -errno;
	}

	/* Attach new links first, then replace the pins: never a moment unhooked. */
	bpf_object__for_each_program(prog, s->obj) {
		struct bpf_link *link;
		char path[256];

		if (!bpf_program__autoload(prog))
			continue;
		*what = bpf_program__section_name(prog);
		link = hx_net_attach(l, prog); /* cgroup programs: at the cgroup2 root */
		if (!link)
			return -errno;
		if (keep_link(l, link))
			return -E2BIG;
		link_pin_path(path, sizeof(path), prog);
		unlink(path);
		err = bpf_link__pin(link, path);
		if (err)
			return err;
		note_prog(l, prog);
		/* The pin holds the link; the daemon's fd is kept for repinning only. */
	}
	if (!l->adopted && !l->only_prog_type) {
		*what = "write hx_build";
		if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_build), &zero, &build, BPF_ANY))
			return -errno;
	}

	*what = "register the agent with the guard";
	err = guard_register(bpf_map__fd(s->maps.hx_guard));
	if (err)
		return err;

	*what = "read the live policy slot";
	err = bpf_map_lookup_elem(bpf_map__fd(s->maps.hx_live), &zero, &live);
	if (err)
		return -errno;
	l->slot = live.slot & 1;
	l->generation = live.generation;
	return 0;
}

/* Kernel dev_t encoding, as the BPF side reads it from the superblock. */
static __u64 kdev(dev_t d)
{
	return ((__u64)major(d) << 20) | minor(d);
}

struct inode_entry {
	struct hx_inode_key key;
	struct hx_inode_rule rule;
};

struct fs_watch;
struct build {
	struct inode_entry *ents;
	size_t n, cap;
	size_t ncmds;
	struct hx_compiled out;
	struct fs_watch *watches; /* rule paths missing at compile */
	size_t nwatch;
};

int hx_rules_add(struct hx_compiled *out, uint32_t sbx, uint8_t family, const char *name,
		 const char *path)
{
	struct hx_rule_info *nv = realloc(out->rules, (out->nrules + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	out->rules = nv;
	nv[out->nrules].sbx = sbx;
	nv[out->nrules].family = family;
	nv[out->nrules].name = strdup(name);
	nv[out->nrules].path = path ? strdup(path) : NULL;
	if (!nv[out->nrules].name || (path && !nv[out->nrules].path))
		return -ENOMEM;
	return (int)out->nrules++;
}

/* Adds a rule on an object; entries for the same object are merged later. */
static int add_inode_rule(struct build *b, struct hx_inode_key *key, uint32_t rule_id,
			  unsigned allow, unsigned deny)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		struct inode_entry *nv = realloc(b->ents, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		b->ents = nv;
		b->cap = ncap;
	}
	b->ents[b->n].key = *key;
	b->ents[b->n].rule = (struct hx_inode_rule){ .rule_id = rule_id,
						     .allow = (__u8)allow,
						     .deny = (__u8)deny };
	b->n++;
	return 0;
}

static int entry_cmp(const void *x, const void *y)
{
	const struct inode_entry *a = x, *b = y;
	int c = memcmp(&a->key, &b->key, sizeof(a->key));

	if (c)
		return c;
	/* the earlier rule first, so a merged entry names the first rule written */
	return a->rule.rule_id < b->rule.rule_id ? -1 : a->rule.rule_id > b->rule.rule_id;
}

/*
 * Several rules on one object (a sandbox rule on a path its base also names,
 * two spellings of one file): one entry, where a denial wins over a grant.
 */
static void merge_inode_rules(struct build *b)
{
	size_t o = 0;

	qsort(b->ents, b->n, sizeof(*b->ents), entry_cmp);
	for (size_t i = 0; i < b->n; i++) {
		struct inode_entry *e = &b->ents[i];

		if (o && !memcmp(&b->ents[o - 1].key, &e->key, sizeof(e->key))) {
			struct hx_inode_rule *m = &b->ents[o - 1].rule;

			if (e->rule.deny && !m->deny)
				m->rule_id = e->rule.rule_id;
			m->allow |= e->rule.allow;
			m->deny |= e->rule.deny;
			/* A guard entry merged with a real rule decides like the rule. */
			m->flags &= e->rule.flags;
			continue;
		}
		b->ents[o++] = *e;
	}
	b->n = o;
}

/*
 * A file under a blocked directory that has another name elsewhere (a hard
 * link) would be judged by that other name's ancestors. Such files get a
 * rule of their own, found by scanning the blocked tree at load.
 */
#define HX_LINK_SCAN_MAX 200000
static struct {
	struct build *b;
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
	scan.key.dev = kdev(st->st_dev);
	scan.key.ino = st->st_ino;
	scan.err =
		add_inode_rule(scan.b, &scan.key, scan.rule_id, 0, HX_ACC_R | HX_ACC_W | HX_ACC_X);
	return scan.err ? 1 : 0;
}

static int cover_hard_links(struct build *b, const struct hx_inode_key *dir_key, uint32_t rule_id,
			    const struct hx_path_rule *r, const struct hx_sandbox *s,
			    struct hx_diags *diags)
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

static int fs_watch_add(struct build *b, const struct hx_inode_key *key, uint32_t rule_id,
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

static void fs_watch_free(struct build *b)
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
static int fs_watch_arm(struct hx_loader *l, struct build *b, uint32_t slot, uint32_t i,
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

				key.dev = kdev(st.st_dev);
				key.ino = st.st_ino;
				err = fs_watch_put_rule(bpf_map__fd(s->maps.hx_inode), &key,
							&w->targets[t].rule);
				if (err)
					return err;
			}
			return 0;
		}
		memset(&pk, 0, sizeof(pk));
		pk.dev = kdev(st.st_dev);
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

static int fs_watch_install(struct hx_loader *l, struct build *b, uint32_t slot,
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
static int cover_mounts(struct build *b, uint32_t slot, uint32_t sbx, uint8_t family,
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
			struct hx_inode_key key = { .dev = kdev(st.st_dev),
						    .ino = st.st_ino,
						    .slot = slot,
						    .sbx = (__u16)sbx,
						    .family = family };

			err = add_inode_rule(b, &key, (uint32_t)ids[best], r->block ? 0 : r->perms,
					     r->block ? (HX_ACC_R | HX_ACC_W | HX_ACC_X) : 0);
		}
	}
	for (size_t i = 0; i < rules->n; i++)
		free(paths[i]);
	free(paths);
	fclose(f);
	return err;
}

static int compile_path_rules_ids(struct build *b, uint32_t slot, uint32_t sbx, uint8_t family,
				  const struct hx_sandbox *s, const struct hx_path_rules *rules,
				  struct hx_diags *diags, int *ids)
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
		key.dev = kdev(st.st_dev);
		key.ino = st.st_ino;
		id = hx_rules_add(&b->out, sbx, family, r->name, r->path);
		if (id < 0)
			return id;
		ids[i] = S_ISDIR(st.st_mode) ? id : -1;
		err = add_inode_rule(b, &key, (uint32_t)id, allow, deny);
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

static int compile_path_rules(struct build *b, uint32_t slot, uint32_t sbx, uint8_t family,
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
static int guard_names(struct build *b, uint32_t slot, uint32_t sbx, const char *path,
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
		key.dev = kdev(st.st_dev);
		key.ino = guard_name_hash(st.st_ino, name, len);
		err = add_inode_rule(b, &key, rule_id, 0, HX_ACC_W);
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
static int guard_path(struct build *b, uint32_t slot, uint32_t sbx, const char *path,
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
static int guard_writes(struct build *b, uint32_t slot, uint32_t sbx, const char *path,
			const char *name, bool regular_only)
{
	struct hx_inode_key key = { .slot = slot, .sbx = (__u16)sbx, .family = HX_FAM_FILE };
	struct stat st;
	int id, err;

	if (stat(path, &st) || (regular_only && !S_ISREG(st.st_mode)))
		return 0;
	key.dev = kdev(st.st_dev);
	key.ino = st.st_ino;
	id = hx_rules_add(&b->out, sbx, HX_FAM_FILE, name, path);
	if (id < 0)
		return id;
	err = add_inode_rule(b, &key, (uint32_t)id, 0, HX_ACC_W);
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
static int compile_guard(struct build *b, uint32_t slot, uint32_t sbx, const struct hx_policy *p,
			 const char *cg_root)
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
	err = add_inode_rule(b, &none, (uint32_t)id, 0, 0);
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

/* The policy's mount types are the kernel side's bits (HX_MNT_*), in the same order. */
_Static_assert(HX_MT_TMPFS == HX_MNT_TMPFS && HX_MT_PROC == HX_MNT_PROC &&
		       HX_MT_SYSFS == HX_MNT_SYSFS && HX_MT_MQUEUE == HX_MNT_MQUEUE &&
		       HX_MT_DEVPTS == HX_MNT_DEVPTS && HX_MT_RAMFS == HX_MNT_RAMFS &&
		       HX_MT_OVERLAY == HX_MNT_OVERLAY && HX_MT_BIND == HX_MNT_BIND &&
		       HX_MT_COUNT == HX_MNT_COUNT,
	       "containment.mount bits");

/* containment: the relaxations as hx_sbx_cfg.relax bits */
static __u8 contain_relax(const struct hx_containment *ct)
{
	return (__u8)((ct->kernel_tunables == HX_YES ? HX_RELAX_KERNEL_TUNABLES : 0) |
		      (ct->raw_devices == HX_YES ? HX_RELAX_RAW_DEVICES : 0) |
		      (ct->network_admin == HX_YES ? HX_RELAX_NETWORK_ADMIN : 0) |
		      (ct->system_time == HX_YES ? HX_RELAX_SYSTEM_TIME : 0));
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
static int guard_agent_code(struct build *b, uint32_t slot, uint32_t sbx)
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

/* FNV-1a over the words, each with its NUL, as bpf/exec.bpf.c hashes argv. */
static int command_key(const char *cmd, struct hx_cmd_key *key)
{
	__u64 h = HX_FNV_OFFSET;
	int words = 0;

	for (const char *p = cmd; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (++words > HX_CMD_WORDS)
			return -E2BIG;
		if (words == 1 && strchr(p, '/') && strchr(p, '/') < p + strcspn(p, " \t"))
			return -EINVAL; /* argv[0] is matched by its basename */
		while (*p && *p != ' ' && *p != '\t') {
			h ^= (unsigned char)*p++;
			h *= HX_FNV_PRIME;
		}
		h ^= 0;
		h *= HX_FNV_PRIME;
	}
	if (!words)
		return -EINVAL;
	key->hash = h;
	key->nwords = (__u8)words;
	return 0;
}

static int compile_commands(int fd, struct build *b, uint32_t slot, uint32_t sbx,
			    const struct hx_sandbox *s, const struct hx_strings *cmds,
			    const char *list, struct hx_diags *diags)
{
	for (size_t i = 0; i < cmds->n; i++) {
		struct hx_cmd_key key = { .slot = slot, .sbx = (__u16)sbx };
		struct hx_cmd_val val = { 0 };
		char name[96];
		int id, err;

		err = command_key(cmds->v[i], &key);
		if (err) {
			hx_loader_diag(diags, HX_DIAG_WARNING, s->src,
				       "sandbox '%s': %s[%zu] '%s' %s; not enforced in the kernel",
				       s->name, list, i, cmds->v[i],
				       err == -E2BIG ? "has more than 4 words" :
						       "must name a program by its basename");
			continue;
		}
		snprintf(name, sizeof(name), "%s[%zu]", list, i);
		id = hx_rules_add(&b->out, sbx, HX_FAM_EXEC, name, cmds->v[i]);
		if (id < 0)
			return id;
		val.rule_id = (__u32)id;
		if (bpf_map_update_elem(fd, &key, &val, BPF_NOEXIST) && errno != EEXIST)
			return -errno;
		b->ncmds++;
	}
	return 0;
}

/* temp_directory: a working directory the sandbox may read and write, made if missing. */
static int compile_temp_dir(struct build *b, uint32_t slot, uint32_t sbx,
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
	return compile_path_rules(b, slot, sbx, HX_FAM_FILE, s, &one, diags);
}

static __u32 sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s)
{
	__u32 f = 0;

	if (s->exec.present || s->perms.allow_exec == HX_NO)
		f |= HX_SBX_EXEC_PRESENT;
	if (s->exec.default_policy == HX_DEF_DENY)
		f |= HX_SBX_EXEC_DEFAULT_DENY;
	if (s->perms.allow_exec == HX_NO)
		f |= HX_SBX_EXEC_FORBIDDEN;
	if (s->fs.present || s->perms.allow_filesystem == HX_NO)
		f |= HX_SBX_FS_PRESENT;
	if (s->fs.default_policy == HX_DEF_DENY)
		f |= HX_SBX_FS_DEFAULT_DENY;
	if (s->perms.allow_filesystem == HX_NO)
		f |= HX_SBX_FS_FORBIDDEN;
	if (s->fs.allow_symlinks == HX_NO)
		f |= HX_SBX_FS_NO_SYMLINKS;
	f |= HX_SBX_GUARD;
	if (s->exec.blocked_commands.n || s->cmd.blocked_commands.n)
		f |= HX_SBX_CMDS;
	if (s->caps.present && (s->caps.drop & ~s->caps.add))
		f |= HX_SBX_CAPS;
	if (s->proc.no_new_privileges == HX_YES)
		f |= HX_SBX_NNP;
	if (p->audit_enabled && (p->audit_events & HX_AE_COMMAND_EXECUTE))
		f |= HX_SBX_AUDIT_EXEC_OK;
	/* Audit mode logs every would-deny, whatever the event list says. */
	if ((p->audit_enabled && (p->audit_events & HX_AE_PERMISSION_DENIED)) ||
	    s->mode == HX_PM_AUDIT)
		f |= HX_SBX_AUDIT_DENIED;
	f |= hx_net_sbx_flags(p, s);
	return f;
}

void hx_loader_diag(struct hx_diags *d, enum hx_diag_level lvl, struct hx_src src, const char *fmt,
		    ...)
{
	struct hx_diag *nv = realloc(d->v, (d->n + 1) * sizeof(*nv));
	va_list ap;

	if (!nv)
		return;
	d->v = nv;
	nv[d->n].level = lvl;
	nv[d->n].src = src;
	va_start(ap, fmt);
	if (vasprintf(&nv[d->n].msg, fmt, ap) < 0)
		nv[d->n].msg = NULL;
	va_end(ap);
	if (!nv[d->n].msg)
		return;
	d->n++;
	if (lvl == HX_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

#define diag_error(d, src, ...) hx_loader_diag(d, HX_DIAG_ERROR, src, __VA_ARGS__)

/*
 * Deletes every entry of @slot from a hash map whose key holds the slot at
 * @slot_off. One pass collects the keys (never deleting while iterating: a
 * deleted position makes the next lookup start over), then one batch delete
 * where the kernel has it (5.6), one by one otherwise.
 */
static void clear_slot(int fd, size_t keysz, size_t slot_off, uint32_t slot)
{
	char *keys = NULL, cur[64], next[64];
	size_t n = 0, cap = 0;
	bool have;

	if (keysz > sizeof(cur))
		return;
	have = !bpf_map_get_next_key(fd, NULL, next);
	while (have) {
		uint32_t ks;

		memcpy(cur, next, keysz);
		have = !bpf_map_get_next_key(fd, cur, next);
		memcpy(&ks, cur + slot_off, sizeof(ks));
		if (ks != slot)
			continue;
		if (n == cap) {
			char *nk = realloc(keys, (cap ? cap * 2 : 256) * keysz);

			if (!nk) {
				bpf_map_delete_elem(fd, cur); /* no memory: the slow way */
				continue;
			}
			keys = nk;
			cap = cap ? cap * 2 : 256;
		}
		memcpy(keys + n * keysz, cur, keysz);
		n++;
	}
	if (n) {
		__u32 count = (__u32)n;

		if (bpf_map_delete_batch(fd, keys, &count, NULL) || count != n) {
			/* Older kernel, or stopped part-way: the rest one by one. */
			for (size_t i = 0; i < n; i++)
				bpf_map_delete_elem(fd, keys + i * keysz);
		}
	}
	free(keys);
}

_Static_assert(HX_RL_SANDBOXES >= HX_MAX_SANDBOXES, "a rate limit bucket per sandbox");

/* rate_limit: one hx_rate entry per limited sandbox of @slot. */
static int install_rate_limits(struct hx_bpf *s, uint32_t slot, const struct hx_policy *p)
{
	for (uint32_t i = 0; i < p->nsandboxes; i++) {
		const struct hx_rate_limit *r = &p->sandboxes[i].rate_limit;
		struct hx_sbx_key k = { .slot = slot, .sbx = i };
		struct hx_rate_cfg v;
		uint64_t window;

		if (!r->events)
			continue;
		window = (uint64_t)r->window_s * 1000000000ull;
		v.interval_ns = window / r->events;
		if (!v.interval_ns)
			v.interval_ns = 1;
		v.tolerance_ns = window - v.interval_ns;
		if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_rate), &k, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * hx_cgpath: every sandbox's cgroup path, so that a cgroup made there after
 * the load is mapped in the kernel as it is created (cgroup.bpf.c). Not
 * possible when the cgroup2 mount is not the hierarchy's root, or for a
 * path too long for the key: the daemon's watch maps those.
 */
static int install_cgroup_paths(struct hx_loader *l, uint32_t slot, const struct hx_policy *p)
{
	int fd = bpf_map__fd(l->skel->maps.hx_cgpath);

	if (!l->cg_hier_root)
		return 0;
	for (uint32_t i = 0; i < p->nsandboxes; i++) {
		struct hx_cgpath_key k = { .slot = slot };
		struct hx_cgrp_val v = { .sbx = i };
		int n = hx_cgroup_kernel_path(p->sandboxes[i].cgroup, k.path, sizeof(k.path));

		/* Too long (cgroup.bpf.c ignores a path that fills the key), or
		 * "/", which is never made: left to the daemon's watch. */
		if (n < 2)
			continue;
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * An explicit cgroup that does not exist yet does not stop the install: the
 * sandbox's rules are installed without a cgroup, and the daemon maps the
 * cgroup once it appears (hx_loader_map_cgroup).
 */
static void cgroup_pending(struct hx_diags *diags, const struct hx_sandbox *sb, const char *root)
{
	hx_loader_diag(
		diags, HX_DIAG_WARNING, sb->src,
		"sandbox '%s': cgroup %s%s does not exist (yet); its rules apply as soon as it is created",
		sb->name, root, sb->cgroup);
}

int hx_loader_map_cgroup(struct hx_loader *l, uint32_t sbx, uint64_t cgid)
{
	int fd = bpf_map__fd(l->skel->maps.hx_cgrp);
	struct hx_cgrp_key ck = { .cgid = cgid, .slot = l->slot };
	struct hx_cgrp_val cv = { .sbx = sbx };
	uint64_t old;

	if (sbx >= l->cur.nsbx || !cgid)
		return -EINVAL;
	if (bpf_map_update_elem(fd, &ck, &cv, BPF_ANY))
		return -errno;
	old = l->cur.sbx[sbx].cgid;
	if (old && old != cgid) {
		ck.cgid = old;
		bpf_map_delete_elem(fd, &ck);
	}
	l->cur.sbx[sbx].cgid = cgid;
	return 0;
}

int hx_loader_install(struct hx_loader *l, const struct hx_policy *p, struct hx_diags *diags)
{
	struct hx_bpf *s = l->skel;
	uint32_t slot = l->slot ^ 1;
	struct build b = { 0 };
	struct hx_live live;
	__u32 zero = 0;
	int err = 0;

	if (hx_policy_check_capacity(p, &hx_kernel_capacity, diags))
		return -EINVAL;

	/* Leftovers from an interrupted install must not leak into this one. */
	clear_slot(bpf_map__fd(s->maps.hx_inode), sizeof(struct hx_inode_key),
		   offsetof(struct hx_inode_key, slot), slot);
	clear_slot(bpf_map__fd(s->maps.hx_cgrp), sizeof(struct hx_cgrp_key),
		   offsetof(struct hx_cgrp_key, slot), slot);
	clear_slot(bpf_map__fd(s->maps.hx_sbx), sizeof(struct hx_sbx_key),
		   offsetof(struct hx_sbx_key, slot), slot);
	clear_slot(bpf_map__fd(s->maps.hx_cmds), sizeof(struct hx_cmd_key),
		   offsetof(struct hx_cmd_key, slot), slot);
	clear_slot(bpf_map__fd(s->maps.hx_rate), sizeof(struct hx_sbx_key),
		   offsetof(struct hx_sbx_key, slot), slot);
	clear_slot(bpf_map__fd(s->maps.hx_cgpath), sizeof(struct hx_cgpath_key),
		   offsetof(struct hx_cgpath_key, slot), slot);
	hx_net_clear(l, slot);
	fs_watch_clear(l, slot);

	b.out.sbx = calloc(p->nsandboxes ? p->nsandboxes : 1, sizeof(*b.out.sbx));
	if (!b.out.sbx)
		return -ENOMEM;
	b.out.nsbx = p->nsandboxes;

	for (uint32_t i = 0; i < p->nsandboxes; i++) {
		const struct hx_sandbox *sb = &p->sandboxes[i];
		struct hx_sbx_info *si = &b.out.sbx[i];

		si->name = strdup(sb->name);
		si->cgroup = strdup(sb->cgroup);
		si->mode = sb->mode == HX_PM_AUDIT ? HX_MODE_AUDIT : HX_MODE_ENFORCE;
		if (!si->name || !si->cgroup) {
			err = -ENOMEM;
			goto out;
		}
		if (!sb->cgroup_explicit) {
			err = hx_cgroup_mkdir_p(l->cg_root, sb->cgroup);
			if (err) {
				diag_error(diags, sb->src,
					   "sandbox '%s': cannot create cgroup %s%s: %s", sb->name,
					   l->cg_root, sb->cgroup, strerror(-err));
				continue;
			}
		}
		err = hx_cgroup_id(l->cg_root, sb->cgroup, &si->cgid);
		if (err == -ENOENT && sb->cgroup_explicit) {
			cgroup_pending(diags, sb, l->cg_root);
			si->cgid = 0;
		} else if (err) {
			diag_error(diags, sb->src, "sandbox '%s': cgroup %s%s: %s", sb->name,
				   l->cg_root, sb->cgroup, strerror(-err));
			continue;
		}
		if (sb->exec.present) {
			err = compile_path_rules(&b, slot, i, HX_FAM_EXEC, sb, &sb->exec.rules,
						 diags);
			if (err)
				goto out;
		}
		err = compile_guard(&b, slot, i, p, l->cg_root);
		if (!err)
			err = guard_agent_code(&b, slot, i);
		if (err)
			goto out;
		err = compile_commands(bpf_map__fd(s->maps.hx_cmds), &b, slot, i, sb,
				       &sb->exec.blocked_commands, "exec.blocked_commands", diags);
		if (!err)
			err = compile_commands(bpf_map__fd(s->maps.hx_cmds), &b, slot, i, sb,
					       &sb->cmd.blocked_commands,
					       "command_validation.blocked_commands", diags);
		if (err)
			goto out;
		if (sb->fs.present) {
			err = compile_path_rules(&b, slot, i, HX_FAM_FILE, sb, &sb->fs.rules,
						 diags);
			if (!err)
				err = compile_temp_dir(&b, slot, i, sb, diags);
			if (err)
				goto out;
		}
	}
	err = 0;
	if (diags->errors) {
		err = -EINVAL;
		goto out;
	}
	merge_inode_rules(&b);
	if (b.n > HX_MAX_INODE_RULES) {
		diag_error(diags, (struct hx_src){ 0 },
			   "the policy needs %zu object rule entries; the kernel map holds %u", b.n,
			   HX_MAX_INODE_RULES);
		err = -EINVAL;
		goto out;
	}
	b.out.inode_entries = b.n;

	for (size_t i = 0; i < b.n; i++) {
		if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_inode), &b.ents[i].key,
					&b.ents[i].rule, BPF_ANY)) {
			err = -errno;
			goto out;
		}
	}
	err = fs_watch_install(l, &b, slot, diags);
	if (err)
		goto out;
	err = hx_net_install(l, slot, p, &b.out, diags);
	if (err)
		goto out;
	err = install_rate_limits(s, slot, p);
	if (err)
		goto out;
	err = install_cgroup_paths(l, slot, p);
	if (err)
		goto out;
	for (uint32_t i = 0; i < p->nsandboxes; i++) {
		struct hx_sbx_key sk = { .slot = slot, .sbx = i };
		struct hx_sbx_cfg cfg = { .flags = sbx_flags(p, &p->sandboxes[i]),
					  .mode = b.out.sbx[i].mode,
					  .relax = contain_relax(&p->sandboxes[i].contain),
					  .mount_types = (__u16)p->sandboxes[i].contain.mount_types,
					  .cap_deny = p->sandboxes[i].caps.drop &
						      ~p->sandboxes[i].caps.add };
		struct hx_cgrp_key ck = { .cgid = b.out.sbx[i].cgid, .slot = slot };
		struct hx_cgrp_val cv = { .sbx = i };

		if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_sbx), &sk, &cfg, BPF_ANY) ||
		    (ck.cgid && /* 0: its cgroup is not there yet (cgroup_pending) */
		     bpf_map_update_elem(bpf_map__fd(s->maps.hx_cgrp), &ck, &cv, BPF_ANY))) {
			err = -errno;
			goto out;
		}
	}

	/* The switch: one write makes the whole new policy live. */
	live = (struct hx_live){ .slot = slot, .generation = l->generation + 1, .ready = 1 };
	if (bpf_map_update_elem(bpf_map__fd(s->maps.hx_live), &zero, &live, BPF_ANY)) {
		err = -errno;
		goto out;
	}
	l->slot = slot;
	l->generation = live.generation;
	b.out.generation = live.generation;

	clear_slot(bpf_map__fd(s->maps.hx_inode), sizeof(struct hx_inode_key),
		   offsetof(struct hx_inode_key, slot), slot ^ 1);
	clear_slot(bpf_map__fd(s->maps.hx_cgrp), sizeof(struct hx_cgrp_key),
		   offsetof(struct hx_cgrp_key, slot), slot ^ 1);
	clear_slot(bpf_map__fd(s->maps.hx_sbx), sizeof(struct hx_sbx_key),
		   offsetof(struct hx_sbx_key, slot), slot ^ 1);
	clear_slot(bpf_map__fd(s->maps.hx_cmds), sizeof(struct hx_cmd_key),
		   offsetof(struct hx_cmd_key, slot), slot ^ 1);
	clear_slot(bpf_map__fd(s->maps.hx_rate), sizeof(struct hx_sbx_key),
		   offsetof(struct hx_sbx_key, slot), slot ^ 1);
	clear_slot(bpf_map__fd(s->maps.hx_cgpath), sizeof(struct hx_cgpath_key),
		   offsetof(struct hx_cgpath_key, slot), slot ^ 1);
	hx_net_clear(l, slot ^ 1);
	fs_watch_clear(l, slot ^ 1);

	compiled_free(&l->prev);
	l->prev = l->cur;
	l->cur = b.out;
	memset(&b.out, 0, sizeof(b.out));
out:
	compiled_free(&b.out);
	free(b.ents);
	fs_watch_free(&b);
	return err;
}

void hx_loader_close(struct hx_loader *l)
{
	/* Closes our descriptors only: a pinned link stays attached (unload removes the pins). */
	for (size_t i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);
	l->nlinks = 0;
	hx_bpf__destroy(l->skel);
	l->skel = NULL;
	compiled_free(&l->cur);
	compiled_free(&l->prev);
	for (size_t i = 0; i < l->nprogs; i++)
		free(l->progs[i]);
	l->nprogs = 0;
}

const struct hx_compiled *hx_loader_tables(const struct hx_loader *l, uint32_t generation)
{
	if (l->cur.generation == generation)
		return &l->cur;
	if (l->prev.generation == generation)
		return &l->prev;
	return NULL;
}

int hx_loader_unpin_all(void)
{
	DIR *d = opendir(HX_PIN_DIR);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* Links first, so the programs stop before their maps go. */
	for (int pass = 0; pass < 2; pass++) {
		rewinddir(d);
		while ((de = readdir(d))) {
			bool is_link = !strncmp(de->d_name, "link_", 5);

			if (de->d_name[0] == '.' || is_link != (pass == 0))
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) && !err)
				err = -errno;
		}
	}
	closedir(d);
	if (rmdir(HX_PIN_DIR) && !err && errno != ENOENT)
		err = -errno;
	return err;
}
