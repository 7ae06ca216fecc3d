// SPDX-License-Identifier: GPL-2.0
/* Network policy -> the entries of hx_net4/hx_net6, hx_nport and hx_nhost. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net_compile.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

void hx_naddr_unmap(struct hx_naddr *a)
{
	if (a->af != AF_INET6 || memcmp(a->a, v4mapped, 12))
		return;
	memmove(a->a, a->a + 12, 4);
	memset(a->a + 4, 0, 12);
	a->af = AF_INET;
}

const char *hx_naddr_str(const struct hx_naddr *a, char *buf, size_t len)
{
	struct hx_naddr u = *a;

	hx_naddr_unmap(&u);
	if (!inet_ntop(u.af == AF_INET ? AF_INET : AF_INET6, u.a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

void hx_nents_free(struct hx_nents *e)
{
	free(e->cidr);
	free(e->port);
	free(e->host);
	memset(e, 0, sizeof(*e));
}

#define GROW(arr, n, cap)                                                                          \
	({                                                                                         \
		int _r = 0;                                                                        \
		if ((n) == (cap)) {                                                                \
			size_t _nc = (cap) ? (cap)*2 : 64;                                         \
			void *_nv = realloc((arr), _nc * sizeof(*(arr)));                          \
			if (_nv) {                                                                 \
				(arr) = _nv;                                                       \
				(cap) = _nc;                                                       \
			} else {                                                                   \
				_r = -ENOMEM;                                                      \
			}                                                                          \
		}                                                                                  \
		_r;                                                                                \
	})

static uint32_t ss_of(uint32_t slot, uint32_t sbx)
{
	return slot << 16 | (sbx & 0xffff);
}

static int add_port(struct hx_nents *e, uint32_t slot, uint32_t sbx, uint16_t port, uint8_t proto,
		    bool block, bool specific, uint32_t rule_id)
{
	struct hx_nport_ent *p;

	if (GROW(e->port, e->nport, e->capport))
		return -ENOMEM;
	p = &e->port[e->nport++];
	memset(p, 0, sizeof(*p));
	p->k.slot = slot;
	p->k.sbx = (uint16_t)sbx;
	p->k.port = port;
	p->k.proto = proto;
	p->v.rule_id = rule_id;
	p->v.deny = block;
	p->specific = specific;
	return 0;
}

int hx_net_compile_sbx(struct hx_nents *e, uint32_t slot, uint32_t sbx,
		       const struct hx_net_policy *np, hx_rule_fn rule, void *ctx)
{
	for (size_t i = 0; i < np->cidrs.n; i++) {
		const struct hx_cidr_rule *r = &np->cidrs.v[i];
		struct hx_ncidr_ent *c;
		struct hx_naddr a = { .af = r->pfx.af };
		unsigned plen = r->pfx.len;
		int id;

		/* parsed once, by the policy (hx_parse_cidr): host bits zero, mapped prefixes IPv4 */
		if ((a.af != AF_INET || plen > 32) && (a.af != AF_INET6 || plen > 128))
			return -EINVAL;
		memcpy(a.a, r->pfx.a, sizeof(a.a));
		id = rule(ctx, sbx, r->name, r->cidr);
		if (id < 0)
			return id;
		if (GROW(e->cidr, e->ncidr, e->capcidr))
			return -ENOMEM;
		c = &e->cidr[e->ncidr++];
		memset(c, 0, sizeof(*c));
		c->af = a.af;
		c->k6.prefixlen = 32 + plen;
		c->k6.ss = ss_of(slot, sbx);
		memcpy(c->k6.addr, a.a, 16);
		c->v.rule_id = (uint32_t)id;
		c->v.deny = r->block;
	}
	for (size_t i = 0; i < np->ports.n; i++) {
		const struct hx_port_rule *r = &np->ports.v[i];
		char what[32];
		int id, err = 0;

		snprintf(what, sizeof(what), "%u%s", r->port,
			 r->proto == HX_PROTO_TCP ? "/tcp" :
			 r->proto == HX_PROTO_UDP ? "/udp" :
						    "");
		id = rule(ctx, sbx, r->name, what);
		if (id < 0)
			return id;
		if (r->proto != HX_PROTO_UDP)
			err = add_port(e, slot, sbx, r->port, IPPROTO_TCP, r->block,
				       r->proto == HX_PROTO_TCP, (uint32_t)id);
		if (!err && r->proto != HX_PROTO_TCP)
			err = add_port(e, slot, sbx, r->port, IPPROTO_UDP, r->block,
				       r->proto == HX_PROTO_UDP, (uint32_t)id);
		if (err)
			return err;
	}
	return 0;
}

static int cidr_cmp(const void *x, const void *y)
{
	const struct hx_ncidr_ent *a = x, *b = y;
	int c;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	c = memcmp(&a->k6, &b->k6, sizeof(a->k6));
	if (c)
		return c;
	return a->v.rule_id < b->v.rule_id ? -1 : a->v.rule_id > b->v.rule_id;
}

static int port_cmp(const void *x, const void *y)
{
	const struct hx_nport_ent *a = x, *b = y;
	int c = memcmp(&a->k, &b->k, sizeof(a->k));

	if (c)
		return c;
	return a->v.rule_id < b->v.rule_id ? -1 : a->v.rule_id > b->v.rule_id;
}

void hx_nents_merge(struct hx_nents *e)
{
	size_t o = 0;

	if (e->ncidr)
		qsort(e->cidr, e->ncidr, sizeof(*e->cidr), cidr_cmp);
	for (size_t i = 0; i < e->ncidr; i++) {
		struct hx_ncidr_ent *c = &e->cidr[i];

		if (o && e->cidr[o - 1].af == c->af &&
		    !memcmp(&e->cidr[o - 1].k6, &c->k6, sizeof(c->k6))) {
			/* The same prefix allowed and blocked: block wins, naming the first block. */
			if (c->v.deny && !e->cidr[o - 1].v.deny)
				e->cidr[o - 1].v = c->v;
			continue;
		}
		e->cidr[o++] = *c;
	}
	e->ncidr = o;
	e->n4 = e->n6 = 0;
	for (size_t i = 0; i < e->ncidr; i++) {
		if (e->cidr[i].af == AF_INET)
			e->n4++;
		else
			e->n6++;
	}

	o = 0;
	if (e->nport)
		qsort(e->port, e->nport, sizeof(*e->port), port_cmp);
	for (size_t i = 0; i < e->nport; i++) {
		struct hx_nport_ent *p = &e->port[i];

		if (o && !memcmp(&e->port[o - 1].k, &p->k, sizeof(p->k))) {
			struct hx_nport_ent *m = &e->port[o - 1];

			/* Named protocol beats any protocol; then block beats allow. */
			if (p->specific > m->specific ||
			    (p->specific == m->specific && p->v.deny && !m->v.deny))
				*m = *p;
			continue;
		}
		e->port[o++] = *p;
	}
	e->nport = o;
}

int hx_nhost_add(struct hx_nents *e, uint32_t slot, uint32_t sbx, const struct hx_naddr *a,
		 const uint16_t *ports, size_t nports, enum hx_proto proto, uint32_t rule_id,
		 uint8_t kind)
{
	static const uint16_t any = 0;
	struct hx_naddr u = *a;

	hx_naddr_unmap(&u);
	if (!nports) {
		ports = &any;
		nports = 1;
	}
	for (size_t i = 0; i < nports; i++) {
		for (int t = 0; t < 2; t++) {
			uint8_t p = t ? IPPROTO_UDP : IPPROTO_TCP;
			struct hx_nhost_ent *h;

			if ((proto == HX_PROTO_TCP && p != IPPROTO_TCP) ||
			    (proto == HX_PROTO_UDP && p != IPPROTO_UDP))
				continue;
			if (GROW(e->host, e->nhost, e->caphost))
				return -ENOMEM;
			h = &e->host[e->nhost++];
			memset(h, 0, sizeof(*h));
			h->k.slot = slot;
			h->k.sbx = (uint16_t)sbx;
			h->k.port = ports[i];
			h->k.af = u.af;
			h->k.proto = p;
			memcpy(h->k.addr, u.a, 16);
			h->v.rule_id = rule_id;
			h->v.kind = kind;
			h->v.deny = kind == HX_NHOST_BLOCK;
		}
	}
	return 0;
}

static int host_cmp(const void *x, const void *y)
{
	const struct hx_nhost_ent *a = x, *b = y;
	int c = memcmp(&a->k, &b->k, sizeof(a->k));

	if (c)
		return c;
	/* the higher kind first (DNS, BLOCK, HOST), then the earlier rule */
	if (a->v.kind != b->v.kind)
		return a->v.kind > b->v.kind ? -1 : 1;
	return a->v.rule_id < b->v.rule_id ? -1 : a->v.rule_id > b->v.rule_id;
}

void hx_nhost_merge(struct hx_nents *e)
{
	size_t o = 0;

	if (e->nhost)
		qsort(e->host, e->nhost, sizeof(*e->host), host_cmp);
	for (size_t i = 0; i < e->nhost; i++) {
		if (o && !memcmp(&e->host[o - 1].k, &e->host[i].k, sizeof(e->host[i].k)))
			continue;
		e->host[o++] = e->host[i];
	}
	e->nhost = o;
}
