// SPDX-License-Identifier: GPL-2.0
/*
 * Every audit line is valid UTF-8 JSON whatever bytes the kernel hands over:
 * the escaping of invalid values (util/json.h), its reversal, the line's
 * helixagent.escaped list, and the strict reader that checks lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "events/audit.h"
#include "util/json.h"

/* One value written alone: the JSON text of it, and whether it was escaped. */
static const char *one(const char *s, size_t n, bool *esc)
{
	static struct jw w;

	jw_free(&w);
	jw_init(&w);
	jw_obj(&w);
	jw_key(&w, "v");
	jw_strn(&w, s, n);
	jw_obj_end(&w);
	*esc = w.nescaped == 1 && !strcmp(w.escaped, "\"v\"");
	assert_int_equal(jv_walk(w.buf, w.len, NULL, NULL), 0);
	return w.buf;
}

static void escape_scheme(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
		bool esc;
	} cases[] = {
		{ "plain", 5, "{\"v\":\"plain\"}", false },
		/* valid UTF-8 stays as it is: 2, 3 and 4 byte forms */
		{ "d\xc3\xa9j\xc3\xa0 \xe6\x97\xa5 \xf0\x9f\x98\x80", 15,
		  "{\"v\":\"d\xc3\xa9j\xc3\xa0 \xe6\x97\xa5 \xf0\x9f\x98\x80\"}", false },
		/* a backslash in a valid value: JSON's escape only */
		{ "a\\b", 3, "{\"v\":\"a\\\\b\"}", false },
		/* control characters: JSON's escapes, the value is not marked */
		{ "\n\t\x01\x7f\"", 5, "{\"v\":\"\\n\\t\\u0001\\u007f\\\"\"}", false },
		/* an invalid byte: \xNN, and every backslash of that value doubled */
		{ "a\\b\xff", 4, "{\"v\":\"a\\\\\\\\b\\\\xff\"}", true },
		/* overlong '/', a surrogate, above U+10FFFF, a cut sequence, a stray continuation */
		{ "\xc0\xaf", 2, "{\"v\":\"\\\\xc0\\\\xaf\"}", true },
		{ "\xed\xa0\x80", 3, "{\"v\":\"\\\\xed\\\\xa0\\\\x80\"}", true },
		{ "\xf4\x90\x80\x80", 4, "{\"v\":\"\\\\xf4\\\\x90\\\\x80\\\\x80\"}", true },
		{ "\xe2\x82", 2, "{\"v\":\"\\\\xe2\\\\x82\"}", true },
		{ "\x80", 1, "{\"v\":\"\\\\x80\"}", true },
		/* NUL: C consumers stop at it, so it is escaped too */
		{ "a\0b", 3, "{\"v\":\"a\\\\x00b\"}", true },
	};
	bool esc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(one(cases[i].in, cases[i].n, &esc), cases[i].out);
		assert_int_equal(esc, cases[i].esc);
	}
}

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Random bytes, biased towards the interesting ones, always come back. */
static void escape_reverses(void **state)
{
	static const unsigned char pick[] = { 'a',  '\\', 'x',	'"',  0,    0x0a, 0x7f, 0x80,
					      0xbf, 0xc0, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xed,
					      0xa0, 0xf0, 0x9f, 0xf4, 0x90, 0xff };
	char in[64], dec[512];
	bool esc;

	for (int it = 0; it < 20000; it++) {
		size_t n = rnd() % sizeof(in), dn;
		const char *js, *raw;

		for (size_t i = 0; i < n; i++)
			in[i] = (char)(rnd() % 3 ? pick[rnd() % sizeof(pick)] : rnd());
		js = one(in, n, &esc);
		assert_int_equal(esc, !hx_utf8_valid(in, n));
		/* {"v":"...."}: the raw text between the quotes */
		raw = js + 6;
		dn = jv_unescape(raw, strlen(raw) - 2, dec, sizeof(dec));
		if (esc)
			dn = hx_unescape_bytes(dec, dn);
		assert_int_equal(dn, n);
		assert_memory_equal(dec, in, n);
	}
}

static char *format(const struct hx_event *e, const char *sandbox)
{
	struct hx_sbx_info sbx = { .name = (char *)sandbox, .cgroup = "/helixagent/c", .cgid = 42 };
	struct hx_compiled c = { .generation = 1, .sbx = &sbx, .nsbx = 1 };
	struct hx_audit a;
	char *out;

	assert_int_equal(hx_audit_open(&a, NULL, false), 0);
	snprintf(a.hostname, sizeof(a.hostname), "node-1");
	hx_audit_decision(&a, e, &c);
	assert_non_null(a.w.buf);
	out = strndup(a.w.buf, a.w.len);
	hx_audit_close(&a);
	assert_int_equal(jv_walk(out, strlen(out), NULL, NULL), 0);
	return out;
}

static void decision_names_what_it_escaped(void **state)
{
	static struct hx_event e;
	char *js;

	e.type = HX_EV_DECISION;
	e.action = HX_ACT_EXEC;
	e.family = HX_FAM_EXEC;
	e.decision = 1;
	e.cgid = 42;
	memcpy(e.comm, "c\xe2\x82", 3); /* cut by the kernel's 16 bytes */
	/* /etc/caf\xe9 (Latin-1), as components leaf first */
	memcpy(e.path, "caf\xe9\0etc\0\0", 10);
	e.path_len = 10;
	/* a valid argument with a backslash before an invalid one: both escaped */
	memcpy(e.args, "a\\b\0\xff\0", 6);
	e.args_len = 6;
	js = format(&e, "web");
	assert_non_null(strstr(js, "\"name\":\"c\\\\xe2\\\\x82\""));
	assert_non_null(strstr(js, "\"path\":\"/etc/caf\\\\xe9\""));
	assert_non_null(strstr(js, "\"args\":[\"a\\\\\\\\b\",\"\\\\xff\"]"));
	/* in the helixagent object, in the order met */
	assert_non_null(
		strstr(js, ",\"escaped\":[\"process.name\",\"process.args\",\"file.path\"]}"));
	assert_non_null(strstr(js, "\"helixagent\":{\"decision\":\"deny\""));
	free(js);

	/* nothing invalid: no list, backslashes as JSON has them */
	memcpy(e.comm, "cat", 4);
	memcpy(e.path, "cafe\0etc\0\0", 10);
	memcpy(e.args, "a\\b\0x\0", 6);
	js = format(&e, "w\xc3\xa9");
	assert_null(strstr(js, "escaped"));
	assert_non_null(strstr(js, "\"args\":[\"a\\\\b\",\"x\"]"));
	assert_non_null(strstr(js, "\"sandbox\":\"w\xc3\xa9\""));
	free(js);

	/* lengths beyond the record's buffers are not followed */
	e.path_len = 60000;
	e.exe_len = 60000;
	free(format(&e, "web"));
}

static void reader_is_strict(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"\"x\"",
		"{",
		"{}x",
		"{\"a\":1,}",
		"{\"a\" 1}",
		"{'a':1}",
		"{\"a\":01}",
		"{\"a\":1.}",
		"{\"a\":-}",
		"{\"a\":1e}",
		"{\"a\":tru}",
		"{\"a\":nul}",
		"{\"a\":\"\x01\"}",
		"{\"a\":\"\xff\"}",
		"{\"a\":\"\xc0\xaf\"}",
		"{\"a\":\"\xed\xa0\x80\"}",
		"{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\"}",
		"{\"a\":\"\\ud800\\u0041\"}",
		"{\"a\":\"\\u0000\"}",
		"{\"a\":\"\\q\"}",
		"{\"a\":1,\"a\":2}",
		"{\"a\":[1 2]}",
		"{\"a\":\"x}",
	};
	static const char *const good[] = {
		"{}",
		" {\"a\":[]} ",
		"{\"a\":{\"b\":[1,-2.5e+3,0,true,false,null,\"\\ud83d\\ude00\"]}}",
		"{\"a\":{\"x\":1},\"b\":{\"x\":1}}",
		"{\"a\":\"d\xc3\xa9j\xc3\xa0\\/\\\"\"}",
	};
	char deep[JV_MAX_DEPTH + 8] = "{\"a\":";
	size_t n = strlen(deep);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(jv_walk(bad[i], strlen(bad[i]), NULL, NULL), 0);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(jv_walk(good[i], strlen(good[i]), NULL, NULL), 0);
	for (int i = 1; i <= JV_MAX_DEPTH; i++)
		deep[n++] = '[';
	deep[n] = 0;
	assert_int_equal(jv_walk(deep, n, NULL, NULL), -E2BIG);
}

/* A relayed line (another process's) that is not valid UTF-8 JSON is refused, and counted. */
static void relay_refuses_invalid_lines(void **state)
{
	static const char bad[] =
		"{\"event\":{\"code\":\"sandbox_create\",\"sequence\":1},\"p\":\"\xff\"}";
	static const char good[] =
		"{\"event\":{\"code\":\"sandbox_create\",\"sequence\":1},\"p\":\"\\\\xff\"}";
	struct hx_audit a;

	assert_int_equal(hx_audit_open_direct(&a, NULL, false), 0);
	hx_audit_relay(&a, bad, strlen(bad));
	assert_int_equal(a.lost[HX_LOSS_FORMAT], 1);
	hx_audit_relay(&a, good, strlen(good));
	assert_int_equal(a.lost[HX_LOSS_FORMAT], 1);
	assert_int_equal(a.seq, 2); /* the line, then the report of the refused one */
	hx_audit_close(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_scheme),
		cmocka_unit_test(escape_reverses),
		cmocka_unit_test(decision_names_what_it_escaped),
		cmocka_unit_test(reader_is_strict),
		cmocka_unit_test(relay_refuses_invalid_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
