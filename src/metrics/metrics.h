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

struct hx_metrics;
typedef void (*hx_metrics_render_fn)(void *ctx, struct hx_buf *out);
typedef bool (*hx_metrics_healthy_fn)(void *ctx);

/*
 * Listens on @listen ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464").
 * NULL with errno set and a reason in @err.
 */
struct hx_metrics *hx_metrics_start(const char *listen, hx_metrics_render_fn render,
				    hx_metrics_healthy_fn healthy, void *ctx, char *err,
				    size_t errlen);
/* A descriptor to watch for readability; call hx_metrics_run when it is, and now and then. */
int hx_metrics_fd(const struct hx_metrics *m);
void hx_metrics_run(struct hx_metrics *m);
void hx_metrics_stop(struct hx_metrics *m);
uint64_t hx_metrics_scrapes(const struct hx_metrics *m);

#endif
