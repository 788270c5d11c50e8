/* Exhaustive accuracy check of nn.h's element-wise functions: every float
 * (2^32 inputs; the derivative factors: every float y in their domain),
 * each ISA the CPU runs, against double-precision libm. Prints the maximum
 * error in ulp per function and ISA, where it occurs, and any mismatch in
 * special values (NaN, +-inf, sign of zero). Not part of `make test` (it
 * takes minutes); run `make test-exhaustive`.
 *
 * Usage: exhaustive_act [function...]   (default: all)
 * NN_TEST_QUICK=1 checks every 257th float only (for emulators);
 * NN_ISAS=scalar,avx512 limits the ISAs.
 *
 * The ulp measure and the references are in tests/act_ref.h. */
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "act_ref.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

typedef enum { F_EXP, F_LOG, F_SIGMOID, F_TANH, F_SOFTPLUS, F_SIGMOID_D,
               F_TANH_D, F_SOFTPLUS_D, F_COUNT } fn_id;
static const char *fn_name[F_COUNT] = { "exp", "log", "sigmoid", "tanh",
    "softplus", "sigmoid'", "tanh'", "softplus'" };
/* the contract's bound for the SIMD kernels (the scalar table is libm's,
 * listed for comparison only) */
static const double fn_bound[F_COUNT] = { AR_ULP_EXP, AR_ULP_LOG, AR_ULP_SIGMOID,
    AR_ULP_TANH, AR_ULP_SOFTPLUS, AR_ULP_DERIV, AR_ULP_DERIV, AR_ULP_DERIV };

static double ref(fn_id f, float xf)
{
    double x = xf;
    switch (f) {
    case F_EXP: return exp(x);
    case F_LOG: return log(x);
    case F_SIGMOID: return ar_sigmoid(x);
    case F_TANH: return tanh(x);
    case F_SOFTPLUS: return ar_softplus(x);
    case F_SIGMOID_D: return ar_sigmoid_dy(x);
    case F_TANH_D: return ar_tanh_dy(x);
    case F_SOFTPLUS_D: return ar_softplus_dy(x);
    default: return 0;
    }
}
/* the useful domain over which the maximum is reported */
static int in_domain(fn_id f, float x)
{
    if (x != x) return 1;
    switch (f) {
    case F_LOG: return x >= 0.0f;
    case F_SIGMOID_D: return x >= 0.0f && x <= 1.0f;
    case F_TANH_D: return x >= -1.0f && x <= 1.0f;
    case F_SOFTPLUS_D: return x >= 0.0f;
    default: return 1;
    }
}
static void run(const nn_kernels *k, fn_id f, size_t n, const float *x, float *y,
                const float *ones)
{
    switch (f) {
    case F_EXP: k->exp(n, x, y); break;
    case F_LOG: k->log(n, x, y); break;
    case F_SIGMOID: k->act_fwd[NN_ACT_SIGMOID](n, x, y); break;
    case F_TANH: k->act_fwd[NN_ACT_TANH](n, x, y); break;
    case F_SOFTPLUS: k->act_fwd[NN_ACT_SOFTPLUS](n, x, y); break;
    case F_SIGMOID_D: k->act_bwd[NN_ACT_SIGMOID](n, x, ones, y); break;
    case F_TANH_D: k->act_bwd[NN_ACT_TANH](n, x, ones, y); break;
    case F_SOFTPLUS_D: k->act_bwd[NN_ACT_SOFTPLUS](n, x, ones, y); break;
    default: break;
    }
}

typedef struct { double max; float at; long special; float sp_at; } stat;

#define BLOCK 65536
int main(int argc, char **argv)
{
    int want[F_COUNT], f, i, nisa = 0, failed = 0;
    nn_isa isas[NN_ISA_COUNT];
    const char *q = getenv("NN_TEST_QUICK");
    uint64_t stride = (q && *q && *q != '0') ? 257 : 1;
    for (f = 0; f < F_COUNT; f++) want[f] = argc < 2;
    for (i = 1; i < argc; i++)
        for (f = 0; f < F_COUNT; f++)
            if (strcmp(argv[i], fn_name[f]) == 0) want[f] = 1;
    for (i = NN_ISA_SCALAR; i < NN_ISA_COUNT; i++)  /* NN_ISAS=avx2,avx512 picks */
        if (nn_kernels_for((nn_isa)i) &&
            (!getenv("NN_ISAS") || strstr(getenv("NN_ISAS"), nn_isa_name((nn_isa)i))))
            isas[nisa++] = (nn_isa)i;
    printf("%-10s %-7s %10s %16s %10s\n", "function", "isa", "max ulp", "at x",
           "specials");
    fflush(stdout);
    for (f = 0; f < F_COUNT; f++) {
        stat st[NN_ISA_COUNT];
        uint64_t nblocks = ((uint64_t)1 << 32) / BLOCK;
        if (!want[f]) continue;
        memset(st, 0, sizeof st);
#pragma omp parallel
        {
            float *x = (float *)malloc(3 * BLOCK * sizeof(float)), *y = x + BLOCK,
                  *ones = y + BLOCK;
            double *r = (double *)malloc(BLOCK * sizeof(double));
            stat loc[NN_ISA_COUNT];
            long bb;
            int s, jj;
            memset(loc, 0, sizeof loc);
            for (jj = 0; jj < BLOCK; jj++) ones[jj] = 1.0f;
#pragma omp for schedule(dynamic, 16)
            for (bb = 0; bb < (long)nblocks; bb++) {
                size_t n = 0, j;
                uint64_t b;
                for (b = (uint64_t)bb * BLOCK; b < ((uint64_t)bb + 1) * BLOCK; b += stride) {
                    uint32_t u = (uint32_t)b;
                    float v;
                    memcpy(&v, &u, 4);
                    if (!in_domain((fn_id)f, v)) continue;
                    x[n] = v; r[n] = ref((fn_id)f, v); n++;
                }
                for (s = 0; s < nisa; s++) {
                    stat *t = &loc[s];
                    run(nn_kernels_for(isas[s]), (fn_id)f, n, x, y, ones);
                    for (j = 0; j < n; j++) {
                        double e = ar_ulp_err(y[j], r[j]);
                        if (e > t->max) { t->max = e; t->at = x[j]; }
                        if (ar_special_mismatch(y[j], r[j])) {
                            if (!t->special) t->sp_at = x[j];
                            if (getenv("NN_DEBUG")) printf("special %s %s x=%a got=%a ref=%a\n", fn_name[f], nn_isa_name(isas[s]), x[j], y[j], r[j]);
                            t->special++;
                        }
                    }
                }
            }
#pragma omp critical
            for (s = 0; s < nisa; s++) {
                stat *t = &st[s], *l = &loc[s];
                if (l->max > t->max) { t->max = l->max; t->at = l->at; }
                if (l->special && !t->special) t->sp_at = l->sp_at;
                t->special += l->special;
            }
            free(x); free(r);
        }
        for (i = 0; i < nisa; i++) {
            stat *t = &st[i];
            /* a special-value mismatch fails every ISA (libm included);
             * the ulp bound applies to the SIMD kernels */
            int over = isas[i] != NN_ISA_SCALAR && !(t->max <= fn_bound[f]);
            int bad = over || t->special != 0;
            failed |= bad;
            printf("%-10s %-7s %10.3f %16.9g %10ld %s", fn_name[f], nn_isa_name(isas[i]),
                   t->max, t->at, t->special,
                   t->special ? "  SPECIAL VALUE MISMATCH" : over ? "  OVER BOUND" :
                   isas[i] == NN_ISA_SCALAR ? "  (libm)" : "  ok");
            if (t->special) printf("  (first at %.9g)", t->sp_at);
            printf("\n");
            fflush(stdout);
        }
    }
    printf("%s\n", failed ? "exhaustive: some function is over its bound or mismatches a special value" :
           "exhaustive: every SIMD function within its bound, special values as the reference");
    return failed;
}
