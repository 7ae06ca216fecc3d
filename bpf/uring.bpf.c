// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring on kernels whose workers are not the submitter's threads.
 *
 * Before 5.12 (and 5.10.162), io_uring ran the requests it could not finish inline (every
 * IORING_OP_OPENAT, any request with IOSQE_ASYNC, a connect that would
 * block) on io-wq workers, and IORING_SETUP_SQPOLL submitted from a poller:
 * both kernel threads in the root cgroup, borrowing only the submitter's
 * credentials, files and mm. Every hook of the agent finds the sandbox from
 * the current task's cgroup, so their opens, connects and sends were no
 * sandbox's. No hook of those kernels says whose request a worker runs, so
 * the agent refuses io_uring to sandboxes there: a ring is useless until
 * its rings are mapped (IORING_SETUP_NO_MMAP came in 6.5), and mmap of an
 * io_uring file is refused. The loader keeps this program only on kernels
 * without io threads (no create_io_thread in BTF), or with HX_URING_REFUSE=1;
 * from 5.12 on (5.10.162 on in 5.10, which took 5.15's io_uring), workers
 * and pollers are threads of the submitter, in its cgroup, and the normal
 * hooks judge them (tests/vm/suite-net.sh runs the ops on every kernel).
 * `helixagent probe` names the gap ("io_uring_workers").
 *
 * Not closed: a ring created and mapped outside the sandbox and handed in
 * (SCM_RIGHTS from an unconfined helper, or mapped before the process
 * joined) keeps working; an attacker inside cannot make one.
 */
#include "lib/common.bpf.h"
#include "helixagent/abi_net.h"

#define HX_ANON_INODE_FS_MAGIC 0x09041934

/* An io_uring instance: the anonymous inode named "[io_uring]". */
static __always_inline int hx_is_uring(struct file *file)
{
	static const char want[] = "[io_uring]";
	const unsigned char *name;
	char got[sizeof(want)] = {};

	if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) != HX_ANON_INODE_FS_MAGIC)
		return 0;
	name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(got, sizeof(got), name) != sizeof(want))
		return 0;
	for (int i = 0; i < (int)sizeof(want); i++)
		if (got[i] != want[i])
			return 0;
	return 1;
}

SEC("lsm/mmap_file")
int BPF_PROG(hx_uring_mmap, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	struct hx_ctx c = {};
	struct hx_event *e;
	__u8 decision;

	if (ret)
		return ret;
	/* Anonymous memory: no file, no ring. */
	if (!file)
		return 0;
	if (!hx_current_sandbox(&c))
		return 0;
	if (!hx_is_uring(file))
		return 0;
	decision = hx_wall_decision(&c.cfg);
	hx_count(&c, HX_FAM_GUARD, decision);
	if (c.cfg.flags & HX_SBX_AUDIT_DENIED) {
		e = hx_event_start(&c, HX_ACT_URING, HX_FAM_GUARD);
		if (e) {
			e->decision = decision;
			e->flags |= HX_EVF_FORBIDDEN;
			e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
			hx_event_submit(e);
		}
	}
	return hx_verdict(decision == HX_DECISION_DENY);
}

char LICENSE[] SEC("license") = "GPL";
