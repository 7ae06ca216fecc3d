// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics endpoint: the text exposition format, the HTTP server driven
 * as the daemon drives it, and the shipped alert rules naming only metrics
 * the daemon serves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>
#include <cmocka.h>

#include "metrics/metrics.h"
#include "test_file_util.h"

static void exposition_format(void **state)
{
	struct hx_buf b = { 0 };

	hx_prom_family(&b, "helixagent_decisions_total", "counter", "Decisions.");
	hx_prom_u64(&b, "helixagent_decisions_total",
		    (const char *[]){ "sandbox", "we\"b\\x\ny", "family", "exec", NULL }, 42);
	hx_prom_f64(&b, "helixagent_policy_load_duration_seconds", NULL, 0.125);
	hx_prom_u64(&b, "helixagent_policy_generation", (const char *[]){ NULL }, 7);
	assert_false(b.oom);
	assert_string_equal(
		b.p, "# HELP helixagent_decisions_total Decisions.\n"
		     "# TYPE helixagent_decisions_total counter\n"
		     "helixagent_decisions_total{sandbox=\"we\\\"b\\\\x\\ny\",family=\"exec\"} 42\n"
		     "helixagent_policy_load_duration_seconds 0.125\n"
		     "helixagent_policy_generation 7\n");
	hx_buf_free(&b);

	/* the shortest text that reads back as the value: a start time keeps its ticks */
	hx_prom_f64(&b, "a", NULL, 1700000123.45);
	hx_prom_f64(&b, "b", NULL, 0.1);
	hx_prom_f64(&b, "c", NULL, 1.0 / 3);
	assert_string_equal(b.p, "a 1700000123.45\nb 0.1\nc 0.33333333333333331\n");
	hx_buf_free(&b);
}

static void buffer_grows(void **state)
{
	struct hx_buf b = { 0 };

	for (int i = 0; i < 5000; i++)
		hx_prom_u64(&b, "m", (const char *[]){ "i", "x", NULL }, (uint64_t)i);
	assert_false(b.oom);
	assert_non_null(strstr(b.p, "m{i=\"x\"} 4999\n"));
	hx_buf_free(&b);
}

static int renders;

static void render(void *ctx, struct hx_buf *out)
{
	renders++;
	hx_prom_family(out, "helixagent_test", "gauge", "A test.");
	hx_prom_u64(out, "helixagent_test", NULL, (uint64_t)(uintptr_t)ctx);
}

static bool healthy(void *ctx)
{
	return false;
}

/* One HTTP exchange, driving the server between writes and reads as the daemon's loop does. */
static void get(struct hx_metrics *m, int port, const char *path, char *resp, size_t len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char req[256];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* The kernel completes the handshake from the listen backlog: no server turn needed. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail_msg("connect to port %d: %s", port, strerror(errno));
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 300; i++) {
		ssize_t n;

		hx_metrics_run(m);
		n = recv(fd, resp + got, len - 1 - got, 0);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		else
			usleep(10000);
	}
	resp[got] = 0;
	close(fd);
}

static void serves_metrics_and_health(void **state)
{
	char err[256], resp[8192];
	struct hx_metrics *m;
	int port = 0;

	/* a free port: bind to 0 and ask */
	{
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof(sa);
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		getsockname(fd, (struct sockaddr *)&sa, &sl);
		port = ntohs(sa.sin_port);
		close(fd);
	}
	snprintf(resp, sizeof(resp), "127.0.0.1:%d", port);
	m = hx_metrics_start(resp, render, healthy, (void *)(uintptr_t)5, err, sizeof(err));
	assert_non_null(m);
	assert_true(hx_metrics_fd(m) >= 0);

	get(m, port, "/metrics", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	assert_non_null(strstr(resp, "text/plain; version=0.0.4"));
	assert_non_null(strstr(resp, "\r\n\r\n# HELP helixagent_test A test.\n"));
	assert_non_null(strstr(resp, "\nhelixagent_test 5\n"));
	assert_non_null(strstr(resp, "\n# TYPE process_cpu_seconds_total counter\n"));
	assert_non_null(strstr(resp, "\n# TYPE process_open_fds gauge\n"));
	assert_int_equal(renders, 1);
	assert_int_equal(hx_metrics_scrapes(m), 1);

	get(m, port, "/healthz", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 503"));
	get(m, port, "/nothing", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 404"));
	hx_metrics_stop(m);

	/* A taken port is an error with a reason, not a crash. */
	{
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(fd, 1), 0);
		snprintf(resp, sizeof(resp), "127.0.0.1:%d", port);
		assert_null(hx_metrics_start(resp, render, NULL, NULL, err, sizeof(err)));
		assert_non_null(strstr(err, "cannot listen"));
		close(fd);
	}
	assert_null(hx_metrics_start("nonsense", render, NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "HOST:PORT"));
}

/* ---- the connection budget, with the server in a thread looping as the daemon's does ---- */

struct server {
	struct hx_metrics *m;
	int port, stop;
	pthread_t t;
};

/* One at a time, outside any test's frame: a failed test's teardown still stops its thread. */
static struct server sv;

/* The daemon's loop: run on readiness of the endpoint's descriptor, and every 250 ms tick. */
static void *serve(void *arg)
{
	struct server *srv = arg;
	struct epoll_event ev = { .events = EPOLLIN }, evs[2];
	int efd = epoll_create1(EPOLL_CLOEXEC);

	ev.data.u32 = 0;
	epoll_ctl(efd, EPOLL_CTL_ADD, hx_metrics_fd(srv->m), &ev);
	ev.data.u32 = 1;
	epoll_ctl(efd, EPOLL_CTL_ADD, srv->stop, &ev);
	for (;;) {
		int n = epoll_wait(efd, evs, 2, 250);
		bool stop = false;

		for (int i = 0; i < n; i++)
			stop |= evs[i].data.u32 == 1;
		if (stop)
			break;
		hx_metrics_run(srv->m);
	}
	close(efd);
	return NULL;
}

static bool healthy_yes(void *ctx)
{
	return true;
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	return ntohs(sa.sin_port);
}

static void server_start(const struct hx_metrics_limits *lim)
{
	char listen[64], err[256];

	sv.port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", sv.port);
	sv.m = hx_metrics_start_limits(listen, lim, render, healthy_yes, NULL, err, sizeof(err));
	if (!sv.m)
		fail_msg("%s", err);
	sv.stop = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(pthread_create(&sv.t, NULL, serve, &sv), 0);
}

static int server_stop(void **state)
{
	uint64_t one = 1;

	if (!sv.m)
		return 0;
	if (write(sv.stop, &one, sizeof(one)) != sizeof(one))
		return -1;
	pthread_join(sv.t, NULL);
	close(sv.stop);
	hx_metrics_stop(sv.m);
	sv.m = NULL;
	return 0;
}

static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A connected client that has sent @partial (a request it never finishes). */
static int stalled(int port, const char *partial)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail_msg("connect to port %d: %s", port, strerror(errno));
	if (partial[0])
		assert_int_equal(send(fd, partial, strlen(partial), MSG_NOSIGNAL),
				 (ssize_t)strlen(partial));
	return fd;
}

/* One whole request, reading until the server closes; the milliseconds it took. */
static int64_t request(int port, const char *path, char *resp, size_t len)
{
	struct timeval tv = { .tv_sec = 5 };
	struct timespec t0;
	char req[128];
	size_t got = 0;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	fd = stalled(port, req);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = recv(fd, resp + got, len - 1 - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	resp[got] = 0;
	close(fd);
	return ms_since(&t0);
}

/* Milliseconds until the server ends the connection (recv sees EOF or a reset). */
static int64_t until_closed(int fd, const struct timespec *t0, int trickle_ms)
{
	char c;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (ms_since(t0) < 5000) {
		ssize_t n = recv(fd, &c, 1, 0);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			return ms_since(t0);
		if (n > 0 && !trickle_ms)
			continue; /* an answer being read: not yet closed */
		/* a client that keeps sending, a byte at a time, is never idle */
		if (trickle_ms && send(fd, "X", 1, MSG_NOSIGNAL) != 1)
			return ms_since(t0);
		usleep((useconds_t)(trickle_ms ? trickle_ms : 10) * 1000);
	}
	return -1;
}

/*
 * Every /metrics connection held by a client that never finishes its
 * request: the next /metrics is told the endpoint is busy, and /healthz is
 * answered within 100 ms, with the shipped limits.
 */
static void healthz_while_metrics_slots_are_held(void **state)
{
	static const struct hx_metrics_limits lim = HX_METRICS_LIMITS_DEFAULT;
	char resp[4096];
	int fds[64];
	int64_t ms;

	assert_true(lim.conns < 64);
	server_start(&lim);
	for (unsigned i = 0; i < lim.conns; i++)
		fds[i] = stalled(sv.port, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	/* accepted in order: the connection after the held ones is in the reserve */
	request(sv.port, "/metrics", resp, sizeof(resp));
	if (!strstr(resp, "HTTP/1.1 503") || !strstr(resp, "busy"))
		fail_msg("a /metrics request past the budget got: %s", resp);

	for (int i = 0; i < 20; i++) {
		ms = request(sv.port, "/healthz", resp, sizeof(resp));
		if (!strstr(resp, "HTTP/1.1 200") || !strstr(resp, "\r\n\r\nok\n"))
			fail_msg("/healthz with every /metrics slot held got: %s", resp);
		if (ms >= 100)
			fail_msg("/healthz took %lld ms with every /metrics slot held",
				 (long long)ms);
	}
	/* The held connections were never cut meanwhile: the reserve did the work. */
	for (unsigned i = 0; i < lim.conns; i++) {
		char c;

		assert_int_equal(recv(fds[i], &c, 1, MSG_DONTWAIT), -1);
		assert_int_equal(errno, EAGAIN);
		close(fds[i]);
	}
}

/*
 * A client that stalls, or sends a byte now and then and never a whole
 * request, is shut out at the exchange deadline (libmicrohttpd's own idle
 * timeout, whole seconds, would never end the second), and its slot serves
 * again.
 */
static void stalled_clients_are_dropped(void **state)
{
	static const struct hx_metrics_limits lim = {
		.conns = 2, .health_reserve = 1, .exchange_ms = 300, .reserve_ms = 300
	};
	struct timespec t0;
	char resp[8192];
	int64_t ms;
	int a, b;

	server_start(&lim);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = stalled(sv.port, "");
	b = stalled(sv.port, "GET /metrics HTTP/1.1\r\n");
	/* past the deadline, and within it plus one 250 ms tick and some slack */
	ms = until_closed(a, &t0, 0);
	if (ms < 300 || ms > 950)
		fail_msg("a silent client was dropped after %lld ms (deadline 300)", (long long)ms);
	close(a);
	close(b);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = stalled(sv.port, "GET /metrics HTTP/1.1\r\n");
	ms = until_closed(a, &t0, 50);
	if (ms < 300 || ms > 950)
		fail_msg("a trickling client was dropped after %lld ms (deadline 300)",
			 (long long)ms);
	close(a);

	/* One request a connection: the answer says so and the server closes, keeping no slot. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = stalled(sv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	ms = until_closed(a, &t0, 0);
	close(a);
	if (ms < 0 || ms > 200)
		fail_msg("a connection was still open %lld ms after its answer", (long long)ms);

	/* The slots are free again: a scrape is served, not told the endpoint is busy. */
	request(sv.port, "/metrics", resp, sizeof(resp));
	if (!strstr(resp, "HTTP/1.1 200") ||
	    !strstr(resp, "\nhelixagent_http_deadline_closed_total 3\n"))
		fail_msg("a scrape after the cuts got: %s", resp);
	assert_non_null(strstr(resp, "\nhelixagent_http_connection_limit{pool=\"general\"} 2\n"));
}

/* A connection in the reserve has the shorter deadline: it cannot keep /healthz's room. */
static void reserve_deadline_is_short(void **state)
{
	static const struct hx_metrics_limits lim = {
		.conns = 2, .health_reserve = 1, .exchange_ms = 5000, .reserve_ms = 200
	};
	struct timespec t0;
	char resp[4096];
	int64_t ms;
	int a, b, r;

	server_start(&lim);
	a = stalled(sv.port, "GET /metrics HTTP/1.1\r\n");
	b = stalled(sv.port, "GET /metrics HTTP/1.1\r\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = stalled(sv.port, "GET /healthz HTTP/1.1\r\n");
	ms = until_closed(r, &t0, 0);
	close(r);
	if (ms < 200 || ms > 850)
		fail_msg("a stalled reserve client was dropped after %lld ms (deadline 200)",
			 (long long)ms);
	/* and the reserve is there for the next probe */
	request(sv.port, "/healthz", resp, sizeof(resp));
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	close(a);
	close(b);
}

/* ---- process_* ---- */

static void proc_stat_parse(void **state)
{
	/* a name with spaces and parentheses: fields are counted from the last ')' */
	static const char line[] =
		"4242 (a) (b c) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 50 0 0 20 0 3 0 "
		"12345 104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0\n";
	struct hx_proc_stats st = { .open_fds = 7 };

	assert_int_equal(hx_proc_parse_stat(line, 100, 4096, 1700000000, &st), 0);
	assert_true(st.cpu_seconds == 2.0);
	assert_true(st.start_time_seconds == 1700000123.45);
	assert_int_equal(st.virtual_bytes, 104857600);
	assert_int_equal(st.resident_bytes, 2560 * 4096);
	assert_int_equal(st.open_fds, 7);

	assert_int_equal(hx_proc_parse_stat("4242 (a S 1 2", 100, 4096, 0, &st), -EINVAL);
	assert_int_equal(hx_proc_parse_stat("4242 (a) S 1 2 3\n", 100, 4096, 0, &st), -EINVAL);
	assert_int_equal(hx_proc_parse_stat("4242 (a) S 1 x 3", 100, 4096, 0, &st), -EINVAL);
	assert_int_equal(hx_proc_parse_stat(line, 0, 4096, 0, &st), -EINVAL);
}

/* The sample of @name in @text (a line "NAME VALUE"), or fail. */
static double sample(const char *text, const char *name)
{
	char want[96];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", name);
	p = strstr(text, want);
	if (!p)
		fail_msg("no sample of %s in:\n%s", name, text);
	return strtod(p + strlen(want), NULL);
}

static void type_is(const char *text, const char *name, const char *type)
{
	char want[128];

	snprintf(want, sizeof(want), "# TYPE %s %s\n", name, type);
	if (!strstr(text, want))
		fail_msg("%s is not a %s in:\n%s", name, type, text);
}

/* The values follow what this process does: CPU it burns, descriptors it opens. */
static void process_metrics(void **state)
{
	struct hx_buf b = { 0 }, b2 = { 0 };
	struct timespec t0, t1;
	double cpu, rss, vsz, fds, maxfds, start;
	volatile unsigned long spin = 0;
	int extra[5];
	struct rlimit rl;

	hx_prom_process(&b);
	assert_false(b.oom);
	type_is(b.p, "process_cpu_seconds_total", "counter");
	type_is(b.p, "process_resident_memory_bytes", "gauge");
	type_is(b.p, "process_virtual_memory_bytes", "gauge");
	type_is(b.p, "process_open_fds", "gauge");
	type_is(b.p, "process_max_fds", "gauge");
	type_is(b.p, "process_start_time_seconds", "gauge");
	cpu = sample(b.p, "process_cpu_seconds_total");
	rss = sample(b.p, "process_resident_memory_bytes");
	vsz = sample(b.p, "process_virtual_memory_bytes");
	fds = sample(b.p, "process_open_fds");
	maxfds = sample(b.p, "process_max_fds");
	start = sample(b.p, "process_start_time_seconds");

	assert_true(cpu >= 0);
	assert_true(rss > 0 && rss <= vsz);
	assert_true(fds >= 3 && fds <= maxfds);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_true(maxfds == (double)rl.rlim_cur);
	/* this test process started a moment ago (boot time is whole seconds) */
	assert_true(start <= (double)time(NULL) + 1 && start > (double)time(NULL) - 600);

	/* CPU time, not wall time: a loaded machine gives a spinning test less than it waits */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			spin++;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	} while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 300);
	for (int i = 0; i < 5; i++)
		extra[i] = dup(0);
	hx_prom_process(&b2);
	for (int i = 0; i < 5; i++)
		close(extra[i]);
	assert_true(sample(b2.p, "process_cpu_seconds_total") >= cpu + 0.2);
	assert_true(sample(b2.p, "process_open_fds") == fds + 5);
	assert_true(sample(b2.p, "process_start_time_seconds") == start);
	hx_buf_free(&b);
	hx_buf_free(&b2);
}

/* Every metric the alert rules use is one the daemon renders (a quoted name in src/daemon/metrics.c). */
static void rules_use_real_metric_names(void **state)
{
	char *rules = slurp(HX_SRCDIR "/deploy/prometheus/helixagent-rules.yaml");
	char *daemon = slurp(HX_SRCDIR "/src/daemon/metrics.c");
	regex_t re;
	regmatch_t m;
	int found = 0;
	bool seed_violations = false, seed_denied = false;

	assert_int_equal(regcomp(&re, "helixagent_[a-z_]+", REG_EXTENDED), 0);
	for (const char *p = rules; !regexec(&re, p, 1, &m, 0); p += m.rm_eo) {
		char name[128], quoted[132];
		int len = (int)(m.rm_eo - m.rm_so);
		const char *line = p + m.rm_so;

		snprintf(name, sizeof(name), "%.*s", len, line);
		/* alert names and group names are not metrics */
		while (line > rules && line[-1] != '\n')
			line--;
		if (strstr(line, "alert:") && strstr(line, "alert:") < p + m.rm_so)
			continue;
		if (strstr(line, "- name:") && strstr(line, "- name:") < p + m.rm_so)
			continue;
		snprintf(quoted, sizeof(quoted), "\"%s\"", name);
		if (!strstr(daemon, quoted))
			fail_msg("the rules use %s, which the daemon does not serve", name);
		found++;
		seed_violations |= !strcmp(name, "helixagent_sandbox_violations_total");
		seed_denied |= !strcmp(name, "helixagent_permission_denied_total");
	}
	regfree(&re);
	assert_true(found >= 6);
	assert_true(seed_violations && seed_denied);
	assert_non_null(strstr(rules, "alert: sandbox_violation\n"));
	assert_non_null(strstr(rules, "alert: permission_denied_spike\n"));
	free(rules);
	free(daemon);
}

/* Every YAML file shipped under deploy/ parses (libyaml: the parser the daemon uses). */
static void deploy_yaml_parses(void **state)
{
	static const char *const files[] = {
		"deploy/kubernetes/helixagent.yaml",
		"deploy/kubernetes/kustomization.yaml",
		"deploy/kubernetes/metrics-tls/kustomization.yaml",
		"deploy/kubernetes/metrics-tls/sidecar.yaml",
		"deploy/kubernetes/metrics-tls/metrics-tls.yaml",
		"deploy/prometheus/helixagent-rules.yaml",
		"deploy/prometheus/helixagent-scrape.yaml",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		yaml_parser_t yp;
		yaml_event_t ev;
		bool done = false;
		int docs = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", HX_SRCDIR, files[i]);
		f = fopen(path, "r");
		if (!f)
			fail_msg("cannot open %s", files[i]);
		assert_true(yaml_parser_initialize(&yp));
		yaml_parser_set_input_file(&yp, f);
		while (!done) {
			if (!yaml_parser_parse(&yp, &ev))
				fail_msg("%s:%zu:%zu: %s", files[i], yp.problem_mark.line + 1,
					 yp.problem_mark.column + 1, yp.problem);
			docs += ev.type == YAML_DOCUMENT_START_EVENT;
			done = ev.type == YAML_STREAM_END_EVENT;
			yaml_event_delete(&ev);
		}
		yaml_parser_delete(&yp);
		fclose(f);
		assert_true(docs >= 1);
	}
}

/*
 * The DaemonSet keeps the unauthenticated endpoint on the node's loopback,
 * and the TLS front admits only clients with a certificate from its CA.
 */
static void kubernetes_endpoint_is_not_on_the_network(void **state)
{
	char *ds = slurp(HX_SRCDIR "/deploy/kubernetes/helixagent.yaml");
	char *tls = slurp(HX_SRCDIR "/deploy/kubernetes/metrics-tls/metrics-tls.yaml");
	char *side = slurp(HX_SRCDIR "/deploy/kubernetes/metrics-tls/sidecar.yaml");

	assert_non_null(strstr(ds, "\n        listen: 127.0.0.1:9464\n"));
	assert_null(strstr(ds, "0.0.0.0"));
	assert_null(strstr(ds, "hostPort"));
	assert_null(strstr(ds, "prometheus.io/scrape"));
	assert_non_null(strstr(ds, "httpGet: {path: /healthz, port: 9464, host: 127.0.0.1}"));
	assert_non_null(strstr(tls, "\n    connect = 127.0.0.1:9464\n"));
	assert_non_null(strstr(tls, "\n    verifyChain = yes\n"));
	assert_non_null(strstr(tls, "\n    CAfile = /etc/helixagent-metrics-tls/ca.crt\n"));
	assert_null(strstr(tls, "requireCert = no"));
	/* a missing Secret must not keep the agent's pod from starting */
	assert_non_null(strstr(
		side, "secretName: helixagent-metrics-tls, defaultMode: 0444, optional: true"));
	free(ds);
	free(tls);
	free(side);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exposition_format),
		cmocka_unit_test(buffer_grows),
		cmocka_unit_test(serves_metrics_and_health),
		cmocka_unit_test_teardown(healthz_while_metrics_slots_are_held, server_stop),
		cmocka_unit_test_teardown(stalled_clients_are_dropped, server_stop),
		cmocka_unit_test_teardown(reserve_deadline_is_short, server_stop),
		cmocka_unit_test(proc_stat_parse),
		cmocka_unit_test(process_metrics),
		cmocka_unit_test(rules_use_real_metric_names),
		cmocka_unit_test(deploy_yaml_parses),
		cmocka_unit_test(kubernetes_endpoint_is_not_on_the_network),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
