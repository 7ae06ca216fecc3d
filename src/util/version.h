/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HX_VERSION_H
#define HX_VERSION_H

/*
 * The version of this build: VERSION, and when built from a git tree the
 * commit, as "0.9.0+g1a2b3c4" ("-dirty" when the tree had changes).
 */
const char *hx_version(void);

/*
 * SHA-256 of the BPF object this binary embeds (the skeleton's ELF bytes),
 * 64 hex digits: two builds with the same value load the same programs.
 */
const char *hx_bpf_object_sha256(void);

/* The libbpf this process runs with, "1.1" (the shared library's, not the headers'). */
const char *hx_libbpf_version(void);

#endif
