/* SPDX-License-Identifier: GPL-2.0 */
/* A small streaming JSON writer into a growable buffer. */
#ifndef HX_JSON_H
#define HX_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw {
	char *buf;
	size_t len, cap;
	bool oom;
	/* whether the next value at each depth needs a comma */
	uint64_t need_comma;
	int depth;
	bool after_key;
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
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

#endif
