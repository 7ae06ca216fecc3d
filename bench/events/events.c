// SPDX-License-Identifier: GPL-2.0
/*
 * hx-bench-events: audit throughput on the host. A producer process on one CPU calls
 * getppid() at a target rate; a tracepoint program (evprod.bpf.c) turns each call into a
 * filesystem denial record on a 16 MiB ring buffer; this process, on the other CPU,
 * consumes the ring exactly as the daemon's hx_d_on_event() does (pad the record, then
 * hx_audit_decision() from src/events/audit.c: ECS formatting and one write per line to
 * the JSON log). Not measured: the LSM hook itself (it cannot load on the host), syslog.
 *
 *   hx-bench-events [-s SECONDS] [-l LOG] [-r RATE,RATE,...]     RATE 0: as fast as possible
 *
 * One JSON object per rate on stdout: target, produced, lost (ring full), written,
 * wall_s, events_per_s (written per second of wall time), consumer_cpu (share of one CPU).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events/audit.h"
#include "evprod.skel.h"

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set); /* best effort: one CPU machines still run */
}

/* The producer: waits for the go byte, then calls getppid() at @rate per second. */
static void produce(int go, double rate, double seconds)
{
	char c;
	double t0, t;
	unsigned long n = 0;

	pin(0);
	if (read(go, &c, 1) != 1)
		_exit(1);
	t0 = now_s(CLOCK_MONOTONIC);
	for (;;) {
		for (int i = 0; i < 64; i++, n++)
			syscall(SYS_getppid);
		t = now_s(CLOCK_MONOTONIC) - t0;
		if (t >= seconds)
			break;
		while (rate > 0 && (double)n > rate * t && t < seconds)
			t = now_s(CLOCK_MONOTONIC) - t0;
	}
	_exit(0);
}

struct consumer {
	struct hx_audit audit;
	struct hx_compiled *tables;
	uint64_t records;
	uint64_t malformed; /* records the daemon would not format: a bench bug, said loudly */
};

/*
 * The names of generation 1, as the daemon would have them: one sandbox (the producer's
 * cgroup, so that the formatter names it without reading /proc, as for any event of a
 * known sandbox) and the rule the records cite.
 */
static struct hx_sbx_info bench_sbx = { .name = "bench", .cgroup = "/helixagent/bench" };
static struct hx_rule_info bench_rule = { .family = HX_FAM_FILE,
					  .name = "filesystem.blocked_paths[0]",
					  .path = "/etc/shadow" };
static struct hx_compiled bench_tables = {
	.generation = 1, .sbx = &bench_sbx, .nsbx = 1, .rules = &bench_rule, .nrules = 1
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct consumer *c = ctx;
	const struct hx_event *e = data;
	static struct hx_event copy;

	c->records++;
	if (len < offsetof(struct hx_event, path) || e->type != HX_EV_DECISION) {
		c->malformed++;
		return 0;
	}
	if (len < sizeof(copy)) {
		memcpy(&copy, data, len);
		memset((char *)&copy + len, 0, sizeof(copy) - len);
		e = &copy;
	}
	if (!bench_sbx.cgid)
		bench_sbx.cgid = e->cgid;
	hx_audit_decision(&c->audit, e, c->tables);
	return 0;
}

static uint64_t count(struct evprod_bpf *skel, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1], sum = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.ev_count), &slot, vals))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static int step(double rate, double seconds, const char *log)
{
	struct evprod_bpf *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct consumer c = { .tables = &bench_tables };
	int go[2], status, err = -1;
	double t0, c0, wall, cpu;
	pid_t pid;

	if (pipe(go))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(go[1]);
		produce(go[0], rate, seconds);
	}
	close(go[0]);
	unlink(log);
	if (hx_audit_open(&c.audit, log, false)) {
		fprintf(stderr, "hx-bench-events: %s: %s\n", log, strerror(errno));
		goto out;
	}
	skel = evprod_bpf__open();
	if (!skel)
		goto out;
	skel->rodata->producer_tgid = (__u32)pid;
	if (evprod_bpf__load(skel) || evprod_bpf__attach(skel)) {
		fprintf(stderr, "hx-bench-events: cannot load the producer: %s\n", strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.ev_ring), on_event, &c, NULL);
	if (!rb)
		goto out;
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	if (write(go[1], "g", 1) != 1)
		goto out;
	while (waitpid(pid, &status, WNOHANG) == 0)
		ring_buffer__poll(rb, 50);
	pid = 0;
	while (ring_buffer__consume(rb) > 0)
		;
	wall = now_s(CLOCK_MONOTONIC) - t0;
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("{\"target_per_s\":%.0f,\"produced\":%llu,\"lost\":%llu,\"records\":%llu,"
	       "\"written\":%llu,\"wall_s\":%.3f,\"events_per_s\":%.0f,\"consumer_cpu\":%.3f}\n",
	       rate, (unsigned long long)count(skel, 0) + count(skel, 1),
	       (unsigned long long)count(skel, 1), (unsigned long long)c.records,
	       (unsigned long long)c.audit.written, wall, (double)c.audit.written / wall,
	       cpu / wall);
	fflush(stdout);
	err = 0;
	if (c.malformed) {
		fprintf(stderr,
			"hx-bench-events: %llu records not shaped like the agent's events\n",
			(unsigned long long)c.malformed);
		err = -1;
	}
out:
	close(go[1]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ring_buffer__free(rb);
	evprod_bpf__destroy(skel);
	hx_audit_close(&c.audit);
	unlink(log);
	return err;
}

int main(int argc, char **argv)
{
	const char *log = "/dev/shm/hx-bench-audit.jsonl";
	char *rates = strdup("10000,25000,50000,100000,250000,1000000,0");
	double seconds = 3;
	int opt;

	while ((opt = getopt(argc, argv, "s:l:r:")) != -1) {
		switch (opt) {
		case 's':
			seconds = atof(optarg);
			break;
		case 'l':
			log = optarg;
			break;
		case 'r':
			free(rates);
			rates = strdup(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-s SECONDS] [-l LOG] [-r RATE,...]\n", argv[0]);
			return 2;
		}
	}
	pin(1);
	for (char *save = NULL, *r = strtok_r(rates, ",", &save); r; r = strtok_r(NULL, ",", &save))
		if (step(atof(r), seconds, log)) {
			free(rates);
			return 1;
		}
	free(rates);
	return 0;
}
