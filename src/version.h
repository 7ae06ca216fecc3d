/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HX_VERSION_H
#define HX_VERSION_H

/*
 * The version of this build: VERSION, and when built from a git tree the
 * commit, as "0.9.0+g1a2b3c4" ("-dirty" when the tree had changes).
 */
const char *hx_version(void);

#endif
