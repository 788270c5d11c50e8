/* tests/test_act.c - activations, derivatives, softmax and log-softmax
 * against the double reference, for every ISA the CPU supports.
 *
 * Inputs: a dense linspace over [-100, 100] (step 1e-3; quick: 1e-2), a
 * log-uniform sweep of magnitudes 2^-40 .. 2^8 of both signs (tiny |x| is
 * where tanh(x) ~ x and softplus(x) ~ e^x need relative accuracy), and the
 * special values +-0, +-inf, NaN, +-1e30, +-FLT_MAX, +-FLT_MIN, denormals,
 * and the exp overflow/underflow edges. Lengths 0..67 at offsets 0..3 cover
 * SIMD tails and unaligned pointers.
 *
 * Tolerances (ulp at the double reference value): harness.h th_act_tol /
 * th_act_bwd_tol (identity/step/relu exact, leaky 1 ulp, sigmoid/tanh/
 * softplus 4 ulp + FLT_MIN floor) and th_softmax_tol; each is justified
 * there. NaN in gives NaN out for every activation.
 */
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"
#include "ref.h"

static float *xs;               /* the sweep                          */
static size_t nx;
static th_rng rng;

static void add_x(size_t *n, float v) { xs[(*n)++] = v; }

static void build_sweep(void)
{
    static const float special[] = {
        0.0f, -0.0f, 1e30f, -1e30f, FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN,
        1e-40f, -1e-40f, 1.4e-45f, -1.4e-45f, 1e-10f, -1e-10f, 1e-5f, -1e-5f,
        88.7f, -88.7f, 87.3f, -87.3f, 89.0f, -89.0f, 103.9f, -103.9f,
        104.0f, -104.0f, 15.9f, -15.9f, 9.01f, -9.01f, 0.5f, -0.5f, 1.0f,
        -1.0f, 20.0f, -20.0f, 1e4f, -1e4f, 3.4e4f, -3.4e4f
    };
    int steps = th_quick() ? 20000 : 200000, i;
    size_t n = 0, cap = (size_t)steps + 1 + 2 * 100000 + 64;
    xs = TH_NEW(float, cap);
    for (i = 0; i <= steps; i++) add_x(&n, (float)(-100.0 + 200.0 * i / steps));
    for (i = 0; i < (th_quick() ? 20000 : 200000); i++) {
        double e = th_rng_range(&rng, -40.0, 8.0);
        add_x(&n, (float)((i & 1 ? -1.0 : 1.0) * pow(2.0, e)));
    }
    for (i = 0; i < (int)(sizeof special / sizeof special[0]); i++)
        add_x(&n, special[i]);
    add_x(&n, INFINITY);
    add_x(&n, -INFINITY);
    add_x(&n, NAN);
    nx = n;
}

/* Forward of n values: returns the worst error/tolerance ratio (inf when an
 * element is outside; NaN handled by th_ulp_err semantics). */
static double fwd_worst(nn_act a, size_t n, const float *x, const float *y,
                        size_t *where)
{
    size_t i;
    double worst = 0.0;
    for (i = 0; i < n; i++) {
        double r = ref_act(a, x[i]), err, tol;
        if (r != r || y[i] != y[i]) {
            if (!(r != r && y[i] != y[i])) { *where = i; return HUGE_VAL; }
            continue;
        }
        if ((double)y[i] == r) continue;
        err = fabs((double)y[i] - r);
        tol = th_act_tol(a, r);
        if (!(err <= tol)) { *where = i; return HUGE_VAL; }
        if (err / tol > worst) { worst = err / tol; *where = i; }
    }
    return worst;
}

static double max_ulp(nn_act a, size_t n, const float *x, const float *y)
{
    size_t i;
    double m = 0.0;
    for (i = 0; i < n; i++) {
        double r = ref_act(a, x[i]), e;
        if (fabs(r) < ldexp(1.0, -126)) continue;   /* floor region */
        e = th_ulp_err(y[i], r);
        if (e > m) m = e;
    }
    return m;
}

static void test_forward(void)
{
    int a;
    float *y = TH_NEW(float, nx + 8), *yi = TH_NEW(float, nx + 8);
    for (a = 0; a < NN_ACT_COUNT; a++) {
        size_t where = 0, n, off;
        double w;
        int bad_tail = 0, bad_inplace;
        if (a == NN_ACT_SOFTMAX) continue;
        nn_act_forward((nn_act)a, nx, xs, y);
        w = fwd_worst((nn_act)a, nx, xs, y, &where);
        CHECK(w <= 1.0, "%s forward: x=%.9g got %.9g ref %.17g (%.2f ulp), err/tol %g",
              nn_act_name((nn_act)a), xs[where], y[where],
              ref_act(a, xs[where]), th_ulp_err(y[where], ref_act(a, xs[where])), w);
        printf("    %-10s forward  max %.3f ulp (normal range)\n",
               nn_act_name((nn_act)a), max_ulp((nn_act)a, nx, xs, y));
        /* in place gives the same bits */
        memcpy(yi, xs, nx * sizeof(float));
        nn_act_forward((nn_act)a, nx, yi, yi);
        bad_inplace = memcmp(yi, y, nx * sizeof(float)) != 0;
        CHECK(!bad_inplace, "%s forward in place (y == x) differs from out of place",
              nn_act_name((nn_act)a));
        /* every length 0..67 at offsets 0..3 (tails, unaligned), from the
         * special values region of the sweep and from the middle */
        for (off = 0; off < 4; off++)
            for (n = 0; n < 68; n++) {
                float xb[80], *xin = xb + off, *dst = yi + off;
                memcpy(xin, xs + (nx - 68), n * sizeof(float));
                dst[n] = 777.0f;
                nn_act_forward((nn_act)a, n, xin, dst);
                if (fwd_worst((nn_act)a, n, xin, dst, &where) > 1.0 || dst[n] != 777.0f)
                    bad_tail++;
            }
        CHECK(bad_tail == 0, "%s forward: %d of 272 (length, offset) runs wrong or "
              "wrote past the end", nn_act_name((nn_act)a), bad_tail);
    }
    free(y);
    free(yi);
}

/* Derivative from the saved output: dx = f'(y) dy. */
static void test_backward(void)
{
    int a;
    float *y = TH_NEW(float, nx), *dy = TH_NEW(float, nx);
    float *dx = TH_NEW(float, nx), *dx2 = TH_NEW(float, nx);
    th_fill(&rng, dy, nx, -2.0, 2.0);
    for (a = 0; a < NN_ACT_COUNT; a++) {
        size_t i, bad = 0, first = 0;
        double worst = 0.0, worst_ulp = 0.0;
        if (a == NN_ACT_SOFTMAX) continue;
        nn_act_forward((nn_act)a, nx, xs, y);
        nn_act_backward((nn_act)a, nx, y, dy, dx);
        for (i = 0; i < nx; i++) {
            double r, err, tol;
            if (y[i] != y[i]) continue;            /* NaN input */
            r = ref_act_dy(a, y[i]) * dy[i];
            err = fabs((double)dx[i] - r);
            tol = th_act_bwd_tol((nn_act)a, r);
            if (!(err <= tol)) { if (!bad++) first = i; continue; }
            if (tol > 0 && err / tol > worst) worst = err / tol;
            if (fabs(r) >= ldexp(1.0, -126) && th_ulp_err(dx[i], r) > worst_ulp)
                worst_ulp = th_ulp_err(dx[i], r);
        }
        CHECK(bad == 0, "%s backward: %lu wrong; first y=%.9g dy=%.9g got %.9g ref %.17g",
              nn_act_name((nn_act)a), (unsigned long)bad, y[first], dy[first],
              dx[first], ref_act_dy(a, y[first]) * dy[first]);
        printf("    %-10s backward max %.3f ulp (normal range)\n",
               nn_act_name((nn_act)a), worst_ulp);
        /* dx may alias dy */
        memcpy(dx2, dy, nx * sizeof(float));
        nn_act_backward((nn_act)a, nx, y, dx2, dx2);
        CHECK(memcmp(dx2, dx, nx * sizeof(float)) == 0,
              "%s backward in place (dx == dy) differs", nn_act_name((nn_act)a));
        /* consistency with f'(x) on x in [-8, 8] (x != 0): the error of y
         * (<= 4 ulp <= 2^-22 |y|) moves f'(y) by at most 2 * 2^-22 (|d f'/dy|
         * <= 2 for sigmoid, tanh; e^-y * ulp(y) for softplus) plus the 4 ulp
         * of the derivative itself: 16 u |dy| bounds it. */
        bad = 0;
        for (i = 0; i < 1601; i++) {
            float x = (float)(-8.0 + i * 0.01), yy, d = 1.0f, out;
            if (i == 800) continue;
            nn_act_forward((nn_act)a, 1, &x, &yy);
            nn_act_backward((nn_act)a, 1, &yy, &d, &out);
            if (!(fabs(out - ref_act_dx(a, x)) <= 16.0 * TH_U)) {
                if (!bad++) first = i;
            }
        }
        CHECK(bad == 0, "%s backward vs f'(x): %lu of 1600 points off, first x=%g",
              nn_act_name((nn_act)a), (unsigned long)bad, -8.0 + first * 0.01);
    }
    free(y); free(dy); free(dx); free(dx2);
}

/* Softmax / log-softmax: rows of several widths, extreme logits. */
static void check_softmax_rows(int rows, int cols, const float *x, const char *what)
{
    float *y = TH_NEW(float, (size_t)rows * cols), *ly = TH_NEW(float, (size_t)rows * cols);
    float *y1 = TH_NEW(float, cols);
    double *r = TH_NEW(double, (size_t)rows * cols), *lr = TH_NEW(double, (size_t)rows * cols);
    int i, j, bad = 0, bad_sum = 0, bad_log = 0, bad_fin = 0, bad_row = 0;
    nn_softmax(rows, cols, x, y);
    nn_log_softmax(rows, cols, x, ly);
    ref_softmax(rows, cols, x, r);
    ref_log_softmax(rows, cols, x, lr);
    for (i = 0; i < rows; i++) {
        const float *xr = x + (size_t)i * cols;
        double m, s = 0.0, ls = log(ref_row_sum_exp(cols, xr, &m));
        for (j = 0; j < cols; j++) {
            size_t k = (size_t)i * cols + j;
            double lt;
            if (!th_isfinite(y[k]) || !th_isfinite(ly[k])) bad_fin++;
            if (!(fabs(y[k] - r[k]) <= th_softmax_tol(r[k], cols, xr[j] - m))) bad++;
            /* log-softmax (x_j - m) - log s: the subtraction costs
             * u |x_j - m|, log s carries the sum's n u plus 1 ulp, the final
             * subtraction u |result|; constant 2. */
            lt = 2.0 * TH_U * (fabs(xr[j] - m) + cols + 2.0 * fabs(ls) + fabs(lr[k]));
            if (!(fabs(ly[k] - lr[k]) <= lt)) bad_log++;
            s += y[k];
        }
        /* the floats of a row sum to 1 within (n + 2) u: the row sum carries
         * n u relative error into 1/s, plus the rounding of 1/s and one per
         * product */
        if (!(fabs(s - 1.0) <= (cols + 2) * TH_U)) bad_sum++;
        /* nn_act_forward(SOFTMAX) is one row */
        nn_act_forward(NN_ACT_SOFTMAX, (size_t)cols, xr, y1);
        for (j = 0; j < cols; j++)
            if (!(fabs(y1[j] - r[(size_t)i * cols + j]) <= th_softmax_tol(r[(size_t)i * cols + j], cols, xr[j] - m)))
                bad_row++;
    }
    CHECK(bad_fin == 0, "softmax %s %dx%d: %d non-finite outputs", what, rows, cols, bad_fin);
    CHECK(bad == 0, "softmax %s %dx%d: %d elements off", what, rows, cols, bad);
    CHECK(bad_sum == 0, "softmax %s %dx%d: %d rows do not sum to 1 within (n+2)u",
          what, rows, cols, bad_sum);
    CHECK(bad_log == 0, "log_softmax %s %dx%d: %d elements off", what, rows, cols, bad_log);
    CHECK(bad_row == 0, "nn_act_forward(SOFTMAX) %s n=%d: %d elements off", what, cols, bad_row);
    free(y); free(ly); free(y1); free(r); free(lr);
}

static void test_softmax(void)
{
    static const int widths[] = {1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 33, 64, 100, 1000};
    int w, i;
    for (w = 0; w < (int)(sizeof widths / sizeof widths[0]); w++) {
        int cols = widths[w], rows = 5;
        float *x = TH_NEW(float, (size_t)rows * cols);
        th_fill(&rng, x, (size_t)rows * cols, -20.0, 20.0);
        check_softmax_rows(rows, cols, x, "U(-20,20)");
        /* logits +-1e4: no overflow, no NaN */
        for (i = 0; i < rows * cols; i++)
            x[i] = (th_rng_int(&rng, 2) ? 1e4f : -1e4f) + (float)th_rng_range(&rng, -3, 3);
        check_softmax_rows(rows, cols, x, "+-1e4");
        for (i = 0; i < rows * cols; i++) x[i] = 7.5f;          /* all equal */
        check_softmax_rows(rows, cols, x, "equal");
        free(x);
    }
    {   /* one row with a -inf logit: probability exactly 0 there */
        float x[4] = {1.0f, -INFINITY, 2.0f, 0.5f}, y[4];
        nn_softmax(1, 4, x, y);
        CHECK(y[1] == 0.0f && th_all_finite(y, 4), "softmax with a -inf logit: %g %g %g %g",
              y[0], y[1], y[2], y[3]);
    }
}

/* Softmax backward (Jacobian-vector product of one row):
 * dx_i = y_i (dy_i - sum_j y_j dy_j); the dot product costs n u
 * sum_j y_j |dy_j|, the subtraction and product u each: tolerance
 * 2 (n + 4) u y_i (|dy_i| + sum_j y_j |dy_j|) + FLT_MIN. */
static void test_softmax_backward(void)
{
    static const int widths[] = {1, 2, 3, 8, 17, 33, 100};
    int w;
    for (w = 0; w < 7; w++) {
        int n = widths[w], i, bad = 0;
        float *x = TH_NEW(float, n), *y = TH_NEW(float, n);
        float *dy = TH_NEW(float, n), *dx = TH_NEW(float, n);
        double *yd = TH_NEW(double, n), *dyd = TH_NEW(double, n), *r = TH_NEW(double, n);
        double sa = 0.0;
        th_fill(&rng, x, n, -5, 5);
        th_fill(&rng, dy, n, -1, 1);
        nn_act_forward(NN_ACT_SOFTMAX, (size_t)n, x, y);
        nn_act_backward(NN_ACT_SOFTMAX, (size_t)n, y, dy, dx);
        for (i = 0; i < n; i++) { yd[i] = y[i]; dyd[i] = dy[i]; sa += y[i] * fabs(dy[i]); }
        ref_softmax_jvp(n, yd, dyd, r);
        for (i = 0; i < n; i++) {
            double tol = 2.0 * (n + 4) * TH_U * yd[i] * (fabs(dyd[i]) + sa) + ldexp(1.0, -126);
            if (!(fabs(dx[i] - r[i]) <= tol)) bad++;
        }
        CHECK(bad == 0, "softmax backward n=%d: %d elements off", n, bad);
        free(x); free(y); free(dy); free(dx); free(yd); free(dyd); free(r);
    }
}

static void all_tests(void)
{
    rng.s = 777;
    test_forward();
    test_backward();
    test_softmax();
    test_softmax_backward();
}

int main(void)
{
    int a;
    th_begin("test_act");
    /* the reference itself at hand values (test bug guard) */
    CHECK(ref_act(NN_ACT_SIGMOID, 0.0) == 0.5 && fabs(ref_act(NN_ACT_TANH, 1.0) -
          0.76159415595576489) < 1e-15 && fabs(ref_act(NN_ACT_SOFTPLUS, 0.0) -
          0.69314718055994531) < 1e-15 && ref_act(NN_ACT_LEAKY_RELU, -2.0) == -0.02 &&
          fabs(ref_act_dx(NN_ACT_SIGMOID, 0.0) - 0.25) < 1e-15 &&
          fabs(ref_act_dy(NN_ACT_SOFTPLUS, 0.69314718055994531) - 0.5) < 1e-15,
          "reference activations at hand values (test bug)");
    rng.s = 4242;
    build_sweep();
    for (a = 0; a < NN_ACT_COUNT; a++)
        CHECK(nn_act_name((nn_act)a) && strlen(nn_act_name((nn_act)a)) > 0,
              "nn_act_name(%d) empty", a);
    th_for_each_isa(all_tests);
    free(xs);
    return th_finish();
}
