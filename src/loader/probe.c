// SPDX-License-Identifier: GPL-2.0
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "loader/probe.h"
#include "util/cgroup.h"
#include "util/json.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static void set(struct hx_probe *p, enum hx_probe_id id, const char *name, bool required, bool ok,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void set(struct hx_probe *p, enum hx_probe_id id, const char *name, bool required, bool ok,
		const char *fmt, ...)
{
	va_list ap;

	p->it[id].name = name;
	p->it[id].required = required;
	p->it[id].ok = ok;
	va_start(ap, fmt);
	vsnprintf(p->it[id].detail, sizeof(p->it[id].detail), fmt, ap);
	va_end(ap);
}

static int read_first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int btf_func(const struct btf *btf, const char *name)
{
	return btf ? btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) : -ENOENT;
}

static bool btf_enum_has(const struct btf *btf, const char *ename, const char *val)
{
	int id = btf ? btf__find_by_name_kind(btf, ename, BTF_KIND_ENUM) : -1;
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, (__u32)id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, e[i].name_off), val))
			return true;
	return false;
}

/* Loads "return 0" as a program of @type; returns 0 or -errno. */
static int try_load(enum bpf_prog_type type, enum bpf_attach_type eat, int btf_id)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = eat);
	int fd;

	if (btf_id > 0)
		opts.attach_btf_id = (__u32)btf_id;
	fd = bpf_prog_load(type, "hx_probe", "GPL", insns, 2, &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void lockdown_hint(char *out, size_t len)
{
	char buf[128];

	if (!read_first_line("/sys/kernel/security/lockdown", buf, sizeof(buf))) {
		snprintf(out, len, "kernel lockdown is %s", buf);
		return;
	}
	snprintf(
		out, len,
		"likely kernel lockdown (integrity/confidentiality forbids BPF trampoline programs) or a kernel without CONFIG_BPF_LSM");
}

int hx_probe_lsm_hook(const char *hook)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char fn[128];
	int id, rc;

	if (!btf)
		return -errno;
	snprintf(fn, sizeof(fn), "bpf_lsm_%s", hook);
	id = btf_func(btf, fn);
	btf__free(btf);
	if (id <= 0)
		return -ENOENT;
	rc = try_load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id);
	return rc;
}

/*
 * The containment baseline's hooks (bpf/contain.bpf.c), each with the class
 * it closes: a kernel without one says here what stays open on it.
 */
static void probe_containment(struct hx_probe *p, const struct btf *btf)
{
	static const char *const hooks[][2] = {
		{ "task_alloc", "clone3 into another cgroup" },
		{ "sb_mount", "mount" },
		{ "sb_umount", "umount" },
		{ "sb_pivotroot", "pivot_root" },
		{ "move_mount", "move_mount" },
		{ "kernel_read_file", "module and kexec files" },
		{ "kernel_load_data", "module and kexec images" },
		{ "kernel_module_request", "module autoloading" },
		{ "file_set_fowner", "SIGIO to the agent" },
		{ "file_send_sigiotask", "SIGIO to the agent" },
		{ "task_setnice", "the agent's nice value" },
		{ "task_setioprio", "the agent's I/O priority" },
		{ "task_setscheduler", "the agent's scheduling" },
		{ "task_movememory", "the agent's memory placement" },
		{ "task_prlimit", "the agent's limits" },
		{ "path_notify", "fanotify permission marks" },
		{ "file_fcntl", "leases on the agent's inputs" },
		{ "file_ioctl", "terminal injection" },
		{ "perf_event_open", "kernel perf events" },
	};
	char missing[512] = "";
	size_t n = 0;

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		char fn[64];

		snprintf(fn, sizeof(fn), "bpf_lsm_%s", hooks[i][0]);
		if (btf_func(btf, fn) > 0)
			continue;
		n += (size_t)snprintf(missing + n, n < sizeof(missing) ? sizeof(missing) - n : 0,
				      "%s%s (%s)", n ? ", " : "", hooks[i][1], hooks[i][0]);
		if (n >= sizeof(missing))
			n = sizeof(missing) - 1;
	}
	set(p, HX_P_CONTAIN, "containment", false, !missing[0], "%s%s",
	    missing[0] ? "not closed on this kernel: " : "every containment class has its hook",
	    missing);
}

void hx_probe_run(struct hx_probe *p)
{
	struct btf *btf = NULL;
	char buf[256], root[256], hint[192];
	struct statfs sf;
	int rc, id;

	memset(p, 0, sizeof(*p));

	set(p, HX_P_ROOT, "privileges", true, geteuid() == 0, "%s",
	    geteuid() == 0 ? "running as root" : "needs root (CAP_BPF, CAP_SYS_ADMIN)");

	btf = btf__load_vmlinux_btf();
	if (!btf)
		set(p, HX_P_BTF, "btf", true, false, "no kernel BTF (/sys/kernel/btf/vmlinux): %s",
		    strerror(errno));
	else
		set(p, HX_P_BTF, "btf", true, true, "/sys/kernel/btf/vmlinux");

	rc = hx_cgroup2_root(root, sizeof(root));
	set(p, HX_P_CGROUP2, "cgroup2", true, rc == 0, "%s", rc == 0 ? root : "no cgroup2 mount");

	rc = statfs("/sys/fs/bpf", &sf);
	set(p, HX_P_BPFFS, "bpffs", true, rc == 0 && sf.f_type == BPF_FS_MAGIC, "%s",
	    rc == 0 && sf.f_type == BPF_FS_MAGIC ? "/sys/fs/bpf" :
						   "bpffs not mounted at /sys/fs/bpf");

	rc = read_first_line("/sys/kernel/security/lsm", buf, sizeof(buf));
	if (rc)
		set(p, HX_P_LSM_ACTIVE, "bpf_lsm_active", true, false,
		    "cannot read /sys/kernel/security/lsm (securityfs not mounted?): %s",
		    strerror(-rc));
	else {
		bool on = false;
		char *save, *tok;

		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			on |= !strcmp(tok, "bpf");
		set(p, HX_P_LSM_ACTIVE, "bpf_lsm_active", true, on, "%s",
		    on ? "bpf is in the active LSM list" :
			 "bpf is not in the active LSM list: boot with lsm=...,bpf");
	}

	id = btf_func(btf, "bpf_lsm_bprm_check_security");
	set(p, HX_P_HOOK_BPRM, "hook lsm/bprm_check_security", true, id > 0, "%s",
	    id > 0 ? "present" : "no bpf_lsm_bprm_check_security in kernel BTF");

	id = btf_func(btf, "bpf_lsm_file_open");
	if (id <= 0) {
		set(p, HX_P_LSM_LOAD, "lsm_program_load", true, false,
		    "kernel has no BPF LSM hooks (CONFIG_BPF_LSM=n)");
	} else {
		rc = try_load(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, id);
		if (rc) {
			lockdown_hint(hint, sizeof(hint));
			set(p, HX_P_LSM_LOAD, "lsm_program_load", true, false,
			    "the kernel refused to load an lsm/ BPF program (BPF_PROG_LOAD: %s); %s",
			    strerror(-rc), hint);
		} else {
			set(p, HX_P_LSM_LOAD, "lsm_program_load", true, true, "lsm/ programs load");
		}
	}

	rc = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "hx_probe", 0, 0, 4096, NULL);
	set(p, HX_P_RINGBUF, "ringbuf", true, rc >= 0, "%s",
	    rc >= 0 ? "BPF ring buffer available" : strerror(errno));
	if (rc >= 0)
		close(rc);

	rc = try_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, 0);
	set(p, HX_P_CGROUP_SOCK, "cgroup_sock_addr", false, rc == 0, "%s",
	    rc == 0 ? "cgroup/connect programs load" : strerror(-rc));

	set(p, HX_P_BPF_LOOP, "bpf_loop", false, btf_enum_has(btf, "bpf_func_id", "BPF_FUNC_loop"),
	    "%s", "bpf_loop helper (5.17+): deep path walks");
	set(p, HX_P_SLEEPABLE, "sleepable_lsm", false,
	    btf_enum_has(btf, "bpf_func_id", "BPF_FUNC_ima_inode_hash"), "%s",
	    "sleepable lsm.s/ programs (5.11+)");
	id = btf_func(btf, "bpf_lsm_userns_create");
	set(p, HX_P_USERNS_HOOK, "hook lsm/userns_create", false, id > 0, "%s",
	    id > 0 ? "present (6.1+)" : "absent: user namespace creation is not hooked");

	id = btf_func(btf, "create_io_thread");
	set(p, HX_P_URING_WORKERS, "io_uring_workers", false, id > 0, "%s",
	    id > 0 ?
		    "io_uring workers are the submitter's threads (5.12+, 5.10.162+): judged in its sandbox" :
		    "io-wq workers and SQPOLL threads are kernel threads outside the submitter's "
		    "cgroup: io_uring is refused to sandboxes (mmap of its rings)");

	probe_containment(p, btf);
	btf__free(btf);

	/* The reason names the most decisive failure: a refused program first. */
	static const enum hx_probe_id order[] = { HX_P_LSM_LOAD,   HX_P_ROOT,	   HX_P_BTF,
						  HX_P_LSM_ACTIVE, HX_P_HOOK_BPRM, HX_P_CGROUP2,
						  HX_P_BPFFS,	   HX_P_RINGBUF };
	p->enforce_ok = true;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const struct hx_probe_item *it = &p->it[order[i]];

		if (it->required && !it->ok && p->enforce_ok) {
			p->enforce_ok = false;
			snprintf(p->reason, sizeof(p->reason), "%s: %s", it->name, it->detail);
		}
	}
}

void hx_probe_print(const struct hx_probe *p, bool json, FILE *out)
{
	if (json) {
		struct jw w;

		jw_init(&w);
		jw_obj(&w);
		jw_kbool(&w, "enforcement_possible", p->enforce_ok);
		if (!p->enforce_ok)
			jw_kstr(&w, "reason", p->reason);
		jw_key(&w, "checks");
		jw_arr(&w);
		for (int i = 0; i < HX_P_MAX; i++) {
			jw_obj(&w);
			jw_kstr(&w, "name", p->it[i].name);
			jw_kbool(&w, "ok", p->it[i].ok);
			jw_kbool(&w, "required", p->it[i].required);
			jw_kstr(&w, "detail", p->it[i].detail);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
		fprintf(out, "%s\n", w.buf ? w.buf : "{}");
		jw_free(&w);
		return;
	}
	for (int i = 0; i < HX_P_MAX; i++)
		fprintf(out, "%-4s %-30s %s%s\n",
			p->it[i].ok	  ? "ok" :
			p->it[i].required ? "FAIL" :
					    "no",
			p->it[i].name, p->it[i].detail, p->it[i].required ? "" : " (optional)");
	if (p->enforce_ok)
		fprintf(out, "enforcement possible\n");
	else
		fprintf(out, "enforcement impossible: %s\n", p->reason);
}
