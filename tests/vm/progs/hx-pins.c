// SPDX-License-Identifier: GPL-2.0
/*
 * Looks at the agent's pins from a test, with raw bpf(2) (the VM has no bpftool):
 *   hx-pins link-id PATH     prints "link=ID prog=ID" of a pinned link
 *   hx-pins map-zero PATH    writes zeros over entry 0 of a pinned array map
 * Exit 0 on success; else a message on stderr and 1.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_bpf(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int obj_get(const char *path)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (__u64)(unsigned long)path;
	return sys_bpf(BPF_OBJ_GET, &a);
}

static int info(int fd, void *buf, __u32 len)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (__u32)fd;
	a.info.info_len = len;
	a.info.info = (__u64)(unsigned long)buf;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

int main(int argc, char **argv)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: hx-pins link-id|map-zero PATH\n");
		return 2;
	}
	fd = obj_get(argv[2]);
	if (fd < 0) {
		fprintf(stderr, "hx-pins: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "link-id")) {
		struct bpf_link_info li;

		memset(&li, 0, sizeof(li));
		if (info(fd, &li, sizeof(li))) {
			fprintf(stderr, "hx-pins: info: %s\n", strerror(errno));
			return 1;
		}
		printf("link=%u prog=%u\n", li.id, li.prog_id);
		return 0;
	}
	if (!strcmp(argv[1], "map-zero")) {
		struct bpf_map_info mi;
		union bpf_attr a;
		__u32 key = 0;
		void *v;

		memset(&mi, 0, sizeof(mi));
		if (info(fd, &mi, sizeof(mi)) ||
		    !(v = calloc(1, mi.value_size ? mi.value_size : 1))) {
			fprintf(stderr, "hx-pins: info: %s\n", strerror(errno));
			return 1;
		}
		memset(&a, 0, sizeof(a));
		a.map_fd = (__u32)fd;
		a.key = (__u64)(unsigned long)&key;
		a.value = (__u64)(unsigned long)v;
		if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a)) {
			fprintf(stderr, "hx-pins: update: %s\n", strerror(errno));
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "hx-pins: unknown op %s\n", argv[1]);
	return 2;
}
