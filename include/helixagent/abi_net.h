/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The network family's part of the ABI (see bpf/net.bpf.c for how the
 * kernel side uses it, src/loader/net.c for how the maps are filled).
 */
#ifndef HELIXAGENT_ABI_NET_H
#define HELIXAGENT_ABI_NET_H

#include "helixagent/abi.h"

/* hx_sbx_cfg.flags, bits 16-23 */
#define HX_SBX_NET_PRESENT (1u << 16) /* network family restricted */
#define HX_SBX_NET_DEFAULT_DENY (1u << 17)
#define HX_SBX_NET_FORBIDDEN (1u << 18) /* permissions.allow_network: false */
#define HX_SBX_NET_NO_OUTBOUND (1u << 19) /* allow_outbound: false */
#define HX_SBX_NET_INBOUND (1u << 20) /* bind/listen allowed */
#define HX_SBX_NET_NO_PRIVBIND (1u << 21) /* NET_BIND_SERVICE dropped: no bind below 1024 */
#define HX_SBX_NET_INBOUND_RULE (1u << 22) /* inbound decided by allow_inbound, not the default */

/* Network actions (hx_event.action); 32 and up belong to this family. */
enum hx_net_action {
	HX_ACT_CONNECT4 = 32,
	HX_ACT_CONNECT6 = 33,
	HX_ACT_SENDMSG4 = 34,
	HX_ACT_SENDMSG6 = 35,
	HX_ACT_BIND4 = 36,
	HX_ACT_BIND6 = 37,
	HX_ACT_LISTEN = 38,
	/*
	 * The next three judge a socket, not an address: their events carry the
	 * socket's family in af, its protocol in proto and its type in dport.
	 */
	HX_ACT_SOCKET = 39, /* socket_create: a kind of socket the rules cannot see through */
	HX_ACT_RAW_SEND = 40, /* send on such a socket made before joining the sandbox */
	HX_ACT_RAW_RECV = 41,
	/*
	 * io_uring refused to a sandbox (bpf/uring.bpf.c): on kernels whose
	 * io-wq workers and SQPOLL threads are kernel threads outside the
	 * submitter's cgroup (before 5.12), no hook could tell their work was
	 * the sandbox's. Sent with family HX_FAM_GUARD (rule "guard.io_uring").
	 */
	HX_ACT_URING = 42,
	/*
	 * A socket option or control message that would route the sandbox's
	 * packets through a first hop the address hooks never see (IPv4 source
	 * route options, IPv6 routing headers). Family HX_FAM_GUARD (rule
	 * "guard.source_route"), af/proto of the socket, dport the option name.
	 */
	HX_ACT_SRCROUTE = 43,
	HX_ACT_NET_MAX,
};

/*
 * Egress events whose judged address is not the one the caller wrote carry
 * what the caller wrote in an hx_net_req at the start of hx_event.exe[]
 * (exe_len stays 0: it is no executable). HX_EVF_NET_XLATE marks them.
 */
#define HX_EVF_NET_XLATE (1u << 16)

enum hx_nxlate {
	HX_NXLATE_NONE = 0,
	HX_NXLATE_UNSPEC = 1, /* 0.0.0.0, ::, ::ffff:0.0.0.0: rewritten to the address the
			       * kernel would use (bound source address, else loopback) */
	HX_NXLATE_V4COMPAT = 2, /* ::a.b.c.d, which sit sends as IPv4 to a.b.c.d */
	HX_NXLATE_6TO4 = 3, /* 2002:AABB:CCDD::/48, a 6to4 relay's IPv4 a.b.c.d */
	HX_NXLATE_NAT64 = 4, /* 64:ff9b::a.b.c.d, the well-known NAT64 prefix */
};

struct hx_net_req {
	__u8 addr[16]; /* network order; IPv4 in the first 4 bytes */
	__u8 af;
	__u8 xlate; /* enum hx_nxlate */
	__u8 pad[2];
};

#define HX_NET_EGRESS 0
#define HX_NET_INGRESS 1

/*
 * hx_net4 / hx_net6: LPM tries of CIDR rules. The sandbox is part of the
 * key's data, ahead of the address, and always fully inside the prefix:
 * prefixlen = 32 + the CIDR's length. One entry per (sandbox, prefix):
 * allowed and blocked at the same prefix merge into a block.
 */
struct hx_net4_key {
	__u32 prefixlen;
	__u32 ss; /* slot << 16 | sandbox */
	__u8 addr[4];
};

struct hx_net6_key {
	__u32 prefixlen;
	__u32 ss;
	__u8 addr[16];
};

struct hx_net_rule {
	__u32 rule_id;
	__u8 deny;
	__u8 kind; /* hx_nhost only: HX_NHOST_* */
	__u8 pad[2];
};

/*
 * hx_nport: (sandbox, port, transport) -> allow or deny. A rule without a
 * protocol is entered for both tcp and udp; one with a protocol wins over
 * one without on the same port, then a block wins.
 */
struct hx_nport_key {
	__u32 slot;
	__u16 sbx;
	__u16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad[3];
};

/*
 * hx_nhost: exact (address, port, transport) entries: the resolved addresses
 * of allowed_hosts and blocked_hosts, and the resolvers for allow_dns. Port
 * 0: any port. IPv4 addresses are in addr[0..3], the rest zero. At one key
 * the higher kind wins.
 */
#define HX_NHOST_HOST 1 /* allowed_hosts: a blocked CIDR still wins */
#define HX_NHOST_BLOCK 2 /* blocked_hosts (deny = 1) */
#define HX_NHOST_DNS 3 /* a resolver of /etc/resolv.conf: wins over blocked CIDRs */

struct hx_nhost_key {
	__u32 slot;
	__u16 sbx;
	__u16 port;
	__u8 af; /* AF_INET or AF_INET6 */
	__u8 proto;
	__u8 pad[2];
	__u8 addr[16];
};

/* hx_nsbx: per (slot, sandbox) rule ids of the decisions no list entry makes */
struct hx_nsbx_val {
	__u32 outbound_rule; /* "network.allow_outbound" */
	__u32 inbound_rule; /* "network.allow_inbound" */
	__u32 socket_rule; /* "network.socket_types": raw, packet, other families */
	__u32 privbind_rule; /* "capabilities.drop" (NET_BIND_SERVICE) */
};

/* hx_nproc: what a sock_addr program cannot read itself, recorded by the LSM hooks */
struct hx_nproc_val {
	__u64 start_boot_ns;
	__u32 ppid;
	__u32 pad;
};

/* Capacities (per slot); a policy needing more is refused with the number. */
#define HX_NET_MAX_CIDRS (1u << 20) /* per address family */
#define HX_NET_MAX_PORTS (1u << 16)
#define HX_NET_MAX_HOSTS (1u << 18)
#define HX_NET_MAX_PROCS 16384

#ifndef __bpf__
_Static_assert(sizeof(struct hx_net4_key) == 12, "hx_net4_key layout");
_Static_assert(sizeof(struct hx_net6_key) == 24, "hx_net6_key layout");
_Static_assert(sizeof(struct hx_nport_key) == 12, "hx_nport_key layout");
_Static_assert(sizeof(struct hx_nhost_key) == 28, "hx_nhost_key layout");
_Static_assert(sizeof(struct hx_nsbx_val) == 16, "hx_nsbx_val layout");
_Static_assert(sizeof(struct hx_net_req) == 20, "hx_net_req layout");
#endif

#endif
