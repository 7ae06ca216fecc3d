// SPDX-License-Identifier: GPL-2.0
/*
 * Network family: where a sandbox may connect, send and listen.
 *
 * Hooks. The addresses are judged by cgroup sock_addr programs attached
 * once to the cgroup2 root (multi-attach links, pinned): connect4/6 (TCP
 * connect, connected UDP, and TCP fast open, whose sendto(MSG_FASTOPEN)
 * connects through the same pre-connect hook), sendmsg4/6 (unconnected UDP
 * sendto/sendmsg/sendmmsg, one call per datagram) and bind4/6 (inbound).
 * They see the address after the kernel's own checks, and UDP on an IPv6
 * socket to ::ffff:a.b.c.d reaches sendmsg4 already unmapped; connect6 sees
 * the mapped form, which is unmapped here before the IPv4 rules are used.
 * The sandbox is the calling task's (not the socket's): a socket made
 * outside and used inside is judged inside. Returning 0 denies (EPERM).
 *
 * LSM hooks cover what those cannot see, for sandboxes whose network family
 * is present: socket_create refuses every socket kind the address hooks do
 * not judge (raw and packet sockets, ICMP "ping" sockets, SCTP, MPTCP, and
 * every family but unix, netlink, alg, inet and inet6); socket_sendmsg and
 * socket_recvmsg refuse I/O on such a socket made before the process joined
 * the sandbox; socket_listen applies allow_inbound to listen() (bind with
 * port 0 stays allowed: clients do it); socket_create also records the
 * caller's parent and start time for the events of the sock_addr programs,
 * which cannot read the task (a process that only uses sockets it inherited
 * is reported with parent pid 0: recording it at connect would cost every
 * process on the host a cgroup walk per connect).
 *
 * Maps (include/helixagent/abi_net.h), all keyed by (slot, sandbox):
 *   hx_net4/hx_net6  LPM tries of CIDR rules; allowed and blocked at one prefix
 *                    merge into a block
 *   hx_nhost         exact (address, port|any, transport) entries: resolved
 *                    allowed_hosts (HOST), blocked_hosts (BLOCK), allow_dns
 *                    resolvers (DNS); an exact port is looked up before any
 *   hx_nport         (port, transport) allow or block
 *   hx_nsbx          rule ids of allow_outbound, allow_inbound, socket kinds
 *
 * Egress decision, first match:
 *   1. permissions.allow_network: false          deny
 *   2. a DNS entry (resolver, 53, transport)     allow: allow_dns names the
 *                                                resolvers, so it wins over a
 *                                                blocked range that holds one
 *   3. allow_outbound: false                     deny
 *   4. a BLOCK entry                             deny
 *   5. the longest CIDR prefix is a block        deny: a blocked range fences
 *                                                even resolved host names (a
 *                                                name pointed at 10.x by its DNS
 *                                                stays out of a blocked 10/8)
 *   6. a HOST entry                              allow
 *   7. a port rule (port, transport)             its verdict: blocked_ports beat
 *                                                allowed CIDRs, allowed_ports
 *                                                open a port on any address not
 *                                                blocked in step 5
 *   8. the longest CIDR prefix is an allow       allow
 *   9. default_policy
 * Ingress (bind, listen): allow_network: false denies; bind to port 0 is
 * allowed; a port below 1024 is denied when capabilities drop
 * NET_BIND_SERVICE; then allow_inbound, unset following default_policy.
 * mode: audit never denies and logs "would deny" events.
 */
#include "lib/net.bpf.h"
#include <bpf/bpf_endian.h>

#define HX_LO4 0x7f000001 /* 127.0.0.1, host order */

/* A bound IPv4 source the kernel also sends from (inet_saddr): not multicast nor broadcast. */
static __always_inline int hx_v4_unicast(__u32 a)
{
	__u32 h = bpf_ntohl(a);

	return h && (h >> 28) != 0xe && h != 0xffffffff;
}

/*
 * Egress to an unspecified address: the kernel would replace it after this
 * hook (IPv4 routing makes 0.0.0.0 the source address, else 127.0.0.1;
 * IPv6 makes :: ::1). The hook writes the replacement itself and judges it,
 * so what is judged is exactly where the kernel connects or sends.
 *   connect4, ::ffff:0.0.0.0 on connect6: the socket's bound address, else 127.0.0.1
 *   sendmsg4 (and ::ffff:0.0.0.0 on UDPv6, which reaches sendmsg4):
 *            the datagram's source (IP_PKTINFO, else the bound address), else 127.0.0.1
 *   connect6 ::  ::1, or ::ffff:127.0.0.1 on a socket bound to a v4-mapped address
 *   sendmsg6 ::  ::1 (the kernel's rule for UDPv6; a v4-mapped rewrite is refused there)
 * A bound address the kernel would not send from (a subnet broadcast) is
 * still used: the connect fails instead of reaching loopback.
 */
static __always_inline void hx_sa_unspec4(struct bpf_sock_addr *ctx, __u16 action, struct hx_nq *q)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 to = 0;

	if (action == HX_ACT_SENDMSG4)
		to = ctx->msg_src_ip4;
	else if (sk)
		to = sk->src_ip4;
	if (!hx_v4_unicast(to))
		to = bpf_htonl(HX_LO4);
	ctx->user_ip4 = to;
	q->af = AF_INET;
	q->addr[0] = to;
	q->xlate = HX_NXLATE_UNSPEC;
	q->req_af = AF_INET;
}

static __always_inline void hx_sa_unspec6(struct bpf_sock_addr *ctx, __u16 action, int mapped,
					  struct hx_nq *q)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 s0 = 0, s1 = 0, s2 = 0, s3 = 0, to;

	q->xlate = HX_NXLATE_UNSPEC;
	q->req_af = AF_INET6;
	q->req[2] = mapped ? bpf_htonl(0xffff) : 0;
	if (sk && action == HX_ACT_CONNECT6) {
		s0 = sk->src_ip6[0];
		s1 = sk->src_ip6[1];
		s2 = sk->src_ip6[2];
		s3 = sk->src_ip6[3];
	}
	if (action == HX_ACT_CONNECT6 &&
	    (mapped || (s0 == 0 && s1 == 0 && s2 == bpf_htonl(0xffff)))) {
		/* IPv4 on the wire: connect6 passes it to the IPv4 connect. */
		to = mapped && s0 == 0 && s1 == 0 && s2 == bpf_htonl(0xffff) && hx_v4_unicast(s3) ?
			     s3 :
			     bpf_htonl(HX_LO4);
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = to;
		q->af = AF_INET;
		q->addr[0] = to;
		return;
	}
	ctx->user_ip6[0] = 0;
	ctx->user_ip6[1] = 0;
	ctx->user_ip6[2] = 0;
	ctx->user_ip6[3] = bpf_htonl(1);
	q->af = AF_INET6;
	q->addr[3] = bpf_htonl(1);
}

/*
 * IPv6 destinations that carry an IPv4 one: ::a.b.c.d (v4-compatible, which
 * a kernel with sit routes as IPv4), 2002:a.b.c.d::/48 (6to4) and
 * 64:ff9b::a.b.c.d (well-known NAT64). Returns the HX_NXLATE_* kind and
 * puts the IPv4 address in *v4; the IPv4 rules judge it too.
 */
static __always_inline int hx_v6_embeds_v4(__u32 a0, __u32 a1, __u32 a2, __u32 a3, __u32 *v4)
{
	if (a0 == 0 && a1 == 0 && a2 == 0 && a3 != 0 && a3 != bpf_htonl(1)) {
		*v4 = a3;
		return HX_NXLATE_V4COMPAT;
	}
	if ((bpf_ntohl(a0) >> 16) == 0x2002) {
		*v4 = bpf_htonl(bpf_ntohl(a0) << 16 | bpf_ntohl(a1) >> 16);
		return HX_NXLATE_6TO4;
	}
	if (a0 == bpf_htonl(0x0064ff9b) && a1 == 0 && a2 == 0) {
		*v4 = a3;
		return HX_NXLATE_NAT64;
	}
	return HX_NXLATE_NONE;
}

static __always_inline int hx_sa(struct bpf_sock_addr *ctx, __u16 action, int v6, __u8 dir)
{
	__u32 rule_id = HX_RULE_NONE, flags = 0, a0, a1, a2, a3, proto, v4 = 0;
	struct hx_ctx c = {};
	struct hx_nq q = {};
	int deny, kind = HX_NXLATE_NONE;

	if (!hx_sa_sandbox(&c))
		return 1;
	if (!(c.cfg.flags & HX_SBX_NET_PRESENT))
		return 1;

	proto = ctx->protocol;
	q.proto = proto == IPPROTO_UDPLITE ? IPPROTO_UDP : (__u8)proto;
	q.port = bpf_ntohs((__u16)ctx->user_port);
	q.dir = dir;
	if (!v6) {
		q.af = AF_INET;
		q.addr[0] = ctx->user_ip4;
		/* bind to 0.0.0.0 is inbound on every address: bind's rules judge it as written */
		if (dir == HX_NET_EGRESS && q.addr[0] == 0)
			hx_sa_unspec4(ctx, action, &q);
	} else {
		a0 = ctx->user_ip6[0];
		a1 = ctx->user_ip6[1];
		a2 = ctx->user_ip6[2];
		a3 = ctx->user_ip6[3];
		if (dir == HX_NET_EGRESS && a0 == 0 && a1 == 0 && a3 == 0 &&
		    (a2 == 0 || a2 == bpf_htonl(0xffff))) {
			hx_sa_unspec6(ctx, action, a2 != 0, &q);
		} else if (a0 == 0 && a1 == 0 && a2 == bpf_htonl(0xffff)) {
			/* ::ffff:a.b.c.d is IPv4 on the wire: the IPv4 rules judge it. */
			q.af = AF_INET;
			q.addr[0] = a3;
		} else {
			q.af = AF_INET6;
			q.addr[0] = a0;
			q.addr[1] = a1;
			q.addr[2] = a2;
			q.addr[3] = a3;
			if (dir == HX_NET_EGRESS)
				kind = hx_v6_embeds_v4(a0, a1, a2, a3, &v4);
		}
	}
	deny = hx_net_judge(&c, &q, &rule_id, &flags);
	if (!deny && kind != HX_NXLATE_NONE) {
		/* Allowed as IPv6; where it leads as IPv4 must be allowed too. */
		__u32 rule4 = HX_RULE_NONE, flags4 = 0;
		struct hx_nq q4 = {};

		q4.proto = q.proto;
		q4.port = q.port;
		q4.dir = q.dir;
		q4.af = AF_INET;
		q4.addr[0] = v4;
		q4.xlate = (__u8)kind;
		q4.req_af = AF_INET6;
		__builtin_memcpy(q4.req, q.addr, 16);
		if (hx_net_judge(&c, &q4, &rule4, &flags4))
			return hx_net_finish(&c, action, 1, rule4, flags4, &q4) ? 0 : 1;
	}
	return hx_net_finish(&c, action, deny, rule_id, flags, &q) ? 0 : 1;
}

SEC("cgroup/connect4")
int hx_connect4(struct bpf_sock_addr *ctx)
{
	return hx_sa(ctx, HX_ACT_CONNECT4, 0, HX_NET_EGRESS);
}

SEC("cgroup/connect6")
int hx_connect6(struct bpf_sock_addr *ctx)
{
	return hx_sa(ctx, HX_ACT_CONNECT6, 1, HX_NET_EGRESS);
}

SEC("cgroup/sendmsg4")
int hx_sendmsg4(struct bpf_sock_addr *ctx)
{
	return hx_sa(ctx, HX_ACT_SENDMSG4, 0, HX_NET_EGRESS);
}

SEC("cgroup/sendmsg6")
int hx_sendmsg6(struct bpf_sock_addr *ctx)
{
	return hx_sa(ctx, HX_ACT_SENDMSG6, 1, HX_NET_EGRESS);
}

SEC("cgroup/bind4")
int hx_bind4(struct bpf_sock_addr *ctx)
{
	return hx_sa(ctx, HX_ACT_BIND4, 0, HX_NET_INGRESS);
}

SEC("cgroup/bind6")
int hx_bind6(struct bpf_sock_addr *ctx)
{
	return hx_sa(ctx, HX_ACT_BIND6, 1, HX_NET_INGRESS);
}

/* Remembers the caller's parent and start time for the sock_addr programs' events. */
static __always_inline void hx_nproc_record(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct hx_nproc_val v = {}, *old;

	v.start_boot_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	v.ppid = BPF_CORE_READ(task, real_parent, tgid);
	old = bpf_map_lookup_elem(&hx_nproc, &tgid);
	if (old && old->start_boot_ns == v.start_boot_ns && old->ppid == v.ppid)
		return;
	bpf_map_update_elem(&hx_nproc, &tgid, &v, BPF_ANY);
}

/* Socket kinds whose traffic the address hooks judge, or that carry none off the host. */
static __always_inline int hx_socket_kind_ok(int family, int type, int protocol)
{
	if (family == AF_UNIX || family == AF_NETLINK || family == AF_ALG)
		return 1;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (type == SOCK_STREAM)
		return protocol == 0 || protocol == IPPROTO_TCP;
	if (type == SOCK_DGRAM)
		return protocol == 0 || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE;
	return 0;
}

static __always_inline int hx_socket_deny(struct hx_ctx *c, __u16 action, int family, int type,
					  int protocol)
{
	struct hx_nq q = {};
	__u32 flags = 0, rule_id;

	if (c->cfg.flags & HX_SBX_NET_FORBIDDEN) {
		flags |= HX_EVF_FORBIDDEN;
		rule_id = HX_RULE_NONE;
	} else {
		rule_id = hx_nsbx_rule(c, 2);
	}
	q.af = (__u8)family;
	q.proto = (__u8)protocol;
	q.port = (__u16)type;
	q.dir = action == HX_ACT_RAW_RECV ? HX_NET_INGRESS : HX_NET_EGRESS;
	return hx_verdict(hx_net_finish(c, action, 1, rule_id, flags, &q));
}

SEC("lsm/socket_create")
int BPF_PROG(hx_sock_create, int family, int type, int protocol, int kern, int ret)
{
	struct hx_ctx c = {};

	if (ret)
		return ret;
	if (kern)
		return 0;
	if (!hx_current_sandbox(&c) || !(c.cfg.flags & HX_SBX_NET_PRESENT))
		return 0;
	hx_nproc_record();
	if (hx_socket_kind_ok(family, type, protocol))
		return 0;
	return hx_socket_deny(&c, HX_ACT_SOCKET, family, type, protocol);
}

/* I/O on a socket kind refused above that was made outside the sandbox. */
static __always_inline int hx_sock_io(struct socket *sock, __u16 action)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	int type = BPF_CORE_READ(sock, type);
	struct hx_ctx c = {};
	int family, protocol;

	/* No sock behind the socket: no I/O can happen on it either. */
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	protocol = BPF_CORE_READ(sk, sk_protocol);
	/* The common case (tcp, udp, unix, netlink) costs no sandbox lookup. */
	if (hx_socket_kind_ok(family, type, protocol))
		return 0;
	if (!hx_current_sandbox(&c) || !(c.cfg.flags & HX_SBX_NET_PRESENT))
		return 0;
	return hx_socket_deny(&c, action, family, type, protocol);
}

/*
 * Source routes: an IPv4 LSRR/SSRR option (IP_OPTIONS, or an IP_RETOPTS
 * control message) or an IPv6 routing header (IPV6_RTHDR, which takes a
 * segment routing header without privilege; IPV6_2292PKTOPTIONS; or a
 * control message) makes the kernel route to the route's first hop after
 * connect4/6 and sendmsg4/6 judged the final destination. Sandboxes whose
 * network family is present may set none of them; the other IP options go
 * with them, as the option names cannot be told apart here.
 */
#define HX_SOL_IP 0
#define HX_SOL_IPV6 41
#define HX_IP_OPTIONS 4
#define HX_IP_RETOPTS 7
#define HX_IPV6_2292PKTOPTIONS 6
#define HX_IPV6_2292RTHDR 5
#define HX_IPV6_RTHDR 57
/* Control messages read per sendmsg; a longer list is refused (it could hide one). */
#define HX_CMSG_MAX 16

static __always_inline int hx_srcroute_opt(int level, int name)
{
	if (level == HX_SOL_IP)
		return name == HX_IP_OPTIONS || name == HX_IP_RETOPTS;
	if (level == HX_SOL_IPV6)
		return name == HX_IPV6_RTHDR || name == HX_IPV6_2292RTHDR ||
		       name == HX_IPV6_2292PKTOPTIONS;
	return 0;
}

static __always_inline int hx_srcroute_deny(struct hx_ctx *c, struct sock *sk, int name)
{
	struct hx_event *e;
	__u8 decision = hx_wall_decision(&c->cfg);

	hx_count(c, HX_FAM_GUARD, decision);
	if (c->cfg.flags & HX_SBX_AUDIT_DENIED) {
		e = hx_event_start(c, HX_ACT_SRCROUTE, HX_FAM_GUARD);
		if (e) {
			e->decision = decision;
			e->err = decision == HX_DECISION_DENY ? -EPERM : 0;
			e->af = (__u8)BPF_CORE_READ(sk, __sk_common.skc_family);
			e->proto = (__u8)BPF_CORE_READ(sk, sk_protocol);
			e->dport = (__u16)name;
			hx_event_submit(e);
		}
	}
	return hx_verdict(decision == HX_DECISION_DENY);
}

/* The sandbox of the caller of an inet socket operation, if its network family is present. */
static __always_inline int hx_inet_sandbox(struct sock *sk, struct hx_ctx *c)
{
	int family;

	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	return hx_current_sandbox(c) && (c->cfg.flags & HX_SBX_NET_PRESENT);
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(hx_sock_setopt, struct socket *sock, int level, int optname, int ret)
{
	struct hx_ctx c = {};
	struct sock *sk;

	if (ret)
		return ret;
	/* Every other option costs the host nothing but this test. */
	if (!hx_srcroute_opt(level, optname))
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!hx_inet_sandbox(sk, &c))
		return 0;
	return hx_srcroute_deny(&c, sk, optname);
}

struct hx_cmsghdr {
	__u64 len;
	int level;
	int type;
};

/* A source route in sendmsg's control messages (kernel copy, or user memory for io_uring). */
static __always_inline int hx_cmsg_check(struct socket *sock, struct msghdr *msg)
{
	__u64 len = BPF_CORE_READ(msg, msg_controllen), off = 0;
	struct hx_cmsghdr h;
	struct hx_ctx c = {};
	struct sock *sk;
	int user = 0, i, err;
	void *ctl;

	if (len < sizeof(h))
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!hx_inet_sandbox(sk, &c))
		return 0;
	ctl = BPF_CORE_READ(msg, msg_control);
	if (bpf_core_field_exists(msg->msg_control_is_user))
		user = BPF_CORE_READ_BITFIELD_PROBED(msg, msg_control_is_user);
	for (i = 0; i < HX_CMSG_MAX; i++) {
		if (off + sizeof(h) > len)
			return 0;
		if (user)
			err = bpf_probe_read_user(&h, sizeof(h), ctl + off);
		else
			err = bpf_probe_read_kernel(&h, sizeof(h), ctl + off);
		/* Unreadable here is unreadable for the kernel too: refusing costs nothing. */
		if (err)
			return hx_srcroute_deny(&c, sk, -1);
		if (hx_srcroute_opt(h.level, h.type))
			return hx_srcroute_deny(&c, sk, h.type);
		/* the kernel refuses a message shorter than its header */
		if (h.len < sizeof(h))
			return 0;
		off += (h.len + 7) & ~7ULL;
	}
	if (off + sizeof(h) > len)
		return 0;
	/* More messages than read: one of them could be a route. */
	return hx_srcroute_deny(&c, sk, -1);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(hx_sock_send, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	int r;

	if (ret)
		return ret;
	r = hx_sock_io(sock, HX_ACT_RAW_SEND);
	if (r)
		return r;
	return hx_cmsg_check(sock, msg);
}

SEC("lsm/socket_recvmsg")
int BPF_PROG(hx_sock_recv, struct socket *sock, struct msghdr *msg, int size, int flags, int ret)
{
	if (ret)
		return ret;
	return hx_sock_io(sock, HX_ACT_RAW_RECV);
}

SEC("lsm/socket_listen")
int BPF_PROG(hx_sock_listen, struct socket *sock, int backlog, int ret)
{
	__u32 rule_id = HX_RULE_NONE, flags = 0;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	struct hx_ctx c = {};
	struct hx_nq q = {};
	int family, deny;

	if (ret)
		return ret;
	/* listen() on a socket without a sock fails in the kernel anyway. */
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	/* unix: local; the kinds socket_create refuses are refused again at send and receive */
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (!hx_current_sandbox(&c) || !(c.cfg.flags & HX_SBX_NET_PRESENT))
		return 0;
	hx_nproc_record();

	q.dir = HX_NET_INGRESS;
	q.listen = 1;
	q.proto = (__u8)BPF_CORE_READ(sk, sk_protocol);
	q.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (family == AF_INET) {
		q.af = AF_INET;
		q.addr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	} else {
		BPF_CORE_READ_INTO(&q.addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
		if (q.addr[0] == 0 && q.addr[1] == 0 && q.addr[2] == bpf_htonl(0xffff)) {
			q.af = AF_INET;
			q.addr[0] = q.addr[3];
			q.addr[3] = 0;
			q.addr[2] = 0;
		} else {
			q.af = AF_INET6;
		}
	}
	deny = hx_net_judge(&c, &q, &rule_id, &flags);
	return hx_verdict(hx_net_finish(&c, HX_ACT_LISTEN, deny, rule_id, flags, &q));
}

char LICENSE[] SEC("license") = "GPL";
