# HelixAgent: one entry point. Every artefact goes under build/.
#   make            build build/helixagent
#   make check      unit tests (ASan/UBSan) on the host, then the VM suites on every kernel
#   make unit       unit tests only
#   make vmtest     VM suites on every kernel (KERNEL=6.1 for one, SUITE=name for one suite)
#   make bench      benchmarks in the VM and on the host, table in build/bench/ (docs/benchmarks.md)
#   make fuzz       libFuzzer over the policy loader (FUZZ_SECONDS=600; FUZZ_TARGET=audit: the audit formatter; learn: learn's reader and writer)
#   make mutation   the enforcement suites against agents broken on purpose (tools/mutation.sh;
#                   KERNEL=6.1, MUTANT="allow silent", SUITE=fs,exec,...); not part of check
#   make deps       install the Debian packages everything needs (root)
#   make install    PREFIX=/usr/local DESTDIR=: binary, policy, unit, man pages, completion
#   make man        build/doc/helixagent.8 and helixagent.yaml.5 (scdoc)
#   make deb        build/deb/helixagent_VERSION-1_amd64.deb; make deb-test exercises it (root)
#   V=1             show full commands

PREFIX ?= /usr/local
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
B := build

ifeq ($(V),1)
Q :=
msg := @true
else
Q := @
msg := @printf '  %-8s %s\n'
endif

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -MMD -MP -Iinclude -Isrc -I$(B)
LDLIBS := -lbpf -lelf -lz -lyaml -lseccomp -lcap -lmicrohttpd -ljansson -lsystemd -lgnutls -lpthread

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -Ibpf -MMD -MP

# MUTANT=allow|silent: an agent broken on purpose (bpf/lib/common.bpf.h hx_mutant),
# built only by tools/mutation.sh and only into a build directory of its own (B=...).
# (make mutation MUTANT=... only passes MUTANT on to the script.)
ifeq ($(filter mutation,$(MAKECMDGOALS)),)
ifneq ($(MUTANT),)
ifeq ($(filter allow silent,$(MUTANT)),)
$(error MUTANT must be allow or silent)
endif
ifeq ($(B),build)
$(error MUTANT=$(MUTANT) needs a build directory of its own, e.g. B=build/mutant-$(MUTANT))
endif
BPF_CFLAGS += -DHX_MUTANT_$(shell echo $(MUTANT) | tr a-z A-Z)
endif
endif

# Userspace: every .c under src/ except main.c goes into a library the tests link too.
LIB_SRCS := $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c))
LIB_OBJS := $(patsubst src/%.c,$(B)/obj/%.o,$(LIB_SRCS))
APP_OBJS := $(B)/obj/main.o $(B)/obj/default_policy.o $(LIB_OBJS)

# Unit tests, built with sanitizers
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRCS))
SAN_LIB_OBJS := $(patsubst src/%.c,$(B)/san/%.o,$(LIB_SRCS)) $(B)/obj/default_policy.o

# Programs the VM scenarios run (errno reporters, workloads)
VMBIN_SRCS := $(wildcard tests/vm/progs/*.c)
VMBINS := $(patsubst tests/vm/progs/%.c,$(B)/vm-bin/%,$(VMBIN_SRCS))

KERNELS ?= 5.10 6.1 6.12 newest
comma := ,
space := $(empty) $(empty)
SUITE ?= all

.SECONDARY:

.PHONY: print-version FORCE all clean distclean check unit vmtest fuzz deps install vm-bin demo man deb deb-test mutation format lint

all: $(B)/helixagent $(VMBINS)

deps:
	tools/deps.sh

# ---- BPF ----
$(B)/bpf/%.bpf.o: bpf/%.bpf.c | $(B)/bpf
	$(msg) BPF $@
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(B)/bpf/helixagent.bpf.o: $(BPF_OBJS)
	$(msg) LINK $@
	$(Q)$(BPFTOOL) gen object $@ $^

$(B)/helixagent.skel.h: $(B)/bpf/helixagent.bpf.o
	$(msg) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< name hx_bpf > $@.tmp && mv $@.tmp $@

# ---- userspace ----
$(B)/obj/%.o: src/%.c $(B)/helixagent.skel.h
	@mkdir -p $(dir $@)
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# The version: VERSION, plus the commit when built from git. The header is
# rewritten only when the text changes, so an unchanged tree rebuilds nothing.
HX_VERSION := $(shell cat VERSION)$(shell git describe --always --dirty --abbrev=7 --match=NONE 2>/dev/null | sed 's/^/+g/')
$(B)/hx_version.h: FORCE
	@mkdir -p $(B)
	@echo '#define HX_VERSION "$(HX_VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(B)/obj/util/version.o $(B)/san/util/version.o: $(B)/hx_version.h $(B)/hx_bpf_sha.h
# The skeleton embeds the linked object byte for byte: its hash names the BPF
# programs of this build (`helixagent version`; tests/unit/test_version.c checks they agree).
$(B)/hx_bpf_sha.h: $(B)/bpf/helixagent.bpf.o
	@echo "#define HX_BPF_SHA256 \"$$(sha256sum $< | cut -c1-64)\"" > $@.tmp && mv $@.tmp $@
FORCE:

print-version:
	@echo $(HX_VERSION)

$(B)/obj/default_policy.o: src/default_policy.S policy/default.yaml
	@mkdir -p $(dir $@)
	$(msg) AS $@
	$(Q)$(CC) -c $< -o $@

$(B)/helixagent: $(APP_OBJS)
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# ---- unit tests (host, no root) ----
$(B)/san/%.o: src/%.c $(B)/helixagent.skel.h
	@mkdir -p $(dir $@)
	$(msg) CC-SAN $@
	$(Q)$(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(B)/unit/%: tests/unit/%.c $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(msg) CC-SAN $@
	$(Q)$(CC) $(CFLAGS) $(SAN) -DHX_SRCDIR='"$(CURDIR)"' $< $(SAN_LIB_OBJS) -o $@ $(LDLIBS) -lcmocka

unit: $(UNIT_BINS) $(B)/helixagent $(B)/doc/helixagent.yaml.5.scd
	$(Q)tests/unit/run.sh $(UNIT_BINS)

# ---- VM tests ----
# (dependency files go beside, not into vm-bin/: every file there is copied into the VM)
$(B)/vm-bin/%: tests/vm/progs/%.c
	@mkdir -p $(dir $@) $(B)/vm-bin-deps
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) -MF $(B)/vm-bin-deps/$*.d $< -o $@

vm-bin: $(VMBINS)

vmtest: $(B)/helixagent $(VMBINS)
	$(Q)vmtest/run.sh --kernel "$(subst $(space),$(comma),$(strip $(if $(KERNEL),$(KERNEL),$(KERNELS))))" --suite "$(SUITE)"

# ---- style: make format rewrites the C in the house style (.clang-format), make lint checks
# it and runs shellcheck (.shellcheckrc) over every shell script ----
FORMAT_SRCS := $(filter-out bpf/vmlinux.h,$(wildcard src/*.[ch] src/*/*.[ch] bpf/*.c bpf/lib/*.h \
	include/helixagent/*.h tests/unit/*.[ch] tests/fuzz/*.c tests/vm/progs/*.c bench/*.c bench/*/*.c))
SHELL_SRCS := $(wildcard tests/vm/*.sh tests/unit/*.sh tools/*.sh vmtest/*.sh bench/*.sh) .ci/run

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

lint:
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS)
	$(Q)shellcheck -S warning $(SHELL_SRCS)
	@echo "lint: $(words $(FORMAT_SRCS)) C files formatted, $(words $(SHELL_SRCS)) shell scripts clean"

# check and demo install their own dependencies first, so they work on a fresh machine.
check:
	$(Q)tools/deps.sh
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory all
	$(Q)SUITE=$(SUITE) tools/check.sh "$(if $(KERNEL),$(KERNEL),$(KERNELS))"

demo:
	$(Q)KERNEL=$(if $(KERNEL),$(KERNEL),6.1) tools/demo.sh

# Not part of check: a mutant run takes as long as the suites themselves.
mutation:
	$(Q)tools/mutation.sh --kernel "$(if $(KERNEL),$(KERNEL),6.1)" \
		$(if $(MUTANT),--mutant "$(MUTANT)") $(if $(filter-out all,$(SUITE)),--suite "$(SUITE)")

# ---- fuzzing ----
# make fuzz FUZZ_TARGET=policy|audit|learn: one process (the machine is shared), seeds from tests/fuzz/.
FUZZ_SECONDS ?= 600
FUZZ_TARGET ?= policy
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc -I$(B) -fsanitize=fuzzer,address,undefined
FUZZ_policy_SRCS := $(filter src/policy/%.c src/util/%.c,$(LIB_SRCS))
FUZZ_policy_LIBS := -lyaml -lbpf
FUZZ_policy_ARGS := -max_len=65536 -dict=tests/fuzz/policy.dict
# seeds: the fixtures and policies of the tree where they are, plus inputs of the fuzzer's own
FUZZ_policy_CORPUS := tests/fuzz/corpus tests/fixtures/seed policy tests/vm/policies
FUZZ_audit_SRCS := $(filter src/events/%.c src/util/%.c src/loader/net_compile.c,$(LIB_SRCS))
FUZZ_audit_LIBS := -ljansson -lbpf -lsystemd -lgnutls -lpthread
FUZZ_audit_ARGS := -max_len=8192
FUZZ_audit_CORPUS := tests/fuzz/corpus-audit
FUZZ_learn_SRCS := $(filter src/learn/%.c src/policy/%.c src/util/%.c,$(LIB_SRCS))
FUZZ_learn_LIBS := -lyaml -ljansson -lbpf
FUZZ_learn_ARGS := -max_len=4096
FUZZ_learn_CORPUS := tests/fuzz/corpus-learn

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(filter-out src/main.c,$(LIB_SRCS)) $(B)/helixagent.skel.h $(B)/hx_version.h $(B)/hx_bpf_sha.h
	@mkdir -p $(dir $@)
	$(msg) FUZZ $@
	$(Q)clang $(FUZZ_CFLAGS) $< $(FUZZ_$*_SRCS) -o $@ $(FUZZ_$*_LIBS)

fuzz: $(B)/fuzz/fuzz_$(FUZZ_TARGET)
	$(Q)mkdir -p $(B)/fuzz/corpus-$(FUZZ_TARGET) && \
	$(B)/fuzz/fuzz_$(FUZZ_TARGET) -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
		$(FUZZ_$(FUZZ_TARGET)_ARGS) $(B)/fuzz/corpus-$(FUZZ_TARGET) $(FUZZ_$(FUZZ_TARGET)_CORPUS)

# ---- benchmarks: make bench (docs/benchmarks.md) ----
include bench/bench.mk

# ---- man pages, install, Debian package (docs/operations.md "Installing") ----
# helixagent(8) is written in scdoc; helixagent.yaml(5) is policy/README.md converted
# (tools/md2scd.py), so the two never disagree.
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/helixagent
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# The binary's default policy is /etc/helixagent/helixagent.yaml whatever PREFIX is.
SYSCONFDIR ?= /etc
MANPAGES := $(B)/doc/helixagent.8 $(B)/doc/helixagent.yaml.5

$(B)/doc/helixagent.8: doc/helixagent.8.scd
	@mkdir -p $(dir $@)
	$(msg) SCDOC $@
	$(Q)scdoc < $< > $@.tmp && mv $@.tmp $@
$(B)/doc/helixagent.yaml.5.scd: doc/helixagent.yaml.5.scd.in policy/README.md tools/md2scd.py
	@mkdir -p $(dir $@)
	$(Q)python3 tools/md2scd.py $< policy/README.md > $@.tmp && mv $@.tmp $@
$(B)/doc/helixagent.yaml.5: $(B)/doc/helixagent.yaml.5.scd
	$(msg) SCDOC $@
	$(Q)scdoc < $< > $@.tmp && mv $@.tmp $@

man: $(MANPAGES)

# The unit's paths follow PREFIX; what an operator may have edited (policy, defaults) is
# never overwritten by make install (the Debian package makes them conffiles).
install: $(B)/helixagent $(MANPAGES)
	install -D -m 0755 $(B)/helixagent $(DESTDIR)$(SBINDIR)/helixagent
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/helixagent
	test -e $(DESTDIR)$(SYSCONFDIR)/helixagent/helixagent.yaml || \
		install -m 0600 policy/default.yaml $(DESTDIR)$(SYSCONFDIR)/helixagent/helixagent.yaml
	test -e $(DESTDIR)$(SYSCONFDIR)/default/helixagent || \
		install -D -m 0644 deploy/systemd/helixagent.default $(DESTDIR)$(SYSCONFDIR)/default/helixagent
	install -D -m 0644 deploy/logrotate/helixagent $(DESTDIR)$(SYSCONFDIR)/logrotate.d/helixagent
	install -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR)
	sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/usr/local/share/doc/helixagent/|$(DOCDIR)/|g' \
		-e 's|/etc/default/helixagent|$(SYSCONFDIR)/default/helixagent|g' \
		-e 's|/etc/helixagent/|$(SYSCONFDIR)/helixagent/|g' \
		deploy/systemd/helixagent.service > $(DESTDIR)$(SYSTEMDUNITDIR)/helixagent.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/helixagent.service
	install -D -m 0644 $(B)/doc/helixagent.8 $(DESTDIR)$(MANDIR)/man8/helixagent.8
	install -D -m 0644 $(B)/doc/helixagent.yaml.5 $(DESTDIR)$(MANDIR)/man5/helixagent.yaml.5
	install -D -m 0644 deploy/bash-completion/helixagent $(DESTDIR)$(BASHCOMPDIR)/helixagent
	install -D -m 0644 docs/operations.md $(DESTDIR)$(DOCDIR)/operations.md
	install -D -m 0644 policy/README.md $(DESTDIR)$(DOCDIR)/policy.md

# make deb: the package from a copy of the tree (dpkg-buildpackage writes beside its
# source), into build/deb/; lintian must report no error. make deb-test: install,
# upgrade and purge it in a throwaway root (tools/deb-test.sh), never on this host.
DEB_VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null)
deb:
	@test "$(firstword $(subst -, ,$(DEB_VERSION)))" = "$$(cat VERSION)" || \
		{ echo "deb: debian/changelog says $(DEB_VERSION), VERSION says $$(cat VERSION): add a changelog entry (dch -v $$(cat VERSION)-1)" >&2; exit 1; }
	rm -rf $(B)/deb && mkdir -p $(B)/deb/src
	tar --exclude=./build --exclude=./vmtest/.cache --exclude=./.git -cf - . | tar -xf - -C $(B)/deb/src
	cd $(B)/deb/src && dpkg-buildpackage -b -us -uc -j1 >../build.log 2>&1 || \
		{ tail -40 ../build.log >&2; exit 1; }
	lintian --fail-on error $(B)/deb/helixagent_$(DEB_VERSION)_amd64.deb
	@echo "deb: $(B)/deb/helixagent_$(DEB_VERSION)_amd64.deb"

deb-test: deb
	tools/deb-test.sh $(B)/deb/helixagent_$(DEB_VERSION)_amd64.deb

$(B)/bpf:
	@mkdir -p $@

clean:
	rm -rf $(B)

distclean: clean
	rm -rf vmtest/.cache

-include $(wildcard $(B)/obj/*.d $(B)/obj/*/*.d $(B)/san/*.d $(B)/san/*/*.d $(B)/bpf/*.d $(B)/unit/*.d $(B)/vm-bin-deps/*.d)
