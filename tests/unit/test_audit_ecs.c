// SPDX-License-Identifier: GPL-2.0
/*
 * Every field the audit formatter can write, checked against the ECS field
 * reference of the version the lines claim (ecs.version): representative
 * lines of every event type and family are walked leaf by leaf, and each leaf
 * is an ECS field of a matching JSON type (an array only where ECS expects
 * one), a label, or under the project's own namespace, helixagent.*. The
 * categorization fields take only ECS's allowed values, and every line names
 * its agent, observer, module and dataset. The reference is a trimmed copy of
 * ECS's own table (tests/unit/ecs/README.md).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "events/audit.h"
#include "events/audit_daemon.h"
#include "events/audit_sandbox.h"
#include "helixagent/abi_guard.h"
#include "helixagent/abi_net.h"
#include "util/json.h"

#include "test_dir_util.h"

#define ECS_DIR HX_SRCDIR "/tests/unit/ecs/"

struct field {
	char *name, *type, *norm;
	bool used;
};

static struct field *fields;
static size_t nfields;
static char *allowed; /* "\nfield,value\n..." */

/* One CSV record (RFC 4180 quoting, one line) into @out columns; returns how many. */
static size_t csv_split(char *line, char **out, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		char *w = p;

		out[n++] = w;
		if (*p == '"') {
			for (p++;; p++) {
				if (!*p)
					return n;
				if (*p == '"' && p[1] == '"')
					*w++ = *p++;
				else if (*p == '"')
					break;
				else
					*w++ = *p;
			}
			p++;
		} else {
			while (*p && *p != ',')
				*w++ = *p++;
		}
		if (*p != ',') {
			*w = 0;
			return n;
		}
		p++;
		*w = 0;
	}
	return n;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 2);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static int load(void **state)
{
	char *text = slurp(getenv("HX_ECS_FIELDS") ? getenv("HX_ECS_FIELDS") :
						     ECS_DIR "fields-8.11.0.csv");
	char *save = NULL, *cols[9];

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* ECS_Version,Indexed,Field_Set,Field,Type,Level,Normalization,Example,Description */
		if (csv_split(l, cols, 9) < 7 || !strcmp(cols[3], "Field"))
			continue;
		assert_string_equal(cols[0], "8.11.0"); /* the version the lines claim */
		fields = realloc(fields, (nfields + 1) * sizeof(*fields));
		fields[nfields++] =
			(struct field){ strdup(cols[3]), strdup(cols[4]), strdup(cols[6]), false };
	}
	free(text);
	allowed = slurp(ECS_DIR "allowed-values-8.11.0.csv");
	return nfields ? 0 : -1;
}

static int unload(void **state)
{
	if (getenv("HX_ECS_LIST")) /* which rows the trimmed table needs */
		for (size_t i = 0; i < nfields; i++)
			if (fields[i].used)
				printf("ecs-used %s\n", fields[i].name);
	for (size_t i = 0; i < nfields; i++) {
		free(fields[i].name);
		free(fields[i].type);
		free(fields[i].norm);
	}
	free(fields);
	free(allowed);
	return 0;
}

static struct field *find(const char *name, size_t n)
{
	for (size_t i = 0; i < nfields; i++)
		if (strlen(fields[i].name) == n && !memcmp(fields[i].name, name, n))
			return &fields[i];
	return NULL;
}

static bool is_allowed(const char *field, const char *v, size_t n)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s,%.*s\n", field, (int)n, v);
	return strstr(allowed, want) != NULL;
}

/* Whether a JSON leaf of type @t fits the ECS data type @ecs. */
static bool type_fits(const char *ecs, const struct jv_leaf *l)
{
	static const char *const strings[] = { "keyword",  "constant_keyword",
					       "wildcard", "match_only_text",
					       "text",	   "ip",
					       "date",	   "version" };
	static const char *const integers[] = { "long", "integer", "short", "byte",
						"unsigned_long" };

	if (l->type == JV_NULL)
		return true; /* ECS: a null is an absent field */
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (!strcmp(ecs, strings[i]))
			return l->type == JV_STRING;
	for (size_t i = 0; i < sizeof(integers) / sizeof(integers[0]); i++)
		if (!strcmp(ecs, integers[i]))
			return l->type == JV_NUMBER && !memchr(l->raw, '.', l->rawlen) &&
			       !memchr(l->raw, 'e', l->rawlen);
	if (!strcmp(ecs, "float") || !strcmp(ecs, "scaled_float") || !strcmp(ecs, "double"))
		return l->type == JV_NUMBER;
	if (!strcmp(ecs, "boolean"))
		return l->type == JV_TRUE || l->type == JV_FALSE;
	return false; /* object, nested, flattened, geo_point: never a leaf of ours */
}

struct walk {
	const char *line;
	int errors;
	unsigned seen; /* required fields met, by bit */
};

static const char *const required[] = {
	"@timestamp",	  "ecs.version",     "event.kind",	   "event.category",
	"event.type",	  "event.action",    "event.outcome",	   "event.code",
	"event.sequence", "event.module",    "event.dataset",	   "agent.type",
	"agent.name",	  "agent.id",	     "agent.ephemeral_id", "agent.version",
	"observer.type",  "observer.vendor", "observer.product",   "observer.version",
	"host.hostname",
};

static int leaf(void *ctx, const struct jv_leaf *l)
{
	struct walk *w = ctx;
	struct field *f;
	const char *why = NULL;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (strlen(required[i]) == l->pathlen && !memcmp(required[i], l->path, l->pathlen))
			w->seen |= 1u << i;
	/* the lines claim the version the table is of */
	if (l->pathlen == 11 && !memcmp(l->path, "ecs.version", 11) &&
	    (l->rawlen != 6 || memcmp(l->raw, "8.11.0", 6)))
		why = "not the ECS version of the reference table";
	if (!why && l->pathlen > 11 && !memcmp(l->path, "helixagent.", 11))
		return 0; /* the project's namespace: docs/audit.md */
	if (l->pathlen > 7 && !memcmp(l->path, "labels.", 7)) {
		/* ECS labels: custom keys, keyword values */
		if (l->type != JV_STRING || l->in_array)
			why = "a label that is not one string";
	} else if (why) {
		/* said above */
	} else if (!(f = find(l->path, l->pathlen))) {
		why = "not an ECS field";
	} else {
		f->used = true;
		if (!type_fits(f->type, l))
			why = "JSON type does not fit the ECS type";
		else if (l->in_array && !strstr(f->norm, "array"))
			why = "an array where ECS expects one value";
		else if (!l->in_array && strstr(f->norm, "array") && l->type != JV_EMPTY_ARRAY)
			why = "one value where ECS expects an array";
		else if (l->type == JV_STRING &&
			 (!strcmp(f->name, "event.kind") || !strcmp(f->name, "event.category") ||
			  !strcmp(f->name, "event.type") || !strcmp(f->name, "event.outcome")) &&
			 !is_allowed(f->name, l->raw, l->rawlen))
			why = "a value ECS does not allow";
	}
	if (why) {
		fprintf(stderr, "ECS: %.*s = %.*s: %s\n  in %s\n", (int)l->pathlen, l->path,
			(int)l->rawlen, l->raw ? l->raw : "", why, w->line);
		w->errors++;
	}
	return 0;
}

static int lines_checked;

static void check(struct hx_audit *a)
{
	struct walk w = { a->w.buf, 0, 0 };

	assert_non_null(a->w.buf);
	assert_false(a->w.oom);
	assert_int_equal(jv_walk(a->w.buf, a->w.len, leaf, &w), 0);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(w.seen & 1u << i)) {
			fprintf(stderr, "ECS: no %s in %s\n", required[i], a->w.buf);
			w.errors++;
		}
	assert_int_equal(w.errors, 0);
	lines_checked++;
}

static void decisions(void **state)
{
	static struct hx_event e;
	struct hx_sbx_info sbx = { .name = "web", .cgroup = "/helixagent/web", .cgid = 42 };
	struct hx_rule_info rule = { .sbx = 0, .family = 1, .name = "filesystem.blocked_paths[0]" };
	struct hx_compiled c = {
		.generation = 1, .sbx = &sbx, .nsbx = 1, .rules = &rule, .nrules = 1
	};
	static const uint32_t rules[] = { 0, HX_RULE_NONE, HX_RULE_BUILTIN | HX_BI_MOUNT, 7 };
	struct hx_net_req *req = (struct hx_net_req *)(void *)e.exe;
	struct hx_audit a;
	unsigned n = 0;

	assert_int_equal(hx_audit_open(&a, NULL, false), 0);
	/* every action (and one past the last), every family, each decision and mode */
	for (unsigned act = 0; act <= HX_ACT_NET_MAX; act++) {
		for (unsigned fam = 0; fam <= HX_FAM_MAX; fam++) {
			for (unsigned dec = 0; dec < 3; dec++, n++) {
				memset(&e, 0, sizeof(e));
				e.type = HX_EV_DECISION;
				e.action = (uint16_t)act;
				e.family = (uint8_t)fam;
				e.decision = (uint8_t)dec;
				e.mode = n & 1 ? HX_MODE_AUDIT : 0;
				e.access = (uint8_t)(n & 7);
				e.cgid = n & 2 ? 42 : 43;
				e.pid = 4242;
				e.tid = 4243;
				e.ppid = 1;
				e.rule_id = rules[n % 4];
				e.flags = (n & 4 ? HX_EVF_KILLED | HX_EVF_FILELESS : 0) |
					  (n & 8 ? HX_EVF_PATH_TRUNC | HX_EVF_NET_XLATE : 0) |
					  (n & 16 ? HX_EVF_NO_RULE : HX_EVF_FORBIDDEN);
				e.target_pid = n & 1 ? 77 : 0;
				e.ino = 393;
				e.dev = 259u << 20 | 2;
				memcpy(e.comm, "cat", 4);
				if (fam == HX_FAM_NET) {
					e.af = n & 2 ? AF_INET6 : AF_INET;
					e.proto = n & 4 ? 17 : 6;
					e.dport = 443;
					e.direction = (uint8_t)(n & 1);
					e.daddr[0] = 10;
					req->af = e.af;
					req->xlate = (uint8_t)(n % 5);
				} else {
					memcpy(e.exe, "cat\0bin\0usr\0\0", 13);
					e.exe_len = 13;
				}
				memcpy(e.args, "cat\0/etc/shadow\0", 16);
				e.args_len = 16;
				memcpy(e.path, "shadow\0etc\0\0", 12);
				e.path_len = n & 32 ? 0 : 12;
				hx_audit_format_decision(&a, &e, n & 64 ? NULL : &c);
				hx_ecs_emit(&a);
				check(&a);
			}
		}
	}
	/* a container in a Kubernetes pod: container.*, orchestrator.* */
	sbx.cgroup =
		"/kubepods.slice/kubepods-pod6b1f2c3d_4e5f_4a6b_9c8d_7e6f5a4b3c2d.slice/"
		"cri-containerd-3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899.scope";
	e.cgid = 42;
	hx_audit_decision(&a, &e, &c);
	assert_non_null(strstr(a.w.buf, "\"container\":{\"id\":"));
	assert_non_null(strstr(a.w.buf, "\"orchestrator\":{\"type\":\"kubernetes\""));
	check(&a);
	/* a line with escaped values */
	memcpy(e.comm, "c\xff", 3);
	memcpy(e.path, "caf\xe9\0\0", 6);
	e.path_len = 6;
	hx_audit_decision(&a, &e, &c);
	assert_non_null(strstr(a.w.buf, "\"escaped\":["));
	check(&a);
	hx_audit_close(&a);
}

static void runs_and_daemon(void **state)
{
	char *argv[] = { "/usr/bin/id", "-u", NULL };
	struct hx_run_desc r = { "tools", "enforce", "run-9", "/helixagent/tools/run-9",
				 99,	  argv,	     NULL,    10,
				 9,	  2 };
	struct hx_run_isolation iso = { .max_memory = 1 << 20,
					.max_cpu_milli = 500,
					.max_processes = 10,
					.max_open_files = 64,
					.max_execution_ms = 1000,
					.namespaces = { "user", "mnt" },
					.seccomp = true,
					.no_new_privileges = true,
					.caps_set = true,
					.network_mode = "none",
					.root_fs = "/" };
	struct hx_run_end end = { 137, 9, "oom_kill", 5, 1 << 20, 3, 1000 };
	struct hx_run_violation v = { "memory", "max_memory", 1,
				      2,	"bytes",      "memory.events:oom_kill",
				      1,	"killed" };
	struct hx_diag dv[2] = { { HX_DIAG_ERROR, { 1, 2 }, "bad" },
				 { HX_DIAG_WARNING, { 0, 0 }, "w" } };
	struct hx_diags dg = { dv, 2, 2, 1, 1 };
	struct hx_sbx_info sbx = { "web", "/helixagent/web", 4, 0 };
	struct hx_compiled c = { 3, &sbx, 1, NULL, 0, 0 };
	struct hx_audit a;

	assert_int_equal(hx_audit_open(&a, NULL, false), 0);
	hx_audit_sandbox_create(&a, &r, &iso);
	check(&a);
	hx_audit_sandbox_destroy(&a, &r, &end);
	check(&a);
	hx_audit_resource_violation(&a, &r, &v);
	check(&a);
	hx_audit_command_refused(&a, &r, "command_validation.blocked[0]", "sudo", false);
	check(&a);
	r.command_line = "id -u | cat";
	hx_audit_command_refused(&a, &r, "command_validation.blocked[0]", NULL, true);
	check(&a);
	hx_audit_policy_event(&a, &(struct hx_policy_event){ true, 3, "/etc/p.yaml", "ab", "start",
							     0.5, NULL, &dg, &c });
	check(&a);
	hx_audit_policy_event(&a,
			      &(struct hx_policy_event){ false, 3, "/etc/p.yaml", NULL, "signal",
							 0.5, "1 error(s)", &dg, NULL });
	check(&a);
	hx_audit_policy_load(&a, &c, "/etc/p.yaml", true, NULL);
	check(&a);
	hx_audit_dropped(&a, "ringbuf_full", 5, 10);
	check(&a);
	hx_audit_close(&a);
	printf("ECS: %d lines checked\n", lines_checked);
}

/* agent.id: the same for every process of a host, and kept where there is no machine id */
static void agent_identity(void **state)
{
	char a[HX_UUID_LEN + 1], b[HX_UUID_LEN + 1], dir[] = "/tmp/hx-agent-XXXXXX", sub[64];

	assert_int_equal(hx_agent_id("3d1219c7c4c5404aaa1f6d2a48adfda4", "/nonexistent", a), 0);
	assert_int_equal(hx_agent_id("3d1219c7c4c5404aaa1f6d2a48adfda4", "/nonexistent", b), 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '8'); /* RFC 9562 version 8: derived, not random */
	assert_null(strstr(a, "3d1219c7"));
	assert_int_equal(hx_agent_id("00000000000000000000000000000001", "/nonexistent", b), 0);
	assert_string_not_equal(a, b);

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	assert_int_equal(hx_agent_id("", sub, a), 0);
	assert_int_equal(hx_agent_id(NULL, sub, b), 0);
	assert_string_equal(a, b);
	assert_int_equal(a[14], '4');
	assert_int_equal(td_remove(dir), 0);
	/* not kept: an id still, and the caller told */
	assert_int_not_equal(hx_agent_id(NULL, "/proc/hx-no", a), 0);
	assert_int_equal(strlen(a), 36);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decisions),
		cmocka_unit_test(runs_and_daemon),
		cmocka_unit_test(agent_identity),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
