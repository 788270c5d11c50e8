/* tests/harness.h - tiny test harness for the nn.h test programs.
 *
 * Include after nn.h (declarations). Every check counts one pass or one
 * fail; th_finish() prints the final line "N passed, N failed" and returns
 * the exit code (non-zero on any failure). The first TH_MAX_PRINT failures
 * are printed with file, line and the ISA that was active.
 *
 *   th_for_each_isa(fn)  runs fn() once per ISA the CPU supports (scalar,
 *                        avx2, avx512, neon), selected with nn_isa_set, and
 *                        restores automatic dispatch afterwards.
 *   th_quick()           1 when NN_TEST_QUICK=1 (emulated runs: smaller
 *                        sizes and fewer iterations).
 *   th_rng_*             the tests' own random numbers (SplitMix64), so the
 *                        test data never depends on nn.h's generator.
 *   th_ulp_err()         error of a float against a double reference in
 *                        units of the float ulp at the reference value.
 *
 * Plain C99 that also compiles as C++11. No dependencies.
 */
#ifndef NN_TEST_HARNESS_H
#define NN_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <float.h>
#include <stdint.h>

#ifndef TH_MAX_PRINT
#define TH_MAX_PRINT 40
#endif

static long th_passed, th_failed;
static const char *th_isa_label = "auto";

#if defined(__GNUC__) || defined(__clang__)
#define TH_UNUSED __attribute__((unused))
#else
#define TH_UNUSED
#endif

/* CHECK(cond, fmt, ...): a message is always required. */
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) th_passed++;                                             \
        else {                                                             \
            th_failed++;                                                   \
            if (th_failed <= TH_MAX_PRINT) {                               \
                printf("FAIL %s:%d [isa %s] ", __FILE__, __LINE__,         \
                       th_isa_label);                                      \
                printf(__VA_ARGS__);                                       \
                printf("\n");                                              \
            } else if (th_failed == TH_MAX_PRINT + 1)                      \
                printf("(further failures not printed)\n");                \
        }                                                                  \
    } while (0)

/* KNOWN_BUG(cond, fmt, ...): a check that fails because of a reported,
 * not yet fixed bug in nn.h. A failure prints "KNOWN BUG ..." and is not
 * counted (so the suite stays usable) unless NN_TEST_STRICT=1; once the
 * bug is fixed the check passes, counts as a pass and asks for the marker
 * to be turned back into CHECK. */
static long th_known;
#define KNOWN_BUG(cond, ...)                                               \
    do {                                                                   \
        const char *th_strict_ = getenv("NN_TEST_STRICT");                 \
        if (cond) {                                                        \
            th_passed++;                                                   \
            printf("NOTE %s:%d: known bug fixed? this KNOWN_BUG check "    \
                   "passes; make it a CHECK\n", __FILE__, __LINE__);       \
        } else if (th_strict_ && th_strict_[0] == '1') {                   \
            CHECK(cond, __VA_ARGS__);                                      \
        } else {                                                           \
            th_known++;                                                    \
            printf("KNOWN BUG %s:%d [isa %s] ", __FILE__, __LINE__,        \
                   th_isa_label);                                          \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
        }                                                                  \
    } while (0)

/* CHECK_ST(expr, expected): an nn_status comparison with both names. */
#define CHECK_ST(expr, want)                                               \
    do {                                                                   \
        nn_status th_st_ = (expr);                                         \
        CHECK(th_st_ == (want), "%s returned %d (%s), expected %d (%s)",   \
              #expr, (int)th_st_, nn_status_str(th_st_), (int)(want),      \
              nn_status_str(want));                                        \
    } while (0)

static TH_UNUSED int th_quick(void)
{
    const char *e = getenv("NN_TEST_QUICK");
    return e && e[0] == '1';
}

/* Prints which table automatic dispatch chose; call first thing in main(),
 * before any nn_isa_set, so it reports the real run-time choice (tests/run.sh
 * greps this line under the qemu CPU models). */
static TH_UNUSED void th_begin(const char *prog)
{
    printf("%s: auto-dispatch isa: %s%s\n", prog, nn_isa_name(nn_isa_get()),
           th_quick() ? " (quick mode)" : "");
}

static TH_UNUSED int th_finish(void)
{
    if (th_known)
        printf("%ld known-bug checks failed (not counted; NN_TEST_STRICT=1 counts "
               "them)\n", th_known);
    printf("%ld passed, %ld failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}

/* Runs fn once for every ISA this CPU supports, naming it in failures. */
static TH_UNUSED void th_for_each_isa(void (*fn)(void))
{
    int i;
    for (i = NN_ISA_SCALAR; i < NN_ISA_COUNT; i++) {
        nn_isa isa = (nn_isa)i;
        long f0 = th_failed, p0 = th_passed;
        if (!nn_isa_supported(isa)) continue;
        CHECK(nn_isa_set(isa) == NN_OK, "nn_isa_set(%s)", nn_isa_name(isa));
        CHECK(nn_isa_get() == isa, "nn_isa_get after set(%s)", nn_isa_name(isa));
        th_isa_label = nn_isa_name(isa);
        fn();
        printf("  isa %-7s %ld passed, %ld failed\n", nn_isa_name(isa),
               th_passed - p0, th_failed - f0);
    }
    th_isa_label = "auto";
    CHECK(nn_isa_set(NN_ISA_AUTO) == NN_OK, "nn_isa_set(AUTO)");
}

/* ---- random numbers: SplitMix64 (independent of nn.h's PCG32) ---- */
typedef struct th_rng { uint64_t s; } th_rng;
static TH_UNUSED uint64_t th_rng_u64(th_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
/* uniform in [0, 1) with 53 random bits */
static TH_UNUSED double th_rng_unif(th_rng *r)
{
    return (double)(th_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}
/* uniform in [lo, hi) */
static TH_UNUSED double th_rng_range(th_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * th_rng_unif(r);
}
/* integer in [0, n) (n small; modulo bias irrelevant for tests) */
static TH_UNUSED int th_rng_int(th_rng *r, int n)
{
    return (int)(th_rng_u64(r) % (uint64_t)n);
}
static TH_UNUSED void th_fill(th_rng *r, float *x, size_t n, double lo,
                              double hi)
{
    size_t i;
    for (i = 0; i < n; i++) x[i] = (float)th_rng_range(r, lo, hi);
}

/* ---- float comparisons ---- */
/* The spacing of floats at |r| (2^(e-24) for |r| in [2^(e-1), 2^e)),
 * never below the smallest denormal 2^-149. */
static TH_UNUSED double th_ulp(double r)
{
    int e;
    double a = fabs(r);
    if (!(a >= ldexp(1.0, -126))) return ldexp(1.0, -149);
    if (a > FLT_MAX) a = FLT_MAX;
    (void)frexp(a, &e);
    return ldexp(1.0, e - 24);
}
/* |got - ref| in ulps at ref. Equal values (infinities included) give 0;
 * NaN on exactly one side gives +inf; NaN on both gives 0. */
static TH_UNUSED double th_ulp_err(float got, double ref)
{
    if (got != got || ref != ref) return (got != got && ref != ref) ? 0.0 : HUGE_VAL;
    if ((double)got == ref) return 0.0;
    if (isinf(got) || isinf(ref)) return HUGE_VAL;
    return fabs((double)got - ref) / th_ulp(ref);
}
static TH_UNUSED int th_isfinite(double x) { return x - x == 0.0; }
/* all of n floats finite */
static TH_UNUSED int th_all_finite(const float *x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!th_isfinite(x[i])) return 0;
    return 1;
}
static TH_UNUSED double th_maxabs(const double *x, size_t n)
{
    size_t i;
    double m = 0.0;
    for (i = 0; i < n; i++) if (fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

/* malloc that never returns NULL to the tests (exits instead). */
static TH_UNUSED void *th_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { printf("out of memory\n0 passed, 1 failed\n"); exit(2); }
    return p;
}
#define TH_NEW(type, n) ((type *)th_malloc((size_t)(n) * sizeof(type)))


/* ---- activation accuracy contract (used by test_act and test_gemm) ----
 * Absolute tolerance for f(x) (forward) against the double reference r:
 *   identity, step, relu: exact (0): no arithmetic is involved.
 *   leaky relu: 1 ulp: 0.01f differs from 0.01 by 0.37 ulp, plus 0.5 ulp
 *     for the rounding of the product.
 *   sigmoid, tanh, softplus: 4 ulp. The scalar path is libm (expf, tanhf,
 *     log1pf: <= 1-2 ulp each) plus 1-2 roundings (<= ~2.5 ulp); the SIMD
 *     kernels promise <= 2 ulp for exp-based functions; 4 ulp is that with
 *     room for one more rounding, still tight enough to catch cancellation
 *     (1 - e^x near 0, log(1 + tiny)) which costs thousands of ulp.
 *     Plus an absolute floor of FLT_MIN = 2^-126: where the result is below
 *     the normal range a kernel may flush it to zero; an absolute error below
 *     2^-126 is invisible next to any normal value it is combined with. */
static TH_UNUSED double th_act_tol(nn_act a, double r)
{
    switch (a) {
    case NN_ACT_IDENTITY: case NN_ACT_STEP: case NN_ACT_RELU: return 0.0;
    case NN_ACT_LEAKY_RELU: return 1.0 * th_ulp(r);
    default: return 4.0 * th_ulp(r) + ldexp(1.0, -126);
    }
}
/* The same for the derivative dx = f'(y) dy against the double reference
 * computed from the same float y and dy: identity, relu, step exact; leaky
 * relu 1 ulp (as above); sigmoid y(1-y)dy, tanh (1-y)(1+y)dy, softplus
 * (1-e^-y)dy: 2-3 roundings and at most one libm call (<= 2.5 ulp), bound
 * 4 ulp + FLT_MIN as for the forward. A form that cancels (y - y*y near
 * y = 1, 1 - exp(-y) for tiny y without expm1) fails this on purpose: it
 * would make a SIMD path less accurate than the scalar one. */
static TH_UNUSED double th_act_bwd_tol(nn_act a, double r)
{
    return th_act_tol(a, r);
}

/* Softmax p_j = e^(x_j - m) / sum_k e^(x_k - m) against the double reference:
 * the float subtraction x_j - m costs u |x_j - m| of relative error in p_j
 * (exp's condition number is its argument), exp itself <= 2 ulp, the row
 * sum n u, the division u: relative tolerance 2 u (n + 4 + |x_j - m|),
 * constant 2 for second-order terms; floor FLT_MIN as above. */
static TH_UNUSED double th_softmax_tol(double p, int n, double x_minus_max)
{
    return 2.0 * 5.9604644775390625e-08 * (n + 4 + fabs(x_minus_max)) * p +
           ldexp(1.0, -126);
}

/* 2^-24: the unit roundoff of float (round to nearest). */
#define TH_U 5.9604644775390625e-08

#endif /* NN_TEST_HARNESS_H */
