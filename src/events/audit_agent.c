// SPDX-License-Identifier: GPL-2.0
/*
 * Who wrote a line: agent.id, stable per host, and agent.ephemeral_id, new
 * for each process that opens the stream.
 *
 * agent.id is derived from /etc/machine-id (a UUID from its SHA-256 under a
 * fixed label), so every process of the agent on a host, and a reinstalled
 * agent, give the same id without any state, and the machine id itself is
 * not repeated under another name. A host without a machine id (a minimal
 * container image) gets a random id kept in HX_AGENT_STATE_DIR/agent-id,
 * made once: the first writer's id stands (link() does not replace).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "util/sha256.h"

/* 16 bytes as a UUID string; version 8 (RFC 9562: custom) or 4 (random), RFC variant. */
static void uuid_str(unsigned char b[16], int version, char out[HX_UUID_LEN + 1])
{
	b[6] = (unsigned char)((b[6] & 0x0f) | version << 4);
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, HX_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

void hx_uuid_random(char out[HX_UUID_LEN + 1])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n > 0) {
			got += (size_t)n;
		} else if (errno != EINTR) {
			/* no getrandom (a seccomp filter): time and pid, unique enough per run */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			memcpy(b, &ts, sizeof(b) < sizeof(ts) ? sizeof(b) : sizeof(ts));
			b[15] ^= (unsigned char)getpid();
			b[14] ^= (unsigned char)(getpid() >> 8);
			break;
		}
	}
	uuid_str(b, 4, out);
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != HX_UUID_LEN)
		return false;
	for (int i = 0; i < HX_UUID_LEN; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
							      !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

static int read_state(const char *path, char out[HX_UUID_LEN + 1])
{
	char buf[64] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	if (!is_uuid(buf))
		return -EINVAL;
	memcpy(out, buf, HX_UUID_LEN + 1);
	return 0;
}

int hx_agent_id(const char *machine_id, const char *state_dir, char out[HX_UUID_LEN + 1])
{
	char path[4096], tmp[4096 + 32], hex[65], gen[HX_UUID_LEN + 1];
	unsigned char b[16];
	int fd, err;

	if (machine_id && machine_id[0]) {
		char in[128];
		int n = snprintf(in, sizeof(in), "helixagent agent.id\n%s", machine_id);

		hx_sha256_hex(in, (size_t)n < sizeof(in) ? (size_t)n : sizeof(in) - 1, hex);
		for (int i = 0; i < 16; i++) {
			unsigned v;

			sscanf(hex + 2 * i, "%2x", &v);
			b[i] = (unsigned char)v;
		}
		uuid_str(b, 8, out);
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/agent-id", state_dir) >= sizeof(path))
		return -ENAMETOOLONG;
	if (!read_state(path, out))
		return 0;
	hx_uuid_random(gen);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	if (mkdir(state_dir, 0755) && errno != EEXIST)
		goto unkept;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto unkept;
	err = dprintf(fd, "%s\n", gen) != HX_UUID_LEN + 1 || fsync(fd);
	close(fd);
	/* link, not rename: two processes starting together keep the first one's id */
	if (err || (link(tmp, path) && errno != EEXIST)) {
		unlink(tmp);
		goto unkept;
	}
	unlink(tmp);
	return read_state(path, out);
unkept:
	/* a read-only /var/lib: an id for this run, which the caller is told is not kept */
	err = errno ? -errno : -EIO;
	memcpy(out, gen, sizeof(gen));
	return err;
}
