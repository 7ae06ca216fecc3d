/* SPDX-License-Identifier: GPL-2.0 */
/* Whole small files: the policy, read by `check` and by the daemon alike. */
#ifndef HX_UTIL_FILE_H
#define HX_UTIL_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * Reads the file open at @fd, which it closes, into a NUL-terminated buffer
 * (@out, @len bytes; free it), with its fstat in @st. A file that is not
 * regular is never read: -EISDIR, -EINVAL; larger than @max: -EFBIG; else
 * 0, -ENOMEM or -errno. A file that shrinks while it is read gives what was
 * there.
 */
int hx_read_whole(int fd, size_t max, char **out, size_t *len, struct stat *st);

#endif
