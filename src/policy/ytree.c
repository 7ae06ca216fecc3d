// SPDX-License-Identifier: GPL-2.0
/*
 * libyaml events -> node tree. Bounded in depth, node count and alias
 * expansion, so a hostile document costs bounded memory and time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "policy.h"
#include "ytree.h"

struct anchor {
	char *name;
	struct ynode *node;
};

struct builder {
	struct ytree *t;
	struct yerr *err;
	struct ynode *stack[HX_POLICY_MAX_DEPTH + 1];
	int depth;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	unsigned long total;
};

__attribute__((format(printf, 3, 4))) static int fail(struct builder *b, const yaml_mark_t *m,
						      const char *fmt, ...)
{
	va_list ap;

	b->err->line = m->line + 1;
	b->err->col = m->column + 1;
	va_start(ap, fmt);
	vsnprintf(b->err->msg, sizeof(b->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static struct ynode *new_node(struct builder *b, enum ynode_kind kind, const yaml_mark_t *m)
{
	struct ynode *n;

	if (grow((void **)&b->t->all, &b->t->capall, b->t->nall + 1, sizeof(*b->t->all)))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = m->line + 1;
	n->col = m->column + 1;
	n->weight = 1;
	b->t->all[b->t->nall++] = n;
	return n;
}

static int add_anchor(struct builder *b, const yaml_char_t *name, struct ynode *n)
{
	if (!name)
		return 0;
	if (grow((void **)&b->anchors, &b->capanchors, b->nanchors + 1, sizeof(*b->anchors)))
		return -ENOMEM;
	b->anchors[b->nanchors].name = strdup((const char *)name);
	if (!b->anchors[b->nanchors].name)
		return -ENOMEM;
	b->anchors[b->nanchors++].node = n;
	return 0;
}

static struct ynode *find_anchor(struct builder *b, const char *name)
{
	/* The latest definition of a name wins, as YAML says. */
	for (size_t i = b->nanchors; i > 0; i--)
		if (!strcmp(b->anchors[i - 1].name, name))
			return b->anchors[i - 1].node;
	return NULL;
}

/*
 * Attaches a finished node to the collection on top of the stack. @cost is
 * what it adds to the document: 1 for a node of its own (its children were
 * counted as they came), its whole weight for an alias, which repeats them.
 */
static int attach(struct builder *b, struct ynode *n, const yaml_mark_t *m, unsigned long cost)
{
	struct ynode *parent;

	b->total += cost;
	if (b->total > HX_POLICY_MAX_NODES)
		return fail(b, m, "document too large: more than %u nodes (aliases expanded)",
			    HX_POLICY_MAX_NODES);
	if (b->depth == 0) {
		b->t->root = n;
		return 0;
	}
	parent = b->stack[b->depth - 1];
	if (grow((void **)&parent->items, &parent->cap, parent->n + 1, sizeof(*parent->items)))
		return fail(b, m, "%s", strerror(ENOMEM));
	parent->items[parent->n++] = n;
	parent->weight += n->weight;
	return 0;
}

static int on_event(struct builder *b, yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct ynode *n;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = new_node(b, Y_SCALAR, m);
		if (!n)
			return fail(b, m, "%s", strerror(ENOMEM));
		n->str = malloc(ev->data.scalar.length + 1);
		if (!n->str)
			return fail(b, m, "%s", strerror(ENOMEM));
		memcpy(n->str, ev->data.scalar.value, ev->data.scalar.length);
		n->str[ev->data.scalar.length] = 0;
		n->len = ev->data.scalar.length;
		if (strlen(n->str) != n->len)
			return fail(b, m, "%s", "NUL character in a scalar");
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (add_anchor(b, ev->data.scalar.anchor, n))
			return fail(b, m, "%s", strerror(ENOMEM));
		return attach(b, n, m, 1);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (b->depth >= HX_POLICY_MAX_DEPTH)
			return fail(b, m, "nesting deeper than %d levels", HX_POLICY_MAX_DEPTH);
		n = new_node(b, ev->type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP, m);
		if (!n)
			return fail(b, m, "%s", strerror(ENOMEM));
		if (add_anchor(b,
			       ev->type == YAML_SEQUENCE_START_EVENT ?
				       ev->data.sequence_start.anchor :
				       ev->data.mapping_start.anchor,
			       n))
			return fail(b, m, "%s", strerror(ENOMEM));
		b->stack[b->depth++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = b->stack[--b->depth];
		return attach(b, n, m, 1);
	case YAML_ALIAS_EVENT:
		n = find_anchor(b, (const char *)ev->data.alias.anchor);
		if (!n)
			return fail(b, m, "unknown alias *%s", (const char *)ev->data.alias.anchor);
		/* An alias to a collection still open would make a cycle. */
		for (int i = 0; i < b->depth; i++)
			if (b->stack[i] == n)
				return fail(b, m, "alias *%s refers to an enclosing node",
					    (const char *)ev->data.alias.anchor);
		return attach(b, n, m, n->weight);
	case YAML_DOCUMENT_START_EVENT:
		if (b->t->root)
			return fail(b, m, "%s", "more than one YAML document in the file");
		return 0;
	default:
		return 0;
	}
}

int ytree_parse(const char *buf, size_t len, struct ytree *t, struct yerr *err)
{
	struct builder b = { .t = t, .err = err };
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0;

	memset(t, 0, sizeof(*t));
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err->msg, sizeof(err->msg), "cannot initialise the YAML parser");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done && !rc) {
		if (!yaml_parser_parse(&parser, &ev)) {
			err->line = parser.problem_mark.line + 1;
			err->col = parser.problem_mark.column + 1;
			snprintf(err->msg, sizeof(err->msg), "%s%s%s",
				 parser.problem ? parser.problem : "invalid YAML",
				 parser.context ? " " : "", parser.context ? parser.context : "");
			rc = -1;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	for (size_t i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (rc)
		ytree_free(t);
	return rc;
}

void ytree_free(struct ytree *t)
{
	for (size_t i = 0; i < t->nall; i++) {
		free(t->all[i]->str);
		free(t->all[i]->items);
		free(t->all[i]);
	}
	free(t->all);
	memset(t, 0, sizeof(*t));
}
