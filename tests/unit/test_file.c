// SPDX-License-Identifier: GPL-2.0
/*
 * The filesystem family's loader (src/loader/file.c) against a real tree:
 * a blocked directory becomes a rule on its inode, a file of it with a
 * second name elsewhere gets a rule of its own (the walk from the other
 * name never passes the directory), an allowed path keeps its permissions,
 * and a path that does not exist yet becomes a watch, with a warning.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "helixagent/abi.h"
#include "loader/family.h"
#include "loader/internal.h"
#include "policy/policy.h"
#include "test_dir_util.h"
#include "test_policy_util.h"

/* The merged rule on @path's inode for the filesystem family, or NULL. */
static const struct hx_inode_rule *rule_on(const struct hx_loader_build *b, const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	for (size_t i = 0; i < b->n; i++)
		if (b->ents[i].key.ino == st.st_ino && b->ents[i].key.dev == hx_kdev(st.st_dev) &&
		    b->ents[i].key.family == HX_FAM_FILE)
			return &b->ents[i].rule;
	return NULL;
}

static void path_rules_on_a_real_tree(void **state)
{
	char dir[] = "/tmp/hx-file-XXXXXX", yaml[1024];
	struct hx_loader_build b = { 0 };
	const struct hx_inode_rule *r;
	const struct hx_sandbox *s;
	struct hx_policy *p;
	struct hx_diags d;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(mkdir(td_path(dir, "secret"), 0700), 0);
	assert_int_equal(mkdir(td_path(dir, "data"), 0700), 0);
	assert_non_null(f = fopen(td_path(dir, "secret/key"), "w"));
	fclose(f);
	assert_non_null(f = fopen(td_path(dir, "secret/plain"), "w"));
	fclose(f);
	/* the key's second name, outside the blocked directory */
	assert_int_equal(link(td_path(dir, "secret/key"), td_path(dir, "data/alias")), 0);
	snprintf(yaml, sizeof(yaml),
		 "sandboxes:\n"
		 "  s:\n"
		 "    filesystem:\n"
		 "      allowed_paths: [{path: %s/data, permissions: rw}]\n"
		 "      blocked_paths: [%s/secret, %s/later/x]\n",
		 dir, dir, dir);
	p = tp_expect_ok_warn(yaml, NULL, &d);
	s = hx_policy_find(p, "s");
	assert_non_null(s);

	assert_int_equal(hx_compile_path_rules(&b, 0, 0, HX_FAM_FILE, s, &s->fs.rules, &d), 0);
	/* the blocked directory: every access refused */
	assert_non_null(r = rule_on(&b, td_path(dir, "secret")));
	assert_int_equal(r->deny, HX_ACC_R | HX_ACC_W | HX_ACC_X);
	assert_int_equal(r->allow, 0);
	/* its file with a second name: a rule on the file itself */
	assert_non_null(r = rule_on(&b, td_path(dir, "secret/key")));
	assert_int_equal(r->deny, HX_ACC_R | HX_ACC_W | HX_ACC_X);
	/* its file with one name is reached through the directory: no entry of its own */
	assert_null(rule_on(&b, td_path(dir, "secret/plain")));
	/* the allowed directory, with the permissions written */
	assert_non_null(r = rule_on(&b, td_path(dir, "data")));
	assert_int_equal(r->allow, HX_ACC_R | HX_ACC_W);
	assert_int_equal(r->deny, 0);
	/* the missing path: watched, and said */
	assert_int_equal(b.nwatch, 1);
	assert_true(d.warnings >= 1);

	hx_family_file.release(&b);
	hx_compiled_free(&b.out);
	free(b.ents);
	tp_done(p, &d);
	assert_int_equal(td_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_rules_on_a_real_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
