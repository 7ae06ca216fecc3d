// SPDX-License-Identifier: GPL-2.0
/*
 * Host names of allowed_hosts and the resolvers of allow_dns.
 *
 * A name is resolved the way the sandboxed programs will resolve it
 * (getaddrinfo: /etc/hosts, DNS, whatever nsswitch says), and also asked of
 * DNS directly (A and AAAA) to learn the records' TTL. The addresses of both
 * are allowed. The name is refreshed after its TTL (clamped to
 * HX_NET_TTL_MIN..HX_NET_TTL_MAX); a name DNS did not answer (a hosts file
 * entry, a literal) every HX_NET_TTL_DEFAULT seconds. An address stays
 * allowed for two TTLs after it was last seen, so a client that cached it
 * just before the agent's refresh can still use it, and a name that stops
 * resolving keeps its addresses until then.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "resolve.h"

static int addr_push(struct hx_resolved *r, const struct hx_naddr *a)
{
	struct hx_naddr u = *a, *nv;

	hx_naddr_unmap(&u);
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].af == u.af && !memcmp(r->v[i].a, u.a, 16))
			return 0;
	nv = realloc(r->v, (r->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	r->v = nv;
	r->v[r->n++] = u;
	return 1;
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Length of the (possibly compressed) name at @p, or -1. */
static int skip_name(const unsigned char *msg, const unsigned char *end, const unsigned char *p)
{
	const unsigned char *s = p;

	while (p < end) {
		if (*p == 0)
			return (int)(p + 1 - s);
		if ((*p & 0xc0) == 0xc0)
			return p + 2 <= end ? (int)(p + 2 - s) : -1;
		if (*p & 0xc0)
			return -1;
		p += *p + 1;
	}
	(void)msg;
	return -1;
}

int hx_net_parse_answer(const unsigned char *msg, int len, struct hx_resolved *out, uint32_t *ttl)
{
	const unsigned char *end = msg + len, *p;
	unsigned qd, an;
	int found = 0, n;

	if (len < 12)
		return -EINVAL;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	p = msg + 12;
	for (unsigned i = 0; i < qd; i++) {
		n = skip_name(msg, end, p);
		if (n < 0 || p + n + 4 > end)
			return -EINVAL;
		p += n + 4;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned type, cls, rdlen;
		struct hx_naddr a = { 0 };
		uint32_t t;

		n = skip_name(msg, end, p);
		if (n < 0 || p + n + 10 > end)
			return -EINVAL;
		p += n;
		type = get16(p);
		cls = get16(p + 2);
		t = get32(p + 4);
		rdlen = get16(p + 8);
		p += 10;
		if (p + rdlen > end)
			return -EINVAL;
		if (cls == ns_c_in &&
		    ((type == ns_t_a && rdlen == 4) || (type == ns_t_aaaa && rdlen == 16))) {
			a.af = type == ns_t_a ? AF_INET : AF_INET6;
			memcpy(a.a, p, rdlen);
			if (addr_push(out, &a) < 0)
				return -ENOMEM;
			if (t < *ttl)
				*ttl = t;
			found++;
		}
		p += rdlen;
	}
	return found;
}

static void dns_query(res_state st, const char *name, int type, struct hx_resolved *r,
		      uint32_t *ttl, bool *answered)
{
	unsigned char buf[4096];
	int len = res_nquery(st, name, ns_c_in, type, buf, sizeof(buf));

	if (len <= 0)
		return;
	if (hx_net_parse_answer(buf, len < (int)sizeof(buf) ? len : (int)sizeof(buf), r, ttl) > 0)
		*answered = true;
}

int hx_net_resolve(const char *name, struct hx_resolved *out)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	struct __res_state st;
	uint32_t ttl = UINT32_MAX;
	bool answered = false;
	int rc;

	memset(out, 0, sizeof(*out));
	{
		/* An address literal is itself, for as long as the policy says it. */
		struct hx_naddr lit = { 0 };

		if (inet_pton(AF_INET, name, lit.a) == 1)
			lit.af = AF_INET;
		else if (inet_pton(AF_INET6, name, lit.a) == 1)
			lit.af = AF_INET6;
		if (lit.af) {
			out->ttl = HX_NET_TTL_MAX;
			return addr_push(out, &lit) < 0 ? -ENOMEM : 0;
		}
	}
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc == 0) {
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			struct hx_naddr a = { 0 };

			if (ai->ai_family == AF_INET) {
				a.af = AF_INET;
				memcpy(a.a, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			} else if (ai->ai_family == AF_INET6) {
				a.af = AF_INET6;
				memcpy(a.a, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
			} else {
				continue;
			}
			if (addr_push(out, &a) < 0) {
				freeaddrinfo(res);
				return -ENOMEM;
			}
		}
		freeaddrinfo(res);
	}

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) == 0) {
		/* Bounded: the daemon waits for this at (re)load. */
		st.retrans = 2;
		st.retry = 1;
		dns_query(&st, name, ns_t_a, out, &ttl, &answered);
		dns_query(&st, name, ns_t_aaaa, out, &ttl, &answered);
		res_nclose(&st);
	}

	out->from_dns = answered;
	if (!answered)
		ttl = HX_NET_TTL_DEFAULT;
	if (ttl < HX_NET_TTL_MIN)
		ttl = HX_NET_TTL_MIN;
	if (ttl > HX_NET_TTL_MAX)
		ttl = HX_NET_TTL_MAX;
	out->ttl = ttl;
	if (!out->n)
		out->err = rc == EAI_AGAIN ? -EAGAIN : -ENOENT;
	return out->err;
}

void hx_resolved_free(struct hx_resolved *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

int hx_net_parse_resolv(const char *text, struct hx_naddr **out)
{
	const char *p = text;
	int n = 0;

	*out = NULL;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char line[256], *tok, *save;

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = 0;
		p = eol ? eol + 1 : NULL;
		tok = strtok_r(line, " \t\r", &save);
		if (!tok || strcmp(tok, "nameserver"))
			continue;
		tok = strtok_r(NULL, " \t\r#;", &save);
		if (!tok)
			continue;
		tok[strcspn(tok, "%")] = 0; /* fe80::1%eth0: the scope does not matter here */
		struct hx_naddr a = { 0 }, *nv;

		if (inet_pton(AF_INET, tok, a.a) == 1)
			a.af = AF_INET;
		else if (inet_pton(AF_INET6, tok, a.a) == 1)
			a.af = AF_INET6;
		else
			continue;
		hx_naddr_unmap(&a);
		nv = realloc(*out, (size_t)(n + 1) * sizeof(*nv));
		if (!nv) {
			free(*out);
			*out = NULL;
			return -ENOMEM;
		}
		*out = nv;
		nv[n++] = a;
	}
	return n;
}

static bool same(const struct hx_naddr *a, const struct hx_naddr *b)
{
	return a->af == b->af && !memcmp(a->a, b->a, 16);
}

static int change_push(struct hx_name_change **v, int *n, const struct hx_naddr *a, bool added)
{
	struct hx_name_change *nv = realloc(*v, (size_t)(*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].a = *a;
	nv[*n].added = added;
	(*n)++;
	return 0;
}

/*
 * Drops @nm's addresses whose time ran out, each one a removal appended to
 * @changes (*@nch of them). -ENOMEM, with @changes freed, when one cannot be.
 */
static int drop_expired(struct hx_name *nm, int64_t now, struct hx_name_change **changes, int *nch)
{
	size_t o = 0;

	for (size_t i = 0; i < nm->n; i++) {
		if (nm->addrs[i].expires <= now) {
			if (change_push(changes, nch, &nm->addrs[i].a, false)) {
				free(*changes);
				*changes = NULL;
				return -ENOMEM;
			}
			continue;
		}
		nm->addrs[o++] = nm->addrs[i];
	}
	nm->n = o;
	return 0;
}

int hx_name_apply(struct hx_name *nm, const struct hx_resolved *r, int64_t now,
		  struct hx_name_change **changes)
{
	uint32_t ttl = r->ttl ? r->ttl : HX_NET_TTL_DEFAULT;
	int nch = 0;

	*changes = NULL;
	if (!r->err) {
		for (size_t i = 0; i < r->n; i++) {
			size_t j;

			for (j = 0; j < nm->n && !same(&nm->addrs[j].a, &r->v[i]); j++)
				;
			if (j == nm->n) {
				struct hx_naddr_exp *nv =
					realloc(nm->addrs, (nm->n + 1) * sizeof(*nv));

				if (!nv || change_push(changes, &nch, &r->v[i], true)) {
					if (nv)
						nm->addrs = nv;
					free(*changes);
					*changes = NULL;
					return -ENOMEM;
				}
				nm->addrs = nv;
				nm->addrs[nm->n++].a = r->v[i];
			}
			nm->addrs[j].expires = now + 2 * (int64_t)ttl;
		}
		nm->ttl = ttl;
		nm->resolved_once = true;
	}
	if (drop_expired(nm, now, changes, &nch))
		return -ENOMEM;
	/* A failed lookup is retried sooner, but not in a tight loop. */
	nm->next_refresh = now + (r->err ? (ttl < 5 ? ttl : 5) : ttl);
	return nch;
}

int hx_name_expire(struct hx_name *nm, int64_t now, struct hx_name_change **changes)
{
	int nch = 0;

	*changes = NULL;
	return drop_expired(nm, now, changes, &nch) ? -ENOMEM : nch;
}

void hx_name_free(struct hx_name *nm)
{
	free(nm->name);
	free(nm->addrs);
	memset(nm, 0, sizeof(*nm));
}
