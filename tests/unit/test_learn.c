// SPDX-License-Identifier: GPL-2.0
/*
 * `helixagent learn`: the folding rules, the audit lines it reads, and that
 * what it writes is a policy `check` accepts with exactly the rules expected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "learn/learn.h"
#include "test_policy_util.h"

static struct hx_learn *mk(unsigned threshold)
{
	struct hx_learn_opts o = { .sandbox = "job", .fold_threshold = threshold };
	struct hx_learn *l = hx_learn_new(&o);

	assert_non_null(l);
	return l;
}

/* The policy written, checked by the policy parser: no errors. */
static char *written(struct hx_learn *l)
{
	struct hx_diags d;
	struct hx_policy *p;
	char *buf = NULL, *diag = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(hx_learn_write(l, f), 0);
	fclose(f);
	p = tp_load(buf, &d, &diag);
	if (d.errors)
		fail_msg("learned policy rejected:\n%s\n%s", diag, buf);
	hx_diags_free(&d);
	hx_policy_free(p);
	free(diag);
	return buf;
}

static void has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("missing \"%s\" in:\n%s", needle, text);
}

static void lacks(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("unexpected \"%s\" in:\n%s", needle, text);
}

static void test_temp_names(void **state)
{
	(void)state;
	assert_true(hx_learn_is_temp_name("tmp.Ab3dEf"));
	assert_true(hx_learn_is_temp_name("out-x7Qz9a"));
	assert_true(hx_learn_is_temp_name("a1B2c3"));
	assert_true(hx_learn_is_temp_name("tmpk2j4h5"));
	assert_false(hx_learn_is_temp_name("config")); /* a word: one class */
	assert_false(hx_learn_is_temp_name("report.txt")); /* no six-character tail */
	assert_false(hx_learn_is_temp_name("data2024")); /* no separator before the tail */
	assert_false(hx_learn_is_temp_name("x.ab-def")); /* '-' is not mkstemp's */
	assert_false(hx_learn_is_temp_name("abc"));
}

static void test_system_groups(void **state)
{
	char b[256];

	(void)state;
	assert_string_equal(hx_learn_system_group("/usr/lib/x86_64-linux-gnu/libc.so.6", b,
						  sizeof(b)),
			    "/usr/lib/x86_64-linux-gnu/");
	assert_string_equal(hx_learn_system_group("/lib64/ld-linux-x86-64.so.2", b, sizeof(b)),
			    "/lib64/");
	assert_string_equal(hx_learn_system_group("/usr/share/locale/de/LC_MESSAGES/x.mo", b,
						  sizeof(b)),
			    "/usr/share/locale/de/");
	assert_null(hx_learn_system_group("/etc/passwd", b, sizeof(b)));
	assert_null(hx_learn_system_group("/usr/libexec/hx/hx-try", b, sizeof(b)));
}

/* Exact rules for what was seen; nothing else. */
static void test_exact_rules(void **state)
{
	struct hx_learn *l = mk(8);
	char *y;

	(void)state;
	assert_int_equal(hx_learn_exec(l, "/usr/bin/cat"), 0);
	assert_int_equal(hx_learn_exec(l, "/usr/bin/cat"), 0);
	assert_int_equal(hx_learn_exec(l, "/usr/bin/id"), 0);
	assert_int_equal(hx_learn_file(l, "/etc/app/a.conf", HX_LR_R), 0);
	assert_int_equal(hx_learn_file(l, "/etc/app/a.conf", HX_LR_R), 0);
	assert_int_equal(hx_learn_file(l, "/var/log/app.log", HX_LR_W), 0);
	assert_int_equal(hx_learn_connect(l, "127.0.0.1", 7777, "tcp"), 0);
	assert_int_equal(hx_learn_connect(l, "127.0.0.1", 7778, "tcp"), 0);
	assert_int_equal(hx_learn_connect(l, "2001:db8::1", 53, "udp"), 0);
	y = written(l);
	has(y, "sandboxes:\n  job:\n");
	has(y, "- \"/usr/bin/cat\"  # 2 execs\n");
	has(y, "- \"/usr/bin/id\"  # 1 exec\n");
	has(y, "{path: \"/etc/app/a.conf\", permissions: r}  # 2 accesses\n");
	has(y, "{path: \"/var/log/app.log\", permissions: w}  # 1 access\n");
	has(y, "{host: \"127.0.0.1\", ports: [7777, 7778], protocol: tcp}");
	has(y, "{host: \"2001:db8::1\", ports: [53], protocol: udp}");
	has(y, "allow_inbound: false");
	lacks(y, "/etc/app/\""); /* two files are not a directory */
	free(y);
	hx_learn_free(l);
}

/* Rule 1: system libraries, narrowed to their deepest common directory. */
static void test_system_fold(void **state)
{
	struct hx_learn *l = mk(8);
	char *y;

	(void)state;
	hx_learn_file(l, "/usr/lib/x86_64-linux-gnu/libc.so.6", HX_LR_R | HX_LR_X);
	hx_learn_file(l, "/usr/lib/x86_64-linux-gnu/libm.so.6", HX_LR_R | HX_LR_X);
	hx_learn_file(l, "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules", HX_LR_R);
	hx_learn_file(l, "/usr/share/locale/de/LC_MESSAGES/a.mo", HX_LR_R);
	hx_learn_file(l, "/usr/share/locale/de/LC_MESSAGES/b.mo", HX_LR_R);
	/* a write under a system directory is never folded */
	hx_learn_file(l, "/usr/lib/x86_64-linux-gnu/libz.so.1", HX_LR_W);
	y = written(l);
	has(y,
	    "{path: \"/usr/lib/x86_64-linux-gnu/\", permissions: rx}  # 3 accesses of 3 paths: system directory");
	has(y, "{path: \"/usr/share/locale/de/LC_MESSAGES/\", permissions: r}");
	has(y, "{path: \"/usr/lib/x86_64-linux-gnu/libz.so.1\", permissions: w}");
	lacks(y, "libc.so.6");
	free(y);
	hx_learn_free(l);
}

/* Rules 2 and 3: temporary names, and the threshold (never / or a top directory). */
static void test_dir_folds(void **state)
{
	struct hx_learn *l = mk(3);
	char path[64], *y;

	(void)state;
	hx_learn_file(l, "/work/tmp/tmp.Ab3dEf", HX_LR_W);
	hx_learn_file(l, "/work/tmp/tmp.Zz9yXw", HX_LR_R | HX_LR_W);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/srv/data/part%d.csv", i);
		hx_learn_file(l, path, HX_LR_R);
	}
	hx_learn_file(l, "/srv/data/index.db", HX_LR_R | HX_LR_W);
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/etc/f%d", i);
		hx_learn_file(l, path, HX_LR_R);
	}
	y = written(l);
	has(y, "{path: \"/work/tmp/\", permissions: rw}  # 2 accesses of 2 paths: temporary names");
	has(y,
	    "{path: \"/srv/data/\", permissions: rw}  # 4 accesses of 4 paths: files of one directory");
	lacks(y, "part0.csv");
	has(y, "{path: \"/etc/f0\", permissions: r}"); /* never /etc/ */
	lacks(y, "\"/etc/\"");
	free(y);
	hx_learn_free(l);

	l = mk(0); /* 0: never by count */
	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/srv/data/part%d.csv", i);
		hx_learn_file(l, path, HX_LR_R);
	}
	y = written(l);
	lacks(y, "\"/srv/data/\"");
	has(y, "part19.csv");
	free(y);
	hx_learn_free(l);
}

static void line(struct hx_learn *l, const char *s)
{
	assert_int_equal(hx_learn_audit_line(l, s, strlen(s)), 0);
}

/* Audit lines: this sandbox's "audit" decisions only; losses and the unlearnable said. */
static void test_audit_lines(void **state)
{
	struct hx_learn *l = mk(8);
	const struct hx_learn_stats *s;
	char *y;

	(void)state;
	line(l,
	     "{\"event\":{\"action\":\"exec\"},\"helixagent\":{\"decision\":\"audit\",\"family\":\"exec\","
	     "\"sandbox\":\"job\",\"reason\":\"default_policy\"},\"file\":{\"path\":\"/usr/bin/head\"}}");
	line(l,
	     "{\"event\":{\"action\":\"open\"},\"helixagent\":{\"decision\":\"audit\",\"family\":\"filesystem\","
	     "\"sandbox\":\"job\",\"access\":\"r\",\"reason\":\"default_policy\"},\"file\":{\"path\":\"/etc/app.conf\"}}");
	line(l,
	     "{\"event\":{\"action\":\"unlink\"},\"helixagent\":{\"decision\":\"audit\",\"family\":\"filesystem\","
	     "\"sandbox\":\"job\"},\"file\":{\"path\":\"/srv/out/x\"}}");
	line(l,
	     "{\"event\":{\"action\":\"connect\"},\"helixagent\":{\"decision\":\"audit\",\"family\":\"network\","
	     "\"sandbox\":\"job\"},\"destination\":{\"ip\":\"127.0.0.1\",\"port\":7777},"
	     "\"network\":{\"transport\":\"tcp\"}}");
	line(l,
	     "{\"event\":{\"action\":\"listen\"},\"helixagent\":{\"decision\":\"audit\",\"family\":\"network\","
	     "\"sandbox\":\"job\"},\"destination\":{\"port\":8080},\"network\":{\"transport\":\"tcp\"}}");
	/* another sandbox; an enforced denial; a baseline refusal; an incomplete path */
	line(l,
	     "{\"event\":{\"action\":\"open\"},\"helixagent\":{\"decision\":\"audit\",\"family\":\"filesystem\","
	     "\"sandbox\":\"web\",\"access\":\"r\"},\"file\":{\"path\":\"/etc/other\"}}");
	line(l,
	     "{\"event\":{\"action\":\"open\"},\"helixagent\":{\"decision\":\"deny\",\"family\":\"filesystem\","
	     "\"sandbox\":\"job\",\"access\":\"r\"},\"file\":{\"path\":\"/etc/denied\"}}");
	line(l,
	     "{\"event\":{\"action\":\"mount\"},\"helixagent\":{\"decision\":\"deny\",\"family\":\"guard\","
	     "\"sandbox\":\"job\",\"reason\":\"baseline\"}}");
	line(l,
	     "{\"event\":{\"action\":\"open\"},\"helixagent\":{\"decision\":\"audit\",\"family\":\"filesystem\","
	     "\"sandbox\":\"job\",\"access\":\"r\",\"path_incomplete\":true},\"file\":{\"path\":\"/deep/x\"}}");
	line(l,
	     "{\"event\":{\"code\":\"events_dropped\"},\"helixagent\":{\"drop_reason\":\"ringbuf_full\","
	     "\"dropped\":3,\"dropped_total\":3}}");
	line(l, "not json");
	s = hx_learn_stats(l);
	assert_int_equal(s->lines, 11);
	assert_int_equal(s->used, 5);
	assert_int_equal(s->enforced, 2);
	assert_int_equal(s->unlearnable, 1);
	assert_int_equal(s->dropped, 3);
	assert_int_equal(s->bad, 1);
	y = written(l);
	has(y, "- \"/usr/bin/head\"");
	has(y, "{path: \"/etc/app.conf\", permissions: r}");
	has(y, "{path: \"/srv/out/x\", permissions: w}");
	has(y, "{host: \"127.0.0.1\", ports: [7777], protocol: tcp}");
	has(y, "allow_inbound: true  # 1 bind or listen, port 8080");
	has(y, "3 EVENTS LOST");
	lacks(y, "/etc/other");
	lacks(y, "/etc/denied");
	lacks(y, "/deep/x");
	free(y);
	hx_learn_free(l);
}

static void test_unlearnable_paths(void **state)
{
	struct hx_learn *l = mk(8);
	char *y;

	(void)state;
	hx_learn_file(l, "/proc/4242/status", HX_LR_R);
	hx_learn_file(l, "/tmp/we\"ird", HX_LR_R);
	hx_learn_file(l, "relative", HX_LR_R);
	hx_learn_exec(l, "/bin/x\ny");
	/* UTF-8 YAML prints (2, 3 and 4 bytes) and what it does not */
	hx_learn_file(l, "/srv/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80", HX_LR_R);
	hx_learn_file(l, "/srv/c1\xc2\x85", HX_LR_R); /* U+0085, a C1 control */
	hx_learn_file(l, "/srv/bom\xef\xbb\xbf", HX_LR_R); /* U+FEFF */
	hx_learn_file(l, "/srv/del\x7f", HX_LR_R);
	hx_learn_file(l, "/srv/over\xc0\xaf", HX_LR_R); /* an overlong '/' */
	hx_learn_file(l, "/srv/sur\xed\xa0\x80", HX_LR_R); /* a surrogate */
	hx_learn_file(l, "/srv/cut\xe2\x82", HX_LR_R);
	y = written(l);
	lacks(y, "4242");
	lacks(y, "we\"ird");
	has(y, "{path: \"/srv/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80\", permissions: r}");
	lacks(y, "/srv/c1");
	lacks(y, "/srv/bom");
	lacks(y, "/srv/del");
	lacks(y, "/srv/over");
	lacks(y, "/srv/sur");
	lacks(y, "/srv/cut");
	has(y, "# not learnable (1): /proc/PID/");
	has(y, "# not learnable (8): a file with an unprintable or relative name");
	assert_int_equal(hx_learn_stats(l)->unlearnable, 10);
	free(y);
	hx_learn_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_temp_names),	  cmocka_unit_test(test_system_groups),
		cmocka_unit_test(test_exact_rules),	  cmocka_unit_test(test_system_fold),
		cmocka_unit_test(test_dir_folds),	  cmocka_unit_test(test_audit_lines),
		cmocka_unit_test(test_unlearnable_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
