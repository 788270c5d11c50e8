# bench/bench.mk - `make bench` (quick subset, < 3 min) and `make bench-full`.
# Google Benchmark through a C shim (bench/shim.h, bench/shim.cc); the
# benchmarks are C. GEMM peers (OpenBLAS, BLIS) are dlopen'ed at run time
# when installed; the activation peers, glibc libmvec and SLEEF
# (bench/act_peers.c), are linked: -lmvec -lsleef (libsleef-dev). Each target runs nn_bench twice: peers as a user gets them
# (auto-detected kernels), then forced to their best kernels for this CPU
# (OPENBLAS_CORETYPE / BLIS_ARCH_TYPE are read once per process). Output:
# $(BUILD)/bench/<quick|full>.json, <...>-forced.json and <...>.md (table).

NNB_DIR      := $(BUILD)/bench
NNB_BIN      := $(NNB_DIR)/nn_bench
NNB_CSRC     := bench/bench_main.c bench/bench_common.c bench/bench_gemm.c \
                bench/bench_act.c bench/bench_net.c bench/act_peers.c
NNB_OBJ      := $(patsubst bench/%.c,$(NNB_DIR)/%.o,$(NNB_CSRC)) \
                $(NNB_DIR)/nn_impl.o $(NNB_DIR)/shim.o
NNB_HDR      := bench/bench.h bench/shim.h bench/peak.h bench/act_peers.h nn.h
# Google Benchmark: pkg-config, else the header where Debian puts it.
NNB_GBENCH   := $(shell pkg-config --exists benchmark 2>/dev/null && echo pkg || \
                  (test -f /usr/include/benchmark/benchmark.h && echo hdr))
NNB_GB_CFLAGS := $(if $(filter pkg,$(NNB_GBENCH)),$(shell pkg-config --cflags benchmark))
NNB_GB_LIBS  := $(if $(filter pkg,$(NNB_GBENCH)),$(shell pkg-config --libs benchmark),-lbenchmark)
NNB_CFLAGS   := $(CSTD) $(OPT) $(WARN) $(WERROR) -fopenmp
NNB_PEER_LIBS := -lsleef -lmvec
NNB_LIBS     := $(NNB_GB_LIBS) $(NNB_PEER_LIBS) -lpthread -ldl $(LDLIBS)
NNB_MIN_TIME ?= 0.1
# Extra nn_bench flags, e.g. NNB_FLAGS=--benchmark_repetitions=3 (the tables
# then take the best repetition, the least disturbed by other processes).
NNB_FLAGS    ?=
# tools/compare_bench flags for the table, e.g. NNB_TABLE_FLAGS="--cpu-time
# --threads 1" on a machine shared with other jobs.
NNB_TABLE_FLAGS ?=
NNB_RUN       = $(NNB_BIN) --benchmark_min_time=$(NNB_MIN_TIME) --benchmark_out_format=json $(NNB_FLAGS)

.PHONY: bench-build bench-check-deps bench-quick-run bench-full-run bench-act-ulp
bench: bench-quick-run
bench-full: bench-full-run

# Checked when the target runs (not when make parses), so an install here
# serves this same run; Debian's headers need no extra flags. libmvec's
# tanhf (glibc >= 2.35) by linking a reference to it.
NNB_MVEC_PROBE = printf 'void _ZGVdN8v_tanhf(void); void (*volatile p)(void) = _ZGVdN8v_tanhf; int main(void) { return p == 0; }' | \
                 $(CC) -x c - -o /dev/null -lmvec 2>/dev/null
NNB_HAVE_LIBS = { pkg-config --exists benchmark 2>/dev/null || test -f /usr/include/benchmark/benchmark.h; } && \
                pkg-config --exists sleef 2>/dev/null && { $(NNB_MVEC_PROBE); }
bench-check-deps:
	@if ! { $(NNB_HAVE_LIBS); } && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "bench: installing Google Benchmark and SLEEF (libbenchmark-dev libsleef-dev)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libbenchmark-dev libsleef-dev pkg-config || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libbenchmark-dev libsleef-dev pkg-config; }; fi
	@if ! { $(NNB_HAVE_LIBS); }; then \
	  echo "make bench needs Google Benchmark (C++ library, >= 1.6) and SLEEF 3.5"; \
	  echo "(and glibc >= 2.35 for libmvec's tanhf)."; \
	  echo "  Debian/Ubuntu: sudo apt-get install libbenchmark-dev libsleef-dev pkg-config"; \
	  echo "  Fedora:        sudo dnf install google-benchmark-devel sleef-devel"; \
	  echo "Optional peers measured when present: libopenblas0-pthread libblis4-openmp"; \
	  exit 1; fi

bench-build: bench-check-deps $(NNB_BIN)

# `make` (and so `make test`) builds the benchmark tree too when its
# libraries are installed, so it cannot rot between `make bench` runs.
NNB_DEPS_OK := $(shell { $(NNB_HAVE_LIBS); } 2>/dev/null && echo yes)
all: $(if $(NNB_DEPS_OK),$(NNB_BIN) $(NNB_DIR)/act_peers_ulp)

$(NNB_DIR):
	mkdir -p $@

$(NNB_DIR)/%.o: bench/%.c $(NNB_HDR) | $(NNB_DIR)
	$(CC) $(NNB_CFLAGS) -c $< -o $@

$(NNB_DIR)/shim.o: bench/shim.cc bench/shim.h | $(NNB_DIR)
	$(CXX) $(CXXSTD) $(OPT) $(WARN) $(WERROR) $(NNB_GB_CFLAGS) -c $< -o $@

$(NNB_BIN): $(NNB_OBJ)
	$(CXX) -fopenmp $(NNB_OBJ) -o $@ $(NNB_LIBS)

# $(1): quick|full, $(2): nn_bench flags selecting the set.
define NNB_RUN_SET
	$(NNB_RUN) $(2) --peers=auto --benchmark_out=$(NNB_DIR)/$(1).json
	$(NNB_RUN) $(2) --peers=forced --isas=best --only=gemm \
	  --benchmark_out=$(NNB_DIR)/$(1)-forced.json
	@if command -v python3 >/dev/null; then \
	  python3 tools/compare_bench $(NNB_TABLE_FLAGS) --summary $(NNB_DIR)/$(1).json $(NNB_DIR)/$(1)-forced.json \
	    > $(NNB_DIR)/$(1).md && cat $(NNB_DIR)/$(1).md && \
	  echo "wrote $(NNB_DIR)/$(1).json $(NNB_DIR)/$(1)-forced.json $(NNB_DIR)/$(1).md"; \
	else echo "python3 not found: JSON in $(NNB_DIR), no table"; fi
endef

# Peers' max ulp over every float (exp, tanh, sigmoid) beside nn.h's SIMD
# kernels, the measure of `make test-exhaustive`; minutes (timed on 2
# threads; OpenMP's default count).
$(NNB_DIR)/act_peers_ulp: bench/act_peers_ulp.c bench/act_peers.c bench/act_peers.h \
                          tests/act_ref.h nn.h | $(NNB_DIR)
	$(CC) $(NNB_CFLAGS) bench/act_peers_ulp.c bench/act_peers.c \
	  -o $@ $(NNB_PEER_LIBS) $(LDLIBS)

bench-act-ulp: bench-check-deps $(NNB_DIR)/act_peers_ulp
	$(NNB_DIR)/act_peers_ulp

bench-quick-run: bench-build
	$(call NNB_RUN_SET,quick,--quick)

bench-full-run: bench-build
	$(call NNB_RUN_SET,full,)
