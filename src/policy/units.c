// SPDX-License-Identifier: GPL-2.0
/* Sizes, durations, CPU amounts and CIDRs as written in a policy. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Parses a decimal number with an optional fraction into thousandths. */
static const char *parse_milli(const char *s, uint64_t *out)
{
	uint64_t v = 0, frac = 0;
	int digits = 0, fdigits = 0;

	while (isdigit((unsigned char)*s)) {
		if (v > UINT64_MAX / 10 - 10)
			return NULL;
		v = v * 10 + (uint64_t)(*s++ - '0');
		digits++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			if (fdigits < 3) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				fdigits++;
			} else if (*s != '0') {
				return NULL; /* finer than a thousandth */
			}
			s++;
			digits++;
		}
		if (!fdigits && !digits)
			return NULL;
	}
	if (!digits)
		return NULL;
	while (fdigits++ < 3)
		frac *= 10;
	if (v > UINT64_MAX / 1000 - 1)
		return NULL;
	*out = v * 1000 + frac;
	return s;
}

/* 512m, 512Mi, 1G, 1.5G, 4096: all suffixes are powers of 1024. */
int hx_parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmgt";
	uint64_t milli, mult = 1;
	const char *end, *u;

	end = parse_milli(s, &milli);
	if (!end)
		return -EINVAL;
	if (*end) {
		u = strchr(units, tolower((unsigned char)*end));
		if (!u)
			return -EINVAL;
		for (long i = 0; i <= u - units; i++)
			mult *= 1024;
		end++;
		if (*end == 'i' || *end == 'B')
			end++;
		else if (*end == 'b')
			return -EINVAL;
		if (end[-1] == 'i' && *end == 'B')
			end++;
		if (*end)
			return -EINVAL;
	}
	if (milli / 1000 > UINT64_MAX / mult)
		return -EINVAL;
	/* A fraction of a byte is meaningless; round down. */
	*out = milli / 1000 * mult + (milli % 1000) * mult / 1000;
	if (*out == 0)
		return -EINVAL;
	return 0;
}

/* 300s, 5m, 1h, 500ms, 1h30m */
int hx_parse_duration_ms(const char *s, uint64_t *out)
{
	uint64_t total = 0;

	if (!*s)
		return -EINVAL;
	while (*s) {
		uint64_t milli, mult;
		const char *end = parse_milli(s, &milli);

		if (!end || end == s)
			return -EINVAL;
		if (!strncmp(end, "ms", 2)) {
			mult = 1;
			end += 2;
		} else if (*end == 's') {
			mult = 1000;
			end++;
		} else if (*end == 'm') {
			mult = 60 * 1000;
			end++;
		} else if (*end == 'h') {
			mult = 3600 * 1000;
			end++;
		} else if (*end == 'd') {
			mult = 86400 * 1000;
			end++;
		} else {
			return -EINVAL; /* a bare number has no unit */
		}
		if (milli > UINT64_MAX / mult)
			return -EINVAL;
		total += milli * mult / 1000;
		s = end;
	}
	if (!total)
		return -EINVAL;
	*out = total;
	return 0;
}

/* "0.5", "2", "50%" -> thousandths of one CPU */
int hx_parse_cpu_milli(const char *s, uint32_t *out)
{
	uint64_t milli;
	const char *end = parse_milli(s, &milli);

	if (!end)
		return -EINVAL;
	if (*end == '%') {
		end++;
		milli /= 100;
	}
	if (*end || milli == 0 || milli > 1024 * 1000)
		return -EINVAL;
	*out = (uint32_t)milli;
	return 0;
}

int hx_parse_cidr(const char *s, struct hx_prefix *out, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char bytes[16];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int family, maxp, prefix;

	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "'%s' is not an IP address or CIDR", s);
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = 0;
	if (inet_pton(AF_INET, addr, bytes) == 1) {
		family = AF_INET;
		maxp = 32;
	} else if (inet_pton(AF_INET6, addr, bytes) == 1) {
		family = AF_INET6;
		maxp = 128;
	} else {
		snprintf(err, errlen, "'%s' is not an IP address or CIDR", s);
		return -EINVAL;
	}
	prefix = maxp;
	if (slash) {
		char *end;
		long p;

		errno = 0;
		p = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || p < 0 || p > maxp ||
		    !isdigit((unsigned char)slash[1])) {
			snprintf(err, errlen, "'%s': prefix length must be 0 to %d", s, maxp);
			return -EINVAL;
		}
		prefix = (int)p;
	}
	for (int bit = prefix; bit < maxp; bit++) {
		if (bytes[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(err, errlen, "'%s' has host bits set beyond /%d", s, prefix);
			return -EINVAL;
		}
	}
	if (out) {
		static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		memset(out, 0, sizeof(*out));
		out->af = (uint8_t)family;
		out->len = (uint8_t)prefix;
		memcpy(out->a, bytes, family == AF_INET ? 4 : 16);
		if (family == AF_INET6 && prefix >= 96 && !memcmp(bytes, v4mapped, 12)) {
			out->af = AF_INET;
			out->len = (uint8_t)(prefix - 96);
			out->mapped = true;
			memmove(out->a, bytes + 12, 4);
			memset(out->a + 4, 0, 12);
		}
	}
	return 0;
}

static const char *const cap_names[HX_CAP_COUNT] = {
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"KILL",
	"SETGID",
	"SETUID",
	"SETPCAP",
	"LINUX_IMMUTABLE",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_ADMIN",
	"NET_RAW",
	"IPC_LOCK",
	"IPC_OWNER",
	"SYS_MODULE",
	"SYS_RAWIO",
	"SYS_CHROOT",
	"SYS_PTRACE",
	"SYS_PACCT",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_NICE",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"MKNOD",
	"LEASE",
	"AUDIT_WRITE",
	"AUDIT_CONTROL",
	"SETFCAP",
	"MAC_OVERRIDE",
	"MAC_ADMIN",
	"SYSLOG",
	"WAKE_ALARM",
	"BLOCK_SUSPEND",
	"AUDIT_READ",
	"PERFMON",
	"BPF",
	"CHECKPOINT_RESTORE",
};

const char *hx_cap_name(unsigned cap)
{
	return cap < HX_CAP_COUNT ? cap_names[cap] : NULL;
}

bool hx_addr_canon(const char *s, char out[INET6_ADDRSTRLEN])
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, INET6_ADDRSTRLEN) != NULL;
	if (inet_pton(AF_INET6, s, a) != 1)
		return false;
	if (!memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
		return inet_ntop(AF_INET, a + 12, out, INET6_ADDRSTRLEN) != NULL;
	return inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN) != NULL;
}

int hx_cidr_canon(const struct hx_prefix *p, char *out, size_t len)
{
	char txt[INET6_ADDRSTRLEN + 1];
	uint8_t bytes[16] = { 0 };
	int family = p->af, prefix = p->len;

	/* as written: an IPv4-mapped prefix stays one, so it is told apart from the IPv4 one */
	memcpy(bytes, p->a, 16);
	if (p->mapped) {
		memset(bytes, 0, 16);
		bytes[10] = bytes[11] = 0xff;
		memcpy(bytes + 12, p->a, 4);
		family = AF_INET6;
		prefix += 96;
	}
	if (!inet_ntop(family, bytes, txt, sizeof(txt)))
		return -EINVAL;
	if (snprintf(out, len, "%s/%d", txt, prefix) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* 1000/s, 6000/m, 100000/h: whole events per second, minute or hour. */
int hx_parse_rate(const char *s, uint32_t *events, uint32_t *window_s)
{
	uint64_t n = 0;
	uint32_t w;
	int digits = 0;

	while (isdigit((unsigned char)*s)) {
		n = n * 10 + (uint64_t)(*s++ - '0');
		if (n > HX_RATE_MAX_EVENTS)
			return -EINVAL;
		digits++;
	}
	if (!digits || n == 0 || *s++ != '/')
		return -EINVAL;
	if (!strcmp(s, "s"))
		w = 1;
	else if (!strcmp(s, "m"))
		w = 60;
	else if (!strcmp(s, "h"))
		w = 3600;
	else
		return -EINVAL;
	*events = (uint32_t)n;
	*window_s = w;
	return 0;
}
