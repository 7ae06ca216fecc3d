// SPDX-License-Identifier: GPL-2.0
/* The /metrics endpoint on libmicrohttpd, driven by the daemon's epoll loop. */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "metrics.h"
#include "util/str.h"

struct hx_metrics {
	struct MHD_Daemon *d;
	hx_metrics_render_fn render;
	hx_metrics_healthy_fn healthy;
	void *ctx;
	int fd;
	uint64_t scrapes;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	static const char text[] = "text/plain; charset=utf-8";
	struct hx_metrics *m = cls;
	enum MHD_Result rc;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "GET only\n", 9);
	if (!strcmp(url, "/metrics")) {
		struct hx_buf b = { 0 };

		m->render(m->ctx, &b);
		m->scrapes++;
		if (b.oom) {
			hx_buf_free(&b);
			return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "out of memory\n", 14);
		}
		rc = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
			   b.p ? b.p : "", b.len);
		hx_buf_free(&b);
		return rc;
	}
	if (!strcmp(url, "/healthz")) {
		bool ok = !m->healthy || m->healthy(m->ctx);

		return ok ? reply(c, MHD_HTTP_OK, text, "ok\n", 3) :
			    reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, "enforcement not active\n",
				  23);
	}
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, text, "helixagent: /metrics /healthz\n", 30);
	return reply(c, MHD_HTTP_NOT_FOUND, text, "not found\n", 10);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, char *err,
			size_t errlen)
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

struct hx_metrics *hx_metrics_start(const char *listen, hx_metrics_render_fn render,
				    hx_metrics_healthy_fn healthy, void *ctx, char *err,
				    size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct hx_metrics *m;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL;
	int rc;

	err[0] = 0;
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
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* A slow or idle client cannot hold a connection; a handful at a time is plenty. */
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (!m->d) {
		int e = errno ? errno : EADDRINUSE;

		snprintf(err, errlen, "cannot listen on %s: %s", listen, strerror(e));
		free(m);
		errno = e;
		return NULL;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	m->fd = info ? info->epoll_fd : -1;
	if (m->fd < 0) {
		snprintf(err, errlen, "libmicrohttpd has no epoll descriptor");
		MHD_stop_daemon(m->d);
		free(m);
		errno = ENOTSUP;
		return NULL;
	}
	return m;
}

int hx_metrics_fd(const struct hx_metrics *m)
{
	return m->fd;
}

void hx_metrics_run(struct hx_metrics *m)
{
	MHD_run(m->d);
}

void hx_metrics_stop(struct hx_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}

uint64_t hx_metrics_scrapes(const struct hx_metrics *m)
{
	return m ? m->scrapes : 0;
}
