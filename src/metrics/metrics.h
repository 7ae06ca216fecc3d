/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Prometheus endpoint: text exposition format 0.0.4 at /metrics, and
 * /healthz (200 while enforcement is active). Served by libmicrohttpd from
 * the daemon's own event loop, so rendering needs no locks.
 */
#ifndef HX_METRICS_H
#define HX_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hx_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

void hx_buf_printf(struct hx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hx_buf_free(struct hx_buf *b);

/* # HELP and # TYPE lines of a metric family. */
void hx_prom_family(struct hx_buf *b, const char *name, const char *type, const char *help);
/*
 * One sample. @labels: NULL-terminated key, value pairs (values escaped
 * here), e.g. (const char *[]){ "sandbox", "web", NULL }; or NULL.
 */
void hx_prom_u64(struct hx_buf *b, const char *name, const char *const *labels, uint64_t v);
void hx_prom_f64(struct hx_buf *b, const char *name, const char *const *labels, double v);

/* helixagent_build_info{version,bpf_object_sha256,libbpf} 1 */
void hx_prom_build_info(struct hx_buf *b);

/* The daemon's own resources, as Prometheus client libraries report theirs. */
struct hx_proc_stats {
	double cpu_seconds; /* user + system */
	double start_time_seconds; /* Unix time */
	uint64_t resident_bytes, virtual_bytes, open_fds, max_fds;
};
/*
 * A /proc/PID/stat line: CPU time, start (@btime: boot, Unix seconds),
 * memory. Leaves open_fds and max_fds alone. 0, or -EINVAL for a line that
 * is not one.
 */
int hx_proc_parse_stat(const char *line, long ticks_per_s, long page_size, uint64_t btime,
		       struct hx_proc_stats *st);
/* This process: /proc/self/stat, /proc/stat, /proc/self/fd, RLIMIT_NOFILE. 0 or -errno. */
int hx_proc_stats_self(struct hx_proc_stats *st);
/* process_cpu_seconds_total, _resident_memory_bytes, ...; nothing when /proc cannot tell. */
void hx_prom_process(struct hx_buf *b);

struct hx_metrics;
typedef void (*hx_metrics_render_fn)(void *ctx, struct hx_buf *out);
typedef bool (*hx_metrics_healthy_fn)(void *ctx);

/*
 * The endpoint's connection budget (docs/operations.md, "Metrics"). @conns
 * connections may ask for anything; while they are all open, up to
 * @health_reserve more are accepted for /healthz alone (anything else there
 * is answered 503 at once). A connection carries one request; from its
 * start to the end of its answer it may take @exchange_ms, or @reserve_ms in
 * the reserve; then it is shut down.
 */
struct hx_metrics_limits {
	unsigned conns, health_reserve;
	unsigned exchange_ms, reserve_ms;
};
#define HX_METRICS_LIMITS_DEFAULT                                                                  \
	{                                                                                          \
		.conns = 16, .health_reserve = 4, .exchange_ms = 10000, .reserve_ms = 1000         \
	}

/*
 * Listens on @listen ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464") with
 * HX_METRICS_LIMITS_DEFAULT. NULL with errno set and a reason in @err.
 */
struct hx_metrics *hx_metrics_start(const char *listen, hx_metrics_render_fn render,
				    hx_metrics_healthy_fn healthy, void *ctx, char *err,
				    size_t errlen);
struct hx_metrics *hx_metrics_start_limits(const char *listen, const struct hx_metrics_limits *lim,
					   hx_metrics_render_fn render,
					   hx_metrics_healthy_fn healthy, void *ctx, char *err,
					   size_t errlen);
/*
 * A descriptor to watch for readability; call hx_metrics_run when it is, and
 * at least a few times a second: that is when deadlines are enforced.
 */
int hx_metrics_fd(const struct hx_metrics *m);
void hx_metrics_run(struct hx_metrics *m);
void hx_metrics_stop(struct hx_metrics *m);
uint64_t hx_metrics_scrapes(const struct hx_metrics *m);

struct hx_metrics_conn_stats {
	unsigned open, reserve_open; /* connections now, in the general budget and the reserve */
	uint64_t refused; /* requests other than /healthz answered 503 in the reserve */
	uint64_t cut; /* connections shut down at their deadline */
};
void hx_metrics_conn_stats(const struct hx_metrics *m, struct hx_metrics_conn_stats *st);

#endif
