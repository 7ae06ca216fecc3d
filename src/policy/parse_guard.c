// SPDX-License-Identifier: GPL-2.0
/*
 * The guard family: command_validation: (the seed's tools.security, checked
 * by the launcher; blocked_commands also go to the kernel) and containment:
 * (mounts, kernel tunables, raw devices, network admin, the clock).
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* ---- command validation (the seed's tools.security) ---- */

/*
 * What regcomp() is asked to build, bounded before it is called: glibc
 * copies the operand of every repetition ("a+" is "aa*", "a{3}" is "aaa"),
 * so stacked or nested repetitions grow exponentially ("a++++++...",
 * "((a+)+)+"). re_*() estimate the size of the tree it builds.
 */
#define RE_MAX_NODES 10000ul
#define RE_CAP (1ul << 30)

static unsigned long re_add(unsigned long a, unsigned long b)
{
	return a + b > RE_CAP ? RE_CAP : a + b;
}

static unsigned long re_mul(unsigned long a, unsigned long b)
{
	return a && b > RE_CAP / a ? RE_CAP : a * b;
}

static unsigned long re_alt(const char **pp, int depth);

static unsigned long re_atom(const char **pp, int depth)
{
	const char *p = *pp;
	unsigned long n = 1;

	if (*p == '(') {
		p++;
		n = depth < 64 ? re_add(re_alt(&p, depth + 1), 1) : RE_CAP;
		if (*p == ')')
			p++;
	} else if (*p == '[') {
		p++;
		if (*p == '^')
			p++;
		if (*p == ']')
			p++;
		while (*p && *p != ']') {
			if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
				char close = p[1];

				for (p += 2; *p && !(*p == close && p[1] == ']'); p++)
					;
				if (*p)
					p += 2;
			} else {
				p++;
			}
		}
		if (*p)
			p++;
	} else if (*p == '\\' && p[1]) {
		p += 2;
	} else if (*p) {
		p++;
	}
	*pp = p;
	return n;
}

static unsigned long re_piece(const char **pp, int depth)
{
	unsigned long n = re_atom(pp, depth);
	const char *p = *pp;

	for (;;) {
		if (*p == '*' || *p == '?') {
			n = re_add(n, 1);
			p++;
		} else if (*p == '+') {
			n = re_add(re_mul(n, 2), 1);
			p++;
		} else if (*p == '{' && (p[1] == ',' || (p[1] >= '0' && p[1] <= '9'))) {
			unsigned long lo, hi;
			char *end;

			lo = strtoul(p + 1, &end, 10);
			hi = lo;
			if (*end == ',')
				hi = end[1] == '}' ? lo + 1 : strtoul(end + 1, &end, 10);
			while (*end && *end != '}')
				end++;
			if (hi > 255 || lo > 255)
				return RE_CAP;
			n = re_mul(n, (hi > lo ? hi : lo) + 1);
			p = *end ? end + 1 : end;
		} else {
			break;
		}
	}
	*pp = p;
	return n;
}

static unsigned long re_alt(const char **pp, int depth)
{
	unsigned long n = 0;

	while (**pp && **pp != ')') {
		if (**pp == '|') {
			(*pp)++;
			n = re_add(n, 1);
			continue;
		}
		n = re_add(n, re_piece(pp, depth));
	}
	return n;
}

static const char *regex_too_costly(const char *s)
{
	unsigned long n = 0;
	const char *p = s;

	if (strlen(s) > 1024)
		return "longer than 1024 bytes";
	while (*p) {
		n = re_add(n, re_alt(&p, 0));
		if (*p == ')')
			p++; /* unmatched: regcomp() says so */
	}
	if (n > RE_MAX_NODES)
		return "its repetitions expand to more than 10000 nodes (each counted repetition at most 255)";
	return NULL;
}
static void pattern_item(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
			 const char *key, void *out)
{
	const char *why;
	char msg[128];
	regex_t re;
	int rc;

	if (!*s) {
		err(c, n, "'blocked_patterns' entry is empty");
		return;
	}
	why = regex_too_costly(s);
	if (why) {
		err(c, n, "pattern '%s' is refused: %s", s, why);
		return;
	}
	rc = regcomp(&re, s, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &re, msg, sizeof(msg));
		err(c, n, "'%s' is not a POSIX extended regular expression: %s", s, msg);
		return;
	}
	regfree(&re);
	hx_p_add_once(c, n, out, s);
}

static void cmd_patterns(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			 void *loc)
{
	struct hx_cmd_validation *cv = obj;

	hx_p_each(c, v, "blocked_patterns", pattern_item, &cv->blocked_patterns);
	if (cv->blocked_patterns.n)
		warn(c, kn,
		     "blocked_patterns are regular expressions the kernel cannot match: `helixagent exec --shell` checks them against the command string before anything runs; programs started later from inside the sandbox are not checked against them (blocked_commands also apply in the kernel, to every exec)");
}

static const struct pkey cmd_keys[] = {
	{ "enabled", PK_TRI, AT(struct hx_cmd_validation, enabled) },
	{ "blocked_commands", PK_COMMANDS, AT(struct hx_cmd_validation, blocked_commands) },
	{ "allowed_commands", PK_COMMANDS, AT(struct hx_cmd_validation, allowed_commands) },
	{ "blocked_patterns", PK_FN, .fn = cmd_patterns },
	{ 0 },
};

static const struct psection cmd_section = { .name = "command_validation", .keys = cmd_keys };

void hx_p_cmd(struct pctx *c, const struct ynode *n, struct hx_cmd_validation *cv)
{
	hx_p_walk(c, n, NULL, &cmd_section, cv, NULL);
}

/* ---- containment ---- */

static const char *const mount_type_names[HX_MT_COUNT] = {
	"tmpfs", "proc", "sysfs", "mqueue", "devpts", "ramfs", "overlay", "bind",
};

const char *hx_mount_type_name(unsigned i)
{
	return i < HX_MT_COUNT ? mount_type_names[i] : NULL;
}

static void mount_item(struct pctx *c, const struct ynode *n, const char *s, size_t idx,
		       const char *key, void *out)
{
	struct hx_containment *ct = out;
	unsigned t;

	for (t = 0; t < HX_MT_COUNT; t++)
		if (!strcmp(s, mount_type_names[t]))
			break;
	if (t == HX_MT_COUNT)
		err(c, n,
		    "'mount': '%s' is not a mount type a sandbox may be given (tmpfs, proc, sysfs, mqueue, devpts, ramfs, overlay, bind)",
		    s);
	else
		ct->mount_types |= 1u << t;
}

static void parse_mount_types(struct pctx *c, const struct ynode *v, struct hx_containment *ct)
{
	if (v->kind == Y_SEQ) {
		ct->mount_set = true;
		ct->mount_types = 0;
	}
	hx_p_each(c, v, "mount", mount_item, ct);
}

static void contain_mount(struct pctx *c, const struct ynode *kn, const struct ynode *v, void *obj,
			  void *loc)
{
	parse_mount_types(c, v, obj);
}

static const struct pkey contain_keys[] = {
	{ "mount", PK_FN, .fn = contain_mount },
	{ "kernel_tunables", PK_TRI, AT(struct hx_containment, kernel_tunables) },
	{ "raw_devices", PK_TRI, AT(struct hx_containment, raw_devices) },
	{ "network_admin", PK_TRI, AT(struct hx_containment, network_admin) },
	{ "system_time", PK_TRI, AT(struct hx_containment, system_time) },
	{ 0 },
};

static const struct psection contain_section = { .name = "containment", .keys = contain_keys };

void hx_p_containment(struct pctx *c, const struct ynode *n, struct hx_containment *ct)
{
	hx_p_walk(c, n, NULL, &contain_section, ct, NULL);
}
