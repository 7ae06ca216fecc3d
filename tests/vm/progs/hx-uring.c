// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring operations for the VM scenarios, with raw syscalls (no liburing
 * in the guest). Reported like hx-net: one line
 *   <op>: ok pid=N [detail]     or     <op>: <ERRNO-NAME> pid=N [stage]
 * and the exit status is 0 or the errno value. The stage says where the
 * refusal came: "(setup)" for io_uring_setup or the mmap of its rings, none
 * when the request itself completed with the error.
 *
 *   hx-uring openat PATH [async]        IORING_OP_OPENAT, then read(): detail is
 *                                       the file's first line
 *   hx-uring connect ADDR PORT [async]  IORING_OP_CONNECT of a TCP socket
 *   hx-uring sendmsg ADDR PORT [async]  IORING_OP_SENDMSG of one UDP datagram
 *
 * async: IOSQE_ASYNC, so the request runs on an io-wq worker instead of
 * inline in the submitting thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e)
{
	if (e == 0)
		return "ok";
	return strerrorname_np(e) ? strerrorname_np(e) : "E?";
}

static int report(const char *op, int e, const char *detail)
{
	printf("%s: %s pid=%d%s%s\n", op, errname(e), getpid(), detail ? " " : "",
	       detail ? detail : "");
	return e;
}

struct ring {
	int fd;
	struct io_uring_params p;
	void *sq, *cq;
	struct io_uring_sqe *sqes;
	size_t sq_len, cq_len;
};

/* Sets up a one-entry ring; returns 0 or an errno. */
static int ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return errno;
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(__u32);
	r->cq_len = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_SQ_RING);
	if (r->sq == MAP_FAILED)
		return errno;
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_CQ_RING);
	if (r->cq == MAP_FAILED)
		return errno;
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return errno;
	return 0;
}

/* Submits @sqe, waits for its completion; returns the completion's res. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned *sq_tail = (unsigned *)((char *)r->sq + r->p.sq_off.tail);
	unsigned *sq_mask = (unsigned *)((char *)r->sq + r->p.sq_off.ring_mask);
	unsigned *sq_array = (unsigned *)((char *)r->sq + r->p.sq_off.array);
	unsigned *cq_head = (unsigned *)((char *)r->cq + r->p.cq_off.head);
	unsigned *cq_tail = (unsigned *)((char *)r->cq + r->p.cq_off.tail);
	unsigned *cq_mask = (unsigned *)((char *)r->cq + r->p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)((char *)r->cq + r->p.cq_off.cqes);
	unsigned tail = __atomic_load_n(sq_tail, __ATOMIC_ACQUIRE), idx = tail & *sq_mask, head;
	int res;

	r->sqes[idx] = *sqe;
	sq_array[idx] = idx;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = __atomic_load_n(cq_head, __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN; /* enter returned without the completion: not expected */
	res = cqes[head & *cq_mask].res;
	__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static int parse(const char *addr, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1 ? 0 : EINVAL;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		*len = sizeof(*s4);
		return inet_pton(AF_INET, addr, &s4->sin_addr) == 1 ? 0 : EINVAL;
	}
}

int main(int argc, char **argv)
{
	struct io_uring_sqe sqe;
	struct ring r;
	const char *op;
	int e, res, async;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr,
			"usage: hx-uring openat PATH|connect ADDR PORT|sendmsg ADDR PORT [async]\n");
		return 2;
	}
	op = argv[1];
	async = !strcmp(argv[argc - 1], "async");
	memset(&sqe, 0, sizeof(sqe));
	sqe.flags = async ? IOSQE_ASYNC : 0;

	e = ring_init(&r);
	if (e)
		return report(op, e, "(setup)");

	if (!strcmp(op, "openat")) {
		char buf[128] = "", *nl;
		ssize_t n;

		sqe.opcode = IORING_OP_OPENAT;
		sqe.fd = AT_FDCWD;
		sqe.addr = (unsigned long)argv[2];
		sqe.open_flags = O_RDONLY;
		res = ring_run(&r, &sqe);
		if (res < 0)
			return report(op, -res, NULL);
		n = read(res, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		nl = strchr(buf, '\n');
		if (nl)
			*nl = 0;
		return report(op, 0, buf);
	}
	if (!strcmp(op, "connect") && argc > 3) {
		struct sockaddr_storage ss;
		socklen_t len;
		int fd;

		if (parse(argv[2], argv[3], &ss, &len))
			return report(op, EINVAL, "(address)");
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			return report(op, errno, "(socket)");
		sqe.opcode = IORING_OP_CONNECT;
		sqe.fd = fd;
		sqe.addr = (unsigned long)&ss;
		sqe.off = len;
		res = ring_run(&r, &sqe);
		return report(op, res < 0 ? -res : 0, NULL);
	}
	if (!strcmp(op, "sendmsg") && argc > 3) {
		struct sockaddr_storage ss;
		struct iovec iov = { .iov_base = "hx", .iov_len = 2 };
		struct msghdr m = { .msg_name = &ss, .msg_iov = &iov, .msg_iovlen = 1 };
		socklen_t len;
		int fd;

		if (parse(argv[2], argv[3], &ss, &len))
			return report(op, EINVAL, "(address)");
		m.msg_namelen = len;
		fd = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (fd < 0)
			return report(op, errno, "(socket)");
		sqe.opcode = IORING_OP_SENDMSG;
		sqe.fd = fd;
		sqe.addr = (unsigned long)&m;
		sqe.len = 1;
		res = ring_run(&r, &sqe);
		if (res >= 0 && res != 2)
			return report(op, EIO, "(short send)");
		return report(op, res < 0 ? -res : 0, NULL);
	}
	return report(op, EINVAL, "(usage)");
}
