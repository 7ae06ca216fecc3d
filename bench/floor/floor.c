// SPDX-License-Identifier: GPL-2.0
/*
 * bench-floor: loads bench/floor/floor.bpf.c, attaches every program (the cgroup ones at
 * the root of the cgroup tree, as the agent does), prints "floor: N programs attached"
 * and holds them until SIGTERM or SIGINT.
 *
 *   bench-floor [--cgroup-only] [CGROUP_ROOT]     default /sys/fs/cgroup
 *
 * --cgroup-only loads only the cgroup sock_addr programs: the host's kernel refuses the
 * LSM ones (bench/native.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	int cgroup_only = argc > 1 && !strcmp(argv[1], "--cgroup-only");
	const char *cg = argc > 1 + cgroup_only ? argv[1 + cgroup_only] : "/sys/fs/cgroup";
	struct bpf_link *links[64];
	struct floor_bpf *skel;
	struct bpf_program *prog;
	int cgfd, n = 0, err = 0;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	skel = floor_bpf__open();
	if (skel && cgroup_only)
		bpf_object__for_each_program(prog, skel->obj)
			if (bpf_program__type(prog) != BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
				bpf_program__set_autoload(prog, false);
	if (skel && floor_bpf__load(skel)) {
		floor_bpf__destroy(skel);
		skel = NULL;
	}
	if (!skel) {
		fprintf(stderr, "bench-floor: cannot load the floor programs: %s\n",
			strerror(errno));
		return 1;
	}
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		fprintf(stderr, "bench-floor: %s: %s\n", cg, strerror(errno));
		floor_bpf__destroy(skel);
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		if (bpf_program__type(prog) == BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
			link = bpf_program__attach_cgroup(prog, cgfd);
		else
			link = bpf_program__attach(prog);
		if (!link || n == (int)(sizeof(links) / sizeof(links[0]))) {
			err = link ? -E2BIG : -errno;
			bpf_link__destroy(link);
			fprintf(stderr, "bench-floor: cannot attach %s: %s\n",
				bpf_program__name(prog), strerror(-err));
			break;
		}
		links[n++] = link;
	}
	close(cgfd);
	if (!err) {
		printf("floor: %d programs attached\n", n);
		fflush(stdout);
		while (!stop)
			pause();
	}
	while (n > 0)
		bpf_link__destroy(links[--n]);
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
}
