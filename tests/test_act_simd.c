/* tests/test_act_simd.c - the element-wise kernels of every ISA the CPU runs
 * (scalar, AVX2, AVX-512, NEON) against double-precision references
 * (tests/act_ref.h): dense sweeps of each function's domain with the ulp
 * bounds of nn.h's accuracy contract, special values (+-0, +-inf, NaN,
 * denormals, saturation), derivatives from the saved output, softmax and
 * log-softmax rows, and every length 0..70 at odd offsets (masked tails
 * must neither read nor write outside [0, n)).
 *
 * Tolerances (all stated, none guessed):
 *  - exp, log <= 1 ulp; sigmoid, tanh, softplus <= 2 ulp; the derivative
 *    factors sigmoid' y(1-y), tanh' (1-y)(1+y), softplus' -expm1(-y) times
 *    dy <= 2 ulp + 0.5 ulp for the product with dy: the contract's bounds
 *    (measured maxima over every float: `make test-exhaustive`). The scalar
 *    table is libm and is held to the bounds only where libm meets them
 *    (sigmoid from expf reaches 2.25 ulp, tanhf 2.1: scalar gets 3 ulp).
 *  - ReLU, leaky ReLU, step, identity, relu', leaky', step': bit-exact
 *    with the formula written out here (one rounding at most, the same).
 *  - softmax p_j = e_j / S: e_j within 1 ulp of e^(x_j - m) after the
 *    rounding of x_j - m (relative |x_j - m| 2^-24), S a float sum of n
 *    terms (relative n 2^-24), one division: |p - ref| <= (3 + |x_j - m| +
 *    n) 2^-24 p_ref + 2^-149. log-softmax: absolute error <= (|x_j - m| +
 *    |log S| + 2 + n) 2^-24 (x - m, log S, one subtraction, S's error).
 *  - softmax backward y (dy - <y, dy>), dot in double: relative 2^-22 of
 *    |y| (|dy| + |<y, dy>|) (two roundings and the float dot).
 *  - fused softmax + CE and sigmoid + BCE: dz bit-exact with (h - y) g from
 *    the same ISA's forward; the loss within a per-term bound (in check_xent).
 *  - MSE, MAE, Huber, BCE, CE element losses: gradient bit-exact with the
 *    float formula; loss within a per-element bound (in loss_ref).
 * NN_TEST_QUICK=1 (emulators) sweeps 1/16 of the points. */
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "act_ref.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long passed, failed;
static const char *isa_label = "";
#define CHECK(c, ...) do { if (c) passed++; else { failed++; if (failed <= 30) { \
    printf("FAIL %s:%d [%s] ", __FILE__, __LINE__, isa_label); printf(__VA_ARGS__); \
    printf("\n"); } } } while (0)

static int quick(void)
{
    const char *e = getenv("NN_TEST_QUICK");
    return e && e[0] == '1';
}
static float bits_f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t f_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
/* same value, or both NaN (bit-exact otherwise, so the sign of zero counts) */
static int same(float a, float b) { return (a != a && b != b) || f_bits(a) == f_bits(b); }

/* points: every 2^k-th float of [lo, hi] by bit pattern (both signs when lo
 * < 0), so each binade gets the same number of points */
#define NPTS_MAX 600000
static float *pts;
static size_t make_sweep(float lo, float hi, uint32_t step)
{
    size_t n = 0;
    uint32_t u;
    for (u = 0; u < 0x7f800000u; u += step) {
        float p = bits_f(u);
        if (p >= lo && p <= hi && n < NPTS_MAX) pts[n++] = p;
        if (-p >= lo && -p <= hi && n < NPTS_MAX) pts[n++] = -p;
    }
    return n;
}

typedef void (*fwd_fn)(size_t, const float *, float *);
static void check_fn(const char *name, fwd_fn f, double (*ref)(double), float lo,
                     float hi, double bound)
{
    size_t n = make_sweep(lo, hi, quick() ? 16 * 4099u : 4099u), i, worst = 0;
    float *y = (float *)malloc(n * sizeof(float));
    double maxe = 0.0;
    f(n, pts, y);
    for (i = 0; i < n; i++) {
        double e = ar_ulp_err(y[i], ref(pts[i]));
        if (e > maxe) { maxe = e; worst = i; }
    }
    CHECK(maxe <= bound, "%s: %.3f ulp > %.1f at x = %.9g (got %.9g, want %.17g)", name,
          maxe, bound, pts[worst], y[worst], ref(pts[worst]));
    free(y);
}

/* special values: exact expectations */
static void check_specials(const nn_kernels *k)
{
    const float inf = INFINITY, nan = NAN, den = bits_f(1), mind = FLT_MIN / 4;
    struct { int which; float x, want; } c[] = {
        /* 0 exp, 1 sigmoid, 2 tanh, 3 softplus, 4 relu, 5 leaky, 6 step, 7 log */
        {0, 0.0f, 1.0f}, {0, -0.0f, 1.0f}, {0, inf, inf}, {0, -inf, 0.0f}, {0, nan, nan},
        {0, den, 1.0f}, {0, 89.0f, inf}, {0, -104.0f, 0.0f}, {0, 88.72f, expf(88.72f)},
        {1, 0.0f, 0.5f}, {1, -0.0f, 0.5f}, {1, inf, 1.0f}, {1, -inf, 0.0f}, {1, nan, nan},
        {1, 100.0f, 1.0f}, {1, 18.0f, 1.0f}, {1, -200.0f, 0.0f}, {1, den, 0.5f},
        {2, 0.0f, 0.0f}, {2, -0.0f, -0.0f}, {2, inf, 1.0f}, {2, -inf, -1.0f}, {2, nan, nan},
        {2, 20.0f, 1.0f}, {2, -20.0f, -1.0f}, {2, 9.1f, 1.0f}, {2, den, den}, {2, -den, -den},
        {2, mind, mind}, {2, 1e-30f, 1e-30f},
        {3, inf, inf}, {3, -inf, 0.0f}, {3, nan, nan}, {3, 100.0f, 100.0f}, {3, -200.0f, 0.0f},
        {4, nan, nan}, {4, -0.0f, 0.0f}, {4, -inf, 0.0f}, {4, inf, inf}, {4, den, den},
        {5, nan, nan}, {5, -inf, -inf}, {5, inf, inf}, {5, -1.0f, -0.01f},
        {6, nan, nan}, {6, 0.0f, 1.0f}, {6, -0.0f, 1.0f}, {6, -den, 0.0f}, {6, -inf, 0.0f},
        {6, inf, 1.0f},
        {7, 0.0f, -inf}, {7, -0.0f, -inf}, {7, -1.0f, nan}, {7, inf, inf}, {7, nan, nan},
        {7, 1.0f, 0.0f}, {7, -inf, nan}};
    fwd_fn fs[8];
    size_t i;
    fs[0] = k->exp; fs[1] = k->act_fwd[NN_ACT_SIGMOID]; fs[2] = k->act_fwd[NN_ACT_TANH];
    fs[3] = k->act_fwd[NN_ACT_SOFTPLUS]; fs[4] = k->act_fwd[NN_ACT_RELU];
    fs[5] = k->act_fwd[NN_ACT_LEAKY_RELU]; fs[6] = k->act_fwd[NN_ACT_STEP]; fs[7] = k->log;
    for (i = 0; i < sizeof c / sizeof c[0]; i++) {
        float y;
        fs[c[i].which](1, &c[i].x, &y);
        CHECK(same(y, c[i].want) || (c[i].which == 0 && c[i].x == 88.72f &&
                                     ar_ulp_err(y, exp(88.72)) <= AR_ULP_EXP),
              "special #%d (fn %d) x = %g: got %g (0x%08x), want %g", (int)i, c[i].which,
              c[i].x, y, (unsigned)f_bits(y), c[i].want);
    }
    /* sigmoid of negative numbers goes smoothly into denormals */
    {
        float x[4] = {-90.0f, -95.0f, -100.0f, -103.0f}, y[4];
        k->act_fwd[NN_ACT_SIGMOID](4, x, y);
        for (i = 0; i < 4; i++)
            CHECK(ar_ulp_err(y[i], ar_sigmoid(x[i])) <= AR_ULP_SIGMOID,
                  "sigmoid(%g) = %g, want %g (denormal)", x[i], y[i], ar_sigmoid(x[i]));
    }
    /* NaN stays NaN whatever its payload (kernels that build 2^n from bits
     * of a NaN-derived value must not turn it into a number), one vector of
     * 16 different NaNs per function */
    {
        static const uint32_t pay[16] = {
            0x7fc00000u, 0xffc00000u, 0x7f800001u, 0xff800001u, 0x7fffffffu, 0xffffffffu,
            0x7fa12345u, 0xffb54321u, 0x7fc7ffffu, 0x7fe00001u, 0x7f80ff00u, 0xff87654fu,
            0x7fc00800u, 0x7ff00000u, 0x7f900000u, 0xffc01000u };
        float x[16], y[16], ones[16];
        int f, j;
        for (j = 0; j < 16; j++) { x[j] = bits_f(pay[j]); ones[j] = 1.0f; }
        for (f = 0; f < 8; f++) {
            fs[f](16, x, y);
            for (j = 0; j < 16; j++)
                CHECK(y[j] != y[j], "fn %d of NaN 0x%08x: got %g", f, (unsigned)pay[j], y[j]);
        }
        k->act_bwd[NN_ACT_SOFTPLUS](16, x, ones, y);
        for (j = 0; j < 16; j++)
            CHECK(y[j] != y[j], "softplus' of NaN 0x%08x: got %g", (unsigned)pay[j], y[j]);
    }
    /* softplus' = -expm1(-y) keeps the sign of a zero y, as libm */
    {
        float yv[2] = {0.0f, -0.0f}, ones[2] = {1.0f, 1.0f}, d[2];
        k->act_bwd[NN_ACT_SOFTPLUS](2, yv, ones, d);
        CHECK(same(d[0], 0.0f) && same(d[1], -0.0f), "softplus'(+-0) = (%g, %g), want (0, -0)",
              d[0], d[1]);
    }
}

/* element-wise exact kernels, bit for bit against the written-out formula */
static float relu_ref(float x) { return x > 0.0f ? x : (x <= 0.0f ? 0.0f : x); }
static float leaky_ref(float x) { return x > 0.0f ? x : NN_LEAKY_RELU_SLOPE * x; }
static float step_ref(float x) { return x >= 0.0f ? 1.0f : (x < 0.0f ? 0.0f : x); }

static uint64_t rs = 0x9E3779B97F4A7C15ULL;
static double unif(void)
{
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return (double)(rs >> 11) * (1.0 / 9007199254740992.0);
}

/* The finiteness check behind every NN_ERR_NAN: at lengths 0..140, around
 * its 1024-float blocks and up to 4100, at an odd offset with NaN guards
 * on both sides (a read outside [0, n) fails the all-finite case). Finite
 * includes +-FLT_MAX (thousands of them: no sum may overflow), denormals
 * and -0; one NaN, +inf or -inf at the first, last, block-edge, middle and
 * (up to n 140) every position must be found. Exact: a yes/no answer. */
static void check_finite(const nn_kernels *k)
{
    static const int big[] = {1000, 1023, 1024, 1025, 1087, 1088, 1089, 2047, 2048,
                              2049, 2111, 4095, 4096, 4100};
    static const float specials[] = {FLT_MAX, -FLT_MAX, 1e-45f, -1e-45f, -0.0f, 1.17e-38f};
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    float *buf = (float *)malloc((4100 + 3) * sizeof(float)), *x = buf + 1;
    int t, n, i, b, ok_all = 1, found_all = 1;
    if (!buf) { CHECK(0, "out of memory"); return; }
    for (t = 0; t < 141 + (int)(sizeof big / sizeof big[0]); t++) {
        int pos[8], np = 0;
        n = t <= 140 ? t : big[t - 141];
        buf[0] = NAN;                       /* guards */
        x[n] = NAN;
        for (i = 0; i < n; i++)
            x[i] = i % 5 == 0 ? specials[(i / 5) % 6] : (float)(i % 17) - 8.5f;
        if (n >= 3000) for (i = 0; i < n; i += 2) x[i] = FLT_MAX;
        ok_all &= k->all_finite((size_t)n, x) == 1;
        pos[np++] = 0; pos[np++] = n - 1; pos[np++] = n / 2;
        if (n > 1024) { pos[np++] = 1023; pos[np++] = 1024; }
        if (n > 2048) pos[np++] = 2048;
        for (i = 0; i < (n <= 140 ? n : np); i++) {
            int at = n <= 140 ? i : pos[i];
            float keep = x[at];
            for (b = 0; b < 3; b++) {
                x[at] = bad[b];
                found_all &= k->all_finite((size_t)n, x) == 0;
            }
            x[at] = keep;
        }
        CHECK(ok_all && found_all, "all_finite at n %d: finite values %s, a bad value %s", n,
              ok_all ? "pass" : "FAIL", found_all ? "found" : "MISSED");
        ok_all = found_all = 1;
    }
    free(buf);
}

/* every length 0..70 at an odd offset, in place and out of place: values
 * right, guards around [0, n) untouched */
static void check_lengths(const nn_kernels *k)
{
    float buf[100], x[100], dy[100], out[100];
    int a, n, j, inplace;
    for (a = 0; a < NN_ACT_COUNT; a++) {
        for (n = 0; n <= 70; n++) {
            for (inplace = 0; inplace < 2; inplace++) {
                int ok, bwd;
                for (bwd = 0; bwd < 2; bwd++) {
                    ok = 1;
                    for (j = 0; j < 100; j++) {
                        x[j] = (float)(unif() * 8.0 - 4.0);
                        dy[j] = (float)(unif() * 2.0 - 1.0);
                        buf[j] = -7.0f;
                    }
                    if (bwd && a == NN_ACT_SOFTMAX) { /* y must be a softmax row */
                        nn__softmax_rows_scalar(1, n, x + 3, x + 3);
                    }
                    /* expected: the scalar kernels on a copy (same semantics) */
                    memcpy(out, x, sizeof x);
                    if (!bwd) nn__tables[NN_ISA_SCALAR].act_fwd[a]((size_t)n, x + 3, out + 3);
                    else nn__tables[NN_ISA_SCALAR].act_bwd[a]((size_t)n, x + 3, dy + 3, out + 3);
                    if (inplace) memcpy(buf, x, sizeof x);
                    if (!bwd) k->act_fwd[a]((size_t)n, inplace ? buf + 3 : x + 3, buf + 3);
                    else if (inplace) { memcpy(buf, dy, sizeof dy);
                        k->act_bwd[a]((size_t)n, x + 3, buf + 3, buf + 3); }
                    else k->act_bwd[a]((size_t)n, x + 3, dy + 3, buf + 3);
                    for (j = 0; j < 100; j++) {
                        float want = (j >= 3 && j < 3 + n) ? out[j]
                                   : (inplace ? (bwd ? dy[j] : x[j]) : -7.0f);
                        double tol = (j >= 3 && j < 3 + n) ? 3.0 : 0.0;
                        /* inside: within 3 ulp of scalar (softmax: relative
                         * 4 (n + 12) 2^-24, twice th_softmax_tol's shape for
                         * |x - max| <= 8: two n-term sums and one exp each);
                         * outside: untouched */
                        if (j >= 3 && j < 3 + n && a == NN_ACT_SOFTMAX) {
                            if (!(fabs(buf[j] - want) <=
                                  4.0 * (n + 12) * ldexp(1.0, -24) * fabs(want) + 1e-38))
                                ok = 0;
                        } else if (!(same(buf[j], want) || ar_ulp_err(buf[j], want) <= tol))
                            ok = 0;
                    }
                    CHECK(ok, "act %s %s n=%d %s: wrong value or write outside [0, n)",
                          nn_act_name((nn_act)a), bwd ? "backward" : "forward", n,
                          inplace ? "in place" : "out of place");
                }
            }
        }
    }
}

static void check_exact_and_derivs(const nn_kernels *k)
{
    enum { N = 4099 };
    static float x[N], y[N], dy[N], dx[N];
    size_t i;
    int bad[6] = {0, 0, 0, 0, 0, 0};
    double worst[3] = {0, 0, 0};
    for (i = 0; i < N; i++) {
        x[i] = (float)((unif() - 0.5) * 20.0);
        dy[i] = (float)((unif() - 0.5) * 4.0);
    }
    x[0] = NAN; x[1] = -0.0f; x[2] = 0.0f; x[3] = INFINITY; x[4] = -INFINITY; x[5] = bits_f(1);
    k->act_fwd[NN_ACT_RELU](N, x, y);
    for (i = 0; i < N; i++) bad[0] += !same(y[i], relu_ref(x[i]));
    k->act_fwd[NN_ACT_LEAKY_RELU](N, x, y);
    for (i = 0; i < N; i++) bad[1] += !same(y[i], leaky_ref(x[i]));
    k->act_fwd[NN_ACT_STEP](N, x, y);
    for (i = 0; i < N; i++) bad[2] += !same(y[i], step_ref(x[i]));
    k->act_fwd[NN_ACT_IDENTITY](N, x, y);
    for (i = 0; i < N; i++) bad[3] += !same(y[i], x[i]);
    k->act_bwd[NN_ACT_RELU](N, x, dy, dx);
    for (i = 0; i < N; i++) bad[4] += !same(dx[i], x[i] > 0.0f ? dy[i] : 0.0f);
    k->act_bwd[NN_ACT_LEAKY_RELU](N, x, dy, dx);
    for (i = 0; i < N; i++)
        bad[5] += !same(dx[i], x[i] > 0.0f ? dy[i] : NN_LEAKY_RELU_SLOPE * dy[i]);
    CHECK(!bad[0] && !bad[1] && !bad[2] && !bad[3] && !bad[4] && !bad[5],
          "exact kernels differ: relu %d leaky %d step %d identity %d relu' %d leaky' %d",
          bad[0], bad[1], bad[2], bad[3], bad[4], bad[5]);
    k->act_bwd[NN_ACT_STEP](N, x, dy, dx);
    for (i = 0, bad[0] = 0; i < N; i++) bad[0] += !same(dx[i], 0.0f);
    CHECK(!bad[0], "step' must be 0 everywhere (%d differ)", bad[0]);
    /* derivative factors from y on the outputs' ranges, times dy */
    for (i = 0; i < N; i++) y[i] = (float)unif();
    y[0] = 0.0f; y[1] = 1.0f; y[2] = 0.5f;
    k->act_bwd[NN_ACT_SIGMOID](N, y, dy, dx);
    for (i = 0; i < N; i++) {
        double e = ar_ulp_err(dx[i], ar_sigmoid_dy(y[i]) * dy[i]);
        if (e > worst[0]) worst[0] = e;
    }
    for (i = 0; i < N; i++) y[i] = (float)(2.0 * unif() - 1.0);
    y[0] = -1.0f; y[1] = 1.0f; y[2] = -0.0f;
    k->act_bwd[NN_ACT_TANH](N, y, dy, dx);
    for (i = 0; i < N; i++) {
        double e = ar_ulp_err(dx[i], ar_tanh_dy(y[i]) * dy[i]);
        if (e > worst[1]) worst[1] = e;
    }
    for (i = 0; i < N; i++) y[i] = (float)(30.0 * unif() * unif() * unif());
    y[0] = 0.0f; y[1] = 1e-30f; y[2] = INFINITY;
    k->act_bwd[NN_ACT_SOFTPLUS](N, y, dy, dx);
    for (i = 0; i < N; i++) {
        double e = ar_ulp_err(dx[i], ar_softplus_dy(y[i]) * dy[i]);
        if (e > worst[2]) worst[2] = e;
    }
    CHECK(worst[0] <= AR_ULP_DERIV + 0.5 && worst[1] <= AR_ULP_DERIV + 0.5 &&
          worst[2] <= AR_ULP_DERIV + 0.5,
          "derivative x dy: sigmoid' %.3f tanh' %.3f softplus' %.3f ulp (bound %.1f)",
          worst[0], worst[1], worst[2], AR_ULP_DERIV + 0.5);
}

static void check_softmax(const nn_kernels *k)
{
    static const int colss[] = {1, 2, 3, 7, 15, 16, 17, 31, 33, 100, 1000};
    float x[1003], y[1003], ly[1003], dy[1003], dx[1003];
    size_t c;
    int j;
    for (c = 0; c < sizeof colss / sizeof colss[0]; c++) {
        int n = colss[c], okp = 1, okl = 1, okb = 1;
        double m = -HUGE_VAL, s = 0.0, ls, dot = 0.0;
        for (j = 0; j < n; j++) x[j] = (float)((unif() - 0.5) * 30.0);
        k->softmax_rows(1, n, x, y);
        k->log_softmax_rows(1, n, x, ly);
        for (j = 0; j < n; j++) m = x[j] > m ? x[j] : m;
        for (j = 0; j < n; j++) s += exp(x[j] - m);
        ls = log(s);
        for (j = 0; j < n; j++) {
            double p = exp(x[j] - m) / s, d = fabs(x[j] - m);
            if (!(fabs(y[j] - p) <= (3.0 + d + n) * ldexp(p, -24) + ldexp(1.0, -149))) okp = 0;
            if (!(fabs(ly[j] - (x[j] - m - ls)) <= (d + fabs(ls) + 2.0 + n) * ldexp(1.0, -24)))
                okl = 0;
        }
        CHECK(okp, "softmax row of %d", n);
        CHECK(okl, "log-softmax row of %d", n);
        for (j = 0; j < n; j++) { dy[j] = (float)(unif() - 0.5); dot += (double)y[j] * dy[j]; }
        k->act_bwd[NN_ACT_SOFTMAX]((size_t)n, y, dy, dx);
        for (j = 0; j < n; j++) {
            double want = y[j] * (dy[j] - dot);
            if (!(fabs(dx[j] - want) <= ldexp(fabs(y[j]) * (fabs(dy[j]) + fabs(dot)), -22)))
                okb = 0;
        }
        CHECK(okb, "softmax backward row of %d", n);
    }
    /* saturation: +-1e4 gives exact one-hot; all -inf: like the scalar
     * kernel (0/0 = NaN, no inf - inf inside); several rows at once */
    {
        float a[6] = {1e4f, -1e4f, 0.0f, -INFINITY, -INFINITY, -INFINITY}, b[6], bl[6];
        k->softmax_rows(2, 3, a, b);
        k->log_softmax_rows(2, 3, a, bl);
        CHECK(b[0] == 1.0f && b[1] == 0.0f && b[2] == 0.0f, "softmax(1e4,-1e4,0) = %g %g %g",
              b[0], b[1], b[2]);
        CHECK(bl[0] == 0.0f && bl[1] == -2e4f && bl[2] == -1e4f,
              "log-softmax(1e4,-1e4,0) = %g %g %g", bl[0], bl[1], bl[2]);
        CHECK(b[3] != b[3] && b[4] != b[4] && b[5] != b[5], "softmax of an all -inf row: NaN");
    }
}

/* fused softmax + CE and sigmoid + BCE from logits: dz bit-identical to
 * (h - y) g with h from the same ISA's forward kernel; the loss against
 * double within the bound derived per term (stated inline) */
static void check_xent(const nn_kernels *k)
{
    static const int colss[] = {1, 3, 10, 16, 17, 33};
    float z[4 * 33], y[4 * 33], h[4 * 33], dz[4 * 33];
    const float g = 1.0f / 3.0f;
    size_t c;
    int r, j, rows = 4;
    for (c = 0; c < sizeof colss / sizeof colss[0]; c++) {
        int n = colss[c], okd = 1, oks = 1;
        double sum, ref = 0.0, tol = 0.0, ref2 = 0.0, tol2 = 0.0;
        for (j = 0; j < rows * n; j++) {
            z[j] = (float)((unif() - 0.5) * 24.0);
            y[j] = (float)unif();
        }
        z[0] = -INFINITY; y[0] = 0.0f;     /* -inf logit with target 0: no NaN */
        sum = k->softmax_xent_rows(rows, n, z, y, g, dz);
        k->softmax_rows(rows, n, z, h);
        for (j = 0; j < rows * n; j++) okd &= same(dz[j], (h[j] - y[j]) * g);
        CHECK(okd, "softmax_xent dz != (softmax - y) g, cols %d", n);
        for (r = 0; r < rows; r++) {
            double m = -HUGE_VAL, s = 0.0, ls;
            for (j = 0; j < n; j++) m = z[r * n + j] > m ? z[r * n + j] : m;
            for (j = 0; j < n; j++) s += exp(z[r * n + j] - m);
            ls = log(s);
            for (j = 0; j < n; j++) {
                double yj = y[r * n + j], d = m - z[r * n + j];
                if (yj == 0.0) continue;
                ref += yj * (ls + d);
                /* z - m, log S (S a float sum: n 2^-24), ls - d, y *: */
                tol += yj * ((fabs(ls) + d) * 4.0 + n + 2.0) * ldexp(1.0, -24);
            }
        }
        CHECK(fabs(sum - ref) <= tol, "softmax_xent loss %.9g, want %.9g (tol %.3g), cols %d",
              sum, ref, tol, n);
        CHECK(k->softmax_xent_rows(rows, n, z, y, g, NULL) == sum,
              "softmax_xent without dz gives another loss, cols %d", n);
        sum = k->sigmoid_xent(1, rows * n - 1, z + 1, y + 1, g, dz);
        k->act_fwd[NN_ACT_SIGMOID]((size_t)(rows * n - 1), z + 1, h);
        for (j = 0; j < rows * n - 1; j++) {
            double v = z[j + 1], sp = ar_softplus(v);
            oks &= same(dz[j], (h[j] - y[j + 1]) * g);
            ref2 += sp - y[j + 1] * v;
            /* softplus <= 2 ulp, y z and the difference: 0.5 ulp each */
            tol2 += (fabs(sp) * 3.0 + fabs(y[j + 1] * v) * 2.0) * ldexp(1.0, -24);
        }
        CHECK(oks, "sigmoid_xent dz != (sigmoid - y) g, n %d", rows * n - 1);
        CHECK(fabs(sum - ref2) <= tol2, "sigmoid_xent loss %.9g, want %.9g, n %d", sum, ref2,
              rows * n - 1);
    }
}

/* the losses of the kernel table (NULL in the scalar table: 2.8's loop):
 * gradient bit-exact with the float formula written out here, loss within
 * a per-element bound against double (stated inline) */
static float loss_grad_ref(int l, float h, float y, float d)
{
    float e = h - y, p;
    switch (l) {
    case NN_LOSS_MSE: return e;
    case NN_LOSS_MAE: return e > 0.0f ? 1.0f : (e < 0.0f ? -1.0f : 0.0f);
    case NN_LOSS_HUBER: return fabsf(e) <= d ? e : (e > 0.0f ? d : -d);
    case NN_LOSS_BCE:
        p = h < 1e-7f ? 1e-7f : (h > 1.0f - 1e-7f ? 1.0f - 1e-7f : h);
        return (p - y) / (p * (1.0f - p));
    default:
        p = h < 1e-7f ? 1e-7f : h;
        return -y / p;
    }
}
static double loss_ref(int l, float hf, float yf, float df, double *tol)
{
    double h = hf, y = yf, d = df, e = h - y, p, v;
    const double u = ldexp(1.0, -24);
    switch (l) {
    case NN_LOSS_MSE: v = 0.5 * e * e; *tol = v * 4 * u; return v;      /* e, e^2 */
    case NN_LOSS_MAE: v = fabs(e); *tol = v * 2 * u; return v;          /* e     */
    case NN_LOSS_HUBER:
        v = fabs((float)e) <= df ? 0.5 * e * e : d * (fabs(e) - 0.5 * d);
        *tol = (v + d * d) * 4 * u;   /* e, |e| - d/2, products: 3 roundings */
        return v;
    case NN_LOSS_BCE:
        p = hf < 1e-7f ? 1e-7f : (hf > 1.0f - 1e-7f ? 1.0f - 1e-7f : hf);
        v = -(y * log(p) + (1.0 - y) * log(1.0 - p));
        /* logs <= 1 ulp, 1 - p and 1 - y rounded (abs 2^-24 each), 3 more */
        *tol = (fabs(y * log(p)) + fabs((1.0 - y) * log(1.0 - p))) * 4 * u +
               (fabs(log(1.0 - p)) + 1.0 / (1.0 - p)) * u;
        return v;
    default:
        p = hf < 1e-7f ? 1e-7f : hf;
        v = yf != 0.0f ? -y * log(p) : 0.0;
        *tol = fabs(v) * 3 * u;
        return v;
    }
}
static void check_losses(const nn_kernels *k)
{
    static const int ns[] = {1, 5, 16, 17, 33, 100, 1000};
    float h[1000], y[1000], g[1000];
    const float gs = 0.25f, d = 0.75f;
    int l, c, i;
    for (l = 0; l < NN_LOSS_COUNT; l++) {
        if (!k->loss[l]) continue;
        for (c = 0; c < (int)(sizeof ns / sizeof ns[0]); c++) {
            int n = ns[c], okg = 1;
            double sum, ref = 0.0, tol = 0.0, t;
            for (i = 0; i < n; i++) {
                int prob = l == NN_LOSS_BCE || l == NN_LOSS_SOFTMAX_CE;
                h[i] = prob ? (float)unif() : (float)((unif() - 0.5) * 4.0);
                y[i] = prob ? (float)unif() : (float)((unif() - 0.5) * 4.0);
            }
            if (n > 4) { h[0] = 0.0f; h[1] = 1.0f; y[2] = 0.0f; h[3] = y[3]; }
            sum = k->loss[l]((size_t)n, h, y, d, gs, g);
            for (i = 0; i < n; i++) {
                ref += loss_ref(l, h[i], y[i], d, &t);
                tol += t;
                okg &= same(g[i], loss_grad_ref(l, h[i], y[i], d) * gs);
            }
            CHECK(okg, "loss %s: gradient differs from the formula, n %d", nn_loss_name((nn_loss)l), n);
            CHECK(fabs(sum - ref) <= tol + 1e-30, "loss %s n %d: %.9g, want %.9g (tol %.3g)",
                  nn_loss_name((nn_loss)l), n, sum, ref, tol);
            CHECK(k->loss[l]((size_t)n, h, y, d, gs, NULL) == sum, "loss %s without grad", nn_loss_name((nn_loss)l));
        }
    }
}

static void run_isa(nn_isa isa)
{
    const nn_kernels *k = nn_kernels_for(isa);
    int sc = isa == NN_ISA_SCALAR;
    isa_label = nn_isa_name(isa);
    CHECK(nn_isa_set(isa) == NN_OK && nn_isa_get() == isa, "nn_isa_set(%s)", isa_label);
    /* sweeps over the useful domains (beyond them the results saturate,
     * which check_specials covers) */
    check_fn("exp", k->exp, exp, -104.0f, 89.0f, AR_ULP_EXP);
    check_fn("log", k->log, log, 0.0f, FLT_MAX, AR_ULP_LOG);
    check_fn("sigmoid", k->act_fwd[NN_ACT_SIGMOID], ar_sigmoid, -110.0f, 20.0f,
             sc ? 3.0 : AR_ULP_SIGMOID);
    check_fn("tanh", k->act_fwd[NN_ACT_TANH], tanh, -10.0f, 10.0f, sc ? 3.0 : AR_ULP_TANH);
    check_fn("softplus", k->act_fwd[NN_ACT_SOFTPLUS], ar_softplus, -110.0f, 100.0f,
             AR_ULP_SOFTPLUS);
    check_specials(k);
    check_exact_and_derivs(k);
    check_softmax(k);
    check_xent(k);
    check_losses(k);
    check_lengths(k);
    check_finite(k);
}

int main(void)
{
    int i;
    printf("test_act_simd: auto-dispatch isa: %s%s\n", nn_isa_name(nn_isa_get()),
           quick() ? " (quick mode)" : "");
    pts = (float *)malloc(NPTS_MAX * sizeof(float));
    if (!pts) { printf("0 passed, 1 failed\n"); return 1; }
    for (i = NN_ISA_SCALAR; i < NN_ISA_COUNT; i++) {
        long p0 = passed, f0 = failed;
        if (!nn_isa_supported((nn_isa)i)) continue;
        run_isa((nn_isa)i);
        printf("  isa %-7s %ld passed, %ld failed\n", nn_isa_name((nn_isa)i), passed - p0,
               failed - f0);
    }
    CHECK(nn_isa_set(NN_ISA_AUTO) == NN_OK, "nn_isa_set(AUTO)");
    free(pts);
    printf("%ld passed, %ld failed\n", passed, failed);
    return failed ? 1 : 0;
}
