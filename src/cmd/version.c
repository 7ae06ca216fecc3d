// SPDX-License-Identifier: GPL-2.0
/* `helixagent version`: what this build is and what it runs on. */
#include <stdio.h>
#include <sys/utsname.h>

#include "cli.h"
#include "util/json.h"
#include "version.h"

int hx_cmd_version(const struct hx_cli *cli)
{
	struct utsname u;
	const char *kernel = uname(&u) ? NULL : u.release;
	struct jw w;

	if (!cli->json) {
		printf("helixagent %s\nbpf object sha256 %s\nlibbpf %s\nkernel %s\n", hx_version(),
		       hx_bpf_object_sha256(), hx_libbpf_version(), kernel ? kernel : "unknown");
		return 0;
	}
	jw_init(&w);
	jw_obj(&w);
	jw_kstr(&w, "version", hx_version());
	jw_kstr(&w, "bpf_object_sha256", hx_bpf_object_sha256());
	jw_kstr(&w, "libbpf", hx_libbpf_version());
	jw_kstr(&w, "kernel", kernel);
	jw_obj_end(&w);
	if (w.oom) {
		jw_free(&w);
		hx_log("version: out of memory");
		return 2;
	}
	printf("%s\n", w.buf);
	jw_free(&w);
	return 0;
}
