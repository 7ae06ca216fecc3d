// SPDX-License-Identifier: GPL-2.0
/*
 * The policy: read, validated and installed at start, on SIGHUP, when the
 * file changed, and (the text in force) to repair a removed cgroup. A policy
 * that fails leaves the one in force; each outcome is logged, audited and
 * written for `status`.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "daemon.h"
#include "events/audit_daemon.h"
#include "helixagent.skel.h"
#include "log.h"
#include "notify.h"
#include "util/file.h"
#include "util/sha256.h"
#include "state.h"

static const char *const trigger_names[] = { "start", "signal", "file_change", "cgroup_repair" };

void hx_d_log_diags(const struct hx_diags *dg, const char *file)
{
	for (size_t i = 0; i < dg->n; i++) {
		const struct hx_diag *x = &dg->v[i];
		bool err = x->level == HX_DIAG_ERROR;

		/* The same FILE:LINE:COL: form as `check`, so editors and tests find it. */
		hx_dlog(err ? LOG_ERR : LOG_WARNING, "policy_diagnostic", NULL, "%s:%u:%u: %s: %s",
			file, x->src.line, x->src.col, err ? "error" : "warning", x->msg);
	}
	if (dg->n < dg->errors + dg->warnings)
		hx_dlog(LOG_WARNING, "policy_diagnostic", NULL,
			"%s: %zu more diagnostics not shown", file,
			dg->errors + dg->warnings - dg->n);
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
	mode_t type;
	/* A FIFO or a device put in the policy's place is refused, never opened. */
	int fd = hx_cli_open_policy(path, &type);

	if (fd < 0)
		return fd;
	return hx_read_whole(fd, HX_POLICY_MAX_BYTES, out, outlen, st);
}

static void reject(struct daemon *d, enum trigger why, const char *sha, double secs,
		   const struct hx_diags *dg, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

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

/*
 * Reads, validates and installs the policy (or, for a repair, the text in
 * force). Returns 0, 1 (policy error) or 2 (system error); on error the
 * policy in force stays.
 */
int hx_d_load_and_install(struct daemon *d, enum trigger why)
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
	hx_d_drain(d);
	hx_d_check_rate_limits(d);
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
	hx_d_log_diags(&dg, cli->config_shown);
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
	hx_d_log_diags(&dg, cli->config_shown);
	secs = (double)(mono_ns() - t0) / 1e9;
	if (err) {
		reject(d, why, sha, secs, &dg, "cannot install: %s", strerror(-err));
		rc = err == -EINVAL ? 1 : 2;
		if (why != T_START)
			hx_notifyf(
				"READY=1\nSTATUS=enforcing policy generation %u (reload rejected)",
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
	hx_d_remember(d, &d->l.cur);
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
	snprintf(
		kv, sizeof(kv),
		"generation=%u sandboxes=%zu object_rules=%zu sha256=%s load_seconds=%.3f install_seconds=%.3f trigger=%s",
		d->l.generation, d->l.cur.nsbx, d->l.cur.inode_entries, sha, secs,
		(double)(t2 - t1) / 1e9, trigger_names[why]);
	hx_dlog(LOG_INFO, "policy_load", kv, "policy generation %u in force", d->l.generation);

	/* The audit log moves with the policy, unless the command line fixed it. */
	if (!cli->audit_log && p->audit_path && d->audit_path &&
	    strcmp(p->audit_path, d->audit_path) && d->audit.path) {
		free(d->audit.path);
		d->audit.path = strdup(p->audit_path);
		err = d->audit.path ? hx_audit_reopen(&d->audit) : -ENOMEM;
		if (err)
			hx_dlog(LOG_ERR, "audit", NULL, "cannot open audit log %s: %s",
				p->audit_path, strerror(-err));
		free(d->audit_path);
		d->audit_path = strdup(p->audit_path);
	}
	if (!cli->metrics_listen)
		hx_d_metrics_configure(d, p->metrics_listen);
	if (why != T_START)
		hx_notifyf("READY=1\nSTATUS=enforcing policy generation %u", d->l.generation);
out:
	/* `status` and waiting scripts see the outcome at once. */
	hx_d_write_counters(d);
	hx_diags_free(&dg);
	hx_policy_free(p);
	free(buf);
	return rc;
}
