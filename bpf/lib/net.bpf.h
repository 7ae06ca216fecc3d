/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network family: maps, the sandbox lookup usable from cgroup programs, the
 * decision and the event filler. bpf/net.bpf.c documents the design.
 */
#ifndef HX_NET_BPF_H
#define HX_NET_BPF_H

#include "common.bpf.h"
#include "helixagent/abi_net.h"

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define AF_NETLINK 16
#define AF_PACKET 17
#define AF_ALG 38
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136

/* Cgroup levels below the root searched by hx_sa_sandbox. */
#define HX_SA_LEVELS 32

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, HX_SLOTS *HX_NET_MAX_CIDRS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hx_net4_key);
	__type(value, struct hx_net_rule);
} hx_net4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, HX_SLOTS *HX_NET_MAX_CIDRS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hx_net6_key);
	__type(value, struct hx_net_rule);
} hx_net6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HX_SLOTS *HX_NET_MAX_PORTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hx_nport_key);
	__type(value, struct hx_net_rule);
} hx_nport SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HX_SLOTS *HX_NET_MAX_HOSTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hx_nhost_key);
	__type(value, struct hx_net_rule);
} hx_nhost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, HX_SLOTS * 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct hx_sbx_key);
	__type(value, struct hx_nsbx_val);
} hx_nsbx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, HX_NET_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct hx_nproc_val);
} hx_nproc SEC(".maps");

/* A destination (or bound address), as judged: IPv4-mapped IPv6 already unmapped. */
struct hx_nq {
	__u32 addr[4]; /* network order; IPv4 in addr[0] */
	__u16 port; /* host order */
	__u8 af; /* AF_INET or AF_INET6 (socket events: the socket's family) */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP (socket events: the protocol) */
	__u8 dir; /* HX_NET_EGRESS / HX_NET_INGRESS */
	__u8 listen; /* listen(): an unbound socket's port 0 is not exempt */
	__u8 xlate; /* HX_NXLATE_*: addr is not what the caller wrote, which is req */
	__u8 req_af;
	__u32 req[4];
};

/*
 * The sandbox of the current task, for programs without
 * bpf_get_current_task (cgroup sock_addr): the nearest ancestor cgroup
 * that a sandbox names, found by walking the ancestors from the root down
 * and keeping the deepest hit. Same answer as hx_current_sandbox.
 */
static __always_inline int hx_sa_sandbox(struct hx_ctx *c)
{
	struct hx_cgrp_key key = {};
	struct hx_sbx_key skey = {};
	struct hx_cgrp_val *hit;
	struct hx_sbx_cfg *cfg;
	struct hx_live *live;
	__u64 self, id;
	__u32 zero = 0, sbx = 0;
	int i, found = 0, reached = 0;

	live = bpf_map_lookup_elem(&hx_live, &zero);
	if (!live || !live->ready)
		return 0;
	c->slot = live->slot & 1;
	c->generation = live->generation;
	self = bpf_get_current_cgroup_id();
	c->cgid = self;
	key.slot = c->slot;

	for (i = 0; i < HX_SA_LEVELS; i++) {
		id = bpf_get_current_ancestor_cgroup_id(i);
		if (!id)
			break;
		key.cgid = id;
		hit = bpf_map_lookup_elem(&hx_cgrp, &key);
		if (hit) {
			sbx = hit->sbx;
			found = 1;
		}
		if (id == self) {
			reached = 1;
			break;
		}
	}
	if (!reached) {
		/* Deeper than the bound: the task's own cgroup is still checked,
		 * the levels between are not; counted so an operator sees it. */
		hx_count_drop(HX_DROP_CGRP_DEPTH);
		key.cgid = self;
		hit = bpf_map_lookup_elem(&hx_cgrp, &key);
		if (hit) {
			sbx = hit->sbx;
			found = 1;
		}
	}
	if (!found)
		return 0;
	c->sbx = sbx;
	skey.slot = c->slot;
	skey.sbx = sbx;
	cfg = bpf_map_lookup_elem(&hx_sbx, &skey);
	/* A cgroup entry without its configuration is a loader bug: deny all. */
	if (cfg)
		c->cfg = *cfg;
	else
		c->cfg.flags = HX_SBX_NET_PRESENT | HX_SBX_NET_FORBIDDEN | HX_SBX_AUDIT_DENIED;
	hx_mutant(&c->cfg);
	return 1;
}

static __always_inline __u32 hx_nsbx_rule(struct hx_ctx *c, int which)
{
	struct hx_sbx_key k = { .slot = c->slot, .sbx = c->sbx };
	struct hx_nsbx_val *v = bpf_map_lookup_elem(&hx_nsbx, &k);

	if (!v)
		return HX_RULE_NONE;
	switch (which) {
	case 0:
		return v->outbound_rule;
	case 1:
		return v->inbound_rule;
	case 2:
		return v->socket_rule;
	default:
		return v->privbind_rule;
	}
}

static __always_inline struct hx_net_rule *hx_nhost_find(struct hx_ctx *c, struct hx_nq *q)
{
	struct hx_nhost_key k = {};
	struct hx_net_rule *r;

	k.slot = c->slot;
	k.sbx = (__u16)c->sbx;
	k.port = q->port;
	k.af = q->af;
	k.proto = q->proto;
	__builtin_memcpy(k.addr, q->addr, 16);
	r = bpf_map_lookup_elem(&hx_nhost, &k);
	if (r)
		return r;
	k.port = 0;
	return bpf_map_lookup_elem(&hx_nhost, &k);
}

static __always_inline struct hx_net_rule *hx_ncidr_find(struct hx_ctx *c, struct hx_nq *q)
{
	__u32 ss = c->slot << 16 | (c->sbx & 0xffff);

	if (q->af == AF_INET) {
		struct hx_net4_key k = { .prefixlen = 32 + 32, .ss = ss };

		__builtin_memcpy(k.addr, q->addr, 4);
		return bpf_map_lookup_elem(&hx_net4, &k);
	} else {
		struct hx_net6_key k = { .prefixlen = 32 + 128, .ss = ss };

		__builtin_memcpy(k.addr, q->addr, 16);
		return bpf_map_lookup_elem(&hx_net6, &k);
	}
}

static __always_inline struct hx_net_rule *hx_nport_find(struct hx_ctx *c, struct hx_nq *q)
{
	struct hx_nport_key k = {};

	k.slot = c->slot;
	k.sbx = (__u16)c->sbx;
	k.port = q->port;
	k.proto = q->proto;
	return bpf_map_lookup_elem(&hx_nport, &k);
}

/*
 * The decision for @q in sandbox @c (the order is documented in net.bpf.c).
 * Returns 1 to deny; *rule_id and *flags say why.
 */
static __always_inline int hx_net_judge(struct hx_ctx *c, struct hx_nq *q, __u32 *rule_id,
					__u32 *flags)
{
	__u32 f = c->cfg.flags;
	struct hx_net_rule *h, *l, *p;

	if (f & HX_SBX_NET_FORBIDDEN) {
		*flags |= HX_EVF_FORBIDDEN;
		return 1;
	}
	if (q->dir == HX_NET_INGRESS) {
		/* Port 0 picks an ephemeral source port: a client's bind, not a service. */
		if (q->port == 0 && !q->listen)
			return 0;
		if ((f & HX_SBX_NET_NO_PRIVBIND) && q->port < 1024) {
			*rule_id = hx_nsbx_rule(c, 3);
			return 1;
		}
		if (f & HX_SBX_NET_INBOUND)
			return 0;
		if (f & HX_SBX_NET_INBOUND_RULE)
			*rule_id = hx_nsbx_rule(c, 1);
		else
			*flags |= HX_EVF_NO_RULE;
		return 1;
	}
	h = hx_nhost_find(c, q);
	if (h && h->kind == HX_NHOST_DNS) {
		*rule_id = h->rule_id;
		return 0;
	}
	if (f & HX_SBX_NET_NO_OUTBOUND) {
		*rule_id = hx_nsbx_rule(c, 0);
		return 1;
	}
	if (h && h->deny) {
		*rule_id = h->rule_id;
		return 1;
	}
	l = hx_ncidr_find(c, q);
	if (l && l->deny) {
		*rule_id = l->rule_id;
		return 1;
	}
	if (h) {
		*rule_id = h->rule_id;
		return 0;
	}
	p = hx_nport_find(c, q);
	if (p) {
		*rule_id = p->rule_id;
		return p->deny ? 1 : 0;
	}
	if (l) {
		*rule_id = l->rule_id;
		return 0;
	}
	*flags |= HX_EVF_NO_RULE;
	return (f & HX_SBX_NET_DEFAULT_DENY) ? 1 : 0;
}

static __always_inline __u8 hx_net_decision(struct hx_ctx *c, int deny)
{
	if (!deny)
		return HX_DECISION_ALLOW;
	return hx_mode_decision(&c->cfg);
}

/*
 * Sends the decision record. The record ends before path[]: network events
 * carry no path, and the reader pads a short record with zeros. Only
 * helpers every program type has are used here (cgroup sock_addr programs
 * have no bpf_get_current_task); the parent and start time come from
 * hx_nproc, which the LSM hooks fill.
 */
static __always_inline void hx_net_event(struct hx_ctx *c, __u16 action, __u8 decision,
					 __u32 rule_id, __u32 flags, struct hx_nq *q)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	__u32 tgid = pid_tgid >> 32;
	struct hx_nproc_val *pv;
	struct hx_rate_cfg rate;
	struct hx_event *e;

	hx_rate_of(c, &rate);
	if (!hx_rate_admit(c->sbx, &rate))
		return;
	e = bpf_ringbuf_reserve(&hx_events, offsetof(struct hx_event, path), 0);
	if (!e) {
		hx_count_drop(HX_DROP_RINGBUF);
		return;
	}
	/* the header only: exe and args are read by their lengths, which are 0 */
	__builtin_memset(e, 0, offsetof(struct hx_event, exe));
	e->type = HX_EV_DECISION;
	e->action = action;
	e->family = HX_FAM_NET;
	e->decision = decision;
	e->mode = c->cfg.mode;
	e->flags = flags;
	e->generation = c->generation;
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->cgid = c->cgid;
	e->pid = tgid;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->sbx = c->sbx;
	e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
	e->rule_id = rule_id;
	pv = bpf_map_lookup_elem(&hx_nproc, &tgid);
	if (pv) {
		e->ppid = pv->ppid;
		e->start_boot_ns = pv->start_boot_ns;
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	__builtin_memcpy(e->daddr, q->addr, 16);
	e->dport = q->port;
	e->af = q->af;
	e->proto = q->proto;
	e->direction = q->dir;
	if (q->xlate) {
		struct hx_net_req *r = (struct hx_net_req *)e->exe;

		e->flags |= HX_EVF_NET_XLATE;
		__builtin_memcpy(r->addr, q->req, 16);
		r->af = q->req_af;
		r->xlate = q->xlate;
		r->pad[0] = 0;
		r->pad[1] = 0;
	}
	bpf_ringbuf_submit(e, 0);
}

/* Counts the decision and logs it if the sandbox asks for denials. Returns the verdict. */
static __always_inline int hx_net_finish(struct hx_ctx *c, __u16 action, int deny, __u32 rule_id,
					 __u32 flags, struct hx_nq *q)
{
	__u8 decision = hx_net_decision(c, deny);

	hx_count(c, HX_FAM_NET, decision);
	if (decision != HX_DECISION_ALLOW && (c->cfg.flags & HX_SBX_AUDIT_DENIED))
		hx_net_event(c, action, decision, rule_id, flags, q);
	return decision == HX_DECISION_DENY;
}

#endif
