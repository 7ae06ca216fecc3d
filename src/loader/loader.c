// SPDX-License-Identifier: GPL-2.0
/*
 * The loader's core: opens, loads, adopts and pins the programs; compiles a
 * policy into the inactive slot through the rule families (hx_families[]:
 * exec.c, guard.c, file.c, net.c) and makes it live in one write; the
 * object rules they share (hx_inode), sandboxes, cgroups and rate limits.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
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
#include "helixagent/abi_guard.h"
#include "internal.h"
#include "loader.h"
#include "loader/probe.h"
#include "util/sha256.h"
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

/* The rule families, in the order a sandbox's rules are compiled and a slot is written. */
const struct hx_family_ops *const hx_families[] = {
	&hx_family_exec, &hx_family_guard, &hx_family_file, &hx_family_net, NULL,
};

/* A program a family attaches itself (cgroup programs: net), or bpf_program__attach. */
static struct bpf_link *attach_prog(struct hx_loader *l, struct bpf_program *prog)
{
	for (const struct hx_family_ops *const *f = hx_families; *f; f++)
		if ((*f)->attach &&
		    bpf_program__type(prog) == (enum bpf_prog_type)(*f)->attach_type)
			return (*f)->attach(l, prog);
	return bpf_program__attach(prog);
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
		link = attach_prog(l, prog); /* cgroup programs: at the cgroup2 root */
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
int hx_add_inode_rule(struct hx_loader_build *b, struct hx_inode_key *key, uint32_t rule_id,
		      unsigned allow, unsigned deny)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		struct hx_inode_entry *nv = realloc(b->ents, ncap * sizeof(*nv));

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
	const struct hx_inode_entry *a = x, *b = y;
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
static void merge_inode_rules(struct hx_loader_build *b)
{
	size_t o = 0;

	qsort(b->ents, b->n, sizeof(*b->ents), entry_cmp);
	for (size_t i = 0; i < b->n; i++) {
		struct hx_inode_entry *e = &b->ents[i];

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

__u32 hx_section_flags(bool present, enum hx_default def, enum hx_tri allow, __u32 present_bit,
		       __u32 deny_bit, __u32 forbidden_bit)
{
	__u32 f = 0;

	if (present || allow == HX_NO)
		f |= present_bit;
	if (def == HX_DEF_DENY)
		f |= deny_bit;
	if (allow == HX_NO)
		f |= forbidden_bit;
	return f;
}

static __u32 sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s)
{
	__u32 f = 0;

	for (const struct hx_family_ops *const *fam = hx_families; *fam; fam++)
		if ((*fam)->sbx_flags)
			f |= (*fam)->sbx_flags(p, s);
	if (s->caps.present && (s->caps.drop & ~s->caps.add))
		f |= HX_SBX_CAPS;
	if (s->proc.no_new_privileges == HX_YES)
		f |= HX_SBX_NNP;
	/* Audit mode logs every would-deny, whatever the event list says. */
	if ((p->audit_enabled && (p->audit_events & HX_AE_PERMISSION_DENIED)) ||
	    s->mode == HX_PM_AUDIT)
		f |= HX_SBX_AUDIT_DENIED;
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
void hx_clear_slot(int fd, size_t keysz, size_t slot_off, uint32_t slot)
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

/* Each family's entries of @slot outside hx_inode. */
static void clear_families(struct hx_loader *l, uint32_t slot)
{
	for (const struct hx_family_ops *const *f = hx_families; *f; f++)
		if ((*f)->clear)
			(*f)->clear(l, slot);
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
	struct hx_loader_build b = { 0 };
	struct hx_live live;
	__u32 zero = 0;
	int err = 0;

	if (hx_policy_check_capacity(p, &hx_kernel_capacity, diags))
		return -EINVAL;

	/* Leftovers from an interrupted install must not leak into this one. */
	hx_clear_slot(bpf_map__fd(s->maps.hx_inode), sizeof(struct hx_inode_key),
		      offsetof(struct hx_inode_key, slot), slot);
	hx_clear_slot(bpf_map__fd(s->maps.hx_cgrp), sizeof(struct hx_cgrp_key),
		      offsetof(struct hx_cgrp_key, slot), slot);
	hx_clear_slot(bpf_map__fd(s->maps.hx_sbx), sizeof(struct hx_sbx_key),
		      offsetof(struct hx_sbx_key, slot), slot);
	hx_clear_slot(bpf_map__fd(s->maps.hx_rate), sizeof(struct hx_sbx_key),
		      offsetof(struct hx_sbx_key, slot), slot);
	hx_clear_slot(bpf_map__fd(s->maps.hx_cgpath), sizeof(struct hx_cgpath_key),
		      offsetof(struct hx_cgpath_key, slot), slot);
	clear_families(l, slot);

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
		for (const struct hx_family_ops *const *f = hx_families; *f; f++) {
			if (!(*f)->compile)
				continue;
			err = (*f)->compile(l, &b, slot, i, p, diags);
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
	for (const struct hx_family_ops *const *f = hx_families; *f; f++) {
		if (!(*f)->install)
			continue;
		err = (*f)->install(l, &b, slot, p, diags);
		if (err)
			goto out;
	}
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

	hx_clear_slot(bpf_map__fd(s->maps.hx_inode), sizeof(struct hx_inode_key),
		      offsetof(struct hx_inode_key, slot), slot ^ 1);
	hx_clear_slot(bpf_map__fd(s->maps.hx_cgrp), sizeof(struct hx_cgrp_key),
		      offsetof(struct hx_cgrp_key, slot), slot ^ 1);
	hx_clear_slot(bpf_map__fd(s->maps.hx_sbx), sizeof(struct hx_sbx_key),
		      offsetof(struct hx_sbx_key, slot), slot ^ 1);
	hx_clear_slot(bpf_map__fd(s->maps.hx_rate), sizeof(struct hx_sbx_key),
		      offsetof(struct hx_sbx_key, slot), slot ^ 1);
	hx_clear_slot(bpf_map__fd(s->maps.hx_cgpath), sizeof(struct hx_cgpath_key),
		      offsetof(struct hx_cgpath_key, slot), slot ^ 1);
	clear_families(l, slot ^ 1);

	compiled_free(&l->prev);
	l->prev = l->cur;
	l->cur = b.out;
	memset(&b.out, 0, sizeof(b.out));
out:
	compiled_free(&b.out);
	free(b.ents);
	for (const struct hx_family_ops *const *f = hx_families; *f; f++)
		if ((*f)->release)
			(*f)->release(&b);
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
