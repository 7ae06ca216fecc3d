// SPDX-License-Identifier: GPL-2.0
/*
 * Network family: policy -> network maps, host names kept resolved.
 *
 * A policy's CIDR and port rules go into the inactive slot at install, with
 * the current addresses of its host names and resolvers. Names are then
 * re-resolved on their TTL by a worker thread (a slow DNS server never
 * stalls the daemon's event loop); each tick applies what it found to the
 * live slot's hx_nhost entries and logs every change.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/resolve.h"
#include "helixagent.skel.h"
#include "helixagent/abi_net.h"
#include "internal.h"
#include "net_compile.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define CAP_NET_BIND_SERVICE 10

/* One allowed_hosts or blocked_hosts rule of one sandbox, in a slot. */
struct host_rule {
	uint32_t sbx;
	char *name;
	uint16_t *ports;
	size_t nports;
	enum hx_proto proto;
	uint32_t rule_id;
	bool block; /* blocked_hosts */
};

/* One sandbox with allow_dns in a slot. */
struct dns_rule {
	uint32_t sbx;
	uint32_t rule_id;
};

struct slot_state {
	bool used;
	bool known; /* every entry of this slot is listed below (so clearing needs no scan) */
	struct hx_nents ents; /* the CIDR and port entries written */
	uint32_t *sbxs; /* the sandboxes with an hx_nsbx entry */
	size_t nsbxs;
	struct host_rule *hr;
	size_t nhr;
	struct dns_rule *dr;
	size_t ndr;
	struct hx_nhost_ent *written; /* what hx_nhost holds for this slot */
	size_t nwritten;
};

/* The resolver worker: one batch of names at a time. */
struct job {
	char **names;
	struct hx_resolved *res;
	size_t n;
	bool pending; /* handed to the worker */
	bool done; /* results ready for the main thread */
};

static struct {
	struct hx_name *names;
	size_t nnames;
	struct hx_naddr *resolvers;
	int nresolvers;
	struct stat resolv_st;
	bool resolv_st_ok;
	struct slot_state slot[HX_SLOTS];
	pthread_t worker;
	bool worker_up;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job job;
} G = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int64_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- flags ---- */

__u32 hx_net_sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s)
{
	const struct hx_net_policy *n = &s->net;
	__u32 f;

	if (!n->present && s->perms.allow_network != HX_NO)
		return 0;
	f = HX_SBX_NET_PRESENT;
	if (n->default_policy != HX_DEF_ALLOW)
		f |= HX_SBX_NET_DEFAULT_DENY;
	if (s->perms.allow_network == HX_NO)
		f |= HX_SBX_NET_FORBIDDEN;
	if (n->allow_outbound == HX_NO)
		f |= HX_SBX_NET_NO_OUTBOUND;
	if (n->allow_inbound == HX_YES)
		f |= HX_SBX_NET_INBOUND | HX_SBX_NET_INBOUND_RULE;
	else if (n->allow_inbound == HX_NO)
		f |= HX_SBX_NET_INBOUND_RULE;
	else if (n->default_policy == HX_DEF_ALLOW)
		f |= HX_SBX_NET_INBOUND;
	if (s->caps.present && (s->caps.drop & (1ull << CAP_NET_BIND_SERVICE)) &&
	    !(s->caps.add & (1ull << CAP_NET_BIND_SERVICE)))
		f |= HX_SBX_NET_NO_PRIVBIND;
	return f;
}

/* ---- map maintenance ---- */

/* Deletes every key of @fd for which @match says yes: collected first, then deleted. */
static void delete_matching(int fd, size_t keysz, bool (*match)(const void *key, uint32_t slot),
			    uint32_t slot)
{
	unsigned char *keys = NULL, cur[64], next[64];
	size_t n = 0, cap = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		if (match(next, slot)) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 256;
				unsigned char *nv = realloc(keys, nc * keysz);

				if (!nv)
					break;
				keys = nv;
				cap = nc;
			}
			memcpy(keys + n * keysz, next, keysz);
			n++;
		}
		memcpy(cur, next, keysz);
		prev = cur;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * keysz);
	free(keys);
}

static bool match_net4(const void *k, uint32_t slot)
{
	return ((const struct hx_net4_key *)k)->ss >> 16 == slot;
}

static bool match_net6(const void *k, uint32_t slot)
{
	return ((const struct hx_net6_key *)k)->ss >> 16 == slot;
}

static bool match_nport(const void *k, uint32_t slot)
{
	return ((const struct hx_nport_key *)k)->slot == slot;
}

static bool match_nhost(const void *k, uint32_t slot)
{
	return ((const struct hx_nhost_key *)k)->slot == slot;
}

static bool match_nsbx(const void *k, uint32_t slot)
{
	return ((const struct hx_sbx_key *)k)->slot == slot;
}

/*
 * Whether @slot has any hx_nsbx entry. A slot's sandboxes are entered there
 * before any of its other network entries and removed after them, so a slot
 * without one holds nothing (even after a daemon died mid-install).
 */
static bool slot_has_nsbx(int fd, uint32_t slot)
{
	struct hx_sbx_key cur, next;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (next.slot == slot)
			return true;
		cur = next;
		prev = &cur;
	}
	return false;
}

static void slot_state_free(struct slot_state *s)
{
	for (size_t i = 0; i < s->nhr; i++) {
		free(s->hr[i].name);
		free(s->hr[i].ports);
	}
	free(s->hr);
	free(s->dr);
	free(s->written);
	free(s->sbxs);
	hx_nents_free(&s->ents);
	memset(s, 0, sizeof(*s));
}

/* Deletes exactly what this daemon wrote to @slot. */
static void clear_known(struct hx_bpf *sk, uint32_t slot, const struct slot_state *st)
{
	int fd4 = bpf_map__fd(sk->maps.hx_net4), fd6 = bpf_map__fd(sk->maps.hx_net6);

	for (size_t i = 0; i < st->ents.ncidr; i++) {
		const struct hx_ncidr_ent *c = &st->ents.cidr[i];

		if (c->af == AF_INET) {
			struct hx_net4_key k4 = { .prefixlen = c->k6.prefixlen, .ss = c->k6.ss };

			memcpy(k4.addr, c->k6.addr, 4);
			bpf_map_delete_elem(fd4, &k4);
		} else {
			bpf_map_delete_elem(fd6, &c->k6);
		}
	}
	for (size_t i = 0; i < st->ents.nport; i++)
		bpf_map_delete_elem(bpf_map__fd(sk->maps.hx_nport), &st->ents.port[i].k);
	for (size_t i = 0; i < st->nwritten; i++)
		bpf_map_delete_elem(bpf_map__fd(sk->maps.hx_nhost), &st->written[i].k);
	for (size_t i = 0; i < st->nsbxs; i++) {
		struct hx_sbx_key k = { .slot = slot, .sbx = st->sbxs[i] };

		bpf_map_delete_elem(bpf_map__fd(sk->maps.hx_nsbx), &k);
	}
}

static bool slot_uses(const struct slot_state *s, const char *name);

/* Forgets the names no slot refers to any more. */
static void prune_names(void)
{
	size_t o = 0;

	for (size_t i = 0; i < G.nnames; i++) {
		if (!slot_uses(&G.slot[0], G.names[i].name) &&
		    !slot_uses(&G.slot[1], G.names[i].name)) {
			hx_name_free(&G.names[i]);
			continue;
		}
		G.names[o++] = G.names[i];
	}
	G.nnames = o;
}

static void net_clear(struct hx_loader *l, uint32_t slot)
{
	struct slot_state *st = &G.slot[slot & 1];
	struct hx_bpf *s = l->skel;

	if (st->known) {
		clear_known(s, slot, st);
	} else if (slot_has_nsbx(bpf_map__fd(s->maps.hx_nsbx), slot)) {
		/* Written by an earlier daemon (or never): find the slot's entries. */
		delete_matching(bpf_map__fd(s->maps.hx_net4), sizeof(struct hx_net4_key),
				match_net4, slot);
		delete_matching(bpf_map__fd(s->maps.hx_net6), sizeof(struct hx_net6_key),
				match_net6, slot);
		delete_matching(bpf_map__fd(s->maps.hx_nport), sizeof(struct hx_nport_key),
				match_nport, slot);
		delete_matching(bpf_map__fd(s->maps.hx_nhost), sizeof(struct hx_nhost_key),
				match_nhost, slot);
		delete_matching(bpf_map__fd(s->maps.hx_nsbx), sizeof(struct hx_sbx_key), match_nsbx,
				slot);
	}
	slot_state_free(st);
	st->known = true;
	prune_names();
}

/* ---- names ---- */

static struct hx_name *name_find(const char *name)
{
	for (size_t i = 0; i < G.nnames; i++)
		if (!strcmp(G.names[i].name, name))
			return &G.names[i];
	return NULL;
}

static struct hx_name *name_get(const char *name)
{
	struct hx_name *nv = name_find(name);

	if (nv)
		return nv;
	nv = realloc(G.names, (G.nnames + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	G.names = nv;
	memset(&nv[G.nnames], 0, sizeof(nv[0]));
	nv[G.nnames].name = strdup(name);
	if (!nv[G.nnames].name)
		return NULL;
	return &G.names[G.nnames++];
}

static void log_change(const char *name, const struct hx_name_change *c)
{
	char addr[64], kv[400];

	hx_naddr_str(&c->a, addr, sizeof(addr));
	snprintf(kv, sizeof(kv), "host=%s address=%s change=%s", name, addr,
		 c->added ? "added" : "expired");
	hx_dlog(LOG_INFO, "network_host", kv, "host %s: %s %s", name,
		c->added ? "allowing" : "removing expired", addr);
}

/* Applies one resolution result to the shared name state and logs what changed. */
static int name_update(struct hx_name *nm, const struct hx_resolved *r)
{
	struct hx_name_change *ch;
	char kv[400];
	int n;

	n = hx_name_apply(nm, r, now_s(), &ch);
	if (n < 0)
		return n;
	if (r->err && !nm->failing) {
		snprintf(kv, sizeof(kv), "host=%s error=%s addresses=%zu", nm->name,
			 r->err == -EAGAIN ? "temporary_failure" : "no_address", nm->n);
		hx_dlog(LOG_WARNING, "network_host", kv, "host %s does not resolve%s", nm->name,
			nm->n ? "; keeping its addresses until they expire" : "");
	} else if (!r->err && nm->failing) {
		snprintf(kv, sizeof(kv), "host=%s", nm->name);
		hx_dlog(LOG_INFO, "network_host", kv, "host %s resolves again", nm->name);
	}
	nm->failing = r->err != 0;
	for (int i = 0; i < n; i++)
		log_change(nm->name, &ch[i]);
	if (n && !r->err) {
		snprintf(kv, sizeof(kv), "host=%s addresses=%zu ttl=%u source=%s", nm->name, nm->n,
			 nm->ttl, r->from_dns ? "dns" : "system");
		hx_dlog(LOG_INFO, "network_host", kv,
			"host %s: %zu address(es), refreshed every %us", nm->name, nm->n, nm->ttl);
	}
	free(ch);
	return n;
}

static void resolve_now(struct hx_name *nm)
{
	struct hx_resolved r;

	hx_net_resolve(nm->name, &r);
	name_update(nm, &r);
	hx_resolved_free(&r);
}

static void *worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&G.mu);
	for (;;) {
		while (!G.job.pending)
			pthread_cond_wait(&G.cv, &G.mu);
		pthread_mutex_unlock(&G.mu);
		for (size_t i = 0; i < G.job.n; i++)
			hx_net_resolve(G.job.names[i], &G.job.res[i]);
		pthread_mutex_lock(&G.mu);
		G.job.pending = false;
		G.job.done = true;
	}
	return NULL;
}

static void job_free(struct job *j)
{
	for (size_t i = 0; i < j->n; i++) {
		free(j->names[i]);
		hx_resolved_free(&j->res[i]);
	}
	free(j->names);
	free(j->res);
	memset(j, 0, sizeof(*j));
}

/* ---- resolvers ---- */

/* Re-reads /etc/resolv.conf if it changed; returns true when the resolver list did. */
static bool resolvers_refresh(bool force)
{
	struct hx_naddr *v = NULL;
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int n = 0;
	bool changed;

	if (stat(RESOLV_CONF, &st)) {
		memset(&st, 0, sizeof(st));
	} else if (!force && G.resolv_st_ok && st.st_mtim.tv_sec == G.resolv_st.st_mtim.tv_sec &&
		   st.st_mtim.tv_nsec == G.resolv_st.st_mtim.tv_nsec &&
		   st.st_ino == G.resolv_st.st_ino && st.st_size == G.resolv_st.st_size) {
		return false;
	}
	G.resolv_st = st;
	G.resolv_st_ok = true;
	f = fopen(RESOLV_CONF, "re");
	if (f) {
		FILE *m = open_memstream(&text, &len);
		char buf[4096];
		size_t k;

		while (m && (k = fread(buf, 1, sizeof(buf), f)) > 0 && len < (1u << 20))
			fwrite(buf, 1, k, m);
		if (m)
			fclose(m);
		fclose(f);
	}
	if (text) {
		n = hx_net_parse_resolv(text, &v);
		free(text);
		if (n < 0)
			return false;
	}
	if (n == 0) {
		/* What the C library does without a nameserver line: the local machine. */
		v = calloc(1, sizeof(*v));
		if (!v)
			return false;
		v->af = AF_INET;
		v->a[0] = 127;
		v->a[3] = 1;
		n = 1;
	}
	changed = n != G.nresolvers || (n && memcmp(v, G.resolvers, (size_t)n * sizeof(*v)) != 0);
	free(G.resolvers);
	G.resolvers = v;
	G.nresolvers = n;
	if (changed) {
		char list[512] = "", buf[64], kv[600];
		size_t o = 0;

		for (int i = 0; i < n && o < sizeof(list); i++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? "," : "",
					      hx_naddr_str(&v[i], buf, sizeof(buf)));
		snprintf(kv, sizeof(kv), "file=%s resolvers=%s", RESOLV_CONF, list);
		hx_dlog(LOG_INFO, "network_dns", kv, "allow_dns reaches %s", list);
	}
	return changed;
}

/* ---- host entries ---- */

/* The hx_nhost entries @s should have now. */
static int host_entries(uint32_t slot, const struct slot_state *s, struct hx_nents *e)
{
	static const uint16_t dns_port = 53;
	int err;

	for (size_t i = 0; i < s->nhr; i++) {
		const struct host_rule *h = &s->hr[i];
		struct hx_name *nm = name_get(h->name);

		if (!nm)
			return -ENOMEM;
		for (size_t j = 0; j < nm->n; j++) {
			err = hx_nhost_add(e, slot, h->sbx, &nm->addrs[j].a, h->ports, h->nports,
					   h->proto, h->rule_id,
					   h->block ? HX_NHOST_BLOCK : HX_NHOST_HOST);
			if (err)
				return err;
		}
	}
	for (size_t i = 0; i < s->ndr; i++) {
		for (int j = 0; j < G.nresolvers; j++) {
			err = hx_nhost_add(e, slot, s->dr[i].sbx, &G.resolvers[j], &dns_port, 1,
					   HX_PROTO_ANY, s->dr[i].rule_id, HX_NHOST_DNS);
			if (err)
				return err;
		}
	}
	hx_nhost_merge(e);
	return 0;
}

static int host_key_cmp(const void *x, const void *y)
{
	return memcmp(&((const struct hx_nhost_ent *)x)->k, &((const struct hx_nhost_ent *)y)->k,
		      sizeof(struct hx_nhost_key));
}

/* Makes hx_nhost of @slot hold @want (sorted by key): adds first, then removes. */
static int host_sync(int fd, struct slot_state *s, struct hx_nents *want)
{
	int err = 0;

	if (want->nhost > HX_NET_MAX_HOSTS)
		return -ENOSPC;
	for (size_t i = 0; i < want->nhost; i++) {
		struct hx_nhost_ent *old = s->nwritten ?
						   bsearch(&want->host[i], s->written, s->nwritten,
							   sizeof(*s->written), host_key_cmp) :
						   NULL;

		if (old && !memcmp(&old->v, &want->host[i].v, sizeof(old->v)))
			continue;
		if (bpf_map_update_elem(fd, &want->host[i].k, &want->host[i].v, BPF_ANY))
			err = err ? err : -errno;
	}
	for (size_t i = 0; i < s->nwritten; i++)
		if (!want->nhost || !bsearch(&s->written[i], want->host, want->nhost,
					     sizeof(*want->host), host_key_cmp))
			bpf_map_delete_elem(fd, &s->written[i].k);
	free(s->written);
	s->written = want->host;
	s->nwritten = want->nhost;
	want->host = NULL;
	want->nhost = want->caphost = 0;
	return err;
}

/* ---- install ---- */

struct rule_ctx {
	struct hx_compiled *out;
};

static int rule_cb(void *ctx, uint32_t sbx, const char *name, const char *what)
{
	return hx_rules_add(((struct rule_ctx *)ctx)->out, sbx, HX_FAM_NET, name, what);
}

static int add_rule(struct hx_compiled *out, uint32_t sbx, const char *name, const char *what,
		    uint32_t *id)
{
	int r = hx_rules_add(out, sbx, HX_FAM_NET, name, what);

	if (r < 0)
		return r;
	*id = (uint32_t)r;
	return 0;
}

static int add_hosts(struct slot_state *st, struct hx_compiled *out, uint32_t sbx,
		     const struct hx_host_rules *rules, bool block)
{
	for (size_t j = 0; j < rules->n; j++) {
		const struct hx_host_rule *h = &rules->v[j];
		struct host_rule *nvh = realloc(st->hr, (st->nhr + 1) * sizeof(*nvh));
		struct host_rule *x;
		int id;

		if (!nvh)
			return -ENOMEM;
		st->hr = nvh;
		x = &st->hr[st->nhr];
		memset(x, 0, sizeof(*x));
		id = hx_rules_add(out, sbx, HX_FAM_NET, h->name, h->host);
		if (id < 0)
			return id;
		x->sbx = sbx;
		x->rule_id = (uint32_t)id;
		x->proto = h->proto;
		x->block = block;
		x->name = strdup(h->host);
		if (!x->name)
			return -ENOMEM;
		st->nhr++;
		if (h->nports) {
			x->ports = malloc(h->nports * sizeof(*x->ports));
			if (!x->ports)
				return -ENOMEM;
			memcpy(x->ports, h->ports, h->nports * sizeof(*x->ports));
			x->nports = h->nports;
		}
	}
	return 0;
}

static int install_sbx(struct hx_loader *l, uint32_t slot, uint32_t i, const struct hx_sandbox *sb,
		       struct hx_compiled *out, struct hx_nents *e, struct slot_state *st,
		       struct hx_diags *diags)
{
	const struct hx_net_policy *np = &sb->net;
	struct hx_nsbx_val nv = { HX_RULE_NONE, HX_RULE_NONE, HX_RULE_NONE, HX_RULE_NONE };
	struct hx_sbx_key k = { .slot = slot, .sbx = i };
	struct rule_ctx rc = { out };
	uint32_t *sbxs;
	int err;

	err = hx_net_compile_sbx(e, slot, i, np, rule_cb, &rc);
	if (err)
		return err;

	if ((err = add_rule(out, i, "network.allow_outbound", NULL, &nv.outbound_rule)) ||
	    (err = add_rule(out, i, "network.allow_inbound", NULL, &nv.inbound_rule)) ||
	    (err = add_rule(out, i, "network.socket_types",
			    "raw, packet and other sockets the address rules cannot judge",
			    &nv.socket_rule)) ||
	    (err = add_rule(out, i, "capabilities.drop", "NET_BIND_SERVICE", &nv.privbind_rule)))
		return err;
	sbxs = realloc(st->sbxs, (st->nsbxs + 1) * sizeof(*sbxs));
	if (!sbxs)
		return -ENOMEM;
	st->sbxs = sbxs;
	st->sbxs[st->nsbxs++] = i;
	if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.hx_nsbx), &k, &nv, BPF_ANY))
		return -errno;

	err = add_hosts(st, out, i, &np->hosts, false);
	if (!err)
		err = add_hosts(st, out, i, &np->blocked_hosts, true);
	if (err)
		return err;
	if (np->allow_dns == HX_YES) {
		struct dns_rule *nvd = realloc(st->dr, (st->ndr + 1) * sizeof(*nvd));

		if (!nvd)
			return -ENOMEM;
		st->dr = nvd;
		st->dr[st->ndr].sbx = i;
		err = add_rule(out, i, "network.allow_dns", RESOLV_CONF, &st->dr[st->ndr].rule_id);
		if (err)
			return err;
		st->ndr++;
	}
	return 0;
}

static int write_cidrs(struct hx_loader *l, const struct hx_nents *e)
{
	int fd4 = bpf_map__fd(l->skel->maps.hx_net4), fd6 = bpf_map__fd(l->skel->maps.hx_net6);

	for (size_t i = 0; i < e->ncidr; i++) {
		const struct hx_ncidr_ent *c = &e->cidr[i];
		int rc;

		if (c->af == AF_INET) {
			struct hx_net4_key k4 = { .prefixlen = c->k6.prefixlen, .ss = c->k6.ss };

			memcpy(k4.addr, c->k6.addr, 4);
			rc = bpf_map_update_elem(fd4, &k4, &c->v, BPF_ANY);
		} else {
			rc = bpf_map_update_elem(fd6, &c->k6, &c->v, BPF_ANY);
		}
		if (rc)
			return -errno;
	}
	for (size_t i = 0; i < e->nport; i++)
		if (bpf_map_update_elem(bpf_map__fd(l->skel->maps.hx_nport), &e->port[i].k,
					&e->port[i].v, BPF_ANY))
			return -errno;
	return 0;
}

static int net_install(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot,
		       const struct hx_policy *p, struct hx_diags *diags)
{
	struct hx_compiled *out = &b->out;
	struct slot_state *st = &G.slot[slot & 1];
	struct hx_nents *e, hosts = { 0 };
	const struct hx_src nosrc = { 0 };
	int64_t now = now_s();
	bool known = st->known;
	int err = 0;

	slot_state_free(st);
	st->used = true;
	/* net_clear emptied the slot just before; what is written now is listed here */
	st->known = known;
	e = &st->ents;
	for (uint32_t i = 0; i < p->nsandboxes; i++) {
		const struct hx_sandbox *sb = &p->sandboxes[i];

		if (!hx_net_sbx_flags(p, sb))
			continue;
		err = install_sbx(l, slot, i, sb, out, e, st, diags);
		if (err)
			goto out;
	}
	if (diags->errors) {
		err = -EINVAL;
		goto out;
	}
	hx_nents_merge(e);
	if (e->n4 > HX_NET_MAX_CIDRS || e->n6 > HX_NET_MAX_CIDRS || e->nport > HX_NET_MAX_PORTS) {
		hx_loader_diag(
			diags, HX_DIAG_ERROR, nosrc,
			"the policy needs %zu IPv4 and %zu IPv6 prefixes and %zu port entries; the kernel maps hold %u, %u and %u",
			e->n4, e->n6, e->nport, HX_NET_MAX_CIDRS, HX_NET_MAX_CIDRS,
			HX_NET_MAX_PORTS);
		err = -EINVAL;
		goto out;
	}
	err = write_cidrs(l, e);
	if (err)
		goto out;

	/* Names this policy adds are resolved now; known ones keep their state. */
	for (size_t i = 0; i < st->nhr; i++) {
		struct hx_name *nm = name_get(st->hr[i].name);

		if (!nm) {
			err = -ENOMEM;
			goto out;
		}
		if (!nm->resolved_once || nm->next_refresh <= now)
			resolve_now(nm);
	}
	if (st->ndr)
		resolvers_refresh(false);
	err = host_entries(slot, st, &hosts);
	if (err)
		goto out;
	err = host_sync(bpf_map__fd(l->skel->maps.hx_nhost), st, &hosts);
	if (err == -ENOSPC)
		hx_loader_diag(diags, HX_DIAG_ERROR, nosrc,
			       "the policy needs %zu host entries; the kernel map holds %u",
			       hosts.nhost, HX_NET_MAX_HOSTS);
out:
	hx_nents_free(&hosts);
	return err == -ENOSPC ? -EINVAL : err;
}

/* ---- tick ---- */

static bool slot_uses(const struct slot_state *s, const char *name)
{
	for (size_t i = 0; i < s->nhr; i++)
		if (!strcmp(s->hr[i].name, name))
			return true;
	return false;
}

/* Hands the worker the names of @s due for a refresh, if any. */
static void job_start(const struct slot_state *s, int64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < G.nnames; i++)
		n += slot_uses(s, G.names[i].name) && G.names[i].next_refresh <= now;
	if (!n)
		return;
	if (!G.worker_up) {
		if (pthread_create(&G.worker, NULL, worker_main, NULL))
			return;
		pthread_detach(G.worker);
		G.worker_up = true;
	}
	G.job.names = calloc(n, sizeof(*G.job.names));
	G.job.res = calloc(n, sizeof(*G.job.res));
	if (!G.job.names || !G.job.res) {
		job_free(&G.job);
		return;
	}
	for (size_t i = 0; i < G.nnames && G.job.n < n; i++) {
		if (!slot_uses(s, G.names[i].name) || G.names[i].next_refresh > now)
			continue;
		G.job.names[G.job.n] = strdup(G.names[i].name);
		if (!G.job.names[G.job.n])
			break;
		G.job.n++;
	}
	pthread_mutex_lock(&G.mu);
	G.job.pending = true;
	G.job.done = false;
	pthread_cond_signal(&G.cv);
	pthread_mutex_unlock(&G.mu);
}

void hx_net_tick(struct hx_loader *l)
{
	struct slot_state *s = &G.slot[l->slot & 1];
	struct hx_nents want = { 0 };
	int64_t now = now_s();
	bool changed = false, busy, done;
	int err;

	if (!s->used || !l->skel)
		return;
	if (s->ndr)
		changed |= resolvers_refresh(false);

	pthread_mutex_lock(&G.mu);
	busy = G.job.pending;
	done = G.job.done;
	pthread_mutex_unlock(&G.mu);
	if (done) {
		for (size_t i = 0; i < G.job.n; i++) {
			/* a name the policy dropped meanwhile is not brought back */
			struct hx_name *nm = name_find(G.job.names[i]);

			if (nm && name_update(nm, &G.job.res[i]) > 0)
				changed = true;
		}
		job_free(&G.job);
		busy = false;
	}
	/* Expiry does not wait for the resolver. */
	for (size_t i = 0; i < G.nnames; i++) {
		struct hx_name_change *ch;
		int n = hx_name_expire(&G.names[i], now, &ch);

		for (int j = 0; j < n; j++)
			log_change(G.names[i].name, &ch[j]);
		changed |= n > 0;
		free(ch);
	}
	if (!busy)
		job_start(s, now);
	if (!changed)
		return;
	err = host_entries(l->slot & 1, s, &want);
	if (!err)
		err = host_sync(bpf_map__fd(l->skel->maps.hx_nhost), s, &want);
	if (err)
		hx_dlog(LOG_ERR, "network_host", NULL, "cannot update the host entries: %s",
			strerror(-err));
	hx_nents_free(&want);
}

/* ---- attach ---- */

/*
 * Attaches @prog if it is one of the cgroup programs libbpf cannot attach
 * by itself (to the cgroup2 root); otherwise bpf_program__attach. NULL with
 * errno on failure.
 */
static struct bpf_link *net_attach(struct hx_loader *l, struct bpf_program *prog)
{
	struct bpf_link *link;
	int fd, e;

	if (bpf_program__type(prog) != BPF_PROG_TYPE_CGROUP_SOCK_ADDR)
		return bpf_program__attach(prog);
	/* Once at the root: every cgroup's sockets run it; the program finds the sandbox. */
	fd = open(l->cg_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	link = bpf_program__attach_cgroup(prog, fd);
	e = errno;
	close(fd);
	errno = e;
	return link;
}

HX_FAMILY(net, HX_FAM_NET, .sbx_flags = hx_net_sbx_flags, .install = net_install,
	  .clear = net_clear, .attach_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR, .attach = net_attach);
