// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum hx_log_format format;
static int max_prio = LOG_INFO;
static int journal = -1; /* unknown yet */

static const char *const prio_names[] = { "emerg",   "alert",  "crit", "error",
					  "warning", "notice", "info", "debug" };

void hx_dlog_setup(enum hx_log_format fmt, int max_priority)
{
	format = fmt;
	max_prio = max_priority;
}

int hx_dlog_level(const char *name)
{
	if (!strcmp(name, "debug"))
		return LOG_DEBUG;
	if (!strcmp(name, "info"))
		return LOG_INFO;
	if (!strcmp(name, "warning") || !strcmp(name, "warn"))
		return LOG_WARNING;
	if (!strcmp(name, "error"))
		return LOG_ERR;
	return -1;
}

/* systemd sets JOURNAL_STREAM=DEV:INODE of the stream it connected stderr to. */
static bool to_journal(void)
{
	const char *js;
	unsigned long long dev, ino;
	struct stat st;

	if (journal >= 0)
		return journal;
	js = getenv("JOURNAL_STREAM");
	journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(STDERR_FILENO, &st) &&
		  (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	return journal;
}

static void put_quoted(FILE *f, const char *s, bool json)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, json ? "\\u%04x" : "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static bool is_number(const char *s, size_t n)
{
	size_t i = 0;

	if (n && s[0] == '-')
		i++;
	if (i == n)
		return false;
	for (; i < n; i++)
		if ((s[i] < '0' || s[i] > '9') && s[i] != '.')
			return false;
	return true;
}

static void put_kv(FILE *f, const char *kv, bool json)
{
	const char *p = kv;

	while (p && *p) {
		const char *end = strchr(p, ' '), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p);

		eq = memchr(p, '=', n);
		if (eq) {
			size_t kl = (size_t)(eq - p), vl = n - kl - 1;

			if (json) {
				fprintf(f, ",\"%.*s\":", (int)kl, p);
				if (is_number(eq + 1, vl) ||
				    (vl == 4 && !strncmp(eq + 1, "true", 4)) ||
				    (vl == 5 && !strncmp(eq + 1, "false", 5))) {
					fprintf(f, "%.*s", (int)vl, eq + 1);
				} else {
					char v[512];

					snprintf(v, sizeof(v), "%.*s", (int)vl, eq + 1);
					put_quoted(f, v, true);
				}
			} else {
				fprintf(f, " %.*s", (int)n, p);
			}
		}
		p = end ? end + 1 : NULL;
	}
}

void hx_dlog(int prio, const char *event, const char *kv, const char *fmt, ...)
{
	char msg[2048], ts[40], *line = NULL;
	size_t len = 0;
	struct timespec now;
	struct tm tm;
	va_list ap;
	FILE *f;

	if (prio > max_prio)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	/* Built whole, then written with one call: lines never interleave. */
	f = open_memstream(&line, &len);
	if (!f)
		return;
	if (to_journal())
		fprintf(f, "<%d>", prio);
	if (format == HX_LOG_JSON) {
		fprintf(f, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"event\":", ts,
			now.tv_nsec / 1000000, prio_names[prio & 7]);
		put_quoted(f, event, true);
		fputs(",\"msg\":", f);
		put_quoted(f, msg, true);
		put_kv(f, kv, true);
		fputs("}\n", f);
	} else {
		fprintf(f, "ts=%s.%03ldZ level=%s event=%s msg=", ts, now.tv_nsec / 1000000,
			prio_names[prio & 7], event);
		put_quoted(f, msg, false);
		put_kv(f, kv, false);
		fputc('\n', f);
	}
	fclose(f);
	if (line)
		(void)!write(STDERR_FILENO, line, len);
	free(line);
}
