# tests/tests.mk - the test suite (included by the top Makefile).
#
#   make test         everything: builds every tests/test_*.c with gcc, g++,
#                     clang and clang++ (C99 / C++11, $(WARN) $(WERROR)), runs
#                     the gcc build natively (every ISA the CPU has), under
#                     ASan+UBSan, on aarch64 under qemu-aarch64 (NEON), and
#                     under qemu-x86_64 -cpu max (AVX2, no AVX-512) and
#                     -cpu Nehalem (no AVX: scalar), and an OpenMP build
#                     with 2 threads; one final line
#                     "N passed, N failed" over all runs (tests/run.sh).
#   make test-quick   the native gcc build only.
#
# Every program tests/test_*.c joins automatically. Runs write logs under
# $(BUILD)/tests/logs/<mode>/<test>.log; tests/run.sh clears them, runs
# `make -k test-logs` (parallel with -j) and adds them up.

TEST_SRCS  := $(wildcard tests/test_*.c)
TEST_NAMES := $(basename $(notdir $(TEST_SRCS)))
TEST_DEPS  := nn.h tests/harness.h tests/ref.h tests/act_ref.h
TB         := $(BUILD)/tests

TEST_A64CC   ?= aarch64-linux-gnu-gcc
QEMU_A64     ?= qemu-aarch64
QEMU_X86     ?= qemu-x86_64
TEST_TIMEOUT ?= 400
TEST_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer

# build variants -> compiler command (source file is appended)
TEST_VARIANTS := gcc gxx clang clangxx asan a64 omp
test_cc_gcc     = $(CC) $(CSTD) $(OPT) $(WARN) $(WERROR)
test_cc_gxx     = $(CXX) -x c++ $(CXXSTD) $(OPT) $(WARN) $(WERROR)
test_cc_clang   = $(CLANG) $(CSTD) $(OPT) $(WARN) $(WERROR)
test_cc_clangxx = $(CLANGXX) -x c++ $(CXXSTD) $(OPT) $(WARN) $(WERROR)
test_cc_asan    = $(CC) $(CSTD) -O1 -g $(TEST_SAN) $(WARN) $(WERROR)
test_cc_a64     = $(TEST_A64CC) $(CSTD) $(OPT) -fopenmp -static $(WARN) $(WERROR)
test_cc_omp     = $(CC) -std=gnu99 $(OPT) -fopenmp $(WARN) $(WERROR)

# run modes -> (binary variant, command prefix, environment)
#   native : gcc build, every ISA the CPU supports
#   asan   : sanitizer build, natively
#   a64    : aarch64 static -fopenmp build under qemu-aarch64 (NEON, 2 threads:
#            threaded GEMM and the data-parallel step on NEON too)
#   qmax   : gcc build under qemu-x86_64 -cpu max (auto must pick avx2)
#   qnhm   : gcc build under qemu-x86_64 -cpu Nehalem (auto must pick scalar)
#   gxx, clang, clangxx: the other compilers' builds, natively, quick sizes
#   isaenv : gcc build natively with NN_ISA=scalar (the override must win)
#   omp    : gcc -fopenmp build with 2 threads (threaded GEMM; test_step also
#            compares 1 and 2 threads bit for bit), in GNU C mode: gcc's
#            default there, -ffp-contract=fast, fuses a * b + c into fmas
#            wherever it likes, as in a user's plain `cc -O2 -fopenmp`
TEST_MODES := native asan a64 qmax qnhm gxx clang clangxx omp isaenv
test_bin_native = gcc
test_bin_asan   = asan
test_bin_a64    = a64
test_bin_qmax   = gcc
test_bin_qnhm   = gcc
test_bin_gxx    = gxx
test_bin_clang  = clang
test_bin_clangxx = clangxx
test_bin_omp    = omp
test_bin_isaenv = gcc
test_env_native =
test_env_asan   = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
test_env_a64    = NN_TEST_QUICK=1 OMP_NUM_THREADS=2
test_env_qmax   = NN_TEST_QUICK=1
test_env_qnhm   = NN_TEST_QUICK=1
test_env_gxx    = NN_TEST_QUICK=1
test_env_clang  = NN_TEST_QUICK=1
test_env_clangxx = NN_TEST_QUICK=1
test_env_omp    = OMP_NUM_THREADS=2
test_env_isaenv = NN_TEST_QUICK=1 NN_ISA=scalar
test_pre_native =
test_pre_asan   =
test_pre_a64    = $(QEMU_A64)
test_pre_qmax   = $(QEMU_X86) -cpu max
test_pre_qnhm   = $(QEMU_X86) -cpu Nehalem
test_pre_gxx    =
test_pre_clang  =
test_pre_clangxx =
test_pre_omp    =
test_pre_isaenv =

TEST_BINS := $(foreach v,$(TEST_VARIANTS),$(addprefix $(TB)/$(v)/,$(TEST_NAMES)))
TEST_LOGS := $(foreach m,$(TEST_MODES),$(addprefix $(TB)/logs/$(m)/,$(addsuffix .log,$(TEST_NAMES))))

.PHONY: test test-quick test-build test-logs
# `make` builds the test programs with the four host compilers; the ASan,
# aarch64 and OpenMP builds are made by `make test` / `make test-build`.
all: $(foreach v,gcc gxx clang clangxx,$(addprefix $(TB)/$(v)/,$(TEST_NAMES)))

test-build: $(TEST_BINS)

define TEST_BUILD_RULE
$(TB)/$(1)/%: tests/%.c $(TEST_DEPS)
	@mkdir -p $$(@D)
	$$(test_cc_$(1)) -I. -o $$@ $$< $(LDLIBS)
endef
$(foreach v,$(TEST_VARIANTS),$(eval $(call TEST_BUILD_RULE,$(v))))

# A run never fails the make: its log gets the program's output and then a
# line "exit: N"; tests/run.sh judges. A missing log = a build that failed.
define TEST_RUN_RULE
$(TB)/logs/$(1)/%.log: $(TB)/$(test_bin_$(1))/%
	@mkdir -p $$(@D)
	@echo "run  $(1) $$*"
	@t0=$$$$(date +%s); \
	 env $(test_env_$(1)) timeout $(TEST_TIMEOUT) $(test_pre_$(1)) $$< > $$@.tmp 2>&1; \
	 echo "exit: $$$$?" >> $$@.tmp; echo "seconds: $$$$(( $$$$(date +%s) - t0 ))" >> $$@.tmp; \
	 mv $$@.tmp $$@
endef
$(foreach m,$(TEST_MODES),$(eval $(call TEST_RUN_RULE,$(m))))

test-logs: $(TEST_LOGS)

test:
	@MAKE="$(MAKE)" TB="$(TB)" TEST_MODES="$(TEST_MODES)" \
	 TEST_NAMES="$(TEST_NAMES)" TEST_VARIANTS="$(TEST_VARIANTS)" sh tests/run.sh

test-quick:
	@MAKE="$(MAKE)" TB="$(TB)" TEST_MODES="native" TEST_NAMES="$(TEST_NAMES)" \
	 TEST_VARIANTS="gcc" sh tests/run.sh
