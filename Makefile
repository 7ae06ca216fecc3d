# HelixAgent: one entry point. Every artefact goes under build/.
#   make            build build/helixagent
#   make check      unit tests (ASan/UBSan) on the host, then the VM suites on every kernel
#   make unit       unit tests only
#   make vmtest     VM suites on every kernel (KERNEL=6.1 for one, SUITE=name for one suite)
#   make bench      benchmarks in the VM and on the host, table in build/bench/ (docs/benchmarks.md)
#   make fuzz       libFuzzer over the policy loader (FUZZ_SECONDS=600)
#   make mutation   the enforcement suites against agents broken on purpose (tools/mutation.sh;
#                   KERNEL=6.1, MUTANT="allow silent", SUITE=fs,exec,...); not part of check
#   make deps       install the Debian packages everything needs (root)
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
LDLIBS := -lbpf -lelf -lz -lyaml -lseccomp -lcap -lmicrohttpd

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

.PHONY: print-version FORCE all clean distclean check unit vmtest fuzz deps install vm-bin demo mutation

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
$(B)/obj/version.o $(B)/san/version.o: $(B)/hx_version.h
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

unit: $(UNIT_BINS) $(B)/helixagent
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

# check and demo install their own dependencies first, so they work on a fresh machine.
check:
	$(Q)tools/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)SUITE=$(SUITE) tools/check.sh "$(if $(KERNEL),$(KERNEL),$(KERNELS))"

demo:
	$(Q)KERNEL=$(if $(KERNEL),$(KERNEL),6.1) tools/demo.sh

# Not part of check: a mutant run takes as long as the suites themselves.
mutation:
	$(Q)tools/mutation.sh --kernel "$(if $(KERNEL),$(KERNEL),6.1)" \
		$(if $(MUTANT),--mutant "$(MUTANT)") $(if $(filter-out all,$(SUITE)),--suite "$(SUITE)")

# ---- fuzzing ----
FUZZ_SECONDS ?= 600
$(B)/fuzz/fuzz_policy: tests/fuzz/fuzz_policy.c $(filter-out src/main.c,$(LIB_SRCS)) $(B)/helixagent.skel.h
	@mkdir -p $(dir $@)
	$(msg) FUZZ $@
	$(Q)clang -std=gnu11 -D_GNU_SOURCE -g -O1 -Iinclude -Isrc -I$(B) \
		-fsanitize=fuzzer,address,undefined $< $(filter src/policy/%.c src/util/%.c,$(LIB_SRCS)) \
		-o $@ -lyaml

fuzz: $(B)/fuzz/fuzz_policy
	$(Q)mkdir -p $(B)/fuzz/corpus && cp tests/fuzz/corpus/* $(B)/fuzz/corpus/ 2>/dev/null; \
	$(B)/fuzz/fuzz_policy -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=65536 \
		-dict=tests/fuzz/policy.dict \
		$(B)/fuzz/corpus tests/fuzz/corpus

# ---- benchmarks: make bench (docs/benchmarks.md) ----
include bench/bench.mk

install: $(B)/helixagent
	install -D -m 0755 $(B)/helixagent $(DESTDIR)$(PREFIX)/sbin/helixagent

$(B)/bpf:
	@mkdir -p $@

clean:
	rm -rf $(B)

distclean: clean
	rm -rf vmtest/.cache

-include $(wildcard $(B)/obj/*.d $(B)/obj/*/*.d $(B)/san/*.d $(B)/san/*/*.d $(B)/bpf/*.d $(B)/unit/*.d $(B)/vm-bin-deps/*.d)
