/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Object identity: rules name filesystem objects by (device, inode), and a
 * file is judged by walking its dentry's ancestors. dentries belong to a
 * superblock, not to a path, so a symlink, a bind mount, "..", /proc/self/fd
 * or another mount namespace all reach the same ancestors.
 */
#ifndef HX_PATH_BPF_H
#define HX_PATH_BPF_H

#include "common.bpf.h"

/* Ancestors searched for a rule; a deeper object is denied and counted. */
#define HX_WALK_DEPTH 64
/* Longest name copied per component into an event. */
#define HX_NAME_MAX 256

static __always_inline __u64 hx_dev_of(struct dentry *d)
{
	return BPF_CORE_READ(d, d_sb, s_dev);
}

static __always_inline struct mount *hx_real_mount(struct vfsmount *mnt)
{
	return (struct mount *)((void *)mnt - bpf_core_field_offset(struct mount, mnt));
}

/*
 * A file no directory names: memfd and other pseudo files (their dentry is
 * its own parent but not its filesystem's root), O_TMPFILE, unlinked while
 * open. Filesystem roots are unhashed too, and are not fileless.
 */
static __always_inline int hx_fileless(struct dentry *d)
{
	return !BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_sb, s_root) != d;
}

/*
 * A dentry decoded from a file handle (open_by_handle_at, an NFS export)
 * whose ancestors are not in the cache: its own parent, yet not a root.
 * Unhashed like a pseudo file, so only the flag tells them apart.
 * DCACHE_DISCONNECTED is an enum from 6.15, a #define (0x20) before.
 */
static __always_inline int hx_disconnected(struct dentry *d)
{
	__u32 bit = 0x20;

	if (bpf_core_enum_value_exists(enum dentry_flags, DCACHE_DISCONNECTED))
		bit = bpf_core_enum_value(enum dentry_flags, DCACHE_DISCONNECTED);
	return (BPF_CORE_READ(d, d_flags) & bit) && BPF_CORE_READ(d, d_sb, s_root) != d;
}

/* 7.x: d_alias sits in an anonymous union (before, in the union d_u). */
struct dentry___anon_alias {
	struct hlist_node d_alias;
} __attribute__((preserve_access_index));

/*
 * A dentry of @inode (the first alias): the real file under an overlay,
 * whose dentry the overlay's file does not show. NULL when none is cached.
 */
static __always_inline struct dentry *hx_inode_alias(struct inode *inode)
{
	struct hlist_node *first = BPF_CORE_READ(inode, i_dentry.first);
	__u32 off;

	if (!first)
		return NULL;
	if (bpf_core_field_exists(struct dentry___anon_alias, d_alias))
		off = bpf_core_field_offset(struct dentry___anon_alias, d_alias);
	else
		off = bpf_core_field_offset(struct dentry, d_u.d_alias);
	return (struct dentry *)((void *)first - off);
}

/* The program's own image, mapped by the kernel during exec: judged at exec already. */
static __always_inline int hx_is_own_image(struct file *file)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return file && BPF_CORE_READ(task, mm, exe_file) == file;
}

enum hx_walk_result {
	HX_WALK_HIT = 0, /* a rule was found: *rule holds it */
	HX_WALK_NONE = 1, /* reached the top: no rule applies */
	HX_WALK_DEEP = 2, /* ran out of steps before the top */
	HX_WALK_UNRESOLVED = 3, /* a disconnected dentry: the ancestors are unknown */
};

/*
 * Searches the object and its ancestors for the most specific rule of
 * @family. The dentry chain is followed to its superblock's root first (the
 * object's real ancestors), then across the mount it was reached through to
 * that mount's mountpoint, and so on up to the namespace's root mount.
 */
static __always_inline int hx_walk_rules(struct hx_ctx *c, __u8 family, struct dentry *d,
					 struct vfsmount *vmnt, __u8 need,
					 struct hx_inode_rule *rule)
{
	struct hx_inode_key key = { .slot = c->slot, .sbx = (__u16)c->sbx, .family = family };
	/* No mount (a dentry-only hook): the walk ends at the superblock's root. */
	struct mount *m = vmnt ? hx_real_mount(vmnt) : NULL;
	struct hx_inode_rule *hit;
	struct dentry *parent;
	struct mount *mparent;
	int i;

	for (i = 0; i < HX_WALK_DEPTH; i++) {
		key.dev = hx_dev_of(d);
		key.ino = BPF_CORE_READ(d, d_inode, i_ino);
		hit = bpf_map_lookup_elem(&hx_inode, &key);
		if (hit && (!(hit->flags & HX_RULE_CONTINUE) || (hit->deny & need))) {
			*rule = *hit;
			return HX_WALK_HIT;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent && parent != d) {
			d = parent;
			continue;
		}
		/* Not the top of anything: the rules above it cannot be found. */
		if (hx_disconnected(d))
			return HX_WALK_UNRESOLVED;
		/* Root of this superblock: continue at the mountpoint. */
		if (!m)
			return HX_WALK_NONE;
		mparent = BPF_CORE_READ(m, mnt_parent);
		if (!mparent || mparent == m)
			return HX_WALK_NONE;
		d = BPF_CORE_READ(m, mnt_mountpoint);
		m = mparent;
		if (!d)
			return HX_WALK_NONE;
	}
	return HX_WALK_DEEP;
}

/*
 * Writes the names of the path from @d up to the root into the event, as
 * NUL-terminated components, leaf first, the way d_path sees it (stopping
 * at each mount's root and continuing at its mountpoint). @exe selects
 * e->exe instead of e->path. Sets HX_EVF_*_TRUNC when the buffer or the
 * step bound ran out before the root.
 *
 * The write offset lives in the event (map memory), not in a register: the
 * verifier then sees one imprecise offset per iteration instead of a new
 * exact one per path, which keeps verification linear in the walk bound.
 */
static __always_inline void hx_path_names(struct hx_event *e, int exe, struct dentry *d,
					  struct vfsmount *vmnt)
{
	const __u32 bufsz = exe ? HX_EXE_BUF : HX_PATH_BUF;
	char *buf = exe ? e->exe : e->path;
	__u16 *lenp = exe ? &e->exe_len : &e->path_len;
	struct mount *m = vmnt ? hx_real_mount(vmnt) : NULL;
	struct dentry *mnt_root = vmnt ? BPF_CORE_READ(vmnt, mnt_root) : NULL;
	const unsigned char *name;
	struct dentry *parent;
	struct mount *mparent;
	int i, complete = 0;
	__u32 off;
	long n;

	*lenp = 0;
	for (i = 0; i < HX_WALK_DEPTH; i++) {
		if (d == mnt_root) {
			mparent = BPF_CORE_READ(m, mnt_parent);
			if (!mparent || mparent == m) {
				complete = 1;
				break;
			}
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mparent;
			mnt_root = BPF_CORE_READ(m, mnt.mnt_root);
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d) {
			/* The root of a filesystem not reached through this mount tree;
			 * without a mount, where it is mounted is unknown: incomplete.
			 * So is a disconnected dentry (from a file handle). */
			complete = m != NULL && !hx_disconnected(d);
			break;
		}
		asm volatile("" ::: "memory");
		off = *lenp;
		if (off > bufsz - HX_NAME_MAX)
			break;
		name = BPF_CORE_READ(d, d_name.name);
		n = bpf_probe_read_kernel_str(buf + off, HX_NAME_MAX, name);
		if (n <= 0)
			break;
		*lenp = (__u16)(off + n);
		d = parent;
	}
	asm volatile("" ::: "memory");
	off = *lenp;
	/* The terminating empty component marks a path that reached the root. */
	if (complete && off < bufsz) {
		buf[off] = 0;
		*lenp = (__u16)(off + 1);
	} else if (!complete) {
		e->flags |= exe ? HX_EVF_EXE_TRUNC : HX_EVF_PATH_TRUNC;
	}
}

/* The object an event is about: its (device, inode) and its path. */
static __always_inline void hx_event_object(struct hx_event *e, struct dentry *d,
					    struct vfsmount *mnt)
{
	e->dev = hx_dev_of(d);
	e->ino = BPF_CORE_READ(d, d_inode, i_ino);
	hx_path_names(e, 0, d, mnt);
}

#endif
