// SPDX-License-Identifier: GPL-2.0
/*
 * Container identity from cgroup paths, over the shapes the runtimes make
 * under the systemd and the cgroupfs drivers (paths as /proc/PID/cgroup shows
 * them on hosts running docker, podman, containerd and cri-o).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/container.h"

#define ID "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
#define UID "6b1f2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"
#define UID_ "6b1f2c3d_4e5f_4a6b_9c8d_7e6f5a4b3c2d"

static void expect(const char *path, const char *id, const char *runtime, const char *pod)
{
	struct hx_container c;
	bool found = hx_container_from_cgroup(path, &c);

	assert_int_equal(found, id[0] || pod[0]);
	assert_string_equal(c.id, id);
	if (runtime)
		assert_string_equal(c.runtime ? c.runtime : "(null)", runtime);
	else
		assert_null(c.runtime);
	assert_string_equal(c.pod_uid, pod);
}

static void test_docker(void **state)
{
	(void)state;
	expect("/system.slice/docker-" ID ".scope", ID, "docker", "");
	expect("/docker/" ID, ID, "docker", "");
	/* a container running systemd makes cgroups below its own */
	expect("/system.slice/docker-" ID ".scope/init.scope", ID, "docker", "");
	expect("/system.slice/docker.service", "", NULL, "");
}

static void test_podman(void **state)
{
	(void)state;
	expect("/machine.slice/libpod-" ID ".scope", ID, "podman", "");
	expect("/machine.slice/libpod-" ID ".scope/container", ID, "podman", "");
	expect("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope", ID,
	       "podman", "");
	expect("/libpod_parent/libpod-" ID, ID, "podman", "");
	/* conmon, the runtime's monitor, is not the container */
	expect("/machine.slice/libpod-conmon-" ID ".scope", "", NULL, "");
}

static void test_kubernetes_systemd(void **state)
{
	(void)state;
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" ID ".scope",
	       ID, "containerd", UID);
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/crio-" ID ".scope",
	       ID, "cri-o", UID);
	/* Guaranteed QoS has no QoS slice */
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope", ID,
	       "containerd", UID);
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/docker-" ID ".scope", ID, "docker", UID);
	/* the pod's own cgroup: a pod, no container */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice", "",
	       NULL, UID);
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/crio-conmon-" ID ".scope",
	       "", NULL, UID);
	expect("/kubepods.slice/kubepods-burstable.slice", "", NULL, "");
}

static void test_kubernetes_cgroupfs(void **state)
{
	(void)state;
	/* containerd and cri-dockerd both use the bare id: the runtime is not known */
	expect("/kubepods/burstable/pod" UID "/" ID, ID, NULL, UID);
	expect("/kubepods/pod" UID "/" ID, ID, NULL, UID);
	expect("/kubepods/besteffort/pod" UID "/crio-" ID, ID, "cri-o", UID);
	/* a static pod's uid is the hash of its manifest */
	expect("/kubepods/burstable/pod0123456789abcdef0123456789abcdef/" ID, ID, NULL,
	       "0123456789abcdef0123456789abcdef");
}

static void test_not_containers(void **state)
{
	(void)state;
	expect("/", "", NULL, "");
	expect("", "", NULL, "");
	expect("/helixagent/tools", "", NULL, "");
	expect("/user.slice/user-1000.slice/session-2.scope", "", NULL, "");
	/* near misses: wrong length, upper case, bad uid */
	expect("/docker/" ID "0", "", NULL, "");
	expect("/system.slice/docker-3F4E5D6C7B8A99887766554433221100FFEEDDCCBBAA00112233445566778899.scope",
	       "", NULL, "");
	expect("/kubepods/burstable/pod6b1f2c3d-4e5f-4a6b-9c8d/" ID, ID, NULL, "");
	expect("/kubepods.slice/kubepods-podnot-a-uid.slice", "", NULL, "");
	/* a container id above a pod is not this cgroup's container */
	expect("/docker/" ID "/kubepods/pod" UID, "", NULL, UID);
}

static void test_helixagent_sandbox_parent(void **state)
{
	(void)state;
	/* a sandbox that names the runtime's parent: the containers below it */
	expect("/helixagent/ctr/libpod-" ID ".scope/container", ID, "podman", "");
	expect("/helixagent/ctr/libpod-" ID, ID, "podman", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_kubernetes_systemd),
		cmocka_unit_test(test_kubernetes_cgroupfs),
		cmocka_unit_test(test_not_containers),
		cmocka_unit_test(test_helixagent_sandbox_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
