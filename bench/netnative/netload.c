// SPDX-License-Identifier: GPL-2.0
/*
 * hx-bench-netload: the agent's network enforcement, natively, for the host benchmarks.
 *
 * The host kernel refuses BPF LSM programs (ENVIRONMENT.md) but loads cgroup sock_addr
 * programs, so the agent's own connect/sendmsg/bind programs can be measured there with
 * real policies. This loads the agent's object with only its cgroup sock_addr programs,
 * installs POLICY through the agent's loader (the same maps, the same code as
 * `helixagent run`), prints "ready: ..." with the CPU time of each step (parse, open and
 * load the object, install the policy) and holds until SIGTERM/SIGINT.
 *
 *   hx-bench-netload POLICY
 *
 * A benchmark tool, never an enforcement mode: the LSM half of the policy is absent. It
 * runs in a mount namespace of its own with a private bpffs, so its pins (and with them
 * its links, attached at the cgroup2 root) vanish with the process whatever way it ends:
 * nothing it attaches outlives it on the host.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "loader/loader.h"
#include "policy/policy.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* CPU seconds (user + system) this process has used so far */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	struct hx_loader l = { .only_prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR };
	struct hx_diags d = { 0 };
	struct hx_policy *p;
	const char *what = "";
	double c0, c1, c2;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: hx-bench-netload POLICY\n");
		return 2;
	}
	libbpf_set_print(quiet);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, "hx-bench-netload: private mount namespace: %s\n", strerror(errno));
		return 1;
	}
	mkdir("/sys/fs/bpf", 0700);
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
		fprintf(stderr, "hx-bench-netload: mount bpffs: %s\n", strerror(errno));
		return 1;
	}
	c0 = cpu_s();
	p = hx_policy_load_file(argv[1], &d);
	if (!p || d.errors) {
		hx_diags_print(&d, argv[1], stderr);
		return 1;
	}
	c1 = cpu_s();
	err = hx_loader_open(&l, &what);
	if (err) {
		fprintf(stderr, "hx-bench-netload: %s: %s\n", what, strerror(-err));
		return 1;
	}
	c2 = cpu_s();
	err = hx_loader_install(&l, p, &d);
	hx_diags_print(&d, argv[1], stderr);
	if (err) {
		fprintf(stderr, "hx-bench-netload: install: %s\n", strerror(-err));
		return 1;
	}
	printf("ready: %zu programs attached under %s; cpu seconds: parse %.3f open %.3f install %.3f\n",
	       l.nprogs, l.cg_root, c1 - c0, c2 - c1, cpu_s() - c2);
	fflush(stdout);
	while (!stop)
		pause();
	hx_loader_close(&l);
	hx_policy_free(p);
	hx_diags_free(&d);
	return 0;
}
