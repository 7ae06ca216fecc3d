// SPDX-License-Identifier: GPL-2.0
/* Prometheus text exposition format, version 0.0.4. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util/version.h"

void hx_buf_printf(struct hx_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap ? b->cap * 2 : 4096;
		while (ncap < b->len + (size_t)n + 1)
			ncap *= 2;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

void hx_buf_free(struct hx_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void hx_prom_family(struct hx_buf *b, const char *name, const char *type, const char *help)
{
	hx_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values escape backslash, double quote and line feed; nothing else. */
static void labels(struct hx_buf *b, const char *const *kv)
{
	if (!kv || !kv[0])
		return;
	hx_buf_printf(b, "{");
	for (size_t i = 0; kv[i] && kv[i + 1]; i += 2) {
		hx_buf_printf(b, "%s%s=\"", i ? "," : "", kv[i]);
		for (const char *p = kv[i + 1]; *p; p++) {
			if (*p == '\\')
				hx_buf_printf(b, "\\\\");
			else if (*p == '"')
				hx_buf_printf(b, "\\\"");
			else if (*p == '\n')
				hx_buf_printf(b, "\\n");
			else
				hx_buf_printf(b, "%c", *p);
		}
		hx_buf_printf(b, "\"");
	}
	hx_buf_printf(b, "}");
}

void hx_prom_u64(struct hx_buf *b, const char *name, const char *const *kv, uint64_t v)
{
	hx_buf_printf(b, "%s", name);
	labels(b, kv);
	hx_buf_printf(b, " %" PRIu64 "\n", v);
}

void hx_prom_f64(struct hx_buf *b, const char *name, const char *const *kv, double v)
{
	hx_buf_printf(b, "%s", name);
	labels(b, kv);
	if (isnan(v))
		hx_buf_printf(b, " NaN\n");
	else if (isinf(v))
		hx_buf_printf(b, " %sInf\n", v < 0 ? "-" : "+");
	else {
		/* the shortest text that reads back as v: 0.125, and a start time to the tick */
		char s[40];

		snprintf(s, sizeof(s), "%.15g", v);
		if (strtod(s, NULL) != v)
			snprintf(s, sizeof(s), "%.17g", v);
		hx_buf_printf(b, " %s\n", s);
	}
}

void hx_prom_build_info(struct hx_buf *b)
{
	hx_prom_family(
		b, "helixagent_build_info", "gauge",
		"Always 1: the agent's version, the SHA-256 of its BPF object, the libbpf it runs with.");
	hx_prom_u64(b, "helixagent_build_info",
		    (const char *[]){ "version", hx_version(), "bpf_object_sha256",
				      hx_bpf_object_sha256(), "libbpf", hx_libbpf_version(), NULL },
		    1);
}
