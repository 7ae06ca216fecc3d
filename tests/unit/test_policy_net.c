// SPDX-License-Identifier: GPL-2.0
/* The network section: every list reaches the model with its rule name, zones are lowered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "daemon/resolve.h"
#include "test_policy_util.h"

static void test_ports_reach_the_model(void **state)
{
	struct hx_diags d;
	struct hx_policy *p =
		tp_expect_ok("sandboxes:\n"
			     "  web:\n"
			     "    network:\n"
			     "      allowed_ports: [80, {port: 443, protocol: tcp, allow: true},\n"
			     "                      {port: 25, allow: false}]\n"
			     "      blocked_ports: [23, {port: 53, protocol: udp}]\n",
			     &d);
	const struct hx_net_policy *n = &hx_policy_find(p, "web")->net;

	assert_true(n->present);
	assert_int_equal(n->default_policy, HX_DEF_DENY);
	assert_int_equal(n->ports.n, 5);
	assert_int_equal(n->ports.v[0].port, 80);
	assert_int_equal(n->ports.v[0].proto, HX_PROTO_ANY);
	assert_false(n->ports.v[0].block);
	assert_string_equal(n->ports.v[0].name, "network.allowed_ports[0]");
	assert_int_equal(n->ports.v[1].proto, HX_PROTO_TCP);
	assert_int_equal(n->ports.v[1].src.line, 4);
	/* allow: false is a block rule, named where it was written */
	assert_int_equal(n->ports.v[2].port, 25);
	assert_true(n->ports.v[2].block);
	assert_string_equal(n->ports.v[2].name, "network.allowed_ports[2]");
	assert_true(n->ports.v[3].block);
	assert_string_equal(n->ports.v[3].name, "network.blocked_ports[0]");
	assert_int_equal(n->ports.v[4].proto, HX_PROTO_UDP);
	assert_string_equal(n->ports.v[4].name, "network.blocked_ports[1]");
	tp_done(p, &d);
}

/* An address in a host list is itself: with ports, one address on those ports only. */
static void test_host_address_literals(void **state)
{
	struct hx_diags d;
	struct hx_policy *p =
		tp_expect_ok("sandboxes:\n"
			     "  a:\n"
			     "    network:\n"
			     "      allowed_hosts:\n"
			     "        - {host: \"2001:DB8::1\", ports: [53], protocol: udp}\n"
			     "        - {host: 192.0.2.7, ports: [443, 8443], protocol: tcp}\n",
			     &d);
	const struct hx_net_policy *n = &hx_policy_find(p, "a")->net;
	struct hx_resolved r;

	assert_int_equal(n->hosts.n, 2);
	assert_string_equal(n->hosts.v[0].host, "2001:db8::1");
	assert_int_equal(n->hosts.v[0].proto, HX_PROTO_UDP);
	assert_string_equal(n->hosts.v[1].host, "192.0.2.7");
	assert_int_equal(n->hosts.v[1].nports, 2);
	assert_int_equal(d.warnings, 0);
	tp_done(p, &d);

	/* never sent to DNS: the literal, and nothing else */
	assert_int_equal(hx_net_resolve("2001:db8::1", &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].af, AF_INET6);
	assert_false(r.from_dns);
	hx_resolved_free(&r);
	assert_int_equal(hx_net_resolve("192.0.2.7", &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].af, AF_INET);
	assert_int_equal(r.v[0].a[3], 7);
	hx_resolved_free(&r);
}

static void test_hosts_reach_the_model(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok(
		"sandboxes:\n"
		"  a:\n"
		"    network:\n"
		"      allowed_hosts:\n"
		"        - api.openai.com\n"
		"        - {host: API.Example.COM., ports: [443, 8443], protocol: tcp}\n"
		"      blocked_hosts: [internal.corp.com]\n",
		&d);
	const struct hx_net_policy *n = &hx_policy_find(p, "a")->net;

	assert_int_equal(n->hosts.n, 2);
	assert_string_equal(n->hosts.v[0].host, "api.openai.com");
	assert_int_equal(n->hosts.v[0].nports, 0);
	assert_int_equal(n->hosts.v[0].proto, HX_PROTO_ANY);
	assert_string_equal(n->hosts.v[0].name, "network.allowed_hosts[0]");
	/* names are case-insensitive and the root dot is dropped */
	assert_string_equal(n->hosts.v[1].host, "api.example.com");
	assert_int_equal(n->hosts.v[1].nports, 2);
	assert_int_equal(n->hosts.v[1].ports[1], 8443);
	assert_int_equal(n->hosts.v[1].proto, HX_PROTO_TCP);
	assert_string_equal(n->hosts.v[1].name, "network.allowed_hosts[1]");
	assert_int_equal(n->hosts.v[1].src.line, 6);
	assert_int_equal(n->blocked_hosts.n, 1);
	assert_string_equal(n->blocked_hosts.v[0].host, "internal.corp.com");
	assert_string_equal(n->blocked_hosts.v[0].name, "network.blocked_hosts[0]");
	/* blocked_hosts is honoured but its limits are said */
	assert_int_equal(d.warnings, 1);
	tp_done(p, &d);
}

static void test_scalars_and_cidrs(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok(
		"sandboxes:\n"
		"  a:\n"
		"    network:\n"
		"      default_policy: allow\n"
		"      allow_dns: true\n"
		"      allow_inbound: false\n"
		"      allow_outbound: true\n"
		"      allowed_cidrs: [192.0.2.0/24, \"2001:db8::/32\", 198.51.100.7]\n"
		"      blocked_cidrs: [10.0.0.0/8]\n",
		&d);
	const struct hx_net_policy *n = &hx_policy_find(p, "a")->net;

	assert_int_equal(n->default_policy, HX_DEF_ALLOW);
	assert_int_equal(n->allow_dns, HX_YES);
	assert_int_equal(n->allow_inbound, HX_NO);
	assert_int_equal(n->allow_outbound, HX_YES);
	assert_int_equal(n->cidrs.n, 4);
	assert_string_equal(n->cidrs.v[1].cidr, "2001:db8::/32");
	assert_string_equal(n->cidrs.v[2].name, "network.allowed_cidrs[2]");
	assert_true(n->cidrs.v[3].block);
	assert_string_equal(n->cidrs.v[3].name, "network.blocked_cidrs[0]");
	tp_done(p, &d);
}

static void test_network_is_inherited(void **state)
{
	struct hx_diags d;
	struct hx_policy *p =
		tp_expect_ok("security:\n"
			     "  network:\n"
			     "    default_policy: deny\n"
			     "    allow_dns: true\n"
			     "    allowed_hosts: [{host: api.openai.com, ports: [443]}]\n"
			     "    blocked_cidrs: [10.0.0.0/8]\n"
			     "    blocked_ports: [25]\n"
			     "sandboxes:\n"
			     "  a:\n"
			     "    network:\n"
			     "      allow_dns: false\n"
			     "      allowed_hosts: [pypi.org]\n"
			     "      allowed_ports: [443]\n"
			     "  b: {}\n",
			     &d);
	const struct hx_net_policy *a = &hx_policy_find(p, "a")->net;
	const struct hx_net_policy *b = &hx_policy_find(p, "b")->net;

	/* lists: the base's first, then the sandbox's own; scalars: the sandbox wins */
	assert_int_equal(a->default_policy, HX_DEF_DENY);
	assert_int_equal(a->allow_dns, HX_NO);
	assert_int_equal(a->hosts.n, 2);
	assert_string_equal(a->hosts.v[0].host, "api.openai.com");
	assert_string_equal(a->hosts.v[0].name, "security.network.allowed_hosts[0]");
	assert_int_equal(a->hosts.v[0].ports[0], 443);
	assert_string_equal(a->hosts.v[1].name, "network.allowed_hosts[0]");
	assert_int_equal(a->ports.n, 2);
	assert_string_equal(a->ports.v[0].name, "security.network.blocked_ports[0]");
	assert_string_equal(a->ports.v[1].name, "network.allowed_ports[0]");
	assert_int_equal(a->cidrs.n, 1);
	assert_string_equal(a->cidrs.v[0].name, "security.network.blocked_cidrs[0]");
	/* a sandbox that says nothing gets the base whole */
	assert_true(b->present);
	assert_int_equal(b->allow_dns, HX_YES);
	assert_int_equal(b->hosts.n, 1);
	assert_int_equal(b->ports.n, 1);
	tp_done(p, &d);
}

static void test_zones_are_lowered(void **state)
{
	struct hx_diags d;
	struct hx_policy *p = tp_expect_ok("network:\n"
					   "  zones:\n"
					   "    trusted:\n"
					   "      cidrs: [\"10.0.0.0/24\", \"10.0.1.0/24\"]\n"
					   "      allow_all: true\n"
					   "    lab:\n"
					   "      cidrs: [\"192.168.0.0/16\"]\n"
					   "    untrusted:\n"
					   "      default_policy: \"deny\"\n"
					   "      allowed_hosts:\n"
					   "        - \"api.external.com\"\n"
					   "sandboxes:\n"
					   "  a: {}\n",
					   &d);
	const struct hx_net_policy *n = &hx_policy_find(p, "a")->net;

	assert_true(n->present);
	assert_int_equal(n->default_policy, HX_DEF_DENY);
	assert_int_equal(n->cidrs.n, 3);
	assert_string_equal(n->cidrs.v[0].cidr, "10.0.0.0/24");
	assert_false(n->cidrs.v[0].block);
	assert_string_equal(n->cidrs.v[1].name, "network.zones.trusted.cidrs[1]");
	/* a zone with no policy denies (fail secure) */
	assert_true(n->cidrs.v[2].block);
	assert_string_equal(n->cidrs.v[2].name, "network.zones.lab.cidrs[0]");
	assert_int_equal(n->hosts.n, 1);
	assert_string_equal(n->hosts.v[0].host, "api.external.com");
	assert_string_equal(n->hosts.v[0].name, "network.zones.untrusted.allowed_hosts[0]");
	tp_done(p, &d);

	p = tp_expect_ok("network:\n  zones:\n    rest: {allow_all: true}\n", &d);
	assert_int_equal(hx_policy_find(p, "default")->net.default_policy, HX_DEF_ALLOW);
	tp_done(p, &d);
}

static void test_network_errors(void **state)
{
	tp_expect_error(
		"security:\n  network:\n    allowed_ports: [443, {port: 443}]\n",
		"t.yaml:3:26: error: port 443/any is listed twice (first as security.network.allowed_ports[0])");
	tp_expect_error("security:\n  network:\n    allowed_ports: [{port: 25, protocol: tcp}]\n"
			"    blocked_ports: [{port: 25, protocol: tcp}]\n",
			"port 25/tcp is both allowed and blocked");
	tp_expect_error("security:\n  network:\n    allowed_ports: [{protocol: tcp}]\n",
			"allowed_ports entry needs a 'port'");
	tp_expect_error("security:\n  network:\n    blocked_ports: [{port: 25, allow: true}]\n",
			"unknown key 'allow' in blocked_ports entry");
	tp_expect_error("security:\n  network:\n    allowed_hosts: [{ports: [443]}]\n",
			"allowed_hosts entry needs a 'host'");
	tp_expect_error("security:\n  network:\n    allowed_hosts: [\"*.example.com\"]\n",
			"'*.example.com' is not a valid host name");
	tp_expect_error("security:\n  network:\n    allowed_hosts: [\"2001:db8::/32\"]\n",
			"prefixes go in allowed_cidrs");
	tp_expect_error("security:\n  network:\n    allowed_hosts: [\"2001:db8::1::2\"]\n",
			"not a valid host name or address");
	tp_expect_error(
		"security:\n  network:\n    allowed_hosts: [{host: a.example, ports: [443, 443]}]\n",
		"port 443 is listed twice");
	tp_expect_error("security:\n  network:\n    allowed_hosts: [a.example]\n"
			"    blocked_hosts: [A.example]\n",
			"'a.example' is both allowed and blocked");
	tp_expect_error("security:\n  network:\n    allowed_hosts: [a.example, a.example]\n",
			"'a.example' is listed twice");
	tp_expect_error(
		"security:\n  network:\n    allowed_hosts: [{host: a.example, colour: red}]\n",
		"unknown key 'colour' in a host entry");
	tp_expect_error("security:\n  network:\n    allow_outbound: sometimes\n",
			"'allow_outbound' must be true or false");
	tp_expect_error("security:\n  network: {allow_dns: true}\nnetwork: {allow_dns: false}\n",
			"t.yaml:3:22: error: 'allow_dns' is already set");
}

static void test_zone_errors(void **state)
{
	tp_expect_error(
		"network:\n  zones:\n    a: {cidrs: [10.0.0.0/8], allow_all: true, default_policy: deny}\n",
		"'allow_all: true' contradicts 'default_policy: deny'");
	tp_expect_error(
		"network:\n  zones:\n    a: {default_policy: deny}\n    b: {allow_all: true}\n",
		"zones 'a' and 'b' both have no cidrs");
	tp_expect_error("network:\n  default_policy: deny\n  zones:\n    a: {allow_all: true}\n",
			"sets default_policy allow, but the network section says deny");
	tp_expect_error("network:\n  zones:\n    a: {cidrs: [10.0.0.1/8], allow_all: true}\n",
			"host bits set");
	tp_expect_error("network:\n  zones:\n    a: {cidrs: [10.0.0.0/8], allow_all: true}\n"
			"    b: {cidrs: [10.0.0.0/8]}\n",
			"'10.0.0.0/8' is both allowed and blocked (also network.zones.a.cidrs[0])");
	tp_expect_error("network:\n  zones:\n    a: {cidrs: [10.0.0.0/8], ttl: 4}\n",
			"unknown key 'ttl' in a network zone");
	tp_expect_error("network:\n  zones:\n    \"A B\": {allow_all: true}\n",
			"zone name 'A B' must match");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_reach_the_model),
		cmocka_unit_test(test_hosts_reach_the_model),
		cmocka_unit_test(test_host_address_literals),
		cmocka_unit_test(test_scalars_and_cidrs),
		cmocka_unit_test(test_network_is_inherited),
		cmocka_unit_test(test_zones_are_lowered),
		cmocka_unit_test(test_network_errors),
		cmocka_unit_test(test_zone_errors),
	};

	return cmocka_run_group_tests_name("policy_net", tests, NULL, NULL);
}
