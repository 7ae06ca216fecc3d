// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side and userspace read the same structs (include/helixagent/:
 * abi.h and a header per family) through two compilers: clang -target bpf and the host's
 * cc. The BPF object's BTF says where clang put every member; this test
 * holds that against sizeof and offsetof here, struct by struct, member by
 * member, for the object the agent embeds (the skeleton's bytes). Every
 * struct the headers define is in the table below (the test reads the
 * headers to be sure), and the table names every member (BTF's member count
 * must agree), so a struct or member added on one side only fails here.
 */
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helixagent.skel.h"
#include "helixagent/abi.h"
#include "helixagent/abi_exec.h"
#include "helixagent/abi_file.h"
#include "helixagent/abi_guard.h"
#include "helixagent/abi_net.h"

struct member {
	const char *name;
	size_t off;
};

struct abi_struct {
	const char *name;
	size_t size;
	const struct member *m;
	size_t n;
};

#define M(s, f)                                                                                    \
	{                                                                                          \
#f, offsetof(struct s, f)                                                          \
	}
#define S(s, ...)                                                                                  \
	{                                                                                          \
#s, sizeof(struct s),                                                              \
			(const struct member[]){ __VA_ARGS__ },                                    \
						 sizeof((const struct member[]){ __VA_ARGS__ }) /  \
							 sizeof(struct member)                     \
	}

static const struct abi_struct abi[] = {
	S(hx_live, M(hx_live, slot), M(hx_live, generation), M(hx_live, ready), M(hx_live, pad)),
	S(hx_build, M(hx_build, id)),
	S(hx_cgrp_key, M(hx_cgrp_key, cgid), M(hx_cgrp_key, slot), M(hx_cgrp_key, pad)),
	S(hx_cgrp_val, M(hx_cgrp_val, sbx), M(hx_cgrp_val, pad)),
	S(hx_cgpath_key, M(hx_cgpath_key, slot), M(hx_cgpath_key, path)),
	S(hx_sbx_key, M(hx_sbx_key, slot), M(hx_sbx_key, sbx)),
	S(hx_sbx_cfg, M(hx_sbx_cfg, flags), M(hx_sbx_cfg, mode), M(hx_sbx_cfg, relax),
	  M(hx_sbx_cfg, mount_types), M(hx_sbx_cfg, cap_deny)),
	S(hx_inode_key, M(hx_inode_key, dev), M(hx_inode_key, ino), M(hx_inode_key, slot),
	  M(hx_inode_key, sbx), M(hx_inode_key, family), M(hx_inode_key, pad)),
	S(hx_inode_rule, M(hx_inode_rule, rule_id), M(hx_inode_rule, allow), M(hx_inode_rule, deny),
	  M(hx_inode_rule, flags), M(hx_inode_rule, pad)),
	S(hx_guard, M(hx_guard, agent_tgid), M(hx_guard, host_mntns), M(hx_guard, host_netns),
	  M(hx_guard, host_utsns)),
	S(hx_stat_key, M(hx_stat_key, slot), M(hx_stat_key, sbx), M(hx_stat_key, family),
	  M(hx_stat_key, pad)),
	S(hx_stat_val, M(hx_stat_val, allow), M(hx_stat_val, deny), M(hx_stat_val, audit)),
	S(hx_event, M(hx_event, type), M(hx_event, action), M(hx_event, family),
	  M(hx_event, decision), M(hx_event, mode), M(hx_event, access), M(hx_event, flags),
	  M(hx_event, generation), M(hx_event, ts_boot_ns), M(hx_event, cgid),
	  M(hx_event, start_boot_ns), M(hx_event, pid), M(hx_event, tid), M(hx_event, ppid),
	  M(hx_event, uid), M(hx_event, gid), M(hx_event, sbx), M(hx_event, err),
	  M(hx_event, rule_id), M(hx_event, dev), M(hx_event, ino), M(hx_event, comm),
	  M(hx_event, daddr), M(hx_event, dport), M(hx_event, af), M(hx_event, proto),
	  M(hx_event, direction), M(hx_event, nargs), M(hx_event, args_len), M(hx_event, path_len),
	  M(hx_event, exe_len), M(hx_event, target_pid), M(hx_event, exe), M(hx_event, args),
	  M(hx_event, path)),
	S(hx_cmd_key, M(hx_cmd_key, hash), M(hx_cmd_key, slot), M(hx_cmd_key, sbx),
	  M(hx_cmd_key, nwords), M(hx_cmd_key, pad)),
	S(hx_cmd_val, M(hx_cmd_val, rule_id), M(hx_cmd_val, pad)),
	S(hx_pend_key, M(hx_pend_key, dev), M(hx_pend_key, ino), M(hx_pend_key, slot),
	  M(hx_pend_key, part), M(hx_pend_key, name)),
	S(hx_pend_ent, M(hx_pend_ent, watch), M(hx_pend_ent, comp)),
	S(hx_pend_val, M(hx_pend_val, n), M(hx_pend_val, pad), M(hx_pend_val, e)),
	S(hx_pend_watch, M(hx_pend_watch, first), M(hx_pend_watch, ntarget),
	  M(hx_pend_watch, ncomp), M(hx_pend_watch, pad)),
	S(hx_pend_target, M(hx_pend_target, key), M(hx_pend_target, rule)),
	S(hx_pend_comp, M(hx_pend_comp, name)),
	S(hx_pend_slot, M(hx_pend_slot, generation), M(hx_pend_slot, nwatch)),
	S(hx_rate_cfg, M(hx_rate_cfg, interval_ns), M(hx_rate_cfg, tolerance_ns)),
	S(hx_rl_state, M(hx_rl_state, tat), M(hx_rl_state, suppressed)),
	S(hx_net_req, M(hx_net_req, addr), M(hx_net_req, af), M(hx_net_req, xlate),
	  M(hx_net_req, pad)),
	S(hx_net4_key, M(hx_net4_key, prefixlen), M(hx_net4_key, ss), M(hx_net4_key, addr)),
	S(hx_net6_key, M(hx_net6_key, prefixlen), M(hx_net6_key, ss), M(hx_net6_key, addr)),
	S(hx_net_rule, M(hx_net_rule, rule_id), M(hx_net_rule, deny), M(hx_net_rule, kind),
	  M(hx_net_rule, pad)),
	S(hx_nport_key, M(hx_nport_key, slot), M(hx_nport_key, sbx), M(hx_nport_key, port),
	  M(hx_nport_key, proto), M(hx_nport_key, pad)),
	S(hx_nhost_key, M(hx_nhost_key, slot), M(hx_nhost_key, sbx), M(hx_nhost_key, port),
	  M(hx_nhost_key, af), M(hx_nhost_key, proto), M(hx_nhost_key, pad), M(hx_nhost_key, addr)),
	S(hx_nsbx_val, M(hx_nsbx_val, outbound_rule), M(hx_nsbx_val, inbound_rule),
	  M(hx_nsbx_val, socket_rule), M(hx_nsbx_val, privbind_rule)),
	S(hx_nproc_val, M(hx_nproc_val, start_boot_ns), M(hx_nproc_val, ppid),
	  M(hx_nproc_val, pad)),
};

/*
 * Structs the kernel side reaches only through a cast, which leaves no type
 * in BTF (the record a network hook writes at the start of hx_event.exe[]):
 * their _Static_assert on the size is all there is.
 */
static const char *const not_in_btf[] = { "hx_net_req" };

static bool listed_absent(const char *name)
{
	for (size_t i = 0; i < sizeof(not_in_btf) / sizeof(not_in_btf[0]); i++)
		if (!strcmp(name, not_in_btf[i]))
			return true;
	return false;
}

static struct bpf_object *obj;
static const struct btf *btf;

static int setup(void **state)
{
	size_t sz;
	const void *elf = hx_bpf__elf_bytes(&sz);

	obj = bpf_object__open_mem(elf, sz, NULL);
	if (!obj)
		return -1;
	btf = bpf_object__btf(obj);
	return btf ? 0 : -1;
}

static int teardown(void **state)
{
	bpf_object__close(obj);
	return 0;
}

static void every_member_where_the_host_puts_it(void **state)
{
	unsigned checked = 0;

	for (size_t i = 0; i < sizeof(abi) / sizeof(abi[0]); i++) {
		const struct abi_struct *s = &abi[i];
		int id = btf__find_by_name_kind(btf, s->name, BTF_KIND_STRUCT);
		const struct btf_type *t;
		const struct btf_member *m;

		if (id < 0) {
			if (!listed_absent(s->name))
				fail_msg("struct %s is not in the BPF object's BTF", s->name);
			continue;
		}
		if (listed_absent(s->name))
			fail_msg("struct %s is in BTF now: take it off not_in_btf", s->name);
		t = btf__type_by_id(btf, id);
		if (t->size != s->size)
			fail_msg("struct %s: %u bytes in BPF, %zu on the host", s->name, t->size,
				 s->size);
		if (btf_vlen(t) != s->n)
			fail_msg("struct %s: %u members in BPF, %zu in this test's table", s->name,
				 btf_vlen(t), s->n);
		m = btf_members(t);
		for (size_t k = 0; k < s->n; k++) {
			const char *name = btf__name_by_offset(btf, m[k].name_off);

			if (strcmp(name, s->m[k].name))
				fail_msg("struct %s: member %zu is %s in BPF, %s on the host",
					 s->name, k, name, s->m[k].name);
			if (btf_member_bitfield_size(t, k))
				fail_msg("struct %s.%s: a bit field in the ABI", s->name, name);
			if (btf_member_bit_offset(t, k) != s->m[k].off * 8)
				fail_msg("struct %s.%s: offset %u in BPF, %zu on the host", s->name,
					 name, btf_member_bit_offset(t, k) / 8, s->m[k].off);
			checked++;
		}
	}
	printf("ABI: %zu structs, %u members at the same offsets in BPF and on the host\n",
	       sizeof(abi) / sizeof(abi[0]) - sizeof(not_in_btf) / sizeof(not_in_btf[0]), checked);
	assert_true(checked > 100);
}

/* Every "struct hx_... {" the ABI headers define is in the table. */
static void every_struct_of_the_headers_is_checked(void **state)
{
	static const char *const headers[] = {
		HX_SRCDIR "/include/helixagent/abi.h",
		HX_SRCDIR "/include/helixagent/abi_exec.h",
		HX_SRCDIR "/include/helixagent/abi_file.h",
		HX_SRCDIR "/include/helixagent/abi_guard.h",
		HX_SRCDIR "/include/helixagent/abi_net.h",
	};
	unsigned found = 0;

	for (size_t h = 0; h < sizeof(headers) / sizeof(headers[0]); h++) {
		FILE *f = fopen(headers[h], "r");
		char line[512], name[128];

		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			bool known = false;

			if (sscanf(line, "struct %127[a-z0-9_] {", name) != 1 ||
			    strncmp(name, "hx_", 3) || !strchr(line, '{'))
				continue;
			for (size_t i = 0; i < sizeof(abi) / sizeof(abi[0]); i++)
				known |= !strcmp(abi[i].name, name);
			if (!known)
				fail_msg("%s defines struct %s: add it to this test's table",
					 headers[h], name);
			found++;
		}
		fclose(f);
	}
	assert_int_equal(found, sizeof(abi) / sizeof(abi[0]));
}

/* The decision values the kernel side writes, as the names userspace prints them. */
static void decisions_count_in_the_enums_order(void **state)
{
	assert_int_equal(offsetof(struct hx_stat_val, allow), HX_DECISION_ALLOW * sizeof(__u64));
	assert_int_equal(offsetof(struct hx_stat_val, deny), HX_DECISION_DENY * sizeof(__u64));
	assert_int_equal(offsetof(struct hx_stat_val, audit), HX_DECISION_AUDIT * sizeof(__u64));
	assert_int_equal(sizeof(struct hx_stat_val), HX_DECISION_MAX * sizeof(__u64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_member_where_the_host_puts_it),
		cmocka_unit_test(every_struct_of_the_headers_is_checked),
		cmocka_unit_test(decisions_count_in_the_enums_order),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
