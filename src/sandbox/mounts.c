// SPDX-License-Identifier: GPL-2.0
/*
 * The sandbox's view of the filesystem, in its own mount namespace. Runs as
 * root of the initial user namespace (the program's user namespace, if any,
 * comes later), so every mount made here is locked for the program:
 * copied into a less privileged namespace, it can neither be unmounted nor
 * made writable again from inside.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#define FAIL(err_, ...)                                                                            \
	do {                                                                                       \
		snprintf(what, wlen, __VA_ARGS__);                                                 \
		return (err_);                                                                     \
	} while (0)

/* The flags of the mount at @path that a bind remount must repeat. */
static unsigned long mount_flags(const char *path)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },
		{ ST_NODEV, MS_NODEV },	      { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME },   { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv))
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (sv.f_flag & map[i].st)
			f |= map[i].ms;
	return f;
}

static int remount(const char *path, bool ro)
{
	unsigned long f = mount_flags(path) & ~MS_RDONLY;

	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | f | (ro ? MS_RDONLY : 0), NULL))
		return -errno;
	return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = 0;
}

static bool under(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(p, dir, n) && (p[n] == 0 || p[n] == '/');
}

/* Remounts read-only every mount at or below @dir, except those at or below @skip[]. */
static int remount_tree_ro(const char *dir, const char *const *skip, char *what, size_t wlen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[PATH_MAX * 2];
	int err = 0;

	if (!f)
		FAIL(-errno, "read /proc/self/mountinfo");
	while (!err && fgets(line, sizeof(line), f)) {
		char *save = NULL, *mp = NULL, *t = strtok_r(line, " ", &save);
		bool skipped = false;

		for (int i = 1; t && i < 5; i++) /* field 5: the mount point */
			mp = t = strtok_r(NULL, " ", &save);
		if (!mp)
			continue;
		unescape(mp);
		if (!under(mp, dir))
			continue;
		for (const char *const *s = skip; s && *s && !skipped; s++)
			skipped = under(mp, *s);
		if (skipped)
			continue;
		err = remount(mp, true);
		/* A mount hidden below another one cannot be reached, and needs nothing. */
		if (err == -ENOENT || err == -EACCES)
			err = 0;
		if (err)
			snprintf(what, wlen, "remount %s read-only", mp);
	}
	fclose(f);
	return err;
}

int hx_tmpfs_parse(const char *spec, char *path, size_t plen, unsigned long *flags, char *data,
		   size_t dlen)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	size_t o = 0;
	char opts[256];

	if (!n || spec[0] != '/' || n >= plen)
		return -EINVAL;
	memcpy(path, spec, n);
	path[n] = 0;
	*flags = MS_NOSUID | MS_NODEV;
	data[0] = 0;
	if (!colon)
		return snprintf(data, dlen, "mode=1777") < (int)dlen ? 0 : -ENAMETOOLONG;
	if (strlen(colon + 1) >= sizeof(opts))
		return -ENAMETOOLONG;
	strcpy(opts, colon + 1);
	bool mode = false;

	for (char *save = NULL, *t = strtok_r(opts, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "ro"))
			*flags |= MS_RDONLY;
		else if (!strcmp(t, "rw"))
			*flags &= ~MS_RDONLY;
		else if (!strcmp(t, "noexec"))
			*flags |= MS_NOEXEC;
		else if (!strcmp(t, "exec"))
			*flags &= ~MS_NOEXEC;
		else if (!strcmp(t, "nosuid") || !strcmp(t, "nodev"))
			; /* always */
		else if (!strncmp(t, "size=", 5) || !strncmp(t, "mode=", 5) ||
			 !strncmp(t, "nr_inodes=", 10) || !strncmp(t, "uid=", 4) ||
			 !strncmp(t, "gid=", 4)) {
			mode |= !strncmp(t, "mode=", 5);
			o += (size_t)snprintf(data + o, o < dlen ? dlen - o : 0, "%s%s",
					      o ? "," : "", t);
		} else {
			return -EINVAL;
		}
	}
	if (!mode)
		o += (size_t)snprintf(data + o, o < dlen ? dlen - o : 0, "%smode=1777",
				      o ? "," : "");
	return o < dlen ? 0 : -ENAMETOOLONG;
}

/* Binds a file of the host's /dev onto @dst (which is created). */
static int bind_dev(const char *name, const char *dst)
{
	char src[64];
	int fd;

	snprintf(src, sizeof(src), "/dev/%s", name);
	if (access(src, F_OK))
		return 0;
	fd = open(dst, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		return -errno;
	close(fd);
	if (mount(src, dst, NULL, MS_BIND, NULL))
		return -errno;
	return 0;
}

/* A minimal /dev for a root_fs: the harmless character devices, nothing of the host's disks. */
static int make_dev(const char *root, char *what, size_t wlen)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	char dev[PATH_MAX], p[PATH_MAX + 16];
	int err;

	snprintf(dev, sizeof(dev), "%s/dev", root);
	if (mkdir(dev, 0755) && errno != EEXIST)
		FAIL(-errno, "create %s", dev);
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k"))
		FAIL(-errno, "mount tmpfs on %s", dev);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dev, nodes[i]);
		err = bind_dev(nodes[i], p);
		if (err)
			FAIL(err, "bind /dev/%s into %s", nodes[i], dev);
	}
	snprintf(p, sizeof(p), "%s/shm", dev);
	if (mkdir(p, 01777) || mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"))
		FAIL(-errno, "mount tmpfs on %s", p);
	snprintf(p, sizeof(p), "%s/fd", dev);
	if (symlink("/proc/self/fd", p))
		FAIL(-errno, "create %s", p);
	return 0;
}

static int mount_proc(const char *at, char *what, size_t wlen)
{
	if (mkdir(at, 0555) && errno != EEXIST)
		FAIL(-errno, "create %s", at);
	if (mount("proc", at, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		FAIL(-errno, "mount proc on %s", at);
	return 0;
}

static int enter_root(const char *root, bool *fallback, char *what, size_t wlen)
{
	char p[PATH_MAX + 8];
	struct stat st;
	int err;

	if (stat(root, &st))
		FAIL(-errno, "root_fs %s", root);
	if (!S_ISDIR(st.st_mode))
		FAIL(-ENOTDIR, "root_fs %s", root);
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL))
		FAIL(-errno, "bind root_fs %s", root);
	err = make_dev(root, what, wlen);
	if (err)
		return err;
	/* proc of the sandbox's PID namespace, or of the host's when it has none */
	snprintf(p, sizeof(p), "%s/proc", root);
	err = mount_proc(p, what, wlen);
	if (err)
		return err;
	if (chdir(root))
		FAIL(-errno, "chdir %s", root);
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		/* the old root is now stacked on the new one: detach it */
		if (umount2(".", MNT_DETACH))
			FAIL(-errno, "detach the old root");
	} else if (errno == EINVAL) {
		/* An initramfs root cannot be pivoted: move the new root over it and chroot. */
		if (mount(".", "/", NULL, MS_MOVE, NULL))
			FAIL(-errno, "move root_fs %s to /", root);
		if (chroot("."))
			FAIL(-errno, "chroot %s", root);
		*fallback = true;
	} else {
		FAIL(-errno, "pivot_root to %s", root);
	}
	if (chdir("/"))
		FAIL(-errno, "chdir /");
	return 0;
}

struct pathop {
	const char *path;
	const char *key;
	size_t index;
	bool ro;
};

static int cmp_pathop(const void *a, const void *b)
{
	const struct pathop *x = a, *y = b;
	size_t lx = strlen(x->path), ly = strlen(y->path);

	/* shorter first; the same path: writable first, so read-only wins */
	if (lx != ly)
		return lx < ly ? -1 : 1;
	if (x->ro != y->ro)
		return x->ro ? 1 : -1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int bind_ro_rw(const struct pathop *op, char *what, size_t wlen)
{
	static const char *const none[] = { NULL };
	char real[PATH_MAX];
	int err;

	if (!realpath(op->path, real)) {
		/* A read-only path the sandbox cannot reach needs nothing; one it could create does. */
		if (op->ro && errno == EACCES)
			return 0;
		FAIL(-errno, "%s: %s", op->key, op->path);
	}
	if (mount(real, real, NULL, MS_BIND | MS_REC, NULL))
		FAIL(-errno, "%s: bind %s", op->key, real);
	if (op->ro)
		return remount_tree_ro(real, none, what, wlen);
	err = remount(real, false);
	if (err)
		FAIL(err, "%s: make %s writable", op->key, real);
	return 0;
}

static int mask(const char *path, char *what, size_t wlen)
{
	char real[PATH_MAX];
	struct stat st;

	/* Nothing to hide where nothing is, or where the sandbox cannot look. */
	if (!realpath(path, real) || stat(real, &st)) {
		if (errno == ENOENT || errno == EACCES || errno == ENOTDIR)
			return 0;
		FAIL(-errno, "masked_paths: %s", path);
	}
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", real, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "mode=0555"))
			FAIL(-errno, "masked_paths: mount an empty directory on %s", real);
	} else if (mount("/dev/null", real, NULL, MS_BIND, NULL)) {
		FAIL(-errno, "masked_paths: bind /dev/null on %s", real);
	}
	return 0;
}

int hx_mounts_setup(const struct hx_run_plan *plan, bool *chroot_fallback, char *what, size_t wlen)
{
	static const char *const keep_rw[] = { "/proc", "/dev/shm", "/dev/pts", "/dev/mqueue",
					       NULL };
	const struct hx_process_opts *o = plan->proc;
	struct pathop *ops;
	size_t nops = 0;
	int err = 0;

	*chroot_fallback = false;
	/* Nothing done here may reach the host's mount namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		FAIL(-errno, "make / a slave mount");
	if (o->root_fs) {
		err = enter_root(o->root_fs, chroot_fallback, what, wlen);
		if (err)
			return err;
	} else if (plan->pidns) {
		err = mount_proc("/proc", what, wlen);
		if (err)
			return err;
	}
	if (o->read_only_root == HX_YES) {
		err = remount_tree_ro("/", keep_rw, what, wlen);
		if (err)
			return err;
	}
	ops = calloc(o->read_only_paths.n + o->writable_paths.n + 1, sizeof(*ops));
	if (!ops)
		FAIL(-ENOMEM, "allocate");
	for (size_t i = 0; i < o->read_only_paths.n; i++)
		ops[nops++] =
			(struct pathop){ o->read_only_paths.v[i], "read_only_paths", i, true };
	for (size_t i = 0; i < o->writable_paths.n; i++)
		ops[nops++] = (struct pathop){ o->writable_paths.v[i], "writable_paths", i, false };
	qsort(ops, nops, sizeof(*ops), cmp_pathop);
	for (size_t i = 0; i < nops && !err; i++)
		err = bind_ro_rw(&ops[i], what, wlen);
	free(ops);
	if (err)
		return err;
	for (size_t i = 0; i < o->tmpfs.n; i++) {
		char path[PATH_MAX], data[512];
		unsigned long flags;

		if (hx_tmpfs_parse(o->tmpfs.v[i], path, sizeof(path), &flags, data, sizeof(data)))
			FAIL(-EINVAL, "tmpfs: '%s' is not PATH[:OPTIONS]", o->tmpfs.v[i]);
		if (mount("tmpfs", path, "tmpfs", flags, data))
			FAIL(-errno, "tmpfs: mount on %s", path);
	}
	for (size_t i = 0; i < o->masked_paths.n; i++) {
		err = mask(o->masked_paths.v[i], what, wlen);
		if (err)
			return err;
	}
	/* The run's limits and its cgroup membership are not the program's to change. */
	if (plan->cgroup_mount && !o->root_fs && access(plan->cgroup_mount, F_OK) == 0) {
		if (mount(plan->cgroup_mount, plan->cgroup_mount, NULL, MS_BIND | MS_REC, NULL))
			FAIL(-errno, "bind %s", plan->cgroup_mount);
		err = remount_tree_ro(plan->cgroup_mount, NULL, what, wlen);
	}
	return err;
}
