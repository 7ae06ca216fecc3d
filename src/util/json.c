// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_free(struct jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->oom = false;
	w->need_comma = 0;
	w->depth = 0;
	w->after_key = false;
	if (w->buf)
		w->buf[0] = 0;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t ncap = w->cap ? w->cap : 256;
		char *nb;

		while (w->len + n + 1 > ncap)
			ncap *= 2;
		nb = realloc(w->buf, ncap);
		if (!nb) {
			w->oom = true;
			return;
		}
		w->buf = nb;
		w->cap = ncap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = 0;
}

/* Emits the separator a new value needs at the current depth. */
static void sep(struct jw *w)
{
	uint64_t bit = 1ull << (w->depth & 63);

	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma & bit)
		put(w, ",", 1);
	w->need_comma |= bit;
}

static void open_(struct jw *w, const char *c)
{
	sep(w);
	put(w, c, 1);
	w->depth++;
	w->need_comma &= ~(1ull << (w->depth & 63));
}

static void close_(struct jw *w, const char *c)
{
	w->need_comma &= ~(1ull << (w->depth & 63));
	w->depth--;
	put(w, c, 1);
}

void jw_obj(struct jw *w)
{
	open_(w, "{");
}

void jw_obj_end(struct jw *w)
{
	close_(w, "}");
}

void jw_arr(struct jw *w)
{
	open_(w, "[");
}

void jw_arr_end(struct jw *w)
{
	close_(w, "]");
}

static void quoted(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
			run++;
			continue;
		}
		put(w, s + i - run, run);
		run = 0;
		switch (c) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			put(w, esc, 6);
		}
	}
	put(w, s + n - run, run);
	put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *k)
{
	sep(w);
	quoted(w, k, strlen(k));
	put(w, ":", 1);
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	sep(w);
	quoted(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_strn(w, s, strlen(s));
}

void jw_u64(struct jw *w, uint64_t v)
{
	char b[24];

	sep(w);
	put(w, b, (size_t)snprintf(b, sizeof(b), "%" PRIu64, v));
}

void jw_i64(struct jw *w, int64_t v)
{
	char b[24];

	sep(w);
	put(w, b, (size_t)snprintf(b, sizeof(b), "%" PRId64, v));
}

void jw_bool(struct jw *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *s)
{
	sep(w);
	put(w, s, strlen(s));
}

void jw_kstr(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	jw_str(w, v);
}

void jw_ku64(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_u64(w, v);
}

void jw_ki64(struct jw *w, const char *k, int64_t v)
{
	jw_key(w, k);
	jw_i64(w, v);
}

void jw_kbool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}
