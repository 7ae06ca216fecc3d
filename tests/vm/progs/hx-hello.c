// SPDX-License-Identifier: GPL-2.0
/* A distinct binary for exec tests: prints a fixed line and leaves a mark. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	/* HX_MARK=path: create it, so a test can prove whether we ran at all. */
	const char *mark = getenv("HX_MARK");

	if (mark) {
		int fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0)
			close(fd);
	}
	printf("hello from %s\n", argc > 0 ? argv[0] : "?");
	return 0;
}
