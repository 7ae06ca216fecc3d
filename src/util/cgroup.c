// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

int hx_cgroup2_root(char *out, size_t len)
{
	static const char *const cands[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs sf;

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		if (statfs(cands[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
			if ((size_t)snprintf(out, len, "%s", cands[i]) >= len)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENOENT;
}

int hx_cgroup_mkdir_p(const char *root, const char *rel)
{
	char path[PATH_MAX];
	size_t rlen;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", root, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	rlen = strlen(root);
	for (char *p = path + rlen + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;

		*p = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

int hx_cgroup_id(const char *root, const char *rel, uint64_t *id)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s%s", root, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;
	return 0;
}

int hx_cgroup_of_pid(int pid, char *out, size_t len)
{
	char path[64], line[PATH_MAX + 16];
	FILE *f;
	int rc = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		rc = (size_t)snprintf(out, len, "%s", line + 3) >= len ? -ENAMETOOLONG : 0;
		break;
	}
	fclose(f);
	return rc;
}

int hx_cgroup_attach(const char *root, const char *rel, int pid)
{
	char path[PATH_MAX], buf[16];
	int fd, n, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s%s/cgroup.procs", root, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", pid);
	if (write(fd, buf, (size_t)n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

int hx_cgroup_kernel_path(const char *rel, char *out, size_t len)
{
	size_t n = 1;
	int sep = 0;

	if (len < 2)
		return -ENAMETOOLONG;
	memset(out, 0, len);
	out[0] = '/';
	for (const char *c = rel; *c; c++) {
		if (*c == '/') {
			sep = 1; /* written before the next name, if one comes */
			continue;
		}
		sep = sep && n > 1;
		if (n + (size_t)sep + 1 > len - 1) {
			memset(out, 0, len);
			return -ENAMETOOLONG;
		}
		if (sep)
			out[n++] = '/';
		sep = 0;
		out[n++] = *c;
	}
	return (int)n;
}
