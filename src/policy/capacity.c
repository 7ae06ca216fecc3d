// SPDX-License-Identifier: GPL-2.0
/* How many map entries a policy needs, known before anything is loaded. */
#include <errno.h>
#include <sys/socket.h>
#include <string.h>

#include "internal.h"

void hx_sandbox_capacity(const struct hx_sandbox *s, struct hx_capacity *out)
{
	memset(out, 0, sizeof(*out));
	out->sandboxes = 1;
	out->exec_rules = s->exec.rules.n;
	out->fs_rules = s->fs.rules.n;
	out->path_rules = out->exec_rules + out->fs_rules;
	for (size_t i = 0; i < s->net.cidrs.n; i++) {
		/* as the loader installs it: ::ffff:a.b.c.d/104 is an IPv4 rule */
		if (s->net.cidrs.v[i].pfx.af == AF_INET6)
			out->cidr6++;
		else
			out->cidr4++;
	}
	out->ports = s->net.ports.n;
	out->hosts = s->net.hosts.n + s->net.blocked_hosts.n;
	out->blocked_commands = s->exec.blocked_commands.n;
}

#define FIELDS(X)                                                                                  \
	X(sandboxes, "sandboxes")                                                                  \
	X(exec_rules, "exec path rules")                                                           \
	X(fs_rules, "filesystem path rules")                                                       \
	X(path_rules, "path rules (exec and filesystem)")                                          \
	X(cidr4, "IPv4 CIDR rules")                                                                \
	X(cidr6, "IPv6 CIDR rules")                                                                \
	X(ports, "port rules")                                                                     \
	X(hosts, "host names")                                                                     \
	X(blocked_commands, "blocked commands")

void hx_policy_capacity(const struct hx_policy *p, struct hx_capacity *out)
{
	struct hx_capacity one;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < p->nsandboxes; i++) {
		hx_sandbox_capacity(&p->sandboxes[i], &one);
#define SUM(f, name) out->f += one.f;
		FIELDS(SUM)
#undef SUM
	}
}

int hx_policy_check_capacity(const struct hx_policy *p, const struct hx_capacity *limit,
			     struct hx_diags *diags)
{
	struct hx_capacity total, one;
	int rc = 0;

	hx_policy_capacity(p, &total);
#define CHECK(f, what)                                                                                                            \
	if (limit->f && total.f > limit->f) {                                                                                     \
		const struct hx_sandbox *worst = NULL;                                                                            \
		size_t most = 0;                                                                                                  \
                                                                                                                                  \
		for (size_t i = 0; i < p->nsandboxes; i++) {                                                                      \
			hx_sandbox_capacity(&p->sandboxes[i], &one);                                                              \
			if (one.f > most) {                                                                                       \
				most = one.f;                                                                                     \
				worst = &p->sandboxes[i];                                                                         \
			}                                                                                                         \
		}                                                                                                                 \
		if (worst && p->nsandboxes > 1)                                                                                   \
			hx_diag_add(                                                                                              \
				diags, HX_DIAG_ERROR, worst->src,                                                                 \
				"the policy needs %zu %s, more than the %zu the kernel maps hold (sandbox '%s' alone needs %zu)", \
				total.f, what, limit->f, worst->name, most);                                                      \
		else                                                                                                              \
			hx_diag_add(                                                                                              \
				diags, HX_DIAG_ERROR, worst ? worst->src : p->base.src,                                           \
				"the policy needs %zu %s, more than the %zu the kernel maps hold",                                \
				total.f, what, limit->f);                                                                         \
		rc = -E2BIG;                                                                                                      \
	}
	FIELDS(CHECK)
#undef CHECK
	return rc;
}
