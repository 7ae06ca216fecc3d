/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The validated policy model. The parser turns YAML into this; nothing here
 * knows about BPF or logs anything.
 */
#ifndef HX_POLICY_H
#define HX_POLICY_H

#include <netinet/in.h>
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

enum hx_proto { HX_PROTO_ANY = 0, HX_PROTO_TCP = 1, HX_PROTO_UDP = 2 };

/*
 * A CIDR parsed once, as the kernel judges it: an IPv4-mapped IPv6 prefix of
 * /96 or longer (::ffff:a.b.c.d/104) is the IPv4 prefix it names (a.b.c.d/8),
 * since that is how an IPv6 socket reaches IPv4. Capacity, checks and the
 * loader all read this, never the text.
 */
struct hx_prefix {
	uint8_t af; /* AF_INET or AF_INET6 */
	uint8_t len; /* prefix length, 0-32 or 0-128 */
	bool mapped; /* written as an IPv4-mapped IPv6 prefix */
	uint8_t a[16]; /* network order, IPv4 in the first 4 bytes; host bits are zero */
};

/* allowed_cidrs / blocked_cidrs entries (and zones lowered into them) */
struct hx_cidr_rule {
	char *cidr; /* as written, validated: "192.0.2.0/24", "2001:db8::/32", "10.0.0.1" */
	struct hx_prefix pfx; /* the same, parsed */
	bool block;
	char *name; /* "network.blocked_cidrs[0]", "network.zones.trusted.cidrs[0]" */
	struct hx_src src;
};

struct hx_cidr_rules {
	struct hx_cidr_rule *v;
	size_t n, cap;
};

/* allowed_ports (allow: true|false) and blocked_ports entries */
struct hx_port_rule {
	uint16_t port;
	enum hx_proto proto; /* ANY when not given */
	bool block;
	char *name; /* "network.allowed_ports[0]" */
	struct hx_src src;
};

struct hx_port_rules {
	struct hx_port_rule *v;
	size_t n, cap;
};

/* allowed_hosts entries: resolved by the daemon, re-resolved on their TTL */
struct hx_host_rule {
	char *host;
	uint16_t *ports; /* none: any port */
	size_t nports;
	enum hx_proto proto;
	char *name; /* "network.allowed_hosts[0]" */
	struct hx_src src;
};

struct hx_host_rules {
	struct hx_host_rule *v;
	size_t n, cap;
};

struct hx_net_policy {
	bool present;
	enum hx_default default_policy;
	enum hx_tri allow_dns;
	enum hx_tri allow_inbound;
	enum hx_tri allow_outbound;
	struct hx_cidr_rules cidrs; /* allowed and blocked, in file order */
	struct hx_port_rules ports;
	struct hx_host_rules hosts;
	/*
	 * blocked_hosts (the seed's "BAD: blacklist" example): the addresses the
	 * names resolve to are blocked. Kept apart from hosts so that a consumer
	 * that only knows allowed_hosts never allows one of them.
	 */
	struct hx_host_rules blocked_hosts;
};

/* environment: (seed tools.security.environment and SPEC sandboxes.NAME.environment) */
struct hx_env_policy {
	enum hx_tri inherit; /* unset: false (start from empty) */
	struct hx_strings allowed_vars; /* globs */
	struct hx_strings blocked_vars; /* globs; win over allowed */
};

/* What the launcher adds (seed ProcessSandbox / container options) */
struct hx_process_opts {
	enum hx_tri use_namespaces;
	enum hx_tri use_seccomp;
	enum hx_tri use_cgroups;
	enum hx_tri no_new_privileges;
	enum hx_tri read_only_root;
	char *network_mode; /* "none", "host", "bridge"; NULL unset */
	char *root_fs; /* chroot/pivot_root target; NULL unset */
	struct hx_strings read_only_paths;
	struct hx_strings writable_paths;
	struct hx_strings masked_paths;
	struct hx_strings tmpfs;
};

/*
 * capabilities: drop/add as bit masks over CAP_* numbers (ALL = every bit),
 * already layered: see hx_sandbox_inherit() in model.c
 */
struct hx_caps {
	bool present;
	uint64_t drop;
	uint64_t add; /* add wins over drop for the same capability */
};

/*
 * seed tools.security.command_validation. enabled is HX_YES once a list is
 * given (unless the policy says false); blocked_commands are also copied
 * into exec.blocked_commands so the kernel applies them to every exec.
 */
struct hx_cmd_validation {
	enum hx_tri enabled;
	struct hx_strings blocked_commands; /* prefix match on the command string */
	struct hx_strings blocked_patterns; /* POSIX extended regexes, validated with regcomp */
	struct hx_strings allowed_commands;
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

/*
 * rate_limit: at most @events decision events per @window_s seconds leave the
 * kernel for a sandbox; the rest are counted and summed up by the daemon.
 * set with events 0: "none", no limit (to lift one a sandbox inherits).
 */
struct hx_rate_limit {
	bool set;
	uint32_t events;
	uint32_t window_s; /* 1, 60 or 3600 */
};

/*
 * containment: what a sandbox gets back of the baseline every sandbox has
 * (docs/threat-model.md). Unset keys inherit security:'s.
 */
enum hx_mount_type {
	HX_MT_TMPFS = 1u << 0,
	HX_MT_PROC = 1u << 1,
	HX_MT_SYSFS = 1u << 2,
	HX_MT_MQUEUE = 1u << 3,
	HX_MT_DEVPTS = 1u << 4,
	HX_MT_RAMFS = 1u << 5,
	HX_MT_OVERLAY = 1u << 6,
	HX_MT_BIND = 1u << 7,
	HX_MT_COUNT = 8,
};

/* The name of mount type bit @i (containment.mount's words). */
const char *hx_mount_type_name(unsigned i);

struct hx_containment {
	bool mount_set;
	unsigned mount_types; /* enum hx_mount_type: mounts in a mount namespace of its own */
	enum hx_tri kernel_tunables; /* writes under /proc/sys, /sys and kernel pseudo filesystems */
	enum hx_tri raw_devices; /* block devices, CAP_SYS_RAWIO */
	enum hx_tri network_admin; /* CAP_NET_ADMIN over the host's network namespace */
	enum hx_tri system_time; /* CAP_SYS_TIME */
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
	struct hx_env_policy env;
	struct hx_process_opts proc;
	struct hx_caps caps;
	struct hx_cmd_validation cmd;
	struct hx_rate_limit rate_limit;
	struct hx_containment contain;
	/*
	 * Where the sandbox is declared: "sandboxes.web", "plugins.security.overrides.NAME",
	 * "plugins.security.default_context" (the sandbox "plugins"), "tools.security" (the
	 * sandbox "tools"), "security" (the sandbox "default"). Plugin sandboxes inherit
	 * security: then default_context; every other one inherits security: alone.
	 */
	char *origin;
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

/* monitoring.security.alerts: validated and kept for the metrics side; not evaluated here */
enum hx_severity { HX_SEV_INFO = 1, HX_SEV_WARNING, HX_SEV_CRITICAL };

struct hx_alert {
	char *name;
	char *condition; /* as written, e.g. "rate(permission_denied[5m]) > 10" */
	enum hx_severity severity;
	struct hx_src src;
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
	/*
	 * security.sandbox.enabled (false, or type: none, or security.enabled:
	 * false: no sandbox is declared, sandboxes is empty) and type as written.
	 */
	bool sandbox_enabled;
	char *sandbox_type; /* "process" unless the policy says "container" */
	char *metrics_listen; /* security.metrics.listen, "127.0.0.1:9464"; NULL: none */
	struct hx_alert *alerts;
	size_t nalerts;
};

/* Limits on hostile input */
#define HX_POLICY_MAX_BYTES (8u << 20)
#define HX_POLICY_MAX_DEPTH 64
#define HX_POLICY_MAX_NODES 1000000
/* List entries of all sandboxes once each has inherited its layers */
#define HX_POLICY_MAX_ENTRIES 2000000
#define HX_DIAGS_MAX 1000 /* diagnostics kept (and printed); the rest are only counted */

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
/* The diagnostics by position (equal positions in the order found); free() it. NULL: no memory. */
const struct hx_diag **hx_diags_sorted(const struct hx_diags *d);
void hx_diags_print(const struct hx_diags *d, const char *file, FILE *out);
void hx_diags_free(struct hx_diags *d);

/* Normalised policy as JSON */
void hx_policy_dump_json(const struct hx_policy *p, FILE *out);

/*
 * Map entries a policy needs, per family, before anything is loaded. Counts
 * are upper bounds: rules a sandbox inherits are counted in every sandbox
 * that inherits them, and a rule repeated on the same key is counted twice.
 * Host names count once each; the addresses they resolve to are known only
 * at run time.
 */
struct hx_capacity {
	size_t sandboxes;
	size_t exec_rules; /* exec allowed/blocked path rules */
	size_t fs_rules; /* filesystem path rules */
	size_t path_rules; /* exec_rules + fs_rules (one inode map serves both) */
	size_t cidr4, cidr6; /* allowed/blocked CIDRs, zones included, by family */
	size_t ports; /* allowed/blocked port rules */
	size_t hosts; /* allowed_hosts + blocked_hosts names to resolve */
	size_t blocked_commands; /* exec.blocked_commands (command_validation lowered in) */
};

/* What one sandbox needs. */
void hx_sandbox_capacity(const struct hx_sandbox *s, struct hx_capacity *out);
/* What the whole policy needs: the sum over its sandboxes. */
void hx_policy_capacity(const struct hx_policy *p, struct hx_capacity *out);
/*
 * Compares the policy's needs with @limit (a field of 0: no limit) and
 * records one error per family that does not fit, with the number needed
 * and the sandbox that needs most. Returns 0, or -E2BIG if one does not fit.
 */
int hx_policy_check_capacity(const struct hx_policy *p, const struct hx_capacity *limit,
			     struct hx_diags *diags);

/* Capability names without CAP_ ("NET_BIND_SERVICE"), by number; NULL past the last. */
const char *hx_cap_name(unsigned cap);
#define HX_CAP_COUNT 41 /* CAP_CHOWN .. CAP_CHECKPOINT_RESTORE */
#define HX_CAPS_ALL (~(uint64_t)0)

/* Unit parsers, exposed for tests. Return 0 or -EINVAL. */
int hx_parse_size(const char *s, uint64_t *out);
int hx_parse_duration_ms(const char *s, uint64_t *out);
int hx_parse_cpu_milli(const char *s, uint32_t *out);
/*
 * security.metrics.listen's syntax: HOST:PORT or [IPv6]:PORT, port 1-65535,
 * a hostname or an address. The command line's --metrics-listen uses it too.
 */
bool hx_policy_valid_listen(const char *s);
/*
 * Validates a CIDR or a bare address (host bits must be zero) and, with @out,
 * parses it (struct hx_prefix). 0, or -EINVAL with the reason in @err.
 */
int hx_parse_cidr(const char *s, struct hx_prefix *out, char *err, size_t errlen);
/*
 * @s, an IPv4 or IPv6 address literal, as one canonical literal (inet_ntop's;
 * an IPv4-mapped IPv6 address as IPv4, as the audit stream writes it) into
 * @out. False when @s is not an address.
 */
bool hx_addr_canon(const char *s, char out[INET6_ADDRSTRLEN]);
/* rate_limit: "1000/s", "6000/m", "100000/h"; events 1..10000000 */
int hx_parse_rate(const char *s, uint32_t *events, uint32_t *window_s);
#define HX_RATE_MAX_EVENTS 10000000u

#endif
