// SPDX-License-Identifier: GPL-2.0
/*
 * The /metrics endpoint on libmicrohttpd, driven by the daemon's epoll loop.
 *
 * Connections are budgeted so that a liveness probe is never queued behind
 * scrapers: `conns` connections may ask for anything; past them, up to
 * `health_reserve` more are admitted, and those may only ask for /healthz.
 * A connection cannot know its path before its request line arrives, so the
 * budget is decided when it is accepted, and a reserve connection gets a
 * short deadline instead of the scrapers' one. A connection carries one
 * request (libmicrohttpd closes a connection whose answer is queued at the
 * handler's first call, as here) and has a deadline from its start to the
 * end of its answer: libmicrohttpd's own timeout only counts idle time,
 * which a client sending one byte now and then never reaches.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "metrics.h"
#include "util/str.h"

struct slot {
	struct MHD_Connection *c; /* NULL: free */
	int fd;
	bool reserve; /* admitted past the general budget: /healthz only */
	bool cut; /* past its deadline, shut down; libmicrohttpd closes it */
	uint64_t since_ms; /* accepted at */
};

struct hx_metrics {
	struct MHD_Daemon *d;
	hx_metrics_render_fn render;
	hx_metrics_healthy_fn healthy;
	void *ctx;
	int fd;
	uint64_t scrapes;
	struct hx_metrics_limits lim;
	struct slot *slots; /* lim.conns + lim.health_reserve */
	uint64_t refused, cut;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t nslots(const struct hx_metrics *m)
{
	return (size_t)m->lim.conns + m->lim.health_reserve;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **sctx,
			enum MHD_ConnectionNotificationCode code)
{
	struct hx_metrics *m = cls;
	struct slot *free_slot = NULL;
	unsigned general = 0;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct slot *s = *sctx;

		if (s)
			memset(s, 0, sizeof(*s));
		*sctx = NULL;
		return;
	}
	for (size_t i = 0; i < nslots(m); i++) {
		if (!m->slots[i].c) {
			if (!free_slot)
				free_slot = &m->slots[i];
		} else if (!m->slots[i].reserve) {
			general++;
		}
	}
	*sctx = free_slot;
	if (!free_slot) {
		/* libmicrohttpd's limit is the table's size: cannot happen; never serve untracked */
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		if (ci)
			shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	free_slot->c = c;
	free_slot->fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)->connect_fd;
	free_slot->reserve = general >= m->lim.conns;
	free_slot->cut = false;
	free_slot->since_ms = now_ms();
}

static struct slot *slot_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *body, size_t len, bool close)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (close)
		MHD_add_response_header(r, "Connection", "close");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* The endpoint's own budget, after the daemon's metrics: a scraper shut out shows here. */
static void render_self(const struct hx_metrics *m, struct hx_buf *b)
{
	struct hx_metrics_conn_stats st;

	hx_metrics_conn_stats(m, &st);
	hx_prom_family(
		b, "helixagent_http_connections", "gauge",
		"Open connections to this endpoint: general budget, and the reserve kept for /healthz.");
	hx_prom_u64(b, "helixagent_http_connections", (const char *[]){ "pool", "general", NULL },
		    st.open);
	hx_prom_u64(b, "helixagent_http_connections", (const char *[]){ "pool", "reserve", NULL },
		    st.reserve_open);
	hx_prom_family(b, "helixagent_http_connection_limit", "gauge",
		       "Connections each pool takes at most.");
	hx_prom_u64(b, "helixagent_http_connection_limit",
		    (const char *[]){ "pool", "general", NULL }, m->lim.conns);
	hx_prom_u64(b, "helixagent_http_connection_limit",
		    (const char *[]){ "pool", "reserve", NULL }, m->lim.health_reserve);
	hx_prom_family(b, "helixagent_http_refused_total", "counter",
		       "Requests other than /healthz that arrived on a reserve connection (503).");
	hx_prom_u64(b, "helixagent_http_refused_total", NULL, st.refused);
	hx_prom_family(b, "helixagent_http_deadline_closed_total", "counter",
		       "Connections shut down because they outlasted their deadline.");
	hx_prom_u64(b, "helixagent_http_deadline_closed_total", NULL, st.cut);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	static const char text[] = "text/plain; charset=utf-8";
	struct hx_metrics *m = cls;
	struct slot *s = slot_of(c);
	enum MHD_Result rc;

	if (!strcmp(url, "/healthz")) {
		bool ok = !m->healthy || m->healthy(m->ctx);
		bool close = s && s->reserve;

		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "GET only\n", 9, close);
		return ok ? reply(c, MHD_HTTP_OK, text, "ok\n", 3, close) :
			    reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, "enforcement not active\n",
				  23, close);
	}
	if (!s || s->reserve) {
		char msg[160];
		int n = snprintf(msg, sizeof(msg),
				 "busy: %u connections are open; the rest are kept for /healthz\n",
				 m->lim.conns);

		m->refused++;
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, msg, (size_t)n, true);
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "GET only\n", 9, false);
	if (!strcmp(url, "/metrics")) {
		struct hx_buf b = { 0 };

		m->render(m->ctx, &b);
		hx_prom_process(&b);
		render_self(m, &b);
		m->scrapes++;
		if (b.oom) {
			hx_buf_free(&b);
			return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "out of memory\n", 14,
				     false);
		}
		rc = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
			   b.p ? b.p : "", b.len, false);
		hx_buf_free(&b);
		return rc;
	}
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, text, "helixagent: /metrics /healthz\n", 30, false);
	return reply(c, MHD_HTTP_NOT_FOUND, text, "not found\n", 10, false);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[256], *colon;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	int rc;

	if (hx_strlcpy(host, listen, sizeof(host)) >= sizeof(host) ||
	    !(colon = strrchr(host, ':')) || colon == host || !colon[1]) {
		snprintf(err, errlen, "'%s' is not HOST:PORT", listen);
		return -EINVAL;
	}
	*colon = 0;
	if (host[0] == '[') {
		size_t l = strlen(host);

		if (l < 3 || host[l - 1] != ']') {
			snprintf(err, errlen, "'%s' is not [IPv6]:PORT", listen);
			return -EINVAL;
		}
		host[l - 1] = 0;
		memmove(host, host + 1, l - 1);
	}
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "cannot resolve '%s': %s", listen, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

struct hx_metrics *hx_metrics_start_limits(const char *listen, const struct hx_metrics_limits *lim,
					   hx_metrics_render_fn render,
					   hx_metrics_healthy_fn healthy, void *ctx, char *err,
					   size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct hx_metrics *m;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL;
	int rc;

	err[0] = 0;
	if (!lim->conns || !lim->health_reserve || !lim->exchange_ms || !lim->reserve_ms) {
		snprintf(err, errlen, "every connection limit and deadline must be above zero");
		errno = EINVAL;
		return NULL;
	}
	rc = parse_listen(listen, &ss, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->render = render;
	m->healthy = healthy;
	m->ctx = ctx;
	m->lim = *lim;
	m->slots = calloc(nslots(m), sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * The limit is the slot table's size: past it, new connections wait in
	 * the listen backlog. libmicrohttpd's idle timeout (whole seconds) backs
	 * up the deadline hx_metrics_run enforces.
	 */
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)nslots(m),
				MHD_OPTION_CONNECTION_TIMEOUT, (lim->exchange_ms + 999) / 1000,
				MHD_OPTION_NOTIFY_CONNECTION, notify_conn, m, MHD_OPTION_END);
	if (!m->d) {
		int e = errno ? errno : EADDRINUSE;

		snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(e));
		free(m->slots);
		free(m);
		errno = e;
		return NULL;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	m->fd = info ? info->epoll_fd : -1;
	if (m->fd < 0) {
		snprintf(err, errlen, "libmicrohttpd has no epoll descriptor");
		MHD_stop_daemon(m->d);
		free(m->slots);
		free(m);
		errno = ENOTSUP;
		return NULL;
	}
	return m;
}

struct hx_metrics *hx_metrics_start(const char *listen, hx_metrics_render_fn render,
				    hx_metrics_healthy_fn healthy, void *ctx, char *err,
				    size_t errlen)
{
	static const struct hx_metrics_limits lim = HX_METRICS_LIMITS_DEFAULT;

	return hx_metrics_start_limits(listen, &lim, render, healthy, ctx, err, errlen);
}

int hx_metrics_fd(const struct hx_metrics *m)
{
	return m->fd;
}

void hx_metrics_run(struct hx_metrics *m)
{
	uint64_t now = now_ms();

	/*
	 * shutdown(), not close(): the descriptor stays libmicrohttpd's, which
	 * sees the end of the stream in the MHD_run below and frees the slot.
	 */
	for (size_t i = 0; i < nslots(m); i++) {
		struct slot *s = &m->slots[i];

		if (!s->c || s->cut ||
		    now - s->since_ms < (s->reserve ? m->lim.reserve_ms : m->lim.exchange_ms))
			continue;
		shutdown(s->fd, SHUT_RDWR);
		s->cut = true;
		m->cut++;
	}
	MHD_run(m->d);
}

void hx_metrics_stop(struct hx_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m->slots);
	free(m);
}

uint64_t hx_metrics_scrapes(const struct hx_metrics *m)
{
	return m ? m->scrapes : 0;
}

void hx_metrics_conn_stats(const struct hx_metrics *m, struct hx_metrics_conn_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!m)
		return;
	for (size_t i = 0; i < nslots(m); i++) {
		if (!m->slots[i].c)
			continue;
		if (m->slots[i].reserve)
			st->reserve_open++;
		else
			st->open++;
	}
	st->refused = m->refused;
	st->cut = m->cut;
}
