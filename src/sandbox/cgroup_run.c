// SPDX-License-Identifier: GPL-2.0
/* The per-run child cgroup: limits, statistics, kill, removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

/* cpu.max period: the kernel's default, 100 ms */
#define CPU_PERIOD_US 100000u

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = 0;
	return 0;
}

/* The whole of a /proc file, which may come in several reads. */
static int read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t o = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (o + 1 < len && (n = read(fd, buf + o, len - 1 - o)) > 0)
		o += (size_t)n;
	close(fd);
	buf[o] = 0;
	return 0;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(val), n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, (size_t)len);
	if (n != len) {
		n = n < 0 ? -errno : -EIO;
		close(fd);
		return (int)n;
	}
	close(fd);
	return 0;
}

int hx_kv_find(const char *text, const char *key, uint64_t *out)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, key, klen) && l[klen] == ' ') {
			char *end;

			errno = 0;
			*out = strtoull(l + klen + 1, &end, 10);
			if (errno || end == l + klen + 1)
				return -EINVAL;
			return 0;
		}
	}
	return -ENOENT;
}

int hx_cpu_max_format(uint32_t milli, char *buf, size_t len)
{
	uint64_t quota = (uint64_t)milli * CPU_PERIOD_US / 1000;

	if ((size_t)snprintf(buf, len, "%" PRIu64 " %u", quota, CPU_PERIOD_US) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int hx_runcg_create(struct hx_run_cg *cg, const char *root, const char *parent, const char *name)
{
	struct stat st;

	memset(cg, 0, sizeof(*cg));
	if ((size_t)snprintf(cg->root, sizeof(cg->root), "%s", root) >= sizeof(cg->root) ||
	    (size_t)snprintf(cg->rel, sizeof(cg->rel), "%s/%s", strcmp(parent, "/") ? parent : "",
			     name) >= sizeof(cg->rel) ||
	    (size_t)snprintf(cg->path, sizeof(cg->path), "%s%s", root, cg->rel) >= sizeof(cg->path))
		return -ENAMETOOLONG;
	if (mkdir(cg->path, 0755))
		return -errno;
	cg->created = true;
	if (stat(cg->path, &st))
		return -errno;
	cg->id = st.st_ino;
	return 0;
}

static bool has_token_sep(const char *s, const char *tok, const char *sep)
{
	size_t n = strlen(tok);

	for (const char *p = s; *p;) {
		size_t l = strcspn(p, sep);

		if (l == n && !strncmp(p, tok, n))
			return true;
		p += l;
		p += strspn(p, sep);
	}
	return false;
}

static bool has_token(const char *buf, const char *tok)
{
	return has_token_sep(buf, tok, " \n");
}

/* Enables @ctrl in cgroup.subtree_control of every cgroup from the root down to the run's parent. */
static int enable_controller(struct hx_run_cg *cg, const char *ctrl, char *what, size_t wlen)
{
	char dir[sizeof(cg->path)], file[sizeof(cg->path) + 32], buf[512], plus[32];
	size_t rlen = strlen(cg->root), plen;
	const char *last = strrchr(cg->rel, '/');
	int err;

	snprintf(file, sizeof(file), "%s/cgroup.controllers", cg->root);
	if (read_file(file, buf, sizeof(buf)) || !has_token(buf, ctrl)) {
		snprintf(what, wlen,
			 "the %s controller is not available in the cgroup2 hierarchy at %s", ctrl,
			 cg->root);
		return -EOPNOTSUPP;
	}
	snprintf(plus, sizeof(plus), "+%s", ctrl);
	/* the run's parent, then each of its ancestors down from the root */
	plen = rlen + (size_t)(last - cg->rel);
	memcpy(dir, cg->path, plen);
	dir[plen] = 0;
	for (size_t end = rlen; end <= plen; end++) {
		char save = dir[end];

		if (end < plen && save != '/')
			continue;
		dir[end] = 0;
		snprintf(file, sizeof(file), "%s/cgroup.subtree_control", dir);
		dir[end] = save;
		err = read_file(file, buf, sizeof(buf));
		if (!err && has_token(buf, ctrl))
			continue;
		err = write_file(file, plus);
		if (err) {
			snprintf(what, wlen, "cannot enable the %s controller in %s", ctrl, file);
			return err;
		}
	}
	return 0;
}

int hx_mountinfo_v1(const char *mountinfo, const char *ctrl, char *out, size_t len)
{
	const char *l = mountinfo;

	while (l && *l) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		char line[2048], *save = NULL, *mp = NULL, *t, *dash;

		if (n < sizeof(line)) {
			memcpy(line, l, n);
			line[n] = 0;
			dash = strstr(line, " - ");
			if (dash) {
				*dash = 0;
				t = strtok_r(line, " ", &save);
				for (int i = 1; t && i < 5; i++)
					mp = t = strtok_r(NULL, " ", &save);
				/* after " - ": fstype, source, super options */
				save = NULL;
				t = strtok_r(dash + 3, " ", &save);
				if (mp && t && !strcmp(t, "cgroup") && strtok_r(NULL, " ", &save) &&
				    (t = strtok_r(NULL, " ", &save)) &&
				    has_token_sep(t, ctrl, ",")) {
					if ((size_t)snprintf(out, len, "%s", mp) >= len)
						return -ENAMETOOLONG;
					return 0;
				}
			}
		}
		l = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

static bool on_v2(const struct hx_run_cg *cg, const char *ctrl)
{
	char file[sizeof(cg->root) + 32], buf[512];

	snprintf(file, sizeof(file), "%s/cgroup.controllers", cg->root);
	return !read_file(file, buf, sizeof(buf)) && has_token(buf, ctrl);
}

/* The run's cgroup in the v1 hierarchy of @ctrl, created with its parents. */
static struct hx_v1_cg *v1_run(struct hx_run_cg *cg, const char *ctrl, char *what, size_t wlen,
			       int *err)
{
	static char info[65536];
	char mnt[256];
	struct hx_v1_cg *v;

	for (size_t i = 0; i < cg->nv1; i++)
		if (!strcmp(cg->v1[i].ctrl, ctrl))
			return &cg->v1[i];
	*err = read_all("/proc/self/mountinfo", info, sizeof(info));
	if (!*err)
		*err = hx_mountinfo_v1(info, ctrl, mnt, sizeof(mnt));
	if (*err) {
		snprintf(
			what, wlen,
			"the %s controller is neither in the cgroup2 hierarchy at %s nor in a cgroup v1 hierarchy",
			ctrl, cg->root);
		*err = -EOPNOTSUPP;
		return NULL;
	}
	if (cg->nv1 == HX_V1_MAX) {
		*err = -E2BIG;
		return NULL;
	}
	v = &cg->v1[cg->nv1];
	v->ctrl = ctrl;
	if ((size_t)snprintf(v->path, sizeof(v->path), "%s%s", mnt, cg->rel) >= sizeof(v->path)) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	/* the parents, as the daemon creates them in cgroup2 */
	for (char *p = v->path + strlen(mnt) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(v->path, 0755) && errno != EEXIST) {
			*err = -errno;
			snprintf(what, wlen, "cannot create %s", v->path);
			*p = '/';
			return NULL;
		}
		*p = '/';
	}
	if (mkdir(v->path, 0755) && errno != EEXIST) {
		*err = -errno;
		snprintf(what, wlen, "cannot create %s", v->path);
		return NULL;
	}
	v->created = true;
	cg->nv1++;
	return v;
}

static int set_limit(struct hx_run_cg *cg, const char *ctrl, const char *file, const char *val,
		     char *what, size_t wlen)
{
	char path[sizeof(cg->path) + 32];
	int err = 0;

	if (on_v2(cg, ctrl)) {
		err = enable_controller(cg, ctrl, what, wlen);
		if (err)
			return err;
		snprintf(path, sizeof(path), "%s/%s", cg->path, file);
	} else {
		/* hybrid layout: the v1 file of the same limit */
		struct hx_v1_cg *v = v1_run(cg, ctrl, what, wlen, &err);

		if (!v)
			return err;
		if (!strcmp(file, "memory.max"))
			file = "memory.limit_in_bytes";
		else if (!strcmp(file, "cpu.max"))
			file = "cpu.cfs_quota_us";
		snprintf(path, sizeof(path), "%s/%s", v->path, file);
	}
	err = write_file(path, val);
	if (err)
		snprintf(what, wlen, "%s refused %s", path, val);
	return err;
}

int hx_runcg_apply_limits(struct hx_run_cg *cg, const struct hx_limits *l, char *what, size_t wlen)
{
	char val[64], path[sizeof(cg->path) + 32];
	int err;

	if (l->max_memory) {
		snprintf(val, sizeof(val), "%" PRIu64, l->max_memory);
		err = set_limit(cg, "memory", "memory.max", val, what, wlen);
		if (err)
			return err;
		/*
		 * Without this the limit would only move memory to swap. Best
		 * effort: absent without swap support, and max_memory holds anyway.
		 */
		snprintf(path, sizeof(path), "%s/memory.swap.max", cg->path);
		if (access(path, F_OK) == 0)
			(void)write_file(path, "0");
		for (size_t i = 0; i < cg->nv1; i++) {
			if (strcmp(cg->v1[i].ctrl, "memory"))
				continue;
			snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes",
				 cg->v1[i].path);
			if (access(path, F_OK) == 0)
				(void)write_file(path, val);
		}
	}
	if (l->max_cpu_milli) {
		hx_cpu_max_format(l->max_cpu_milli, val, sizeof(val));
		if (!on_v2(cg, "cpu")) {
			/* v1: the period (the default, written to be sure), then the quota alone */
			err = set_limit(cg, "cpu", "cpu.cfs_period_us", strchr(val, ' ') + 1, what,
					wlen);
			if (err)
				return err;
			*strchr(val, ' ') = 0;
		}
		err = set_limit(cg, "cpu", "cpu.max", val, what, wlen);
		if (err)
			return err;
	}
	if (l->max_processes) {
		snprintf(val, sizeof(val), "%" PRIu64, (uint64_t)l->max_processes);
		err = set_limit(cg, "pids", "pids.max", val, what, wlen);
		if (err)
			return err;
	}
	return 0;
}

bool hx_runcg_populated(const struct hx_run_cg *cg)
{
	char path[sizeof(cg->path) + 32], buf[256];
	uint64_t v = 1;

	snprintf(path, sizeof(path), "%s/cgroup.events", cg->path);
	if (read_file(path, buf, sizeof(buf)))
		return false; /* gone */
	hx_kv_find(buf, "populated", &v);
	return v != 0;
}

/* SIGKILLs the processes of @dir and of every cgroup below it; returns how many were seen. */
static int kill_tree(const char *dir, int depth)
{
	char path[PATH_MAX];
	int n = 0;
	FILE *f;
	DIR *d;
	struct dirent *de;

	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return 0;
	f = fopen(path, "re");
	if (f) {
		long pid;

		while (fscanf(f, "%ld", &pid) == 1) {
			if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
				n++;
		}
		fclose(f);
	}
	if (depth > 64)
		return n;
	d = opendir(dir);
	if (!d)
		return n;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			n += kill_tree(path, depth + 1);
	}
	closedir(d);
	return n;
}

int hx_runcg_kill(struct hx_run_cg *cg)
{
	char path[sizeof(cg->path) + 32];
	int err;

	snprintf(path, sizeof(path), "%s/cgroup.kill", cg->path);
	err = write_file(path, "1");
	if (err != -ENOENT)
		return err;
	/*
	 * No cgroup.kill before 5.14: freeze the subtree so that nothing forks
	 * while its processes are listed, kill them (a frozen task still dies
	 * of SIGKILL), thaw, and repeat until nothing is left.
	 */
	snprintf(path, sizeof(path), "%s/cgroup.freeze", cg->path);
	write_file(path, "1");
	for (int i = 0; i < 100 && kill_tree(cg->path, 0) > 0; i++) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	write_file(path, "0");
	return 0;
}

/* Removes the cgroups below @dir, deepest first, then @dir. */
static int rmdir_tree(const char *dir, int depth)
{
	char path[PATH_MAX];
	DIR *d = depth < 64 ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < sizeof(path))
			rmdir_tree(path, depth + 1);
	}
	if (d)
		closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return 0;
}

int hx_runcg_destroy(struct hx_run_cg *cg)
{
	int err = 0;

	if (!cg->created)
		return 0;
	for (int i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (!hx_runcg_populated(cg))
			break;
		/* The run is over: whatever is left in it ends with it. */
		if (i % 50 == 0)
			hx_runcg_kill(cg);
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < 100; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		err = rmdir_tree(cg->path, 0);
		if (err != -EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	if (!err)
		cg->created = false;
	/* Every process is in cgroup2 too: once that is empty, so are these. */
	for (size_t i = 0; i < cg->nv1; i++) {
		if (!cg->v1[i].created)
			continue;
		int e = rmdir_tree(cg->v1[i].path, 0);

		if (e && !err)
			err = e;
		else if (!e)
			cg->v1[i].created = false;
	}
	return err;
}

static uint64_t read_u64(const char *dir, const char *file)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_file(path, buf, sizeof(buf)))
		return 0;
	return strtoull(buf, NULL, 10);
}

/* The v1 counters of a hybrid layout, in place of the cgroup2 ones its controller lacks. */
static void v1_stats(const struct hx_v1_cg *v, struct hx_runcg_stats *s)
{
	char path[PATH_MAX], buf[2048];
	uint64_t x;

	if (!strcmp(v->ctrl, "memory")) {
		s->mem_max = read_u64(v->path, "memory.failcnt");
		s->mem_current = read_u64(v->path, "memory.usage_in_bytes");
		s->mem_peak = read_u64(v->path, "memory.max_usage_in_bytes");
		snprintf(path, sizeof(path), "%s/memory.oom_control", v->path);
		/* v1 counts kills (4.13+), not OOM events: each kill was one */
		if (!read_file(path, buf, sizeof(buf)) && !hx_kv_find(buf, "oom_kill", &x))
			s->mem_oom = s->mem_oom_kill = x;
	} else if (!strcmp(v->ctrl, "pids")) {
		snprintf(path, sizeof(path), "%s/pids.events", v->path);
		if (!read_file(path, buf, sizeof(buf)))
			hx_kv_find(buf, "max", &s->pids_max);
		s->pids_current = read_u64(v->path, "pids.current");
	} else if (!strcmp(v->ctrl, "cpu")) {
		snprintf(path, sizeof(path), "%s/cpu.stat", v->path);
		if (!read_file(path, buf, sizeof(buf))) {
			hx_kv_find(buf, "nr_throttled", &s->cpu_nr_throttled);
			if (!hx_kv_find(buf, "throttled_time", &x))
				s->cpu_throttled_usec = x / 1000;
		}
	}
}

void hx_runcg_stats(const struct hx_run_cg *cg, struct hx_runcg_stats *s)
{
	char path[sizeof(cg->path) + 32], buf[2048];

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/memory.events", cg->path);
	if (!read_file(path, buf, sizeof(buf))) {
		hx_kv_find(buf, "max", &s->mem_max);
		hx_kv_find(buf, "oom", &s->mem_oom);
		hx_kv_find(buf, "oom_kill", &s->mem_oom_kill);
	}
	snprintf(path, sizeof(path), "%s/pids.events", cg->path);
	if (!read_file(path, buf, sizeof(buf)))
		hx_kv_find(buf, "max", &s->pids_max);
	snprintf(path, sizeof(path), "%s/cpu.stat", cg->path);
	if (!read_file(path, buf, sizeof(buf))) {
		hx_kv_find(buf, "usage_usec", &s->cpu_usage_usec);
		hx_kv_find(buf, "nr_throttled", &s->cpu_nr_throttled);
		hx_kv_find(buf, "throttled_usec", &s->cpu_throttled_usec);
	}
	s->mem_current = read_u64(cg->path, "memory.current");
	s->mem_peak = read_u64(cg->path, "memory.peak");
	s->pids_current = read_u64(cg->path, "pids.current");
	s->pids_peak = read_u64(cg->path, "pids.peak");
	for (size_t i = 0; i < cg->nv1; i++)
		v1_stats(&cg->v1[i], s);
}
