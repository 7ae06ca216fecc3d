// SPDX-License-Identifier: GPL-2.0
/* journald output of the audit stream (see sink.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <systemd/sd-journal.h>

#include "sink.h"
#include "util/json.h"

#define MAX_FIELDS 1024 /* journal fields of one entry; the JSON field has them all */

struct entry {
	char *line;
	size_t len;
	int priority;
};

struct hx_journal {
	pthread_mutex_t mu;
	pthread_cond_t wake, idle;
	pthread_t thread;
	struct entry *q; /* a ring of HX_JOURNAL_QUEUE_LINES */
	size_t head, count, bytes;
	bool stop, busy;
	int facility;
	/* under mu */
	uint64_t offered, sent, lost[HX_JLOSS_MAX];
	bool last_ok;
	int last_err;
};

size_t hx_journal_name(const char *ecs, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	/* journal field names: A-Z, 0-9 and _, not first a digit or _ (journald's own), <= 64 */
	for (size_t i = 0; i < n && o + 1 < outlen && o < 64; i++) {
		char c = ecs[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		if (!o && (c == '_' || (c >= '0' && c <= '9')))
			continue; /* "@timestamp" -> "TIMESTAMP" */
		out[o++] = c;
	}
	if (outlen)
		out[o] = 0;
	return o;
}

/* An arena of "NAME=value" strings; iov_base holds offsets until the arena stops growing. */
struct fields {
	char *buf;
	size_t len, cap;
	struct iovec *iov;
	size_t n, max;
	bool truncated, oom;
	/* for MESSAGE */
	const char *code, *action, *decision, *rule, *sandbox, *path, *dip, *dport, *exe, *pname;
	size_t code_n, action_n, decision_n, rule_n, sandbox_n, path_n, dip_n, dport_n, exe_n,
		pname_n;
};

static char *reserve(struct fields *f, size_t n)
{
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 4096;
		char *nb;

		while (f->len + n > cap)
			cap *= 2;
		nb = realloc(f->buf, cap);
		if (!nb) {
			f->oom = true;
			return NULL;
		}
		f->buf = nb;
		f->cap = cap;
	}
	return f->buf + f->len;
}

/* Adds NAME=value (value: @n bytes, JSON-decoded first when @json) as one field. */
static void add(struct fields *f, const char *name, const char *v, size_t n, bool json)
{
	size_t nl = strlen(name), vl;
	char *p;

	if (f->n >= f->max) {
		f->truncated = true;
		return;
	}
	/* a decoded string is never longer than its JSON text */
	p = reserve(f, nl + 1 + n + 1);
	if (!p)
		return;
	memcpy(p, name, nl);
	p[nl] = '=';
	if (json) {
		vl = jv_unescape(v, n, p + nl + 1, n + 1);
	} else {
		memcpy(p + nl + 1, v, n);
		vl = n;
	}
	f->iov[f->n].iov_base = (void *)(uintptr_t)f->len;
	f->iov[f->n].iov_len = nl + 1 + vl;
	f->n++;
	f->len += nl + 1 + vl;
}

#define KEEP(f, field, l, p)                                                                       \
	do {                                                                                       \
		if ((l)->pathlen == strlen(p) && !memcmp((l)->path, p, (l)->pathlen)) {            \
			(f)->field = (l)->raw;                                                     \
			(f)->field##_n = (l)->rawlen;                                              \
		}                                                                                  \
	} while (0)

static int leaf(void *ctx, const struct jv_leaf *l)
{
	struct fields *f = ctx;
	char name[72];

	if (l->type == JV_NULL || l->type == JV_EMPTY_ARRAY || l->type == JV_EMPTY_OBJECT)
		return 0; /* ECS: absent */
	if (!hx_journal_name(l->path, l->pathlen, name, sizeof(name)))
		return 0;
	add(f, name, l->raw, l->rawlen, l->type == JV_STRING);
	if (l->type == JV_STRING || l->type == JV_NUMBER) {
		KEEP(f, code, l, "event.code");
		KEEP(f, action, l, "event.action");
		KEEP(f, decision, l, "helixagent.decision");
		KEEP(f, rule, l, "rule.name");
		KEEP(f, sandbox, l, "helixagent.sandbox");
		KEEP(f, path, l, "file.path");
		KEEP(f, dip, l, "destination.ip");
		KEEP(f, dport, l, "destination.port");
		KEEP(f, exe, l, "process.executable");
		KEEP(f, pname, l, "process.name");
	}
	return f->oom ? -ENOMEM : 0;
}

/* MESSAGE: what journalctl shows by default, "permission_denied open /etc/shadow (deny, rule R, sandbox S)". */
static void message(struct fields *f)
{
	char head[8192];
	size_t n = 0;

#define PUT(...)                                                                                   \
	do {                                                                                       \
		int k_ = snprintf(head + n, sizeof(head) - n, __VA_ARGS__);                        \
		n = k_ < 0			  ? n :                                            \
		    n + (size_t)k_ < sizeof(head) ? n + (size_t)k_ :                               \
						    sizeof(head) - 1;                              \
	} while (0)
	PUT("%.*s %.*s", (int)f->code_n, f->code ? f->code : "", (int)f->action_n,
	    f->action ? f->action : "");
	if (f->path)
		PUT(" %.*s", (int)f->path_n, f->path);
	else if (f->dip)
		PUT(" %.*s:%.*s", (int)f->dip_n, f->dip, (int)f->dport_n, f->dport ? f->dport : "");
	else if (f->exe)
		PUT(" %.*s", (int)f->exe_n, f->exe);
	else if (f->pname)
		PUT(" %.*s", (int)f->pname_n, f->pname);
	if (f->decision) {
		PUT(" (%.*s", (int)f->decision_n, f->decision);
		if (f->rule)
			PUT(", rule %.*s", (int)f->rule_n, f->rule);
		if (f->sandbox)
			PUT(", sandbox %.*s", (int)f->sandbox_n, f->sandbox);
		PUT(")");
	}
#undef PUT
	/* the pieces are raw JSON text: decoded once, as a whole */
	add(f, "MESSAGE", head, n, true);
}

int hx_journal_fields(const char *line, size_t len, int priority, int facility, struct iovec *iov,
		      size_t max, char **arena)
{
	struct fields f = { .iov = iov, .max = max };
	char num[16];
	int err;

	*arena = NULL;
	if (max < 6)
		return -EINVAL;
	f.max = max - 6; /* MESSAGE, PRIORITY, SYSLOG_*, HELIXAGENT_JSON and a truncation mark */
	err = jv_walk(line, len, leaf, &f);
	if (err) {
		free(f.buf);
		return err == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	f.max = max;
	message(&f);
	snprintf(num, sizeof(num), "%d", priority);
	add(&f, "PRIORITY", num, strlen(num), false);
	snprintf(num, sizeof(num), "%d", facility);
	add(&f, "SYSLOG_FACILITY", num, strlen(num), false);
	add(&f, "SYSLOG_IDENTIFIER", "helixagent", 10, false);
	add(&f, "HELIXAGENT_JSON", line, len, false);
	if (f.truncated)
		add(&f, "HELIXAGENT_FIELDS_TRUNCATED", "1", 1, false);
	if (f.oom) {
		free(f.buf);
		return -ENOMEM;
	}
	for (size_t i = 0; i < f.n; i++)
		iov[i].iov_base = f.buf + (uintptr_t)iov[i].iov_base;
	*arena = f.buf;
	return (int)f.n;
}

static bool listening(void)
{
	struct stat st;

	return !stat(HX_JOURNAL_SOCKET, &st) && S_ISSOCK(st.st_mode);
}

static void *worker(void *arg)
{
	struct hx_journal *j = arg;
	static __thread struct iovec iov[MAX_FIELDS];

	pthread_mutex_lock(&j->mu);
	for (;;) {
		struct entry e;
		char *arena;
		int n, rc;

		while (!j->count && !j->stop)
			pthread_cond_wait(&j->wake, &j->mu);
		if (!j->count)
			break;
		e = j->q[j->head];
		j->head = (j->head + 1) % HX_JOURNAL_QUEUE_LINES;
		j->count--;
		j->bytes -= e.len;
		j->busy = true;
		pthread_mutex_unlock(&j->mu);

		n = hx_journal_fields(e.line, e.len, e.priority, j->facility, iov, MAX_FIELDS,
				      &arena);
		rc = n < 0 ? n : listening() ? sd_journal_sendv(iov, n) : -ENOENT;
		/*
		 * sd_journal_sendv reports success when journald's socket is gone
		 * (ENOENT): a line lost without a word. Looked at before and after,
		 * such a line is counted lost, at worst one that did arrive.
		 */
		if (!rc && !listening())
			rc = -ENOENT;
		free(arena);
		free(e.line);

		pthread_mutex_lock(&j->mu);
		j->busy = false;
		if (j->stop)
			break; /* close() gave up on this entry and counted it */
		if (rc < 0) {
			j->lost[HX_JLOSS_SEND]++;
			j->last_err = -rc;
			j->last_ok = false;
		} else {
			j->sent++;
			j->last_ok = true;
		}
		if (!j->count)
			pthread_cond_broadcast(&j->idle);
	}
	pthread_cond_broadcast(&j->idle);
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

struct hx_journal *hx_journal_open(int facility, char *err, size_t errlen)
{
	struct hx_journal *j;
	struct stat st;
	int rc;

	/* asked for journald and none listens: say so at start, not line by line */
	if (stat(HX_JOURNAL_SOCKET, &st) || !S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "journald does not listen (%s: %s)", HX_JOURNAL_SOCKET,
			 errno ? strerror(errno) : "not a socket");
		errno = errno ? errno : ENOTSOCK;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (j)
		j->q = calloc(HX_JOURNAL_QUEUE_LINES, sizeof(*j->q));
	if (!j || !j->q) {
		if (j)
			free(j);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	j->facility = facility;
	j->last_ok = true;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->wake, NULL);
	pthread_cond_init(&j->idle, NULL);
	rc = pthread_create(&j->thread, NULL, worker, j);
	if (rc) {
		snprintf(err, errlen, "cannot start its thread: %s", strerror(rc));
		free(j->q);
		free(j);
		errno = rc;
		return NULL;
	}
	return j;
}

int hx_journal_send(struct hx_journal *j, int priority, const char *line, size_t len)
{
	char *copy;

	pthread_mutex_lock(&j->mu);
	j->offered++;
	if (j->count >= HX_JOURNAL_QUEUE_LINES || j->bytes + len > HX_JOURNAL_QUEUE_BYTES ||
	    !(copy = malloc(len + 1))) {
		j->lost[HX_JLOSS_QUEUE]++;
		pthread_mutex_unlock(&j->mu);
		return -ENOBUFS;
	}
	memcpy(copy, line, len);
	copy[len] = 0;
	j->q[(j->head + j->count) % HX_JOURNAL_QUEUE_LINES] = (struct entry){ copy, len, priority };
	j->count++;
	j->bytes += len;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->mu);
	return 0;
}

bool hx_journal_flush(struct hx_journal *j, int ms)
{
	struct timespec until;
	bool empty;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&j->mu);
	while ((j->count || j->busy) && !pthread_cond_timedwait(&j->idle, &j->mu, &until))
		;
	empty = !j->count && !j->busy;
	pthread_mutex_unlock(&j->mu);
	return empty;
}

void hx_journal_close(struct hx_journal *j)
{
	bool flushed;

	if (!j)
		return;
	flushed = hx_journal_flush(j, 1000);
	pthread_mutex_lock(&j->mu);
	/* what journald did not take in time is lost, and counted */
	if (j->busy)
		j->lost[HX_JLOSS_SEND]++;
	while (j->count) {
		free(j->q[j->head].line);
		j->head = (j->head + 1) % HX_JOURNAL_QUEUE_LINES;
		j->count--;
		j->lost[HX_JLOSS_QUEUE]++;
	}
	j->stop = true;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->mu);
	/*
	 * A journald stuck for a second does not hold the daemon's exit: the
	 * thread is left in its send, with the sink it still reads (not freed;
	 * the process is ending), and the entry it holds counts as lost.
	 */
	if (!flushed) {
		pthread_detach(j->thread);
		return;
	}
	pthread_join(j->thread, NULL);
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->idle);
	free(j->q);
	free(j);
}

#define GETTER(name, expr)                                                                         \
	uint64_t hx_journal_##name(const struct hx_journal *j)                                     \
	{                                                                                          \
		struct hx_journal *m = (struct hx_journal *)j;                                     \
		uint64_t v;                                                                        \
                                                                                                   \
		pthread_mutex_lock(&m->mu);                                                        \
		v = (expr);                                                                        \
		pthread_mutex_unlock(&m->mu);                                                      \
		return v;                                                                          \
	}
GETTER(offered, m->offered)
GETTER(sent, m->sent)
GETTER(queued, m->count + m->busy)

uint64_t hx_journal_lost(const struct hx_journal *j, unsigned reason)
{
	struct hx_journal *m = (struct hx_journal *)j;
	uint64_t v = 0;

	pthread_mutex_lock(&m->mu);
	for (unsigned r = 0; r < HX_JLOSS_MAX; r++)
		if (reason == r || reason >= HX_JLOSS_MAX)
			v += m->lost[r];
	pthread_mutex_unlock(&m->mu);
	return v;
}

bool hx_journal_ok(const struct hx_journal *j)
{
	struct hx_journal *m = (struct hx_journal *)j;
	bool ok;

	pthread_mutex_lock(&m->mu);
	ok = m->last_ok;
	pthread_mutex_unlock(&m->mu);
	return ok;
}
