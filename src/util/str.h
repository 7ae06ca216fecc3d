/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HX_STR_H
#define HX_STR_H

#include <string.h>

/* Copies at most n-1 bytes and terminates; returns the length of src. */
static inline size_t hx_strlcpy(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (n) {
		size_t c = len < n - 1 ? len : n - 1;

		memcpy(dst, src, c);
		dst[c] = 0;
	}
	return len;
}

#endif
