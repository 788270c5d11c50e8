/* bench/nn_impl.c - the one translation unit of the benchmarks that
 * compiles nn.h's implementation, plus what needs its internals. */
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "bench.h"

int nnb_kernel_fields(nn_isa isa, const char **name, int *mr, int *nr,
                      int *mc, int *kc, int *nc)
{
    const nn_kernels *k = nn_kernels_for(isa);
    if (!k) return 0;
    *name = k->name;
    *mr = k->mr; *nr = k->nr;
    *mc = k->mc; *kc = k->kc; *nc = k->nc;
    return 1;
}

/* The table's vector exp (internal: nn.h has no public exp entry point). */
nnb_vec_fn nnb_exp_fn(nn_isa isa)
{
    const nn_kernels *k = nn_kernels_for(isa);
    return k ? k->exp : NULL;
}
