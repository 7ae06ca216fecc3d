// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "util/container.h"

/* Runtimes' scope names under the systemd driver: "<prefix><id>.scope". */
static const struct {
	const char *prefix;
	const char *runtime;
} scopes[] = {
	{ "docker-", "docker" },
	{ "libpod-", "podman" },
	{ "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },
};

static bool is_lower_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

/* The runtimes all name a container by 64 lowercase hex digits. */
static bool is_hex_id(const char *s, size_t n)
{
	return n == HX_CT_ID_LEN && is_hex(s, n);
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t l = strlen(p);

	return n >= l && !memcmp(s, p, l);
}

static bool has_suffix(const char *s, size_t n, const char *x)
{
	size_t l = strlen(x);

	return n >= l && !memcmp(s + n - l, x, l);
}

/*
 * A pod uid: 36 characters with separators @sep (systemd writes '_' where the
 * uid has '-'), or a static pod's 32 hex digits. Written dashed into @out.
 */
static bool pod_uid(const char *s, size_t n, char sep, char out[37])
{
	if (n == 32) {
		if (!is_hex(s, 32))
			return false;
		memcpy(out, s, 32);
		out[32] = 0;
		return true;
	}
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !is_lower_hex(s[i]))
			return false;
		out[i] = dash ? '-' : s[i];
	}
	out[36] = 0;
	return true;
}

/* A pod's cgroup: "kubepods[-QOS]-pod<uid>.slice" (systemd) or "pod<uid>" (cgroupfs). */
static bool pod_component(const char *s, size_t n, char out[37])
{
	const char *p;

	if (has_prefix(s, n, "pod"))
		return pod_uid(s + 3, n - 3, '-', out);
	if (!has_prefix(s, n, "kubepods") || !has_suffix(s, n, ".slice"))
		return false;
	n -= strlen(".slice");
	for (p = s + n; p > s && !(p[-1] == 'd' && p - s >= 4 && !memcmp(p - 4, "-pod", 4)); p--)
		;
	if (p == s)
		return false;
	return pod_uid(p, (size_t)(s + n - p), '_', out);
}

/* A container's cgroup; @parent is the component above it ("" at the top). */
static bool container_component(const char *s, size_t n, const char *parent, size_t pn,
				struct hx_container *c)
{
	const char *id = NULL, *runtime = NULL;

	if (has_suffix(s, n, ".scope")) {
		n -= strlen(".scope");
		for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]) && !id; i++) {
			if (!has_prefix(s, n, scopes[i].prefix))
				continue;
			id = s + strlen(scopes[i].prefix);
			runtime = scopes[i].runtime;
		}
		if (!id || !is_hex_id(id, (size_t)(s + n - id)))
			return false; /* also the runtimes' monitors: libpod-conmon-<id>, crio-conmon-<id> */
	} else if (has_prefix(s, n, "libpod-") || has_prefix(s, n, "crio-")) {
		/* cgroupfs driver: podman's "libpod_parent/libpod-<id>", cri-o's "crio-<id>" */
		id = s + (s[0] == 'l' ? strlen("libpod-") : strlen("crio-"));
		if (!is_hex_id(id, (size_t)(s + n - id)))
			return false;
		runtime = s[0] == 'l' ? "podman" : "cri-o";
	} else if (is_hex_id(s, n)) {
		id = s;
		/* "/docker/<id>" is docker's; a bare id in a pod is containerd's or cri-dockerd's */
		runtime = pn == 6 && !memcmp(parent, "docker", 6) ? "docker" : NULL;
	} else {
		return false;
	}
	memcpy(c->id, id, HX_CT_ID_LEN);
	c->id[HX_CT_ID_LEN] = 0;
	c->runtime = runtime;
	return true;
}

bool hx_container_from_cgroup(const char *path, struct hx_container *c)
{
	const char *comp[64];
	size_t len[64], n = 0;
	const char *p = path;

	memset(c, 0, sizeof(*c));
	if (!path)
		return false;
	while (*p && n < sizeof(comp) / sizeof(comp[0])) {
		const char *e;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		comp[n] = p;
		len[n++] = (size_t)(e - p);
		p = e;
	}
	/* Innermost first: a container below a pod, a cgroup below a container. */
	for (size_t i = n; i-- > 0;) {
		if (!c->id[0] && !c->pod_uid[0])
			container_component(comp[i], len[i], i ? comp[i - 1] : "",
					    i ? len[i - 1] : 0, c);
		if (!c->pod_uid[0] && pod_component(comp[i], len[i], c->pod_uid))
			break;
	}
	return c->id[0] || c->pod_uid[0];
}
