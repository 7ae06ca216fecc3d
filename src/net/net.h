/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The network family's userspace: policy -> map entries (compile.c), host
 * names and resolvers (resolve.c). Nothing here touches BPF or logs; the
 * loader glue is src/loader/net.c.
 */
#ifndef HX_NET_H
#define HX_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "helixagent/abi_net.h"
#include "policy/policy.h"

struct bpf_program;
struct bpf_link;
struct hx_loader;

/* An address: IPv4 in a[0..3], the rest zero. */
struct hx_naddr {
	uint8_t af; /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

/*
 * Parses "192.0.2.0/24", "10.0.0.1", "2001:db8::/32", "::1"; host bits are
 * cleared and ::ffff:0:0/96 prefixes become IPv4 ones. Returns 0 or -EINVAL.
 */
int hx_net_parse_cidr(const char *s, struct hx_naddr *addr, unsigned *plen);
/* Formats an address (IPv4-mapped IPv6 unmapped) into @buf (>= 46 bytes). */
const char *hx_naddr_str(const struct hx_naddr *a, char *buf, size_t len);
/* Turns ::ffff:a.b.c.d into a.b.c.d. */
void hx_naddr_unmap(struct hx_naddr *a);

/* One map entry of each kind, with the map's key. */
struct hx_ncidr_ent {
	uint8_t af;
	struct hx_net6_key k6; /* the v4 key is built from it at write time */
	struct hx_net_rule v;
};

struct hx_nport_ent {
	struct hx_nport_key k;
	struct hx_net_rule v;
	uint8_t specific; /* the rule named a protocol */
};

struct hx_nhost_ent {
	struct hx_nhost_key k;
	struct hx_net_rule v;
};

struct hx_nents {
	struct hx_ncidr_ent *cidr;
	size_t ncidr, capcidr;
	size_t n4, n6;
	struct hx_nport_ent *port;
	size_t nport, capport;
	struct hx_nhost_ent *host;
	size_t nhost, caphost;
};

void hx_nents_free(struct hx_nents *e);

/* Names the compiler gives rules (for hx_rules_add). */
typedef int (*hx_rule_fn)(void *ctx, uint32_t sbx, const char *name, const char *what);

/*
 * Adds the CIDR and port entries of sandbox @sbx to @e, merged as the
 * kernel expects (one entry per key: block wins at one prefix; a port rule
 * with a protocol wins over one without). @rule names each rule.
 * Returns 0, -EINVAL (a CIDR the parser let through but this cannot read),
 * or -ENOMEM.
 */
int hx_net_compile_sbx(struct hx_nents *e, uint32_t slot, uint32_t sbx,
		       const struct hx_net_policy *np, hx_rule_fn rule, void *ctx);
/* Sorts and merges the entries added so far; counts n4/n6. */
void hx_nents_merge(struct hx_nents *e);

/* Adds the entries of one host rule's address (or a resolver's, port 53); @kind HX_NHOST_*. */
int hx_nhost_add(struct hx_nents *e, uint32_t slot, uint32_t sbx, const struct hx_naddr *a,
		 const uint16_t *ports, size_t nports, enum hx_proto proto, uint32_t rule_id,
		 uint8_t kind);
/* Sorts and merges host entries: at one key DNS wins over BLOCK, BLOCK over HOST. */
void hx_nhost_merge(struct hx_nents *e);

/* ---- resolve.c ---- */

/* An address of a name, and until when it stays allowed. */
struct hx_naddr_exp {
	struct hx_naddr a;
	int64_t expires; /* CLOCK_MONOTONIC seconds */
};

struct hx_resolved {
	struct hx_naddr *v;
	size_t n;
	uint32_t ttl; /* seconds; the refresh interval */
	bool from_dns; /* ttl came from DNS answers */
	int err; /* 0, or a negative errno / EAI_* mapped to -ENOENT, -EAGAIN */
};

/* The resolution state of one name, shared by every rule that names it. */
struct hx_name {
	char *name;
	struct hx_naddr_exp *addrs;
	size_t n;
	uint32_t ttl;
	int64_t next_refresh;
	bool resolved_once;
	bool failing; /* the last lookup failed (logged once per failure streak) */
};

/* TTLs are clamped to this range; names not answered by DNS use the default. */
#define HX_NET_TTL_MIN 1
#define HX_NET_TTL_MAX 3600
#define HX_NET_TTL_DEFAULT 30

/* Resolves @name with getaddrinfo and, for the TTL, DNS A/AAAA queries. */
int hx_net_resolve(const char *name, struct hx_resolved *out);
void hx_resolved_free(struct hx_resolved *r);

/* Parses resolv.conf text: the nameserver addresses. Returns how many, or -ENOMEM. */
int hx_net_parse_resolv(const char *text, struct hx_naddr **out);
/*
 * Parses a DNS response for A/AAAA records: appends addresses to @out and
 * lowers *ttl to the smallest answer TTL. Returns the number of addresses
 * found, or -EINVAL for a malformed message.
 */
int hx_net_parse_answer(const unsigned char *msg, int len, struct hx_resolved *out, uint32_t *ttl);

/* A change of a name's addresses, for the log. */
struct hx_name_change {
	struct hx_naddr a;
	bool added; /* false: expired and removed */
};

/*
 * Applies one resolution to @nm at time @now: addresses seen are (re)armed
 * to expire at now + 2 * ttl, addresses not seen keep their expiry, expired
 * ones are removed. A failed resolution only expires. Fills *changes
 * (caller frees) and returns their number, or -ENOMEM.
 */
int hx_name_apply(struct hx_name *nm, const struct hx_resolved *r, int64_t now,
		  struct hx_name_change **changes);
/* Only removes the addresses whose time ran out (the resolver is busy or stuck). */
int hx_name_expire(struct hx_name *nm, int64_t now, struct hx_name_change **changes);
void hx_name_free(struct hx_name *nm);

/* ---- loader glue (src/loader/net.c) ---- */

/*
 * Attaches @prog if it is one of the cgroup programs libbpf cannot attach
 * by itself (to the cgroup2 root); otherwise bpf_program__attach. NULL with
 * errno on failure.
 */
struct bpf_link *hx_net_attach(struct hx_loader *l, struct bpf_program *prog);

#endif
