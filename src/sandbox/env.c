// SPDX-License-Identifier: GPL-2.0
/* The program's environment: inherit, allowed_vars, blocked_vars (seed tools.security.environment). */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

bool hx_env_match(const struct hx_strings *globs, const char *name, size_t len)
{
	char buf[256];
	char *heap = NULL;
	const char *n = buf;
	bool hit = false;

	if (len < sizeof(buf)) {
		memcpy(buf, name, len);
		buf[len] = 0;
	} else {
		heap = strndup(name, len);
		if (!heap)
			return true; /* fail secure: an unknown name counts as blocked */
		n = heap;
	}
	for (size_t i = 0; i < globs->n && !hit; i++)
		hit = fnmatch(globs->v[i], n, 0) == 0;
	free(heap);
	return hit;
}

void hx_env_free(char **env)
{
	if (!env)
		return;
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

int hx_env_build(const struct hx_env_policy *env, enum hx_tri allow_environment, char *const *in,
		 char ***out)
{
	size_t n = 0, k = 0;
	char **v;

	for (char *const *e = in; e && *e; e++)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n && allow_environment != HX_NO; i++) {
		const char *eq = strchr(in[i], '=');
		size_t len = eq ? (size_t)(eq - in[i]) : strlen(in[i]);

		/* Entries without a name or without '=' are not variables a program can use. */
		if (!eq || !len)
			continue;
		if (env->inherit != HX_YES && !hx_env_match(&env->allowed_vars, in[i], len))
			continue;
		if (hx_env_match(&env->blocked_vars, in[i], len))
			continue;
		/* The first definition wins, as getenv() sees it. */
		bool dup = false;

		for (size_t j = 0; j < k && !dup; j++)
			dup = !strncmp(v[j], in[i], len + 1);
		if (dup)
			continue;
		v[k] = strdup(in[i]);
		if (!v[k]) {
			hx_env_free(v);
			return -ENOMEM;
		}
		k++;
	}
	*out = v;
	return 0;
}
