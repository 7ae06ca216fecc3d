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
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "metrics/metrics.h"

static void exposition_format(void **state)
{
	struct hx_buf b = { 0 };

	hx_prom_family(&b, "helixagent_decisions_total", "counter", "Decisions.");
	hx_prom_u64(&b, "helixagent_decisions_total",
		    (const char *[]){ "sandbox", "we\"b\\x\ny", "family", "exec", NULL }, 42);
	hx_prom_f64(&b, "helixagent_policy_load_duration_seconds", NULL, 0.125);
	hx_prom_u64(&b, "helixagent_policy_generation", (const char *[]){ NULL }, 7);
	assert_false(b.oom);
	assert_string_equal(b.p, "# HELP helixagent_decisions_total Decisions.\n"
				 "# TYPE helixagent_decisions_total counter\n"
				 "helixagent_decisions_total{sandbox=\"we\\\"b\\\\x\\ny\",family=\"exec\"} 42\n"
				 "helixagent_policy_load_duration_seconds 0.125\n"
				 "helixagent_policy_generation 7\n");
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
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
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

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Every metric the alert rules use is one the daemon renders (a quoted name in src/daemon.c). */
static void rules_use_real_metric_names(void **state)
{
	char *rules = slurp(HX_SRCDIR "/deploy/prometheus/helixagent-rules.yaml");
	char *daemon = slurp(HX_SRCDIR "/src/daemon.c");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exposition_format),
		cmocka_unit_test(buffer_grows),
		cmocka_unit_test(serves_metrics_and_health),
		cmocka_unit_test(rules_use_real_metric_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
