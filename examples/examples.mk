# examples/examples.mk - every example is built by `make`; `make demo` runs the
# demo (fetching the data first when it is missing). Outputs (SVG, models) go
# to out/.
EXAMPLES := logic_gates perceptron cosine_denoise digits textbook demo
EXAMPLE_BINS := $(addprefix $(BUILD)/,$(EXAMPLES))
EX_CFLAGS := $(CSTD) $(OPT) $(WARN) $(WERROR)

$(BUILD)/ex_common.o: examples/common.c examples/common.h nn.h | $(BUILD)
	$(CC) $(EX_CFLAGS) -c -o $@ examples/common.c

$(EXAMPLE_BINS): $(BUILD)/%: examples/%.c examples/common.h $(BUILD)/ex_common.o nn.h | $(BUILD)
	$(CC) $(EX_CFLAGS) -o $@ examples/$*.c $(BUILD)/ex_common.o $(LDLIBS)

all: $(EXAMPLE_BINS)

# The README's main command: MNIST digits (>= 96% test accuracy); DEMO_ARGS
# picks another set, e.g. `make demo DEMO_ARGS=fashion`.
DEMO_ARGS ?= mnist
.PHONY: demo demo-fashion examples-run
demo: $(BUILD)/demo data
	./$(BUILD)/demo $(DEMO_ARGS)

demo-fashion: $(BUILD)/demo data
	./$(BUILD)/demo fashion

# Run the examples that need no data (quick smoke run).
examples-run: $(BUILD)/logic_gates $(BUILD)/perceptron $(BUILD)/cosine_denoise
	./$(BUILD)/logic_gates && ./$(BUILD)/perceptron && ./$(BUILD)/cosine_denoise
