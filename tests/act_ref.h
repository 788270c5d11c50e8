/* tests/act_ref.h - double-precision references and the ulp measure shared
 * by tests/test_act_simd.c and tests/exhaustive_act.c (nothing from nn.h).
 *
 * ulp: the error of a float r against the exact value v is |r - v| / ulp(v),
 * ulp(v) = 2^(max(e, -126) - 23) for 2^e <= |v| < 2^(e+1): a correctly
 * rounded result scores <= 0.5. An infinite result or reference counts as
 * +-2^128 (where float overflows), so "rounds to inf" is measured too. libm's
 * double functions are within ~1 double ulp, i.e. 2^-29 float ulp: exact
 * for this purpose. */
#ifndef NN_ACT_REF_H
#define NN_ACT_REF_H
#include <math.h>

#if defined(__GNUC__) || defined(__clang__)
#define AR_UNUSED __attribute__((unused))
#else
#define AR_UNUSED
#endif

#define AR_TWO128 3.4028236692093846346e38  /* 2^128 */

static AR_UNUSED double ar_ulp_err(float got, double v)
{
    double g = got;
    int e;
    if (v != v) return got != got ? 0.0 : HUGE_VAL;
    if (got != got) return HUGE_VAL;
    if (fabs(g) > AR_TWO128) g = g > 0 ? AR_TWO128 : -AR_TWO128;
    if (fabs(v) > AR_TWO128) v = v > 0 ? AR_TWO128 : -AR_TWO128;
    if (g == v) return 0.0;
    if (v == 0.0) e = -126;
    else { (void)frexp(v, &e); e -= 1; if (e < -126) e = -126; if (e > 127) e = 127; }
    return fabs(g - v) / ldexp(1.0, e - 23);
}

/* got and the reference v disagree on a special value, which the
 * exhaustive checks require exactly: NaN or not, an infinity, the sign of
 * a zero */
static AR_UNUSED int ar_special_mismatch(float got, double v)
{
    return (v != v) != (got != got) || (isinf(v) && (double)got != v) ||
           (v == 0.0 && got == 0.0 && !signbit(v) != !signbit(got));
}

static AR_UNUSED double ar_sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}
static AR_UNUSED double ar_softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}
/* derivative factors from the saved output y */
static AR_UNUSED double ar_sigmoid_dy(double y) { return y * (1.0 - y); }
static AR_UNUSED double ar_tanh_dy(double y) { return (1.0 - y) * (1.0 + y); }
static AR_UNUSED double ar_softplus_dy(double y) { return -expm1(-y); }

/* Maximum ulp error of each function over its domain, every ISA: the
 * bounds the header's accuracy contract states (measured with
 * `make test-exhaustive`; see nn.h). */
#define AR_ULP_EXP      1.0
#define AR_ULP_LOG      1.0
#define AR_ULP_SIGMOID  2.0
#define AR_ULP_TANH     2.0
#define AR_ULP_SOFTPLUS 2.0
#define AR_ULP_DERIV    2.0   /* sigmoid', tanh', softplus' times dy = 1 */
#endif
