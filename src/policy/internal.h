/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the files of src/policy/ only: allocation helpers, diagnostics, model lists. */
#ifndef HX_POLICY_INTERNAL_H
#define HX_POLICY_INTERNAL_H

#include "policy.h"

/* Out of memory while building a policy: nothing sane to do but abort. */
void *hx_xrealloc(void *p, size_t n);
char *hx_xstrdup(const char *s);
char *hx_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void hx_diag_add(struct hx_diags *d, enum hx_diag_level lvl, struct hx_src at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void hx_strings_add(struct hx_strings *s, const char *v);
bool hx_strings_has(const struct hx_strings *s, const char *v);
void hx_strings_free(struct hx_strings *s);

struct hx_path_rule *hx_path_rules_push(struct hx_path_rules *r);
struct hx_cidr_rule *hx_cidr_rules_push(struct hx_cidr_rules *r);
struct hx_port_rule *hx_port_rules_push(struct hx_port_rules *r);
struct hx_host_rule *hx_host_rules_push(struct hx_host_rules *r);

/*
 * (owner, key) -> value, for duplicate checks in linear time. @owner is the
 * list the key belongs to; it must not move while the index is in use.
 */
struct hx_idx_ent {
	const void *owner;
	uint64_t h; /* 0: empty slot */
	char *key;
	size_t val;
};

struct hx_idx {
	struct hx_idx_ent *v;
	size_t cap, n;
};

bool hx_idx_get(const struct hx_idx *x, const void *owner, const char *key, size_t *val);
/* Returns false (and changes nothing) if the key is already there. */
bool hx_idx_put(struct hx_idx *x, const void *owner, const char *key, size_t val);
void hx_idx_free(struct hx_idx *x);

/* "10.0.0.0/8", "2001:db8::/32" for any spelling of a valid CIDR or address. */
int hx_cidr_canon(const struct hx_prefix *p, char *out, size_t len);

/*
 * Layers @layer under @s: lists are concatenated (the layer's entries
 * first, copied), scalars and tri-states keep @s's value when set.
 */
void hx_sandbox_inherit(struct hx_sandbox *s, const struct hx_sandbox *layer);
void hx_sandbox_free(struct hx_sandbox *s);

#endif
