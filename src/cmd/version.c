// SPDX-License-Identifier: GPL-2.0
/* `helixagent version`: what this build is and what it runs on. */
#include <stdio.h>
#include <sys/utsname.h>

#include "cmd/cmd.h"
#include "util/json.h"
#include "util/version.h"

static int version(const struct hx_cli *cli)
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

const struct hx_cmd hx_cmd_version_def = {
	.name = "version",
	.synopsis = "[--json]",
	.summary = "this build: version, BPF object sha256, libbpf and kernel versions",
	.details = "The same as helixagent --version. The BPF object's sha256 names the programs\n"
		   "this binary loads: two builds that print the same value load the same code.\n",
	.opts = (const struct hx_opt *const[]){ &hx_opt_config_unused, &hx_opt_json, &hx_opt_help,
						NULL },
	.run = version,
};
