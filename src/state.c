// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "util/str.h"

int hx_state_write(const struct hx_loader *l, const char *policy_file, const struct hx_policy *p)
{
	char tmp[] = HX_STATE_FILE ".XXXXXX";
	FILE *f;
	int fd;

	if (mkdir(HX_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	fprintf(f, "pid %d\ngeneration %u\nmode %s\npolicy %s\n", getpid(), l->generation,
		p->mode == HX_PM_AUDIT ? "audit" : "enforce", policy_file);
	for (size_t i = 0; i < l->nprogs; i++)
		fprintf(f, "program %s\n", l->progs[i]);
	for (size_t i = 0; i < l->cur.nsbx; i++)
		fprintf(f, "sandbox %zu %llu %s %s %s\n", i,
			(unsigned long long)l->cur.sbx[i].cgid,
			l->cur.sbx[i].mode ? "audit" : "enforce", l->cur.sbx[i].name,
			l->cur.sbx[i].cgroup);
	if (fflush(f) || fsync(fd)) {
		fclose(f);
		unlink(tmp);
		return -EIO;
	}
	fclose(f);
	fchmod(fd, 0644);
	if (rename(tmp, HX_STATE_FILE)) {
		unlink(tmp);
		return -errno;
	}
	chmod(HX_STATE_FILE, 0644);
	return 0;
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

void hx_state_free(struct hx_state *s)
{
	free(s->sbx);
	memset(s, 0, sizeof(*s));
}
