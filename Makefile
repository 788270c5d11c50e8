# nn.h — every entry point. `make` builds everything; `make test` runs the
# whole suite (C and C++ builds with gcc and clang, sanitizers, NEON under
# qemu-aarch64, real dispatch under qemu-x86_64 CPU models); `make demo`
# trains the digit classifier; `make bench` measures.
#
# Each directory owns a fragment: tests/tests.mk, bench/bench.mk,
# examples/examples.mk, tools/tools.mk.

# Parallel by default: one job per CPU (the suite builds ~70 programs).
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)

CC      ?= cc
CXX     ?= c++
CLANG   ?= clang
CLANGXX ?= clang++
OPT     ?= -O2 -g
WARN    := -Wall -Wextra -pedantic
WERROR  ?= -Werror
CSTD    := -std=c99
CXXSTD  := -std=c++11
BUILD   := build
LDLIBS  := -lm

.PHONY: all test demo bench bench-full clean
all:

-include tests/tests.mk
-include tests/act.mk
-include examples/examples.mk
-include bench/bench.mk
-include tools/tools.mk

# The test command also builds everything `make` builds (examples, tools),
# warnings as errors, so nothing rots unbuilt.
test: all

$(BUILD):
	mkdir -p $(BUILD)

clean:
	rm -rf $(BUILD)
