// SPDX-License-Identifier: GPL-2.0
/*
 * The exec family's loader (src/loader/exec.c): the key a blocked command
 * gets in hx_cmds must be the key bpf/exec.bpf.c computes from the argv of
 * an exec that starts with those words, or the command is never refused.
 * The reference below hashes argv the way the kernel side does (FNV-1a 64
 * over the bytes of each argument and its NUL, argv[0] by its basename).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "helixagent/abi.h"
#include "helixagent/abi_exec.h"
#include "loader/family.h"

/* What bpf/exec.bpf.c computes over the first @n arguments of an exec. */
static uint64_t argv_hash(const char *const *argv, unsigned n)
{
	uint64_t h = HX_FNV_OFFSET;

	for (unsigned i = 0; i < n; i++) {
		const char *a = argv[i];

		if (i == 0 && strrchr(a, '/'))
			a = strrchr(a, '/') + 1;
		for (const char *p = a;; p++) {
			h = (h ^ (uint8_t)*p) * HX_FNV_PRIME;
			if (!*p)
				break;
		}
	}
	return h;
}

static void blocked_command_matches_argv(void **state)
{
	static const struct {
		const char *rule;
		const char *argv[4];
		unsigned words;
	} cases[] = {
		{ "sudo", { "/usr/bin/sudo" }, 1 },
		{ "rm -rf", { "/bin/rm", "-rf", "/" }, 2 },
		{ "  rm \t -rf  ", { "rm", "-rf" }, 2 },
		{ "git push --force origin", { "/usr/bin/git", "push", "--force", "origin" }, 4 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hx_cmd_key k = { 0 };

		assert_int_equal(hx_exec_command_key(cases[i].rule, &k), 0);
		assert_int_equal(k.nwords, cases[i].words);
		if (k.hash != argv_hash(cases[i].argv, cases[i].words))
			fail_msg("'%s': the loader's key is not the kernel's", cases[i].rule);
	}
}

static void other_words_other_keys(void **state)
{
	struct hx_cmd_key a = { 0 }, b = { 0 }, c = { 0 };

	assert_int_equal(hx_exec_command_key("rm -rf", &a), 0);
	assert_int_equal(hx_exec_command_key("rm -r", &b), 0);
	assert_int_equal(hx_exec_command_key("rm-rf", &c), 0);
	assert_true(a.hash != b.hash);
	/* the NUL after each word keeps "rm -rf" and "rm-rf" apart */
	assert_true(a.hash != c.hash);
	assert_int_equal(c.nwords, 1);
}

static void refused_commands(void **state)
{
	struct hx_cmd_key k = { 0 };

	assert_int_equal(hx_exec_command_key("", &k), -EINVAL);
	assert_int_equal(hx_exec_command_key(" \t ", &k), -EINVAL);
	/* the kernel sees a program by its basename: a path cannot match */
	assert_int_equal(hx_exec_command_key("/bin/rm -rf", &k), -EINVAL);
	assert_int_equal(hx_exec_command_key("a b c d e", &k), -E2BIG);
	/* a '/' in a later word is an argument like any other */
	assert_int_equal(hx_exec_command_key("rm -rf /", &k), 0);
	assert_int_equal(k.nwords, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocked_command_matches_argv),
		cmocka_unit_test(other_words_other_keys),
		cmocka_unit_test(refused_commands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
