// SPDX-License-Identifier: GPL-2.0
/*
 * Network decisions in ECS: event.category network, destination.ip (IPv4
 * unmapped from ::ffff:a.b.c.d), destination.port, network.transport,
 * network.type, network.direction (ingress/egress: the host's point of
 * view). For bind and listen, destination is the local address being
 * offered. For a refused socket kind, network.type names the socket family
 * and network.transport the protocol; there is no destination.
 *
 * destination.ip is always the address judged. Where that is not what the
 * caller wrote (HX_EVF_NET_XLATE), destination.address keeps the literal and
 * labels.address_translation says why they differ: "unspecified" (0.0.0.0
 * or :: rewritten by the agent to the address the kernel would use), or the
 * IPv4 destination inside an IPv6 one ("ipv4_compatible", "6to4", "nat64")
 * that the IPv4 rules refused.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "audit.h"
#include "helixagent/abi_net.h"
#include "loader/net_compile.h"

static const struct hx_action_desc net_actions[HX_ACT_NET_MAX - HX_ACT_CONNECT4] = {
	[HX_ACT_CONNECT4 - HX_ACT_CONNECT4] = { "connect", "network", "connection",
						"cgroup/connect4" },
	[HX_ACT_CONNECT6 -
		HX_ACT_CONNECT4] = { "connect", "network", "connection", "cgroup/connect6" },
	[HX_ACT_SENDMSG4 -
		HX_ACT_CONNECT4] = { "sendmsg", "network", "connection", "cgroup/sendmsg4" },
	[HX_ACT_SENDMSG6 -
		HX_ACT_CONNECT4] = { "sendmsg", "network", "connection", "cgroup/sendmsg6" },
	[HX_ACT_BIND4 - HX_ACT_CONNECT4] = { "bind", "network", "start", "cgroup/bind4" },
	[HX_ACT_BIND6 - HX_ACT_CONNECT4] = { "bind", "network", "start", "cgroup/bind6" },
	[HX_ACT_LISTEN - HX_ACT_CONNECT4] = { "listen", "network", "start", "lsm/socket_listen" },
	[HX_ACT_SOCKET -
		HX_ACT_CONNECT4] = { "socket_create", "network", "access", "lsm/socket_create" },
	[HX_ACT_RAW_SEND - HX_ACT_CONNECT4] = { "send", "network", "access", "lsm/socket_sendmsg" },
	[HX_ACT_RAW_RECV -
		HX_ACT_CONNECT4] = { "receive", "network", "access", "lsm/socket_recvmsg" },
	/* family guard: rule.name is guard.io_uring */
	[HX_ACT_URING - HX_ACT_CONNECT4] = { "io_uring", "process", "access", "lsm/mmap_file" },
	/* family guard: rule.name is guard.source_route; provider: the option or the message */
	[HX_ACT_SRCROUTE -
		HX_ACT_CONNECT4] = { "source_route", "network", "access", "lsm/socket_setsockopt" },
};

const struct hx_action_desc *hx_audit_ext_action(uint16_t action)
{
	static const struct hx_action_desc unknown = { "unknown", "host", "info", NULL };

	if (action >= HX_ACT_CONNECT4 && action < HX_ACT_NET_MAX)
		return &net_actions[action - HX_ACT_CONNECT4];
	return &unknown;
}

static bool is_socket_action(uint16_t action)
{
	return action == HX_ACT_SOCKET || action == HX_ACT_RAW_SEND || action == HX_ACT_RAW_RECV;
}

static const char *family_name(unsigned af, char *buf, size_t len)
{
	switch (af) {
	case AF_INET:
		return "ipv4";
	case AF_INET6:
		return "ipv6";
	case AF_PACKET:
		return "packet";
	case AF_VSOCK:
		return "vsock";
	case AF_XDP:
		return "xdp";
	case AF_BLUETOOTH:
		return "bluetooth";
	case AF_CAN:
		return "can";
	case AF_TIPC:
		return "tipc";
	case AF_RDS:
		return "rds";
	default:
		snprintf(buf, len, "af_%u", af);
		return buf;
	}
}

static const char *transport_name(unsigned proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_RAW:
		return "raw";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static const char *xlate_name(unsigned x)
{
	switch (x) {
	case HX_NXLATE_UNSPEC:
		return "unspecified";
	case HX_NXLATE_V4COMPAT:
		return "ipv4_compatible";
	case HX_NXLATE_6TO4:
		return "6to4";
	case HX_NXLATE_NAT64:
		return "nat64";
	default:
		return "unknown";
	}
}

void hx_audit_ext_fields(struct hx_audit *a, const struct hx_event *e)
{
	/* the caller's literal, kept in exe[] by the kernel side (abi_net.h) */
	const struct hx_net_req *req = (const struct hx_net_req *)(const void *)e->exe;
	bool xlate = (e->flags & HX_EVF_NET_XLATE) && (req->af == AF_INET || req->af == AF_INET6);
	struct jw *w = &a->w;
	char buf[64], num[16];

	if (e->family != HX_FAM_NET)
		return;
	if (!is_socket_action(e->action)) {
		struct hx_naddr d = { .af = e->af };

		memcpy(d.a, e->daddr, sizeof(d.a));
		jw_key(w, "destination");
		jw_obj(w);
		jw_kstr(w, "ip", hx_naddr_str(&d, buf, sizeof(buf)));
		jw_ku64(w, "port", e->dport);
		/* as written: ::ffff:0.0.0.0 stays mapped, unlike destination.ip */
		if (xlate && inet_ntop(req->af, req->addr, buf, sizeof(buf)))
			jw_kstr(w, "address", buf);
		jw_obj_end(w);
		if (xlate) {
			jw_key(w, "labels");
			jw_obj(w);
			jw_kstr(w, "address_translation", xlate_name(req->xlate));
			jw_obj_end(w);
		}
	}
	jw_key(w, "network");
	jw_obj(w);
	if (is_socket_action(e->action)) {
		/* A raw or packet socket names no transport of its own. */
		const char *t = e->dport == SOCK_RAW ? "raw" :
				e->af == AF_INET || e->af == AF_INET6 ?
						       transport_name(e->proto, num, sizeof(num)) :
						       NULL;

		jw_kstr(w, "type", family_name(e->af, buf, sizeof(buf)));
		if (t)
			jw_kstr(w, "transport", t);
		if (e->af == AF_INET || e->af == AF_INET6) {
			snprintf(num, sizeof(num), "%u", e->proto);
			jw_kstr(w, "iana_number", num);
		}
	} else {
		jw_kstr(w, "transport", transport_name(e->proto, num, sizeof(num)));
		jw_kstr(w, "type", e->af == AF_INET6 ? "ipv6" : "ipv4");
		snprintf(num, sizeof(num), "%u", e->proto);
		jw_kstr(w, "iana_number", num);
	}
	jw_kstr(w, "direction", e->direction == HX_NET_INGRESS ? "ingress" : "egress");
	jw_obj_end(w);
}
