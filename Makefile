# Makefile - the one build of xnn-fleet.
#
#   make [all]        build everything for this host (installs missing packages first)
#   make test         unit tests (with the model tests against PyTorch's golden data): host,
#                     host with ASan+UBSan, aarch64 and armv7 under qemu,
#                     then the fuzz targets over their corpora
#   make agents       xnn-agent and xnn-adbd, static, for x86_64, aarch64 and armv7
#   make data         the data set as plain IDX files in build/data
#   make fuzz         build the libFuzzer targets (clang) into $(O)/fuzz
#   make bench        bench/kernels and bench/models (beside XNNPACK, oneDNN, OpenBLAS, PyTorch)
#   make fleet        the main job: sweep the devices found into fleet.db, select tiers
#                     into fleet-manifest/, report into reports/out/
#   make runtime-size what libxnnrt adds to a static app (x86_64, aarch64, armv7)
#   make clean        remove the build folder
#
# Knobs: O=build-dir  CROSS=aarch64-linux-gnu- | arm-linux-gnueabihf-
#        SANITIZE=address,undefined  V=1 (show commands)  WERROR=1 (CI)
#        NODEPS=1 (do not run scripts/install-deps.sh)  AGENT_STRIP= (keep the agent's symbols)
#        INSTALL_DEPS=PROG (instead of scripts/install-deps.sh)  PKG_CONFIG_PROG=PROG

SHELL := /bin/bash
.DEFAULT_GOAL := all
O ?= build
CROSS ?=
V ?= 0
CC := $(CROSS)gcc
AR := $(CROSS)ar

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n'
endif

# The compiler is the one package make itself needs while it reads this file.
# On a fresh machine without it: install the packages first (unless NODEPS=1),
# then look again. `make clean` needs no compiler.
TRIPLET := $(shell $(CC) -dumpmachine 2>/dev/null)
NEEDS_CC := $(filter-out clean,$(or $(MAKECMDGOALS),all))
INSTALL_DEPS ?= scripts/install-deps.sh
ifeq ($(TRIPLET),)
ifneq ($(NODEPS),1)
ifneq ($(NEEDS_CC),)
$(info make: cannot run '$(CC)' yet: $(INSTALL_DEPS) first)
DEPS_STATUS := $(shell $(INSTALL_DEPS) >&2; echo $$?)
TRIPLET := $(shell $(CC) -dumpmachine 2>/dev/null)
endif
endif
endif
ifeq ($(TRIPLET),)
ifneq ($(NEEDS_CC),)
$(error cannot run '$(CC)': install it with scripts/install-deps.sh (Debian: apt install gcc))
endif
endif
ARCH := $(firstword $(subst -, ,$(TRIPLET)))

# Cross builds: pkg-config looks in the target's multiarch dirs.
# PKG_CONFIG: the program (a knob: tests/setup/first-build.sh gives one that
# knows no package until its fake install has run).
PKG_CONFIG_PROG ?= pkg-config
ifneq ($(CROSS),)
PKG_CONFIG := PKG_CONFIG_LIBDIR=/usr/lib/$(TRIPLET)/pkgconfig:/usr/share/pkgconfig $(PKG_CONFIG_PROG)
else
PKG_CONFIG := $(PKG_CONFIG_PROG)
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
	-Wformat=2 -fno-common
ifeq ($(WERROR),1)
WARN += -Werror
endif
# -D_FILE_OFFSET_BITS=64: 32-bit builds (armv7) read directories whose inode
# numbers do not fit 32 bits (readdir would fail with EOVERFLOW).
# -ffp-contract=off: scalar code rounds the same on every architecture (FMA is
# used only where a kernel asks for it with intrinsics).
CFLAGS ?= -O2 -g
# Each part sees only the headers of the parts below it (DESIGN.md's layers):
# INC is set per part below, so a kernel that includes a harness header does
# not build.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) -ffp-contract=off -fno-strict-aliasing \
	$(CFLAGS) -MMD -MP $(INC)
LDLIBS := -lm -lpthread
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
export ASAN_OPTIONS ?= detect_leaks=1
endif

# ---- kernels -------------------------------------------------------------------
KERNEL_SRC := $(wildcard kernels/*.c kernels/*/*.c)
ifeq ($(ARCH),x86_64)
KERNEL_SRC := $(filter-out %-neon.c %-neondot.c,$(KERNEL_SRC))
else ifeq ($(ARCH),aarch64)
KERNEL_SRC := $(filter-out %-avx2.c %-avx512.c %-avx512vnni.c,$(KERNEL_SRC))
else
KERNEL_SRC := $(filter-out %-neon.c %-neondot.c %-avx2.c %-avx512.c %-avx512vnni.c,$(KERNEL_SRC))
endif
KERNEL_OBJ := $(KERNEL_SRC:%.c=$(O)/%.o)
LIBXK := $(O)/lib/libxk.a

# ---- supernet (uses kernels) ----------------------------------------------------
SUPERNET_SRC := $(wildcard supernet/*.c)
SUPERNET_OBJ := $(SUPERNET_SRC:%.c=$(O)/%.o)
LIBXS := $(O)/lib/libxs.a
LIBS := $(LIBXS) $(LIBXK)

# ---- runtime: libxnnrt, what apps link (uses kernels, supernet) -----------------
RUNTIME_SRC := $(wildcard runtime/*.c)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(O)/%.o)
LIBXR := $(O)/lib/libxnnrt.a
# jsmn (Debian's libjsmn-dev) is one header in /usr/include, where the cross
# compilers do not look: the runtime gets a folder holding just that header.
$(O)/include/jsmn.h: | deps
	$(Q)mkdir -p $(@D) && ln -sf /usr/include/jsmn.h $@
$(RUNTIME_OBJ): $(O)/include/jsmn.h

# examples/: programs an app would be (static, like the agent: they run under qemu)
EXAMPLES := $(patsubst examples/%.c,$(O)/bin/%,$(wildcard examples/*.c))
$(O)/examples/%.o: private INC := -Ikernels -Isupernet -Iruntime
$(O)/bin/%: $(O)/examples/%.o $(LIBXR) $(LIBS)
	$(say) LD $@
	$(Q)mkdir -p $(@D) && $(CC) $(LDFLAGS) $(if $(SANITIZE),,-static) $^ $(LDLIBS) -o $@

# ---- agent: xnn-agent, static, for every target (uses kernels, supernet) ----------
AGENT_SRC := $(filter-out agent/main.c agent/cmd-%.c,$(wildcard agent/*.c))
AGENT_CMD_OBJ := $(patsubst %.c,$(O)/%.o,$(wildcard agent/main.c agent/cmd-*.c))
AGENT_OBJ := $(AGENT_SRC:%.c=$(O)/%.o)
LIBXA := $(O)/lib/libxa.a
XNN_AGENT := $(O)/bin/xnn-agent
# xnn-adbd: the device side of ADB over TCP (boards, and the adb tests)
ADBD_OBJ := $(patsubst %.c,$(O)/%.o,$(wildcard agent/adbd/*.c))
XNN_ADBD := $(O)/bin/xnn-adbd

# ---- device-db, reports, harness: the host side (host builds only) -------------
# One library per folder: the device DB, the report renderer, the harness
# library (harness/ and its sub-folders transport/ and select/), and the thin
# CLI on top (harness/cli/: main.c and one cmd-NAME.c per command).
FDB_SRC := $(wildcard device-db/*.c)
FDB_OBJ := $(FDB_SRC:%.c=$(O)/%.o)
LIBFDB := $(O)/lib/libfdb.a
REP_SRC := $(wildcard reports/*.c)
REP_OBJ := $(REP_SRC:%.c=$(O)/%.o)
LIBREP := $(O)/lib/librep.a
XF_DIRS := harness harness/transport harness/select
XF_SRC := $(foreach d,$(XF_DIRS),$(wildcard $(d)/*.c))
XF_OBJ := $(XF_SRC:%.c=$(O)/%.o)
LIBXF := $(O)/lib/libxf.a
CLI_SRC := $(wildcard harness/cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(O)/%.o)
HOST_LIBS := $(LIBXF) $(LIBREP) $(LIBFDB)
HARNESS_OBJ := $(FDB_OBJ) $(REP_OBJ) $(XF_OBJ) $(CLI_OBJ)
XNN_FLEET := $(O)/bin/xnn-fleet
HARNESS_LIBS = -lcsv -lsqlite3 -lpcre2-8 $(shell $(PKG_CONFIG_PROG) --libs libusb-1.0 2>/dev/null || echo -lusb-1.0)
# libusb's header lives in its own folder
USB_CFLAGS = $(shell $(PKG_CONFIG_PROG) --cflags libusb-1.0 2>/dev/null)
ifeq ($(CROSS),)
HOST_BINS := $(XNN_FLEET)
endif

# The include paths of each part: its own folder and those of the parts it
# may use (private: not inherited by what a target depends on).
INC_XK := -Ikernels
INC_XS := $(INC_XK) -Isupernet
INC_XR := $(INC_XS) -Iruntime -I$(O)/include
INC_XA := $(INC_XR) -Iagent
INC_FDB := $(INC_XS) -Idevice-db
INC_REP := $(INC_XS) -Ireports
INC_XF := $(INC_XR) -Idevice-db -Ireports $(addprefix -I,$(XF_DIRS))
$(KERNEL_OBJ): private INC := $(INC_XK)
$(SUPERNET_OBJ): private INC := $(INC_XS)
$(RUNTIME_OBJ): private INC := $(INC_XR)
$(AGENT_OBJ) $(AGENT_CMD_OBJ) $(ADBD_OBJ): private INC := $(INC_XA)
$(FDB_OBJ): private INC := $(INC_FDB)
$(REP_OBJ): private INC := $(INC_REP)
$(XF_OBJ): private INC = $(INC_XF) $(USB_CFLAGS)
$(CLI_OBJ): private INC = $(INC_XF) -Iharness/cli $(USB_CFLAGS)

# Instruction-set flags per file, never -march=native.
$(O)/kernels/%-avx2.o: ISAFLAGS := -mavx2 -mfma
$(O)/kernels/%-avx512.o: ISAFLAGS := -mavx512f
$(O)/kernels/%-avx512vnni.o: ISAFLAGS := -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni
$(O)/kernels/%-neondot.o: ISAFLAGS := -march=armv8.2-a+dotprod

# ---- tests ---------------------------------------------------------------------
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
# tests/unit/test-NAME.c test the parts that also run on devices (built and
# run for every target); tests/unit/host/test-NAME.c the host-only ones
# (device-db, reports, harness): host builds only. NAME is the module's.
# tests/unit/test-util.c is no test: what they share, linked into each.
TEST_SRC := $(filter-out tests/unit/test-util.c,$(wildcard tests/unit/test-*.c))
TEST_UTIL_OBJ := $(O)/tests/test-util.o
HOST_TEST_SRC := $(wildcard tests/unit/host/test-*.c)
ifeq ($(CROSS),)
HOST_TEST_BIN := $(HOST_TEST_SRC:tests/unit/host/%.c=$(O)/tests/%)
endif
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(O)/tests/%) $(HOST_TEST_BIN)
TEST_OBJ := $(TEST_BIN:%=%.o) $(TEST_UTIL_OBJ)
$(TEST_OBJ): private INC = $(INC_XA) -Idevice-db -Ireports $(addprefix -I,$(XF_DIRS)) -Itests/unit \
	$(USB_CFLAGS) $(CMOCKA_CFLAGS)

# The data set for the model tests: Debian's gzip'd IDX files, decompressed
# once (the tests also run under qemu, where the agent-side reader takes plain
# IDX).
DATA ?= $(O)/data
DATASET := /usr/share/datasets/fashion-mnist
DATA_FILES := $(addprefix $(DATA)/,train-images-idx3-ubyte t10k-images-idx3-ubyte \
	t10k-labels-idx1-ubyte)
$(DATA)/%: | deps
	$(say) GUNZIP $@
	$(Q)mkdir -p $(@D) && gzip -dc $(DATASET)/$*.gz > $@.tmp && mv $@.tmp $@

# make data: the data set as plain IDX in $(DATA) (the agent's examples and
# scripts/int8-accuracy.sh read it there; make test makes it too).
data: $(DATA_FILES)

# ---- fuzz targets: clang + libFuzzer, in their own build (make fuzz) ------------
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzz/%)
FUZZ_RUNS ?= 200000
# A fuzzer's own flags and runs (fuzz-run-NAME: FUZZ_FLAGS_NAME, FUZZ_RUNS_NAME),
# and a fuzzer run again on another corpus (FUZZ_OF_NAME, corpus-NAME): the
# manifest reader takes manifests up to 1 MB, and mutates one of 1 MB and one
# of 60,000 nested arrays 1,000 times (~4 s of CPU; 200,000 would take ~13 minutes)
FUZZ_FLAGS_manifest := -max_len=1048576
FUZZ_OF_manifest-1mb := manifest
FUZZ_FLAGS_manifest-1mb := -max_len=1048576
FUZZ_RUNS_manifest-1mb := 1000

# ---- bench (host only: links the reference libraries) ---------------------------
BENCH_BIN := $(O)/bench/kernels
BENCH_MODELS := $(O)/bench/models
BENCH_LIBS = -lXNNPACK -lpthreadpool -ldnnl $(shell $(PKG_CONFIG_PROG) --libs openblas 2>/dev/null || echo -lopenblas)
BENCH_CFLAGS = $(shell $(PKG_CONFIG_PROG) --cflags openblas 2>/dev/null)

# ---- targets -------------------------------------------------------------------
.PHONY: runtime-size rt-size-bins all agents data test test-lint test-setup test-e2e test-host test-asan test-aarch64 test-armv7 fuzz fuzz-bins test-fuzz bench bench-anchors bench-models clean deps fleet
all: $(LIBS) $(LIBXR) $(EXAMPLES) $(LIBXA) $(XNN_AGENT) $(XNN_ADBD) $(TEST_BIN) $(HOST_BINS)

# The agents for every target, static: what the harness pushes to devices.
agents: $(XNN_AGENT) $(XNN_ADBD) | deps
	$(Q)$(MAKE) --no-print-directory CROSS=aarch64-linux-gnu- O=$(O)/aarch64 NODEPS=1 \
		$(O)/aarch64/bin/xnn-agent $(O)/aarch64/bin/xnn-adbd $(O)/aarch64/bin/classify
	$(Q)$(MAKE) --no-print-directory CROSS=arm-linux-gnueabihf- O=$(O)/armv7 NODEPS=1 \
		$(O)/armv7/bin/xnn-agent $(O)/armv7/bin/xnn-adbd $(O)/armv7/bin/classify
	$(Q)file $(XNN_AGENT) $(O)/aarch64/bin/xnn-agent $(O)/armv7/bin/xnn-agent | \
		sed 's/, BuildID[^,]*//; s/ for GNU.*//'

# Every build first checks the Debian packages (one dpkg-query, about 0.1 s)
# and installs what is missing. An order-only prerequisite: it never makes
# anything rebuild.
ifneq ($(NODEPS),1)
$(KERNEL_OBJ) $(SUPERNET_OBJ) $(RUNTIME_OBJ) $(EXAMPLES) $(AGENT_OBJ) $(AGENT_CMD_OBJ) $(ADBD_OBJ) $(HARNESS_OBJ) $(TEST_OBJ) $(TEST_BIN) $(BENCH_BIN) $(BENCH_MODELS) $(O)/bench/kernels.o $(O)/bench/kernels-qs8.o $(O)/bench/models.o $(O)/bench/timing.o: | deps
endif
deps:
	$(Q)$(INSTALL_DEPS)

$(LIBXK): $(KERNEL_OBJ)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
$(LIBXS): $(SUPERNET_OBJ)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
$(LIBXR): $(RUNTIME_OBJ)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
$(LIBXA): $(AGENT_OBJ)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
$(LIBXF): $(XF_OBJ)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
$(LIBREP): $(REP_OBJ)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^
$(LIBFDB): $(FDB_OBJ)
	$(say) AR $@
	$(Q)mkdir -p $(@D) && rm -f $@ && $(AR) rcs $@ $^

# Static: it runs on Android and on boards with another libc (no sanitizer
# build is static: the sanitizers' runtimes are shared). Stripped at link
# (-s): the sweep pushes it to every device, and the symbols are most of it
# (x86_64 11.3 MB -> 1.8 MB); AGENT_STRIP= keeps them for a debugger.
# Sanitizer builds keep them for their stack traces.
AGENT_STRIP ?= -s
$(XNN_AGENT): $(AGENT_CMD_OBJ) $(LIBXA) $(LIBXR) $(LIBS)
	$(say) LD $@
	$(Q)mkdir -p $(@D) && $(CC) $(LDFLAGS) $(if $(SANITIZE),,-static $(AGENT_STRIP)) $^ $(LDLIBS) -o $@

$(XNN_ADBD): $(ADBD_OBJ) $(O)/runtime/props.o
	$(say) LD $@
	$(Q)mkdir -p $(@D) && $(CC) $(LDFLAGS) $(if $(SANITIZE),,-static) $^ $(LDLIBS) -o $@

$(XNN_FLEET): $(CLI_OBJ) $(HOST_LIBS) $(LIBXR) $(LIBS)
	$(say) LD $@
	$(Q)mkdir -p $(@D) && $(CC) $(LDFLAGS) $^ $(HARNESS_LIBS) $(LDLIBS) -o $@

$(O)/%.o: %.c
	$(say) CC $<
	$(Q)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) $(ISAFLAGS) -c $< -o $@

$(O)/tests/test-%.o: tests/unit/test-%.c
	$(say) CC $<
	$(Q)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) -c $< -o $@
$(O)/tests/test-%.o: tests/unit/host/test-%.c
	$(say) CC $<
	$(Q)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) -c $< -o $@

# Debian has no static libcmocka: cross-built tests link it (and libc)
# dynamically from the target's multiarch packages; the library stays static.
# The host-only tests link the host libraries too.
$(filter-out $(HOST_TEST_BIN),$(TEST_BIN)): $(O)/tests/test-%: $(O)/tests/test-%.o $(TEST_UTIL_OBJ) $(LIBXA) $(LIBXR) $(LIBS)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) $(filter %.a,$^) $(CMOCKA_LIBS) $(LDLIBS) -o $@
# the adb test also checks xnn-adbd's reading of what the harness sends
$(O)/tests/test-adb: $(O)/agent/adbd/wire.o
# the models-list test runs the agent's bench --models
$(O)/tests/test-models: $(O)/agent/cmd-bench.o
$(HOST_TEST_BIN): $(O)/tests/test-%: $(O)/tests/test-%.o $(TEST_UTIL_OBJ) $(HOST_LIBS) $(LIBXA) $(LIBXR) $(LIBS)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) $(filter %.o %.a,$^) $(CMOCKA_LIBS) $(HARNESS_LIBS) $(LDLIBS) -o $@

# The golden test checks top-1 on all 10,000 test images for sub-nets up to
# this many MACs (logits for all): everything natively, the small ones under
# the sanitizers. Under qemu none: the logits on 16 images are compared with
# the host's, and the end-to-end sweeps compare qemu-aarch64's logits and top-1
# with the host's; the NEON top-1 on 10,000 images cost ~3 minutes of
# emulated float work for little more (TOP1_MAX_MACS_QEMU=2000000 runs it).
TOP1_MAX_MACS ?= 18446744073709551615
TOP1_MAX_MACS_ASAN ?= 2000000
TOP1_MAX_MACS_QEMU ?= 0
# The host's golden sub-models: the slower runs compare theirs with these
# (same bytes) and run these where recalibrating would take minutes.
XNM_DIR ?= $(O)/tests/xnm

# QEMU runs a foreign-architecture build; empty on the host.
ifeq ($(ARCH),aarch64)
RUN := qemu-aarch64
else ifeq ($(ARCH),arm)
RUN := qemu-arm
else
RUN :=
endif

# Every unit test program, each a target of its own (run-test-golden), so
# that make -j runs them beside each other; the longest first. A program's
# output goes to $(O)/tests/log/NAME.log and is shown when it fails. Then
# the kernel tests again with XK_ISA forcing the scalar kernels, and with a
# bad XK_ISA (the test checks the message).
TEST_LONG := $(foreach t,golden sweep reference ship extract,$(filter %/test-$(t),$(TEST_BIN)))
TEST_RUN := $(patsubst $(O)/tests/%,run-%,$(TEST_LONG) $(filter-out $(TEST_LONG),$(TEST_BIN)))
.PHONY: $(TEST_RUN) run-probe run-isa
test-host: run-probe $(TEST_RUN) run-isa
run-probe: $(XNN_AGENT)
	$(Q)echo "== $(XNN_AGENT) probe ($(TRIPLET))" && $(RUN) $(XNN_AGENT) probe > $(O)/probe.csv && \
		grep -E '^(abi|cpus|emulator),' $(O)/probe.csv && tail -1 $(O)/probe.csv | grep -q '^#end rows='
$(TEST_RUN): run-%: $(O)/tests/% $(DATA_FILES) $(XNN_AGENT)
	$(Q)mkdir -p $(XNM_DIR) $(O)/tests/log
	$(Q)t0=$$(date +%s); log=$(O)/tests/log/$*.log; \
	if XS_TEST_DATA=$(DATA) XS_TEST_SHA_OUT=$(O)/tests/xnm.sha256 \
		XS_TEST_XNM_DIR=$(XNM_DIR) XS_TEST_TOP1_MAX_MACS=$(TOP1_MAX_MACS) \
		$(if $(RUN)$(SANITIZE),XS_TEST_QUICK=1) $(RUN) $(O)/tests/$* > $$log 2>&1; then \
		echo "ok   $(O)/tests/$* ($(TRIPLET), $$(($$(date +%s) - t0)) s)"; \
	else \
		rc=$$?; cat $$log; echo "FAIL $(O)/tests/$* ($(TRIPLET)): exit $$rc after $$(($$(date +%s) - t0)) s (log: $$log)"; \
		exit 1; \
	fi
run-isa: $(O)/tests/test-kernels
	$(Q)echo "== XK_ISA=scalar and XK_ISA=bogus ($(TRIPLET))"
	$(Q)XK_ISA=scalar XK_TEST_FILTER='isa_default' $(RUN) $(O)/tests/test-kernels > $(O)/tests/isa.log 2>&1 || \
		{ cat $(O)/tests/isa.log; exit 1; }
	$(Q)XK_ISA=bogus XK_TEST_FILTER='isa_default' $(RUN) $(O)/tests/test-kernels > $(O)/tests/isa.log 2>&1 || \
		{ cat $(O)/tests/isa.log; exit 1; }

# Fuzz targets: the parsers (supernet/) built by clang with libFuzzer, ASan and
# UBSan in $(O)/fuzz, linked with the ordinary kernel library (the targets do
# not run kernels). make test replays each corpus (a copy: libFuzzer adds to
# the folder it is given) and fuzzes FUZZ_RUNS inputs from a fixed seed, so a
# run is repeatable.
fuzz: $(LIBXK) | deps
	$(Q)$(MAKE) --no-print-directory CC=clang O=$(O)/fuzz NODEPS=1 \
		SANITIZE=fuzzer-no-link,address,undefined \
		FUZZ_LIBXK=$(abspath $(LIBXK)) fuzz-bins
fuzz-bins: $(patsubst $(O)/fuzz/%,$(O)/%,$(FUZZ_BIN))
$(O)/fuzz-%.o: private INC = $(INC_XA) -Idevice-db -Ireports $(addprefix -I,$(XF_DIRS)) $(USB_CFLAGS)
$(O)/fuzz-%.o: tests/fuzz/fuzz-%.c
	$(say) CC $<
	$(Q)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) -c $< -o $@
$(O)/fuzz-%: $(O)/fuzz-%.o $(LIBXS)
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(FUZZ_LIBXK) $(LDLIBS) -o $@
# the harness's agent-output reader links libcsv
$(O)/fuzz-agentcsv: $(O)/fuzz-agentcsv.o $(O)/harness/agent-csv.o $(LIBXS)
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(FUZZ_LIBXK) $(HARNESS_LIBS) $(LDLIBS) -o $@
# agent output into the sweep's row mapper (agent reader, mapper, util)
$(O)/fuzz-sweep-rows: $(O)/fuzz-sweep-rows.o $(O)/harness/sweep-rows.o $(O)/harness/agent-csv.o \
		$(O)/harness/util.o $(LIBXS)
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(FUZZ_LIBXK) $(HARNESS_LIBS) $(LDLIBS) -o $@
# the adb client's parsers; xnn-adbd's
$(O)/fuzz-adb: $(O)/fuzz-adb.o $(O)/harness/transport/adb-client.o $(O)/harness/util.o $(O)/runtime/props.o $(LIBXS)
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(FUZZ_LIBXK) $(LDLIBS) -o $@
$(O)/fuzz-manifest: $(O)/fuzz-manifest.o $(O)/runtime/manifest.o $(O)/runtime/manifest-write.o
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@
$(O)/fuzz-select: $(O)/fuzz-select.o $(O)/harness/select/budget.o $(LIBXS)
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(FUZZ_LIBXK) $(HARNESS_LIBS) $(LDLIBS) -o $@
$(O)/fuzz-adbd: $(O)/fuzz-adbd.o $(O)/agent/adbd/wire.o $(O)/runtime/props.o
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@
# the agent's models list (bench --models)
$(O)/fuzz-models: $(O)/fuzz-models.o $(O)/agent/models.o $(LIBXS)
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(FUZZ_LIBXK) $(LDLIBS) -o $@
# the agent's --have list (kernels --have: the rows a resume skips)
$(O)/fuzz-have: $(O)/fuzz-have.o $(O)/agent/have.o
	$(say) LD $@
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@
# one target per fuzzer (fuzz-run-xsn), so that make -j runs them beside the rest
FUZZ_RUN := $(FUZZ_BIN:$(O)/fuzz/fuzz-%=fuzz-run-%) fuzz-run-manifest-1mb
.PHONY: $(FUZZ_RUN)
test-fuzz: $(FUZZ_RUN)
$(FUZZ_RUN): fuzz-run-%: fuzz
	$(Q)f=$(O)/fuzz/fuzz-$(or $(FUZZ_OF_$*),$*); c=$(O)/fuzz/run/corpus-$*; log=$(O)/fuzz/run/$*.log; \
	runs=$(or $(FUZZ_RUNS_$*),$(FUZZ_RUNS)); \
	rm -rf $$c && mkdir -p $$c && cp tests/fuzz/corpus-$*/* $$c/ && \
	if $$f -runs=$$runs -seed=1 $(FUZZ_FLAGS_$*) -artifact_prefix=$(O)/fuzz/run/$*- \
		-print_final_stats=1 $$c > $$log 2>&1; then \
		echo "ok   $$f on corpus-$* ($$runs runs, seed 1): $$(grep -E '^Done' $$log)"; \
	else \
		grep -E 'ERROR|SUMMARY|Done|artifact' $$log; echo "FAIL $$f (log: $$log)"; exit 1; \
	fi

# The host side keeps its functions under 150 lines, so that each says one
# thing (scripts/long-functions.sh lists the longer ones).
test-lint:
	$(Q)scripts/long-functions.sh harness device-db reports && \
		echo "== no function over 150 lines in harness/, device-db/, reports/"

# A first build on a machine without the packages (faked through the knobs
# INSTALL_DEPS and PKG_CONFIG_PROG, tests/setup/first-build.sh): nothing make
# reads at parse time may need them.
test-setup:
	$(Q)tests/setup/first-build.sh

# End-to-end tests: tests/e2e/tNNNN-*.sh against the built programs, each a
# target of its own (e2e-t0009-select), so that make -j runs them beside each
# other and beside the rest; the longest first.
E2E_ALL := $(patsubst tests/e2e/%.sh,%,$(wildcard tests/e2e/t[0-9][0-9][0-9][0-9]-*.sh))
E2E_LONG := $(foreach t,t0009 t0007 t0010 t0005 t0006,$(filter $(t)-%,$(E2E_ALL)))
E2E := $(addprefix e2e-,$(E2E_LONG) $(filter-out $(E2E_LONG),$(E2E_ALL)))
.PHONY: $(E2E)
$(E2E): e2e-%: $(XNN_FLEET) agents $(EXAMPLES) $(DATA_FILES) $(O)/tests/test-adb
	$(Q)tests/run-e2e.sh $(O) $*
test-e2e: $(E2E)

ifeq ($(CROSS),)
# The long end-to-end tests first: they start as soon as the programs are
# built and the rest runs beside them.
test: $(E2E) test-host test-asan test-aarch64 test-armv7 test-fuzz test-lint test-setup
test-asan: $(DATA_FILES) run-test-golden run-test-extract | deps
	$(Q)$(MAKE) --no-print-directory SANITIZE=address,undefined O=$(O)/asan NODEPS=1 \
		DATA=$(DATA) XNM_DIR=$(XNM_DIR) TOP1_MAX_MACS=$(TOP1_MAX_MACS_ASAN) test-host
# The cross builds extract the same sub-models as the host: same bytes. The
# aarch64 int8 kernels run again on a CPU with dotprod and on one without.
# After `agents` (the same build folders: one make at a time in each).
test-aarch64: $(DATA_FILES) run-test-golden run-test-extract agents | deps
	$(Q)$(MAKE) --no-print-directory CROSS=aarch64-linux-gnu- O=$(O)/aarch64 NODEPS=1 \
		DATA=$(DATA) XNM_DIR=$(XNM_DIR) TOP1_MAX_MACS=$(TOP1_MAX_MACS_QEMU) test-host
	$(Q)cmp $(O)/tests/xnm.sha256 $(O)/aarch64/tests/xnm.sha256 && \
		echo "== aarch64 extracts the same .xnm bytes as $(TRIPLET)"
	$(Q)for cpu in max cortex-a57; do \
		echo "== $(O)/aarch64/tests/test-kernels-qs8 (qemu -cpu $$cpu)"; \
		qemu-aarch64 -cpu $$cpu $(O)/aarch64/tests/test-kernels-qs8 > $(O)/aarch64/qs8-$$cpu.out 2>&1 || \
			{ cat $(O)/aarch64/qs8-$$cpu.out; exit 1; }; \
		grep -E '^(cpu features|SKIP)' $(O)/aarch64/qs8-$$cpu.out; \
	done; ! grep -q '^SKIP' $(O)/aarch64/qs8-max.out # -cpu max has dotprod: nothing skipped
# armv7 checks the golden logits and bytes, as aarch64 does
test-armv7: $(DATA_FILES) run-test-golden run-test-extract agents | deps
	$(Q)$(MAKE) --no-print-directory CROSS=arm-linux-gnueabihf- O=$(O)/armv7 NODEPS=1 \
		DATA=$(DATA) XNM_DIR=$(XNM_DIR) TOP1_MAX_MACS=$(TOP1_MAX_MACS_QEMU) test-host
	$(Q)cmp $(O)/tests/xnm.sha256 $(O)/armv7/tests/xnm.sha256 && \
		echo "== armv7 extracts the same .xnm bytes as $(TRIPLET)"
else
test: test-host
endif

$(O)/bench/%.o: private INC := $(INC_XR)
$(O)/bench/%.o: bench/%.c
	$(say) CC $<
	$(Q)mkdir -p $(@D) && $(CC) $(ALL_CFLAGS) $(BENCH_CFLAGS) -c $< -o $@
$(BENCH_BIN): $(O)/bench/kernels.o $(O)/bench/kernels-qs8.o $(O)/bench/timing.o $(LIBXK)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ $(BENCH_LIBS) $(LDLIBS) -o $@
$(BENCH_MODELS): $(O)/bench/models.o $(O)/bench/timing.o $(LIBS)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) $^ $(BENCH_LIBS) $(LDLIBS) -o $@

# runtime-size: what libxnnrt adds to a static app (rt-size-app minus
# rt-size-empty, both stripped), for x86_64, aarch64 and armv7.
RT_SIZE := $(O)/bench/rt-size-app $(O)/bench/rt-size-empty
$(O)/bench/rt-size-app: $(O)/bench/rt-size-app.o $(LIBXR) $(LIBS)
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -static $^ $(LDLIBS) -o $@
$(O)/bench/rt-size-empty: $(O)/bench/rt-size-empty.o
	$(say) LD $@
	$(Q)$(CC) $(LDFLAGS) -static $^ -o $@
rt-size-bins: $(RT_SIZE)
runtime-size: $(RT_SIZE) | deps
	$(Q)$(MAKE) --no-print-directory CROSS=aarch64-linux-gnu- O=$(O)/aarch64 NODEPS=1 rt-size-bins
	$(Q)$(MAKE) --no-print-directory CROSS=arm-linux-gnueabihf- O=$(O)/armv7 NODEPS=1 rt-size-bins
	$(Q)for t in "x86_64 $(O) " "aarch64 $(O)/aarch64 aarch64-linux-gnu-" \
		"armv7 $(O)/armv7 arm-linux-gnueabihf-"; do set -- $$t; \
		for b in app empty; do $${3}strip -o $$2/bench/rt-size-$$b.stripped $$2/bench/rt-size-$$b; done; \
		a=$$(stat -c %s $$2/bench/rt-size-app.stripped); e=$$(stat -c %s $$2/bench/rt-size-empty.stripped); \
		printf 'libxnnrt in a static app, stripped, %-8s %7d bytes (%d KB; app %d - empty %d)\n' \
			$$1 $$((a - e)) $$(((a - e) / 1024)) $$a $$e; done

# bench: the kernels (bench-anchors) and the end-to-end sub-nets (bench-models).
bench: bench-anchors bench-models
bench-anchors: $(BENCH_BIN)
	$(BENCH_BIN) $(BENCH_ARGS)
bench-models: $(BENCH_MODELS) $(DATA_FILES)
	$(BENCH_MODELS) --data $(DATA) $(BENCH_ARGS)

# The main job: sweep every device found into fleet.db (FLEET_ARGS adds
# options, e.g. FLEET_ARGS=--resume), then tiers and a sub-net per tier into
# fleet-manifest/ (SELECT_ARGS, e.g. SELECT_ARGS="--budget 'p90<=60ms'"), checked,
# and the HTML report in reports/out/.
# A sweep that could not reach every device still leaves the rest in the DB.
fleet: all agents data
	$(Q)FLEET_ARGS="$(FLEET_ARGS)" SELECT_ARGS="$(SELECT_ARGS)" scripts/fleet.sh $(XNN_FLEET)

clean:
	rm -rf $(O)

.SECONDARY:

-include $(shell find $(O) -name '*.d' 2>/dev/null)
