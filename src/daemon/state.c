// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "util/str.h"

/*
 * /run/helixagent names rules, paths and cgroups: root's alone, also when an
 * older daemon made it 0755.
 */
static int run_dir(void)
{
	if (mkdir(HX_RUN_DIR, 0700) && errno != EEXIST)
		return -1;
	return chmod(HX_RUN_DIR, 0700);
}

/*
 * Files of /run/helixagent are replaced whole: written under @tmp (a
 * mkstemp template beside the name), then renamed over it, so a reader sees
 * the old file or the new one. NULL with -errno in *@err on failure.
 */
static FILE *replace_begin(char *tmp, int *err)
{
	FILE *f;
	int fd;

	if (run_dir()) {
		*err = -errno;
		return NULL;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		*err = -ENOMEM;
	}
	return f;
}

/* Flushes @f (with @sync, to the disk too), makes it root's alone, and renames it over @path. */
static int replace_end(FILE *f, const char *tmp, const char *path, bool sync)
{
	if (fflush(f) || (sync && fsync(fileno(f)))) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fchmod(fileno(f), 0600);
	fclose(f);
	if (rename(tmp, path)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

int hx_state_write(const struct hx_loader *l, const char *policy_file, const struct hx_policy *p)
{
	char tmp[] = HX_STATE_FILE ".XXXXXX";
	int err;
	FILE *f = replace_begin(tmp, &err);

	if (!f)
		return err;
	fprintf(f, "pid %d\ngeneration %u\nmode %s\npolicy %s\n", getpid(), l->generation,
		p->mode == HX_PM_AUDIT ? "audit" : "enforce", policy_file);
	{
		char exe[512];
		uint64_t start;

		/* `unload` signals this pid only while it still names this process. */
		if (!hx_proc_identity(getpid(), exe, sizeof(exe), &start) && !strchr(exe, '\n'))
			fprintf(f, "start %llu\nexe %s\n", (unsigned long long)start, exe);
	}
	for (size_t i = 0; i < l->nprogs; i++)
		fprintf(f, "program %s\n", l->progs[i]);
	for (size_t i = 0; i < l->cur.nsbx; i++)
		fprintf(f, "sandbox %zu %llu %s %s %s\n", i, (unsigned long long)l->cur.sbx[i].cgid,
			l->cur.sbx[i].mode ? "audit" : "enforce", l->cur.sbx[i].name,
			l->cur.sbx[i].cgroup);
	/* Rule names by id: a restarted daemon names what was decided before it came. */
	for (size_t i = 0; i < l->cur.nrules; i++) {
		const struct hx_rule_info *r = &l->cur.rules[i];

		if (strpbrk(r->name, " \n") || (r->path && strchr(r->path, '\n')))
			continue;
		fprintf(f, "rule %zu %u %u %s%s%s\n", i, r->sbx, r->family, r->name,
			r->path ? " " : "", r->path ? r->path : "");
	}
	return replace_end(f, tmp, HX_STATE_FILE, true);
}

int hx_state_read(struct hx_state *s)
{
	char line[1200];
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen(HX_STATE_FILE, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "pid ", 4)) {
			s->pid = atoi(line + 4);
		} else if (!strncmp(line, "start ", 6)) {
			s->start = strtoull(line + 6, NULL, 10);
		} else if (!strncmp(line, "exe ", 4)) {
			hx_strlcpy(s->exe, line + 4, sizeof(s->exe));
		} else if (!strncmp(line, "generation ", 11)) {
			s->generation = (uint32_t)strtoul(line + 11, NULL, 10);
		} else if (!strncmp(line, "mode ", 5)) {
			hx_strlcpy(s->mode, line + 5, sizeof(s->mode));
		} else if (!strncmp(line, "policy ", 7)) {
			hx_strlcpy(s->policy, line + 7, sizeof(s->policy));
		} else if (!strncmp(line, "program ", 8)) {
			if (s->nprogs < sizeof(s->progs) / sizeof(s->progs[0]) &&
			    sscanf(line + 8, "%63s %63s", s->progs[s->nprogs].section,
				   s->progs[s->nprogs].pin) == 2)
				s->nprogs++;
		} else if (!strncmp(line, "sandbox ", 8)) {
			struct hx_state_sbx *nv = realloc(s->sbx, (s->nsbx + 1) * sizeof(*nv));
			struct hx_state_sbx *x;
			unsigned long long cgid;

			if (!nv)
				break;
			s->sbx = nv;
			x = &nv[s->nsbx];
			memset(x, 0, sizeof(*x));
			if (sscanf(line + 8, "%u %llu %15s %63s %511s", &x->idx, &cgid, x->mode,
				   x->name, x->cgroup) == 5) {
				x->cgid = cgid;
				s->nsbx++;
			}
		}
	}
	fclose(f);
	return 0;
}

int hx_proc_identity(int pid, char *exe, size_t exelen, uint64_t *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	buf[n] = 0;
	/* The name in parentheses may hold anything: fields count from its last ')'. */
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return -EINVAL;
	/* A zombie is gone, whatever waits to reap it. */
	if (p[2] == 'Z' || p[2] == 'X')
		return -ESRCH;
	/* ") S ppid ...": the state is field 3, starttime field 22 */
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22)
		return -EINVAL;
	*start = strtoull(p, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, exelen - 1);
	if (n < 0) {
		exe[0] = 0; /* a kernel thread, or no permission: the start time decides */
	} else {
		static const char del[] = " (deleted)";

		exe[n] = 0;
		if ((size_t)n > sizeof(del) - 1 && !strcmp(exe + n - (sizeof(del) - 1), del))
			exe[n - (sizeof(del) - 1)] = 0;
	}
	return 0;
}

enum hx_daemon_check hx_state_daemon(const struct hx_state *s, char *what, size_t whatlen)
{
	char exe[512];
	uint64_t start;
	const char *base;

	what[0] = 0;
	if (s->pid <= 0 || hx_proc_identity(s->pid, exe, sizeof(exe), &start))
		return HX_DAEMON_NONE;
	snprintf(what, whatlen, "%s, started at tick %llu", exe[0] ? exe : "?",
		 (unsigned long long)start);
	if (s->start)
		return start == s->start && (!s->exe[0] || !exe[0] || !strcmp(exe, s->exe)) ?
			       HX_DAEMON_ALIVE :
			       HX_DAEMON_OTHER;
	/* A state file of an older daemon names no start time: its executable's name must match. */
	base = strrchr(exe, '/');
	return base && !strcmp(base + 1, "helixagent") ? HX_DAEMON_ALIVE : HX_DAEMON_OTHER;
}

void hx_state_free(struct hx_state *s)
{
	free(s->sbx);
	memset(s, 0, sizeof(*s));
}

void hx_counters_set(struct hx_counters *c, const char *name, const char *fmt, ...)
{
	struct hx_counter *e = NULL;
	va_list ap;

	for (size_t i = 0; i < c->n && !e; i++)
		if (!strcmp(c->v[i].name, name))
			e = &c->v[i];
	if (!e) {
		if (c->n == HX_COUNTERS_MAX)
			return;
		e = &c->v[c->n++];
		hx_strlcpy(e->name, name, sizeof(e->name));
	}
	va_start(ap, fmt);
	vsnprintf(e->value, sizeof(e->value), fmt, ap);
	va_end(ap);
	/* one line per counter */
	e->value[strcspn(e->value, "\n")] = 0;
}

const char *hx_counters_get(const struct hx_counters *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return c->v[i].value;
	return NULL;
}

int hx_counters_write(const struct hx_counters *c)
{
	char tmp[] = HX_COUNTERS_FILE ".XXXXXX";
	int err;
	FILE *f = replace_begin(tmp, &err);

	if (!f)
		return err;
	for (size_t i = 0; i < c->n; i++)
		fprintf(f, "%s %s\n", c->v[i].name, c->v[i].value);
	/* /run is memory: no fsync, a reader sees the old file or the new one */
	return replace_end(f, tmp, HX_COUNTERS_FILE, false);
}

int hx_counters_read(struct hx_counters *c)
{
	char line[300];
	FILE *f;

	memset(c, 0, sizeof(*c));
	f = fopen(HX_COUNTERS_FILE, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && c->n < HX_COUNTERS_MAX) {
		char *sp;

		line[strcspn(line, "\n")] = 0;
		sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = 0;
		hx_strlcpy(c->v[c->n].name, line, sizeof(c->v[c->n].name));
		hx_strlcpy(c->v[c->n].value, sp + 1, sizeof(c->v[c->n].value));
		c->n++;
	}
	fclose(f);
	return 0;
}

int hx_state_read_tables(struct hx_compiled *c)
{
	struct hx_state st;
	char line[PATH_MAX + 256];
	FILE *f;
	int err;

	memset(c, 0, sizeof(*c));
	err = hx_state_read(&st);
	if (err)
		return err;
	c->generation = st.generation;
	c->sbx = calloc(st.nsbx ? st.nsbx : 1, sizeof(*c->sbx));
	if (!c->sbx)
		goto nomem;
	c->nsbx = st.nsbx;
	for (size_t i = 0; i < st.nsbx; i++) {
		struct hx_sbx_info *x = &c->sbx[i];

		if (st.sbx[i].idx >= st.nsbx)
			continue;
		x = &c->sbx[st.sbx[i].idx];
		x->name = strdup(st.sbx[i].name);
		x->cgroup = strdup(st.sbx[i].cgroup);
		x->cgid = st.sbx[i].cgid;
		x->mode = !strcmp(st.sbx[i].mode, "audit");
		if (!x->name || !x->cgroup)
			goto nomem;
	}
	hx_state_free(&st);
	f = fopen(HX_STATE_FILE, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long id;
		unsigned sbx, fam;
		int off = 0;
		char name[256];

		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "rule ", 5) ||
		    sscanf(line + 5, "%lu %u %u %255s%n", &id, &sbx, &fam, name, &off) != 4)
			continue;
		if (id >= c->nrules) {
			struct hx_rule_info *nv = realloc(c->rules, (id + 1) * sizeof(*nv));

			if (!nv)
				break;
			memset(nv + c->nrules, 0, (id + 1 - c->nrules) * sizeof(*nv));
			c->rules = nv;
			c->nrules = id + 1;
		}
		free(c->rules[id].name);
		free(c->rules[id].path);
		c->rules[id].sbx = sbx;
		c->rules[id].family = (uint8_t)fam;
		c->rules[id].name = strdup(name);
		c->rules[id].path = line[5 + off] == ' ' ? strdup(line + 5 + off + 1) : NULL;
	}
	fclose(f);
	/* An id the file skipped must still have a name. */
	for (size_t i = 0; i < c->nrules; i++)
		if (!c->rules[i].name && !(c->rules[i].name = strdup("unknown")))
			goto nomem;
	return 0;
nomem:
	hx_state_free(&st);
	hx_compiled_free(c);
	return -ENOMEM;
}
