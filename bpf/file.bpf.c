// SPDX-License-Identifier: GPL-2.0
/*
 * Filesystem family: which objects a sandbox may read, write or execute.
 *
 * Every check is made on the kernel's objects (the dentry and mount it
 * resolved), never on a string the process chose, and walks the object's
 * ancestors for the most specific rule (see lib/path.bpf.h):
 *   r  open for read (files and directories: readdir needs an open)
 *   w  open for write/append, truncate, create, mknod, mkdir, unlink, rmdir,
 *      rename (source and destination), link, symlink, chmod, chown
 *   x  open for exec (the binary, a #! script, the ELF interpreter) and
 *      PROT_EXEC mappings of a file (mmap, mprotect)
 * Creation is judged on the parent directory, removal on the victim.
 */
#include "lib/common.bpf.h"
#include "lib/path.bpf.h"
#include "lib/contain.bpf.h"
#include "helixagent/abi_file.h"

#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20
#define __FMODE_EXEC 0x20 /* in f_flags: opened by open_exec() */
#define PROT_EXEC 0x4
#define RENAME_EXCHANGE 0x2

static __always_inline void hx_fill_exe_fs(struct hx_event *e)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);

	if (exe)
		hx_path_names(e, 1, BPF_CORE_READ(exe, f_path.dentry),
			      BPF_CORE_READ(exe, f_path.mnt));
}

/*
 * Judges @need on the object @d reached through @mnt, for the current task.
 * @subject is the dentry reported in the event (a new name for creations).
 * Returns 0 or -EPERM.
 *
 * A global function: the verifier checks it once, not once per hook that
 * calls it (which made loading slow). Global functions take scalars, so the
 * kernel pointers travel as integers; they are only ever read through
 * BPF_CORE_READ.
 */
/*
 * The rule of @family the loader put on @d's object itself, or NULL.
 * HX_FAM_GUARD entries name what must not be removed or replaced: each
 * component of the paths the agent reads (policy, resolver files).
 */
static __always_inline struct hx_inode_rule *hx_own_rule(struct hx_ctx *c, __u8 family, __u64 dev,
							 __u64 ino)
{
	struct hx_inode_key key = {
		.dev = dev, .ino = ino, .slot = c->slot, .sbx = (__u16)c->sbx, .family = family
	};

	return bpf_map_lookup_elem(&hx_inode, &key);
}

/* Bytes of a name the name guard hashes; the loader hashes the same prefix. */
#define HX_GNAME_MAX 128

/*
 * The name guard: a name in a directory that no sandbox may create, remove
 * or replace (each component of the paths the agent reads: the policy file,
 * the resolver's files, their symlinks' targets). HX_FAM_GUARD entries of
 * hx_inode, keyed by the directory's device and FNV-1a 64 over the
 * directory's inode number (8 bytes) and then the name. Returns the rule, or
 * -1 when the name is not guarded.
 */
__noinline int hx_name_guard_g(__u64 dir_, __u64 named_, __u32 slot, __u32 sbx)
{
	struct dentry *dir = (struct dentry *)dir_, *named = (struct dentry *)named_;
	struct hx_inode_key key = { .slot = slot, .sbx = (__u16)sbx, .family = HX_FAM_GUARD };
	struct hx_inode_rule *hit;
	char name[HX_GNAME_MAX];
	__u64 h = HX_FNV_OFFSET, ino;
	long n;
	int i;

	if (!dir || !named)
		return -1;
	ino = BPF_CORE_READ(dir, d_inode, i_ino);
	for (i = 0; i < 8; i++)
		h = (h ^ ((ino >> (8 * i)) & 0xff)) * HX_FNV_PRIME;
	n = bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(named, d_name.name));
	if (n <= 0)
		return -1;
	for (i = 0; i < HX_GNAME_MAX; i++) {
		if (!name[i])
			break;
		h = (h ^ (__u8)name[i]) * HX_FNV_PRIME;
	}
	key.dev = hx_dev_of(dir);
	key.ino = h;
	hit = bpf_map_lookup_elem(&hx_inode, &key);
	return hit ? (int)(hit->rule_id & 0x7fffffff) : -1;
}

/*
 * @real_, when not 0, is the inode of the real file under an overlay: the
 * overlay's dentry is judged as usual, and the real file's own ancestors
 * (its first cached alias, walked without a mount: up to its superblock's
 * root) add their refusals. Only refusals: a real file no rule names keeps
 * the overlay path's verdict, so a container's rootfs needs no rule on its
 * layer directories.
 */
__noinline int hx_fs_check_g(__u64 d_, __u64 mnt_, __u32 op_, __u64 subject_, __u64 real_)
{
	struct dentry *d = (struct dentry *)d_, *subject = (struct dentry *)subject_;
	struct vfsmount *mnt = (struct vfsmount *)mnt_;
	struct inode *real = (struct inode *)real_;
	struct hx_inode_rule *own;
	struct dentry *alias;
	int gid;
	/* five arguments at most: access << 16 | action */
	__u8 need = (__u8)(op_ >> 16);
	__u16 action = (__u16)op_;
	struct hx_inode_rule rule = {};
	struct hx_ctx c = {};
	struct hx_event *e;
	__u32 flags = 0, rule_id = HX_RULE_NONE, bi;
	__u8 decision, family = HX_FAM_FILE;
	int deny = 0, walk, wall = 0; /* wall: the baseline's or the guard's refusal */

	if (!hx_current_sandbox(&c))
		return 0;
	/* The containment baseline first: no rule of the sandbox can grant what it refuses. */
	bi = hx_contain_fs(&c, d, need);
	if (bi) {
		deny = 1;
		wall = 1;
		rule_id = HX_RULE_BUILTIN | bi;
		family = HX_FAM_GUARD;
		flags |= HX_EVF_FORBIDDEN;
		goto decided;
	}
	/* Without filesystem rules the walk still runs for the agent's own files,
	 * which the guard protects from writes only: a read has nothing to check. */
	if (!(c.cfg.flags & HX_SBX_FS_PRESENT) &&
	    (!(c.cfg.flags & HX_SBX_GUARD) || !(need & HX_ACC_W)))
		return 0;

	/*
	 * Creating, removing or replacing a name on a path the agent reads (every
	 * sandbox): a creation names the new dentry in @d; a removal or either
	 * side of a rename names @d in its parent. A link's source keeps its name.
	 */
	gid = -1;
	if (d && (subject ? action != HX_ACT_OPEN :
			    (action == HX_ACT_UNLINK || action == HX_ACT_RMDIR ||
			     action == HX_ACT_RENAME)))
		gid = subject ? hx_name_guard_g((__u64)(unsigned long)d, subject_, c.slot, c.sbx) :
				hx_name_guard_g((__u64)(unsigned long)BPF_CORE_READ(d, d_parent),
						d_, c.slot, c.sbx);
	if (gid >= 0) {
		deny = 1;
		wall = 1;
		rule_id = (__u32)gid;
	} else if (c.cfg.flags & HX_SBX_FS_FORBIDDEN) {
		deny = 1;
		flags |= HX_EVF_FORBIDDEN;
	} else if (action == HX_ACT_SYMLINK && (c.cfg.flags & HX_SBX_FS_NO_SYMLINKS)) {
		deny = 1;
		flags |= HX_EVF_FORBIDDEN;
	} else if (!d) {
		hx_count_drop(HX_DROP_NO_FILE);
		deny = 1;
	} else {
		walk = hx_walk_rules(&c, HX_FAM_FILE, d, mnt, need, &rule);
		if (walk == HX_WALK_HIT) {
			rule_id = rule.rule_id;
			/* The most specific rule decides alone: what it does not grant is denied. */
			deny = (rule.deny & need) || (rule.allow & need) != need;
			/* a guard rule (deny-only, HX_RULE_CONTINUE) is found only when it refuses */
			wall = deny && (rule.flags & HX_RULE_CONTINUE);
		} else if (walk == HX_WALK_DEEP) {
			hx_count_drop(HX_DROP_WALK_DEPTH);
			/* Unrestricted family: only the guard looked, and it protects
			 * nothing that deep; restricted: refuse what cannot be judged. */
			if (!(c.cfg.flags & HX_SBX_FS_PRESENT))
				return 0;
			deny = 1;
			flags |= HX_EVF_NO_RULE | HX_EVF_UNRESOLVED;
		} else if (walk == HX_WALK_UNRESOLVED) {
			/* A file handle's disconnected dentry: the rules above it (a blocked
			 * directory, the guard's) cannot be found. Refused where rules
			 * restrict the family, and for writes (the guard) everywhere. */
			hx_count_drop(HX_DROP_WALK_DEPTH);
			deny = 1;
			/* with no filesystem rules, only the guard refuses it */
			wall = !(c.cfg.flags & HX_SBX_FS_PRESENT);
			flags |= HX_EVF_UNRESOLVED;
			/* the loader names it: the entry on no object (0, 0) */
			own = hx_own_rule(&c, HX_FAM_FILE, 0, 0);
			if (own)
				rule_id = own->rule_id;
		} else if (!(c.cfg.flags & HX_SBX_FS_PRESENT)) {
			deny = 0; /* no guard rule refused it, and the family is unrestricted */
		} else {
			deny = !!(c.cfg.flags & HX_SBX_FS_DEFAULT_DENY);
			flags |= HX_EVF_NO_RULE;
		}
		/* The real file under an overlay: its own ancestors may refuse it. */
		if (!deny && real && (alias = hx_inode_alias(real)) &&
		    hx_walk_rules(&c, HX_FAM_FILE, alias, NULL, need, &rule) == HX_WALK_HIT &&
		    ((rule.deny & need) || (rule.allow & need) != need)) {
			deny = 1;
			wall = !!(rule.flags & HX_RULE_CONTINUE);
			rule_id = rule.rule_id;
			flags &= ~HX_EVF_NO_RULE;
		}
		/* Writing what stands at a guarded name: a resolver file the host
		 * made after load has no rule of its own until the next reload. */
		if (!deny && (need & HX_ACC_W) && !subject &&
		    (gid = hx_name_guard_g((__u64)(unsigned long)BPF_CORE_READ(d, d_parent), d_,
					   c.slot, c.sbx)) >= 0) {
			deny = 1;
			wall = 1;
			rule_id = (__u32)gid;
			flags &= ~HX_EVF_NO_RULE;
		}
		if (!deny && !(c.cfg.flags & HX_SBX_FS_PRESENT))
			return 0; /* only the guard looked, and nothing of its refused it */
	}

decided:
	if (!deny)
		decision = HX_DECISION_ALLOW;
	else if (wall)
		decision = hx_wall_decision(&c.cfg);
	else if (c.cfg.mode == HX_MODE_AUDIT)
		decision = HX_DECISION_AUDIT;
	else
		decision = HX_DECISION_DENY;
	hx_count(&c, family, decision);

	if (decision != HX_DECISION_ALLOW && (c.cfg.flags & HX_SBX_AUDIT_DENIED)) {
		e = hx_event_start(&c, action, family);
		if (e) {
			struct dentry *s = subject ? subject : d;

			e->decision = decision;
			e->access = need;
			e->flags |= flags;
			e->rule_id = rule_id;
			e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
			if (s)
				hx_event_object(e, s, mnt);
			hx_fill_exe_fs(e);
			hx_event_submit(e);
		}
	}
	return hx_verdict(decision == HX_DECISION_DENY);
}

/* A global function's result is an unknown scalar to the verifier, and newer
 * kernels check an LSM program's return is within [-4095, 0]: map it back. */
#define hx_fs_check(d, mnt, need, action, subject)                                                 \
	(hx_fs_check_g((__u64)(unsigned long)(d), (__u64)(unsigned long)(mnt),                     \
		       (__u32)(need) << 16 | (action), (__u64)(unsigned long)(subject), 0) ?       \
		 -EPERM :                                                                          \
		 0)

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/*
 * The real inode behind an overlay's file, or NULL. The overlay opens the
 * real file as a second struct file (a "backing" file); until 6.7 its
 * f_path is the overlay's and its f_inode the real one (from 6.8 f_path is
 * the real path, which the walk follows anyway): the open, and the vma an
 * mmap leaves, show that file. The overlay's own file (at mmap) keeps the
 * backing file in private_data, directly or as the first member of struct
 * ovl_file (later kernels); either is recognised by the overlay path it
 * records.
 */
static __always_inline int hx_is_backing_of(struct file *cand, struct dentry *d)
{
	struct backing_file *bf = (struct backing_file *)cand;

	/* Until 6.7 a backing file's f_path is the overlay's; from 6.8 the
	 * overlay's path is kept beside it (user_path) and f_path is the real one. */
	if (BPF_CORE_READ(cand, f_path.dentry) == d)
		return 1;
	if (bpf_core_field_exists(bf->user_path))
		return BPF_CORE_READ(bf, user_path.dentry) == d;
	return 0;
}

static __always_inline struct inode *hx_real_inode(struct file *file)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct inode *fi = BPF_CORE_READ(file, f_inode);
	struct file *pd, *rf = NULL;

	if (fi != BPF_CORE_READ(d, d_inode))
		return fi;
	if (BPF_CORE_READ(d, d_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
		return NULL;
	pd = BPF_CORE_READ(file, private_data);
	if (!pd)
		return NULL;
	if (pd != file && hx_is_backing_of(pd, d)) {
		rf = pd;
	} else {
		bpf_probe_read_kernel(&rf, sizeof(rf), pd);
		if (!rf || rf == file || !hx_is_backing_of(rf, d))
			return NULL;
	}
	fi = BPF_CORE_READ(rf, f_inode);
	return fi != BPF_CORE_READ(d, d_inode) ? fi : NULL;
}

/* A file: its path, and the real file under it when it is an overlay's. */
#define hx_fs_check_file(file, need, action)                                                       \
	(hx_fs_check_g((__u64)(unsigned long)BPF_CORE_READ(file, f_path.dentry),                   \
		       (__u64)(unsigned long)BPF_CORE_READ(file, f_path.mnt),                      \
		       (__u32)(need) << 16 | (action), 0,                                          \
		       (__u64)(unsigned long)hx_real_inode(file)) ?                                \
		 -EPERM :                                                                          \
		 0)

/*
 * Watched paths: a rule whose path did not exist at load is watched from
 * its deepest existing directory (see the loader's fs_watch_*). When a name
 * appears in a watched directory (created by any process, in a sandbox or
 * not, or looked up into the dentry cache), the next watched component is
 * armed in the new directory, or, for the last one, the rules are written
 * for the new object before its dentry becomes visible.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HX_SLOTS);
	__type(key, __u32);
	__type(value, struct hx_pend_slot);
} hx_pslot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HX_SLOTS *HX_MAX_PEND * 4);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hx_pend_key);
	__type(value, struct hx_pend_val);
} hx_pend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HX_SLOTS *HX_MAX_PEND);
	__type(key, __u32);
	__type(value, struct hx_pend_watch);
} hx_pwatch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HX_SLOTS *HX_MAX_PEND_TARGETS);
	__type(key, __u32);
	__type(value, struct hx_pend_target);
} hx_ptarget SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HX_SLOTS *HX_MAX_PEND *HX_PEND_DEPTH);
	__type(key, __u32);
	__type(value, struct hx_pend_comp);
} hx_pcomp SEC(".maps");

/* [0]: the name that appeared; [1]: the next component's key */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct hx_pend_key);
} hx_pscratch SEC(".maps");

/* Watches count in the generation installed (live) and the one being installed. */
static __always_inline int hx_pend_slot_on(__u32 s)
{
	struct hx_pend_slot *ps = bpf_map_lookup_elem(&hx_pslot, &s);
	struct hx_live *live;
	__u32 zero = 0;

	if (!ps || !ps->nwatch)
		return 0;
	live = bpf_map_lookup_elem(&hx_live, &zero);
	if (!live)
		return 0;
	return ps->generation == live->generation || ps->generation == live->generation + 1;
}

static __always_inline int hx_pend_any(void)
{
	return hx_pend_slot_on(0) || hx_pend_slot_on(1);
}

/* Writes target @tidx's rule for the object (@dev, @ino), merged as the loader merges. */
__noinline int hx_pend_put_g(__u32 tidx, __u64 dev, __u64 ino, __u32 only_deny)
{
	struct hx_pend_target *t = bpf_map_lookup_elem(&hx_ptarget, &tidx);
	struct hx_inode_rule *cur, rule;
	struct hx_inode_key key;

	if (!t)
		return 0;
	key = t->key;
	key.dev = dev;
	key.ino = ino;
	rule = t->rule;
	if (only_deny && !rule.deny)
		return 0;
	cur = bpf_map_lookup_elem(&hx_inode, &key);
	if (cur) {
		if (rule.deny && !cur->deny)
			cur->rule_id = rule.rule_id;
		cur->allow |= rule.allow;
		cur->deny |= rule.deny;
		cur->flags &= rule.flags;
		return 0;
	}
	bpf_map_update_elem(&hx_inode, &key, &rule, BPF_NOEXIST);
	return 0;
}

/* Writes every target of watch @w (of @slot) for the object; @only_deny: the refusing ones. */
__noinline int hx_pend_rules_g(__u32 slot, __u32 w, __u64 dev, __u64 ino, __u32 only_deny)
{
	struct hx_pend_watch *pw;
	__u32 widx, first, n;
	int i;

	if (slot >= HX_SLOTS || w >= HX_MAX_PEND)
		return 0;
	widx = slot * HX_MAX_PEND + w;
	pw = bpf_map_lookup_elem(&hx_pwatch, &widx);
	if (!pw)
		return 0;
	first = pw->first;
	n = pw->ntarget;
	if (first >= HX_MAX_PEND_TARGETS)
		return 0;
	for (i = 0; i < HX_PEND_TARGETS; i++) {
		if (i >= n)
			break;
		hx_pend_put_g(slot * HX_MAX_PEND_TARGETS + first + i, dev, ino, only_deny);
	}
	return 0;
}

/* Arms component @comp of watch @w (of @slot) in the directory (@dev, @ino). 0, or -1 when full. */
__noinline int hx_pend_next_g(__u32 slot, __u32 w, __u32 comp, __u64 dev, __u64 ino)
{
	struct hx_pend_comp *c;
	struct hx_pend_val *v;
	struct hx_pend_key *k;
	__u32 one = 1, ci, n;
	int part, i;

	if (slot >= HX_SLOTS || w >= HX_MAX_PEND || comp >= HX_PEND_DEPTH)
		return 0;
	k = bpf_map_lookup_elem(&hx_pscratch, &one);
	ci = (slot * HX_MAX_PEND + w) * HX_PEND_DEPTH + comp;
	c = bpf_map_lookup_elem(&hx_pcomp, &ci);
	if (!k || !c)
		return 0;
	k->dev = dev;
	k->ino = ino;
	k->slot = slot;
#pragma unroll
	for (i = 0; i < HX_PEND_NAME / 8; i++)
		((__u64 *)k->name)[i] = ((__u64 *)c->name)[i];
	for (part = 0; part < HX_PEND_PARTS; part++) {
		k->part = part;
		v = bpf_map_lookup_elem(&hx_pend, k);
		if (!v) {
			struct hx_pend_val nv = { .n = 1 };

			nv.e[0].watch = w;
			nv.e[0].comp = comp;
			return bpf_map_update_elem(&hx_pend, k, &nv, BPF_NOEXIST) ? -1 : 0;
		}
		for (i = 0; i < HX_PEND_FAN; i++) {
			if (i >= v->n)
				break;
			if (v->e[i].watch == w && v->e[i].comp == comp)
				return 0; /* armed already (the directory was looked up again) */
		}
		n = v->n;
		if (n >= HX_PEND_FAN)
			continue;
		n &= HX_PEND_FAN - 1;
		v->e[n].watch = w;
		v->e[n].comp = comp;
		v->n = n + 1;
		return 0;
	}
	return -1;
}

/* The name in hx_pscratch[0] (for @slot, part @part) now stands for the object (@dev, @ino). */
__noinline int hx_pend_match_g(__u32 slot, __u32 part, __u64 dev, __u64 ino, __u32 moved)
{
	struct hx_pend_watch *pw;
	struct hx_pend_val *v;
	struct hx_pend_key *k;
	__u32 zero = 0, widx, wi, comp;
	int i;

	if (slot >= HX_SLOTS)
		return 0;
	k = bpf_map_lookup_elem(&hx_pscratch, &zero);
	if (!k)
		return 0;
	k->slot = slot;
	k->part = part;
	v = bpf_map_lookup_elem(&hx_pend, k);
	if (!v)
		return 1;
	for (i = 0; i < HX_PEND_FAN; i++) {
		if (i >= v->n)
			break;
		wi = v->e[i].watch;
		comp = v->e[i].comp;
		if (wi >= HX_MAX_PEND)
			continue;
		widx = slot * HX_MAX_PEND + wi;
		pw = bpf_map_lookup_elem(&hx_pwatch, &widx);
		if (!pw)
			continue;
		if (comp + 1 >= pw->ncomp) {
			hx_pend_rules_g(slot, wi, dev, ino, 0);
			continue;
		}
		/*
		 * A directory moved into place may already hold the rest of the
		 * path, which will never be created: the refusing rules cover the
		 * whole directory (more than they name, never less) until the
		 * next reload resolves the path. So they do when the next
		 * component cannot be armed.
		 */
		if (hx_pend_next_g(slot, wi, comp + 1, dev, ino) || moved)
			hx_pend_rules_g(slot, wi, dev, ino, 1);
	}
	return 0;
}

/* @named, a name in the directory @parent, now stands for the object @ino of device @dev. */
__noinline int hx_pend_seen_g(__u64 parent_, __u64 named_, __u64 dev, __u64 ino, __u32 moved)
{
	struct dentry *parent = (struct dentry *)parent_, *named = (struct dentry *)named_;
	struct hx_pend_key *k;
	__u32 zero = 0, s;
	int i, part;

	if (!parent || !named || !ino)
		return 0;
	k = bpf_map_lookup_elem(&hx_pscratch, &zero);
	if (!k)
		return 0;
#pragma unroll
	for (i = 0; i < HX_PEND_NAME / 8; i++)
		((__u64 *)k->name)[i] = 0;
	k->dev = hx_dev_of(parent);
	k->ino = BPF_CORE_READ(parent, d_inode, i_ino);
	if (bpf_probe_read_kernel_str(k->name, HX_PEND_NAME, BPF_CORE_READ(named, d_name.name)) <=
	    0)
		return 0;
	for (s = 0; s < HX_SLOTS; s++) {
		if (!hx_pend_slot_on(s))
			continue;
		for (part = 0; part < HX_PEND_PARTS; part++)
			if (hx_pend_match_g(s, part, dev, ino, moved))
				break;
	}
	return 0;
}

#define hx_pend_seen(parent, named, dev, ino, moved)                                               \
	hx_pend_seen_g((__u64)(unsigned long)(parent), (__u64)(unsigned long)(named), (dev),       \
		       (ino), (moved))

/*
 * A dentry gets its inode: creation (any process, any filesystem that
 * instantiates), or a lookup into the dentry cache. Called before the
 * dentry is visible as positive, so the rule is there from the first
 * instant.
 */
SEC("lsm/d_instantiate")
int BPF_PROG(hx_d_instantiate, struct dentry *dentry, struct inode *inode)
{
	struct dentry *parent;

	if (!inode || !hx_pend_any())
		return 0;
	parent = BPF_CORE_READ(dentry, d_parent);
	if (!parent || (void *)parent == (void *)dentry)
		return 0;
	hx_pend_seen(parent, P(dentry), hx_dev_of(dentry), BPF_CORE_READ(inode, i_ino), 0);
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(hx_file_open, struct file *file, int ret)
{
	unsigned int fmode;
	__u8 need = 0;
	__u16 action = HX_ACT_OPEN;

	if (ret)
		return ret;
	fmode = BPF_CORE_READ(file, f_mode);
	if ((fmode & FMODE_EXEC) || (BPF_CORE_READ(file, f_flags) & __FMODE_EXEC)) {
		/* The binary, a script or the ELF interpreter, opened to be run. */
		need = HX_ACC_X;
		action = HX_ACT_EXEC_OPEN;
	} else {
		if (fmode & FMODE_READ)
			need |= HX_ACC_R;
		if (fmode & FMODE_WRITE)
			need |= HX_ACC_W;
	}
	if (!need)
		return 0; /* nothing is read or written through this file */
	return hx_fs_check_file(file, need, action);
}

SEC("lsm/mmap_file")
int BPF_PROG(hx_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	if (ret)
		return ret;
	if (!file || !(prot & PROT_EXEC) || hx_is_own_image(file))
		return 0;
	return hx_fs_check_file(file, HX_ACC_X, HX_ACT_MMAP_EXEC);
}

SEC("lsm/file_mprotect")
int BPF_PROG(hx_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *file;

	if (ret)
		return ret;
	if (!(prot & PROT_EXEC))
		return 0;
	file = BPF_CORE_READ(vma, vm_file);
	if (!file)
		return 0; /* anonymous memory: not a filesystem object */
	return hx_fs_check_file(file, HX_ACC_X, HX_ACT_MPROTECT_EXEC);
}

SEC("lsm/path_truncate")
int BPF_PROG(hx_path_truncate, const struct path *path, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), HX_ACC_W,
			   HX_ACT_TRUNCATE, NULL);
}

/* open(O_CREAT) reaches this too (may_o_create). */
SEC("lsm/path_mknod")
int BPF_PROG(hx_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(BPF_CORE_READ(dir, dentry), BPF_CORE_READ(dir, mnt), HX_ACC_W,
			   HX_ACT_CREATE, P(dentry));
}

SEC("lsm/path_mkdir")
int BPF_PROG(hx_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(BPF_CORE_READ(dir, dentry), BPF_CORE_READ(dir, mnt), HX_ACC_W,
			   HX_ACT_MKDIR, P(dentry));
}

SEC("lsm/path_rmdir")
int BPF_PROG(hx_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(P(dentry), BPF_CORE_READ(dir, mnt), HX_ACC_W, HX_ACT_RMDIR, NULL);
}

SEC("lsm/path_unlink")
int BPF_PROG(hx_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(P(dentry), BPF_CORE_READ(dir, mnt), HX_ACC_W, HX_ACT_UNLINK, NULL);
}

SEC("lsm/path_symlink")
int BPF_PROG(hx_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name,
	     int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(BPF_CORE_READ(dir, dentry), BPF_CORE_READ(dir, mnt), HX_ACC_W,
			   HX_ACT_SYMLINK, P(dentry));
}

/* A new name for an existing file: write on the file itself and on the new directory. */
SEC("lsm/path_link")
int BPF_PROG(hx_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, int ret)
{
	struct vfsmount *mnt = BPF_CORE_READ(new_dir, mnt);
	int err;

	if (ret)
		return ret;
	/* Hard links cannot cross mounts: the source is on the same mount. */
	err = hx_fs_check(P(old_dentry), mnt, HX_ACC_W, HX_ACT_LINK, NULL);
	if (err)
		return err;
	err = hx_fs_check(BPF_CORE_READ(new_dir, dentry), mnt, HX_ACC_W, HX_ACT_LINK,
			  P(new_dentry));
	if (err)
		return err;
	/* A watched name made by link: the file gets the rule now (before the link). */
	if (hx_pend_any())
		hx_pend_seen(BPF_CORE_READ(new_dir, dentry), P(new_dentry), hx_dev_of(old_dentry),
			     BPF_CORE_READ(old_dentry, d_inode, i_ino), 1);
	return 0;
}

/*
 * path_rename gained a flags argument in 5.19, which moves `ret`; the loader
 * keeps whichever of the two programs matches the running kernel.
 */
static __always_inline int hx_rename(const struct path *old_dir, struct dentry *old_dentry,
				     const struct path *new_dir, struct dentry *new_dentry,
				     unsigned int flags)
{
	struct vfsmount *mnt = BPF_CORE_READ(old_dir, mnt);
	int err;

	err = hx_fs_check(P(old_dentry), mnt, HX_ACC_W, HX_ACT_RENAME, NULL);
	if (err)
		return err;
	if (BPF_CORE_READ(new_dentry, d_inode)) {
		/* Replacing (or exchanging with) an existing object writes it too. */
		err = hx_fs_check(P(new_dentry), BPF_CORE_READ(new_dir, mnt), HX_ACC_W,
				  HX_ACT_RENAME, NULL);
		if (err)
			return err;
	}
	err = hx_fs_check(BPF_CORE_READ(new_dir, dentry), BPF_CORE_READ(new_dir, mnt), HX_ACC_W,
			  HX_ACT_RENAME, P(new_dentry));
	if (err || !hx_pend_any())
		return err;
	/*
	 * A watched name made by rename (no d_instantiate): the object moved
	 * gets the rule before the move. Should the rename then fail, the
	 * object keeps a rule it did not need: more refused, never less.
	 */
	hx_pend_seen(BPF_CORE_READ(new_dir, dentry), P(new_dentry), hx_dev_of(old_dentry),
		     BPF_CORE_READ(old_dentry, d_inode, i_ino), 1);
	if ((flags & RENAME_EXCHANGE) && BPF_CORE_READ(new_dentry, d_inode))
		hx_pend_seen(BPF_CORE_READ(old_dir, dentry), P(old_dentry), hx_dev_of(new_dentry),
			     BPF_CORE_READ(new_dentry, d_inode, i_ino), 1);
	return 0;
}

SEC("lsm/path_rename")
int BPF_PROG(hx_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, int ret)
{
	if (ret)
		return ret;
	/* Before 5.19 an exchange calls the hook once per direction. */
	return hx_rename(old_dir, old_dentry, new_dir, new_dentry, 0);
}

SEC("lsm/path_rename")
int BPF_PROG(hx_path_rename5, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags, int ret)
{
	if (ret)
		return ret;
	return hx_rename(old_dir, old_dentry, new_dir, new_dentry, flags);
}

SEC("lsm/path_chmod")
int BPF_PROG(hx_path_chmod, const struct path *path, umode_t mode, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), HX_ACC_W,
			   HX_ACT_CHMOD, NULL);
}

/* kuid_t and kgid_t are passed as 64-bit slots. */
SEC("lsm/path_chown")
int BPF_PROG(hx_path_chown, const struct path *path, __u64 uid, __u64 gid, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), HX_ACC_W,
			   HX_ACT_CHOWN, NULL);
}

/*
 * Extended attributes: inode_setxattr and inode_removexattr gained a first
 * argument (the mount's user namespace, then its idmap) in 5.12. The loader
 * keeps the pair matching the running kernel. There is no path here, only
 * the dentry: the walk stops at the root of the file's filesystem.
 */
SEC("lsm/inode_setxattr")
int BPF_PROG(hx_setxattr, struct dentry *dentry, const char *name, const void *value, size_t size,
	     int xflags, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(P(dentry), NULL, HX_ACC_W, HX_ACT_SETXATTR, NULL);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(hx_setxattr_ns, void *ns, struct dentry *dentry, const char *name, const void *value,
	     size_t size, int xflags, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(P(dentry), NULL, HX_ACC_W, HX_ACT_SETXATTR, NULL);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(hx_rmxattr, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(P(dentry), NULL, HX_ACC_W, HX_ACT_SETXATTR, NULL);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(hx_rmxattr_ns, void *ns, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return hx_fs_check(P(dentry), NULL, HX_ACC_W, HX_ACT_SETXATTR, NULL);
}

/*
 * Before 6.0 a trampoline cannot take path_chown's kuid_t/kgid_t (struct)
 * arguments. There the loader keeps this instead: chown seen at setattr,
 * on a dentry without its mount, so the walk stops at the superblock root
 * (rules above the mount point do not apply; default_policy does).
 */
#define ATTR_UID (1 << 1)
#define ATTR_GID (1 << 2)
SEC("lsm/inode_setattr")
int BPF_PROG(hx_setattr_chown, struct dentry *dentry, struct iattr *attr, int ret)
{
	if (ret)
		return ret;
	if (!(BPF_CORE_READ(attr, ia_valid) & (ATTR_UID | ATTR_GID)))
		return 0;
	return hx_fs_check(P(dentry), NULL, HX_ACC_W, HX_ACT_CHOWN, NULL);
}

char LICENSE[] SEC("license") = "GPL";
