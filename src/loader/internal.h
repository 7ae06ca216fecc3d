/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the loader's files share and no one else sees: the policy being
 * compiled (object rules for hx_inode, rule names, watched paths) and the
 * object-rule helpers of the core (loader.c) and of the file family
 * (file.c), which the exec family's path rules use too.
 */
#ifndef HX_LOADER_INTERNAL_H
#define HX_LOADER_INTERNAL_H

#include <sys/sysmacros.h>
#include <sys/types.h>

#include "family.h"
#include "helixagent/abi.h"

/* Kernel dev_t encoding, as the BPF side reads it from the superblock. */
static inline __u64 hx_kdev(dev_t d)
{
	return ((__u64)major(d) << 20) | minor(d);
}

struct hx_inode_entry {
	struct hx_inode_key key;
	struct hx_inode_rule rule;
};

struct fs_watch;
struct hx_loader_build {
	struct hx_inode_entry *ents;
	size_t n, cap;
	size_t ncmds;
	struct hx_compiled out;
	struct fs_watch *watches; /* rule paths missing at compile (file.c) */
	size_t nwatch;
};

/* Adds a rule on an object; entries for the same object are merged later (loader.c). */
int hx_add_inode_rule(struct hx_loader_build *b, struct hx_inode_key *key, uint32_t rule_id,
		      unsigned allow, unsigned deny);

/*
 * The flags of a family with a section, a default and a permission of its
 * own (exec, filesystem): @present_bit for the section or the permission
 * refused, @deny_bit for default deny, @forbidden_bit for the permission
 * refused (loader.c).
 */
__u32 hx_section_flags(bool present, enum hx_default def, enum hx_tri allow, __u32 present_bit,
		       __u32 deny_bit, __u32 forbidden_bit);

/*
 * Deletes every entry of @slot from a hash map whose key holds the slot at
 * @slot_off (loader.c).
 */
void hx_clear_slot(int fd, size_t keysz, size_t slot_off, uint32_t slot);

/*
 * The object rules of @rules (of @family) for sandbox @sbx: the objects their
 * paths name, hard links and mounts below a blocked directory, a watch for a
 * path that does not exist yet (file.c).
 */
int hx_compile_path_rules(struct hx_loader_build *b, uint32_t slot, uint32_t sbx, uint8_t family,
			  const struct hx_sandbox *s, const struct hx_path_rules *rules,
			  struct hx_diags *diags);

#endif
