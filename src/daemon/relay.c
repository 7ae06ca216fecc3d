// SPDX-License-Identifier: GPL-2.0
/*
 * `helixagent exec` hands its lines (sandbox_create, ...) to the daemon, so
 * the stream keeps one writer and one sequence. Only root outside every
 * sandbox may add to the stream: the peer is checked when it connects, while
 * it waits for our word, so it cannot be gone before we look.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util/cgroup.h"

int hx_d_relay_open(struct daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = HX_AUDIT_SOCKET };
	mode_t old;
	int fd;

	if (mkdir(HX_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(HX_AUDIT_SOCKET);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		int e = -errno;

		umask(old);
		close(fd);
		return e;
	}
	umask(old);
	d->relay_fd = fd;
	return 0;
}

static bool in_a_sandbox(const struct daemon *d, int pid)
{
	char cg[PATH_MAX];

	/* Unknown means refused. */
	if (pid <= 0 || hx_cgroup_of_pid(pid, cg, sizeof(cg)))
		return true;
	for (size_t i = 0; i < d->l.cur.nsbx; i++) {
		const char *s = d->l.cur.sbx[i].cgroup;
		size_t n = strlen(s);

		if (!strcmp(s, "/") || (!strncmp(cg, s, n) && (cg[n] == 0 || cg[n] == '/')))
			return true;
	}
	return false;
}

void hx_d_relay_accept(struct daemon *d)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct ucred cred = { 0 };
		socklen_t cl = sizeof(cred);
		int fd = accept4(d->relay_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot = -1;
		char kv[64];

		if (fd < 0)
			return;
		for (int i = 0; i < RELAY_CONNS && slot < 0; i++)
			if (d->relay_conns[i] < 0)
				slot = i;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) || cred.uid != 0 ||
		    in_a_sandbox(d, cred.pid)) {
			snprintf(kv, sizeof(kv), "pid=%d uid=%d", (int)cred.pid, (int)cred.uid);
			if (d->relay_refused++ < 10)
				hx_dlog(LOG_WARNING, "audit_relay", kv,
					"refused audit lines from pid %d: only root outside the sandboxes may add to the stream",
					(int)cred.pid);
			close(fd);
			continue;
		}
		/* Too many at once: that one writes the log itself. */
		if (slot < 0 || send(fd, "k", 1, MSG_NOSIGNAL) != 1) {
			close(fd);
			continue;
		}
		ev.data.u32 = TAG_RELAY_CONN + (uint32_t)slot;
		if (epoll_ctl(d->efd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		d->relay_conns[slot] = fd;
	}
}

void hx_d_relay_read(struct daemon *d, int slot)
{
	static char buf[1 << 17];
	int fd = d->relay_conns[slot];

	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			epoll_ctl(d->efd, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			d->relay_conns[slot] = -1;
			return;
		}
		if ((size_t)n > sizeof(buf)) {
			d->audit.lost[HX_LOSS_FORMAT]++;
			continue;
		}
		d->relayed++;
		hx_audit_relay(&d->audit, buf, (size_t)n);
	}
}

void hx_d_relay_close(struct daemon *d)
{
	for (int i = 0; i < RELAY_CONNS; i++) {
		if (d->relay_conns[i] < 0)
			continue;
		hx_d_relay_read(d, i);
		if (d->relay_conns[i] >= 0)
			close(d->relay_conns[i]);
		d->relay_conns[i] = -1;
	}
	if (d->relay_fd >= 0) {
		close(d->relay_fd);
		unlink(HX_AUDIT_SOCKET);
	}
	d->relay_fd = -1;
}
