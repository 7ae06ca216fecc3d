// SPDX-License-Identifier: GPL-2.0
/*
 * Exec family: exec's path rules (as object rules, through file.c's
 * compiler) and the blocked commands (hx_cmds: the hash of the words as
 * bpf/exec.bpf.c hashes argv).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "helixagent.skel.h"
#include "helixagent/abi.h"
#include "helixagent/abi_exec.h"
#include "internal.h"

int hx_exec_command_key(const char *cmd, struct hx_cmd_key *key)
{
	__u64 h = HX_FNV_OFFSET;
	int words = 0;

	for (const char *p = cmd; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (++words > HX_CMD_WORDS)
			return -E2BIG;
		if (words == 1 && strchr(p, '/') && strchr(p, '/') < p + strcspn(p, " \t"))
			return -EINVAL; /* argv[0] is matched by its basename */
		while (*p && *p != ' ' && *p != '\t') {
			h ^= (unsigned char)*p++;
			h *= HX_FNV_PRIME;
		}
		h ^= 0;
		h *= HX_FNV_PRIME;
	}
	if (!words)
		return -EINVAL;
	key->hash = h;
	key->nwords = (__u8)words;
	return 0;
}

static int compile_commands(int fd, struct hx_loader_build *b, uint32_t slot, uint32_t sbx,
			    const struct hx_sandbox *s, const struct hx_strings *cmds,
			    const char *list, struct hx_diags *diags)
{
	for (size_t i = 0; i < cmds->n; i++) {
		struct hx_cmd_key key = { .slot = slot, .sbx = (__u16)sbx };
		struct hx_cmd_val val = { 0 };
		char name[96];
		int id, err;

		err = hx_exec_command_key(cmds->v[i], &key);
		if (err) {
			hx_loader_diag(diags, HX_DIAG_WARNING, s->src,
				       "sandbox '%s': %s[%zu] '%s' %s; not enforced in the kernel",
				       s->name, list, i, cmds->v[i],
				       err == -E2BIG ? "has more than 4 words" :
						       "must name a program by its basename");
			continue;
		}
		snprintf(name, sizeof(name), "%s[%zu]", list, i);
		id = hx_rules_add(&b->out, sbx, HX_FAM_EXEC, name, cmds->v[i]);
		if (id < 0)
			return id;
		val.rule_id = (__u32)id;
		if (bpf_map_update_elem(fd, &key, &val, BPF_NOEXIST) && errno != EEXIST)
			return -errno;
		b->ncmds++;
	}
	return 0;
}

static __u32 exec_sbx_flags(const struct hx_policy *p, const struct hx_sandbox *s)
{
	__u32 f = hx_section_flags(s->exec.present, s->exec.default_policy, s->perms.allow_exec,
				   HX_SBX_EXEC_PRESENT, HX_SBX_EXEC_DEFAULT_DENY,
				   HX_SBX_EXEC_FORBIDDEN);

	if (s->exec.blocked_commands.n || s->cmd.blocked_commands.n)
		f |= HX_SBX_CMDS;
	if (p->audit_enabled && (p->audit_events & HX_AE_COMMAND_EXECUTE))
		f |= HX_SBX_AUDIT_EXEC_OK;
	return f;
}

static int exec_compile(struct hx_loader *l, struct hx_loader_build *b, uint32_t slot, uint32_t i,
			const struct hx_policy *p, struct hx_diags *diags)
{
	const struct hx_sandbox *sb = &p->sandboxes[i];
	struct hx_bpf *s = l->skel;
	int err;

	if (sb->exec.present) {
		err = hx_compile_path_rules(b, slot, i, HX_FAM_EXEC, sb, &sb->exec.rules, diags);
		if (err)
			return err;
	}
	err = compile_commands(bpf_map__fd(s->maps.hx_cmds), b, slot, i, sb,
			       &sb->exec.blocked_commands, "exec.blocked_commands", diags);
	if (!err)
		err = compile_commands(bpf_map__fd(s->maps.hx_cmds), b, slot, i, sb,
				       &sb->cmd.blocked_commands,
				       "command_validation.blocked_commands", diags);
	return err;
}

static void exec_clear(struct hx_loader *l, uint32_t slot)
{
	hx_clear_slot(bpf_map__fd(l->skel->maps.hx_cmds), sizeof(struct hx_cmd_key),
		      offsetof(struct hx_cmd_key, slot), slot);
}

HX_FAMILY(exec, HX_FAM_EXEC, .sbx_flags = exec_sbx_flags, .compile = exec_compile,
	  .clear = exec_clear);
