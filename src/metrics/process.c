// SPDX-License-Identifier: GPL-2.0
/*
 * The standard process_* metrics of a Prometheus target, for the daemon
 * itself, read from /proc as the official client libraries read them (so
 * that dashboards made for any exporter work on the agent).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics.h"

int hx_proc_parse_stat(const char *line, long ticks_per_s, long page_size, uint64_t btime,
		       struct hx_proc_stats *st)
{
	/* fields 3..24 of proc_pid_stat(5); the name (field 2) may hold spaces and ')' */
	long long f[25];
	const char *p = strrchr(line, ')');
	char *end;

	if (!p || p[1] != ' ' || ticks_per_s <= 0 || page_size <= 0)
		return -EINVAL;
	p += 2;
	if (!*p || *p == ' ')
		return -EINVAL;
	p++; /* field 3, the state: one letter */
	for (int i = 4; i <= 24; i++) {
		errno = 0;
		f[i] = strtoll(p, &end, 10);
		if (end == p || errno || (*end != ' ' && *end != '\n' && *end))
			return -EINVAL;
		p = end;
	}
	if (f[14] < 0 || f[15] < 0 || f[22] < 0 || f[23] < 0 || f[24] < 0)
		return -EINVAL;
	st->cpu_seconds = (double)(f[14] + f[15]) / (double)ticks_per_s;
	st->start_time_seconds = (double)btime + (double)f[22] / (double)ticks_per_s;
	st->virtual_bytes = (uint64_t)f[23];
	st->resident_bytes = (uint64_t)f[24] * (uint64_t)page_size;
	return 0;
}

static int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	return n ? 0 : -EIO;
}

int hx_proc_stats_self(struct hx_proc_stats *st)
{
	char buf[4096], *bt;
	unsigned long long btime;
	struct rlimit rl;
	struct dirent *de;
	DIR *d;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = read_text("/proc/stat", buf, sizeof(buf));
	if (rc)
		return rc;
	bt = strstr(buf, "\nbtime ");
	if (!bt || sscanf(bt, "\nbtime %llu", &btime) != 1)
		return -EINVAL;
	rc = read_text("/proc/self/stat", buf, sizeof(buf));
	if (rc)
		return rc;
	rc = hx_proc_parse_stat(buf, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), btime, st);
	if (rc)
		return rc;
	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		/* not ".", "..", nor the descriptor this listing itself holds */
		if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
			st->open_fds++;
	closedir(d);
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	st->max_fds = rl.rlim_cur;
	return 0;
}

void hx_prom_process(struct hx_buf *b)
{
	struct hx_proc_stats st;

	/* an absent metric is honest; a zero would be a wrong value */
	if (hx_proc_stats_self(&st))
		return;
	hx_prom_family(b, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
	hx_prom_f64(b, "process_cpu_seconds_total", NULL, st.cpu_seconds);
	hx_prom_family(b, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
	hx_prom_u64(b, "process_resident_memory_bytes", NULL, st.resident_bytes);
	hx_prom_family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	hx_prom_u64(b, "process_virtual_memory_bytes", NULL, st.virtual_bytes);
	hx_prom_family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
	hx_prom_u64(b, "process_open_fds", NULL, st.open_fds);
	hx_prom_family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
	hx_prom_u64(b, "process_max_fds", NULL, st.max_fds);
	hx_prom_family(b, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in seconds.");
	hx_prom_f64(b, "process_start_time_seconds", NULL, st.start_time_seconds);
}
