/* tests/test_loss.c - losses, their gradients and the output-layer delta
 * (nn_loss_eval, nn_output_delta) against the double reference, every ISA.
 *
 * Tolerances (u = 2^-24):
 *   loss value: the loss is a mean of non-negative terms; each term costs a
 *     few roundings (<= 4u relative, log/abs included) and the sum of n terms
 *     n u: 2 u (n + 8) L. A log of a rounded argument (log(1 - h), log p)
 *     adds 0.5u + 1 ulp ABSOLUTE per term (d log x = dx / x), which is
 *     not relative to the term: + 2 u n / B.
 *   gradient dL/dh: 4 ulp of the reference ((h - y) / B and friends are at
 *     most 3 roundings). BCE's -y/h + (1-y)/(1-h) may be evaluated as two
 *     terms that cancel near h = y: + 4 u (y/h + (1-y)/(1-h)) / B.
 *   output delta: fused (h - y)/B, (p - y)/B: 4 ulp + FLT_MIN; dL/dh f'(h):
 *     8 ulp (the gradient's 4 and f' from y's 4, harness.h th_act_bwd_tol);
 *     softmax + a non-CE loss (row Jacobian): as the softmax backward,
 *     2 (n + 4) u p_i (|g_i| + sum_j p_j |g_j|).
 */
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"
#include "ref.h"

static th_rng rng;

/* Fills h (rows x cols, as the output of act) and y (targets fit for
 * loss) at random. */
static void make_data(nn_act act, nn_loss loss, int rows, int cols, float *h,
                      float *y)
{
    int i, j, n = rows * cols;
    float *z = TH_NEW(float, n);
    th_fill(&rng, z, (size_t)n, -3.0, 3.0);
    if (act == NN_ACT_SOFTMAX) nn_softmax(rows, cols, z, h);
    else if (act == NN_ACT_IDENTITY && loss == NN_LOSS_BCE) {
        for (i = 0; i < n; i++) h[i] = (float)th_rng_range(&rng, 0.01, 0.99);
    } else nn_act_forward(act, (size_t)n, z, h);
    for (i = 0; i < rows; i++) {
        int hot = th_rng_int(&rng, cols), soft = th_rng_int(&rng, 2);
        for (j = 0; j < cols; j++) {
            float *t = &y[i * cols + j];
            if (loss == NN_LOSS_SOFTMAX_CE) *t = j == hot ? 1.0f : 0.0f;
            else if (loss == NN_LOSS_BCE)
                *t = soft ? (float)th_rng_unif(&rng) : (float)th_rng_int(&rng, 2);
            else *t = (float)th_rng_range(&rng, -2.0, 2.0);
        }
    }
    free(z);
}

static void to_double(const float *x, double *d, int n)
{
    int i;
    for (i = 0; i < n; i++) d[i] = x[i];
}

static void test_loss_eval(void)
{
    static const float deltas[] = {0.5f, 1.0f, 2.0f};
    int l, rep;
    for (l = 0; l < NN_LOSS_COUNT; l++)
        for (rep = 0; rep < 30; rep++) {
            int rows = 1 + th_rng_int(&rng, 7), cols = 1 + th_rng_int(&rng, 9);
            int n, i, bad = 0, first = -1;
            float *h, *y, *g, delta = deltas[rep % 3], L = -1.0f, L2 = -2.0f;
            double *hd, *yd, *gr, Lr, tol;
            nn_act act = l == NN_LOSS_SOFTMAX_CE ? NN_ACT_SOFTMAX : NN_ACT_IDENTITY;
            if (l == NN_LOSS_SOFTMAX_CE && cols < 2) cols = 2;
            n = rows * cols;
            h = TH_NEW(float, n); y = TH_NEW(float, n); g = TH_NEW(float, n);
            hd = TH_NEW(double, n); yd = TH_NEW(double, n); gr = TH_NEW(double, n);
            make_data(act, (nn_loss)l, rows, cols, h, y);
            if (l <= NN_LOSS_HUBER)     /* keep |h - y| off Huber's/MAE's kinks */
                for (i = 0; i < n; i++)
                    if (fabs(fabs(h[i] - y[i]) - delta) < 1e-3 || fabs(h[i] - y[i]) < 1e-3)
                        h[i] += 0.01f;
            to_double(h, hd, n);
            to_double(y, yd, n);
            Lr = ref_loss(l, rows, cols, hd, yd, delta, gr);
            CHECK_ST(nn_loss_eval((nn_loss)l, rows, cols, h, y, delta, &L, g), NN_OK);
            CHECK_ST(nn_loss_eval((nn_loss)l, rows, cols, h, y, delta, &L2, NULL), NN_OK);
            tol = 2.0 * TH_U * ((n + 8) * Lr + (double)n / rows);
            CHECK(fabs(L - Lr) <= tol, "%s %dx%d delta=%g: loss %.9g ref %.17g (tol %.3g)",
                  nn_loss_name((nn_loss)l), rows, cols, delta, L, Lr, tol);
            CHECK(L == L2, "%s: loss with grad=NULL %.9g != %.9g", nn_loss_name((nn_loss)l), L2, L);
            for (i = 0; i < n; i++) {
                double t = 4.0 * th_ulp(gr[i]);
                if (l == NN_LOSS_BCE)
                    t += 4.0 * TH_U * (yd[i] / hd[i] + (1.0 - yd[i]) / (1.0 - hd[i])) / rows;
                if (!(fabs(g[i] - gr[i]) <= t)) { if (first < 0) first = i; bad++; }
            }
            CHECK(bad == 0, "%s %dx%d grad: %d wrong, first h=%.9g y=%.9g got %.9g ref %.17g",
                  nn_loss_name((nn_loss)l), rows, cols, bad, first >= 0 ? h[first] : 0.0f,
                  first >= 0 ? y[first] : 0.0f, first >= 0 ? g[first] : 0.0f,
                  first >= 0 ? gr[first] : 0.0);
            free(h); free(y); free(g); free(hd); free(yd); free(gr);
        }
    /* hand-computed values: one row, two columns */
    {
        float h[2] = {0.5f, -1.0f}, y[2] = {1.0f, 1.0f}, g[2], L;
        CHECK_ST(nn_loss_eval(NN_LOSS_MSE, 1, 2, h, y, 0.0f, &L, g), NN_OK);
        CHECK(L == 2.125f && g[0] == -0.5f && g[1] == -2.0f,
              "MSE by hand: L=%g (2.125) g=%g,%g (-0.5,-2)", L, g[0], g[1]);
        CHECK_ST(nn_loss_eval(NN_LOSS_MAE, 1, 2, h, y, 0.0f, &L, g), NN_OK);
        CHECK(L == 2.5f && g[0] == -1.0f && g[1] == -1.0f,
              "MAE by hand: L=%g (2.5) g=%g,%g (-1,-1)", L, g[0], g[1]);
        CHECK_ST(nn_loss_eval(NN_LOSS_HUBER, 1, 2, h, y, 1.0f, &L, g), NN_OK);
        CHECK(L == 1.625f && g[0] == -0.5f && g[1] == -1.0f,
              "Huber(1) by hand: L=%g (0.125+1.5) g=%g,%g (-0.5,-1)", L, g[0], g[1]);
    }
    {   /* batch mean: two identical rows give the loss of one row */
        float h[4] = {0.3f, 0.9f, 0.3f, 0.9f}, y[4] = {0.0f, 1.0f, 0.0f, 1.0f}, L1, L2;
        CHECK_ST(nn_loss_eval(NN_LOSS_BCE, 1, 2, h, y, 0.0f, &L1, NULL), NN_OK);
        CHECK_ST(nn_loss_eval(NN_LOSS_BCE, 2, 2, h, y, 0.0f, &L2, NULL), NN_OK);
        CHECK(fabs(L1 - L2) <= 4 * TH_U * L1, "BCE mean over rows: %g vs %g", L1, L2);
        CHECK(fabs(L1 - (-log(0.7) - log(0.9))) <= 8 * TH_U,
              "BCE by hand: %.9g vs %.9g", L1, -log(0.7) - log(0.9));
    }
    for (l = 0; l < NN_LOSS_COUNT; l++)
        CHECK(nn_loss_name((nn_loss)l) && *nn_loss_name((nn_loss)l), "nn_loss_name(%d)", l);
}

/* nn_output_delta against the chain rule through f in double. */
static void test_output_delta(void)
{
    static const struct { nn_act act; nn_loss loss; } pairs[] = {
        {NN_ACT_IDENTITY, NN_LOSS_MSE}, {NN_ACT_IDENTITY, NN_LOSS_MAE},
        {NN_ACT_IDENTITY, NN_LOSS_HUBER}, {NN_ACT_SIGMOID, NN_LOSS_BCE},
        {NN_ACT_SIGMOID, NN_LOSS_MSE}, {NN_ACT_SIGMOID, NN_LOSS_MAE},
        {NN_ACT_TANH, NN_LOSS_MSE}, {NN_ACT_TANH, NN_LOSS_HUBER},
        {NN_ACT_SOFTMAX, NN_LOSS_SOFTMAX_CE}, {NN_ACT_SOFTMAX, NN_LOSS_MSE},
        {NN_ACT_RELU, NN_LOSS_MSE}, {NN_ACT_LEAKY_RELU, NN_LOSS_MSE},
        {NN_ACT_SOFTPLUS, NN_LOSS_MSE}, {NN_ACT_SOFTPLUS, NN_LOSS_HUBER}
    };
    int p, rep;
    for (p = 0; p < (int)(sizeof pairs / sizeof pairs[0]); p++)
        for (rep = 0; rep < 20; rep++) {
            nn_act act = pairs[p].act;
            nn_loss loss = pairs[p].loss;
            int rows = 1 + th_rng_int(&rng, 6), cols = 2 + th_rng_int(&rng, 7);
            int n = rows * cols, i, r, bad = 0, first = -1;
            float *h = TH_NEW(float, n), *y = TH_NEW(float, n), *dz = TH_NEW(float, n);
            double *hd = TH_NEW(double, n), *yd = TH_NEW(double, n), *rz = TH_NEW(double, n);
            double *g = TH_NEW(double, n);
            float delta = 0.75f;
            make_data(act, loss, rows, cols, h, y);
            if (loss == NN_LOSS_MAE || loss == NN_LOSS_HUBER)
                for (i = 0; i < n; i++)
                    if (fabs(h[i] - y[i]) < 1e-3 || fabs(fabs(h[i] - y[i]) - delta) < 1e-3)
                        y[i] += 0.01f;
            to_double(h, hd, n);
            to_double(y, yd, n);
            CHECK_ST(nn_output_delta(act, loss, rows, cols, h, y, delta, dz), NN_OK);
            ref_output_delta(act, loss, rows, cols, hd, yd, delta, rz);
            (void)ref_loss(loss, rows, cols, hd, yd, delta, g);
            for (r = 0; r < rows; r++) {
                double sa = 0.0;
                for (i = r * cols; i < (r + 1) * cols; i++) sa += hd[i] * fabs(g[i]);
                for (i = r * cols; i < (r + 1) * cols; i++) {
                    double t;
                    if ((act == NN_ACT_SIGMOID && loss == NN_LOSS_BCE) ||
                        (act == NN_ACT_SOFTMAX && loss == NN_LOSS_SOFTMAX_CE))
                        t = 4.0 * th_ulp(rz[i]) + ldexp(1.0, -126);
                    else if (act == NN_ACT_SOFTMAX)
                        t = 2.0 * (cols + 4) * TH_U * hd[i] * (fabs(g[i]) + sa) + ldexp(1.0, -126);
                    else
                        t = 8.0 * th_ulp(rz[i]) + ldexp(1.0, -126);
                    if (!(fabs(dz[i] - rz[i]) <= t)) { if (first < 0) first = i; bad++; }
                }
            }
            CHECK(bad == 0, "output delta %s+%s %dx%d: %d wrong, first h=%.9g y=%.9g got %.9g ref %.17g",
                  nn_act_name(act), nn_loss_name(loss), rows, cols, bad,
                  first >= 0 ? h[first] : 0.0f, first >= 0 ? y[first] : 0.0f,
                  first >= 0 ? dz[first] : 0.0f, first >= 0 ? rz[first] : 0.0);
            free(h); free(y); free(dz); free(hd); free(yd); free(rz); free(g);
        }
}

/* Saturated outputs still learn through the fused forms. */
static void test_saturated(void)
{
    float one_m = 1.0f - 5.9604645e-08f;        /* largest float below 1 */
    float h[4], y[4], dz[4];
    /* sigmoid + BCE, B = 2 rows of 2 */
    h[0] = 1.0f;  y[0] = 0.0f;                  /* confidently wrong      */
    h[1] = one_m; y[1] = 1.0f;                  /* almost right           */
    h[2] = 0.0f;  y[2] = 1.0f;                  /* confidently wrong      */
    h[3] = 1e-30f; y[3] = 0.0f;                 /* almost right           */
    CHECK_ST(nn_output_delta(NN_ACT_SIGMOID, NN_LOSS_BCE, 2, 2, h, y, 0.0f, dz), NN_OK);
    CHECK(th_all_finite(dz, 4), "sigmoid+BCE saturated: non-finite delta %g %g %g %g",
          dz[0], dz[1], dz[2], dz[3]);
    CHECK(dz[0] == 0.5f && dz[2] == -0.5f, "sigmoid+BCE at h=1,y=0 / h=0,y=1: %g %g "
          "(want (h-y)/B = 0.5, -0.5)", dz[0], dz[2]);
    CHECK(dz[1] < 0.0f && fabs(dz[1] + 2.98e-8) < 1e-9,
          "sigmoid+BCE at h=1-2^-24, y=1: %g (want -2^-24/2)", dz[1]);
    CHECK(dz[3] > 0.0f, "sigmoid+BCE at h=1e-30, y=0: %g (want 5e-31)", dz[3]);
    /* softmax + CE: p one-hot on the wrong class */
    {
        float p[6] = {1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f};
        float t[6] = {0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 1.0f}, d[6];
        CHECK_ST(nn_output_delta(NN_ACT_SOFTMAX, NN_LOSS_SOFTMAX_CE, 2, 3, p, t, 0.0f, d), NN_OK);
        CHECK(d[0] == 0.5f && d[1] == -0.5f && d[2] == 0.0f,
              "softmax+CE saturated wrong: %g %g %g (want 0.5 -0.5 0)", d[0], d[1], d[2]);
        CHECK(d[3] == 0.0f && d[4] == 0.0f && d[5] == 0.0f,
              "softmax+CE saturated right: %g %g %g (want 0)", d[3], d[4], d[5]);
    }
}

static void all_tests(void)
{
    rng.s = 99;
    test_loss_eval();
    test_output_delta();
    test_saturated();
}

int main(void)
{
    th_begin("test_loss");
    th_for_each_isa(all_tests);
    return th_finish();
}
