/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer into a growable buffer, and a strict reader
 * (jv_walk) that checks a text is one JSON value in valid UTF-8.
 *
 * Every string the writer emits is valid UTF-8 JSON whatever bytes it is
 * given. A value that is not valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) is written escaped, reversibly: each
 * byte that starts no valid sequence becomes the four characters \xNN (NN:
 * lowercase hex), and each backslash of the value is doubled, so that \\ and
 * \xNN are the only backslash sequences of an escaped value. A valid value
 * is written as it is. The writer keeps the dotted names of the values it
 * escaped ("file.path", "process.args"), so the line can say which are; every
 * value of such a name in the line is in escaped form (all the arguments of
 * process.args, not only the invalid one), so a consumer unescapes by name.
 */
#ifndef HX_JSON_H
#define HX_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_PATH_MAX 256 /* dotted key path of the value being written */
#define JW_PATH_DEPTH 16 /* depths whose paths are kept; deeper values share the last */
#define JW_ESCAPED_MAX 512 /* the names of escaped values, as JSON strings */

struct jw {
	char *buf;
	size_t len, cap;
	bool oom;
	/* whether the next value at each depth needs a comma */
	uint64_t need_comma;
	int depth;
	bool after_key;
	/* path[0..pathend[d]) names the value at depth d ("process.args") */
	char path[JW_PATH_MAX];
	uint16_t pathend[JW_PATH_DEPTH + 1];
	/* the names of escaped values: "a","b" (the body of a JSON array) */
	char escaped[JW_ESCAPED_MAX];
	size_t escaped_len;
	unsigned nescaped;
	bool escaped_overflow; /* more names than fit: "*" ends the list */
	bool plain_backslash; /* a value not escaped had a backslash */
	/* where the top-level object named anchor closes (offset of its '}'), 0: not yet */
	const char *anchor;
	size_t anchor_off;
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
/* Empties the buffer, the escaped names and the anchor's offset (not the anchor). */
void jw_reset(struct jw *w);

void jw_obj(struct jw *w); /* { */
void jw_obj_end(struct jw *w); /* } */
void jw_arr(struct jw *w); /* [ */
void jw_arr_end(struct jw *w); /* ] */
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_raw(struct jw *w, const char *s);

/* key + value shorthands */
void jw_kstr(struct jw *w, const char *k, const char *v);
void jw_ku64(struct jw *w, const char *k, uint64_t v);
void jw_ki64(struct jw *w, const char *k, int64_t v);
void jw_kbool(struct jw *w, const char *k, bool v);

/* Records where the top-level object under key @k closes, so jw_insert can add to it. */
void jw_set_anchor(struct jw *w, const char *k);
/* Inserts @n bytes at offset @off of the text written so far. */
void jw_insert(struct jw *w, size_t off, const char *s, size_t n);

/* Whether s[0..n) is valid UTF-8 (RFC 3629). */
bool hx_utf8_valid(const char *s, size_t n);
/*
 * The code point of the valid UTF-8 sequence at @s (at most @n bytes) into
 * @cp; returns the sequence's length, 0 (and @cp untouched) when none starts
 * there (NUL, overlong forms, surrogates, past U+10FFFF, cut short).
 */
size_t hx_utf8_decode(const char *s, size_t n, uint32_t *cp);
/*
 * Undoes the writer's escaping of an invalid value (\\ -> \, \xNN -> byte), in
 * place; returns the new length, or (size_t)-1 if s holds another backslash sequence.
 */
size_t hx_unescape_bytes(char *s, size_t n);

/* ---- reading ---- */

enum jv_type { JV_STRING, JV_NUMBER, JV_TRUE, JV_FALSE, JV_NULL, JV_EMPTY_OBJECT, JV_EMPTY_ARRAY };

struct jv_leaf {
	const char *path; /* dotted keys: "process.args"; array elements share their array's */
	size_t pathlen;
	enum jv_type type;
	const char *raw; /* strings: between the quotes, still escaped; others: the token */
	size_t rawlen;
	unsigned in_array; /* arrays around this value, within its top-level key */
};

typedef int (*jv_leaf_fn)(void *ctx, const struct jv_leaf *leaf);

#define JV_MAX_DEPTH 64

/*
 * Checks that s[0..n) is one JSON object (RFC 8259) in valid UTF-8, with no
 * duplicate key in any object, no lone surrogate escape and no NUL, nesting
 * at most JV_MAX_DEPTH, at most 128 keys an object; calls @fn (may be NULL) for each leaf in order.
 * Returns 0, -EINVAL for a text that is not such an object, -E2BIG for one too
 * deep, or the first nonzero value @fn returned.
 */
int jv_walk(const char *s, size_t n, jv_leaf_fn fn, void *ctx);
/* Decodes a string leaf's raw text (JSON escapes) into out; returns the decoded length. */
size_t jv_unescape(const char *raw, size_t rawlen, char *out, size_t outlen);

#endif
