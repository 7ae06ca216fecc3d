/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the files of src/policy/ only: allocation helpers, diagnostics, model lists. */
#ifndef HX_POLICY_INTERNAL_H
#define HX_POLICY_INTERNAL_H

#include "policy.h"

/* Out of memory while building a policy: nothing sane to do but abort. */
void *hx_xrealloc(void *p, size_t n);
char *hx_xstrdup(const char *s);
char *hx_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void hx_diag_add(struct hx_diags *d, enum hx_diag_level lvl, struct hx_src at, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

void hx_strings_add(struct hx_strings *s, const char *v);
bool hx_strings_has(const struct hx_strings *s, const char *v);
void hx_strings_free(struct hx_strings *s);

struct hx_path_rule *hx_path_rules_push(struct hx_path_rules *r);
struct hx_cidr_rule *hx_cidr_rules_push(struct hx_cidr_rules *r);
struct hx_port_rule *hx_port_rules_push(struct hx_port_rules *r);
struct hx_host_rule *hx_host_rules_push(struct hx_host_rules *r);

/*
 * Layers @layer under @s: lists are concatenated (the layer's entries
 * first, copied), scalars and tri-states keep @s's value when set.
 */
void hx_sandbox_inherit(struct hx_sandbox *s, const struct hx_sandbox *layer);
void hx_sandbox_free(struct hx_sandbox *s);

#endif
