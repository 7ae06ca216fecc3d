// SPDX-License-Identifier: GPL-2.0
/*
 * The default seccomp filter (use_seccomp): everything is allowed except
 * what a sandboxed plugin or tool never needs and what is known to help
 * escapes: loading kernel code, tracing other processes, the kernel
 * keyring, mounting, new namespaces, changing the clock or the host, and
 * opening files by handle. Denied calls fail with EPERM, as if a capability
 * were missing, so that programs take their usual error path. Calls of
 * another architecture (int 0x80, x32) are killed by libseccomp's bad-arch
 * action.
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>

#include "sandbox.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

const char *const hx_seccomp_denied[] = {
	/* kernel code and the running kernel */
	"kexec_load",
	"kexec_file_load",
	"init_module",
	"finit_module",
	"delete_module",
	"create_module",
	"bpf",
	"perf_event_open",
	"lookup_dcookie",
	"iopl",
	"ioperm",
	"uselib",
	"_sysctl",
	"get_kernel_syms",
	"query_module",
	"nfsservctl",
	"vm86",
	"vm86old",
	"syslog",
	"acct",
	"quotactl",
	"quotactl_fd",
	/* other processes */
	"ptrace",
	"process_vm_readv",
	"process_vm_writev",
	"kcmp",
	"pidfd_getfd",
	/* the kernel keyring (not namespaced) */
	"keyctl",
	"add_key",
	"request_key",
	/* mounts, old and new API */
	"mount",
	"umount",
	"umount2",
	"pivot_root",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"move_mount",
	"open_tree",
	"mount_setattr",
	/* namespaces (clone with CLONE_NEW* below; clone3's flags cannot be inspected) */
	"unshare",
	"setns",
	/* the host */
	"reboot",
	"swapon",
	"swapoff",
	"settimeofday",
	"stime",
	"clock_settime",
	"clock_adjtime",
	"adjtimex",
	"sethostname",
	"setdomainname",
	"vhangup",
	/* files by handle (the "shocker" escape), userfaultfd (exploit aid), io_uring (bypasses this filter) */
	"open_by_handle_at",
	"name_to_handle_at",
	"userfaultfd",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	NULL,
};

int hx_seccomp_load(void)
{
	static const unsigned long ns_flags[] = { CLONE_NEWNS,	  CLONE_NEWUTS, CLONE_NEWIPC,
						  CLONE_NEWUSER,  CLONE_NEWPID, CLONE_NEWNET,
						  CLONE_NEWCGROUP };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int err = 0, nr;

	if (!ctx)
		return -ENOMEM;
	for (const char *const *n = hx_seccomp_denied; *n && !err; n++) {
		nr = seccomp_syscall_resolve_name(*n);
		/* A name this libseccomp or architecture does not know cannot be called either. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]) && !err; i++)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	/* ENOSYS makes the C library fall back to clone(), whose flags the rules above see. */
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}
