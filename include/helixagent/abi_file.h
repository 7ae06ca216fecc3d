/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The filesystem family's part of the ABI (bpf/file.bpf.c, src/loader/file.c):
 * the watches on rule paths missing at load. The object rules themselves
 * (hx_inode) are in abi.h: the exec family has them too.
 */
#ifndef HELIXAGENT_ABI_FILE_H
#define HELIXAGENT_ABI_FILE_H

#include "helixagent/abi.h"

/*
 * Rule paths missing at load, watched until they appear (bpf/file.bpf.c).
 * A watch is one missing path of a slot; its targets are the (sandbox,
 * family, rule) entries to write when it appears. hx_pend maps (directory,
 * name of the next component, slot, part) to the watches waiting for that
 * name there (part: more than HX_PEND_FAN of them continue in the next
 * part). hx_pwatch holds each watch, hx_ptarget the targets, hx_pcomp the
 * missing components; hx_pslot says which slots hold watches.
 */
#define HX_PEND_NAME 256 /* a component, NUL-padded */
#define HX_PEND_DEPTH 8 /* missing components of one watched path */
#define HX_PEND_FAN 16 /* watches per hx_pend entry */
#define HX_PEND_PARTS 16 /* hx_pend entries per (directory, name) */
#define HX_MAX_PEND 1024 /* watched paths per slot */
#define HX_MAX_PEND_TARGETS 16384 /* targets per slot */
#define HX_PEND_TARGETS 1024 /* targets of one watched path */

struct hx_pend_key {
	__u64 dev;
	__u64 ino;
	__u32 slot;
	__u32 part;
	char name[HX_PEND_NAME];
};

struct hx_pend_ent {
	__u32 watch; /* index in the slot's part of hx_pwatch */
	__u32 comp; /* which component this entry waits for */
};

struct hx_pend_val {
	__u32 n;
	__u32 pad;
	struct hx_pend_ent e[HX_PEND_FAN];
};

struct hx_pend_watch {
	__u32 first; /* targets: [first, first + ntarget) of the slot's part of hx_ptarget */
	__u32 ntarget;
	__u32 ncomp;
	__u32 pad;
};

struct hx_pend_target {
	struct hx_inode_key key; /* dev and ino filled in when the object appears */
	struct hx_inode_rule rule;
};

struct hx_pend_comp {
	char name[HX_PEND_NAME];
};

struct hx_pend_slot {
	__u32 generation; /* the generation the slot's watches belong to */
	__u32 nwatch; /* 0: nothing watched in this slot */
};

#endif
