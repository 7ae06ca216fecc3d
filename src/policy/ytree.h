/* SPDX-License-Identifier: GPL-2.0 */
/* A YAML document as a tree of nodes with their positions, built from libyaml events. */
#ifndef HX_YTREE_H
#define HX_YTREE_H

#include <stdbool.h>
#include <stddef.h>

enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	enum ynode_kind kind;
	unsigned line, col; /* 1-based */
	bool plain; /* scalar written without quotes */
	char *str; /* scalar value, NUL-terminated */
	size_t len;
	/* Y_SEQ: items[i]; Y_MAP: items[2i] key, items[2i+1] value */
	struct ynode **items;
	size_t n, cap;
	unsigned long weight; /* nodes reachable, aliases expanded */
};

struct ytree {
	struct ynode *root; /* NULL for an empty document */
	struct ynode **all; /* every node, for freeing (aliases share nodes) */
	size_t nall, capall;
};

struct yerr {
	unsigned line, col;
	char msg[256];
};

/* Returns 0, or -1 with *err filled (syntax error or a limit exceeded). */
int ytree_parse(const char *buf, size_t len, struct ytree *t, struct yerr *err);
void ytree_free(struct ytree *t);

static inline size_t ymap_len(const struct ynode *n)
{
	return n->n / 2;
}

#endif
