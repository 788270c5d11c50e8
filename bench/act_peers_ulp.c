/* bench/act_peers_ulp.c - maximum ulp error of the benchmark's peers
 * (glibc libmvec, SLEEF 3.5 u10; bench/act_peers.c) over every float, next
 * to nn.h's SIMD kernels in the same run, with the same measure and
 * double-precision references as `make test-exhaustive`
 * (tests/act_ref.h): exp, tanh, and sigmoid (each peer's as
 * 1 / (1 + exp(-x)) in float). Also the maximum over normal results only
 * (a denormal result's ulp is 2^-149). Not a test (no bound, peers are not ours):
 * `make bench-act-ulp` prints one row per function and implementation.
 *
 * Usage: act_peers_ulp [exp|tanh|sigmoid ...]   (default: all three)
 * NN_TEST_QUICK=1: every 257th float only. */
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "../tests/act_ref.h"
#include "act_peers.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_EXP, F_TANH, F_SIGMOID, F_COUNT };
static const char *const fn_name[F_COUNT] = { "exp", "tanh", "sigmoid" };
#define MAX_IMPL 8
#define BLOCK 65536

typedef struct impl { char name[24]; nnb_vec_fn fn[F_COUNT]; } impl;
/* max: over every float; max_n: where the reference is a normal float
 * (|v| >= 2^-126: without the denormal results that 1/(1 + exp(-x))
 * flushes to 0 once exp(-x) overflows, x < -88.72) */
typedef struct stat { double max, max_n; float at; long special; } stat;

static double ref(int f, double x)
{
    return f == F_EXP ? exp(x) : f == F_TANH ? tanh(x) : ar_sigmoid(x);
}

int main(int argc, char **argv)
{
    static const nn_isa nn_isas[2] = { NN_ISA_AVX512, NN_ISA_AVX2 };
    const nnb_act_peer *peers[4];
    impl im[MAX_IMPL];
    int n_im = 0, n_peer, f, i, want[F_COUNT];
    const char *q = getenv("NN_TEST_QUICK");
    uint64_t stride = (q && *q && *q != '0') ? 257 : 1;
    for (i = 0; i < 2; i++) {
        const nn_kernels *k = nn_kernels_for(nn_isas[i]);
        if (!k) continue;
        snprintf(im[n_im].name, sizeof im[n_im].name, "nn-%s", nn_isa_name(nn_isas[i]));
        im[n_im].fn[F_EXP] = k->exp;
        im[n_im].fn[F_TANH] = k->act_fwd[NN_ACT_TANH];
        im[n_im].fn[F_SIGMOID] = k->act_fwd[NN_ACT_SIGMOID];
        n_im++;
    }
    n_peer = nnb_act_peers(peers);
    for (i = 0; i < n_peer; i++) {
        snprintf(im[n_im].name, sizeof im[n_im].name, "%s", peers[i]->name);
        im[n_im].fn[F_EXP] = peers[i]->exp;
        im[n_im].fn[F_TANH] = peers[i]->tanh;
        im[n_im].fn[F_SIGMOID] = peers[i]->sigmoid;
        n_im++;
    }
    for (f = 0; f < F_COUNT; f++) {
        want[f] = argc < 2;
        for (i = 1; i < argc; i++) want[f] |= strcmp(argv[i], fn_name[f]) == 0;
    }
    printf("%-8s %-13s %9s %16s %14s %9s\n", "function", "impl", "max ulp", "at x",
           "normal results", "specials");
    fflush(stdout);
    for (f = 0; f < F_COUNT; f++) {
        stat st[MAX_IMPL];
        long nblocks = (long)(((uint64_t)1 << 32) / BLOCK);
        if (!want[f]) continue;
        memset(st, 0, sizeof st);
#pragma omp parallel
        {
            float *x = (float *)malloc(2 * BLOCK * sizeof(float)), *y = x + BLOCK;
            double *r = (double *)malloc(BLOCK * sizeof(double));
            stat loc[MAX_IMPL];
            long bb;
            int s;
            memset(loc, 0, sizeof loc);
#pragma omp for schedule(dynamic, 16)
            for (bb = 0; bb < nblocks; bb++) {
                size_t n = 0, j;
                uint64_t b;
                for (b = (uint64_t)bb * BLOCK; b < ((uint64_t)bb + 1) * BLOCK; b += stride) {
                    uint32_t u = (uint32_t)b;
                    memcpy(&x[n], &u, 4);
                    r[n] = ref(f, x[n]);
                    n++;
                }
                for (s = 0; s < n_im; s++) {
                    stat *t = &loc[s];
                    im[s].fn[f](n, x, y);
                    for (j = 0; j < n; j++) {
                        double e = ar_ulp_err(y[j], r[j]);
                        if (e > t->max) { t->max = e; t->at = x[j]; }
                        if (fabs(r[j]) >= 0x1p-126 && e > t->max_n) t->max_n = e;
                        if (ar_special_mismatch(y[j], r[j])) t->special++;
                    }
                }
            }
#pragma omp critical
            for (s = 0; s < n_im; s++) {
                if (loc[s].max > st[s].max) { st[s].max = loc[s].max; st[s].at = loc[s].at; }
                if (loc[s].max_n > st[s].max_n) st[s].max_n = loc[s].max_n;
                st[s].special += loc[s].special;
            }
            free(x); free(r);
        }
        for (i = 0; i < n_im; i++)
            printf("%-8s %-13s %9.3f %16.9g %14.3f %9ld\n", fn_name[f], im[i].name, st[i].max,
                   st[i].at, st[i].max_n, st[i].special);
        fflush(stdout);
    }
    return 0;
}
