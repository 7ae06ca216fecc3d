/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The validated policy model. The parser turns YAML into this; nothing here
 * knows about BPF or logs anything.
 */
#ifndef HX_POLICY_H
#define HX_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where a value came from, for messages. */
struct hx_src {
	unsigned line; /* 1-based; 0: built-in default */
	unsigned col;
};

enum hx_diag_level { HX_DIAG_ERROR, HX_DIAG_WARNING };

struct hx_diag {
	enum hx_diag_level level;
	struct hx_src src;
	char *msg;
};

struct hx_diags {
	struct hx_diag *v;
	size_t n, cap;
	size_t errors, warnings;
};

/* Tri-state for inherited settings */
enum hx_tri { HX_UNSET = 0, HX_NO = 1, HX_YES = 2 };

enum hx_policy_mode { HX_PM_UNSET = 0, HX_PM_ENFORCE, HX_PM_AUDIT };
enum hx_default { HX_DEF_UNSET = 0, HX_DEF_ALLOW, HX_DEF_DENY };

/* A rule on a filesystem path: exec allowed/blocked, filesystem paths */
struct hx_path_rule {
	char *path; /* absolute, normalised, no trailing slash except "/" */
	unsigned perms; /* HX_ACC_* from abi.h */
	bool block;
	bool dir_hint; /* written with a trailing "/" */
	char *name; /* e.g. "exec.blocked[0]" */
	struct hx_src src;
};

struct hx_path_rules {
	struct hx_path_rule *v;
	size_t n, cap;
};

struct hx_strings {
	char **v;
	size_t n, cap;
};

struct hx_exec_policy {
	bool present;
	enum hx_default default_policy;
	struct hx_path_rules rules; /* allowed and blocked, in file order */
	struct hx_strings blocked_commands;
};

struct hx_fs_policy {
	bool present;
	enum hx_default default_policy;
	struct hx_path_rules rules;
	enum hx_tri allow_symlinks;
	char *temp_directory;
};

struct hx_net_policy {
	bool present;
	enum hx_default default_policy;
	enum hx_tri allow_dns;
	enum hx_tri allow_inbound;
	struct hx_strings allowed_cidrs;
	struct hx_strings blocked_cidrs;
};

struct hx_permissions {
	enum hx_tri allow_network, allow_filesystem, allow_exec, allow_environment;
};

struct hx_limits {
	uint64_t max_memory; /* bytes, 0 unset */
	uint32_t max_cpu_milli; /* thousandths of a CPU, 0 unset */
	uint32_t max_processes;
	uint32_t max_open_files;
	uint64_t max_execution_ms;
};

struct hx_sandbox {
	char *name;
	char *cgroup; /* path below the cgroup2 mount, starting with "/" */
	bool cgroup_explicit; /* governs an existing cgroup (not created by us) */
	struct hx_src src;
	enum hx_policy_mode mode;
	struct hx_exec_policy exec;
	struct hx_fs_policy fs;
	struct hx_net_policy net;
	struct hx_permissions perms;
	struct hx_limits limits;
};

/* Audit events a policy can ask for (the seed's list) */
enum hx_audit_event {
	HX_AE_SANDBOX_CREATE = 1u << 0,
	HX_AE_SANDBOX_DESTROY = 1u << 1,
	HX_AE_COMMAND_EXECUTE = 1u << 2,
	HX_AE_RESOURCE_VIOLATION = 1u << 3,
	HX_AE_PERMISSION_DENIED = 1u << 4,
	HX_AE_ALL = 0x1f,
};

struct hx_policy {
	char *file;
	bool enabled;
	enum hx_policy_mode mode;
	char *cgroup_root; /* e.g. "helixagent" */
	bool audit_enabled;
	unsigned audit_events; /* HX_AE_* */
	char *audit_path;
	char *log_level;
	struct hx_sandbox base; /* the security: section, inherited by all */
	struct hx_sandbox *sandboxes;
	size_t nsandboxes;
};

/* Limits on hostile input */
#define HX_POLICY_MAX_BYTES (8u << 20)
#define HX_POLICY_MAX_DEPTH 64
#define HX_POLICY_MAX_NODES 1000000

/*
 * Parses and validates a policy. Returns NULL with errno set on I/O error;
 * otherwise a policy, valid only when diags->errors == 0.
 */
struct hx_policy *hx_policy_load_file(const char *path, struct hx_diags *diags);
struct hx_policy *hx_policy_load_buf(const char *name, const char *buf, size_t len,
				     struct hx_diags *diags);
void hx_policy_free(struct hx_policy *p);

/* The policy embedded in the binary, used when -c names no file */
extern const char hx_default_policy[];

const struct hx_sandbox *hx_policy_find(const struct hx_policy *p, const char *name);

/* Prints diagnostics as FILE:LINE:COL: error: MESSAGE */
void hx_diags_print(const struct hx_diags *d, const char *file, FILE *out);
void hx_diags_free(struct hx_diags *d);

/* Normalised policy as JSON */
void hx_policy_dump_json(const struct hx_policy *p, FILE *out);

/* Unit parsers, exposed for tests. Return 0 or -EINVAL. */
int hx_parse_size(const char *s, uint64_t *out);
int hx_parse_duration_ms(const char *s, uint64_t *out);
int hx_parse_cpu_milli(const char *s, uint32_t *out);
int hx_parse_cidr(const char *s, char *err, size_t errlen);

#endif
