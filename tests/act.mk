# tests/act.mk - element-wise kernels: the exhaustive accuracy checker
# (included by the top Makefile; tests/test_act_simd.c itself joins
# `make test` through tests/tests.mk like every tests/test_*.c).
#
#   make test-exhaustive       every float through exp, log, sigmoid, tanh,
#                              softplus and the derivative factors, on every
#                              x86 ISA the CPU runs; prints the maximum ulp per
#                              function and ISA, fails if a SIMD kernel is over
#                              the bound nn.h's accuracy contract states.
#                              Minutes (2 threads: ~20); not in `make test`.
#   make test-exhaustive-neon  the same for NEON under qemu-aarch64, every
#                              257th float (an exhaustive run is hours there).

EXH_A64CC ?= aarch64-linux-gnu-gcc
EXH_QEMU  ?= qemu-aarch64

.PHONY: test-exhaustive test-exhaustive-neon

$(BUILD)/exhaustive_act: tests/exhaustive_act.c tests/act_ref.h nn.h | $(BUILD)
	$(CC) $(CSTD) -O2 -fopenmp $(WARN) $(WERROR) $< -o $@ $(LDLIBS)

$(BUILD)/exhaustive_act_a64: tests/exhaustive_act.c tests/act_ref.h nn.h | $(BUILD)
	$(EXH_A64CC) $(CSTD) -O2 -static $(WARN) $(WERROR) -Wno-unknown-pragmas $< -o $@ $(LDLIBS)

test-exhaustive: $(BUILD)/exhaustive_act
	$(BUILD)/exhaustive_act

test-exhaustive-neon: $(BUILD)/exhaustive_act_a64
	NN_TEST_QUICK=1 NN_ISAS=scalar,neon $(EXH_QEMU) $(BUILD)/exhaustive_act_a64
