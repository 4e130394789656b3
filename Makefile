# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# make            build ./memleakd (objects in build/)
# make deps       install the Debian packages the build, tests and demo need
# make test       unit tests, sanitizer build, integration tests (root)
# make demo       deps + build + trace the bundled demo leaker for ~10 s
# make vmlinux    regenerate vmlinux/<arch>/vmlinux.h from the running kernel
# make format     clang-format every source file
# V=1             show the commands

SHELL := /bin/bash
.DELETE_ON_ERROR:
.SUFFIXES:

BUILD ?= build
prefix ?= /usr/local
DESTDIR ?=

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

MACHINE := $(shell uname -m)
ifeq ($(MACHINE),x86_64)
  ARCH := x86
else ifeq ($(MACHINE),aarch64)
  ARCH := arm64
else
  $(error unsupported architecture '$(MACHINE)': memleakd supports x86_64 (and arm64 once vmlinux/arm64 exists))
endif

ifeq ($(V),1)
  Q :=
  msg :=
else
  Q := @
  msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# Packagers may override CFLAGS; the warnings below are always on.
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
LIBS_PC := libbpf libelf libdw zlib liblzma
DEP_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
DEP_LIBS := $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null) -liberty -lm
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARNINGS) $(CFLAGS) -I$(BUILD) -Isrc -Ibpf $(DEP_CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf -Wall -Werror

SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
SAN_OBJS := $(SRCS:src/%.c=$(BUILD)/san/%.o)
# Everything but the wiring (main, session) and libbpf (tracer) is pure logic unit tests link.
NOT_PURE := main session tracer
LIB_OBJS := $(filter-out $(NOT_PURE:%=$(BUILD)/obj/%.o),$(OBJS))
SAN_LIB_OBJS := $(filter-out $(NOT_PURE:%=$(BUILD)/san/%.o),$(SAN_OBJS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
SAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/san-%)

FIXTURE_SRCS := $(wildcard tests/fixtures/*.c)
FIXTURES := $(FIXTURE_SRCS:tests/fixtures/%.c=$(BUILD)/fixtures/%)

.PHONY: all
all: memleakd

memleakd: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(DEP_LIBS) $(LDFLAGS)

$(BUILD)/memleakd-san: $(SAN_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(DEP_LIBS) $(LDFLAGS)

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/san/%.o: src/%.c | $(BUILD)/san
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c -o $@ $<

# The tracer includes the generated skeleton.
$(BUILD)/obj/tracer.o $(BUILD)/san/tracer.o: $(BUILD)/memleak.skel.h

$(BUILD)/memleak.bpf.o: bpf/memleak.bpf.c $(wildcard bpf/*.h) vmlinux/$(ARCH)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/memleak.skel.h: $(BUILD)/memleak.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name memleak_bpf > $@

vmlinux/$(ARCH)/vmlinux.h:
	$(error vmlinux/$(ARCH)/vmlinux.h is missing: run 'make vmlinux' on a kernel with BTF)

.PHONY: vmlinux
vmlinux:
	@test -r /sys/kernel/btf/vmlinux || { echo "no /sys/kernel/btf/vmlinux: boot a kernel built with CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
	mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

$(BUILD) $(BUILD)/obj $(BUILD)/san $(BUILD)/tests $(BUILD)/fixtures:
	$(Q)mkdir -p $@

# --- tests -----------------------------------------------------------------

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes -o $@ $^ $(DEP_LIBS) -lcmocka -ldl

$(BUILD)/tests/san-test_%: tests/unit/test_%.c $(SAN_LIB_OBJS) | $(BUILD)/tests
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Wno-missing-prototypes -o $@ $^ $(DEP_LIBS) -lcmocka -ldl

# Fixtures keep frame pointers and their own call chains (no inlining).
FIXTURE_CFLAGS := -O0 -g -fno-omit-frame-pointer -fno-inline -Wall -Wno-deprecated-declarations
$(BUILD)/fixtures/%: tests/fixtures/%.c | $(BUILD)/fixtures
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) $(FIXTURE_CFLAGS) -o $@ $<

# A program with no allocator at all: no libc, static.
$(BUILD)/fixtures/no_malloc: tests/fixtures/no_malloc.c | $(BUILD)/fixtures
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O1 -static -nostdlib -fno-stack-protector -o $@ $<

$(BUILD)/fixtures/libsymfix.so: tests/fixtures/lib/symfix.c | $(BUILD)/fixtures
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O1 -g -fPIC -shared -o $@ $<

# A stripped copy and its debug file under build-id/xx/rest.debug, as
# Debian's -dbg packages lay them out below /usr/lib/debug.
$(BUILD)/fixtures/libsymfix-stripped.so: $(BUILD)/fixtures/libsymfix.so
	$(call msg,FIXTURE,$@)
	$(Q)rm -rf $(BUILD)/fixtures/debug
	$(Q)id=$$(readelf -n $< | awk '/Build ID/ {print $$3}'); \
	  test -n "$$id" && mkdir -p $(BUILD)/fixtures/debug/.build-id/$${id:0:2} && \
	  objcopy --only-keep-debug $< $(BUILD)/fixtures/debug/.build-id/$${id:0:2}/$${id:2}.debug
	$(Q)strip --strip-all -o $@ $<

# Stripped copies found through .gnu_debuglink (one with a debug file whose
# CRC no longer matches) and through MiniDebugInfo (.gnu_debugdata).
$(BUILD)/fixtures/libsymfix-debuglink.so: $(BUILD)/fixtures/libsymfix.so
	$(call msg,FIXTURE,$@)
	$(Q)objcopy --only-keep-debug $< $(@:.so=.debug)
	$(Q)strip --strip-all -o $@ $<
	$(Q)cd $(@D) && objcopy --add-gnu-debuglink=$(notdir $(@:.so=.debug)) $(notdir $@)
$(BUILD)/fixtures/libsymfix-badlink.so: $(BUILD)/fixtures/libsymfix.so
	$(call msg,FIXTURE,$@)
	$(Q)objcopy --only-keep-debug $< $(@:.so=.debug)
	$(Q)strip --strip-all -o $@ $<
	$(Q)cd $(@D) && objcopy --add-gnu-debuglink=$(notdir $(@:.so=.debug)) $(notdir $@)
	$(Q)printf 'x' >> $(@:.so=.debug)
$(BUILD)/fixtures/libsymfix-mini.so: $(BUILD)/fixtures/libsymfix.so
	$(call msg,FIXTURE,$@)
	$(Q)echo symfix_hidden > $@.keep
	$(Q)objcopy --only-keep-debug $< $@.debug
	$(Q)objcopy -S --remove-section .gdb_index --remove-section .comment \
	  --keep-symbols=$@.keep $@.debug $@.mini
	$(Q)rm -f $@.mini.xz && xz $@.mini
	$(Q)strip --strip-all -o $@ $<
	$(Q)objcopy --add-section .gnu_debugdata=$@.mini.xz $@
	$(Q)rm -f $@.keep $@.debug $@.mini.xz

SYMFIX_VARIANTS := $(BUILD)/fixtures/libsymfix-stripped.so $(BUILD)/fixtures/libsymfix-debuglink.so \
	$(BUILD)/fixtures/libsymfix-badlink.so $(BUILD)/fixtures/libsymfix-mini.so

# Loaded by dlopener after attach; no frame pointers, so only its table names its callers.
$(BUILD)/fixtures/libleaklib.so: tests/fixtures/lib/leaklib.c | $(BUILD)/fixtures
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O2 -g -fPIC -shared -fomit-frame-pointer -fno-optimize-sibling-calls -o $@ $<

# The leaker with only .debug_frame (no .eh_frame) and no frame pointers.
$(BUILD)/fixtures/leaker-debugframe: tests/fixtures/leaker.c | $(BUILD)/fixtures
	$(call msg,FIXTURE,$@)
	$(Q)$(CC) -O1 -g -fomit-frame-pointer -fno-inline -fno-optimize-sibling-calls \
	  -fno-asynchronous-unwind-tables -fno-unwind-tables -Wall -o $@ $<

# Stack-fidelity fixture (tools/fidelity.py): -O2 C++, with and without frame pointers.
FIDELITY_CXXFLAGS := -O2 -g -Wall -Wextra
$(BUILD)/fixtures/fidelity-fp: tests/fixtures/fidelity.cc | $(BUILD)/fixtures
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(FIDELITY_CXXFLAGS) -fno-omit-frame-pointer -o $@ $<
$(BUILD)/fixtures/fidelity-nofp: tests/fixtures/fidelity.cc | $(BUILD)/fixtures
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(FIDELITY_CXXFLAGS) -fomit-frame-pointer -o $@ $<

# Benchmarks: never part of 'make test'. Frame pointers on, so fp mode walks
# as many frames as dwarf mode and the two compare like for like.
$(BUILD)/bench/mallocbench: tools/bench/mallocbench.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fno-omit-frame-pointer -Wall -Wextra -o $@ $<

# Fuzzing the ELF/DWARF readers with libFuzzer (clang), ASan and UBSan.
FUZZ_SRCS := $(filter-out $(NOT_PURE:%=src/%.c),$(SRCS))
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -O1
$(BUILD)/fuzz/fuzz_elf: tests/fuzz/fuzz_elf.c $(FUZZ_SRCS) $(wildcard src/*.h)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(FUZZ_FLAGS) -Isrc -Ibpf \
	  $(DEP_CFLAGS) -o $@ tests/fuzz/fuzz_elf.c $(FUZZ_SRCS) $(DEP_LIBS)

.PHONY: fuzz
fuzz: $(BUILD)/fuzz/fuzz_elf

.PHONY: bench
bench: memleakd $(BUILD)/bench/mallocbench
	BUILD=$(BUILD) bash tools/bench/run.sh

.PHONY: unit-tests san-build fixtures
unit-tests: $(UNIT_BINS) $(BUILD)/fixtures/libsymfix.so $(SYMFIX_VARIANTS) \
	    $(BUILD)/fixtures/fidelity-fp $(BUILD)/fixtures/fidelity-nofp \
	    $(BUILD)/fixtures/leaker-debugframe
san-build: $(SAN_UNIT_BINS) $(BUILD)/memleakd-san
fixtures: $(FIXTURES) $(BUILD)/fixtures/libsymfix.so $(BUILD)/fixtures/leaker-debugframe \
	  $(BUILD)/fixtures/libleaklib.so \
	  $(BUILD)/fixtures/fidelity-fp \
	  $(BUILD)/fixtures/fidelity-nofp

.PHONY: test check
test check: memleakd unit-tests san-build fixtures fuzz $(BUILD)/demo_leaker
	$(Q)BUILD=$(BUILD) bash tests/run.sh

# --- people ----------------------------------------------------------------

.PHONY: deps
deps:
	$(Q)bash tools/install-deps.sh

$(BUILD)/demo_leaker: tools/demo_leaker.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O1 -g -fno-omit-frame-pointer -fno-inline -Wall -o $@ $<

.PHONY: demo
demo: deps
	$(Q)$(MAKE) --no-print-directory memleakd $(BUILD)/demo_leaker
	$(Q)BUILD=$(BUILD) bash tools/demo.sh

.PHONY: install
install: memleakd
	install -D -m 0755 memleakd $(DESTDIR)$(prefix)/sbin/memleakd

.PHONY: format
format:
	clang-format -i src/*.c src/*.h bpf/*.c bpf/*.h tests/unit/*.c tests/unit/*.h tests/fixtures/*.c tests/fixtures/*.cc tools/*.c tests/fixtures/lib/*.c

.PHONY: clean
clean:
	rm -rf $(BUILD) memleakd

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d)
