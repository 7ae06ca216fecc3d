/* SPDX-License-Identifier: GPL-2.0 */
/* A test's scratch directory under /tmp: paths in it, and removing it (after cmocka.h). */
#ifndef HX_TEST_DIR_UTIL_H
#define HX_TEST_DIR_UTIL_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* Removes @dir and everything in it; system()'s status. */
static inline int td_remove(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* @dir/@name, in one of four buffers taken in turn (four such paths can be used at once). */
static inline char *td_path(const char *dir, const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

#endif
