/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The network family's pure compiler: policy -> map entries
 * (net_compile.c); host names and resolvers are the daemon's
 * (src/daemon/resolve.h). Nothing here touches BPF or logs; the loader's
 * network family is src/loader/net.c.
 */
#ifndef HX_LOADER_NET_COMPILE_H
#define HX_LOADER_NET_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "helixagent/abi_net.h"
#include "policy/policy.h"

/* An address: IPv4 in a[0..3], the rest zero. */
struct hx_naddr {
	uint8_t af; /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

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

#endif
