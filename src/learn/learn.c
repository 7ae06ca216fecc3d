// SPDX-License-Identifier: GPL-2.0
/*
 * From observations to rules. The folding rules (docs/learn.md) are the only
 * places where a rule covers more than what was seen:
 *   1. files read or mapped under a system library, locale or data
 *      directory: their deepest common directory within that group, r/x only;
 *   2. a written file with a temporary name (mkstemp's six random
 *      characters): its directory, rw;
 *   3. threshold or more files directly in one directory (not / and not a
 *      directory directly under it): that directory, the union of their
 *      permissions;
 *   4. a directory the workload opened itself: the directory, whose rule
 *      covers its tree (the policy language has no other directory rule).
 * Everything else is one rule per path, per binary, per (address, protocol).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "learn/learn.h"
#include "policy/policy.h"
#include "util/json.h"
#include "util/str.h"

struct lr_path {
	char *path;
	unsigned perms;
	unsigned long count; /* accesses */
	unsigned long files; /* distinct paths folded into it (1: itself) */
	const char *why; /* the folding rule that made it, NULL: as seen */
	char *common; /* a system group's files' deepest common directory */
	bool dir;
};

struct lr_paths {
	struct lr_path *v;
	size_t n, cap;
};

struct lr_conn {
	char addr[64];
	char proto[4];
	unsigned port;
	unsigned long count;
};

struct hx_learn {
	struct hx_learn_opts o;
	struct lr_paths exec, files, skipped;
	struct lr_conn *conn;
	size_t nconn, cconn;
	unsigned long listens;
	unsigned listen_ports[64];
	size_t nlisten;
	struct hx_learn_stats st;
};

/* Directories whose files are the system's, grouped by the first level below. */
static const char *const system_roots[] = {
	"/lib/",
	"/lib32/",
	"/lib64/",
	"/libx32/",
	"/usr/lib/",
	"/usr/lib32/",
	"/usr/lib64/",
	"/usr/libx32/",
	"/usr/local/lib/",
	"/usr/share/locale/",
	"/usr/share/zoneinfo/",
	"/usr/share/i18n/",
	"/usr/share/terminfo/",
	"/lib/terminfo/",
	"/etc/ssl/certs/",
};

struct hx_learn *hx_learn_new(const struct hx_learn_opts *o)
{
	struct hx_learn *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->o = *o;
	return l;
}

static void paths_free(struct lr_paths *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].path);
		free(p->v[i].common);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

void hx_learn_free(struct hx_learn *l)
{
	if (!l)
		return;
	paths_free(&l->exec);
	paths_free(&l->files);
	paths_free(&l->skipped);
	free(l->conn);
	free(l);
}

const struct hx_learn_stats *hx_learn_stats(const struct hx_learn *l)
{
	return &l->st;
}

static struct lr_path *paths_find(struct lr_paths *p, const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].path, path))
			return &p->v[i];
	return NULL;
}

/* Adds @perms and @count to @path's entry, making it if needed. */
static struct lr_path *paths_add(struct lr_paths *p, const char *path, unsigned perms,
				 unsigned long count)
{
	struct lr_path *e = paths_find(p, path);

	if (!e) {
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 32;
			struct lr_path *nv = realloc(p->v, cap * sizeof(*nv));

			if (!nv)
				return NULL;
			p->v = nv;
			p->cap = cap;
		}
		e = &p->v[p->n];
		memset(e, 0, sizeof(*e));
		e->path = strdup(path);
		if (!e->path)
			return NULL;
		e->files = 1;
		p->n++;
	}
	e->perms |= perms;
	e->count += count;
	return e;
}

/*
 * Whether @s can stand in a double-quoted YAML scalar as it is: valid UTF-8 of
 * YAML's printable characters (no C0 or C1 controls, no U+FEFF, U+FFFE,
 * U+FFFF), and neither '"' nor '\\', which would need escapes.
 */
static bool yaml_printable(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0, l; i < n; i += l) {
		uint32_t cp;

		if (!(l = hx_utf8_decode(s + i, n - i, &cp)))
			return false;
		/* controls (C0, DEL, C1), what YAML does not print, and what needs an escape */
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0xfeff || cp == 0xfffe ||
		    cp == 0xffff || cp == '"' || cp == '\\')
			return false;
	}
	return true;
}

/*
 * @p in the one spelling a rule has (single slashes, no trailing one) into
 * @out (@len bytes), if a rule can name it: absolute, printable, no "." or
 * ".." component. A kernel path is already so; a log line may not be.
 */
static bool learnable_path(const char *p, char *out, size_t len)
{
	size_t n = 0;

	if (p[0] != '/' || !yaml_printable(p))
		return false;
	while (*p) {
		const char *e;
		size_t cl;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		e = strchrnul(p, '/');
		cl = (size_t)(e - p);
		if ((cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (n + 1 + cl + 1 > len)
			return false;
		out[n++] = '/';
		memcpy(out + n, p, cl);
		n += cl;
		p = e;
	}
	if (!n)
		out[n++] = '/';
	out[n] = 0;
	return true;
}

/* /proc/<pid>/...: the same file has another name in the next run. */
static bool pid_specific(const char *p)
{
	if (strncmp(p, "/proc/", 6))
		return false;
	p += 6;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == '/' || !*p;
}

int hx_learn_exec(struct hx_learn *l, const char *seen)
{
	char path[4096];

	if (!learnable_path(seen, path, sizeof(path))) {
		l->st.unlearnable++;
		return paths_add(&l->skipped, "an executable with an unprintable or relative name",
				 0, 1) ?
			       0 :
			       -ENOMEM;
	}
	l->st.used++;
	return paths_add(&l->exec, path, HX_LR_X, 1) ? 0 : -ENOMEM;
}

int hx_learn_file(struct hx_learn *l, const char *seen, unsigned perms)
{
	const char *why = NULL;
	char path[4096];

	if (!learnable_path(seen, path, sizeof(path)))
		why = "a file with an unprintable or relative name";
	else if (pid_specific(path))
		why = "/proc/PID/... of a process (another pid in the next run)";
	if (why) {
		l->st.unlearnable++;
		return paths_add(&l->skipped, why, 0, 1) ? 0 : -ENOMEM;
	}
	l->st.used++;
	return paths_add(&l->files, path, perms & (HX_LR_R | HX_LR_W | HX_LR_X), 1) ? 0 : -ENOMEM;
}

int hx_learn_connect(struct hx_learn *l, const char *addr_seen, unsigned port, const char *proto)
{
	char addr[INET6_ADDRSTRLEN];
	struct lr_conn *c;

	/* one address is one rule however it was spelled */
	if (!hx_addr_canon(addr_seen, addr)) {
		l->st.unlearnable++;
		return paths_add(&l->skipped, "a connection to something that is not an address", 0,
				 1) ?
			       0 :
			       -ENOMEM;
	}

	for (size_t i = 0; i < l->nconn; i++) {
		c = &l->conn[i];
		if (!strcmp(c->addr, addr) && c->port == port && !strcmp(c->proto, proto)) {
			c->count++;
			l->st.used++;
			return 0;
		}
	}
	if ((strcmp(proto, "tcp") && strcmp(proto, "udp")) || !port || port > 65535) {
		l->st.unlearnable++;
		return paths_add(&l->skipped, "a connection without address, port or protocol", 0,
				 1) ?
			       0 :
			       -ENOMEM;
	}
	if (l->nconn == l->cconn) {
		size_t cap = l->cconn ? l->cconn * 2 : 16;
		struct lr_conn *nv = realloc(l->conn, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->conn = nv;
		l->cconn = cap;
	}
	c = &l->conn[l->nconn++];
	memset(c, 0, sizeof(*c));
	hx_strlcpy(c->addr, addr, sizeof(c->addr));
	hx_strlcpy(c->proto, proto, sizeof(c->proto));
	c->port = port;
	c->count = 1;
	l->st.used++;
	return 0;
}

int hx_learn_listen(struct hx_learn *l, unsigned port, const char *proto)
{
	(void)proto;
	l->listens++;
	l->st.used++;
	for (size_t i = 0; i < l->nlisten; i++)
		if (l->listen_ports[i] == port)
			return 0;
	if (l->nlisten < sizeof(l->listen_ports) / sizeof(l->listen_ports[0]))
		l->listen_ports[l->nlisten++] = port;
	return 0;
}

/* ---- the folding rules ---- */

bool hx_learn_is_temp_name(const char *name)
{
	size_t n = strlen(name);
	const char *t;
	bool up = false, low = false, dig = false;

	if (n < 6)
		return false;
	t = name + n - 6;
	/* mkstemp's six characters: alone, or after a prefix that ends in . - _ or "tmp" */
	if (n > 6 && !strchr(".-_", t[-1]) && !(n >= 9 && !strncmp(t - 3, "tmp", 3)))
		return false;
	for (const char *c = t; *c; c++) {
		if (*c >= 'A' && *c <= 'Z')
			up = true;
		else if (*c >= 'a' && *c <= 'z')
			low = true;
		else if (*c >= '0' && *c <= '9')
			dig = true;
		else
			return false;
	}
	/* random letters and digits mix classes; a word ("config", "output") does not */
	return up + low + dig >= 2;
}

const char *hx_learn_system_group(const char *path, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(system_roots) / sizeof(system_roots[0]); i++) {
		size_t rl = strlen(system_roots[i]);
		const char *rest, *slash;

		if (strncmp(path, system_roots[i], rl))
			continue;
		rest = path + rl;
		slash = strchr(rest, '/');
		/* a file right in the root: the root; deeper: the root's subdirectory */
		if (slash)
			rl = (size_t)(slash - path) + 1;
		if (rl >= len)
			return NULL;
		memcpy(buf, path, rl);
		buf[rl] = 0;
		return buf;
	}
	return NULL;
}

/* Shortens @dir (ending in '/') to the deepest directory that also holds @path. */
static void common_dir(char *dir, const char *path)
{
	size_t i = 0, last = 0;

	while (dir[i] && dir[i] == path[i]) {
		if (dir[i] == '/')
			last = i;
		i++;
	}
	if (!dir[i] && dir[i - 1] == '/')
		return; /* @path is inside @dir */
	dir[last + 1] = 0;
}

static int depth(const char *dir)
{
	int d = 0;

	for (const char *p = dir + 1; *p; p++)
		if (*p == '/')
			d++;
	return d; /* "/" 0, "/etc/" 1, "/etc/app/" 2 */
}

static void parent_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = (size_t)(slash - path) + 1;

	if (n >= len)
		n = len - 1;
	memcpy(buf, path, n);
	buf[n] = 0;
}

static bool covers(const struct lr_path *dir, const struct lr_path *p)
{
	size_t n = strlen(dir->path);

	/* directory rules end in '/', so a prefix is a whole component */
	return dir != p && dir->dir && dir->path[n - 1] == '/' && !strncmp(dir->path, p->path, n) &&
	       (p->perms & ~dir->perms) == 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct lr_path *)a)->path, ((const struct lr_path *)b)->path);
}

/* The filesystem rules, folded. */
static int fold_files(struct hx_learn *l, struct lr_paths *out)
{
	struct lr_paths groups = { 0 }; /* by system group */
	char buf[4096];
	int rc = -ENOMEM;

	/* rules 1, 2, 4; the rest as seen */
	for (size_t i = 0; i < l->files.n; i++) {
		const struct lr_path *f = &l->files.v[i];
		const char *name = strrchr(f->path, '/') + 1;
		struct lr_path *r;
		struct stat st;
		const char *g;

		if (!(f->perms & HX_LR_W) &&
		    (g = hx_learn_system_group(f->path, buf, sizeof(buf)))) {
			struct lr_path *gr = paths_add(&groups, g, f->perms, f->count);

			if (!gr)
				goto nomem;
			/* narrowed to the deepest directory that holds every file of the group */
			parent_of(f->path, buf, sizeof(buf));
			if (!gr->common) {
				gr->common = strdup(buf);
				gr->files = 0;
				if (!gr->common)
					goto nomem;
			} else {
				common_dir(gr->common, f->path);
			}
			gr->files++;
			continue;
		}
		if ((f->perms & HX_LR_W) && hx_learn_is_temp_name(name) && name > f->path + 1) {
			parent_of(f->path, buf, sizeof(buf));
			r = paths_add(out, buf, f->perms | HX_LR_R | HX_LR_W, f->count);
			if (!r)
				goto nomem;
			if (!r->why) {
				r->files = 0;
				r->why = "temporary names";
			}
			r->files++;
			r->dir = true;
			continue;
		}
		if (!strcmp(f->path, "/")) {
			/* a rule for / would be every file */
			l->st.unlearnable++;
			if (!paths_add(&l->skipped, "/ itself (a listing of the root directory)", 0,
				       f->count))
				goto nomem;
			continue;
		}
		if (!stat(f->path, &st) && S_ISDIR(st.st_mode)) {
			snprintf(buf, sizeof(buf), "%s%s", f->path,
				 f->path[strlen(f->path) - 1] == '/' ? "" : "/");
			r = paths_add(out, buf, f->perms, f->count);
			if (!r)
				goto nomem;
			r->dir = true;
			r->why = "directory opened (covers its tree)";
			continue;
		}
		r = paths_add(out, f->path, f->perms, f->count);
		if (!r)
			goto nomem;
	}
	for (size_t i = 0; i < groups.n; i++) {
		struct lr_path *g = &groups.v[i],
			       *r = paths_add(out, g->common, g->perms, g->count);

		if (!r)
			goto nomem;
		r->dir = true;
		r->files = g->files;
		r->why = "system directory";
	}

	/* rule 3: threshold or more files directly in one directory */
	if (l->o.fold_threshold) {
		for (size_t i = 0; i < out->n; i++) {
			struct lr_path *d;
			unsigned long n = 0, cnt = 0;
			unsigned perms = 0;

			if (out->v[i].dir)
				continue;
			parent_of(out->v[i].path, buf, sizeof(buf));
			if (depth(buf) < 2 || paths_find(out, buf))
				continue;
			for (size_t j = 0; j < out->n; j++) {
				char pb[4096];

				if (out->v[j].dir)
					continue;
				parent_of(out->v[j].path, pb, sizeof(pb));
				if (!strcmp(pb, buf)) {
					n++;
					cnt += out->v[j].count;
					perms |= out->v[j].perms;
				}
			}
			if (n < l->o.fold_threshold)
				continue;
			d = paths_add(out, buf, perms, cnt);
			if (!d)
				goto nomem;
			d->dir = true;
			d->files = n;
			d->why = "files of one directory";
		}
	}

	/* one path, one rule: a name seen as a file and as a directory (not at once) */
	for (size_t i = 0; i < out->n; i++) {
		size_t n = strlen(out->v[i].path);

		if (!out->v[i].dir || n < 2)
			continue;
		for (size_t j = 0; j < out->n; j++) {
			if (out->v[j].dir || strncmp(out->v[j].path, out->v[i].path, n - 1) ||
			    out->v[j].path[n - 1])
				continue;
			out->v[i].perms |= out->v[j].perms;
			out->v[i].count += out->v[j].count;
			free(out->v[j].path);
			out->v[j] = out->v[--out->n];
			if (i == out->n)
				i = j; /* the directory moved into the freed place */
			j--;
		}
	}

	/* drop what a directory rule already covers */
	for (size_t i = 0; i < out->n;) {
		bool covered = false;

		for (size_t j = 0; j < out->n && !covered; j++)
			covered = covers(&out->v[j], &out->v[i]);
		if (covered) {
			free(out->v[i].path);
			out->v[i] = out->v[--out->n];
		} else {
			i++;
		}
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(out->v[0]), cmp_path);
	rc = 0;
nomem:
	paths_free(&groups);
	return rc;
}

/* ---- audit lines ---- */

static const char *jstr(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static unsigned perms_of(const char *acc)
{
	unsigned p = 0;

	for (; acc && *acc; acc++)
		p |= *acc == 'r' ? HX_LR_R : *acc == 'w' ? HX_LR_W : *acc == 'x' ? HX_LR_X : 0;
	return p;
}

int hx_learn_audit_line(struct hx_learn *l, const char *line, size_t len)
{
	const char *sandbox, *decision, *family, *action, *path, *rule, *reason;
	json_t *o, *hx;
	int rc = 0;

	l->st.lines++;
	o = json_loadb(line, len, 0, NULL);
	if (!json_is_object(o)) {
		l->st.bad++;
		json_decref(o);
		return 0;
	}
	hx = json_object_get(o, "helixagent");
	if (json_is_integer(json_object_get(hx, "dropped"))) {
		/* lost or rate-limited events: learning cannot know what they held */
		l->st.dropped += (unsigned long)json_integer_value(json_object_get(hx, "dropped"));
		l->st.other++;
		goto out;
	}
	sandbox = jstr(o, "helixagent", "sandbox");
	decision = jstr(o, "helixagent", "decision");
	family = jstr(o, "helixagent", "family");
	action = jstr(o, "event", "action");
	path = jstr(o, "file", "path");
	rule = jstr(o, "rule", "name");
	if (!sandbox || strcmp(sandbox, l->o.sandbox) || !decision || !family || !action) {
		l->st.other++;
		goto out;
	}
	if (!strcmp(decision, "deny")) {
		l->st.enforced++;
		goto out;
	}
	if (strcmp(decision, "audit")) {
		l->st.other++;
		goto out;
	}
	reason = jstr(o, "helixagent", "reason");
	if ((reason && (!strcmp(reason, "baseline") || !strcmp(reason, "guard"))) ||
	    !strcmp(family, "guard") || json_is_true(json_object_get(hx, "path_incomplete")) ||
	    (rule && (!strcmp(rule, "exec.fileless") || !strcmp(rule, "capabilities.drop") ||
		      !strcmp(rule, "process.no_new_privileges")))) {
		/* refused whatever the rules say, or not nameable by a rule */
		l->st.unlearnable++;
		rc = paths_add(&l->skipped, rule ? rule : "an event with an incomplete path", 0,
			       1) ?
			     0 :
			     -ENOMEM;
		goto out;
	}
	if (!strcmp(family, "exec") && !strcmp(action, "exec") && path) {
		rc = hx_learn_exec(l, path);
	} else if (!strcmp(family, "filesystem") && path) {
		unsigned p = perms_of(jstr(o, "helixagent", "access"));

		/* creations, removals, renames and attribute changes write */
		rc = hx_learn_file(l, path, p ? p : HX_LR_W);
	} else if (!strcmp(family, "network")) {
		json_t *port = json_object_get(json_object_get(o, "destination"), "port");
		const char *ip = jstr(o, "destination", "ip");
		const char *proto = jstr(o, "network", "transport");

		if (!strcmp(action, "bind") || !strcmp(action, "listen")) {
			rc = hx_learn_listen(l, (unsigned)json_integer_value(port), proto);
		} else if ((!strcmp(action, "connect") || !strcmp(action, "sendmsg")) && ip &&
			   json_is_integer(port) && proto) {
			rc = hx_learn_connect(l, ip, (unsigned)json_integer_value(port), proto);
		} else {
			l->st.unlearnable++;
			rc = paths_add(&l->skipped, action, 0, 1) ? 0 : -ENOMEM;
		}
	} else {
		l->st.other++;
	}
out:
	json_decref(o);
	return rc;
}

/* ---- output ---- */

static const char *perms_str(unsigned p, char buf[4])
{
	int n = 0;

	if (p & HX_LR_R)
		buf[n++] = 'r';
	if (p & HX_LR_W)
		buf[n++] = 'w';
	if (p & HX_LR_X)
		buf[n++] = 'x';
	if (!n)
		buf[n++] = 'r';
	buf[n] = 0;
	return buf;
}

/* Text from the audit log or the command line in a comment: printable ASCII only. */
static void comment_text(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s >= 0x20 && *s < 0x7f ? *s : '?', out);
}

static const char *plural(unsigned long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static int cmp_conn(const void *a, const void *b)
{
	const struct lr_conn *x = a, *y = b;
	int c = strcmp(x->addr, y->addr);

	if (!c)
		c = strcmp(x->proto, y->proto);
	return c ? c : (int)x->port - (int)y->port;
}

int hx_learn_write(struct hx_learn *l, FILE *out)
{
	struct lr_paths files = { 0 };
	const struct hx_learn_stats *s = &l->st;
	char pb[4];
	int rc;

	rc = fold_files(l, &files);
	if (rc) {
		paths_free(&files);
		return rc;
	}
	if (l->exec.n)
		qsort(l->exec.v, l->exec.n, sizeof(l->exec.v[0]), cmp_path);
	if (l->nconn)
		qsort(l->conn, l->nconn, sizeof(l->conn[0]), cmp_conn);

	fprintf(out, "# Written by `helixagent learn` from ");
	comment_text(out, l->o.source ? l->o.source : "audit events");
	fprintf(out, ".\n");
	fprintf(out,
		"# %lu audit lines: %lu observations used, %lu not learnable, %lu of other sandboxes or kinds",
		s->lines, s->used, s->unlearnable, s->other);
	if (s->enforced)
		fprintf(out, ", %lu enforced denials ignored (learn from a sandbox in audit mode)",
			s->enforced);
	if (s->dropped)
		fprintf(out, ", %lu EVENTS LOST: this policy may lack rules", s->dropped);
	fprintf(out,
		".\n# Each rule says how many accesses produced it; the folding rules are in docs/learn.md.\n");
	for (size_t i = 0; i < l->skipped.n; i++) {
		fprintf(out, "# not learnable (%lu): ", l->skipped.v[i].count);
		comment_text(out, l->skipped.v[i].path);
		fputc('\n', out);
	}
	fprintf(out, "sandboxes:\n  %s:\n", l->o.sandbox);
	if (l->o.network_host)
		fprintf(out, "    process:\n      network_mode: host\n");

	fprintf(out, "    exec:\n      default_policy: deny\n");
	if (l->exec.n)
		fprintf(out, "      allowed:\n");
	for (size_t i = 0; i < l->exec.n; i++)
		fprintf(out, "        - \"%s\"  # %lu %s\n", l->exec.v[i].path, l->exec.v[i].count,
			plural(l->exec.v[i].count, "exec", "execs"));

	fprintf(out, "    filesystem:\n      default_policy: deny\n");
	if (files.n)
		fprintf(out, "      allowed_paths:\n");
	for (size_t i = 0; i < files.n; i++) {
		const struct lr_path *f = &files.v[i];

		fprintf(out, "        - {path: \"%s\", permissions: %s}  # %lu %s", f->path,
			perms_str(f->perms, pb), f->count, plural(f->count, "access", "accesses"));
		if (f->why)
			fprintf(out, " of %lu %s: %s", f->files, plural(f->files, "path", "paths"),
				f->why);
		fputc('\n', out);
	}

	fprintf(out, "    network:\n      default_policy: deny\n      allow_inbound: %s",
		l->listens ? "true" : "false");
	if (l->listens) {
		fprintf(out, "  # %lu %s, port%s", l->listens,
			plural(l->listens, "bind or listen", "binds or listens"),
			l->nlisten == 1 ? "" : "s");
		for (size_t i = 0; i < l->nlisten; i++)
			fprintf(out, "%s %u", i ? "," : "", l->listen_ports[i]);
	}
	fputc('\n', out);
	if (l->nconn)
		fprintf(out, "      allowed_hosts:\n");
	for (size_t i = 0; i < l->nconn;) {
		size_t j = i;
		unsigned long cnt = 0;

		fprintf(out, "        - {host: \"%s\", ports: [", l->conn[i].addr);
		for (; j < l->nconn && !strcmp(l->conn[j].addr, l->conn[i].addr) &&
		       !strcmp(l->conn[j].proto, l->conn[i].proto);
		     j++) {
			fprintf(out, "%s%u", j > i ? ", " : "", l->conn[j].port);
			cnt += l->conn[j].count;
		}
		fprintf(out, "], protocol: %s}  # %lu %s\n", l->conn[i].proto, cnt,
			plural(cnt, "connection or datagram", "connections or datagrams"));
		i = j;
	}
	paths_free(&files);
	return ferror(out) ? -EIO : 0;
}
