# shellcheck shell=sh
# Benchmark policies, shared by the VM suite (bench/suite-bench.sh) and the host-native
# network run (bench/native.sh). Sourced; EXAMPLE must name policy/examples/llm-tool-runner.yaml.

# realistic_policy: the example, with the workload's own needs added: its binaries (exec),
# the VM's dynamic loader directory (/lib64), and the loopback address it connects to.
realistic_policy() {
	sed -e 's|^      allowed: \[/usr/bin/, /bin/\]$|      allowed: [/usr/bin/, /bin/, /usr/libexec/hx/]|' \
		-e 's|^      - {path: /lib, permissions: rx}$|&\n      - {path: /lib64, permissions: rx}|' \
		-e 's|^    blocked_cidrs: \(.*\)$|    allowed_cidrs: ["127.0.0.1"]\n    blocked_cidrs: \1|' \
		"$EXAMPLE"
}

# realistic_ok FILE: the adaptations took (the example did not change shape)
realistic_ok() {
	grep -q /usr/libexec/hx/ "$1" && grep -q 127.0.0.1 "$1" && grep -q /lib64 "$1"
}

# scaled_policy NFILES NPROGS NCIDRS: realistic plus, in the workload's sandbox, NFILES
# blocked files (/bench/fs/fI), NPROGS blocked programs (/bench/ex/eI) and NCIDRS blocked
# /32s of the benchmarking range 198.18.0.0/15.
scaled_policy() {
	realistic_policy | awk -v nf="$1" -v nx="$2" -v nc="$3" '
	/^      blocked: \[\/usr\/bin\/sudo, \/usr\/bin\/su\]$/ {
		print "      blocked:"; print "        - /usr/bin/sudo"; print "        - /usr/bin/su"
		for (i = 0; i < nx; i++) printf "        - /bench/ex/e%d\n", i
		next
	}
	/^        - \{path: \/srv\/workspace, permissions: rw\}$/ {
		print
		if (nf > 0) {
			print "      blocked_paths:"
			for (i = 0; i < nf; i++) printf "        - /bench/fs/f%d\n", i
		}
		if (nc > 0) {
			print "    network:"; print "      blocked_cidrs:"
			for (i = 0; i < nc; i++)
				printf "        - 198.%d.%d.%d\n", 18 + int(i / 65536), int(i / 256) % 256, i % 256
		}
		next
	}
	{ print }'
}
