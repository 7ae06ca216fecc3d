// SPDX-License-Identifier: GPL-2.0
#include "util/file.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int hx_read_whole(int fd, size_t max, char **out, size_t *len, struct stat *st)
{
	size_t got = 0;
	char *buf = NULL;
	int err = 0;

	if (fstat(fd, st))
		err = -errno;
	else if (!S_ISREG(st->st_mode))
		err = S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
	else if ((uint64_t)st->st_size > max)
		err = -EFBIG;
	else if (!(buf = malloc((size_t)st->st_size + 1)))
		err = -ENOMEM;
	if (err) {
		close(fd);
		return err;
	}
	while (got < (size_t)st->st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st->st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	*out = buf;
	*len = got;
	return 0;
}
