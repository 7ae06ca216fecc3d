# Benchmarks (docs/benchmarks.md), included by the Makefile.
#   make bench [BENCH_KERNELS="6.1 newest"]
# The floor loader goes into build/vm-bin/ (copied into the VM); the events benchmark runs on the host.
BENCH_KERNELS ?= 6.1
BENCH_BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Iinclude -I/usr/include/$(shell $(CC) -dumpmachine)

$(B)/bench/%.bpf.o: bench/*/%.bpf.c include/helixagent/abi.h
	@mkdir -p $(dir $@)
	$(msg) BPF $@
	$(Q)$(CLANG) $(BENCH_BPF_CFLAGS) -c $< -o $@

$(B)/bench/%.skel.h: $(B)/bench/%.bpf.o
	$(msg) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(B)/vm-bin/bench-floor: bench/floor/floor.c $(B)/bench/floor.skel.h
	$(msg) CC $@
	$(Q)$(CC) $(CFLAGS) -I$(B)/bench -MF $(B)/bench/floor.d $< -o $@ -lbpf -lelf -lz

$(B)/bench/hx-bench-events: bench/events/events.c $(B)/bench/evprod.skel.h $(LIB_OBJS) $(B)/obj/default_policy.o
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS) -I$(B)/bench -MF $(B)/bench/events.d $< $(LIB_OBJS) $(B)/obj/default_policy.o -o $@ $(LDLIBS)

$(B)/bench/hx-bench-netload: bench/netnative/netload.c $(LIB_OBJS) $(B)/obj/default_policy.o
	@mkdir -p $(dir $@)
	$(msg) LD $@
	$(Q)$(CC) $(CFLAGS) -MF $(B)/bench/netload.d $< $(LIB_OBJS) $(B)/obj/default_policy.o -o $@ $(LDLIBS)

bench: $(B)/helixagent $(VMBINS) $(B)/vm-bin/bench-floor $(B)/bench/hx-bench-events $(B)/bench/hx-bench-netload
	$(Q)bench/run.sh $(BENCH_KERNELS)

.PHONY: bench
-include $(wildcard $(B)/bench/*.d)
