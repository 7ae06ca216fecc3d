/* SPDX-License-Identifier: GPL-2.0 */
/* A file of the tree, whole, for the unit tests that compare docs and code (after cmocka.h). */
#ifndef HX_TEST_FILE_UTIL_H
#define HX_TEST_FILE_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* @path's bytes, NUL-terminated; fails the test when it cannot be read. Free it. */
static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
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

#endif
