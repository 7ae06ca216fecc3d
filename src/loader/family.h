/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What each rule family provides to the loader, the same for every family
 * (src/loader/exec.c, file.c, guard.c, net.c): its programs' attachment,
 * its sandbox flags, what it compiles for one sandbox and writes to a slot,
 * and how it clears a slot. The loader (src/loader/loader.c) iterates
 * hx_families[] and names no family. A family fills its own maps for the
 * inactive @slot before the switch and clears a slot after it; rule names
 * go into the compiled tables through hx_rules_add.
 *
 * hx_sbx_cfg.flags bits: 0-7 exec, 8-15 filesystem, 16-23 network.
 */
#ifndef HX_LOADER_FAMILY_H
#define HX_LOADER_FAMILY_H

#include <linux/types.h>

#include "loader.h"

struct bpf_program;
struct bpf_link;
struct hx_loader_build;

struct hx_family_ops {
	const char *name; /* "exec", "guard", "file", "net" */
	uint8_t family; /* HX_FAM_* */
	/* Its bits of hx_sbx_cfg.flags for sandbox @s; NULL: none. */
	__u32 (*sbx_flags)(const struct hx_policy *p, const struct hx_sandbox *s);
	/* Compiles the rules of sandbox @sbx into @b (object rules, rule names); NULL: none. */
	int (*compile)(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot, uint32_t sbx,
		       const struct hx_policy *p, struct hx_diags *diags);
	/* Writes what it keeps besides hx_inode to @slot, once the object rules are in; NULL: none. */
	int (*install)(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot,
		       const struct hx_policy *p, struct hx_diags *diags);
	/* Deletes its entries of @slot (before an install, and the old slot after the switch). */
	void (*clear)(struct hx_loader *l, uint32_t slot);
	/* Frees what compile left in @b; NULL: nothing. */
	void (*release)(struct hx_loader_build *b);
	/*
	 * Attaches its programs of type @attach_type (0: none) that libbpf cannot
	 * attach by itself; NULL with errno on failure.
	 */
	int attach_type; /* enum bpf_prog_type */
	struct bpf_link *(*attach)(struct hx_loader *l, struct bpf_program *prog);
};

/*
 * Defines hx_family_F, the hooks of family F (HX_FAM_ constant @fam), from
 * designated initializers: HX_FAMILY(net, HX_FAM_NET, .install = ..., ...).
 */
#define HX_FAMILY(F, fam, ...)                                                                     \
	const struct hx_family_ops hx_family_##F = { .name = #F, .family = (fam), __VA_ARGS__ }

/* The families, in the order a sandbox's rules are compiled and installed; NULL-terminated. */
extern const struct hx_family_ops *const hx_families[];

extern const struct hx_family_ops hx_family_exec;
extern const struct hx_family_ops hx_family_guard;
extern const struct hx_family_ops hx_family_file;
extern const struct hx_family_ops hx_family_net;

/* Adds a rule name to the tables; returns its id (for hx_*_rule.rule_id) or -errno. */
int hx_rules_add(struct hx_compiled *out, uint32_t sbx, uint8_t family, const char *name,
		 const char *path);
/* Records a problem with the policy's content (a path that does not exist, a capacity). */
void hx_loader_diag(struct hx_diags *d, enum hx_diag_level lvl, struct hx_src src, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));

/*
 * A blocked command's key in hx_cmds (exec.c): FNV-1a 64 over its words, each
 * followed by a NUL, as bpf/exec.bpf.c hashes the first words of argv; the
 * first word is a program's basename. Fills hash and nwords; -EINVAL for no
 * word or a first word with a '/', -E2BIG past HX_CMD_WORDS words.
 */
struct hx_cmd_key;
int hx_exec_command_key(const char *cmd, struct hx_cmd_key *key);

/* Number of parameters of a kernel function (BTF); -errno if unknown. */
int hx_btf_func_nargs(const char *name);

/* network family (src/loader/net.c) */
__u32 hx_net_sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s);
/* Called by the daemon every tick: re-resolves host names whose TTL ran out. */
void hx_net_tick(struct hx_loader *l);

#endif
