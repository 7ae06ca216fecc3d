// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of the benchmarks: one program that does nothing on each hook the agent
 * attaches to (as many programs per hook as the agent has), so that the table can show
 * what the hooks cost by themselves. Independent of the product's object on purpose.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NOP_LSM(name, hook)                                                                        \
	SEC("lsm/" hook) int name(void *ctx)                                                       \
	{                                                                                          \
		return 0;                                                                          \
	}
#define NOP_CG(name, hook)                                                                         \
	SEC("cgroup/" hook) int name(void *ctx)                                                    \
	{                                                                                          \
		return 1;                                                                          \
	}

NOP_LSM(fl_bprm, "bprm_check_security")
NOP_LSM(fl_mmap_exec, "mmap_file")
NOP_LSM(fl_mmap_file, "mmap_file")
NOP_LSM(fl_mprot_exec, "file_mprotect")
NOP_LSM(fl_mprot_file, "file_mprotect")
NOP_LSM(fl_capable, "capable")
NOP_LSM(fl_file_open, "file_open")
NOP_LSM(fl_truncate, "path_truncate")
NOP_LSM(fl_mknod, "path_mknod")
NOP_LSM(fl_mkdir, "path_mkdir")
NOP_LSM(fl_rmdir, "path_rmdir")
NOP_LSM(fl_unlink, "path_unlink")
NOP_LSM(fl_symlink, "path_symlink")
NOP_LSM(fl_link, "path_link")
NOP_LSM(fl_rename, "path_rename")
NOP_LSM(fl_chmod, "path_chmod")
NOP_LSM(fl_chown, "path_chown")
NOP_LSM(fl_setattr, "inode_setattr")
NOP_LSM(fl_bpf, "bpf")
NOP_LSM(fl_task_kill, "task_kill")
NOP_LSM(fl_ptrace, "ptrace_access_check")
NOP_LSM(fl_sock_create, "socket_create")
NOP_LSM(fl_sock_send, "socket_sendmsg")
NOP_LSM(fl_sock_recv, "socket_recvmsg")
NOP_LSM(fl_sock_conn, "socket_connect")
NOP_LSM(fl_sock_listen, "socket_listen")
NOP_CG(fl_connect4, "connect4")
NOP_CG(fl_connect6, "connect6")
NOP_CG(fl_sendmsg4, "sendmsg4")
NOP_CG(fl_sendmsg6, "sendmsg6")
NOP_CG(fl_bind4, "bind4")
NOP_CG(fl_bind6, "bind6")

SEC("tp_btf/sched_process_exec")
int fl_exec_tp(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
