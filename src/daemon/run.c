// SPDX-License-Identifier: GPL-2.0
/*
 * `helixagent run`: load, enforce, drain events, reload atomically, watch
 * the things that enforcement depends on (pins, sandbox cgroups, the policy
 * file), serve metrics. Enforcement never depends on this process: the
 * programs and maps are pinned, and a restarted daemon adopts them.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "daemon/log.h"
#include "daemon/notify.h"
#include "daemon/stats.h"
#include "events/audit.h"
#include "events/audit_daemon.h"
#include "events/sink.h"
#include "helixagent.skel.h"
#include "loader/family.h"
#include "loader/loader.h"
#include "metrics/metrics.h"
#include "probe.h"
#include "sha256.h"
#include "daemon/state.h"
#include "util/cgroup.h"
#include "util/names.h"
#include "util/str.h"

#define TICK_NS 250000000LL
#define TICKS_PER_SEC 4
#define METRICS_RETRY_NS 10000000000LL
/*
 * Ring buffer records handled per turn of the event loop: a sandbox that
 * floods denials cannot keep the daemon from signals, ticks and scrapes.
 */
#define RING_BATCH 2048
/*
 * Generations whose sandbox and rule names the daemon keeps, beyond the two
 * the loader keeps: an event still in the ring after several quick reloads
 * is named by the policy that decided it.
 */
#define HISTORY 8

enum trigger { T_START, T_SIGNAL, T_FILE, T_REPAIR };
static const char *const trigger_names[] = { "start", "signal", "file_change", "cgroup_repair" };

/* What the policy file looked like at the last look. */
enum pf_state { PF_OK, PF_MISSING, PF_EMPTY, PF_UNREADABLE };

struct daemon {
	const struct hx_cli *cli;
	struct hx_loader l;
	struct hx_audit audit;
	struct ring_buffer *rb;
	struct hx_dstats stats;
	struct hx_metrics *metrics;
	char *metrics_listen; /* what it should listen on; NULL: off */
	int64_t metrics_retry_ns;
	int efd;
	int relay_fd; /* HX_AUDIT_SOCKET: lines of `helixagent exec` */
	int relay_conns[64];
	uint64_t relayed, relay_refused;
	uint64_t ring_events;
	unsigned ring_batch;
	bool ring_more; /* the last turn stopped with records left */
	uint64_t drops_reported[HX_DROP_MAX];
	uint64_t drops_now[HX_DROP_MAX];
	uint64_t rl_reported[HX_RL_SANDBOXES]; /* per sandbox index: suppressed events reported */
	uint64_t rl_now[HX_RL_SANDBOXES];
	int64_t rl_since; /* realtime ns: start of the window the next summary covers */

	/* the policy file and what it held when last read */
	struct stat seen_st, pending_st;
	bool seen_ok, pending_ok;
	enum pf_state pf;

	/* the policy in force */
	char sha[65];
	char *good; /* its text, for reinstalling after a cgroup was removed */
	size_t good_len;
	bool *explicit_cg; /* per sandbox of l.cur: governs a cgroup it did not create */
	bool *cg_missing; /* per sandbox: reported missing already */
	enum hx_policy_mode pmode; /* of the policy in force, for the state file */
	char *audit_path;
	double load_seconds;
	int64_t loaded_at;
	uint64_t loads_ok, loads_failed, repairs, repins;
	int64_t repair_after_ns;
	char last_error[200];
	bool pins_lost;

	struct hx_compiled hist[HISTORY];

	int64_t started_at;
	uint64_t wd_usec;
	int64_t wd_next_ns;
	unsigned ticks;
};


/*
 * The agent makes itself the OOM killer's last choice: a sandbox that fills
 * memory must not be able to get its guard killed. Best effort: a daemon
 * not allowed to (no CAP_SYS_RESOURCE) says so and goes on.
 */
static void write_oom_score_adj(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "-1000", 5) != 5)
		hx_dlog(LOG_WARNING, "startup", NULL, "cannot set oom_score_adj to -1000: %s",
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_s(void)
{
	return (int64_t)time(NULL);
}

/* ---- events ---------------------------------------------------------------------------- */

static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

/* Keeps a copy of the names of the generation just installed. */
static void remember(struct daemon *d, const struct hx_compiled *c)
{
	struct hx_compiled *h = &d->hist[c->generation % HISTORY];
	bool oom = false;

	hx_compiled_free(h);
	h->sbx = calloc(c->nsbx ? c->nsbx : 1, sizeof(*h->sbx));
	h->rules = calloc(c->nrules ? c->nrules : 1, sizeof(*h->rules));
	if (!h->sbx || !h->rules) {
		hx_compiled_free(h);
		return;
	}
	h->nsbx = c->nsbx;
	h->nrules = c->nrules;
	for (size_t i = 0; i < c->nsbx; i++) {
		h->sbx[i] = c->sbx[i];
		h->sbx[i].name = dup_or_null(c->sbx[i].name, &oom);
		h->sbx[i].cgroup = dup_or_null(c->sbx[i].cgroup, &oom);
	}
	for (size_t i = 0; i < c->nrules; i++) {
		h->rules[i] = c->rules[i];
		h->rules[i].name = dup_or_null(c->rules[i].name, &oom);
		h->rules[i].path = dup_or_null(c->rules[i].path, &oom);
	}
	h->generation = c->generation;
	h->inode_entries = c->inode_entries;
	if (oom)
		hx_compiled_free(h);
}

static const struct hx_compiled *tables(struct daemon *d, uint32_t generation)
{
	const struct hx_compiled *c = hx_loader_tables(&d->l, generation);
	const struct hx_compiled *h = &d->hist[generation % HISTORY];

	if (c)
		return c;
	return h->generation == generation && h->sbx ? h : NULL;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct daemon *d = ctx;
	const struct hx_event *e = data;
	static struct hx_event copy;

	d->ring_events++;
	d->ring_batch++;
	if (len < offsetof(struct hx_event, path) || e->type != HX_EV_DECISION)
		return d->ring_batch >= RING_BATCH ? -EAGAIN : 0;
	/* Records are sent without their unused tail: pad into a whole event. */
	if (len < sizeof(copy)) {
		memcpy(&copy, data, len);
		memset((char *)&copy + len, 0, sizeof(copy) - len);
		e = &copy;
	}
	hx_audit_decision(&d->audit, e, tables(d, e->generation));
	/* Consumed; stop this turn here (libbpf commits the record before stopping). */
	return d->ring_batch >= RING_BATCH ? -EAGAIN : 0;
}

/* One turn's worth of ring buffer records. */
static void drain(struct daemon *d)
{
	int rc;

	if (!d->rb)
		return;
	d->ring_batch = 0;
	rc = ring_buffer__consume(d->rb);
	d->ring_more = rc == -EAGAIN;
}

static void read_drops(struct daemon *d)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(d->l.skel->maps.hx_drops);

	if (ncpu <= 0)
		return;
	for (__u32 r = 0; r < HX_DROP_MAX; r++) {
		__u64 vals[ncpu], sum = 0;

		if (bpf_map_lookup_elem(fd, &r, vals))
			continue;
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
		d->drops_now[r] = sum;
	}
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sandbox indexes whose rate limit bucket may hold counts: those of this policy and the last. */
static size_t rl_span(const struct daemon *d)
{
	size_t n = d->l.cur.nsbx > d->l.prev.nsbx ? d->l.cur.nsbx : d->l.prev.nsbx;

	return n < HX_RL_SANDBOXES ? n : HX_RL_SANDBOXES;
}

static void read_rate_limits(struct daemon *d)
{
	int fd = bpf_map__fd(d->l.skel->maps.hx_rl);
	size_t n = rl_span(d);

	for (__u32 i = 0; i < n; i++) {
		struct hx_rl_state st;

		if (!bpf_map_lookup_elem(fd, &i, &st))
			d->rl_now[i] = st.suppressed;
	}
}

/* RFC 3339 UTC with milliseconds, as @timestamp */
static void iso_ms(char *out, size_t len, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(ns % 1000000000 / 1000000));
}

/*
 * events_rate_limited: @count events of @sandbox (NULL: unknown, e.g. while
 * no daemon ran) that its rate_limit kept in the kernel between @from and @to.
 */
static void audit_rate_limited(struct daemon *d, const char *sandbox, uint64_t count,
			       uint64_t total, int64_t from, int64_t to)
{
	static const char *const cat[] = { "host" }, *const type[] = { "info" };
	struct hx_audit *a = &d->audit;
	char f[96], t[96];

	iso_ms(f, sizeof(f), from);
	iso_ms(t, sizeof(t), to);
	hx_ecs_head(a, to);
	hx_ecs_event(a, "metric", cat, 1, type, 1, "events_rate_limited", "events_rate_limited",
		     "helixagent");
	jw_key(&a->w, "helixagent");
	jw_obj(&a->w);
	jw_kstr(&a->w, "drop_reason", hx_drop_name(HX_DROP_RATE_LIMIT));
	jw_kstr(&a->w, "sandbox", sandbox);
	jw_ku64(&a->w, "dropped", count);
	jw_ku64(&a->w, "dropped_total", total);
	jw_kstr(&a->w, "window_start", f);
	jw_kstr(&a->w, "window_end", t);
	jw_obj_end(&a->w);
	hx_ecs_emit(a);
}

/*
 * One summary per sandbox whose rate limit suppressed events since the last
 * one, so every event.sequence gap has its count. Called every second,
 * right before a new policy renumbers the sandboxes, and at exit.
 */
static void check_rate_limits(struct daemon *d)
{
	size_t n = rl_span(d);
	int64_t now = real_ns();

	read_rate_limits(d);
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL;

		if (d->rl_now[i] <= d->rl_reported[i])
			continue;
		if (i < d->l.cur.nsbx)
			name = d->l.cur.sbx[i].name;
		else if (i < d->l.prev.nsbx)
			name = d->l.prev.sbx[i].name;
		audit_rate_limited(d, name, d->rl_now[i] - d->rl_reported[i], d->rl_now[i],
				   d->rl_since, now);
		d->drops_reported[HX_DROP_RATE_LIMIT] += d->rl_now[i] - d->rl_reported[i];
		d->rl_reported[i] = d->rl_now[i];
	}
	d->rl_since = now;
}

/* Reports each reason whose kernel count grew since the last report (the last daemon's too). */
static void check_drops(struct daemon *d)
{
	read_drops(d);
	for (__u32 r = 0; r < HX_DROP_MAX; r++) {
		uint64_t sum = d->drops_now[r];

		if (r == HX_DROP_RATE_LIMIT)
			continue; /* per sandbox: check_rate_limits */
		if (sum > d->drops_reported[r]) {
			hx_audit_dropped(&d->audit, hx_drop_name(r), sum - d->drops_reported[r], sum);
			d->drops_reported[r] = sum;
		}
	}
}

/* ---- the policy ------------------------------------------------------------------------- */

static void log_diags(const struct hx_diags *dg, const char *file)
{
	for (size_t i = 0; i < dg->n; i++) {
		const struct hx_diag *x = &dg->v[i];
		bool err = x->level == HX_DIAG_ERROR;

		/* The same FILE:LINE:COL: form as `check`, so editors and tests find it. */
		hx_dlog(err ? LOG_ERR : LOG_WARNING, "policy_diagnostic", NULL, "%s:%u:%u: %s: %s",
			file, x->src.line, x->src.col, err ? "error" : "warning", x->msg);
	}
	if (dg->n < dg->errors + dg->warnings)
		hx_dlog(LOG_WARNING, "policy_diagnostic", NULL, "%s: %zu more diagnostics not shown",
			file, dg->errors + dg->warnings - dg->n);
}

static bool blank(const char *buf, size_t len)
{
	bool comment = false;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			comment = false;
		else if (buf[i] == '#')
			comment = true;
		else if (!comment && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r')
			return false;
	}
	return true;
}

/* Reads the whole policy file; the text judged is exactly the text hashed. */
static int read_policy(const char *path, char **out, size_t *outlen, struct stat *st)
{
	size_t got = 0;
	char *buf;
	mode_t type;
	/* A FIFO or a device put in the policy's place is refused, never opened. */
	int fd = hx_cli_open_policy(path, &type), err;

	if (fd < 0)
		return fd;
	if (fstat(fd, st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
	}
	if ((uint64_t)st->st_size > HX_POLICY_MAX_BYTES) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
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
	*outlen = got;
	return 0;
}

static void reject(struct daemon *d, enum trigger why, const char *sha, double secs,
		   const struct hx_diags *dg, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void reject(struct daemon *d, enum trigger why, const char *sha, double secs,
		   const struct hx_diags *dg, const char *fmt, ...)
{
	va_list ap;
	char kv[128];

	va_start(ap, fmt);
	vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
	va_end(ap);
	d->loads_failed++;
	snprintf(kv, sizeof(kv), "generation_in_force=%u trigger=%s", d->l.generation,
		 trigger_names[why]);
	hx_dlog(LOG_ERR, "policy_rejected", kv, "%s: %s; %s", d->cli->config_shown, d->last_error,
		why == T_START ? "not starting" : "the policy in force stays");
	hx_audit_policy_event(&d->audit, &(struct hx_policy_event){
						 .ok = false,
						 .generation = why == T_START ? 0 : d->l.generation,
						 .file = d->cli->config_shown,
						 .sha256 = sha,
						 .trigger = trigger_names[why],
						 .seconds = secs,
						 .message = d->last_error,
						 .diags = dg,
					 });
}

static void set_explicit(struct daemon *d, const struct hx_policy *p)
{
	free(d->explicit_cg);
	free(d->cg_missing);
	d->explicit_cg = calloc(p->nsandboxes ? p->nsandboxes : 1, sizeof(bool));
	d->cg_missing = calloc(p->nsandboxes ? p->nsandboxes : 1, sizeof(bool));
	for (size_t i = 0; d->explicit_cg && i < p->nsandboxes; i++)
		d->explicit_cg[i] = p->sandboxes[i].cgroup_explicit;
	/* Explicit cgroups not there yet: the load warned about them already. */
	for (size_t i = 0; d->cg_missing && i < p->nsandboxes && i < d->l.cur.nsbx; i++)
		d->cg_missing[i] = d->explicit_cg && d->explicit_cg[i] && !d->l.cur.sbx[i].cgid;
	d->pmode = p->mode;
}

static void write_state(struct daemon *d, const struct hx_policy *p)
{
	int err = hx_state_write(&d->l, d->cli->config_shown, p);

	if (err)
		hx_dlog(LOG_WARNING, "state", NULL, "cannot write %s: %s", HX_STATE_FILE,
			strerror(-err));
}

static void metrics_configure(struct daemon *d, const char *listen);
static void write_counters(struct daemon *d);

/*
 * Reads, validates and installs the policy (or, for a repair, the text in
 * force). Returns 0, 1 (policy error) or 2 (system error); on error the
 * policy in force stays.
 */
static int load_and_install(struct daemon *d, enum trigger why)
{
	const struct hx_cli *cli = d->cli;
	struct hx_diags dg = { 0 };
	struct hx_policy *p = NULL;
	int64_t t0, t1 = 0, t2 = 0;
	char sha[65], kv[256], *buf = NULL;
	size_t len = 0;
	struct stat st;
	int rc = 0, err;
	double secs;

	/* What is queued was decided by the policies known now: name it while they are. */
	drain(d);
	check_rate_limits(d);
	t0 = mono_ns();
	if (why == T_REPAIR) {
		buf = malloc(d->good_len + 1);
		if (!buf)
			return 2;
		memcpy(buf, d->good, d->good_len + 1);
		len = d->good_len;
	} else if (!cli->config) {
		len = strlen(hx_default_policy);
		buf = strdup(hx_default_policy);
		if (!buf)
			return 2;
	} else {
		err = read_policy(cli->config, &buf, &len, &st);
		if (err == -EFBIG) {
			reject(d, why, NULL, 0, NULL, "larger than %u bytes", HX_POLICY_MAX_BYTES);
			return 1;
		}
		if (err) {
			reject(d, why, NULL, 0, NULL, "cannot read: %s", strerror(-err));
			return err == -ENOMEM ? 2 : 1;
		}
		d->seen_st = st;
		d->seen_ok = true;
	}
	hx_sha256_hex(buf, len, sha);
	/* A file caught while being written, or emptied by accident, never replaces a policy. */
	if (blank(buf, len)) {
		reject(d, why, sha, 0, NULL, "the file is empty");
		rc = 1;
		goto out;
	}
	p = hx_policy_load_buf(cli->config ? cli->config : cli->config_shown, buf, len, &dg);
	if (!p) {
		reject(d, why, sha, 0, NULL, "cannot parse: %s", strerror(errno));
		rc = 2;
		goto out;
	}
	log_diags(&dg, cli->config_shown);
	if (dg.errors) {
		secs = (double)(mono_ns() - t0) / 1e9;
		reject(d, why, sha, secs, &dg, "%zu error(s)", dg.errors);
		rc = 1;
		goto out;
	}
	hx_diags_free(&dg);
	if (why != T_START)
		hx_notifyf("RELOADING=1\nSTATUS=loading policy %s", sha);

	/* The inactive slot's counters start from zero with the new policy. */
	hx_dstats_clear_slot(&d->stats, bpf_map__fd(d->l.skel->maps.hx_stats), d->l.slot ^ 1);
	t1 = mono_ns();
	err = hx_loader_install(&d->l, p, &dg);
	t2 = mono_ns();
	log_diags(&dg, cli->config_shown);
	secs = (double)(mono_ns() - t0) / 1e9;
	if (err) {
		reject(d, why, sha, secs, &dg, "cannot install: %s", strerror(-err));
		rc = err == -EINVAL ? 1 : 2;
		if (why != T_START)
			hx_notifyf("READY=1\nSTATUS=enforcing policy generation %u (reload rejected)",
				   d->l.generation);
		goto out;
	}

	{
		const char **names = calloc(d->l.cur.nsbx ? d->l.cur.nsbx : 1, sizeof(*names));

		for (size_t i = 0; names && i < d->l.cur.nsbx; i++)
			names[i] = d->l.cur.sbx[i].name;
		if (names)
			hx_dstats_name_slot(&d->stats, d->l.slot, names, d->l.cur.nsbx);
		free(names);
	}
	remember(d, &d->l.cur);
	set_explicit(d, p);
	free(d->good);
	d->good = buf;
	d->good_len = len;
	buf = NULL;
	memcpy(d->sha, sha, sizeof(sha));
	d->load_seconds = secs;
	d->loaded_at = real_s();
	d->loads_ok++;
	d->last_error[0] = 0;
	hx_audit_policy_event(&d->audit, &(struct hx_policy_event){
						 .ok = true,
						 .generation = d->l.generation,
						 .file = cli->config_shown,
						 .sha256 = sha,
						 .trigger = trigger_names[why],
						 .seconds = secs,
						 .diags = &dg,
						 .c = &d->l.cur,
					 });
	write_state(d, p);
	snprintf(kv, sizeof(kv),
		 "generation=%u sandboxes=%zu object_rules=%zu sha256=%s load_seconds=%.3f install_seconds=%.3f trigger=%s",
		 d->l.generation, d->l.cur.nsbx, d->l.cur.inode_entries, sha, secs,
		 (double)(t2 - t1) / 1e9, trigger_names[why]);
	hx_dlog(LOG_INFO, "policy_load", kv, "policy generation %u in force", d->l.generation);

	/* The audit log moves with the policy, unless the command line fixed it. */
	if (!cli->audit_log && p->audit_path && d->audit_path && strcmp(p->audit_path, d->audit_path) &&
	    d->audit.path) {
		free(d->audit.path);
		d->audit.path = strdup(p->audit_path);
		err = d->audit.path ? hx_audit_reopen(&d->audit) : -ENOMEM;
		if (err)
			hx_dlog(LOG_ERR, "audit", NULL, "cannot open audit log %s: %s", p->audit_path,
				strerror(-err));
		free(d->audit_path);
		d->audit_path = strdup(p->audit_path);
	}
	if (!cli->metrics_listen)
		metrics_configure(d, p->metrics_listen);
	if (why != T_START)
		hx_notifyf("READY=1\nSTATUS=enforcing policy generation %u", d->l.generation);
out:
	/* `status` and waiting scripts see the outcome at once. */
	write_counters(d);
	hx_diags_free(&dg);
	hx_policy_free(p);
	free(buf);
	return rc;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/*
 * The file changed, vanished or was emptied: say so once and keep the
 * policy in force; reload a changed file once it stayed the same for a tick
 * (a writer is done with it).
 */
static void watch_policy_file(struct daemon *d)
{
	struct stat st;
	enum pf_state now;

	if (!d->cli->config)
		return;
	if (stat(d->cli->config, &st))
		now = errno == ENOENT ? PF_MISSING : PF_UNREADABLE;
	else
		now = st.st_size == 0 ? PF_EMPTY : PF_OK;
	if (now != PF_OK) {
		if (now != d->pf) {
			char kv[64];

			snprintf(kv, sizeof(kv), "generation_in_force=%u", d->l.generation);
			hx_dlog(LOG_WARNING, "policy_file", kv, "%s %s; the policy in force stays",
				d->cli->config_shown,
				now == PF_MISSING ? "was deleted" :
				now == PF_EMPTY	  ? "is empty" :
						    "cannot be read");
		}
		d->pf = now;
		d->pending_ok = false;
		return;
	}
	if (d->pf != PF_OK) {
		hx_dlog(LOG_INFO, "policy_file", NULL, "%s is back", d->cli->config_shown);
		d->seen_ok = false; /* whatever its times say, read it */
	}
	d->pf = PF_OK;
	if (d->seen_ok && same_file(&st, &d->seen_st)) {
		d->pending_ok = false;
		return;
	}
	if (!d->pending_ok || !same_file(&st, &d->pending_st)) {
		d->pending_st = st;
		d->pending_ok = true;
		return;
	}
	d->pending_ok = false;
	hx_dlog(LOG_INFO, "policy_file", NULL, "%s changed: reloading", d->cli->config_shown);
	load_and_install(d, T_FILE);
}

/* ---- what enforcement stands on ---------------------------------------------------------- */

/* The explicit cgroup of sandbox @i is (again) there: its rules apply to it from now on. */
static void map_cgroup(struct daemon *d, size_t i, uint64_t id)
{
	const struct hx_sbx_info *s = &d->l.cur.sbx[i];
	struct hx_policy mode = { .mode = d->pmode };
	char kv[160];
	int err;

	snprintf(kv, sizeof(kv), "sandbox=%s cgroup_id=%llu old_cgroup_id=%llu", s->name,
		 (unsigned long long)id, (unsigned long long)s->cgid);
	err = hx_loader_map_cgroup(&d->l, (uint32_t)i, id);
	if (err) {
		hx_dlog(LOG_ERR, "cgroup_map", kv, "cannot map cgroup %s of sandbox %s: %s",
			s->cgroup, s->name, strerror(-err));
		return;
	}
	hx_dlog(LOG_WARNING, "cgroup_mapped", kv, "cgroup %s of sandbox %s appeared; its rules apply",
		s->cgroup, s->name);
	if (d->cg_missing)
		d->cg_missing[i] = false;
	err = hx_state_write(&d->l, d->cli->config_shown, &mode);
	if (err)
		hx_dlog(LOG_WARNING, "state", NULL, "cannot write %s: %s", HX_STATE_FILE,
			strerror(-err));
}

/*
 * Explicit cgroups of the policy in force that are not there: looked for on
 * every tick (a quarter second), so a cgroup created after the load is
 * governed within that time.
 */
static void watch_missing_cgroups(struct daemon *d)
{
	for (size_t i = 0; d->cg_missing && d->explicit_cg && i < d->l.cur.nsbx; i++) {
		uint64_t id = 0;

		if (d->explicit_cg[i] && d->cg_missing[i] &&
		    !hx_cgroup_id(d->l.cg_root, d->l.cur.sbx[i].cgroup, &id))
			map_cgroup(d, i, id);
	}
}

/*
 * A sandbox cgroup the agent created was removed behind its back: a new one
 * by that name would be a cgroup no rule knows. Recreate it and reinstall
 * the policy in force, which maps the new cgroup id.
 */
static void watch_cgroups(struct daemon *d)
{
	bool repair = false;

	for (size_t i = 0; i < d->l.cur.nsbx; i++) {
		const struct hx_sbx_info *s = &d->l.cur.sbx[i];
		uint64_t id = 0;
		int err = hx_cgroup_id(d->l.cg_root, s->cgroup, &id);
		char kv[128];

		if (!err && id == s->cgid) {
			if (d->cg_missing)
				d->cg_missing[i] = false;
			continue;
		}
		if (d->explicit_cg && d->explicit_cg[i]) {
			/* Not ours to create: a container that ended, a unit that stopped. */
			if (!err) {
				map_cgroup(d, i, id); /* there again, as a new cgroup */
				continue;
			}
			if (d->cg_missing && !d->cg_missing[i]) {
				snprintf(kv, sizeof(kv), "sandbox=%s cgroup_id=%llu", s->name,
					 (unsigned long long)s->cgid);
				hx_dlog(LOG_WARNING, "cgroup_gone", kv,
					"cgroup %s of sandbox %s is gone; its rules apply again as soon as it is created",
					s->cgroup, s->name);
				d->cg_missing[i] = true;
			}
			continue;
		}
		snprintf(kv, sizeof(kv), "sandbox=%s old_cgroup_id=%llu", s->name,
			 (unsigned long long)s->cgid);
		hx_dlog(LOG_WARNING, "cgroup_gone", kv,
			"cgroup %s of sandbox %s was %s behind the agent's back; recreating it", s->cgroup,
			s->name, err ? "removed" : "replaced");
		repair = true;
	}
	/* A repair that failed (the cgroup cannot be made) is retried, but not every second. */
	if (repair && d->good && mono_ns() >= d->repair_after_ns) {
		d->repairs++;
		if (load_and_install(d, T_REPAIR))
			d->repair_after_ns = mono_ns() + 30 * 1000000000LL;
	}
}

/* Pins the links this daemon holds (attached or adopted) where their pins went missing. */
static int pin_links(struct daemon *d)
{
	int pinned = 0;

	for (size_t i = 0; i < d->l.nlinks; i++) {
		const char *path = bpf_link__pin_path(d->l.links[i]);

		if (path && access(path, F_OK) && !bpf_obj_pin(bpf_link__fd(d->l.links[i]), path))
			pinned++;
	}
	return pinned;
}

/*
 * The pins are gone (bpffs unmounted, or the directory removed): this
 * process alone holds enforcement now. Mount bpffs again if needed and pin
 * every map and link once more, so enforcement outlives us again.
 */
static void repin(struct daemon *d)
{
	struct statfs sf;
	struct bpf_map *m;
	int maps = 0, links;

	if (statfs("/sys/fs/bpf", &sf) || sf.f_type != BPF_FS_MAGIC) {
		if (mount("bpffs", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			if (!d->pins_lost)
				hx_dlog(LOG_CRIT, "pins_lost", NULL,
					"bpffs is not mounted at /sys/fs/bpf and cannot be mounted (%s): enforcement now lasts only as long as this daemon",
					strerror(errno));
			d->pins_lost = true;
			return;
		}
	}
	if (mkdir(HX_PIN_DIR, 0700) && errno != EEXIST) {
		if (!d->pins_lost)
			hx_dlog(LOG_CRIT, "pins_lost", NULL, "cannot create %s: %s", HX_PIN_DIR,
				strerror(errno));
		d->pins_lost = true;
		return;
	}
	bpf_object__for_each_map(m, d->l.skel->obj) {
		const char *path = bpf_map__pin_path(m);

		if (path && bpf_map__fd(m) >= 0 && access(path, F_OK) &&
		    !bpf_obj_pin(bpf_map__fd(m), path))
			maps++;
	}
	links = pin_links(d);
	d->repins++;
	d->pins_lost = false;
	{
		char kv[64];

		snprintf(kv, sizeof(kv), "maps=%d links=%d", maps, links);
		hx_dlog(LOG_WARNING, "repinned", kv,
			"the pins under %s were gone; pinned the live maps and links again",
			HX_PIN_DIR);
	}
}

static void watch_pins(struct daemon *d)
{
	if (access(HX_PIN_DIR "/hx_live", F_OK) == 0)
		return;
	repin(d);
}

/* ---- metrics ------------------------------------------------------------------------------- */


static bool healthy(void *ctx)
{
	struct daemon *d = ctx;
	struct hx_live live = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(d->l.skel->maps.hx_live), &zero, &live))
		return false;
	return live.ready && access(HX_PIN_DIR "/hx_live", F_OK) == 0;
}

static size_t map_entries(int fd, size_t key_size)
{
	char key[512], next[512];
	void *prev = NULL;
	size_t n = 0;

	if (key_size > sizeof(key))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

static void render_maps(struct daemon *d, struct hx_buf *b)
{
	struct bpf_map *m;

	hx_prom_family(b, "helixagent_map_entries", "gauge",
		       "Entries in each pinned BPF map (both policy slots).");
	bpf_object__for_each_map(m, d->l.skel->obj) {
		enum bpf_map_type t = bpf_map__type(m);

		if (strncmp(bpf_map__name(m), "hx_", 3) || bpf_map__fd(m) < 0 ||
		    t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
		    t == BPF_MAP_TYPE_RINGBUF)
			continue;
		hx_prom_u64(b, "helixagent_map_entries",
			    (const char *[]){ "map", bpf_map__name(m), NULL },
			    map_entries(bpf_map__fd(m), bpf_map__key_size(m)));
	}
	hx_prom_family(b, "helixagent_map_capacity", "gauge",
		       "Capacity of each pinned BPF map (max_entries; bytes for the ring buffer).");
	bpf_object__for_each_map(m, d->l.skel->obj) {
		if (strncmp(bpf_map__name(m), "hx_", 3) || bpf_map__fd(m) < 0)
			continue;
		hx_prom_u64(b, "helixagent_map_capacity",
			    (const char *[]){ "map", bpf_map__name(m), NULL },
			    bpf_map__max_entries(m));
	}
}

static void render(void *ctx, struct hx_buf *b)
{
	struct daemon *d = ctx;
	const struct hx_dstats *s = &d->stats;

	hx_dstats_poll(&d->stats, bpf_map__fd(d->l.skel->maps.hx_stats));
	read_drops(d);

	hx_prom_build_info(b);
	hx_prom_family(b, "helixagent_enforcement_active", "gauge",
		       "1 while a policy is live in the kernel and its pins are in place.");
	hx_prom_u64(b, "helixagent_enforcement_active", NULL, healthy(d));
	hx_prom_family(b, "helixagent_policy_generation", "gauge",
		       "Generation of the policy in force; grows by one per successful load.");
	hx_prom_u64(b, "helixagent_policy_generation", NULL, d->l.generation);
	hx_prom_family(b, "helixagent_policy_info", "gauge",
		       "The policy in force: its file and the SHA-256 of its text.");
	hx_prom_u64(b, "helixagent_policy_info",
		    (const char *[]){ "file", d->cli->config_shown, "sha256", d->sha, NULL }, 1);
	hx_prom_family(b, "helixagent_policy_load_duration_seconds", "gauge",
		       "Time the last successful load took: read, validate, compile, switch.");
	hx_prom_f64(b, "helixagent_policy_load_duration_seconds", NULL, d->load_seconds);
	hx_prom_family(b, "helixagent_policy_last_load_timestamp_seconds", "gauge",
		       "When the policy in force was loaded (Unix time).");
	hx_prom_u64(b, "helixagent_policy_last_load_timestamp_seconds", NULL,
		    (uint64_t)d->loaded_at);
	hx_prom_family(b, "helixagent_policy_loads_total", "counter",
		       "Policy loads by result since the daemon started.");
	hx_prom_u64(b, "helixagent_policy_loads_total", (const char *[]){ "result", "success", NULL },
		    d->loads_ok);
	hx_prom_u64(b, "helixagent_policy_loads_total", (const char *[]){ "result", "failure", NULL },
		    d->loads_failed);
	hx_prom_family(b, "helixagent_sandboxes", "gauge", "Sandboxes in the policy in force.");
	hx_prom_u64(b, "helixagent_sandboxes", NULL, d->l.cur.nsbx);

	hx_prom_family(b, "helixagent_decisions_total", "counter",
		       "Kernel decisions by sandbox, rule family and outcome (audit: would deny).");
	for (size_t i = 0; i < s->ntot; i++)
		for (unsigned f = 0; f < HX_FAM_MAX; f++)
			for (unsigned k = 0; k < HX_DECISION_MAX; k++)
				hx_prom_u64(b, "helixagent_decisions_total",
					    (const char *[]){ "sandbox", s->tot[i].name, "family",
							      hx_family_name(f), "decision", hx_decision_name(k),
							      NULL },
					    s->tot[i].v[f][k]);
	hx_prom_family(b, "helixagent_permission_denied_total", "counter",
		       "Operations refused (EPERM) by sandbox and rule family.");
	for (size_t i = 0; i < s->ntot; i++)
		for (unsigned f = 0; f < HX_FAM_MAX; f++)
			hx_prom_u64(b, "helixagent_permission_denied_total",
				    (const char *[]){ "sandbox", s->tot[i].name, "family", hx_family_name(f),
						      NULL },
				    s->tot[i].v[f][HX_DECISION_DENY]);
	hx_prom_family(b, "helixagent_sandbox_violations_total", "counter",
		       "Policy violations by sandbox: refused operations, and those audit mode let through.");
	for (size_t i = 0; i < s->ntot; i++) {
		uint64_t v = 0;

		for (unsigned f = 0; f < HX_FAM_MAX; f++)
			v += s->tot[i].v[f][HX_DECISION_DENY] + s->tot[i].v[f][HX_DECISION_AUDIT];
		hx_prom_u64(b, "helixagent_sandbox_violations_total",
			    (const char *[]){ "sandbox", s->tot[i].name, NULL }, v);
	}

	hx_prom_family(b, "helixagent_events_dropped_total", "counter",
		       "Audit events lost, by reason: ringbuf_full (kernel), audit_write, syslog, audit_format, journald_queue, journald (daemon).");
	for (unsigned r = 0; r < HX_DROP_MAX; r++)
		if (hx_drop_loses_event(r))
			hx_prom_u64(b, "helixagent_events_dropped_total",
				    (const char *[]){ "reason", hx_drop_name(r), NULL }, d->drops_now[r]);
	for (unsigned r = 0; r < HX_LOSS_MAX; r++)
		hx_prom_u64(b, "helixagent_events_dropped_total",
			    (const char *[]){ "reason", hx_audit_loss_name(r), NULL },
			    d->audit.lost[r]);
	hx_prom_family(b, "helixagent_events_rate_limited_total", "counter",
		       "Decision events a sandbox's rate_limit kept in the kernel (the decisions stood).");
	read_rate_limits(d);
	for (size_t i = 0; i < d->l.cur.nsbx && i < HX_RL_SANDBOXES; i++)
		hx_prom_u64(b, "helixagent_events_rate_limited_total",
			    (const char *[]){ "sandbox", d->l.cur.sbx[i].name, NULL }, d->rl_now[i]);
	hx_prom_family(b, "helixagent_unresolved_total", "counter",
		       "Operations decided without full information (denied), by reason.");
	for (unsigned r = 0; r < HX_DROP_MAX; r++)
		if (!hx_drop_loses_event(r))
			hx_prom_u64(b, "helixagent_unresolved_total",
				    (const char *[]){ "reason", hx_drop_name(r), NULL }, d->drops_now[r]);

	hx_prom_family(b, "helixagent_ringbuf_events_total", "counter",
		       "Records the daemon read from the kernel's event ring buffer.");
	hx_prom_u64(b, "helixagent_ringbuf_events_total", NULL, d->ring_events);
	hx_prom_family(b, "helixagent_audit_lines_total", "counter",
		       "Audit lines written, by output.");
	hx_prom_u64(b, "helixagent_audit_lines_total", (const char *[]){ "output", "file", NULL },
		    d->audit.written);
	if (d->audit.syslog)
		hx_prom_u64(b, "helixagent_audit_lines_total",
			    (const char *[]){ "output", "syslog", NULL },
			    hx_syslog_sent(d->audit.syslog));
	if (d->audit.journal)
		hx_prom_u64(b, "helixagent_audit_lines_total",
			    (const char *[]){ "output", "journald", NULL },
			    hx_journal_sent(d->audit.journal));
	hx_prom_family(b, "helixagent_audit_relayed_total", "counter",
		       "Audit lines other processes (helixagent exec) handed to the daemon, by result.");
	hx_prom_u64(b, "helixagent_audit_relayed_total",
		    (const char *[]){ "result", "written", NULL }, d->relayed);
	hx_prom_u64(b, "helixagent_audit_relayed_total",
		    (const char *[]){ "result", "refused", NULL }, d->relay_refused);
	hx_prom_family(b, "helixagent_audit_sequence", "gauge",
		       "event.sequence of the last audit event.");
	hx_prom_u64(b, "helixagent_audit_sequence", NULL, d->audit.seq);
	hx_prom_family(b, "helixagent_audit_rotations_total", "counter",
		       "Rotations of the audit log by size.");
	hx_prom_u64(b, "helixagent_audit_rotations_total", NULL, d->audit.rotations);

	render_maps(d, b);

	hx_prom_family(b, "helixagent_pins_restored_total", "counter",
		       "Times the daemon found its pins gone and pinned maps and links again.");
	hx_prom_u64(b, "helixagent_pins_restored_total", NULL, d->repins);
	hx_prom_family(b, "helixagent_cgroup_repairs_total", "counter",
		       "Times a sandbox cgroup removed behind the agent's back was recreated.");
	hx_prom_u64(b, "helixagent_cgroup_repairs_total", NULL, d->repairs);
	hx_prom_family(b, "helixagent_start_time_seconds", "gauge",
		       "When the daemon started (Unix time).");
	hx_prom_u64(b, "helixagent_start_time_seconds", NULL, (uint64_t)d->started_at);
}

static void metrics_configure(struct daemon *d, const char *listen)
{
	char err[256];

	if (listen && !strcmp(listen, "none"))
		listen = NULL;
	if ((!listen && !d->metrics_listen) ||
	    (listen && d->metrics_listen && !strcmp(listen, d->metrics_listen) && d->metrics))
		return;
	if (d->metrics) {
		epoll_ctl(d->efd, EPOLL_CTL_DEL, hx_metrics_fd(d->metrics), NULL);
		hx_metrics_stop(d->metrics);
		d->metrics = NULL;
	}
	free(d->metrics_listen);
	d->metrics_listen = listen ? strdup(listen) : NULL;
	if (!d->metrics_listen)
		return;
	d->metrics = hx_metrics_start(d->metrics_listen, render, healthy, d, err, sizeof(err));
	if (!d->metrics) {
		if (mono_ns() >= d->metrics_retry_ns)
			hx_dlog(LOG_ERR, "metrics", NULL, "%s; trying again every %llds", err,
				METRICS_RETRY_NS / 1000000000);
		d->metrics_retry_ns = mono_ns() + METRICS_RETRY_NS;
		return;
	}
	if (d->efd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 3 };

		epoll_ctl(d->efd, EPOLL_CTL_ADD, hx_metrics_fd(d->metrics), &ev);
	}
	hx_dlog(LOG_INFO, "metrics", NULL, "serving /metrics on %s", d->metrics_listen);
}

/* ---- counters for `status` --------------------------------------------------------------- */

static void write_counters(struct daemon *d)
{
	struct hx_counters c = { 0 };
	int err;

	hx_counters_set(&c, "pid", "%d", (int)getpid());
	hx_counters_set(&c, "generation", "%u", d->l.generation);
	hx_counters_set(&c, "started", "%lld", (long long)d->started_at);
	hx_counters_set(&c, "policy_sha256", "%s", d->sha);
	hx_counters_set(&c, "policy_loaded_at", "%lld", (long long)d->loaded_at);
	hx_counters_set(&c, "policy_load_seconds", "%.6f", d->load_seconds);
	hx_counters_set(&c, "policy_loads_ok", "%llu", (unsigned long long)d->loads_ok);
	hx_counters_set(&c, "policy_loads_failed", "%llu", (unsigned long long)d->loads_failed);
	hx_counters_set(&c, "policy_last_error", "%s", d->last_error);
	hx_counters_set(&c, "policy_file_state", "%s",
			d->pf == PF_MISSING ? "missing" :
			d->pf == PF_EMPTY   ? "empty" :
			d->pf == PF_UNREADABLE ? "unreadable" : "ok");
	hx_counters_set(&c, "ringbuf_events", "%llu", (unsigned long long)d->ring_events);
	hx_counters_set(&c, "audit_path", "%s", d->audit.path ? d->audit.path : "");
	hx_counters_set(&c, "audit_written", "%llu", (unsigned long long)d->audit.written);
	hx_counters_set(&c, "audit_sequence", "%llu", (unsigned long long)d->audit.seq);
	hx_counters_set(&c, "audit_rotations", "%llu", (unsigned long long)d->audit.rotations);
	hx_counters_set(&c, "audit_last_error", "%s",
			d->audit.last_errno ? strerror(d->audit.last_errno) : "");
	for (unsigned r = 0; r < HX_LOSS_MAX; r++) {
		char name[48];

		snprintf(name, sizeof(name), "lost_%s", hx_audit_loss_name(r));
		hx_counters_set(&c, name, "%llu", (unsigned long long)d->audit.lost[r]);
	}
	for (unsigned r = 0; r < HX_DROP_MAX; r++) {
		char name[48];

		snprintf(name, sizeof(name), "reported_%s", hx_drop_name(r));
		hx_counters_set(&c, name, "%llu", (unsigned long long)d->drops_reported[r]);
	}
	if (d->audit.syslog) {
		hx_counters_set(&c, "syslog_target", "%s", hx_syslog_target(d->audit.syslog));
		hx_counters_set(&c, "syslog_sent", "%llu",
				(unsigned long long)hx_syslog_sent(d->audit.syslog));
		hx_counters_set(&c, "syslog_connected", "%d", hx_syslog_connected(d->audit.syslog));
		hx_counters_set(&c, "syslog_error", "%s", hx_syslog_error(d->audit.syslog));
	}
	if (d->audit.journal) {
		hx_counters_set(&c, "journald_offered", "%llu",
				(unsigned long long)hx_journal_offered(d->audit.journal));
		hx_counters_set(&c, "journald_sent", "%llu",
				(unsigned long long)hx_journal_sent(d->audit.journal));
		hx_counters_set(&c, "journald_queued", "%llu",
				(unsigned long long)hx_journal_queued(d->audit.journal));
		hx_counters_set(&c, "journald_ok", "%d", hx_journal_ok(d->audit.journal));
	}
	hx_counters_set(&c, "metrics_listen", "%s", d->metrics ? d->metrics_listen : "");
	hx_counters_set(&c, "metrics_scrapes", "%llu",
			(unsigned long long)hx_metrics_scrapes(d->metrics));
	hx_counters_set(&c, "audit_relayed", "%llu", (unsigned long long)d->relayed);
	hx_counters_set(&c, "audit_relay_refused", "%llu", (unsigned long long)d->relay_refused);
	hx_counters_set(&c, "pins_restored", "%llu", (unsigned long long)d->repins);
	hx_counters_set(&c, "cgroup_repairs", "%llu", (unsigned long long)d->repairs);
	err = hx_counters_write(&c);
	if (err && d->ticks % (60 * TICKS_PER_SEC) == 0)
		hx_dlog(LOG_WARNING, "state", NULL, "cannot write %s: %s", HX_COUNTERS_FILE,
			strerror(-err));
}

/* What the last daemon reported, so drops while no daemon ran are reported now. */
static void adopt_counters(struct daemon *d)
{
	struct hx_counters c;
	struct hx_state st;
	__u32 zero = 0;
	struct hx_live live = { 0 };

	read_drops(d);
	memcpy(d->drops_reported, d->drops_now, sizeof(d->drops_reported));
	/* Rate limit counts of sandboxes the last daemon knew: reported, as a whole, below. */
	d->rl_since = real_ns();
	{
		int fd = bpf_map__fd(d->l.skel->maps.hx_rl);

		for (__u32 i = 0; i < HX_RL_SANDBOXES; i++) {
			struct hx_rl_state rs;

			if (!bpf_map_lookup_elem(fd, &i, &rs))
				d->rl_now[i] = d->rl_reported[i] = rs.suppressed;
		}
	}
	if (!hx_counters_read(&c)) {
		for (unsigned r = 0; r < HX_DROP_MAX; r++) {
			char name[48];
			const char *v;

			snprintf(name, sizeof(name), "reported_%s", hx_drop_name(r));
			v = hx_counters_get(&c, name);
			if (v && strtoull(v, NULL, 10) <= d->drops_now[r])
				d->drops_reported[r] = strtoull(v, NULL, 10);
		}
	}
	/* Suppressed after the last daemon's last summary: their sandboxes are not known. */
	if (d->drops_reported[HX_DROP_RATE_LIMIT] < d->drops_now[HX_DROP_RATE_LIMIT]) {
		audit_rate_limited(d, NULL,
				   d->drops_now[HX_DROP_RATE_LIMIT] - d->drops_reported[HX_DROP_RATE_LIMIT],
				   d->drops_now[HX_DROP_RATE_LIMIT], d->rl_since, d->rl_since);
		d->drops_reported[HX_DROP_RATE_LIMIT] = d->drops_now[HX_DROP_RATE_LIMIT];
	}
	/* The live slot's sandboxes, named as the last daemon wrote them. */
	hx_dstats_poll(&d->stats, bpf_map__fd(d->l.skel->maps.hx_stats));
	if (bpf_map_lookup_elem(bpf_map__fd(d->l.skel->maps.hx_live), &zero, &live) || !live.ready)
		return;
	{
		struct hx_compiled t;

		/* The last daemon's names for the live generation, for what it left queued. */
		if (!hx_state_read_tables(&t)) {
			if (t.generation == live.generation) {
				hx_compiled_free(&d->hist[t.generation % HISTORY]);
				d->hist[t.generation % HISTORY] = t;
			} else {
				hx_compiled_free(&t);
			}
		}
	}
	if (!hx_state_read(&st)) {
		if (st.generation == live.generation && st.nsbx) {
			const char **names = calloc(st.nsbx, sizeof(*names));

			for (size_t i = 0; names && i < st.nsbx; i++)
				if (st.sbx[i].idx < st.nsbx)
					names[st.sbx[i].idx] = st.sbx[i].name;
			if (names)
				hx_dstats_name_slot(&d->stats, live.slot, names, st.nsbx);
			free(names);
		}
		hx_state_free(&st);
	}
}

/* ---- lines of other processes -------------------------------------------------------------- */

/*
 * `helixagent exec` hands its lines (sandbox_create, ...) to the daemon, so
 * the stream keeps one writer and one sequence. Only root outside every
 * sandbox may add to the stream: the peer is checked when it connects, while
 * it waits for our word, so it cannot be gone before we look.
 */
#define RELAY_CONNS 64
#define TAG_RELAY_LISTEN 4
#define TAG_RELAY_CONN 100

static int relay_open(struct daemon *d)
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

static void relay_accept(struct daemon *d)
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

static void relay_read(struct daemon *d, int slot)
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

static void relay_close(struct daemon *d)
{
	for (int i = 0; i < RELAY_CONNS; i++) {
		if (d->relay_conns[i] < 0)
			continue;
		relay_read(d, i);
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

/* ---- setup ------------------------------------------------------------------------------------ */

static int open_outputs(struct daemon *d, const struct hx_policy *p)
{
	const struct hx_cli *cli = d->cli;
	const char *path = cli->audit_log ? cli->audit_log : p->audit_path;
	uint64_t max_size = 0;
	unsigned long keep = 5;
	char err[256];
	int rc;

	if (cli->audit_max_size && hx_parse_size(cli->audit_max_size, &max_size)) {
		hx_dlog(LOG_ERR, "usage", NULL, "--audit-max-size: '%s' is not a size (10M, 512Ki, ...)",
			cli->audit_max_size);
		return 1;
	}
	if (cli->audit_keep) {
		char *end;

		keep = strtoul(cli->audit_keep, &end, 10);
		if (!*cli->audit_keep || *end || keep > 1000) {
			hx_dlog(LOG_ERR, "usage", NULL, "--audit-keep: '%s' is not a number of files (0-1000)",
				cli->audit_keep);
			return 1;
		}
	}
	rc = hx_audit_open_direct(&d->audit, p->audit_enabled || cli->audit_log ? path : NULL,
				  cli->audit_stdout);
	if (rc) {
		hx_dlog(LOG_ERR, "audit", NULL, "cannot open audit log %s: %s", path, strerror(-rc));
		return 2;
	}
	d->audit_path = path ? strdup(path) : NULL;
	hx_audit_set_rotation(&d->audit, max_size, (unsigned)keep);
	if (cli->syslog || cli->journald) {
		int fac = hx_syslog_facility(cli->syslog_facility ? cli->syslog_facility : "auth");
		struct hx_sink *s;
		struct hx_journal *j;

		if (fac < 0) {
			hx_dlog(LOG_ERR, "usage", NULL, "--syslog-facility: unknown facility '%s'",
				cli->syslog_facility);
			return 1;
		}
		if (cli->syslog) {
			s = hx_syslog_open(cli->syslog, fac, err, sizeof(err));
			if (!s) {
				hx_dlog(LOG_ERR, "syslog", NULL, "--syslog %s: %s", cli->syslog, err);
				return errno == EINVAL ? 1 : 2;
			}
			hx_audit_set_syslog(&d->audit, s);
		}
		if (cli->journald) {
			j = hx_journal_open(fac, err, sizeof(err));
			if (!j) {
				hx_dlog(LOG_ERR, "journald", NULL, "--journald: %s", err);
				return 2;
			}
			hx_audit_set_journal(&d->audit, j);
		}
	}
	return 0;
}

static int setup_loop(struct daemon *d, int *sfd, int *tfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	*tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	d->efd = epoll_create1(EPOLL_CLOEXEC);
	if (*sfd < 0 || *tfd < 0 || d->efd < 0)
		return -errno;
	timerfd_settime(*tfd, 0,
			&(struct itimerspec){ .it_interval = { .tv_nsec = TICK_NS },
					      .it_value = { .tv_nsec = TICK_NS } },
			NULL);
	ev.data.u32 = 0;
	if (epoll_ctl(d->efd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(d->rb), &ev))
		return -errno;
	ev.data.u32 = 1;
	if (epoll_ctl(d->efd, EPOLL_CTL_ADD, *sfd, &ev))
		return -errno;
	ev.data.u32 = 2;
	if (epoll_ctl(d->efd, EPOLL_CTL_ADD, *tfd, &ev))
		return -errno;
	if (d->metrics) {
		ev.data.u32 = 3;
		epoll_ctl(d->efd, EPOLL_CTL_ADD, hx_metrics_fd(d->metrics), &ev);
	}
	if (d->relay_fd >= 0) {
		ev.data.u32 = TAG_RELAY_LISTEN;
		epoll_ctl(d->efd, EPOLL_CTL_ADD, d->relay_fd, &ev);
	}
	return 0;
}

static void tick(struct daemon *d)
{
	int64_t now = mono_ns();

	d->ticks++;
	drain(d);
	check_drops(d);
	watch_missing_cgroups(d);
	hx_audit_tick(&d->audit);
	hx_net_tick(&d->l);
	watch_policy_file(d);
	if (d->wd_usec && now >= d->wd_next_ns) {
		hx_notify("WATCHDOG=1");
		d->wd_next_ns = now + (int64_t)d->wd_usec * 1000 / 2;
	}
	if (d->metrics)
		hx_metrics_run(d->metrics);
	else if (d->metrics_listen && now >= d->metrics_retry_ns) {
		char *l = d->metrics_listen;

		d->metrics_listen = NULL;
		metrics_configure(d, l);
		free(l);
	}
	if (d->ticks % TICKS_PER_SEC)
		return;
	check_rate_limits(d);
	watch_pins(d);
	watch_cgroups(d);
	hx_dstats_poll(&d->stats, bpf_map__fd(d->l.skel->maps.hx_stats));
	write_counters(d);
}

static void setup_logging(const struct hx_cli *cli, const struct hx_policy *p)
{
	int lvl = p && p->log_level ? hx_dlog_level(p->log_level) : LOG_INFO;

	if (lvl < 0)
		lvl = LOG_INFO;
	if (cli->verbose)
		lvl = LOG_DEBUG;
	hx_dlog_setup(cli->log_format && !strcmp(cli->log_format, "json") ? HX_LOG_JSON :
									   HX_LOG_LOGFMT,
		      lvl);
}

int hx_cmd_run(const struct hx_cli *cli)
{
	struct daemon d = { .cli = cli, .efd = -1, .relay_fd = -1, .pf = PF_OK };
	struct hx_probe pr;
	struct epoll_event evs[8];
	struct hx_diags dg = { 0 };
	struct hx_policy *p;
	const char *what = "";
	int sfd = -1, tfd = -1, rc = 0, err;
	int64_t t0, t1;
	bool stop = false;
	char kv[128];

	if (cli->log_format && strcmp(cli->log_format, "json") && strcmp(cli->log_format, "logfmt")) {
		hx_log("--log-format: '%s' is not logfmt or json", cli->log_format);
		return 1;
	}
	/* Before anything else: the guard protects this process from its first moments. */
	hx_loader_name_agent();
	d.started_at = real_s();
	for (int i = 0; i < RELAY_CONNS; i++)
		d.relay_conns[i] = -1;
	/* Validate before touching the kernel: a bad policy is exit 1. */
	p = hx_cli_load_policy(cli, &dg);
	setup_logging(cli, p);
	if (!p) {
		hx_dlog(LOG_ERR, "policy_rejected", NULL, "cannot read policy %s: %s",
			cli->config_shown, strerror(errno));
		return 1;
	}
	log_diags(&dg, cli->config_shown);
	if (dg.errors) {
		hx_dlog(LOG_ERR, "policy_rejected", NULL, "policy %s has %zu error(s); not starting",
			cli->config_shown, dg.errors);
		hx_diags_free(&dg);
		hx_policy_free(p);
		return 1;
	}
	hx_diags_free(&dg);
	rc = open_outputs(&d, p);
	hx_policy_free(p);
	if (rc)
		goto out;

	/* Under memory pressure the kernel kills anything before the agent. */
	write_oom_score_adj();

	t0 = mono_ns();
	hx_probe_run(&pr);
	t1 = mono_ns();
	if (!pr.enforce_ok) {
		hx_dlog(LOG_ERR, "probe", NULL, "cannot enforce: %s", pr.reason);
		rc = 2;
		goto out;
	}
	if (hx_dstats_init(&d.stats)) {
		hx_dlog(LOG_ERR, "startup", NULL, "cannot count the possible CPUs");
		rc = 2;
		goto out;
	}

	/* Pinned maps are adopted: the policy in force stays live until the new one replaces it. */
	err = hx_loader_open(&d.l, &what);
	if (err) {
		hx_dlog(LOG_ERR, "startup", NULL, "failed to %s: %s", what, strerror(-err));
		rc = 2;
		goto out;
	}
	snprintf(kv, sizeof(kv), "adopted_generation=%u adopted_links=%s probe_seconds=%.3f load_seconds=%.3f",
		 d.l.generation, d.l.adopted ? "yes" : "no", (double)(t1 - t0) / 1e9,
		 (double)(mono_ns() - t1) / 1e9);
	hx_dlog(LOG_INFO, "startup", kv, "%s under %s%s",
		d.l.adopted ? "adopted the pinned programs of this same build" :
			      "programs attached and pinned",
		HX_PIN_DIR,
		d.l.generation ? "; the policy in force stays live while the new one loads" : "");
	adopt_counters(&d);
	/* Drain what a dead daemon left in the ring: those events belong to the log too. */
	d.rb = ring_buffer__new(bpf_map__fd(d.l.skel->maps.hx_events), on_event, &d, NULL);
	if (!d.rb) {
		hx_dlog(LOG_ERR, "startup", NULL, "failed to open the event ring buffer: %s",
			strerror(errno));
		rc = 2;
		goto out;
	}
	drain(&d);
	check_drops(&d);

	rc = load_and_install(&d, T_START);
	if (rc)
		goto out;
	if (cli->metrics_listen)
		metrics_configure(&d, cli->metrics_listen);

	/* Not fatal: without it `helixagent exec` writes the log itself. */
	err = d.audit.path ? relay_open(&d) : 0;
	if (err)
		hx_dlog(LOG_WARNING, "audit_relay", NULL, "cannot listen on %s: %s", HX_AUDIT_SOCKET,
			strerror(-err));
	err = setup_loop(&d, &sfd, &tfd);
	if (err) {
		hx_dlog(LOG_ERR, "startup", NULL, "failed to set up the event loop: %s",
			strerror(-err));
		rc = 2;
		goto out;
	}
	d.wd_usec = hx_notify_watchdog_usec();
	write_counters(&d);
	snprintf(kv, sizeof(kv), "pid=%d generation=%u", (int)getpid(), d.l.generation);
	hx_dlog(LOG_INFO, "ready", kv, "enforcing");
	hx_notifyf("READY=1\nMAINPID=%d\nSTATUS=enforcing policy generation %u", (int)getpid(),
		   d.l.generation);

	while (!stop) {
		/* Records left from the last turn: look at the rest, then go on with them. */
		int n = epoll_wait(d.efd, evs, 8, d.ring_more ? 0 : -1);

		if (d.ring_more)
			drain(&d);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hx_dlog(LOG_ERR, "event_loop", NULL, "epoll_wait: %s", strerror(errno));
			rc = 2;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 0) {
				drain(&d);
			} else if (evs[i].data.u32 == 1) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					snprintf(kv, sizeof(kv), "sender_pid=%u", si.ssi_pid);
					hx_dlog(LOG_INFO, "reload", kv, "SIGHUP: reloading %s",
						cli->config_shown);
					load_and_install(&d, T_SIGNAL);
				} else if (si.ssi_signo == SIGUSR1) {
					err = hx_audit_reopen(&d.audit);
					if (err)
						hx_dlog(LOG_ERR, "audit", NULL,
							"cannot reopen audit log %s: %s",
							d.audit.path, strerror(-err));
					else
						hx_dlog(LOG_INFO, "audit", NULL, "reopened %s",
							d.audit.path ? d.audit.path : "(no file)");
				} else {
					stop = true;
				}
			} else if (evs[i].data.u32 == 2) {
				uint64_t ticks;

				(void)!read(tfd, &ticks, sizeof(ticks));
				tick(&d);
			} else if (evs[i].data.u32 == 3 && d.metrics) {
				hx_metrics_run(d.metrics);
			} else if (evs[i].data.u32 == TAG_RELAY_LISTEN) {
				relay_accept(&d);
			} else if (evs[i].data.u32 >= TAG_RELAY_CONN &&
				   evs[i].data.u32 < TAG_RELAY_CONN + RELAY_CONNS) {
				relay_read(&d, (int)(evs[i].data.u32 - TAG_RELAY_CONN));
			}
		}
	}
	hx_notify("STOPPING=1");
	/* Enforcement stays pinned; only the daemon goes. */
	relay_close(&d);
	for (int i = 0; i < 64; i++) {
		drain(&d);
		if (!d.ring_more)
			break;
	}
	check_drops(&d);
	check_rate_limits(&d);
	hx_dstats_poll(&d.stats, bpf_map__fd(d.l.skel->maps.hx_stats));
	write_counters(&d);
	snprintf(kv, sizeof(kv), "generation=%u", d.l.generation);
	hx_dlog(LOG_INFO, "exit", kv,
		"exiting; the policy stays enforced (helixagent unload removes it)");
out:
	hx_metrics_stop(d.metrics);
	free(d.metrics_listen);
	ring_buffer__free(d.rb);
	relay_close(&d);
	if (d.efd >= 0)
		close(d.efd);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (d.l.skel)
		hx_loader_close(&d.l);
	hx_dstats_free(&d.stats);
	hx_audit_close(&d.audit);
	for (int i = 0; i < HISTORY; i++)
		hx_compiled_free(&d.hist[i]);
	free(d.good);
	free(d.explicit_cg);
	free(d.cg_missing);
	free(d.audit_path);
	return rc;
}
