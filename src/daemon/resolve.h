/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's resolver (resolve.c): the host names of allowed_hosts and the
 * resolvers of allow_dns, resolved with their TTL, and the addresses each
 * name allows over time. The loader glue (src/loader/net.c) drives it.
 */
#ifndef HX_RESOLVE_H
#define HX_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/net_compile.h"

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

#endif
