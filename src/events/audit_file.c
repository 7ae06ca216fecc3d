// SPDX-License-Identifier: GPL-2.0
/*
 * File decisions in ECS: the filesystem actions, the access asked for
 * (helixagent.access: r, w, x), whether the path is complete, and file.*
 * (path, inode, device).
 */
#include <limits.h>
#include <stdio.h>

#include "audit.h"

void hx_audit_file_fields(struct hx_audit *a, const struct hx_event *e)
{
	struct jw *w = &a->w;

	if (e->access) {
		char acc[4];
		int n = 0;

		if (e->access & HX_ACC_R)
			acc[n++] = 'r';
		if (e->access & HX_ACC_W)
			acc[n++] = 'w';
		if (e->access & HX_ACC_X)
			acc[n++] = 'x';
		acc[n] = 0;
		jw_kstr(w, "access", acc);
	}
	if (e->flags & (HX_EVF_PATH_TRUNC | HX_EVF_UNRESOLVED))
		jw_kbool(w, "path_incomplete", true);
}

void hx_audit_file_obj(struct hx_audit *a, const struct hx_event *e)
{
	struct jw *w = &a->w;
	char path[PATH_MAX + 8], buf[64];
	bool complete;
	size_t plen;

	if (!e->path_len && !e->ino)
		return;
	jw_key(w, "file");
	jw_obj(w);
	if (e->path_len) {
		plen = hx_components_to_path(
			e->path, e->path_len < sizeof(e->path) ? e->path_len : sizeof(e->path),
			path, sizeof(path), &complete);
		jw_key(w, "path");
		jw_strn(w, path, plen);
	}
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)e->ino);
	jw_kstr(w, "inode", buf);
	snprintf(buf, sizeof(buf), "%llu:%llu", (unsigned long long)(e->dev >> 20),
		 (unsigned long long)(e->dev & 0xfffff));
	jw_kstr(w, "device", buf);
	jw_obj_end(w);
}
