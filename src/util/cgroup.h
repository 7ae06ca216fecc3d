/* SPDX-License-Identifier: GPL-2.0 */
/* cgroup v2 helpers */
#ifndef HX_CGROUP_H
#define HX_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* Finds the cgroup2 mount (/sys/fs/cgroup, or .../unified in a hybrid layout). */
int hx_cgroup2_root(char *out, size_t len);
/* Creates @rel (e.g. "/helixagent/web") and its parents below the root. */
int hx_cgroup_mkdir_p(const char *root, const char *rel);
/* The cgroup id of @rel: the kernfs inode number of its directory. */
int hx_cgroup_id(const char *root, const char *rel, uint64_t *id);
/* The cgroup v2 path of a process, from /proc/PID/cgroup ("0::/x/y"). */
int hx_cgroup_of_pid(int pid, char *out, size_t len);
/*
 * @rel in the kernel's form of a cgroup path, "/a/b" (one slash between
 * names, a leading one, none at the end), into @out (@len bytes, zero-padded).
 * Returns its length, or -ENAMETOOLONG when it does not fit with its NUL.
 */
int hx_cgroup_kernel_path(const char *rel, char *out, size_t len);
/* Moves @pid into @rel. */
int hx_cgroup_attach(const char *root, const char *rel, int pid);

#endif
