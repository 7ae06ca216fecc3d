/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the policy unit tests (included after cmocka.h). */
#ifndef HX_TEST_POLICY_UTIL_H
#define HX_TEST_POLICY_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* Loads @yaml; the diagnostics as printed go to *out (caller frees). */
static inline struct hx_policy *tp_load(const char *yaml, struct hx_diags *d, char **out)
{
	struct hx_policy *p;
	size_t len;
	FILE *f;

	memset(d, 0, sizeof(*d));
	p = hx_policy_load_buf("t.yaml", yaml, strlen(yaml), d);
	assert_non_null(p);
	f = open_memstream(out, &len);
	hx_diags_print(d, "t.yaml", f);
	fclose(f);
	return p;
}

/* Asserts that @yaml fails with a message containing @needle. */
static inline void tp_expect_error(const char *yaml, const char *needle)
{
	struct hx_diags d;
	char *out = NULL;
	struct hx_policy *p = tp_load(yaml, &d, &out);

	if (!d.errors || !strstr(out, needle))
		fail_msg("expected an error containing \"%s\" for:\n%s\ngot:\n%s", needle, yaml,
			 out);
	hx_diags_free(&d);
	hx_policy_free(p);
	free(out);
}

/* Asserts that @yaml loads without errors and that its warnings contain @needle (NULL: none). */
static inline struct hx_policy *tp_expect_ok_warn(const char *yaml, const char *needle,
						  struct hx_diags *d)
{
	char *out = NULL;
	struct hx_policy *p = tp_load(yaml, d, &out);

	if (d->errors)
		fail_msg("unexpected errors:\n%s", out);
	if (needle && !strstr(out, needle))
		fail_msg("expected a warning containing \"%s\", got:\n%s", needle, out);
	free(out);
	return p;
}

static inline struct hx_policy *tp_expect_ok(const char *yaml, struct hx_diags *d)
{
	return tp_expect_ok_warn(yaml, NULL, d);
}

/* The policy's dump as a string (caller frees). */
static inline char *tp_dump(const struct hx_policy *p)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	hx_policy_dump_json(p, f);
	fclose(f);
	return buf;
}

/* Loads a file of the source tree; no errors allowed; its warnings are returned in *out. */
static inline struct hx_policy *tp_load_src(const char *rel, struct hx_diags *d, char **out)
{
	char path[4096];
	struct hx_policy *p;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", HX_SRCDIR, rel);
	memset(d, 0, sizeof(*d));
	p = hx_policy_load_file(path, d);
	if (!p)
		fail_msg("cannot read %s", path);
	f = open_memstream(out, &len);
	hx_diags_print(d, rel, f);
	fclose(f);
	if (d->errors)
		fail_msg("%s: unexpected errors:\n%s", rel, *out);
	return p;
}

static inline void tp_done(struct hx_policy *p, struct hx_diags *d)
{
	hx_diags_free(d);
	hx_policy_free(p);
}

#endif
