/* tests/test_step.c - the cache-blocked, fused, threaded training step.
 *
 * nn_train_step cuts the batch into row blocks, fuses the activation
 * derivative with the bias-gradient sum, and applies plain SGD on a small
 * block in place (no dW) when it cannot overflow. Each of those
 * must give what the plain unfused step gives: nn_forward + nn_backward
 * (whole batch, gradients materialized) + nn_update. Checked for every
 * hidden activation, every output/loss pairing, every optimizer, batch
 * sizes that do and do not divide the row block, with dropout, on every
 * ISA; and the step is bit-identical when repeated (and, built with
 * -fopenmp, for 1 and 2 threads with GEMMs big enough to split). With
 * -fopenmp the data-parallel step (a batch split into 2 or 3 parts, each
 * with its own gradients, summed in part order) meets the same bound, and
 * gives the same bits repeated and whichever threads run its parts.
 *
 * Tolerance. Both steps compute the same sums in float in different
 * groupings (row blocks split the batch sum of dW; different GEMM paths
 * for different row counts). For a gradient entry g = sum_b dz_b x_b each
 * evaluation is within gamma_K * S of the exact value, S = sum_b |dz_b x_b|
 * (from the double reference), where K counts the float operations along
 * the longest chain feeding it: the batch sum (B) plus the dot products of
 * forward and backward (at most the widest layer, W, per layer, L layers).
 * So |g_step - g_plain| <= 2 * (B + L*W) * 2^-24 * S; we allow 4x that,
 * plus 2 ulp where a weight or velocity is compared after being rounded.
 */
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"
#include "ref.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define NL 3                                    /* layers */
static const int SIZES[NL + 1] = {6, 9, 7, 4};
#define WMAX 9

typedef struct outcfg { nn_act act; nn_loss loss; } outcfg;
static const outcfg OUTS[] = {
    {NN_ACT_SOFTMAX, NN_LOSS_SOFTMAX_CE}, {NN_ACT_SIGMOID, NN_LOSS_BCE},
    {NN_ACT_IDENTITY, NN_LOSS_MSE}, {NN_ACT_IDENTITY, NN_LOSS_HUBER},
    {NN_ACT_TANH, NN_LOSS_MAE}};
static const nn_act HIDDEN[] = {NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU,
                                NN_ACT_LEAKY_RELU, NN_ACT_SOFTPLUS,
                                NN_ACT_IDENTITY};

static nn_opt make_opt(int which)
{
    nn_opt o;
    switch (which) {
    case 0: o = nn_opt_default(NN_OPT_SGD); break;            /* in place  */
    case 1: o = nn_opt_default(NN_OPT_SGD); o.l1 = 1e-3f; o.l2 = 1e-2f; break;
    case 2: o = nn_opt_default(NN_OPT_MOMENTUM); break;       /* velocity  */
    case 3: o = nn_opt_default(NN_OPT_MOMENTUM); o.l1 = 1e-3f; o.l2 = 1e-2f; break;
    case 4: o = nn_opt_default(NN_OPT_NESTEROV); o.l2 = 1e-2f; break;
    default: o = nn_opt_default(NN_OPT_ADAM); break;
    }
    o.lr = which == 5 ? 1e-3f : 0.05f;
    return o;
}
#define N_OPTS 6

/* Data of one batch: inputs in [-2, 2], targets fitting the output. */
static void make_batch(th_rng *r, int B, const outcfg *oc, float *x, float *y)
{
    int b, j, out = SIZES[NL];
    th_fill(r, x, (size_t)B * SIZES[0], -2.0, 2.0);
    for (b = 0; b < B; b++)
        for (j = 0; j < out; j++) {
            float *t = y + (size_t)b * out + j;
            if (oc->loss == NN_LOSS_SOFTMAX_CE) *t = j == b % out ? 1.0f : 0.0f;
            else if (oc->loss == NN_LOSS_BCE) *t = (float)th_rng_int(r, 2);
            else *t = (float)th_rng_range(r, -1.0, 1.0);
        }
}

static double max_diff_bound(const float *a, const float *b, const double *bound,
                             size_t n, double *worst_ratio)
{
    size_t i;
    double bad = 0.0;
    for (i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]), r = d / (bound[i] > 0 ? bound[i] : 1e-300);
        if (!(d <= bound[i])) bad += 1.0;
        if (r > *worst_ratio && d > 0) *worst_ratio = r;
    }
    return bad;
}

static double g_worst_ratio;
static int g_team;      /* > 0: nn_ctx_set_threads for the blocked step */

/* One configuration: the blocked step against the plain one. */
static void check_step(nn_act hidden, const outcfg *oc, int opt_i, int B, int rb,
                       float dropout, uint64_t seed)
{
    int sizes[NL + 1], l;
    nn_act acts[NL];
    nn_net *plain = NULL, *step = NULL, *base = NULL;
    nn_ctx *cp = NULL, *cs = NULL;
    nn_opt o = make_opt(opt_i);
    size_t np, i;
    float *x, *y, *gplain, lp = 0, ls = 0;
    double *gref, *sref, *bound;
    ref_net rn;
    int ref_acts[NL];
    th_rng r;
    int in_place = opt_i == 0 && B <= rb;
    int velocity = opt_i == 2 || opt_i == 3;
    double scale = 4.0 * 2.0 * (B + NL * WMAX) * ldexp(1.0, -24);
    memcpy(sizes, SIZES, sizeof sizes);
    for (l = 0; l < NL - 1; l++) acts[l] = hidden;
    acts[NL - 1] = oc->act;
    r.s = seed;
    x = TH_NEW(float, B * SIZES[0]);
    y = TH_NEW(float, B * SIZES[NL]);
    make_batch(&r, B, oc, x, y);
    CHECK_ST(nn_net_create(&base, NL, sizes, acts), NN_OK);
    if (!base) { free(x); free(y); return; }
    CHECK_ST(nn_net_init(base, NN_INIT_XAVIER, 0.0f, seed), NN_OK);
    nn_net_set_loss(base, oc->loss, 0.5f);
    for (l = 0; l < NL - 1; l++) nn_net_set_dropout(base, l, dropout);
    nn_net_clone(&plain, base);
    nn_net_clone(&step, base);
    nn_ctx_create(&cp, plain, 64);
    nn_ctx_create(&cs, step, 64);
    nn_ctx_seed(cp, seed);                      /* same dropout keys */
    nn_ctx_seed(cs, seed);
    nn_ctx_set_row_block(cs, rb);
    if (g_team) CHECK_ST(nn_ctx_set_threads(cs, step, g_team), NN_OK);
    np = 0;
    (void)nn_net_params(base, &np);
    gplain = TH_NEW(float, np);
    gref = TH_NEW(double, np);
    sref = TH_NEW(double, np);
    bound = TH_NEW(double, np);

    /* plain: forward, backward (gradients kept), update */
    CHECK_ST(nn_forward(plain, cp, B, x, 1), NN_OK);
    CHECK_ST(nn_backward(plain, cp, y, &lp), NN_OK);
    memcpy(gplain, nn_net_grads(plain, NULL), np * sizeof(float));
    CHECK_ST(nn_update(plain, &o), NN_OK);
    /* blocked, fused step */
    CHECK_ST(nn_train_step(step, cs, B, x, y, &o, &ls), NN_OK);
    CHECK(fabs((double)lp - ls) <= 1e-5 * fabs((double)lp) + 1e-6,
          "loss plain %.9g step %.9g (B %d rb %d)", lp, ls, B, rb);

    /* the reference's scale S of every gradient entry (no dropout in the
     * reference: with dropout, S of the undropped net bounds it after
     * scaling by 1/(1-p) per dropped layer) */
    for (l = 0; l < NL; l++) ref_acts[l] = (int)acts[l];
    ref_net_init(&rn, NL, sizes, ref_acts, (int)oc->loss, 0.5);
    ref_net_set(&rn, nn_net_params(base, NULL));
    ref_net_backward_abs(&rn, B, x, y, gref, sref);
    ref_net_free(&rn);
    for (i = 0; i < np; i++) {
        double s = sref[i] * (dropout > 0 ? 1.0 / ((1.0 - dropout) * (1.0 - dropout)) : 1.0);
        /* dropout: masks agree by construction; S of the dropped net is
         * only estimated, so allow the max over the layer too */
        bound[i] = scale * s + (dropout > 0 ? 1e-5 * th_maxabs(sref, np) : 0.0);
    }
    if (in_place) {
        /* compare weights: w_plain = w0 - lr g_plain (+ rounding) */
        const float *wp = nn_net_params(plain, NULL), *ws = nn_net_params(step, NULL);
        double bad = 0;
        for (i = 0; i < np; i++) {
            double d = fabs((double)wp[i] - ws[i]);
            double tol = o.lr * bound[i] + 2.0 * th_ulp(wp[i]);
            if (!(d <= tol)) bad++;
        }
        CHECK(bad == 0, "in-place SGD: %g weights beyond bound (act %s out %s B %d rb %d)",
              bad, nn_act_name(hidden), nn_loss_name(oc->loss), B, rb);
    } else if (velocity) {
        /* compare the new weights (velocity = -lr g at step 1) */
        const float *wp = nn_net_params(plain, NULL), *ws = nn_net_params(step, NULL);
        double bad = 0;
        for (i = 0; i < np; i++) {
            double d = fabs((double)wp[i] - ws[i]);
            double tol = o.lr * bound[i] + 4.0 * th_ulp(wp[i]) + 4.0 * th_ulp(o.lr * gref[i]);
            if (!(d <= tol)) bad++;
        }
        CHECK(bad == 0, "momentum velocity: %g weights beyond bound (act %s out %s B %d rb %d)",
              bad, nn_act_name(hidden), nn_loss_name(oc->loss), B, rb);
    } else {
        double bad = max_diff_bound(nn_net_grads(step, NULL), gplain, bound, np,
                                    &g_worst_ratio);
        CHECK(bad == 0, "gradients: %g entries beyond bound (act %s out %s opt %d B %d rb %d)",
              bad, nn_act_name(hidden), nn_loss_name(oc->loss), opt_i, B, rb);
        if (opt_i != 5) {   /* weights too (Adam at t=1 is sign(g): skip) */
            const float *wp = nn_net_params(plain, NULL), *ws = nn_net_params(step, NULL);
            bad = 0;
            for (i = 0; i < np; i++) {
                double d = fabs((double)wp[i] - ws[i]);
                if (!(d <= 2.0 * o.lr * bound[i] + 4.0 * th_ulp(wp[i]))) bad++;
            }
            CHECK(bad == 0, "weights after update: %g beyond bound (opt %d B %d rb %d)",
                  bad, opt_i, B, rb);
        }
    }
    CHECK(nn_net_step_count(step) == 1 && nn_net_step_count(plain) == 1,
          "step counts %ld %ld", nn_net_step_count(step), nn_net_step_count(plain));
    free(bound); free(sref); free(gref); free(gplain);
    nn_ctx_free(cp); nn_ctx_free(cs);
    nn_net_free(plain); nn_net_free(step); nn_net_free(base);
    free(x); free(y);
}

/* Params after a few steps of a given configuration (for repeat/thread
 * bit-identity). */
static void run_steps(int opt_i, int B, int rb, float dropout, int team,
                      float *out, size_t np)
{
    int sizes[NL + 1], l, s;
    nn_act acts[NL];
    nn_net *net = NULL;
    nn_ctx *ctx = NULL;
    nn_opt o = make_opt(opt_i);
    float *x, *y, loss;
    th_rng r;
    outcfg oc = OUTS[0];
    memcpy(sizes, SIZES, sizeof sizes);
    for (l = 0; l < NL - 1; l++) acts[l] = NN_ACT_RELU;
    acts[NL - 1] = oc.act;
    r.s = 99;
    x = TH_NEW(float, B * SIZES[0]);
    y = TH_NEW(float, B * SIZES[NL]);
    make_batch(&r, B, &oc, x, y);
    nn_net_create(&net, NL, sizes, acts);
    nn_net_init(net, NN_INIT_HE, 0.0f, 7);
    for (l = 0; l < NL - 1; l++) nn_net_set_dropout(net, l, dropout);
    nn_ctx_create(&ctx, net, 64);
    nn_ctx_seed(ctx, 5);
    nn_ctx_set_row_block(ctx, rb);
    if (team) nn_ctx_set_threads(ctx, net, team);
    for (s = 0; s < 5; s++) nn_train_step(net, ctx, B, x, y, &o, &loss);
    memcpy(out, nn_net_params(net, NULL), np * sizeof(float));
    nn_ctx_free(ctx);
    nn_net_free(net);
    free(x); free(y);
}

#ifdef _OPENMP
/* Params after 3 steps of a 128-256-64-10 net on a batch of 128 with
 * `threads` OpenMP threads and a one-part context: the layer GEMMs (4-8
 * MFLOP) split across threads. Returns a malloc'd copy. */
static float *run_gemm_threads(int opt_i, int threads, size_t *np)
{
    static const int sizes[4] = {128, 256, 64, 10};
    static const nn_act acts[3] = {NN_ACT_RELU, NN_ACT_TANH, NN_ACT_SOFTMAX};
    int B = 128, s;
    nn_net *net = NULL;
    nn_ctx *ctx = NULL;
    nn_opt o = make_opt(opt_i);
    float *x = TH_NEW(float, B * 128), *y = TH_NEW(float, B * 10), *out, loss;
    th_rng r;
    r.s = 11;
    th_fill(&r, x, (size_t)B * 128, -1.0, 1.0);
    for (s = 0; s < B * 10; s++) y[s] = s % 10 == (s / 10) % 10 ? 1.0f : 0.0f;
    omp_set_num_threads(threads);
    nn_net_create(&net, 3, sizes, acts);
    nn_net_init(net, NN_INIT_HE, 0.0f, 3);
    nn_ctx_create(&ctx, net, B);
    nn_ctx_set_threads(ctx, net, 1);
    for (s = 0; s < 3; s++) nn_train_step(net, ctx, B, x, y, &o, &loss);
    out = TH_NEW(float, nn_net_params(net, np) ? *np : 1);
    memcpy(out, nn_net_params(net, NULL), *np * sizeof(float));
    omp_set_num_threads(2);
    nn_ctx_free(ctx);
    nn_net_free(net);
    free(x); free(y);
    return out;
}
#endif

static void test_identity(void)
{
    size_t np = 0;
    int l, opt_i;
    float *a, *b;
    for (l = 0; l < NL; l++) np += (size_t)SIZES[l + 1] * (SIZES[l] + 1);
    a = TH_NEW(float, np);
    b = TH_NEW(float, np);
    for (opt_i = 0; opt_i < N_OPTS; opt_i++) {
        run_steps(opt_i, 37, 16, 0.2f, 0, a, np);
        run_steps(opt_i, 37, 16, 0.2f, 0, b, np);
        CHECK(memcmp(a, b, np * sizeof(float)) == 0, "repeat not bit-identical (opt %d)", opt_i);
#ifdef _OPENMP
        /* one part (no team): threads only split the GEMMs, which keep
         * every sum's order; the network is big enough that they do */
        if (opt_i == 2 || opt_i == 5) {
            size_t nbig = 0;
            float *c = run_gemm_threads(opt_i, 1, &nbig), *d = run_gemm_threads(opt_i, 2, &nbig);
            float *e = run_gemm_threads(opt_i, 2, &nbig);
            CHECK(memcmp(c, d, nbig * sizeof(float)) == 0,
                  "1 and 2 threads not bit-identical (opt %d)", opt_i);
            CHECK(memcmp(d, e, nbig * sizeof(float)) == 0,
                  "2 threads repeated not bit-identical (opt %d)", opt_i);
            free(c); free(d); free(e);
        }
        /* a team of 3 parts: repeated, and with every part run by one
         * thread (nested region), the same bits */
        run_steps(opt_i, 37, 16, 0.2f, 3, a, np);
        run_steps(opt_i, 37, 16, 0.2f, 3, b, np);
        CHECK(memcmp(a, b, np * sizeof(float)) == 0,
              "team of 3 repeated not bit-identical (opt %d)", opt_i);
#pragma omp parallel num_threads(2)
        {
#pragma omp single
            run_steps(opt_i, 37, 16, 0.2f, 3, b, np);
        }
        CHECK(memcmp(a, b, np * sizeof(float)) == 0,
              "team of 3 on one thread differs from 3 threads (opt %d)", opt_i);
#endif
    }
    free(a); free(b);
}

/* Gradients that overflow float while the loss stays finite (a 2 -> 1
 * identity layer whose second input is 0, MSE, x = 1e21, w = 1e-3: loss
 * 5e35, dW = 1e39) must give NN_ERR_NAN and leave every parameter and the
 * optimizer state as they were, for every optimizer, at batch 1 (plain SGD
 * updates W in place there, never forming dW) and at batch 20: one finite
 * step afterwards must then match the same step on an untouched twin bit
 * for bit. And where that in-place path's overflow bound fails but the
 * true dW is finite (batch 2, two rows whose dz x cancel: bound
 * 2 2^39 2^61 = 2^101 > 2^100, dW = 0), the step still succeeds and equals
 * forward + backward + update bit for bit. Two inputs, so that batch 2
 * fits the in-place path (batch <= every layer's input width). */
static void test_overflow_untouched(void)
{
    static const int sizes[2] = {2, 1};
    static const nn_act ident[1] = {NN_ACT_IDENTITY};
    int opt_i, bi;
    for (opt_i = 0; opt_i < N_OPTS; opt_i++)
        for (bi = 0; bi < 3; bi++) {
            static const int batches[3] = {1, 2, 20};
            int B = batches[bi], i;
            nn_net *a = NULL, *b = NULL;
            nn_ctx *ca = NULL, *cb = NULL;
            nn_opt o = make_opt(opt_i);
            float x[40], y[20], w0, loss, lb;
            nn_status st;
            if (nn_net_create(&a, 1, sizes, ident) != NN_OK ||
                nn_net_create(&b, 1, sizes, ident) != NN_OK ||
                nn_ctx_create(&ca, a, 20) != NN_OK || nn_ctx_create(&cb, b, 20) != NN_OK) {
                CHECK(0, "setup failed");
                goto next;
            }
            nn_net_set_loss(a, NN_LOSS_MSE, 0.0f);
            nn_net_set_loss(b, NN_LOSS_MSE, 0.0f);
            /* y = 2^40 for both rows of batch 2; errors +2^40, -2^40 */
            w0 = B == 2 ? 4.76837158203125e-07f : 1e-3f;               /* 2^-21 */
            for (i = 0; i < B; i++) {
                x[2 * i] = B == 2 ? 2305843009213693952.0f : 1e21f;    /* 2^61 */
                x[2 * i + 1] = 0.0f;
                y[i] = B == 2 && i == 1 ? 2199023255552.0f : 0.0f;      /* 2^41 */
            }
            nn_net_weights(a, 0)[0] = nn_net_weights(b, 0)[0] = w0;
            nn_net_weights(a, 0)[1] = nn_net_weights(b, 0)[1] = 0.0f;
            nn_net_bias(a, 0)[0] = nn_net_bias(b, 0)[0] = 0.0f;
            st = nn_train_step(a, ca, B, x, y, &o, &loss);
            if (B != 2) {
                CHECK(st == NN_ERR_NAN, "opt %d batch %d: overflowing step returned %s",
                      opt_i, B, nn_status_str(st));
                CHECK(nn_net_weights(a, 0)[0] == w0 && nn_net_weights(a, 0)[1] == 0.0f &&
                      nn_net_bias(a, 0)[0] == 0.0f,
                      "opt %d batch %d: a refused step changed the parameters (w %g b %g)",
                      opt_i, B, nn_net_weights(a, 0)[0], nn_net_bias(a, 0)[0]);
                /* the optimizer state (velocity, moments, step count) too:
                 * a finite step now matches the twin's first step */
                for (i = 0; i < B; i++) { x[2 * i] = 1.0f; x[2 * i + 1] = 0.5f; y[i] = 1.0f; }
                CHECK(nn_train_step(a, ca, B, x, y, &o, &loss) == NN_OK &&
                      nn_train_step(b, cb, B, x, y, &o, &lb) == NN_OK,
                      "opt %d batch %d: finite step after the refused one failed", opt_i, B);
                CHECK(nn_net_weights(a, 0)[0] == nn_net_weights(b, 0)[0] &&
                      nn_net_weights(a, 0)[1] == nn_net_weights(b, 0)[1] &&
                      nn_net_bias(a, 0)[0] == nn_net_bias(b, 0)[0] &&
                      nn_net_step_count(a) == nn_net_step_count(b),
                      "opt %d batch %d: the refused step left optimizer state behind "
                      "(w %.9g vs %.9g, steps %ld vs %ld)", opt_i, B,
                      nn_net_weights(a, 0)[0], nn_net_weights(b, 0)[0],
                      nn_net_step_count(a), nn_net_step_count(b));
            } else {
                CHECK(st == NN_OK, "opt %d: cancelling step returned %s", opt_i,
                      nn_status_str(st));
                CHECK(nn_forward(b, cb, B, x, 1) == NN_OK &&
                      nn_backward(b, cb, y, &lb) == NN_OK && nn_update(b, &o) == NN_OK,
                      "opt %d: reference step failed", opt_i);
                CHECK(nn_net_weights(a, 0)[0] == nn_net_weights(b, 0)[0] &&
                      nn_net_weights(a, 0)[1] == nn_net_weights(b, 0)[1] &&
                      nn_net_bias(a, 0)[0] == nn_net_bias(b, 0)[0],
                      "opt %d: cancelling step differs from the plain step", opt_i);
            }
        next:
            nn_ctx_free(ca); nn_ctx_free(cb); nn_net_free(a); nn_net_free(b);
        }
}

static void test_all_configs(void)
{
    static const int batches[] = {1, 16, 37};
    static const int blocks[] = {5, 16, 64};
    size_t h, o;
    int opt_i, bi, ri;
    uint64_t seed = 1;
    int quick = th_quick();
    for (h = 0; h < sizeof HIDDEN / sizeof HIDDEN[0]; h++)
        for (o = 0; o < sizeof OUTS / sizeof OUTS[0]; o++)
            for (opt_i = 0; opt_i < N_OPTS; opt_i++)
                for (bi = 0; bi < 3; bi++)
                    for (ri = 0; ri < 3; ri++) {
                        if (quick && (seed % 5) != 0) { seed++; continue; }
                        check_step(HIDDEN[h], &OUTS[o], opt_i, batches[bi],
                                   blocks[ri], 0.0f, seed++);
                    }
    /* with dropout: the masks of a blocked step equal the whole batch's */
    for (opt_i = 0; opt_i < N_OPTS; opt_i++)
        for (ri = 0; ri < 3; ri++)
            check_step(NN_ACT_RELU, &OUTS[0], opt_i, 37, blocks[ri], 0.3f, 1000 + ri);
#ifdef _OPENMP
    /* data-parallel step (2 and 3 parts, parts that do and do not divide
     * the batch or the block) against the plain step, same bound */
    for (g_team = 2; g_team <= 3; g_team++)
        for (o = 0; o < sizeof OUTS / sizeof OUTS[0]; o++)
            for (opt_i = 0; opt_i < N_OPTS; opt_i++)
                for (bi = 1; bi < 3; bi++)
                    check_step(HIDDEN[(o + opt_i) % 6], &OUTS[o], opt_i, batches[bi],
                               blocks[(bi + opt_i) % 3], opt_i == 3 ? 0.3f : 0.0f,
                               2000 + seed++);
    g_team = 0;
#endif
    test_identity();
}

int main(void)
{
    th_begin("test_step");
    th_for_each_isa(test_all_configs);
    th_for_each_isa(test_overflow_untouched);
    printf("worst gradient difference / bound: %.3g\n", g_worst_ratio);
    return th_finish();
}
