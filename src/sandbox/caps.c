// SPDX-License-Identifier: GPL-2.0
/* Capabilities of the program: dropped from every set, so an exec cannot bring them back. */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "sandbox.h"

uint64_t hx_caps_keep_mask(const struct hx_caps *c, unsigned last_cap)
{
	uint64_t known = last_cap >= 63 ? ~0ull : (1ull << (last_cap + 1)) - 1;

	return known & ((~c->drop) | c->add);
}

int hx_caps_apply(uint64_t keep)
{
	unsigned last = (unsigned)cap_max_bits() - 1;
	cap_value_t vals[64];
	int n = 0, err = 0;
	cap_t caps;

	/*
	 * Bounding set first (needs CAP_SETPCAP, still held): root gets the
	 * bounding set back at every exec, so that is where a drop must be.
	 */
	for (unsigned c = 0; c <= last && c < 64; c++) {
		if (keep & (1ull << c))
			continue;
		if (cap_drop_bound((cap_value_t)c) && errno != EINVAL)
			return -errno;
	}
	if (cap_reset_ambient() && errno != EINVAL)
		return -errno;
	for (unsigned c = 0; c <= last && c < 64; c++)
		if (keep & (1ull << c))
			vals[n++] = (cap_value_t)c;
	caps = cap_init();
	if (!caps)
		return -errno;
	/* Inheritable stays empty: only file capabilities would use it. */
	if (n && (cap_set_flag(caps, CAP_PERMITTED, n, vals, CAP_SET) ||
		  cap_set_flag(caps, CAP_EFFECTIVE, n, vals, CAP_SET)))
		err = -errno;
	if (!err && cap_set_proc(caps))
		err = -errno;
	cap_free(caps);
	return err;
}
