/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Container identity from a cgroup v2 path, with no call to any runtime: the
 * layouts that docker, podman, containerd and cri-o give their containers
 * under the systemd and the cgroupfs cgroup drivers, and the pod a kubelet
 * names in the path.
 */
#ifndef HX_CONTAINER_H
#define HX_CONTAINER_H

#include <stdbool.h>

#define HX_CT_ID_LEN 64

struct hx_container {
	char id[HX_CT_ID_LEN + 1]; /* "" when no container is named */
	const char *runtime; /* "docker", "podman", "containerd", "cri-o"; NULL when unknown */
	char pod_uid[37]; /* the Kubernetes pod's uid, dashed; "" when none */
};

/*
 * Fills @c from @path ("/kubepods.slice/.../cri-containerd-<id>.scope").
 * The innermost component that names a container wins, so a cgroup a container
 * made below its own ("…/libpod-<id>.scope/container") is that container's.
 * Returns whether anything (a container or a pod) was found.
 */
bool hx_container_from_cgroup(const char *path, struct hx_container *c);

#endif
