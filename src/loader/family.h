/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What each rule family's compiler provides to the loader. A family fills
 * its own maps for the inactive @slot before the switch and clears a slot
 * after it; rule names go into the compiled tables through hx_rules_add.
 *
 * hx_sbx_cfg.flags bits: 0-7 exec, 8-15 filesystem, 16-23 network.
 */
#ifndef HX_LOADER_FAMILY_H
#define HX_LOADER_FAMILY_H

#include <linux/types.h>

#include "loader.h"

/* Adds a rule name to the tables; returns its id (for hx_*_rule.rule_id) or -errno. */
int hx_rules_add(struct hx_compiled *out, uint32_t sbx, uint8_t family, const char *name,
		 const char *path);
/* Records a problem with the policy's content (a path that does not exist, a capacity). */
void hx_loader_diag(struct hx_diags *d, enum hx_diag_level lvl, struct hx_src src, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));

/* Number of parameters of a kernel function (BTF); -errno if unknown. */
int hx_btf_func_nargs(const char *name);

/* network family (src/loader/net.c) */
__u32 hx_net_sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s);
int hx_net_install(struct hx_loader *l, uint32_t slot, const struct hx_policy *p,
		   struct hx_compiled *out, struct hx_diags *diags);
void hx_net_clear(struct hx_loader *l, uint32_t slot);
/* Called by the daemon every tick: re-resolves host names whose TTL ran out. */
void hx_net_tick(struct hx_loader *l);

#endif
