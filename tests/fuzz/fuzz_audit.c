// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the audit formatter, fed arbitrary kernel records and
 * arbitrary names, must write lines that are valid UTF-8 JSON (checked by
 * jansson, an independent parser, and by the project's own reader), that say
 * which values were escaped, and from which the original bytes come back.
 * Lines relayed from other processes are either refused or valid.
 *
 * Input: byte 0 picks the formatter; bytes 1-2 (little endian) the length of
 * a section of names separated by 0x01 (host name, sandbox, cgroup, rule,
 * then argv or messages); the rest is the kernel record (zero-padded).
 */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <jansson.h>

#include "events/audit.h"
#include "events/audit_daemon.h"
#include "events/audit_sandbox.h"
#include "util/json.h"

#define NSTR 12

static struct hx_audit A;
static bool ready;
static const char *first_line; /* the line check_line returned, for messages */
static size_t first_len;

static void fail(const char *what, const char *line, size_t len)
{
	fprintf(stderr, "fuzz_audit: %s\nline: %.*s\n", what, (int)len, line);
	__builtin_trap();
}

/* Whether the JSON string array helixagent.escaped names @field. */
static bool listed(json_t *root, const char *field)
{
	json_t *esc = json_object_get(json_object_get(root, "helixagent"), "escaped");
	size_t i;
	json_t *v;

	json_array_foreach(esc, i, v) if (json_is_string(v) &&
					  !strcmp(json_string_value(v), field)) return true;
	return false;
}

/* The bytes @want come back from the JSON string @v, unescaped if the line lists @field. */
static void same_bytes(json_t *root, json_t *v, const char *field, const char *want, size_t wlen,
		       const char *line, size_t len)
{
	bool esc = listed(root, field);
	size_t n;
	char *got;

	if (!json_is_string(v))
		fail(field, line, len);
	n = json_string_length(v);
	got = malloc(n + 1);
	memcpy(got, json_string_value(v), n);
	if (esc)
		n = hx_unescape_bytes(got, n);
	/* escaped exactly when the value was not valid UTF-8 */
	if (esc == hx_utf8_valid(want, wlen) || n != wlen || memcmp(got, want, wlen))
		fail(field, line, len);
	free(got);
}

static json_t *check_text(const char *line, size_t len)
{
	json_error_t err;
	json_t *root;

	if (memchr(line, '\n', len) || strnlen(line, len) != len)
		fail("newline or NUL in the line", line, len);
	/* as reals: jansson's integers stop at 2^63, JSON's do not (cgroup ids are u64) */
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
	if (!root || !json_is_object(root)) {
		fprintf(stderr, "jansson: %s at %d\n", err.text, err.position);
		fail("not JSON", line, len);
	}
	if (jv_walk(line, len, NULL, NULL))
		fail("jv_walk refused a line jansson took", line, len);
	if (!json_object_get(root, "event") || !json_object_get(root, "helixagent"))
		fail("no event or helixagent", line, len);
	return root;
}

/*
 * Checks every line the last call wrote to the file (the event and any loss
 * report after it); returns the first, parsed, for its caller to look into.
 */
static json_t *check_line(void)
{
	static char buf[1 << 20];
	off_t end = lseek(A.fd, 0, SEEK_CUR);
	ssize_t n = end > 0 && (size_t)end < sizeof(buf) ? pread(A.fd, buf, (size_t)end, 0) : 0;
	json_t *first = NULL;

	if (end >= (off_t)sizeof(buf))
		abort();
	for (char *p = buf, *nl; p < buf + n; p = nl + 1) {
		json_t *root;

		nl = memchr(p, '\n', (size_t)(buf + n - p));
		if (!nl)
			fail("partial line", p, (size_t)(buf + n - p));
		root = check_text(p, (size_t)(nl - p));
		if (!first) {
			first = root;
			first_line = p;
			first_len = (size_t)(nl - p);
		} else {
			json_decref(root);
		}
	}
	if (ftruncate(A.fd, 0) || lseek(A.fd, 0, SEEK_SET))
		abort();
	return first;
}

static void decision(const uint8_t *rec, size_t n, char **str)
{
	static struct hx_event e;
	struct hx_sbx_info sbx[2] = { { str[1], str[2], 0, 0 }, { str[4], str[5], 7, 0 } };
	struct hx_rule_info rules[2] = { { 0, 0, str[3], NULL }, { 1, 1, str[6], NULL } };
	struct hx_compiled c = { 3, sbx, 2, rules, 2, 0 };
	char path[PATH_MAX + 8];
	json_t *root, *o;
	bool complete;
	size_t plen;

	memset(&e, 0, sizeof(e));
	memcpy(&e, rec, n < sizeof(e) ? n : sizeof(e));
	sbx[0].cgid = e.cgid; /* so the fuzzed cgroup name is written */
	hx_audit_format_decision(&A, &e, e.generation & 1 ? NULL : &c);
	hx_ecs_emit(&A);
	root = check_line();
	if (!root)
		return;
	o = json_object_get(root, "process");
	same_bytes(root, json_object_get(o, "name"), "process.name", e.comm,
		   strnlen(e.comm, sizeof(e.comm)), first_line, first_len);
	if (e.path_len) {
		plen = hx_components_to_path(
			e.path, e.path_len < sizeof(e.path) ? e.path_len : sizeof(e.path), path,
			sizeof(path), &complete);
		same_bytes(root, json_object_get(json_object_get(root, "file"), "path"),
			   "file.path", path, plen, first_line, first_len);
	}
	if (e.args_len) {
		size_t alen = e.args_len < sizeof(e.args) ? e.args_len : sizeof(e.args), k = 0;
		json_t *args = json_object_get(o, "args");

		for (size_t i = 0; i < alen; k++) {
			size_t l = strnlen(e.args + i, alen - i);
			json_t *v = json_array_get(args, k);
			bool esc = listed(root, "process.args");
			char *got;
			size_t gl;

			if (!json_is_string(v))
				fail("process.args", first_line, first_len);
			/* one escaped argument marks the array: each is undone, valid ones too */
			gl = json_string_length(v);
			got = malloc(gl + 1);
			memcpy(got, json_string_value(v), gl);
			if (esc)
				gl = hx_unescape_bytes(got, gl);
			if (gl != l || memcmp(got, e.args + i, l))
				fail("process.args bytes", first_line, first_len);
			free(got);
			i += l + 1;
		}
	}
	json_decref(root);
}

static void run_events(char **str, size_t nstr)
{
	char *argv[NSTR + 1];
	struct hx_run_desc r = { str[1], str[2], str[3], str[4], 99, argv, str[5], 10, 9, 2 };
	struct hx_run_isolation iso = { .max_memory = 1,
					.namespaces = { str[6], str[7] },
					.network_mode = str[8],
					.root_fs = str[9] };
	struct hx_run_end end = { 1, 9, str[6], 5, 1, 1, 1 };
	struct hx_run_violation v = { str[6], str[7], 1, 2, str[8], str[9], 3, str[10] };
	json_t *root;

	for (size_t i = 0; i < nstr; i++)
		argv[i] = str[i + 1 < nstr ? i + 1 : i];
	argv[nstr > 1 ? nstr - 1 : 0] = NULL;
	hx_audit_sandbox_create(&A, &r, &iso);
	json_decref(check_line());
	hx_audit_sandbox_destroy(&A, &r, &end);
	json_decref(check_line());
	hx_audit_resource_violation(&A, &r, &v);
	json_decref(check_line());
	hx_audit_command_refused(&A, &r, str[7], str[8], nstr & 1);
	root = check_line();
	if (root && r.command_line)
		same_bytes(root, json_object_get(json_object_get(root, "process"), "command_line"),
			   "process.command_line", r.command_line, strlen(r.command_line),
			   first_line, first_len);
	json_decref(root);
}

static void daemon_events(char **str)
{
	struct hx_diag dv[2] = { { HX_DIAG_ERROR, { 1, 2 }, str[4] },
				 { HX_DIAG_WARNING, { 0, 0 }, str[5] } };
	struct hx_diags dg = { dv, 2, 2, 1, 1 };
	struct hx_sbx_info sbx = { str[6], str[7], 4, 0 };
	struct hx_compiled c = { 3, &sbx, 1, NULL, 0, 0 };

	hx_audit_policy_event(&A, &(struct hx_policy_event){ true, 3, str[1], str[2], str[3], 0.5,
							     str[8], &dg, &c });
	json_decref(check_line());
	hx_audit_policy_load(&A, &c, str[1], true, str[2]);
	json_decref(check_line());
	hx_audit_dropped(&A, str[3], 1, 2);
	json_decref(check_line());
}

static void relay(const uint8_t *line, size_t n)
{
	uint64_t before = A.lost[HX_LOSS_FORMAT];

	hx_audit_relay(&A, (const char *)line, n);
	if (A.lost[HX_LOSS_FORMAT] == before)
		json_decref(check_line());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char empty[1];
	char *str[NSTR] = { 0 }, *names;
	size_t nstr = 0, slen, i, start;

	if (!ready) {
		/* the file output, in memory: every line written is checked */
		if (hx_audit_open(&A, NULL, false))
			abort();
		A.fd = memfd_create("audit", MFD_CLOEXEC);
		if (A.fd < 0)
			abort();
		ready = true;
	}
	if (size < 3)
		return 0;
	slen = (size_t)data[1] | (size_t)data[2] << 8;
	if (slen > size - 3)
		slen = size - 3;
	names = malloc(slen + 1);
	memcpy(names, data + 3, slen);
	names[slen] = 0;
	for (i = 0, start = 0; i <= slen && nstr < NSTR; i++) {
		if (i == slen || names[i] == 1) {
			names[i] = 0;
			str[nstr++] = names + start;
			start = i + 1;
		}
	}
	/* names the callers always have: absent ones are empty */
	for (i = nstr; i < NSTR; i++)
		str[i] = empty;
	/* the host name as gethostname could give it: up to 255 bytes, any but NUL */
	snprintf(A.hostname, sizeof(A.hostname), "%s", str[0] ? str[0] : "h");
	switch (data[0] % 4) {
	case 0:
		decision(data + 3 + slen, size - 3 - slen, str);
		break;
	case 1:
		run_events(str, nstr);
		break;
	case 2:
		daemon_events(str);
		break;
	case 3:
		relay(data + 3, size - 3);
		break;
	}
	free(names);
	return 0;
}
