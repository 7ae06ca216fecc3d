// SPDX-License-Identifier: GPL-2.0
/* RFC 5424 syslog output, and RFC 5425 over TLS (see sink.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_acked (glibc's has not) */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "sink.h"
#include "util/str.h"

enum kind { K_UNIX, K_UDP, K_TCP, K_TLS };

struct hx_sink {
	enum kind kind;
	char *target;
	int facility;
	int procid;
	int fd; /* -1: not connected */
	bool connecting; /* TCP connect in progress */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int64_t next_try_ns; /* reconnect backoff */
	int64_t backoff_ns;
	uint64_t sent, lost;
	/* TCP: whole frames waiting for the collector */
	char *q;
	size_t qlen, qoff; /* bytes queued, bytes of them already sent */
	uint32_t *flen; /* frame lengths, a ring */
	size_t fhead, fcount;
	char *msgbuf;
	size_t msgcap;
	/*
	 * Frames handed to the connection but not yet acknowledged by the
	 * collector's TCP: each batch with the connection's byte count at its
	 * end, confirmed (sent) once tcpi_bytes_acked reaches it, lost if the
	 * connection ends first: counted then, never silently.
	 */
	uint64_t unconfirmed;
	struct {
		uint64_t end; /* bytes written to the connection after the batch */
		uint32_t frames;
	} marks[64];
	size_t mhead, mcount;
	/* TLS (RFC 5425) */
	char host[256]; /* the name the collector's certificate must carry */
	gnutls_certificate_credentials_t cred;
	gnutls_session_t tls;
	bool handshaking;
	size_t tls_pending; /* bytes of a record send that must be completed first */
	char last_error[160]; /* why the last connection failed (a refused certificate, ...) */
};

/* TCP and TLS: frames queue while the collector is away. */
static bool stream(const struct hx_sink *s)
{
	return s->kind == K_TCP || s->kind == K_TLS;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int hx_syslog_facility(const char *name)
{
	static const struct {
		const char *n;
		int f;
	} names[] = { { "kern", 0 },	{ "user", 1 },	  { "mail", 2 },      { "daemon", 3 },
		      { "auth", 4 },	{ "syslog", 5 },  { "lpr", 6 },	      { "news", 7 },
		      { "uucp", 8 },	{ "cron", 9 },	  { "authpriv", 10 }, { "ftp", 11 },
		      { "local0", 16 }, { "local1", 17 }, { "local2", 18 },   { "local3", 19 },
		      { "local4", 20 }, { "local5", 21 }, { "local6", 22 },   { "local7", 23 } };
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].n))
			return names[i].f;
	v = strtol(name, &end, 10);
	if (*name && !*end && v >= 0 && v <= 23)
		return (int)v;
	return -1;
}

static void check_connecting(struct hx_sink *s);
static void confirm(struct hx_sink *s);

/* RFC 5424 header fields are printable US-ASCII without spaces; "-" when empty. */
static size_t field(char *out, size_t outlen, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++) {
		unsigned char c = (unsigned char)*s;

		if (n + 1 < outlen)
			out[n] = c >= 33 && c <= 126 ? (char)c : '_';
		n++;
	}
	if (!n) {
		if (outlen > 1)
			out[0] = '-';
		n = 1;
	}
	if (outlen)
		out[n < outlen ? n : outlen - 1] = 0;
	return n;
}

size_t hx_syslog_format(char *out, size_t outlen, int pri, int64_t real_ns, const char *host,
			const char *app, int procid, const char *msgid, uint64_t seq,
			const char *msg, size_t len)
{
	char h[256], a[49], m[33], ts[96], sd[64];
	time_t sec = (time_t)(real_ns / 1000000000);
	struct tm tm;
	int n;

	field(h, sizeof(h), host, 255);
	field(a, sizeof(a), app, 48);
	field(m, sizeof(m), msgid, 32);
	gmtime_r(&sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)((real_ns % 1000000000) / 1000));
	/* RFC 5424 7.3.1: sequenceId runs 1..2147483647, then wraps to 1. */
	if (seq)
		snprintf(sd, sizeof(sd), "[meta sequenceId=\"%llu\"]",
			 (unsigned long long)((seq - 1) % 2147483647 + 1));
	else
		snprintf(sd, sizeof(sd), "-");
	n = snprintf(out, outlen, "<%d>1 %s %s %s %d %s %s ", pri, ts, h, a, procid, m, sd);
	if (n < 0)
		return 0;
	if ((size_t)n < outlen) {
		size_t c = len < outlen - (size_t)n - 1 ? len : outlen - (size_t)n - 1;

		memcpy(out + n, msg, c);
		out[n + c] = 0;
	}
	return (size_t)n + len;
}

static int resolve(struct hx_sink *s, const char *hostport, int socktype, char *err, size_t errlen)
{
	char host[256], *colon;
	const char *port;
	struct addrinfo hints = { .ai_socktype = socktype }, *res = NULL;
	int rc;

	if (hx_strlcpy(host, hostport, sizeof(host)) >= sizeof(host)) {
		snprintf(err, errlen, "host name too long");
		return -EINVAL;
	}
	colon = strrchr(host, ':');
	if (!colon || !colon[1]) {
		snprintf(err, errlen, "'%s' needs a port (HOST:PORT)", hostport);
		return -EINVAL;
	}
	*colon = 0;
	port = colon + 1;
	if (host[0] == '[') {
		size_t l = strlen(host);

		if (l < 3 || host[l - 1] != ']') {
			snprintf(err, errlen, "bad IPv6 address in '%s'", hostport);
			return -EINVAL;
		}
		host[l - 1] = 0;
		memmove(host, host + 1, l - 1);
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "cannot resolve '%s': %s", hostport, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void disconnect(struct hx_sink *s)
{
	if (s->tls) {
		/* no close_notify: the peer is gone or refused us, and nothing may wait */
		gnutls_deinit(s->tls);
		s->tls = NULL;
	}
	s->handshaking = false;
	s->tls_pending = 0;
	/* the connection's acknowledged count outlives it (a reset, a close): read it last */
	confirm(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->connecting = false;
	/* handed over but not acknowledged: lost with the connection */
	s->lost += s->unconfirmed;
	s->unconfirmed = 0;
	s->mhead = s->mcount = 0;
	if (stream(s) && s->fcount) {
		/* A frame cut in the middle cannot be resumed on a new connection. */
		if (s->qoff) {
			size_t first = s->flen[s->fhead];

			s->lost++;
			s->fhead = (s->fhead + 1) % HX_SYSLOG_QUEUE_LINES;
			s->fcount--;
			memmove(s->q, s->q + first, s->qlen - first);
			s->qlen -= first;
			s->qoff = 0;
		}
	}
}

static void schedule_retry(struct hx_sink *s);

static void tls_failed(struct hx_sink *s, const char *what, int rc)
{
	snprintf(s->last_error, sizeof(s->last_error), "%s: %s", what, gnutls_strerror(rc));
	disconnect(s);
	schedule_retry(s);
}

/* Advances the handshake; false while it is not done (or failed). */
static bool handshake(struct hx_sink *s)
{
	int rc;

	if (!s->tls || !s->handshaking)
		return s->tls != NULL;
	rc = gnutls_handshake(s->tls);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return false;
	if (rc < 0) {
		tls_failed(s, "TLS handshake", rc);
		return false;
	}
	s->handshaking = false;
	s->backoff_ns = 0;
	s->last_error[0] = 0;
	return true;
}

/*
 * A TCP connection is up: TLS over it, verifying the collector's certificate
 * chain against the trust anchors and its name (or address) against the
 * target's host. A collector that cannot prove who it is gets nothing.
 */
static int start_tls(struct hx_sink *s)
{
	struct in6_addr ip;
	int rc;

	rc = gnutls_init(&s->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (rc < 0) {
		s->tls = NULL;
		tls_failed(s, "TLS", rc);
		return -ENOMEM;
	}
	if ((rc = gnutls_set_default_priority(s->tls)) < 0 ||
	    (rc = gnutls_credentials_set(s->tls, GNUTLS_CRD_CERTIFICATE, s->cred)) < 0 ||
	    /* SNI names only: an address is checked against the certificate, not sent */
	    (!inet_pton(AF_INET6, s->host, &ip) && !inet_pton(AF_INET, s->host, &ip) &&
	     (rc = gnutls_server_name_set(s->tls, GNUTLS_NAME_DNS, s->host, strlen(s->host))) <
		     0)) {
		tls_failed(s, "TLS", rc);
		return -EINVAL;
	}
	gnutls_session_set_verify_cert(s->tls, s->host, 0);
	gnutls_transport_set_int(s->tls, s->fd);
	s->handshaking = true;
	handshake(s);
	return 0;
}

/* Connects now; 0 when usable (or, for TCP, in progress). */
static int try_connect(struct hx_sink *s)
{
	int type = stream(s) ? SOCK_STREAM : SOCK_DGRAM;
	int fd, one = 1;

	if (s->fd >= 0)
		return 0;
	fd = socket(s->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (stream(s))
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&s->addr, s->addrlen)) {
		int e = errno;

		if (stream(s) && e == EINPROGRESS) {
			s->fd = fd;
			s->connecting = true;
			return 0;
		}
		close(fd);
		return -e;
	}
	s->fd = fd;
	s->connecting = false;
	s->backoff_ns = 0;
	return s->kind == K_TLS ? start_tls(s) : 0;
}

static void schedule_retry(struct hx_sink *s)
{
	s->backoff_ns = s->backoff_ns ? s->backoff_ns * 2 : 250000000;
	/* A collector that restarts should not wait long for us; trying costs little. */
	if (s->backoff_ns > 5000000000LL)
		s->backoff_ns = 5000000000LL;
	s->next_try_ns = mono_ns() + s->backoff_ns;
}

/*
 * tls://HOST:PORT[?ca=FILE&cert=FILE&key=FILE]: the collector's certificate
 * is checked against FILE (PEM CAs), or the system's trust store without
 * ca=; cert= and key= give the agent's own certificate, for collectors that
 * ask for one (RFC 5425 mutual authentication).
 */
static int tls_target(struct hx_sink *s, const char *t, char *err, size_t errlen)
{
	char hostport[512], ca[4096] = "", cert[4096] = "", key[4096] = "";
	const char *q = strchr(t, '?');
	size_t hl = q ? (size_t)(q - t) : strlen(t);
	char *colon;
	int rc;

	if (hl >= sizeof(hostport)) {
		snprintf(err, errlen, "host name too long");
		return -EINVAL;
	}
	memcpy(hostport, t, hl);
	hostport[hl] = 0;
	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&'), *eq = strchr(p, '=');
		size_t l = amp ? (size_t)(amp - p) : strlen(p);
		char *dst = NULL;

		if (eq && eq < p + l) {
			size_t kl = (size_t)(eq - p), vl = l - kl - 1;

			dst = kl == 2 && !memcmp(p, "ca", 2)   ? ca :
			      kl == 4 && !memcmp(p, "cert", 4) ? cert :
			      kl == 3 && !memcmp(p, "key", 3)  ? key :
								 NULL;
			if (dst && vl && vl < sizeof(ca) && eq[1] == '/') {
				memcpy(dst, eq + 1, vl);
				dst[vl] = 0;
			} else {
				dst = NULL;
			}
		}
		if (!dst) {
			snprintf(err, errlen,
				 "'%.*s': tls:// takes ca=, cert= and key=, each an absolute path",
				 (int)l, p);
			return -EINVAL;
		}
		p = amp ? amp + 1 : p + l;
	}
	if (!!cert[0] != !!key[0]) {
		snprintf(err, errlen, "cert= and key= go together");
		return -EINVAL;
	}
	rc = resolve(s, hostport, SOCK_STREAM, err, errlen);
	if (rc)
		return rc;
	/* the name to verify: HOST without the port and the brackets of an IPv6 address */
	colon = strrchr(hostport, ':');
	*colon = 0;
	hx_strlcpy(s->host, hostport[0] == '[' ? hostport + 1 : hostport, sizeof(s->host));
	s->host[strcspn(s->host, "]")] = 0;
	if (gnutls_certificate_allocate_credentials(&s->cred) < 0) {
		s->cred = NULL;
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = ca[0] ? gnutls_certificate_set_x509_trust_file(s->cred, ca, GNUTLS_X509_FMT_PEM) :
		     gnutls_certificate_set_x509_system_trust(s->cred);
	if (rc <= 0) {
		/* no trust anchor would make every certificate fail: say so now */
		snprintf(err, errlen, "no CA certificate in %s%s%s",
			 ca[0] ? ca : "the system trust store", rc < 0 ? ": " : "",
			 rc < 0 ? gnutls_strerror(rc) : "");
		return -EINVAL;
	}
	if (cert[0]) {
		rc = gnutls_certificate_set_x509_key_file(s->cred, cert, key, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			snprintf(err, errlen, "cert=%s key=%s: %s", cert, key, gnutls_strerror(rc));
			return -EINVAL;
		}
	}
	return 0;
}

struct hx_sink *hx_syslog_open(const char *target, int facility, char *err, size_t errlen)
{
	struct hx_sink *s = calloc(1, sizeof(*s));
	int rc = 0;

	err[0] = 0;
	if (!s)
		return NULL;
	s->fd = -1;
	s->facility = facility;
	s->procid = (int)getpid();
	s->target = strdup(target);
	if (!s->target)
		goto nomem;
	if (!strncmp(target, "udp://", 6)) {
		s->kind = K_UDP;
		rc = resolve(s, target + 6, SOCK_DGRAM, err, errlen);
	} else if (!strncmp(target, "tcp://", 6)) {
		s->kind = K_TCP;
		rc = resolve(s, target + 6, SOCK_STREAM, err, errlen);
	} else if (!strncmp(target, "tls://", 6)) {
		s->kind = K_TLS;
		rc = tls_target(s, target + 6, err, errlen);
	} else if (target[0] == '/' || !strncmp(target, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
		const char *path = target[0] == '/' ? target : target + 5;

		s->kind = K_UNIX;
		un->sun_family = AF_UNIX;
		if (path[0] != '/' ||
		    hx_strlcpy(un->sun_path, path, sizeof(un->sun_path)) >= sizeof(un->sun_path)) {
			snprintf(err, errlen, "'%s' is not an absolute socket path that fits",
				 path);
			rc = -EINVAL;
		}
		s->addrlen = sizeof(*un);
	} else {
		snprintf(
			err, errlen,
			"'%s' is not a syslog target: /path/to/socket, udp://HOST:PORT, tcp://HOST:PORT or tls://HOST:PORT[?ca=FILE&cert=FILE&key=FILE]",
			target);
		rc = -EINVAL;
	}
	if (rc)
		goto fail;
	if (stream(s)) {
		s->q = malloc(HX_SYSLOG_QUEUE_BYTES);
		s->flen = calloc(HX_SYSLOG_QUEUE_LINES, sizeof(*s->flen));
		if (!s->q || !s->flen)
			goto nomem;
	}
	/* Not reachable yet is fine: lines queue (TCP) or count as lost until it is. */
	if (try_connect(s))
		schedule_retry(s);
	return s;
nomem:
	rc = -ENOMEM;
	snprintf(err, errlen, "out of memory");
fail:
	hx_syslog_close(s);
	errno = -rc;
	return NULL;
}

void hx_syslog_close(struct hx_sink *s)
{
	if (!s)
		return;
	if (stream(s) && s->fd >= 0 && !s->connecting) {
		/* One last chance for what is queued, without waiting. */
		hx_syslog_tick(s);
	}
	s->lost += s->fcount;
	s->fcount = 0;
	s->qoff = 0;
	/* at exit, what the collector has not acknowledged yet is counted lost too */
	confirm(s);
	disconnect(s);
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	free(s->q);
	free(s->flen);
	free(s->msgbuf);
	free(s->target);
	free(s);
}

/*
 * A collector that closed its end would take one more write and drop it:
 * notice the close first and reconnect instead.
 */
static bool peer_gone(struct hx_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return true;
	if (s->handshaking)
		return false; /* what the collector sends now is the handshake's */
	if (s->tls) {
		/* TLS 1.3 session tickets, alerts: gnutls reads them; EOF or an alert ends it */
		char buf[512];
		ssize_t n;

		while ((n = gnutls_record_recv(s->tls, buf, sizeof(buf))) > 0)
			;
		return n == 0 || (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED &&
				  gnutls_error_is_fatal((int)n));
	}
	/* A collector has nothing to say; read and ignore whatever it sent. */
	while (recv(s->fd, &c, 1, MSG_DONTWAIT) == 1)
		;
	return false;
}

static bool tcp_acked(int fd, uint64_t *acked)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) ||
	    l < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof(ti.tcpi_bytes_acked))
		return false;
	*acked = ti.tcpi_bytes_acked;
	return true;
}

/* @frames just went into the connection: they end where its byte count is now. */
static void handed(struct hx_sink *s, uint32_t frames)
{
	uint64_t acked;
	int outq = 0;
	size_t last;

	if (!frames)
		return;
	s->unconfirmed += frames;
	/* written = acknowledged + still in the send queue (TLS: record bytes, not ours) */
	if (!tcp_acked(s->fd, &acked) || ioctl(s->fd, SIOCOUTQ, &outq))
		acked = UINT64_MAX, outq = 0; /* unknown: confirmed only when the queue is empty */
	last = (s->mhead + s->mcount + 63) % 64;
	if (s->mcount == 64) {
		/* out of marks: join the newest, later end, so never confirmed early */
		s->marks[last].frames += frames;
		s->marks[last].end = acked == UINT64_MAX ? UINT64_MAX : acked + (uint64_t)outq;
		return;
	}
	last = (s->mhead + s->mcount) % 64;
	s->marks[last].frames = frames;
	s->marks[last].end = acked == UINT64_MAX ? UINT64_MAX : acked + (uint64_t)outq;
	s->mcount++;
}

/* Frames the collector's TCP acknowledged are sent. */
static void confirm(struct hx_sink *s)
{
	uint64_t acked;
	int outq = -1;

	if (!s->mcount || s->fd < 0 || s->connecting)
		return;
	if (!tcp_acked(s->fd, &acked)) {
		acked = 0;
		/* no TCP_INFO: an empty send queue acknowledges everything */
		if (!ioctl(s->fd, SIOCOUTQ, &outq) && outq == 0 && !s->tls_pending)
			acked = UINT64_MAX;
	}
	while (s->mcount && s->marks[s->mhead].end <= acked) {
		s->sent += s->marks[s->mhead].frames;
		s->unconfirmed -= s->marks[s->mhead].frames;
		s->mhead = (s->mhead + 1) % 64;
		s->mcount--;
	}
}

/* TCP, TLS: sends what the socket takes now. */
static void flush(struct hx_sink *s)
{
	if (s->fd >= 0 && !s->connecting && s->fcount && peer_gone(s)) {
		disconnect(s);
		s->backoff_ns = 0;
		schedule_retry(s);
		if (try_connect(s) == 0)
			check_connecting(s);
	}
	if (s->kind == K_TLS && s->fd >= 0 && !s->connecting && !handshake(s))
		return;
	while (s->fd >= 0 && !s->connecting && s->fcount) {
		uint32_t retired = 0;
		ssize_t n;

		if (s->tls) {
			/* a record gnutls could not finish is completed first, as gnutls asks */
			size_t len = s->qlen - s->qoff < 16384 ? s->qlen - s->qoff : 16384;

			n = s->tls_pending ? gnutls_record_send(s->tls, NULL, 0) :
					     gnutls_record_send(s->tls, s->q + s->qoff, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				s->tls_pending = s->tls_pending ? s->tls_pending : len;
				break;
			}
			s->tls_pending = 0;
			if (n < 0) {
				tls_failed(s, "TLS send", (int)n);
				return;
			}
		} else {
			n = send(s->fd, s->q + s->qoff, s->qlen - s->qoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				disconnect(s);
				schedule_retry(s);
				return;
			}
		}
		s->qoff += (size_t)n;
		/* Retire every frame now wholly sent. */
		while (s->fcount && s->qoff >= s->flen[s->fhead]) {
			size_t l = s->flen[s->fhead];

			s->qoff -= l;
			memmove(s->q, s->q + l, s->qlen - l);
			s->qlen -= l;
			s->fhead = (s->fhead + 1) % HX_SYSLOG_QUEUE_LINES;
			s->fcount--;
			retired++;
		}
		handed(s, retired);
	}
	confirm(s);
}

static void check_connecting(struct hx_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLOUT };
	int e = 0;
	socklen_t el = sizeof(e);

	if (!s->connecting || poll(&p, 1, 0) <= 0)
		return;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &el) || e) {
		disconnect(s);
		schedule_retry(s);
		return;
	}
	s->connecting = false;
	s->backoff_ns = 0;
	if (s->kind == K_TLS)
		start_tls(s);
}

void hx_syslog_tick(struct hx_sink *s)
{
	if (s->fd < 0 && mono_ns() >= s->next_try_ns) {
		if (try_connect(s))
			schedule_retry(s);
	}
	if (stream(s)) {
		check_connecting(s);
		flush(s);
	}
}

int hx_syslog_send(struct hx_sink *s, int severity, int64_t real_ns, const char *host,
		   const char *msgid, uint64_t seq, const char *msg, size_t len)
{
	int pri = s->facility * 8 + (severity & 7);
	size_t need = hx_syslog_format(NULL, 0, pri, real_ns, host, "helixagent", s->procid, msgid,
				       seq, msg, len);
	char prefix[24];
	size_t plen = 0;
	char *m;

	/* RFC 6587 octet counting; RFC 5425 frames TLS the same way */
	if (stream(s))
		plen = (size_t)snprintf(prefix, sizeof(prefix), "%zu ", need);
	if (need + plen + 1 > s->msgcap) {
		char *nb = realloc(s->msgbuf, need + plen + 1);

		if (!nb) {
			s->lost++;
			return -ENOMEM;
		}
		s->msgbuf = nb;
		s->msgcap = need + plen + 1;
	}
	memcpy(s->msgbuf, prefix, plen);
	m = s->msgbuf + plen;
	hx_syslog_format(m, need + 1, pri, real_ns, host, "helixagent", s->procid, msgid, seq, msg,
			 len);

	if (stream(s)) {
		if (s->qlen + plen + need > HX_SYSLOG_QUEUE_BYTES ||
		    s->fcount == HX_SYSLOG_QUEUE_LINES) {
			flush(s);
			if (s->qlen + plen + need > HX_SYSLOG_QUEUE_BYTES ||
			    s->fcount == HX_SYSLOG_QUEUE_LINES) {
				s->lost++;
				return -ENOBUFS;
			}
		}
		memcpy(s->q + s->qlen, s->msgbuf, plen + need);
		s->qlen += plen + need;
		s->flen[(s->fhead + s->fcount) % HX_SYSLOG_QUEUE_LINES] = (uint32_t)(plen + need);
		s->fcount++;
		if (s->fd < 0 && mono_ns() >= s->next_try_ns && try_connect(s))
			schedule_retry(s);
		check_connecting(s);
		flush(s);
		return 0;
	}

	/* Datagrams: one try now, one more after reconnecting (the collector may have restarted). */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (s->fd < 0) {
			if (attempt == 0 && mono_ns() < s->next_try_ns)
				break;
			if (try_connect(s)) {
				schedule_retry(s);
				break;
			}
		}
		if (send(s->fd, m, need, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)need) {
			s->sent++;
			return 0;
		}
		if (errno == EAGAIN || errno == EMSGSIZE || errno == ENOBUFS)
			break; /* the collector is slow or the line too big: never wait */
		disconnect(s);
	}
	s->lost++;
	return -EAGAIN;
}

uint64_t hx_syslog_lost(const struct hx_sink *s)
{
	return s->lost;
}

uint64_t hx_syslog_sent(const struct hx_sink *s)
{
	return s->sent;
}

bool hx_syslog_connected(const struct hx_sink *s)
{
	return s->fd >= 0 && !s->connecting && !s->handshaking;
}

uint64_t hx_syslog_unconfirmed(const struct hx_sink *s)
{
	return s->unconfirmed;
}

uint64_t hx_syslog_queued(const struct hx_sink *s)
{
	return s->fcount;
}

const char *hx_syslog_error(const struct hx_sink *s)
{
	return s->last_error;
}

const char *hx_syslog_target(const struct hx_sink *s)
{
	return s->target;
}
