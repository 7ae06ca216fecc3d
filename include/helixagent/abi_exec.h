/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The exec family's part of the ABI (bpf/exec.bpf.c, src/loader/exec.c): the
 * blocked commands, hashed by their leading words.
 */
#ifndef HELIXAGENT_ABI_EXEC_H
#define HELIXAGENT_ABI_EXEC_H

#include "helixagent/abi.h"

/* hx_cmds: blocked commands as hashes of their leading words */
struct hx_cmd_key {
	__u64 hash; /* FNV-1a 64 of the words, each followed by a NUL */
	__u32 slot;
	__u16 sbx;
	__u8 nwords;
	__u8 pad;
};

struct hx_cmd_val {
	__u32 rule_id;
	__u32 pad;
};

#define HX_FNV_OFFSET 0xcbf29ce484222325ull
#define HX_FNV_PRIME 0x100000001b3ull
#define HX_CMD_WORDS 4 /* leading words a blocked command may name */

#endif
