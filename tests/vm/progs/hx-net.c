// SPDX-License-Identifier: GPL-2.0
/*
 * Network operations for the VM scenarios, reported like hx-try: one line
 *   <op>: ok pid=N [detail]      or     <op>: <ERRNO-NAME> pid=N
 * and the exit status is 0 or the errno value. ADDR is an IPv4 or IPv6
 * literal (an IPv6 literal, ::ffff:a.b.c.d included, uses an AF_INET6
 * socket, which is dual-stack).
 *
 *   hx-net connect ADDR PORT [tcp|udp]   connect (tcp: and send one byte)
 *   hx-net sendto ADDR PORT              unconnected UDP sendto
 *   hx-net sendmsg ADDR PORT             unconnected UDP sendmsg
 *   hx-net sendmmsg ADDR PORT            unconnected UDP sendmmsg of 2 datagrams
 *   hx-net fastopen ADDR PORT            TCP sendto(MSG_FASTOPEN)
 *   hx-net bind ADDR PORT [tcp|udp]      bind
 *   hx-net listen ADDR PORT              bind (PORT 0: no bind) and listen
 *   hx-net socket raw|packet|ping|sctp   socket() of that kind
 *   hx-net thread OP ARGS...             OP in a second thread
 *   hx-net child OP ARGS...              OP in a child process (its pid reported)
 *   hx-net join CGDIR OP ARGS...         OP's socket made first, then the process
 *                                        joins cgroup CGDIR, then OP runs
 *                                        (OP: connect, sendto, raw)
 *   hx-net established CGDIR ADDR PORT   TCP connect, join CGDIR, then send
 *   hx-net unshare OP ARGS...            unshare(CLONE_NEWNET), then OP
 *   hx-net srcroute4 HOP ADDR PORT [cmsg]  UDP to ADDR with an IPv4 loose source route
 *                                        through HOP: IP_OPTIONS, or (cmsg) an
 *                                        IP_RETOPTS control message
 *   hx-net srcroute6 HOP ADDR PORT       UDP to ADDR with an IPv6 segment routing
 *                                        header through HOP (IPV6_RTHDR)
 *   hx-net from SRC OP ARGS...           OP's socket bound to SRC port 0 first
 *                                        (OP: connect, sendto, sendmsg)
 *   hx-net serve ADDR PORT tcp|udp FILE  listener: counts connections (tcp) or
 *                                        datagrams (udp) into FILE; runs until killed
 *   hx-net bench ADDR PORT N [ROUNDS]    ROUNDS (5) times N socket+connect+close
 *                                        to a port nobody listens on (refused, on
 *                                        lo): reports the best round's ns_per_connect
 *   hx-net dns ADDR PORT ZONEFILE        a DNS server for A/AAAA queries from
 *                                        ZONEFILE lines "NAME A|AAAA ADDR TTL"
 *                                        (read at each query); NXDOMAIN otherwise
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static const char *errname(int e)
{
	if (e == 0)
		return "ok";
	return strerrorname_np(e) ? strerrorname_np(e) : "E?";
}

static int report(const char *op, int e, const char *detail)
{
	printf("%s: %s pid=%d%s%s\n", op, errname(e), getpid(), detail ? " " : "",
	       detail ? detail : "");
	return e;
}

struct target {
	struct sockaddr_storage ss;
	socklen_t len;
	int af;
};

static int parse_target(const char *addr, const char *port, struct target *t)
{
	memset(t, 0, sizeof(*t));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return EINVAL;
		t->len = sizeof(*s6);
		t->af = AF_INET6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&t->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return EINVAL;
		t->len = sizeof(*s4);
		t->af = AF_INET;
	}
	return 0;
}

static int v6_dualstack(int fd, int af)
{
	int off = 0;

	if (af == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	return fd;
}

/* The socket an OP needs, made before anything else (so "join" can move in between). */
static int op_socket(const char *op, int argc, char **argv, struct target *t)
{
	const char *proto = argc > 2 ? argv[2] : "tcp";
	int type;

	if (!strcmp(op, "raw"))
		return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (argc < 2)
		return -1;
	if (parse_target(argv[0], argv[1], t)) {
		errno = EINVAL;
		return -1;
	}
	if (!strcmp(op, "connect") || !strcmp(op, "bind"))
		type = strcmp(proto, "udp") ? SOCK_STREAM : SOCK_DGRAM;
	else if (!strcmp(op, "fastopen") || !strcmp(op, "listen"))
		type = SOCK_STREAM;
	else
		type = SOCK_DGRAM;
	return v6_dualstack(socket(t->af, type, 0), t->af);
}

static int op_run(const char *op, int fd, const struct target *t)
{
	static const char byte = 'x';

	if (!strcmp(op, "connect")) {
		if (connect(fd, (const struct sockaddr *)&t->ss, t->len))
			return errno;
		return send(fd, &byte, 1, MSG_NOSIGNAL) == 1 ? 0 : errno;
	}
	if (!strcmp(op, "sendto"))
		return sendto(fd, "hx", 2, 0, (const struct sockaddr *)&t->ss, t->len) == 2 ? 0 :
											      errno;
	if (!strcmp(op, "sendmsg")) {
		struct iovec iov = { .iov_base = "hx", .iov_len = 2 };
		struct msghdr m = { .msg_name = (void *)&t->ss,
				    .msg_namelen = t->len,
				    .msg_iov = &iov,
				    .msg_iovlen = 1 };

		return sendmsg(fd, &m, 0) == 2 ? 0 : errno;
	}
	if (!strcmp(op, "sendmmsg")) {
		struct iovec iov = { .iov_base = "hx", .iov_len = 2 };
		struct mmsghdr mm[2];
		int n;

		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < 2; i++) {
			mm[i].msg_hdr.msg_name = (void *)&t->ss;
			mm[i].msg_hdr.msg_namelen = t->len;
			mm[i].msg_hdr.msg_iov = &iov;
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = sendmmsg(fd, mm, 2, 0);
		return n == 2 ? 0 : n < 0 ? errno : EAGAIN;
	}
	if (!strcmp(op, "fastopen"))
		return sendto(fd, &byte, 1, MSG_FASTOPEN | MSG_NOSIGNAL,
			      (const struct sockaddr *)&t->ss, t->len) == 1 ?
			       0 :
			       errno;
	if (!strcmp(op, "bind"))
		return bind(fd, (const struct sockaddr *)&t->ss, t->len) ? errno : 0;
	if (!strcmp(op, "listen")) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&t->ss;

		/* port 0: listen() on an unbound socket (the kernel picks a port) */
		if (s4->sin_port && bind(fd, (const struct sockaddr *)&t->ss, t->len))
			return errno;
		return listen(fd, 4) ? errno : 0;
	}
	if (!strcmp(op, "raw")) {
		struct sockaddr_in d = { .sin_family = AF_INET };
		unsigned char icmp[8] = { 8, 0, 0xf7, 0xff, 0, 0, 0, 0 }; /* echo request */

		d.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sendto(fd, icmp, sizeof(icmp), 0, (struct sockaddr *)&d, sizeof(d)) ==
				       (ssize_t)sizeof(icmp) ?
			       0 :
			       errno;
	}
	return EINVAL;
}

static int do_op(const char *op, int argc, char **argv)
{
	struct target t;
	int fd, e;

	if (!strcmp(op, "socket")) {
		const char *k = argc ? argv[0] : "";

		if (!strcmp(k, "raw"))
			fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
		else if (!strcmp(k, "raw6"))
			fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
		else if (!strcmp(k, "packet"))
			fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
		else if (!strcmp(k, "ping"))
			fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
		else if (!strcmp(k, "sctp"))
			fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
		else if (!strcmp(k, "tcp"))
			fd = socket(AF_INET, SOCK_STREAM, 0);
		else
			return report("socket", EINVAL, NULL);
		e = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		return report("socket", e, k);
	}
	fd = op_socket(op, argc, argv, &t);
	if (fd < 0)
		return report(op, errno, NULL);
	e = op_run(op, fd, &t);
	close(fd);
	return report(op, e, NULL);
}

struct targ {
	const char *op;
	int argc;
	char **argv;
	int rc;
};

static void *thread_main(void *p)
{
	struct targ *a = p;

	a->rc = do_op(a->op, a->argc, a->argv);
	return NULL;
}

static int join_cgroup(const char *dir)
{
	char path[512], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	if (write(fd, pid, (size_t)n) != n) {
		close(fd);
		return errno;
	}
	close(fd);
	return 0;
}

static void bump(const char *file)
{
	char buf[32] = "0";
	FILE *f = fopen(file, "r");
	long n = 0;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			n = atol(buf);
		fclose(f);
	}
	snprintf(buf, sizeof(buf), "%s.tmp", file);
	f = fopen(buf, "w");
	if (!f)
		return;
	fprintf(f, "%ld\n", n + 1);
	fclose(f);
	rename(buf, file);
}

static int serve(int argc, char **argv)
{
	struct target t;
	int fd, one = 1, udp;
	FILE *f;

	if (argc < 4 || parse_target(argv[0], argv[1], &t))
		return report("serve", EINVAL, NULL);
	udp = !strcmp(argv[2], "udp");
	fd = socket(t.af, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		return report("serve", errno, NULL);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!udp)
		setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &(int){ 8 }, sizeof(int));
	if (bind(fd, (struct sockaddr *)&t.ss, t.len) || (!udp && listen(fd, 64)))
		return report("serve", errno, NULL);
	f = fopen(argv[3], "w");
	if (f) {
		fprintf(f, "0\n");
		fclose(f);
	}
	report("serve", 0, NULL);
	fflush(stdout);
	for (;;) {
		char buf[512];

		if (udp) {
			if (recv(fd, buf, sizeof(buf), 0) >= 0)
				bump(argv[3]);
		} else {
			int c = accept(fd, NULL, NULL);

			if (c >= 0) {
				bump(argv[3]);
				close(c);
			}
		}
	}
}

/* ---- a DNS server small enough to read ---- */

static int zone_lookup(const char *zone, const char *name, int qtype, unsigned char *rdata,
		       uint32_t *ttl, int *found_name)
{
	FILE *f = fopen(zone, "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n == 0) {
		char zn[256], zt[8], za[64];
		unsigned long zttl;

		if (sscanf(line, "%255s %7s %63s %lu", zn, zt, za, &zttl) != 4)
			continue;
		if (strcasecmp(zn, name))
			continue;
		*found_name = 1;
		if (qtype == 1 && !strcmp(zt, "A") && inet_pton(AF_INET, za, rdata) == 1)
			n = 4;
		else if (qtype == 28 && !strcmp(zt, "AAAA") && inet_pton(AF_INET6, za, rdata) == 1)
			n = 16;
		*ttl = (uint32_t)zttl;
	}
	fclose(f);
	return n;
}

static int dns(int argc, char **argv)
{
	struct target t;
	int fd;

	if (argc < 3 || parse_target(argv[0], argv[1], &t))
		return report("dns", EINVAL, NULL);
	fd = socket(t.af, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&t.ss, t.len))
		return report("dns", errno, NULL);
	report("dns", 0, NULL);
	fflush(stdout);
	for (;;) {
		unsigned char q[512], r[600], rdata[16];
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t len = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
		char name[256];
		size_t p = 12, o = 0, qend;
		int qtype, rdlen, found = 0;
		uint32_t ttl = 0;

		if (len < 17)
			continue;
		/* the question name, as dotted text */
		while (p < (size_t)len && q[p] && o < sizeof(name) - 65) {
			size_t l = q[p];

			if (p + 1 + l > (size_t)len)
				break;
			if (o)
				name[o++] = '.';
			memcpy(name + o, q + p + 1, l);
			o += l;
			p += 1 + l;
		}
		name[o] = 0;
		if (p + 5 > (size_t)len)
			continue;
		qtype = q[p + 1] << 8 | q[p + 2];
		qend = p + 5;
		rdlen = zone_lookup(argv[2], name, qtype, rdata, &ttl, &found);
		memcpy(r, q, qend);
		r[2] = 0x84 | (q[2] & 0x01); /* response, authoritative, RD copied */
		r[3] = found ? 0 : 3; /* NXDOMAIN */
		r[4] = 0;
		r[5] = 1;
		r[6] = 0;
		r[7] = rdlen ? 1 : 0;
		memset(r + 8, 0, 4);
		o = qend;
		if (rdlen) {
			unsigned char rr[12] = { 0xc0,
						 12,
						 0,
						 (unsigned char)qtype,
						 0,
						 1,
						 (unsigned char)(ttl >> 24),
						 (unsigned char)(ttl >> 16),
						 (unsigned char)(ttl >> 8),
						 (unsigned char)ttl,
						 0,
						 (unsigned char)rdlen };

			memcpy(r + o, rr, sizeof(rr));
			o += sizeof(rr);
			memcpy(r + o, rdata, (size_t)rdlen);
			o += (size_t)rdlen;
		}
		sendto(fd, r, o, 0, (struct sockaddr *)&from, flen);
	}
}

static int bench(int argc, char **argv)
{
	long long best = -1;
	struct target t;
	long n, rounds;
	char detail[64];

	if (argc < 3 || parse_target(argv[0], argv[1], &t) || (n = atol(argv[2])) <= 0)
		return report("bench", EINVAL, NULL);
	rounds = argc > 3 ? atol(argv[3]) : 5;
	/* the fastest round: the least disturbed by whatever else the machine does */
	for (long r = 0; r < rounds; r++) {
		struct timespec a, b;
		long long ns;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < n; i++) {
			int fd = socket(t.af, SOCK_STREAM, 0), e = 0;

			if (fd < 0)
				return report("bench", errno, NULL);
			if (connect(fd, (struct sockaddr *)&t.ss, t.len))
				e = errno;
			close(fd);
			if (e != ECONNREFUSED)
				return report("bench", e ? e : EISCONN, "(expected ECONNREFUSED)");
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = ((long long)(b.tv_sec - a.tv_sec) * 1000000000 + (b.tv_nsec - a.tv_nsec)) / n;
		if (best < 0 || ns < best)
			best = ns;
	}
	snprintf(detail, sizeof(detail), "ns_per_connect=%lld", best);
	return report("bench", 0, detail);
}

static int srcroute(const char *op, int argc, char **argv)
{
	struct target hop, t;
	struct iovec iov = { .iov_base = "hx", .iov_len = 2 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	bool v6 = !strcmp(op, "srcroute6"), cmsg = argc > 3 && !strcmp(argv[3], "cmsg");
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(8)];
	} ctl;
	unsigned char opt[40];
	socklen_t optlen;
	int fd;

	if (argc < 3 || parse_target(argv[0], "0", &hop) || parse_target(argv[1], argv[2], &t) ||
	    hop.af != t.af || (t.af == AF_INET6) != v6)
		return report(op, EINVAL, "(usage)");
	fd = socket(t.af, SOCK_DGRAM, 0);
	if (fd < 0)
		return report(op, errno, "(socket)");
	memset(opt, 0, sizeof(opt));
	if (!v6) {
		/* LSRR: type, length 7, pointer 4, the first hop; then a NOP to 8 bytes */
		opt[0] = 0x83;
		opt[1] = 7;
		opt[2] = 4;
		memcpy(opt + 3, &((struct sockaddr_in *)&hop.ss)->sin_addr, 4);
		opt[7] = 1;
		optlen = 8;
	} else {
		/* SRH (type 4), two segments, the next one (segments[1]) the hop */
		opt[0] = IPPROTO_UDP;
		opt[1] = 4;
		opt[2] = 4;
		opt[3] = 1;
		opt[4] = 1;
		memcpy(opt + 8, &((struct sockaddr_in6 *)&t.ss)->sin6_addr, 16);
		memcpy(opt + 24, &((struct sockaddr_in6 *)&hop.ss)->sin6_addr, 16);
		optlen = 40;
	}
	if (cmsg && !v6) {
		memset(&ctl, 0, sizeof(ctl));
		ctl.h.cmsg_level = IPPROTO_IP;
		ctl.h.cmsg_type = IP_RETOPTS;
		ctl.h.cmsg_len = CMSG_LEN(8);
		memcpy(CMSG_DATA(&ctl.h), opt, 8);
		m.msg_control = ctl.buf;
		m.msg_controllen = sizeof(ctl.buf);
	} else if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RTHDR : IP_OPTIONS, opt,
			      optlen)) {
		return report(op, errno, "(setsockopt)");
	}
	m.msg_name = &t.ss;
	m.msg_namelen = t.len;
	if (sendmsg(fd, &m, 0) != 2)
		return report(op, errno, "(sendmsg)");
	close(fd);
	return report(op, 0, NULL);
}

static int established(int argc, char **argv)
{
	static const char byte = 'x';
	struct target t;
	int fd, e;

	if (argc < 3 || parse_target(argv[1], argv[2], &t))
		return report("established", EINVAL, NULL);
	fd = socket(t.af, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&t.ss, t.len))
		return report("established", errno, "(before joining)");
	e = join_cgroup(argv[0]);
	if (e)
		return report("established", e, "(join)");
	e = send(fd, &byte, 1, MSG_NOSIGNAL) == 1 ? 0 : errno;
	close(fd);
	return report("established", e, NULL);
}

int main(int argc, char **argv)
{
	const char *op;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: hx-net OP ARGS... (see the source)\n");
		return 2;
	}
	op = argv[1];
	if (!strcmp(op, "serve"))
		return serve(argc - 2, argv + 2);
	if (!strcmp(op, "dns"))
		return dns(argc - 2, argv + 2);
	if (!strcmp(op, "bench"))
		return bench(argc - 2, argv + 2);
	if (!strcmp(op, "srcroute4") || !strcmp(op, "srcroute6"))
		return srcroute(op, argc - 2, argv + 2);
	if (!strcmp(op, "established"))
		return established(argc - 2, argv + 2);
	if (!strcmp(op, "thread") && argc > 2) {
		struct targ a = { argv[2], argc - 3, argv + 3, 0 };
		pthread_t th;

		if (pthread_create(&th, NULL, thread_main, &a))
			return report("thread", EAGAIN, NULL);
		pthread_join(th, NULL);
		return a.rc;
	}
	if (!strcmp(op, "child") && argc > 2) {
		int st;
		pid_t pid = fork();

		if (pid < 0)
			return report("child", errno, NULL);
		if (pid == 0)
			_exit(do_op(argv[2], argc - 3, argv + 3));
		waitpid(pid, &st, 0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	}
	if (!strcmp(op, "unshare") && argc > 2) {
		if (unshare(CLONE_NEWNET))
			return report("unshare", errno, NULL);
		return do_op(argv[2], argc - 3, argv + 3);
	}
	if (!strcmp(op, "from") && argc > 3) {
		struct target t, src;
		int fd = op_socket(argv[3], argc - 4, argv + 4, &t), e;

		if (fd < 0)
			return report(argv[3], errno, "(socket)");
		if (parse_target(argv[2], "0", &src) || src.af != t.af)
			return report(argv[3], EINVAL, "(source family)");
		if (bind(fd, (struct sockaddr *)&src.ss, src.len))
			return report(argv[3], errno, "(bind)");
		e = op_run(argv[3], fd, &t);
		close(fd);
		return report(argv[3], e, NULL);
	}
	if (!strcmp(op, "join") && argc > 3) {
		struct target t;
		int fd = op_socket(argv[3], argc - 4, argv + 4, &t), e;

		if (fd < 0)
			return report(argv[3], errno, "(before joining)");
		e = join_cgroup(argv[2]);
		if (e)
			return report(argv[3], e, "(join)");
		e = op_run(argv[3], fd, &t);
		close(fd);
		return report(argv[3], e, NULL);
	}
	return do_op(op, argc - 2, argv + 2);
}
