/* tests/fuzz_model.c - libFuzzer target for the loaders of nn.h: the model
 * file loader (as given, and with the CRC-32 recomputed so that mutations
 * reach the field checks behind it) and the IDX reader.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz_model.c \
 *         -o build/fuzz_model -lm
 *   build/fuzz_model -max_total_time=60 [corpus-dir]
 *
 * A good seed corpus: any saved model (out/demo-mnist.nnm) and a small one
 * from tests/test_model.c. Not a tests/test_*.c program: it needs clang's
 * libFuzzer and runs for as long as it is told. */
#define NN_IMPLEMENTATION
#include "nn.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nn_net *net = NULL;
    nn_model_info info;
    nn_idx idx;
    unsigned char *copy;
    if (nn_model_load_mem(data, size, &net, &info) == NN_OK) nn_net_free(net);
    if (size >= 4) {
        uint32_t crc;
        copy = (unsigned char *)malloc(size);
        if (!copy) return 0;
        memcpy(copy, data, size);
        crc = nn_crc32(0, copy, size - 4);
        copy[size - 4] = (unsigned char)crc;
        copy[size - 3] = (unsigned char)(crc >> 8);
        copy[size - 2] = (unsigned char)(crc >> 16);
        copy[size - 1] = (unsigned char)(crc >> 24);
        net = NULL;
        if (nn_model_load_mem(copy, size, &net, &info) == NN_OK) {
            size_t n, i;
            const float *p = nn_net_params_const(net, &n);
            for (i = 0; i < n; i++)     /* the loader promises finite values */
                if (!(p[i] - p[i] == 0.0f)) abort();
            nn_net_free(net);
        }
        free(copy);
    }
    if (nn_idx_load_mem(data, size, &idx) == NN_OK) nn_idx_free(&idx);
    return 0;
}
