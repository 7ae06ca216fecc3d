// SPDX-License-Identifier: GPL-2.0
/*
 * The network family's userspace: policy -> map entries (what the kernel
 * will match), DNS answers and resolv.conf, the life of a resolved name,
 * and the ECS fields of network events.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <cmocka.h>

#include "daemon/resolve.h"
#include "events/audit.h"
#include "loader/family.h"
#include "loader/net_compile.h"
#include "test_audit_util.h"
#include "test_policy_util.h"

/* The policy parses a CIDR once (hx_parse_cidr); the loader installs what it parsed. */
static void test_cidr_parse(void **state)
{
	struct hx_prefix p;
	struct hx_naddr a;
	char buf[64], msg[160];

#define PARSE(s) hx_parse_cidr((s), &p, msg, sizeof(msg))
#define ADDR() (a.af = p.af, memcpy(a.a, p.a, 16), hx_naddr_str(&a, buf, sizeof(buf)))
	assert_int_equal(PARSE("192.0.2.0/24"), 0);
	assert_int_equal(p.af, AF_INET);
	assert_int_equal(p.len, 24);
	/* host bits are refused: what the trie matches is what was written */
	assert_int_equal(PARSE("10.1.2.3/8"), -EINVAL);
	assert_non_null(strstr(msg, "host bits"));
	assert_int_equal(PARSE("198.51.100.7"), 0);
	assert_int_equal(p.len, 32);
	assert_string_equal(ADDR(), "198.51.100.7");
	assert_int_equal(PARSE("2001:db8:8000::/33"), 0);
	assert_int_equal(p.af, AF_INET6);
	assert_int_equal(p.len, 33);
	assert_string_equal(ADDR(), "2001:db8:8000::");
	/* IPv4-mapped prefixes are IPv4 rules */
	assert_int_equal(PARSE("::ffff:10.0.0.0/104"), 0);
	assert_int_equal(p.af, AF_INET);
	assert_int_equal(p.len, 8);
	assert_true(p.mapped);
	assert_string_equal(ADDR(), "10.0.0.0");
	assert_int_equal(PARSE("::ffff:192.0.2.9"), 0);
	assert_int_equal(p.af, AF_INET);
	assert_int_equal(p.len, 32);
	assert_string_equal(ADDR(), "192.0.2.9");
	/* shorter than /96 it covers more than IPv4: an IPv6 rule */
	assert_int_equal(PARSE("::ffff:0.0.0.0/95"), -EINVAL); /* the ffff bits are host bits */
	assert_int_equal(PARSE("::/0"), 0);
	assert_int_equal(p.af, AF_INET6);
	assert_int_equal(p.len, 0);

	assert_int_equal(PARSE("1.2.3.4/33"), -EINVAL);
	assert_int_equal(PARSE("1.2.3.4/"), -EINVAL);
	assert_int_equal(PARSE("1.2.3.4/-1"), -EINVAL);
	assert_int_equal(PARSE("1.2.3.4/8x"), -EINVAL);
	assert_int_equal(PARSE("2001:db8::/129"), -EINVAL);
	assert_int_equal(PARSE("example.com"), -EINVAL);
	assert_int_equal(PARSE(""), -EINVAL);
#undef PARSE
#undef ADDR
}

/* Rule names the compiler asks for, in order. */
struct names {
	char *v[64];
	int n;
};

static int name_cb(void *ctx, uint32_t sbx, const char *name, const char *what)
{
	struct names *n = ctx;

	assert_true(n->n < 64);
	n->v[n->n] = strdup(name);
	return n->n++;
}

/* Rule ids only, for big policies. */
static int big_cb(void *ctx, uint32_t sbx, const char *name, const char *what)
{
	return (*(int *)ctx)++;
}

static void names_free(struct names *n)
{
	for (int i = 0; i < n->n; i++)
		free(n->v[i]);
}

static const struct hx_ncidr_ent *find_cidr(const struct hx_nents *e, const char *cidr)
{
	struct hx_prefix p;
	char msg[160];

	assert_int_equal(hx_parse_cidr(cidr, &p, msg, sizeof(msg)), 0);
	for (size_t i = 0; i < e->ncidr; i++)
		if (e->cidr[i].af == p.af && e->cidr[i].k6.prefixlen == 32u + p.len &&
		    !memcmp(e->cidr[i].k6.addr, p.a, 16))
			return &e->cidr[i];
	return NULL;
}

static void test_compile_cidrs_merge_block_wins(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok(
		"security:\n"
		"  network: {blocked_cidrs: [203.0.113.0/24]}\n"
		"sandboxes:\n"
		"  s:\n"
		"    network:\n"
		"      allowed_cidrs: [203.0.113.0/24, 192.0.2.0/24, \"2001:db8::/32\",\n"
		"                      \"::ffff:198.51.100.0/120\"]\n"
		"      blocked_cidrs: [192.0.2.128/25, 10.0.0.0/8]\n",
		&d);
	const struct hx_sandbox *s = hx_policy_find(p, "s");
	struct hx_nents e = { 0 };
	struct names n = { 0 };
	const struct hx_ncidr_ent *c;

	assert_int_equal(hx_net_compile_sbx(&e, 1, 3, &s->net, name_cb, &n), 0);
	hx_nents_merge(&e);
	assert_int_equal(e.n4, 5);
	assert_int_equal(e.n6, 1);

	/* allowed and blocked at one prefix: one entry, the block, named after it */
	c = find_cidr(&e, "203.0.113.0/24");
	assert_non_null(c);
	assert_true(c->v.deny);
	assert_string_equal(n.v[c->v.rule_id], "security.network.blocked_cidrs[0]");
	/* the key carries the slot and sandbox ahead of the prefix */
	assert_int_equal(c->k6.ss, 1u << 16 | 3);
	c = find_cidr(&e, "192.0.2.0/24");
	assert_false(c->v.deny);
	assert_true(find_cidr(&e, "192.0.2.128/25")->v.deny);
	assert_true(find_cidr(&e, "10.0.0.0/8")->v.deny);
	/* written as IPv4-mapped, matched as IPv4 */
	assert_non_null(find_cidr(&e, "198.51.100.0/24"));
	assert_non_null(find_cidr(&e, "2001:db8::/32"));
	hx_nents_free(&e);
	names_free(&n);
	tp_done(p, &d);
}

static const struct hx_nport_ent *find_port(const struct hx_nents *e, uint16_t port, uint8_t proto)
{
	for (size_t i = 0; i < e->nport; i++)
		if (e->port[i].k.port == port && e->port[i].k.proto == proto)
			return &e->port[i];
	return NULL;
}

static void test_compile_ports_protocol_then_block(void **state)
{
	struct hx_diags d;
	struct hx_policy *p =
		tp_expect_ok("sandboxes:\n"
			     "  s:\n"
			     "    network:\n"
			     "      allowed_ports: [{port: 25, protocol: tcp}, 443,\n"
			     "                      {port: 53, protocol: udp}]\n"
			     "      blocked_ports: [25, {port: 443, protocol: udp}]\n",
			     &d);
	const struct hx_sandbox *s = hx_policy_find(p, "s");
	struct hx_nents e = { 0 };
	struct names n = { 0 };

	assert_int_equal(hx_net_compile_sbx(&e, 0, 0, &s->net, name_cb, &n), 0);
	hx_nents_merge(&e);
	/* a rule naming the protocol beats one without */
	assert_false(find_port(&e, 25, IPPROTO_TCP)->v.deny);
	assert_true(find_port(&e, 25, IPPROTO_UDP)->v.deny);
	assert_string_equal(n.v[find_port(&e, 25, IPPROTO_UDP)->v.rule_id],
			    "network.blocked_ports[0]");
	assert_false(find_port(&e, 443, IPPROTO_TCP)->v.deny);
	assert_true(find_port(&e, 443, IPPROTO_UDP)->v.deny);
	assert_false(find_port(&e, 53, IPPROTO_UDP)->v.deny);
	assert_null(find_port(&e, 53, IPPROTO_TCP));
	assert_int_equal(e.nport, 5);
	hx_nents_free(&e);
	names_free(&n);
	tp_done(p, &d);
}

static void test_host_entries_kinds_and_unmapping(void **state)
{
	struct hx_nents e = { 0 };
	struct hx_naddr a = { .af = AF_INET6 };
	static const uint16_t ports[] = { 443, 8443 };

	inet_pton(AF_INET6, "::ffff:192.0.2.5", a.a);
	/* a host on two ports, tcp only: 2 entries */
	assert_int_equal(hx_nhost_add(&e, 0, 1, &a, ports, 2, HX_PROTO_TCP, 7, HX_NHOST_HOST), 0);
	assert_int_equal(e.nhost, 2);
	assert_int_equal(e.host[0].k.af, AF_INET);
	assert_int_equal(e.host[0].k.addr[3], 5);
	assert_int_equal(e.host[0].k.addr[4], 0);
	/* any port, any protocol: port 0 for tcp and udp */
	assert_int_equal(hx_nhost_add(&e, 0, 1, &a, NULL, 0, HX_PROTO_ANY, 8, HX_NHOST_HOST), 0);
	assert_int_equal(e.nhost, 4);
	/* the same address blocked on 443 and a resolver on 443 (odd, but ordered) */
	assert_int_equal(hx_nhost_add(&e, 0, 1, &a, ports, 1, HX_PROTO_TCP, 9, HX_NHOST_BLOCK), 0);
	hx_nhost_merge(&e);
	assert_int_equal(e.nhost, 4);
	for (size_t i = 0; i < e.nhost; i++) {
		if (e.host[i].k.port == 443) {
			assert_int_equal(e.host[i].v.kind, HX_NHOST_BLOCK);
			assert_true(e.host[i].v.deny);
		}
	}
	assert_int_equal(hx_nhost_add(&e, 0, 1, &a, ports, 1, HX_PROTO_ANY, 10, HX_NHOST_DNS), 0);
	hx_nhost_merge(&e);
	for (size_t i = 0; i < e.nhost; i++) {
		if (e.host[i].k.port == 443) {
			assert_int_equal(e.host[i].v.kind, HX_NHOST_DNS);
			assert_false(e.host[i].v.deny);
		}
	}
	hx_nents_free(&e);
}

/* A DNS response: header, one question, then @an answers built by the caller. */
static int dns_msg(unsigned char *m, const unsigned char *answers, size_t alen, int an)
{
	static const unsigned char head[] = { 0x12, 0x34, 0x81, 0x80, 0, 1,   0,   0, 0, 0, 0, 0,
					      3,    'a',  'p',	'i',  2, 'h', 'x', 0, 0, 1, 0, 1 };

	memcpy(m, head, sizeof(head));
	m[7] = (unsigned char)an;
	memcpy(m + sizeof(head), answers, alen);
	return (int)(sizeof(head) + alen);
}

static void test_dns_answer_addresses_and_smallest_ttl(void **state)
{
	static const unsigned char ans[] = {
		/* CNAME, ignored */
		0xc0,
		12,
		0,
		5,
		0,
		1,
		0,
		0,
		0,
		5,
		0,
		2,
		0xc0,
		12,
		/* A 192.0.2.7 ttl 300 */
		0xc0,
		12,
		0,
		1,
		0,
		1,
		0,
		0,
		1,
		44,
		0,
		4,
		192,
		0,
		2,
		7,
		/* AAAA 2001:db8::7 ttl 30 */
		0xc0,
		12,
		0,
		28,
		0,
		1,
		0,
		0,
		0,
		30,
		0,
		16,
		0x20,
		1,
		0xd,
		0xb8,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		7,
		/* A again: not added twice */
		0xc0,
		12,
		0,
		1,
		0,
		1,
		0,
		0,
		1,
		44,
		0,
		4,
		192,
		0,
		2,
		7,
	};
	unsigned char m[512];
	struct hx_resolved r = { 0 };
	uint32_t ttl = UINT32_MAX;
	int len = dns_msg(m, ans, sizeof(ans), 4);
	char buf[64];

	assert_int_equal(hx_net_parse_answer(m, len, &r, &ttl), 3);
	assert_int_equal(r.n, 2);
	assert_int_equal(ttl, 30);
	assert_string_equal(hx_naddr_str(&r.v[0], buf, sizeof(buf)), "192.0.2.7");
	assert_string_equal(hx_naddr_str(&r.v[1], buf, sizeof(buf)), "2001:db8::7");
	hx_resolved_free(&r);

	/* cut inside the last record: refused, not read past the end */
	assert_int_equal(hx_net_parse_answer(m, len - 3, &r, &ttl), -EINVAL);
	hx_resolved_free(&r);
	assert_int_equal(hx_net_parse_answer(m, 5, &r, &ttl), -EINVAL);
	/* a compression pointer cut in half */
	m[24] = 0xc0;
	assert_int_equal(hx_net_parse_answer(m, 25, &r, &ttl), -EINVAL);
	hx_resolved_free(&r);
}

static void test_resolv_conf_nameservers(void **state)
{
	struct hx_naddr *v;
	char buf[64];
	int n = hx_net_parse_resolv("# generated\n"
				    "search example.com\n"
				    "nameserver 127.0.0.53\n"
				    "nameserver\tfe80::1%eth0  # link-local\n"
				    "nameserver bogus\n"
				    "options edns0\n"
				    "nameserver ::ffff:192.0.2.53",
				    &v);

	assert_int_equal(n, 3);
	assert_string_equal(hx_naddr_str(&v[0], buf, sizeof(buf)), "127.0.0.53");
	assert_string_equal(hx_naddr_str(&v[1], buf, sizeof(buf)), "fe80::1");
	assert_int_equal(v[2].af, AF_INET);
	free(v);
	assert_int_equal(hx_net_parse_resolv("", &v), 0);
}

static struct hx_naddr v4(const char *s)
{
	struct hx_naddr a = { .af = AF_INET };

	inet_pton(AF_INET, s, a.a);
	return a;
}

static void test_name_lifetime(void **state)
{
	struct hx_naddr ab[] = { v4("192.0.2.1"), v4("192.0.2.2") };
	struct hx_naddr bc[] = { v4("192.0.2.2"), v4("192.0.2.3") };
	struct hx_resolved r1 = { .v = ab, .n = 2, .ttl = 10, .from_dns = true };
	struct hx_resolved r2 = { .v = bc, .n = 2, .ttl = 10, .from_dns = true };
	struct hx_resolved fail = { .ttl = 10, .err = -ENOENT };
	struct hx_name nm = { .name = strdup("x.test") };
	struct hx_name_change *ch;
	char buf[64];

	assert_int_equal(hx_name_apply(&nm, &r1, 100, &ch), 2);
	assert_true(ch[0].added && ch[1].added);
	free(ch);
	assert_int_equal(nm.next_refresh, 110);
	/* .1 is no longer answered but stays until two TTLs after it was last seen */
	assert_int_equal(hx_name_apply(&nm, &r2, 110, &ch), 1);
	assert_true(ch[0].added);
	assert_string_equal(hx_naddr_str(&ch[0].a, buf, sizeof(buf)), "192.0.2.3");
	free(ch);
	assert_int_equal(nm.n, 3);
	/* the name stops resolving: retried soon; .1 expires at 120, .2 and .3 at 130 */
	assert_int_equal(hx_name_apply(&nm, &fail, 121, &ch), 1);
	assert_false(ch[0].added);
	assert_string_equal(hx_naddr_str(&ch[0].a, buf, sizeof(buf)), "192.0.2.1");
	free(ch);
	assert_int_equal(nm.next_refresh, 126);
	assert_int_equal(nm.n, 2);
	assert_int_equal(hx_name_expire(&nm, 129, &ch), 0);
	free(ch);
	assert_int_equal(hx_name_expire(&nm, 130, &ch), 2);
	free(ch);
	assert_int_equal(nm.n, 0);
	hx_name_free(&nm);
}

static void test_sandbox_flags(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok(
		"sandboxes:\n"
		"  plain: {}\n"
		"  deny_in: {network: {default_policy: allow, allow_inbound: false}}\n"
		"  unset_in: {network: {allowed_cidrs: [192.0.2.0/24]}}\n"
		"  allow_in: {network: {allow_inbound: true, allow_outbound: false}}\n"
		"  none: {permissions: {allow_network: false}}\n"
		"  caps: {capabilities: {drop: [ALL]}, network: {default_policy: allow}}\n",
		&d);
	__u32 f;

	assert_int_equal(hx_net_sbx_flags(p, hx_policy_find(p, "plain")), 0);
	f = hx_net_sbx_flags(p, hx_policy_find(p, "deny_in"));
	assert_int_equal(f, HX_SBX_NET_PRESENT | HX_SBX_NET_INBOUND_RULE);
	/* unset allow_inbound follows default_policy (deny once the family is present) */
	f = hx_net_sbx_flags(p, hx_policy_find(p, "unset_in"));
	assert_int_equal(f, HX_SBX_NET_PRESENT | HX_SBX_NET_DEFAULT_DENY);
	f = hx_net_sbx_flags(p, hx_policy_find(p, "allow_in"));
	assert_true(f & HX_SBX_NET_INBOUND);
	assert_true(f & HX_SBX_NET_NO_OUTBOUND);
	f = hx_net_sbx_flags(p, hx_policy_find(p, "none"));
	assert_true(f & HX_SBX_NET_PRESENT);
	assert_true(f & HX_SBX_NET_FORBIDDEN);
	f = hx_net_sbx_flags(p, hx_policy_find(p, "caps"));
	assert_true(f & HX_SBX_NET_NO_PRIVBIND);
	assert_true(f & HX_SBX_NET_INBOUND);
	tp_done(p, &d);
}

static char *format(const struct hx_event *e)
{
	static char *names[] = { "network.blocked_cidrs[0]" };
	struct hx_rule_info rule = { .sbx = 0, .family = HX_FAM_NET, .name = names[0] };
	struct hx_sbx_info sbx = { .name = "web", .cgroup = "/helixagent/web", .cgid = 42 };
	struct hx_compiled c = {
		.generation = 1, .sbx = &sbx, .nsbx = 1, .rules = &rule, .nrules = 1
	};

	return ta_format(e, &c);
}

static void test_audit_fields_of_a_denied_connect(void **state)
{
	struct hx_event *e = ta_refusal(HX_ACT_CONNECT6, HX_FAM_NET);
	char *js;

	e->cgid = 42;
	e->pid = 4242;
	e->err = -1;
	e->rule_id = 0;
	e->af = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", e->daddr);
	e->dport = 80;
	e->proto = IPPROTO_TCP;
	e->direction = HX_NET_EGRESS;
	js = format(e);
	assert_non_null(strstr(js, "\"category\":[\"network\"]"));
	assert_non_null(strstr(js, "\"type\":[\"connection\",\"denied\"]"));
	assert_non_null(strstr(js, "\"action\":\"connect\""));
	assert_non_null(strstr(js, "\"provider\":\"cgroup/connect6\""));
	assert_null(strstr(js, "intrusion_detection"));
	assert_non_null(strstr(js, "\"rule\":{\"name\":\"network.blocked_cidrs[0]\""));
	assert_non_null(strstr(js, "\"destination\":{\"ip\":\"10.0.0.1\",\"port\":80}"));
	assert_non_null(strstr(js, "\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\","
				   "\"iana_number\":\"6\",\"direction\":\"egress\"}"));
	assert_null(strstr(js, "\"file\""));
	free(js);

	e->action = HX_ACT_BIND6;
	e->af = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", e->daddr);
	e->proto = IPPROTO_UDP;
	e->direction = HX_NET_INGRESS;
	e->rule_id = HX_RULE_NONE;
	e->flags = HX_EVF_NO_RULE;
	js = format(e);
	assert_non_null(strstr(js, "\"destination\":{\"ip\":\"2001:db8::1\",\"port\":80}"));
	assert_non_null(strstr(js, "\"type\":\"ipv6\""));
	assert_non_null(strstr(js, "\"transport\":\"udp\""));
	assert_non_null(strstr(js, "\"direction\":\"ingress\""));
	assert_non_null(strstr(js, "\"name\":\"network.default_policy\""));
	free(js);
	free(e);
}

static void test_audit_fields_of_a_refused_socket(void **state)
{
	struct hx_event *e = ta_refusal(HX_ACT_SOCKET, HX_FAM_NET);
	char *js;

	e->rule_id = 0;
	e->af = AF_PACKET;
	e->dport = SOCK_RAW;
	js = format(e);
	assert_non_null(strstr(js, "\"action\":\"socket_create\""));
	assert_null(strstr(js, "\"destination\""));
	assert_non_null(strstr(js, "\"network\":{\"type\":\"packet\",\"transport\":\"raw\","
				   "\"direction\":\"egress\"}"));
	free(js);
	e->af = AF_INET;
	e->dport = SOCK_DGRAM;
	e->proto = IPPROTO_ICMP;
	js = format(e);
	assert_non_null(strstr(js, "\"network\":{\"type\":\"ipv4\",\"transport\":\"icmp\","
				   "\"iana_number\":\"1\",\"direction\":\"egress\"}"));
	free(js);
	free(e);
}

/* A rewritten or embedded destination: the judged address and the literal the process wrote. */
static void test_audit_fields_of_a_translated_destination(void **state)
{
	struct hx_event *e = ta_refusal(HX_ACT_CONNECT6, HX_FAM_NET);
	struct hx_net_req *req = (struct hx_net_req *)(void *)e->exe;
	char *js;

	e->rule_id = 0;
	e->af = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", e->daddr);
	e->dport = 8081;
	e->proto = IPPROTO_TCP;
	e->flags = HX_EVF_NET_XLATE;
	req->af = AF_INET6;
	req->xlate = HX_NXLATE_UNSPEC;
	inet_pton(AF_INET6, "::ffff:0.0.0.0", req->addr);
	js = format(e);
	assert_non_null(strstr(js, "\"destination\":{\"ip\":\"127.0.0.1\",\"port\":8081,"
				   "\"address\":\"::ffff:0.0.0.0\"}"));
	assert_non_null(strstr(js, "\"labels\":{\"address_translation\":\"unspecified\"}"));
	assert_null(strstr(js, "\"executable\""));
	free(js);
	req->xlate = HX_NXLATE_NAT64;
	inet_pton(AF_INET6, "64:ff9b::a00:1", req->addr);
	js = format(e);
	assert_non_null(strstr(js, "\"address\":\"64:ff9b::a00:1\""));
	assert_non_null(strstr(js, "\"address_translation\":\"nat64\""));
	free(js);
	/* without the flag, nothing of it */
	e->flags = 0;
	js = format(e);
	assert_null(strstr(js, "\"address\""));
	assert_null(strstr(js, "\"labels\""));
	free(js);
	/* the guard's network refusals name their class */
	memset(req, 0, sizeof(*req));
	e->family = HX_FAM_GUARD;
	e->rule_id = HX_RULE_NONE;
	e->action = HX_ACT_URING;
	js = format(e);
	assert_non_null(strstr(js, "\"name\":\"guard.io_uring\""));
	assert_non_null(strstr(js, "\"provider\":\"lsm/mmap_file\""));
	free(js);
	e->action = HX_ACT_SRCROUTE;
	js = format(e);
	assert_non_null(strstr(js, "\"name\":\"guard.source_route\""));
	free(js);
	free(e);
}

/* 100,000 prefixes in one sandbox: all reach the trie, each under its own rule name. */
static void test_compile_100000_prefixes(void **state)
{
	struct hx_diags d = { 0 };
	struct hx_nents e = { 0 };
	const struct hx_ncidr_ent *c;
	struct timespec t0, t1;
	int ids = 0;
	struct hx_policy *p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fprintf(f, "sandboxes:\n  big:\n    network:\n      allowed_cidrs: [\"2001:db8::/32\"]\n"
		   "      blocked_cidrs:\n");
	for (int i = 0; i < 100000; i++)
		fprintf(f, "        - 10.%d.%d.%d\n", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	fclose(f);
	p = hx_policy_load_buf("big.yaml", buf, len, &d);
	assert_non_null(p);
	assert_int_equal(d.errors, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(hx_net_compile_sbx(&e, 0, 0, &hx_policy_find(p, "big")->net, big_cb, &ids),
			 0);
	hx_nents_merge(&e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(e.n4, 100000);
	assert_int_equal(e.n6, 1);
	c = find_cidr(&e, "10.1.134.159/32");
	assert_non_null(c);
	assert_true(c->v.deny);
	assert_int_equal(c->v.rule_id, 1 + 99999); /* after the one allowed prefix */
	/* a benchmark, not a test: reported, never judged */
	print_message("compiled 100001 prefixes in %.0f ms (sanitized build)\n",
		      (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	hx_nents_free(&e);
	hx_diags_free(&d);
	hx_policy_free(p);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_compile_cidrs_merge_block_wins),
		cmocka_unit_test(test_compile_ports_protocol_then_block),
		cmocka_unit_test(test_host_entries_kinds_and_unmapping),
		cmocka_unit_test(test_dns_answer_addresses_and_smallest_ttl),
		cmocka_unit_test(test_resolv_conf_nameservers),
		cmocka_unit_test(test_name_lifetime),
		cmocka_unit_test(test_sandbox_flags),
		cmocka_unit_test(test_audit_fields_of_a_denied_connect),
		cmocka_unit_test(test_audit_fields_of_a_refused_socket),
		cmocka_unit_test(test_audit_fields_of_a_translated_destination),
		cmocka_unit_test(test_compile_100000_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
