// SPDX-License-Identifier: GPL-2.0
/*
 * The Kubernetes deployment: the ConfigMap's policies are valid, and the
 * policy selector (tools/k8s-policy-selector.sh) turns the pods of a node
 * into sandboxes that govern exactly their cgroups, leaving out pods whose
 * cgroup is not there.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy/policy.h"

#include "test_dir_util.h"

#define MANIFEST HX_SRCDIR "/deploy/kubernetes/helixagent.yaml"

static char dir[64];

/* Writes the ConfigMap block "  KEY: |" of the manifest to @out, unindented. */
static void extract(const char *key, const char *out)
{
	char line[1024], head[128];
	FILE *in = fopen(MANIFEST, "r"), *o = fopen(out, "w");
	bool in_block = false;

	assert_non_null(in);
	assert_non_null(o);
	snprintf(head, sizeof(head), "  %s: |\n", key);
	while (fgets(line, sizeof(line), in)) {
		if (!strcmp(line, head)) {
			in_block = true;
			continue;
		}
		if (in_block && strncmp(line, "    ", 4) && line[0] != '\n')
			break;
		if (in_block)
			fputs(line[0] == '\n' ? line : line + 4, o);
	}
	fclose(in);
	fclose(o);
	assert_true(in_block);
}

static char *in_dir(const char *name)
{
	return td_path(dir, name);
}

static struct hx_policy *load(const char *path)
{
	struct hx_diags d = { 0 };
	struct hx_policy *p = hx_policy_load_file(path, &d);

	assert_non_null(p);
	if (d.errors)
		hx_diags_print(&d, path, stderr);
	assert_int_equal(d.errors, 0);
	hx_diags_free(&d);
	return p;
}

static void configmap_policies_are_valid(void **state)
{
	struct hx_policy *p;

	extract("base.yaml", in_dir("base.yaml"));
	p = load(in_dir("base.yaml"));
	assert_non_null(hx_policy_find(p, "burstable-pods"));
	assert_string_equal(hx_policy_find(p, "burstable-pods")->cgroup,
			    "/kubepods.slice/kubepods-burstable.slice");
	/* the node's loopback: the endpoint has no authentication */
	assert_string_equal(p->metrics_listen, "127.0.0.1:9464");
	hx_policy_free(p);
}

static void selector_makes_one_sandbox_per_pod(void **state)
{
	char cmd[1024];
	struct hx_policy *p;
	const struct hx_sandbox *s;
	FILE *f;

	extract("base.yaml", in_dir("base.yaml"));
	extract("selected-sandbox.yaml", in_dir("tmpl.yaml"));
	snprintf(
		cmd, sizeof(cmd),
		"mkdir -p %s/cg/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod11_22.slice "
		"%s/cg/kubepods.slice/kubepods-pod33_44.slice",
		dir, dir);
	assert_int_equal(system(cmd), 0);
	f = fopen(in_dir("pods.json"), "w");
	assert_non_null(f);
	fputs("{\"items\":["
	      "{\"metadata\":{\"namespace\":\"web\",\"name\":\"front-1\",\"uid\":\"11-22\"},"
	      "\"status\":{\"phase\":\"Running\",\"qosClass\":\"Burstable\"}},"
	      "{\"metadata\":{\"namespace\":\"db\",\"name\":\"pg-0\",\"uid\":\"33-44\"},"
	      "\"status\":{\"phase\":\"Running\",\"qosClass\":\"Guaranteed\"}},"
	      "{\"metadata\":{\"namespace\":\"web\",\"name\":\"elsewhere\",\"uid\":\"55-66\"},"
	      "\"status\":{\"phase\":\"Running\",\"qosClass\":\"BestEffort\"}},"
	      "{\"metadata\":{\"namespace\":\"web\",\"name\":\"done\",\"uid\":\"77-88\"},"
	      "\"status\":{\"phase\":\"Succeeded\",\"qosClass\":\"BestEffort\"}}]}\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "HX_CGROUP_ROOT=%s/cg %s/tools/k8s-policy-selector.sh --base %s --template %s "
		 "--pods-json %s --out %s --once",
		 dir, HX_SRCDIR, in_dir("base.yaml"), in_dir("tmpl.yaml"), in_dir("pods.json"),
		 in_dir("out/policy.yaml"));
	if (system(cmd))
		fail_msg("%s failed", cmd);
	p = load(in_dir("out/policy.yaml"));
	s = hx_policy_find(p, "k8s-web-front-1");
	assert_non_null(s);
	assert_string_equal(
		s->cgroup,
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod11_22.slice");
	assert_true(s->cgroup_explicit);
	assert_true(s->exec.present);
	s = hx_policy_find(p, "k8s-db-pg-0");
	assert_non_null(s);
	assert_string_equal(s->cgroup, "/kubepods.slice/kubepods-pod33_44.slice");
	assert_null(hx_policy_find(p, "k8s-web-elsewhere")); /* no cgroup on this node */
	assert_null(hx_policy_find(p, "k8s-web-done"));
	assert_non_null(hx_policy_find(p, "besteffort-pods"));
	hx_policy_free(p);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/hx-k8s-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	if (!dir[0])
		return 0;
	return td_remove(dir);
}

static void selector(void **state)
{
	if (access("/usr/bin/jq", X_OK))
		skip(); /* no jq (tools/deps.sh installs it) */
	selector_makes_one_sandbox_per_pod(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(configmap_policies_are_valid),
		cmocka_unit_test(selector),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
