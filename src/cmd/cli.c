// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cli.h"

void hx_log(const char *fmt, ...)
{
	va_list ap;

	fputs("helixagent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int hx_cli_exit_for(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ELOOP:
	case ENAMETOOLONG:
	case EINVAL:
	case EISDIR:
	case EFBIG:
		return 1;
	default: /* EACCES, EPERM, EIO, ENOMEM, EMFILE... */
		return 2;
	}
}

static const char *type_name(mode_t type)
{
	switch (type) {
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFDIR:
		return "a directory";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "not a file";
	}
}

const char *hx_cli_policy_strerror(int err, mode_t type, char *out, size_t outlen)
{
	if (err == EINVAL && type && type != S_IFREG)
		snprintf(out, outlen, "it is %s, not a regular file", type_name(type));
	else if (err == EFBIG)
		snprintf(out, outlen, "larger than %u bytes", HX_POLICY_MAX_BYTES);
	else
		snprintf(out, outlen, "%s", strerror(err));
	return out;
}

int hx_cli_open_policy(const char *path, mode_t *type)
{
	struct stat st, st2;
	char proc[64];
	int pfd, fd, err;

	*type = 0;
	/* O_PATH opens nothing: no FIFO rendezvous, no device open routine. */
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st)) {
		err = -errno;
		close(pfd);
		return err;
	}
	*type = st.st_mode & S_IFMT;
	if (!S_ISREG(st.st_mode)) {
		close(pfd);
		return -EINVAL;
	}
	/* The inode just judged, opened for reading; by its name only when /proc is missing. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	err = fd < 0 ? -errno : 0;
	close(pfd);
	if (err)
		return err;
	if (fstat(fd, &st2) || !S_ISREG(st2.st_mode) || st2.st_dev != st.st_dev ||
	    st2.st_ino != st.st_ino) {
		*type = st2.st_mode & S_IFMT;
		close(fd);
		return -EINVAL;
	}
	/* A regular file never blocks; later reads need no special care. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int hx_cli_read_fd(int fd, char **buf, size_t *len)
{
	size_t got = 0, cap = 65536;
	char *b = malloc(cap + 1);

	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (got == cap) {
			char *nb;

			if (cap > HX_POLICY_MAX_BYTES) {
				free(b);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		n = read(fd, b + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(b);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got > HX_POLICY_MAX_BYTES) {
		free(b);
		return -EFBIG;
	}
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

int hx_cli_resolve_config(struct hx_cli *cli, bool reads_policy, bool stdin_ok)
{
	return hx_cli_resolve_config_from(cli, HX_DEFAULT_CONFIG, reads_policy, stdin_ok);
}

int hx_cli_resolve_config_from(struct hx_cli *cli, const char *def, bool reads_policy,
			       bool stdin_ok)
{
	char why[128], target[PATH_MAX];
	struct stat st;
	mode_t type;
	int fd;

	cli->config = cli->config_arg;
	if (!cli->config && reads_policy) {
		/* No silent fallback: say which policy is read when the default file is not there. */
		if (lstat(def, &st) && errno == ENOENT) {
			hx_log("%s does not exist: using the embedded default policy", def);
		} else if (S_ISLNK(st.st_mode) && stat(def, &st) && errno == ENOENT) {
			ssize_t n = readlink(def, target, sizeof(target) - 1);

			target[n > 0 ? n : 0] = 0;
			hx_log("%s is a dangling symbolic link (to '%s'): using the embedded default policy",
			       def, target);
		} else {
			cli->config = def;
		}
	} else if (!cli->config) {
		cli->config = def;
	}
	if (cli->config && !strcmp(cli->config, "-")) {
		if (!stdin_ok) {
			hx_log("-c -: only check reads a policy from standard input");
			return 1;
		}
		cli->config_shown = "<stdin>";
		return 0;
	}
	cli->config_shown = cli->config ? cli->config : "<embedded default>";
	if (!cli->config || !reads_policy)
		return 0;
	fd = hx_cli_open_policy(cli->config, &type);
	if (fd < 0) {
		fprintf(stderr, "%s: error: cannot read the policy: %s\n", cli->config_shown,
			hx_cli_policy_strerror(-fd, type, why, sizeof(why)));
		return hx_cli_exit_for(-fd);
	}
	close(fd);
	return 0;
}

struct hx_policy *hx_cli_load_policy(const struct hx_cli *cli, struct hx_diags *d)
{
	struct hx_policy *p;
	size_t len;
	char *buf;
	mode_t type;
	int fd, err;

	if (!cli->config)
		return hx_policy_load_buf(cli->config_shown, hx_default_policy,
					  strlen(hx_default_policy), d);
	if (!strcmp(cli->config, "-")) {
		fd = STDIN_FILENO;
	} else {
		fd = hx_cli_open_policy(cli->config, &type);
		if (fd < 0) {
			errno = -fd;
			return NULL;
		}
	}
	err = hx_cli_read_fd(fd, &buf, &len);
	if (fd != STDIN_FILENO)
		close(fd);
	if (err == -EFBIG) /* the parser's own diagnostic says how large a policy may be */
		return hx_policy_load_buf(cli->config_shown, "", HX_POLICY_MAX_BYTES + 1, d);
	if (err) {
		errno = -err;
		return NULL;
	}
	p = hx_policy_load_buf(cli->config_shown, buf, len, d);
	free(buf);
	return p;
}

/* Who but root can change what @st names: a reason, or NULL. */
static const char *writable_by_others(const struct stat *st, bool dir, char *out, size_t outlen)
{
	if (st->st_uid != 0)
		snprintf(out, outlen, "is owned by uid %u", (unsigned)st->st_uid);
	else if (st->st_mode & S_IWOTH && !(dir && st->st_mode & S_ISVTX))
		snprintf(out, outlen, "is writable by everyone (mode %04o)",
			 (unsigned)(st->st_mode & 07777));
	else if (st->st_mode & S_IWGRP && st->st_gid != 0 && !(dir && st->st_mode & S_ISVTX))
		snprintf(out, outlen, "is writable by group %u (mode %04o)", (unsigned)st->st_gid,
			 (unsigned)(st->st_mode & 07777));
	else
		return NULL;
	return out;
}

int hx_cli_warn_writable(const char *path)
{
	char real[PATH_MAX], why[96];
	struct stat st;
	int found = 0;

	if (!realpath(path, real) || stat(real, &st))
		return 0; /* loading it says what is wrong */
	if (writable_by_others(&st, false, why, sizeof(why))) {
		hx_log("WARNING: the policy %s %s: whoever can write it decides what is enforced",
		       real, why);
		found++;
	}
	/* Every directory above it: who can rename one can put another policy in its place. */
	for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
		*slash = 0;
		if (stat(real[0] ? real : "/", &st))
			break;
		if (writable_by_others(&st, true, why, sizeof(why))) {
			hx_log("WARNING: the policy's directory %s %s: whoever can write it can replace the policy",
			       real[0] ? real : "/", why);
			found++;
		}
		if (!real[0])
			break;
	}
	return found;
}
