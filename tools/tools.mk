# tools/tools.mk - tools/ targets. Two owners, two blocks: keep each block
# to itself.

# ---- benchmarks & CPUs (bench helper) ----------------------------------
# tools/cpu_report: CPU model, ISAs detected and why (cpuid/xgetbv bits),
# the kernel table chosen, caches, block sizes, measured FMA peak.
# tools/compare_bench (Python 3): two benchmark JSON files -> Markdown.
.PHONY: cpu-report
all: $(BUILD)/cpu_report

$(BUILD)/cpu_report: tools/cpu_report.c bench/peak.h nn.h | $(BUILD)
	$(CC) $(CSTD) $(OPT) $(WARN) $(WERROR) -fopenmp $< -o $@ $(LDLIBS)

cpu-report: $(BUILD)/cpu_report
	$(BUILD)/cpu_report
# ---- end of the benchmarks & CPUs block ---------------------------------
