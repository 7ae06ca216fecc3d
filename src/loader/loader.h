/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only code that knows both the policy model and the BPF maps: compiles
 * a policy into map entries, loads and pins the programs, swaps policies.
 */
#ifndef HX_LOADER_H
#define HX_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

#define HX_PIN_DIR "/sys/fs/bpf/helixagent"
#define HX_RUN_DIR "/run/helixagent"
#define HX_STATE_FILE HX_RUN_DIR "/state.json"

/* Capacity of the policy maps: a policy needing more is refused, not truncated. */
#define HX_MAX_SANDBOXES 4096
#define HX_MAX_INODE_RULES (1u << 20)
#define HX_MAX_COMMANDS 65536

struct hx_rule_info {
	uint32_t sbx;
	uint8_t family;
	char *name; /* "exec.blocked[0]" */
	char *path;
};

struct hx_sbx_info {
	char *name;
	char *cgroup;
	uint64_t cgid;
	uint8_t mode;
};

/* One compiled policy: what a generation put in the maps. */
struct hx_compiled {
	uint32_t generation;
	struct hx_sbx_info *sbx;
	size_t nsbx;
	struct hx_rule_info *rules;
	size_t nrules;
	size_t inode_entries;
};

struct hx_bpf;
struct hx_loader {
	struct hx_bpf *skel;
	char cg_root[256];
	uint32_t slot; /* live slot */
	uint32_t generation;
	struct hx_compiled cur;
	struct hx_compiled prev; /* names events still in the ring from the last generation */
	char *progs[128]; /* "lsm/file_open link_hx_file_open": what is attached, for status */
	size_t nprogs;
	/*
	 * The links pinned at open. Their descriptors stay open while the daemon
	 * runs, so a lost bpffs takes nothing away (the daemon pins them again);
	 * hx_loader_close closes them, which leaves pinned links attached.
	 */
	struct bpf_link *links[128];
	size_t nlinks;
	bool verbose;
	int only_prog_type; /* benchmarks (bench/netnative): load only this program type; 0: all */
	bool adopted; /* the pinned links of this same build were adopted, nothing was verified */
	bool cg_hier_root; /* cg_root is the cgroup2 hierarchy's root: hx_cgpath can be filled */
};

extern const struct hx_capacity hx_kernel_capacity;

/* Loads, attaches and pins (or adopts pinned maps). Returns 0 or -errno; *what names the step. */
/* Names this process to a pinned guard left by an earlier daemon, if any. */
void hx_loader_name_agent(void);
int hx_loader_open(struct hx_loader *l, const char **what);
/*
 * Compiles @p into the inactive slot and makes it live in one map write.
 * Problems with the policy's content (a path that does not exist, a
 * capacity exceeded) go to @diags; returns -EINVAL when the policy cannot be
 * installed, leaving the previous one enforced.
 */
int hx_loader_install(struct hx_loader *l, const struct hx_policy *p, struct hx_diags *diags);
void hx_loader_close(struct hx_loader *l);
/*
 * Maps @cgid to sandbox @sbx of the policy in force, in place: the explicit
 * cgroup of a sandbox, created (or created again) after the install.
 */
int hx_loader_map_cgroup(struct hx_loader *l, uint32_t sbx, uint64_t cgid);
void hx_compiled_free(struct hx_compiled *c);
/* The tables of @generation, if still known. */
const struct hx_compiled *hx_loader_tables(const struct hx_loader *l, uint32_t generation);

/* Removes every pin: enforcement ends once no process holds a link. */
int hx_loader_unpin_all(void);

#endif
