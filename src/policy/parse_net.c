// SPDX-License-Identifier: GPL-2.0
/*
 * The net family: network: (CIDRs, ports, host names, zones) and the checks
 * its entries share with the metrics listener (host names).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/*
 * An address literal stands for itself in a host list (it is never resolved):
 * with ports, an exact (address, port) rule, which the CIDR lists cannot make.
 */
static bool is_address(const char *s)
{
	char canon[INET6_ADDRSTRLEN];

	return hx_addr_canon(s, canon);
}

bool hx_p_valid_hostname(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (!len || len > 253)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!(*p == '-' || *p == '_' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

static bool get_port(struct pctx *c, const struct ynode *n, const char *key, uint16_t *out)
{
	unsigned long v;

	if (!hx_p_get_uint(c, n, key, 1, 65535, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool get_protocol(struct pctx *c, const struct ynode *v, enum hx_proto *out)
{
	static const char *const names[] = { "tcp", "udp", NULL };
	int i = hx_p_choice(c, v, "protocol", names);

	if (i < 0)
		return false;
	*out = i ? HX_PROTO_UDP : HX_PROTO_TCP;
	return true;
}

static const char *proto_name(enum hx_proto p)
{
	return p == HX_PROTO_TCP ? "tcp" : p == HX_PROTO_UDP ? "udp" : "any";
}

/* Adds a CIDR rule, refusing one listed twice or both allowed and blocked. */
static void cidr_add(struct pctx *c, struct hx_cidr_rules *r, const struct ynode *n,
		     const char *cidr, const struct hx_prefix *pfx, bool block, char *name)
{
	char key[INET6_ADDRSTRLEN + 8];

	/* one prefix however it is spelt: 10.0.0.1 and 10.0.0.1/32, 2001:DB8:: and 2001:db8:: */
	if (hx_cidr_canon(pfx, key, sizeof(key)))
		snprintf(key, sizeof(key), "%.*s", (int)sizeof(key) - 1, cidr);
	if (!RULE_CLAIM(c, n, r, key, block, "'%s'", cidr)) {
		free(name);
		return;
	}
	*hx_cidr_rules_push(r) = (struct hx_cidr_rule){ .cidr = hx_xstrdup(cidr),
							.pfx = *pfx,
							.block = block,
							.name = name,
							.src = src_of(n) };
}

struct cidr_list {
	struct hx_cidr_rules *r;
	bool block;
	const char *list;
};

static void cidr_item(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
		      const char *key, void *out)
{
	struct cidr_list *l = out;
	struct hx_prefix pfx;
	char msg[160];

	if (hx_parse_cidr(s, &pfx, msg, sizeof(msg)))
		err(c, n, "%s", msg);
	else
		cidr_add(c, l->r, n, s, &pfx, l->block, rule_name(c, l->list, idx));
}

static void parse_cidr_list(struct pctx *c, const struct ynode *v, const char *key,
			    struct hx_cidr_rules *r, bool block, const char *list)
{
	struct cidr_list l = { r, block, list };

	hx_p_each(c, v, key, cidr_item, &l);
}

static void port_add(struct pctx *c, struct hx_port_rules *r, const struct ynode *n, uint16_t port,
		     enum hx_proto proto, bool block, char *name)
{
	char key[16];

	snprintf(key, sizeof(key), "%u/%d", port, proto);
	if (!RULE_CLAIM(c, n, r, key, block, "port %u/%s", port, proto_name(proto))) {
		free(name);
		return;
	}
	*hx_port_rules_push(r) = (struct hx_port_rule){
		.port = port, .proto = proto, .block = block, .name = name, .src = src_of(n)
	};
}

/* A port entry written as a mapping. */
struct port_entry {
	uint16_t port;
	enum hx_proto proto;
	bool ok, has_port, block;
};

static void port_entry_port(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			    void *obj, void *loc)
{
	struct port_entry *e = obj;

	e->has_port = true;
	e->ok &= get_port(c, v, kn->str, &e->port);
}

static void port_entry_protocol(struct pctx *c, const struct ynode *kn, const struct ynode *v,
				void *obj, void *loc)
{
	struct port_entry *e = obj;

	e->ok &= get_protocol(c, v, &e->proto);
}

static void port_entry_allow(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			     void *obj, void *loc)
{
	struct port_entry *e = obj;
	bool allow;

	if (hx_p_get_bool(c, v, kn->str, &allow))
		e->block = !allow;
	else
		e->ok = false;
}

static const struct pkey blocked_port_keys[] = {
	{ "port", PK_FN, .fn = port_entry_port },
	{ "protocol", PK_FN, .fn = port_entry_protocol },
	{ 0 },
};

static const struct pkey allowed_port_keys[] = {
	{ "allow", PK_FN, .fn = port_entry_allow },
	{ "", PK_INCLUDE, .sub = blocked_port_keys },
	{ 0 },
};

static const struct psection port_entry_sections[2] = {
	{ .name = "allowed_ports entry", .keys = allowed_port_keys, .nulls = true },
	{ .name = "blocked_ports entry", .keys = blocked_port_keys, .nulls = true },
};

/*
 * allowed_ports: [443, {port: 443, protocol: tcp, allow: true}]
 * blocked_ports: [25, {port: 25, protocol: tcp}]
 */
static void parse_port_rules(struct pctx *c, const struct ynode *v, const char *key,
			     struct hx_port_rules *r, bool block, const char *list)
{
	if (!hx_p_want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		struct port_entry e = { .proto = HX_PROTO_ANY, .ok = true, .block = block };

		if (it->kind == Y_SCALAR) {
			if (get_port(c, it, key, &e.port))
				port_add(c, r, it, e.port, e.proto, e.block, rule_name(c, list, i));
			continue;
		}
		if (!hx_p_walk(c, it, key, &port_entry_sections[block], &e, NULL))
			continue;
		if (!e.has_port)
			err(c, it, "%s entry needs a 'port'", key);
		else if (e.ok)
			port_add(c, r, it, e.port, e.proto, e.block, rule_name(c, list, i));
	}
}

/* The whole rule as a key: "h\x1fproto\x1fport,port" */
static char *host_rule_key(const struct hx_host_rule *h)
{
	size_t len = strlen(h->host) + 8 + h->nports * 6;
	char *key = hx_xrealloc(NULL, len), *o = key;

	o += sprintf(o, "%s\x1f%d\x1f", h->host, h->proto);
	for (size_t i = 0; i < h->nports; i++)
		o += sprintf(o, "%u,", h->ports[i]);
	return key;
}

/* Host names are case-insensitive; a trailing dot (the root) is dropped. */
static char *norm_host(const char *s)
{
	char *h = hx_xstrdup(s);
	size_t len = strlen(h);

	for (char *p = h; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (len > 1 && h[len - 1] == '.')
		h[len - 1] = 0;
	return h;
}

/* A host entry: a name (or address), or a mapping. */
struct host_entry {
	struct hx_host_rule h;
	const char *host;
	const struct ynode *hostn;
	uint64_t seen_port[65536 / 64]; /* cleared by ports: */
	bool ok;
};

static void host_entry_host(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			    void *obj, void *loc)
{
	struct host_entry *e = obj;

	e->host = hx_p_scalar(c, v, kn->str);
	e->hostn = v;
	e->ok &= e->host != NULL;
}

static void host_entry_ports(struct pctx *c, const struct ynode *kn, const struct ynode *v,
			     void *obj, void *loc)
{
	struct host_entry *e = obj;
	struct hx_host_rule *h = &e->h;

	if (!hx_p_want(c, v, Y_SEQ, kn->str)) {
		e->ok = false;
		return;
	}
	free(h->ports);
	h->ports = hx_xrealloc(NULL, v->n * sizeof(*h->ports));
	h->nports = 0;
	memset(e->seen_port, 0, sizeof(e->seen_port));
	for (size_t k = 0; k < v->n; k++) {
		uint16_t port;
		bool dup;

		if (!get_port(c, v->items[k], kn->str, &port)) {
			e->ok = false;
			continue;
		}
		dup = e->seen_port[port / 64] & (1ull << (port % 64));
		e->seen_port[port / 64] |= 1ull << (port % 64);
		if (dup)
			err(c, v->items[k], "port %u is listed twice", port);
		else
			h->ports[h->nports++] = port;
	}
}

static void host_entry_protocol(struct pctx *c, const struct ynode *kn, const struct ynode *v,
				void *obj, void *loc)
{
	struct host_entry *e = obj;

	e->ok &= get_protocol(c, v, &e->h.proto);
}

static const struct pkey host_entry_keys[] = {
	{ "host", PK_FN, .fn = host_entry_host },
	{ "ports", PK_FN, .fn = host_entry_ports },
	{ "protocol", PK_FN, .fn = host_entry_protocol },
	{ 0 },
};

static const struct psection host_entry_section = { "a host entry", host_entry_keys,
						    .nulls = true };

/*
 * allowed_hosts / blocked_hosts: ["api.example.com", {host: h, ports: [443], protocol: tcp}]
 * @other is the opposite list, to refuse a name both allowed and blocked.
 */
static void parse_host_rules(struct pctx *c, const struct ynode *v, const char *key,
			     struct hx_host_rules *r, const struct hx_host_rules *other,
			     const char *list)
{
	struct host_entry entry, *e = &entry;

	if (!hx_p_want(c, v, Y_SEQ, key))
		return;
	for (size_t i = 0; i < v->n; i++) {
		const struct ynode *it = v->items[i];
		size_t prev;
		char *rkey;

		e->h = (struct hx_host_rule){ .proto = HX_PROTO_ANY };
		e->host = NULL;
		e->hostn = it;
		e->ok = true;
		if (it->kind == Y_SCALAR) {
			e->host = it->str;
		} else if (hx_p_walk(c, it, key, &host_entry_section, e, NULL)) {
			if (!e->host && e->ok) {
				err(c, it, "%s entry needs a 'host'", key);
				e->ok = false;
			}
		} else {
			e->ok = false;
		}
		if (e->ok && !hx_p_valid_hostname(e->host) && !is_address(e->host)) {
			err(c, e->hostn, "'%s' is not a valid host name or address%s", e->host,
			    strchr(e->host, '/') ?
				    " (prefixes go in allowed_cidrs or blocked_cidrs)" :
				    "");
			e->ok = false;
		}
		if (!e->ok) {
			free(e->h.ports);
			continue;
		}
		e->h.host = norm_host(e->host);
		e->h.src.line = e->hostn->line;
		e->h.src.col = e->hostn->col;
		rkey = host_rule_key(&e->h);
		if (hx_idx_get(&c->seen, other, e->h.host, &prev)) {
			err(c, e->hostn, "'%s' is both allowed and blocked (also %s)", e->h.host,
			    other->v[prev].name);
			e->ok = false;
		} else if (hx_idx_get(&c->seen, r, rkey, &prev)) {
			err(c, e->hostn, "'%s' is listed twice (first as %s)", e->h.host,
			    r->v[prev].name);
			e->ok = false;
		}
		if (!e->ok) {
			free(rkey);
			free(e->h.host);
			free(e->h.ports);
			continue;
		}
		/* by name (first rule), for the allowed-and-blocked check; by whole rule */
		hx_idx_put(&c->seen, r, e->h.host, r->n);
		hx_idx_put(&c->seen, r, rkey, r->n);
		free(rkey);
		e->h.name = rule_name(c, list, i);
		*hx_host_rules_push(r) = e->h;
	}
}

/*
 * network.zones (the seed's segmentation example), lowered into rules of the
 * same network section:
 *  - a zone with cidrs: each prefix becomes an allowed CIDR when the zone
 *    allows (allow_all: true or default_policy: allow), a blocked one
 *    otherwise; named "network.zones.NAME.cidrs[i]";
 *  - a zone without cidrs is "the rest of the network": its policy becomes
 *    the section's default_policy (at most one such zone);
 *  - a zone's allowed_hosts become allowed hosts of the section.
 */
struct zone {
	const struct ynode *cidrs, *hosts, *pol;
	enum hx_default def;
	enum hx_tri all;
	struct pscalar description;
};

static void zone_default(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			 void *loc)
{
	struct zone *z = obj;

	z->pol = v;
	hx_p_get_default(c, v, "default_policy", &z->def);
}

static const struct pkey zone_keys[] = {
	{ "cidrs", PK_NODE, AT(struct zone, cidrs) },
	{ "allowed_hosts", PK_NODE, AT(struct zone, hosts) },
	{ "allow_all", PK_TRI, AT(struct zone, all) },
	{ "default_policy", PK_FN, .fn = zone_default },
	{ "description", PK_SCALAR, AT(struct zone, description) },
	{ 0 },
};

static const struct psection zone_section = { .name = "a network zone", .keys = zone_keys };

static void parse_zones(struct pctx *c, const struct ynode *n, struct hx_net_policy *np)
{
	const struct ynode *rest = NULL;

	if (!hx_p_map_ok(c, n, "zones"))
		return;
	for (size_t i = 0; i + 1 < n->n; i += 2) {
		const struct ynode *zk = n->items[i], *v = n->items[i + 1];
		struct zone z = { .def = HX_DEF_UNSET, .all = HX_UNSET };
		const char *k = zk->str;
		char list[128];

		if (!k)
			continue;
		if (!hx_p_valid_name(k)) {
			err(c, zk, "zone name '%s' must match [a-z0-9_-]{1,63}", k);
			continue;
		}
		if (!hx_p_walk(c, v, k, &zone_section, &z, NULL))
			continue;
		if (z.all == HX_YES && z.def == HX_DEF_DENY) {
			err(c, z.pol,
			    "zone '%s': 'allow_all: true' contradicts 'default_policy: deny'", k);
			continue;
		}
		if (z.all == HX_NO && z.def == HX_DEF_ALLOW) {
			err(c, z.pol,
			    "zone '%s': 'allow_all: false' contradicts 'default_policy: allow'", k);
			continue;
		}
		if (z.all == HX_YES)
			z.def = HX_DEF_ALLOW;
		if (z.cidrs && z.cidrs->kind == Y_SEQ && z.cidrs->n) {
			snprintf(list, sizeof(list), "network.zones.%s.cidrs", k);
			parse_cidr_list(c, z.cidrs, "cidrs", &np->cidrs, z.def != HX_DEF_ALLOW,
					list);
		} else if (z.cidrs && z.cidrs->kind != Y_SEQ) {
			hx_p_want(c, z.cidrs, Y_SEQ, "cidrs");
		} else if (rest) {
			err(c, zk,
			    "zones '%s' and '%s' both have no cidrs: only one zone can be the rest of the network",
			    rest->str, k);
		} else {
			rest = zk;
			if (z.def != HX_DEF_UNSET) {
				if (np->default_policy && np->default_policy != z.def)
					err(c, zk,
					    "zone '%s' (the rest of the network) sets default_policy %s, but the network section says %s",
					    k, z.def == HX_DEF_ALLOW ? "allow" : "deny",
					    np->default_policy == HX_DEF_ALLOW ? "allow" : "deny");
				else
					np->default_policy = z.def;
			}
		}
		if (z.hosts) {
			snprintf(list, sizeof(list), "network.zones.%s.allowed_hosts", k);
			parse_host_rules(c, z.hosts, "allowed_hosts", &np->hosts,
					 &np->blocked_hosts, list);
		}
	}
}

/* network: the lists are read once the whole section is, in an order of their own */
struct net_lists {
	const struct ynode *allowed_cidrs, *blocked_cidrs, *allowed_ports, *blocked_ports,
		*allowed_hosts, *blocked_hosts, *zones;
};

static void net_default(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			void *loc)
{
	struct hx_net_policy *np = obj;

	if (np->default_policy)
		err(c, v, "'network.default_policy' is already set (by another section or a zone)");
	else
		hx_p_get_default(c, v, "network.default_policy", &np->default_policy);
}

static const struct pkey net_keys[] = {
	{ "default_policy", PK_FN, .fn = net_default },
	{ "allow_dns", PK_TRI_ONCE, AT(struct hx_net_policy, allow_dns) },
	{ "allow_inbound", PK_TRI_ONCE, AT(struct hx_net_policy, allow_inbound) },
	{ "allow_outbound", PK_TRI_ONCE, AT(struct hx_net_policy, allow_outbound) },
	{ "allowed_cidrs", PK_NODE, LOC(struct net_lists, allowed_cidrs) },
	{ "blocked_cidrs", PK_NODE, LOC(struct net_lists, blocked_cidrs) },
	{ "allowed_ports", PK_NODE, LOC(struct net_lists, allowed_ports) },
	{ "blocked_ports", PK_NODE, LOC(struct net_lists, blocked_ports) },
	{ "allowed_hosts", PK_NODE, LOC(struct net_lists, allowed_hosts) },
	{ "blocked_hosts", PK_NODE, LOC(struct net_lists, blocked_hosts) },
	{ "zones", PK_NODE, LOC(struct net_lists, zones) },
	{ 0 },
};

static const struct psection net_section = { .name = "network", .keys = net_keys };

void hx_p_net(struct pctx *c, const struct ynode *n, struct hx_net_policy *np)
{
	struct net_lists l = { 0 };

	if (!hx_p_walk(c, n, NULL, &net_section, np, &l))
		return;
	np->present = true;
	/* Allowed lists first, so a conflict is reported at the blocked entry. */
	if (l.allowed_cidrs)
		parse_cidr_list(c, l.allowed_cidrs, "allowed_cidrs", &np->cidrs, false,
				"network.allowed_cidrs");
	if (l.blocked_cidrs)
		parse_cidr_list(c, l.blocked_cidrs, "blocked_cidrs", &np->cidrs, true,
				"network.blocked_cidrs");
	if (l.allowed_ports)
		parse_port_rules(c, l.allowed_ports, "allowed_ports", &np->ports, false,
				 "network.allowed_ports");
	if (l.blocked_ports)
		parse_port_rules(c, l.blocked_ports, "blocked_ports", &np->ports, true,
				 "network.blocked_ports");
	if (l.allowed_hosts)
		parse_host_rules(c, l.allowed_hosts, "allowed_hosts", &np->hosts,
				 &np->blocked_hosts, "network.allowed_hosts");
	if (l.blocked_hosts)
		parse_host_rules(c, l.blocked_hosts, "blocked_hosts", &np->blocked_hosts,
				 &np->hosts, "network.blocked_hosts");
	if (l.zones)
		parse_zones(c, l.zones, np);
	if (l.blocked_hosts)
		warn(c, l.blocked_hosts,
		     "blocked_hosts blocks only the addresses these names resolve to when the agent resolves them; the same service under another name or address is not blocked: prefer default_policy: deny with allowed_hosts");
}
