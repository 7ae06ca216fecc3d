// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
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
	w->escaped_len = 0;
	w->nescaped = 0;
	w->escaped_overflow = false;
	w->plain_backslash = false;
	w->anchor_off = 0;
	w->pathend[0] = 0;
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
	/* terminated at the top level (the closing brace), not after each piece */
	if (w->depth <= 0)
		w->buf[w->len] = 0;
}

static unsigned depth_idx(int d)
{
	return d <= 0 ? 0 : d < JW_PATH_DEPTH ? (unsigned)d : JW_PATH_DEPTH;
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
	/* an array element (or the top) takes its container's name */
	if (!w->after_key)
		w->pathend[depth_idx(w->depth)] =
			w->depth > 0 ? w->pathend[depth_idx(w->depth - 1)] : 0;
	sep(w);
	put(w, c, 1);
	w->depth++;
	w->need_comma &= ~(1ull << (w->depth & 63));
}

static void close_(struct jw *w, const char *c)
{
	if (w->depth == 2 && c[0] == '}' && w->anchor && !w->anchor_off &&
	    strlen(w->anchor) == w->pathend[1] && !memcmp(w->path, w->anchor, w->pathend[1]))
		w->anchor_off = w->len;
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

/*
 * Length of the valid UTF-8 sequence at s (RFC 3629), 0 if the byte at s
 * starts none. NUL counts as invalid: C consumers stop at it.
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c && c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t hx_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = utf8_seq(u, n);

	if (len == 1)
		*cp = u[0];
	else if (len == 2)
		*cp = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
	else if (len == 3)
		*cp = (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
	else if (len == 4)
		*cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 |
		      (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
	return len;
}

bool hx_utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0, l; i < n; i += l)
		if (!(l = utf8_seq((const unsigned char *)s + i, n - i)))
			return false;
	return true;
}

size_t hx_unescape_bytes(char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		const char *h, *l;

		if (s[i] != '\\') {
			s[o++] = s[i];
		} else if (i + 1 < n && s[i + 1] == '\\') {
			s[o++] = '\\';
			i++;
		} else if (i + 3 < n && s[i + 1] == 'x' && (h = memchr(hex, s[i + 2], 16)) &&
			   (l = memchr(hex, s[i + 3], 16)) && s[i + 2] && s[i + 3]) {
			s[o++] = (char)((h - hex) << 4 | (l - hex));
			i += 3;
		} else {
			return (size_t)-1;
		}
	}
	return o;
}

/*
 * Writes s[0..n) as a JSON string, in escaped form (json.h) if @esc or if it
 * is not valid UTF-8; returns whether it used the escaped form, and in
 * *backslash whether the value had a backslash. The first invalid byte
 * restarts the value in escaped form, so valid values, the common case, are
 * scanned once.
 */
static bool quoted(struct jw *w, const char *s, size_t n, bool esc, bool *backslash)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = w->len, run;
	char e[7];

again:
	run = 0;
	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			run++;
			continue;
		}
		if (c >= 0x80 || !c) {
			size_t l = utf8_seq((const unsigned char *)s + i, n - i);

			if (l) {
				run += l;
				i += l - 1;
				continue;
			}
			if (!esc) {
				esc = true;
				if (!w->oom) {
					w->len = start;
					w->buf[start] = 0;
				}
				goto again;
			}
		}
		put(w, s + i - run, run);
		run = 0;
		switch (c) {
		case '"':
			put(w, "\\\"", 2);
			break;
		case '\\':
			put(w, "\\\\\\\\", esc ? 4 : 2);
			*backslash = true;
			break;
		case '\n':
			put(w, "\\n", 2);
			break;
		case '\r':
			put(w, "\\r", 2);
			break;
		case '\t':
			put(w, "\\t", 2);
			break;
		default:
			if (c >= 0x80 || !c) {
				/* \xNN in the value: a JSON backslash, then x and the hex digits */
				memcpy(e, "\\\\x", 3);
				e[3] = hex[c >> 4];
				e[4] = hex[c & 15];
				put(w, e, 5);
			} else {
				memcpy(e, "\\u00", 4);
				e[4] = hex[c >> 4];
				e[5] = hex[c & 15];
				put(w, e, 6);
			}
		}
	}
	put(w, s + n - run, run);
	put(w, "\"", 1);
	return esc;
}

/* The path length of the value about to be written (before sep() clears after_key). */
static size_t value_path(const struct jw *w)
{
	if (w->after_key)
		return w->pathend[depth_idx(w->depth)];
	return w->depth > 0 ? w->pathend[depth_idx(w->depth - 1)] : 0;
}

/* Whether path[0..plen) is among the escaped names. */
static bool is_escaped(const struct jw *w, size_t plen)
{
	const char *p = w->escaped, *end = w->escaped + w->escaped_len;

	/* entries are "name" separated by commas; names have no quote */
	while (p < end) {
		const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));

		if (!q)
			break;
		if ((size_t)(q - p - 1) == plen && !memcmp(p + 1, w->path, plen))
			return true;
		p = q + 2;
	}
	return false;
}

struct refit {
	const char *path;
	size_t plen, limit;
	size_t *off; /* string leaves at path with a backslash: offsets of their raw text */
	size_t n, cap;
	const char *base;
};

static int refit_leaf(void *ctx, const struct jv_leaf *l)
{
	struct refit *r = ctx;
	size_t *no;

	if (l->type != JV_STRING || l->pathlen != r->plen || memcmp(l->path, r->path, r->plen) ||
	    !memchr(l->raw, '\\', l->rawlen))
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 8;
		no = realloc(r->off, r->cap * sizeof(*no));
		if (!no)
			return -ENOMEM;
		r->off = no;
	}
	r->off[r->n++] = (size_t)(l->raw - r->base);
	return 0;
}

/*
 * A name becomes escaped after values of it were written plainly (another
 * argument of process.args, another sandbox's name): those that hold a
 * backslash are rewritten in escaped form, so that every value of an escaped
 * name is, and unescaping one never misreads a plain backslash. Rare: only
 * lines that have both an invalid value and a backslash under one name.
 */
static void refit_earlier(struct jw *w, size_t plen, size_t before)
{
	struct refit r = { .path = w->path, .plen = plen, .base = w->buf };

	if (w->oom)
		return;
	/* the text so far is a prefix of the line: every leaf before @before is whole */
	if (jv_walk(w->buf, before, refit_leaf, &r) == -ENOMEM) {
		w->oom = true;
		free(r.off);
		return;
	}
	for (size_t i = r.n; i-- > 0;) {
		/* each JSON \\ (one backslash of the value) becomes \\\\ (two) */
		for (size_t p = r.off[i]; w->buf[p] != '"'; p++) {
			if (w->buf[p] != '\\')
				continue;
			if (w->buf[p + 1] == '\\') {
				jw_insert(w, p, "\\\\", 2);
				if (w->oom)
					break;
				if (w->anchor_off > p)
					w->anchor_off += 2;
				p += 3;
			} else {
				p++; /* \" \n \uXXXX: the same in both forms */
			}
		}
	}
	free(r.off);
}

/* Adds path[0..plen) to the escaped names. */
static void note_escaped(struct jw *w, size_t plen)
{
	if (w->oom)
		return;
	if (w->escaped_len + plen + 8 > sizeof(w->escaped)) {
		w->escaped_overflow = true;
		return;
	}
	if (w->nescaped)
		w->escaped[w->escaped_len++] = ',';
	w->escaped[w->escaped_len++] = '"';
	memcpy(w->escaped + w->escaped_len, w->path, plen);
	w->escaped_len += plen;
	w->escaped[w->escaped_len++] = '"';
	w->nescaped++;
}

void jw_key(struct jw *w, const char *k)
{
	size_t kl = strlen(k);
	unsigned d = depth_idx(w->depth);
	size_t base = d ? w->pathend[d - 1] : 0, end = base + (base ? 1 : 0) + kl;
	bool bs;

	if (end < sizeof(w->path)) {
		if (base)
			w->path[base] = '.';
		memcpy(w->path + end - kl, k, kl);
	} else {
		end = base; /* too long to name: the parent's name stands for it */
	}
	w->pathend[d] = (uint16_t)end;
	sep(w);
	quoted(w, k, kl, false, &bs);
	put(w, ":", 1);
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	size_t plen = value_path(w), at;
	/* every value of an escaped name is written escaped (json.h) */
	bool listed = w->nescaped && is_escaped(w, plen), bs = false;

	sep(w);
	at = w->len;
	if (quoted(w, s, n, listed, &bs) && !listed) {
		if (w->plain_backslash)
			refit_earlier(w, plen, at);
		note_escaped(w, plen);
	} else if (bs && !listed) {
		w->plain_backslash = true;
	}
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

void jw_set_anchor(struct jw *w, const char *k)
{
	w->anchor = k;
	w->anchor_off = 0;
}

void jw_insert(struct jw *w, size_t off, const char *s, size_t n)
{
	size_t len = w->len;

	if (off > len)
		return;
	put(w, s, n); /* grows the buffer; the bytes are moved into place below */
	if (w->oom)
		return;
	memmove(w->buf + off + n, w->buf + off, len - off);
	memcpy(w->buf + off, s, n);
	w->buf[w->len] = 0;
}

/* ---- the strict reader ---- */

struct jv {
	const unsigned char *s, *end;
	jv_leaf_fn fn;
	void *ctx;
	char path[JW_PATH_MAX];
	size_t pathlen;
	unsigned in_array;
	int depth;
};

static void ws(struct jv *r)
{
	while (r->s < r->end && (*r->s == ' ' || *r->s == '\t' || *r->s == '\n' || *r->s == '\r'))
		r->s++;
}

static int hex4(const unsigned char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			*v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			*v |= c - 'A' + 10;
		else
			return -EINVAL;
	}
	return 0;
}

/* A string at r->s (the opening quote); its raw content into *raw. */
static int jv_string(struct jv *r, const char **raw, size_t *rawlen)
{
	const unsigned char *p = r->s + 1;

	while (p < r->end && *p != '"') {
		unsigned v, lo;

		if (*p < 0x20)
			return -EINVAL;
		if (*p >= 0x80) {
			size_t l = utf8_seq(p, (size_t)(r->end - p));

			if (!l)
				return -EINVAL;
			p += l;
			continue;
		}
		if (*p != '\\') {
			p++;
			continue;
		}
		if (r->end - p < 2)
			return -EINVAL;
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			continue;
		case 'u':
			if (r->end - p < 6 || hex4(p + 2, &v) || !v)
				return -EINVAL;
			p += 6;
			if (v >= 0xdc00 && v <= 0xdfff)
				return -EINVAL; /* a low surrogate without its high one */
			if (v >= 0xd800 && v <= 0xdbff) {
				if (r->end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    hex4(p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -EINVAL;
				p += 6;
			}
			continue;
		default:
			return -EINVAL;
		}
	}
	if (p >= r->end)
		return -EINVAL;
	*raw = (const char *)r->s + 1;
	*rawlen = (size_t)(p - r->s - 1);
	r->s = p + 1;
	return 0;
}

static int jv_number(struct jv *r)
{
	const unsigned char *p = r->s;

	if (p < r->end && *p == '-')
		p++;
	if (p < r->end && *p == '0') {
		p++;
	} else if (p < r->end && *p >= '1' && *p <= '9') {
		while (p < r->end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return -EINVAL;
	}
	if (p < r->end && *p == '.') {
		if (++p >= r->end || *p < '0' || *p > '9')
			return -EINVAL;
		while (p < r->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < r->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < r->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= r->end || *p < '0' || *p > '9')
			return -EINVAL;
		while (p < r->end && *p >= '0' && *p <= '9')
			p++;
	}
	r->s = p;
	return 0;
}

static int leaf(struct jv *r, enum jv_type t, const char *raw, size_t rawlen)
{
	struct jv_leaf l = { r->path, r->pathlen, t, raw, rawlen, r->in_array };

	return r->fn ? r->fn(r->ctx, &l) : 0;
}

static int jv_value(struct jv *r);

static int jv_object(struct jv *r)
{
	/* the keys seen in this object, for duplicates: raw spans */
	const char *keys[128];
	size_t klen[128], nkeys = 0, base = r->pathlen;
	int err;

	r->s++;
	ws(r);
	if (r->s < r->end && *r->s == '}') {
		r->s++;
		return leaf(r, JV_EMPTY_OBJECT, NULL, 0);
	}
	for (;;) {
		const char *k;
		size_t kl, at;

		ws(r);
		if (r->s >= r->end || *r->s != '"')
			return -EINVAL;
		err = jv_string(r, &k, &kl);
		if (err)
			return err;
		for (size_t i = 0; i < nkeys; i++)
			if (klen[i] == kl && !memcmp(keys[i], k, kl))
				return -EINVAL;
		if (nkeys < 128) {
			keys[nkeys] = k;
			klen[nkeys++] = kl;
		} else {
			return -E2BIG; /* more keys than duplicates can be checked for */
		}
		at = base + (base ? 1 : 0);
		if (at + kl >= sizeof(r->path))
			return -E2BIG;
		if (base)
			r->path[base] = '.';
		memcpy(r->path + at, k, kl);
		r->pathlen = at + kl;
		ws(r);
		if (r->s >= r->end || *r->s != ':')
			return -EINVAL;
		r->s++;
		err = jv_value(r);
		r->pathlen = base;
		if (err)
			return err;
		ws(r);
		if (r->s < r->end && *r->s == ',') {
			r->s++;
			continue;
		}
		if (r->s < r->end && *r->s == '}') {
			r->s++;
			return 0;
		}
		return -EINVAL;
	}
}

static int jv_array(struct jv *r)
{
	int err;

	r->s++;
	ws(r);
	if (r->s < r->end && *r->s == ']') {
		r->s++;
		return leaf(r, JV_EMPTY_ARRAY, NULL, 0);
	}
	r->in_array++;
	for (;;) {
		err = jv_value(r);
		if (err)
			break;
		ws(r);
		if (r->s < r->end && *r->s == ',') {
			r->s++;
			continue;
		}
		if (r->s < r->end && *r->s == ']') {
			r->s++;
			break;
		}
		err = -EINVAL;
		break;
	}
	r->in_array--;
	return err;
}

static int word(struct jv *r, const char *w, enum jv_type t)
{
	size_t n = strlen(w);
	const char *at = (const char *)r->s;

	if ((size_t)(r->end - r->s) < n || memcmp(r->s, w, n))
		return -EINVAL;
	r->s += n;
	return leaf(r, t, at, n);
}

static int jv_value(struct jv *r)
{
	const char *raw, *at;
	int err;

	ws(r);
	if (r->s >= r->end)
		return -EINVAL;
	switch (*r->s) {
	case '{':
	case '[':
		if (++r->depth > JV_MAX_DEPTH)
			return -E2BIG;
		err = *r->s == '{' ? jv_object(r) : jv_array(r);
		r->depth--;
		return err;
	case '"': {
		size_t rawlen;

		err = jv_string(r, &raw, &rawlen);
		return err ? err : leaf(r, JV_STRING, raw, rawlen);
	}
	case 't':
		return word(r, "true", JV_TRUE);
	case 'f':
		return word(r, "false", JV_FALSE);
	case 'n':
		return word(r, "null", JV_NULL);
	default:
		at = (const char *)r->s;
		err = jv_number(r);
		return err ? err : leaf(r, JV_NUMBER, at, (size_t)((const char *)r->s - at));
	}
}

int jv_walk(const char *s, size_t n, jv_leaf_fn fn, void *ctx)
{
	struct jv r = { .s = (const unsigned char *)s,
			.end = (const unsigned char *)s + n,
			.fn = fn,
			.ctx = ctx };
	int err;

	ws(&r);
	if (r.s >= r.end || *r.s != '{')
		return -EINVAL;
	err = jv_value(&r);
	if (err)
		return err;
	ws(&r);
	return r.s == r.end ? 0 : -EINVAL;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t jv_unescape(const char *raw, size_t rawlen, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < rawlen;) {
		char u[4];
		size_t un = 1;
		unsigned cp, lo;

		if (raw[i] != '\\' || i + 1 >= rawlen) {
			u[0] = raw[i++];
		} else {
			char c = raw[i + 1];

			i += 2;
			switch (c) {
			case 'b':
				u[0] = '\b';
				break;
			case 'f':
				u[0] = '\f';
				break;
			case 'n':
				u[0] = '\n';
				break;
			case 'r':
				u[0] = '\r';
				break;
			case 't':
				u[0] = '\t';
				break;
			case 'u':
				if (i + 4 > rawlen || hex4((const unsigned char *)raw + i, &cp))
					return o; /* jv_walk checked it; never for its leaves */
				i += 4;
				if (cp >= 0xd800 && cp <= 0xdbff && i + 6 <= rawlen &&
				    raw[i] == '\\' && raw[i + 1] == 'u' &&
				    !hex4((const unsigned char *)raw + i + 2, &lo)) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
				un = put_utf8(u, cp);
				break;
			default:
				u[0] = c;
			}
		}
		if (o + un >= outlen)
			break;
		memcpy(out + o, u, un);
		o += un;
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = 0;
	return o;
}
