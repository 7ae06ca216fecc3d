// SPDX-License-Identifier: GPL-2.0
/*
 * The audit stream's outputs: the JSON-lines file (rotated by size,
 * reopened on request), stdout, syslog. Writing never blocks enforcement
 * and never loses a line silently: each loss is counted per reason and
 * reported by an events_dropped event once the output works again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "sink.h"

/* How often a failing file is tried again for a loss report when no event comes. */
#define REPORT_RETRY_NS 5000000000LL

enum { OUT_FILE = 1, OUT_SYSLOG = 2, OUT_JOURNALD = 4 };

static const char *const loss_names[HX_LOSS_MAX] = {
	[HX_LOSS_WRITE] = "audit_write",   [HX_LOSS_SYSLOG] = "syslog",
	[HX_LOSS_FORMAT] = "audit_format", [HX_LOSS_JOURNALD_QUEUE] = "journald_queue",
	[HX_LOSS_JOURNALD] = "journald",
};

const char *hx_audit_loss_name(unsigned reason)
{
	return reason < HX_LOSS_MAX ? loss_names[reason] : "unknown";
}

static void read_id(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");

	out[0] = 0;
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

static int64_t ts_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* The last event.sequence in an existing log, so a restart continues it. */
static uint64_t last_sequence(int fd)
{
	char buf[65536];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t start = end > (off_t)sizeof(buf) - 1 ? end - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = end > 0 ? pread(fd, buf, sizeof(buf) - 1, start) : 0;
	uint64_t seq = 0;
	char *p;

	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = buf; (p = strstr(p, "\"sequence\":")); p++)
		seq = strtoull(p + 11, NULL, 10);
	return seq;
}

/* A fresh file after a rotation: the sequence goes on from the newest rotated one. */
static uint64_t last_sequence_rotated(const char *path)
{
	char old[PATH_MAX];
	uint64_t seq = 0;
	int fd;

	if ((size_t)snprintf(old, sizeof(old), "%s.1", path) >= sizeof(old))
		return 0;
	fd = open(old, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	seq = last_sequence(fd);
	close(fd);
	return seq;
}

/*
 * Connects to the daemon and waits for its word (it checks who we are while
 * we wait); -1 when no daemon takes our lines.
 */
static int relay_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = HX_AUDIT_SOCKET };
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	char ack = 0;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || recv(fd, &ack, 1, 0) != 1 ||
	    ack != 'k') {
		close(fd);
		return -1;
	}
	return fd;
}

static int open_stream(struct hx_audit *a, const char *path, bool to_stdout, bool direct)
{
	char host[256];

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->relay_fd = -1;
	a->to_stdout = to_stdout;
	jw_init(&a->w);
	jw_set_anchor(&a->w, "helixagent");
	read_id("/proc/sys/kernel/random/boot_id", a->boot_id, sizeof(a->boot_id));
	read_id("/etc/machine-id", a->machine_id, sizeof(a->machine_id));
	/* unkept (no machine id, read-only state): still an id, stable for this process */
	hx_agent_id(a->machine_id, HX_AGENT_STATE_DIR, a->agent_id);
	hx_uuid_random(a->ephemeral_id);
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = 0;
	memcpy(a->hostname, host, sizeof(a->hostname));
	a->boot_to_real_ns = ts_ns(CLOCK_REALTIME) - ts_ns(CLOCK_BOOTTIME);
	if (path) {
		a->path = strdup(path);
		if (!a->path)
			return -ENOMEM;
		/* A running daemon writes for us: one writer, one sequence, its outputs. */
		if (!direct && (a->relay_fd = relay_connect()) >= 0)
			return 0;
		return hx_audit_reopen(a);
	}
	return 0;
}

int hx_audit_open(struct hx_audit *a, const char *path, bool to_stdout)
{
	return open_stream(a, path, to_stdout, false);
}

int hx_audit_open_direct(struct hx_audit *a, const char *path, bool to_stdout)
{
	return open_stream(a, path, to_stdout, true);
}

int hx_audit_reopen(struct hx_audit *a)
{
	struct stat st;
	int fd, err;

	if (!a->path)
		return 0;
	err = mkdir_parents(a->path);
	if (err)
		return err;
	fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (!a->seq)
		a->seq = last_sequence(fd);
	if (!a->seq)
		a->seq = last_sequence_rotated(a->path);
	if (a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	a->size = fstat(fd, &st) ? 0 : (uint64_t)st.st_size;
	return 0;
}

void hx_audit_close(struct hx_audit *a)
{
	if (a->relay_fd >= 0)
		close(a->relay_fd);
	a->relay_fd = -1;
	if (a->fd >= 0)
		close(a->fd);
	hx_syslog_close(a->syslog);
	hx_journal_close(a->journal);
	a->journal = NULL;
	free(a->path);
	free(a->origin);
	a->origin = NULL;
	jw_free(&a->w);
	a->syslog = NULL;
	a->fd = -1;
	a->path = NULL;
}

void hx_audit_set_rotation(struct hx_audit *a, uint64_t max_size, unsigned keep)
{
	a->max_size = max_size;
	a->keep = keep;
}

void hx_audit_set_syslog(struct hx_audit *a, struct hx_sink *s)
{
	hx_syslog_close(a->syslog);
	a->syslog = s;
}

void hx_audit_set_journal(struct hx_audit *a, struct hx_journal *j)
{
	hx_journal_close(a->journal);
	a->journal = j;
}

/* The journald sink's own counts, as the stream's losses. */
static void journal_losses(struct hx_audit *a)
{
	a->lost[HX_LOSS_JOURNALD_QUEUE] = hx_journal_lost(a->journal, HX_JLOSS_QUEUE);
	a->lost[HX_LOSS_JOURNALD] = hx_journal_lost(a->journal, HX_JLOSS_SEND);
}

int hx_audit_rotate(struct hx_audit *a)
{
	char from[PATH_MAX], to[PATH_MAX];

	if (!a->path)
		return 0;
	if (!a->keep) {
		if (unlink(a->path) && errno != ENOENT)
			return -errno;
	}
	/* path.keep-1 -> path.keep (the oldest goes), ..., path -> path.1 */
	for (unsigned i = a->keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", a->path);
		else if ((size_t)snprintf(from, sizeof(from), "%s.%u", a->path, i - 1) >=
			 sizeof(from))
			return -ENAMETOOLONG;
		if ((size_t)snprintf(to, sizeof(to), "%s.%u", a->path, i) >= sizeof(to))
			return -ENAMETOOLONG;
		if (rename(from, to) && errno != ENOENT)
			return -errno;
	}
	/* Older files past the count (a count lowered since they were made) go too. */
	for (unsigned i = a->keep + 1; i <= a->keep + 1000; i++) {
		if ((size_t)snprintf(from, sizeof(from), "%s.%u", a->path, i) >= sizeof(from) ||
		    unlink(from))
			break;
	}
	a->rotations++;
	return hx_audit_reopen(a);
}

/* One line into the file; a partial line is taken back so the file stays whole lines. */
static bool write_file(struct hx_audit *a)
{
	struct iovec iov[2] = { { a->w.buf, a->w.len }, { (void *)"\n", 1 } };
	size_t want = a->w.len + 1;
	ssize_t n;

	if (a->max_size && a->size && a->size + want > a->max_size) {
		int err = hx_audit_rotate(a);

		/* Cannot rotate: keep writing where we are rather than lose lines. */
		if (err)
			a->last_errno = -err;
	}
	n = writev(a->fd, iov, 2);
	if (n == (ssize_t)want) {
		a->size += want;
		a->written++;
		a->last_errno = 0;
		return true;
	}
	a->last_errno = n < 0 ? errno : ENOSPC;
	if (n > 0) {
		struct stat st;

		if (!fstat(a->fd, &st) && st.st_size >= n && ftruncate(a->fd, st.st_size - n))
			a->last_errno = errno;
	}
	a->lost[HX_LOSS_WRITE]++;
	a->write_errors++;
	return false;
}

static int severity(const struct hx_audit *a)
{
	/* RFC 5424: 4 warning, 6 informational */
	if ((a->cur_kind && !strcmp(a->cur_kind, "alert")) ||
	    (a->cur_code && !strcmp(a->cur_code, "events_dropped")))
		return 4;
	return 6;
}

static unsigned write_outputs(struct hx_audit *a)
{
	unsigned ok = 0;

	if (a->fd >= 0 && write_file(a))
		ok |= OUT_FILE;
	if (a->to_stdout) {
		struct iovec iov[2] = { { a->w.buf, a->w.len }, { (void *)"\n", 1 } };

		(void)!writev(STDOUT_FILENO, iov, 2);
	}
	if (a->syslog) {
		if (!hx_syslog_send(a->syslog, severity(a), a->cur_real_ns, a->hostname,
				    a->cur_code, a->seq, a->w.buf, a->w.len))
			ok |= OUT_SYSLOG;
		else
			a->write_errors++;
		a->lost[HX_LOSS_SYSLOG] = hx_syslog_lost(a->syslog);
	}
	if (a->journal) {
		/*
		 * Queued is not delivered: journald counts as working for loss
		 * reports only while it takes the entries, or a report would go
		 * the way of the lines it reports.
		 */
		if (hx_journal_send(a->journal, severity(a), a->w.buf, a->w.len))
			a->write_errors++;
		else if (hx_journal_ok(a->journal))
			ok |= OUT_JOURNALD;
		journal_losses(a);
	}
	return ok;
}

/*
 * Reports losses not reported yet, through the outputs that work. A loss is
 * reported once the report reached the output that lost the lines; until
 * then the next report covers it too (dropped_total is the running count).
 */
static void report_losses(struct hx_audit *a, unsigned working)
{
	static const unsigned needs[HX_LOSS_MAX] = {
		[HX_LOSS_WRITE] = OUT_FILE,
		[HX_LOSS_SYSLOG] = OUT_SYSLOG,
		[HX_LOSS_FORMAT] = 0,
		[HX_LOSS_JOURNALD_QUEUE] = OUT_JOURNALD,
		[HX_LOSS_JOURNALD] = OUT_JOURNALD,
	};

	for (unsigned r = 0; r < HX_LOSS_MAX; r++) {
		uint64_t lost = a->lost[r], before = a->lost_reported[r];

		if (lost <= before || (needs[r] && !(working & needs[r])))
			continue;
		a->in_report = true;
		a->lost_reported[r] = lost;
		hx_audit_dropped(a, loss_names[r], lost - before, lost);
		a->in_report = false;
		if (needs[r] && !(a->last_out & needs[r]))
			a->lost_reported[r] = before;
		working &= a->last_out;
	}
}

void hx_audit_write_line(struct hx_audit *a)
{
	unsigned ok;

	if (a->w.oom || !a->w.buf) {
		a->lost[HX_LOSS_FORMAT]++;
		a->write_errors++;
		a->last_out = 0;
		return;
	}
	if (a->relay_fd >= 0) {
		if (send(a->relay_fd, a->w.buf, a->w.len, MSG_NOSIGNAL | MSG_DONTWAIT) ==
		    (ssize_t)a->w.len) {
			a->relayed++;
			return;
		}
		/* A restarted daemon listens on a new socket: try it once. */
		close(a->relay_fd);
		a->relay_fd = relay_connect();
		if (a->relay_fd >= 0 && send(a->relay_fd, a->w.buf, a->w.len,
					     MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)a->w.len) {
			a->relayed++;
			return;
		}
		/* No daemon (or one that cannot keep up): write the file ourselves. */
		if (a->relay_fd >= 0)
			close(a->relay_fd);
		a->relay_fd = -1;
		if (hx_audit_reopen(a)) {
			a->lost[HX_LOSS_WRITE]++;
			a->write_errors++;
			return;
		}
	}
	ok = write_outputs(a);
	a->last_out = ok;
	if (!a->in_report) {
		report_losses(a, ok);
		a->last_out = ok;
	}
}

void hx_audit_tick(struct hx_audit *a)
{
	int64_t now = ts_ns(CLOCK_MONOTONIC);
	unsigned working = 0;
	bool pending = false;

	if (a->syslog) {
		hx_syslog_tick(a->syslog);
		a->lost[HX_LOSS_SYSLOG] = hx_syslog_lost(a->syslog);
		if (hx_syslog_connected(a->syslog))
			working |= OUT_SYSLOG;
	}
	if (a->journal) {
		/* the worker thread's losses, counted since the last line */
		journal_losses(a);
		if (hx_journal_ok(a->journal))
			working |= OUT_JOURNALD;
	}
	for (unsigned r = 0; r < HX_LOSS_MAX; r++)
		pending |= a->lost[r] > a->lost_reported[r];
	if (!pending || now < a->report_retry_ns)
		return;
	/* The file is tried with the report itself: no event may be coming to find out. */
	if (a->fd >= 0)
		working |= OUT_FILE;
	report_losses(a, working);
	if (a->lost[HX_LOSS_WRITE] > a->lost_reported[HX_LOSS_WRITE])
		a->report_retry_ns = now + REPORT_RETRY_NS;
}

/* The value of "key":"..." in @line, into @out; "" if absent. */
static void str_field(const char *line, size_t len, const char *key, char *out, size_t outlen)
{
	const char *p = memmem(line, len, key, strlen(key)), *end;
	size_t n;

	out[0] = 0;
	if (!p)
		return;
	p += strlen(key);
	end = memchr(p, '"', len - (size_t)(p - line));
	if (!end)
		return;
	n = (size_t)(end - p) < outlen - 1 ? (size_t)(end - p) : outlen - 1;
	memcpy(out, p, n);
	out[n] = 0;
}

void hx_audit_relay(struct hx_audit *a, const char *line, size_t len)
{
	static char kind[32], code[48];
	const char *seq = memmem(line, len, "\"sequence\":", 11), *after;
	char num[24];
	int n;

	/*
	 * The first "sequence" is event.sequence: it comes before any free text.
	 * A line that is not valid UTF-8 JSON (an older `helixagent exec` that
	 * did not escape, a broken one) would make the whole stream unreadable to
	 * an indexer at that line: it is refused and counted instead.
	 */
	if (!seq || line[0] != '{' || line[len - 1] != '}' || memchr(line, '\n', len) ||
	    jv_walk(line, len, NULL, NULL)) {
		a->lost[HX_LOSS_FORMAT]++;
		return;
	}
	after = seq + 11;
	while (after < line + len && *after >= '0' && *after <= '9')
		after++;
	n = snprintf(num, sizeof(num), "%llu", (unsigned long long)++a->seq);
	jw_reset(&a->w);
	if (a->w.cap < len + (size_t)n + 1) {
		char *nb = realloc(a->w.buf, len + (size_t)n + 64);

		if (!nb) {
			a->lost[HX_LOSS_FORMAT]++;
			return;
		}
		a->w.buf = nb;
		a->w.cap = len + (size_t)n + 64;
	}
	a->w.len = 0;
	memcpy(a->w.buf, line, (size_t)(seq + 11 - line));
	a->w.len = (size_t)(seq + 11 - line);
	memcpy(a->w.buf + a->w.len, num, (size_t)n);
	a->w.len += (size_t)n;
	memcpy(a->w.buf + a->w.len, after, (size_t)(line + len - after));
	a->w.len += (size_t)(line + len - after);
	a->w.buf[a->w.len] = 0;
	str_field(line, len, "\"kind\":\"", kind, sizeof(kind));
	str_field(line, len, "\"code\":\"", code, sizeof(code));
	a->cur_kind = kind;
	a->cur_code = code;
	a->cur_real_ns = ts_ns(CLOCK_REALTIME);
	hx_audit_write_line(a);
}
