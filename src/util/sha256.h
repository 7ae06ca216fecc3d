/* SPDX-License-Identifier: GPL-2.0 */
/* SHA-256 (FIPS 180-4): names a policy text, as `sha256sum` would print it. */
#ifndef HX_SHA256_H
#define HX_SHA256_H

#include <stddef.h>

/* @hex gets 64 lowercase hex digits and a NUL. */
void hx_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
