/* tests/test_net.c - networks: gradients, optimizers, layout, init,
 * dropout, schedules, early stopping, the fit loop. Every ISA.
 *
 * GRADIENT CHECK. nn.h's analytic float gradients (nn_forward/nn_backward)
 * are compared with central differences taken on the DOUBLE reference
 * network (tests/ref.h) holding the same float weights, inputs and targets:
 *     fd_i = (L(p + h e_i) - L(p - h e_i)) / 2h,   h = 1e-6, in double
 * (truncation ~h^2 = 1e-12, roundoff ~1e-16/h = 1e-10: fd is exact to ~1e-9
 * relative). A parameter where fd with h and h/2 disagree (> 1e-7 +
 * 1e-6 |fd|) sits on a kink (relu, MAE, Huber) and is skipped (counted).
 * Error per parameter:
 *     rel_i = (|g_i - fd_i| - noise) / max(|g_i|, |fd_i|, 1e-3 max_j |fd_j|)
 * TOLERANCE rel_i <= 1e-4: the float forward/backward carries ~(fan-in +
 * a few) u ~ 1e-6 relative error per layer; the floor (1e-3 of the net's
 * largest gradient) keeps parameters whose gradient nearly cancels over the
 * batch from dividing float noise by ~0. Wrong math (a missing factor, the
 * wrong derivative, a dropped bias term, averaging over the wrong batch
 * size) gives errors of 1e-2 and more. The reference's own analytic
 * backprop is checked against the same fd at 1e-6. Both comparisons first
 * allow fd's own roundoff, 1e-9 max(|L|, 1) absolute (observed ~3e-11:
 * the two evaluations round alike), which would otherwise dominate the
 * smallest gradients (~1e-5, behind a leaky relu's 0.01 slope).
 */
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"
#include "ref.h"

static th_rng rng;
static double worst_rel_all;    /* over every ISA, reported at the end */
static char worst_label[200];

#define GC_TOL 1e-4
#define GC_FLOOR 1e-3

static nn_net *make_net(int L, const int *sizes, const nn_act *acts, nn_loss loss,
                        float delta, nn_init init, float scale, uint64_t seed)
{
    nn_net *net = NULL;
    nn_status st = nn_net_create(&net, L, sizes, acts);
    CHECK(st == NN_OK && net, "nn_net_create: %s", nn_status_str(st));
    if (st != NN_OK || !net) return NULL;
    CHECK_ST(nn_net_set_loss(net, loss, delta), NN_OK);
    CHECK_ST(nn_net_init(net, init, scale, seed), NN_OK);
    return net;
}
static nn_ctx *make_ctx(const nn_net *net, int max_batch)
{
    nn_ctx *ctx = NULL;
    nn_status st = nn_ctx_create(&ctx, net, max_batch);
    CHECK(st == NN_OK && ctx, "nn_ctx_create: %s", nn_status_str(st));
    return st == NN_OK ? ctx : NULL;
}

/* Targets fit for (output act, loss). */
static void make_targets(nn_act out, nn_loss loss, int B, int no, float *y)
{
    int b, j;
    for (b = 0; b < B; b++) {
        int hot = th_rng_int(&rng, no);
        for (j = 0; j < no; j++) {
            float *t = &y[b * no + j];
            if (loss == NN_LOSS_SOFTMAX_CE) *t = j == hot ? 1.0f : 0.0f;
            else if (loss == NN_LOSS_BCE) *t = (float)th_rng_int(&rng, 2);
            else if (out == NN_ACT_SIGMOID || out == NN_ACT_SOFTMAX)
                *t = (float)th_rng_unif(&rng);
            else *t = (float)th_rng_range(&rng, -1.0, 1.0);
        }
    }
}

/* One gradient check; returns the worst relative error. */
static double gradcheck(int L, const int *sizes, const nn_act *acts, nn_loss loss,
                        float delta, int B, uint64_t seed)
{
    nn_net *net;
    nn_ctx *ctx;
    ref_net rn;
    int ra[REF_MAX_LAYERS], l, no = sizes[L], ni = sizes[0], skipped = 0, nbad = 0;
    size_t np = 0, ng = 0, i, worst_i = 0;
    float *x, *y, *g, *p, lossv = -1.0f;
    double *fd, *ga, gmax, worst = 0.0, worst_ref = 0.0, Lr, noise;
    char label[160];

    sprintf(label, "%s", nn_act_name(acts[0]));
    for (l = 1; l < L; l++) sprintf(label + strlen(label), "-%s", nn_act_name(acts[l]));
    sprintf(label + strlen(label), " + %s, B=%d", nn_loss_name(loss), B);
    net = make_net(L, sizes, acts, loss, delta, NN_INIT_UNIFORM, 0.6f, seed);
    if (!net) return HUGE_VAL;
    ctx = make_ctx(net, B);
    if (!ctx) { nn_net_free(net); return HUGE_VAL; }
    p = nn_net_params(net, &np);
    x = TH_NEW(float, B * ni);
    y = TH_NEW(float, B * no);
    th_fill(&rng, x, (size_t)B * ni, -1.0, 1.0);
    make_targets(acts[L - 1], loss, B, no, y);
    CHECK_ST(nn_forward(net, ctx, B, x, 1), NN_OK);
    CHECK_ST(nn_backward(net, ctx, y, &lossv), NN_OK);
    g = nn_net_grads(net, &ng);
    CHECK(g && ng == np, "%s: grads count %lu != params %lu", label,
          (unsigned long)ng, (unsigned long)np);

    for (l = 0; l < L; l++) ra[l] = acts[l];
    ref_net_init(&rn, L, sizes, ra, loss, delta);
    CHECK(rn.n_params == np, "%s: nn_net_params count %lu, layout says %lu", label,
          (unsigned long)np, (unsigned long)rn.n_params);
    if (!g || ng != np || rn.n_params != np) goto done;
    ref_net_set(&rn, p);
    Lr = ref_net_loss(&rn, B, x, y);
    /* loss value: float forward, ~1e-6 relative; 1e-5 gives margin */
    CHECK(fabs(lossv - Lr) <= 1e-5 * fabs(Lr) + 1e-6, "%s: loss %.9g, reference %.12g",
          label, lossv, Lr);

    fd = TH_NEW(double, np);
    ga = TH_NEW(double, np);
    (void)ref_net_backward(&rn, B, x, y, ga);
    for (i = 0; i < np; i++) {
        double p0 = rn.p[i], h = 1e-6, f1, f2;
        rn.p[i] = p0 + h; f1 = ref_net_loss(&rn, B, x, y);
        rn.p[i] = p0 - h; f1 = (f1 - ref_net_loss(&rn, B, x, y)) / (2 * h);
        rn.p[i] = p0 + h / 2; f2 = ref_net_loss(&rn, B, x, y);
        rn.p[i] = p0 - h / 2; f2 = (f2 - ref_net_loss(&rn, B, x, y)) / h;
        rn.p[i] = p0;
        fd[i] = fabs(f1 - f2) > 1e-7 + 1e-6 * fabs(f1) ? NAN : f1;
    }
    gmax = 0.0;
    for (i = 0; i < np; i++) if (fd[i] == fd[i] && fabs(fd[i]) > gmax) gmax = fabs(fd[i]);
    /* fd's own noise: observed ~3e-11 |L| (the + and - evaluations round
     * alike); allow 1e-9 max(|L|, 1) absolute before measuring */
    noise = 1e-9 * (fabs(Lr) > 1.0 ? fabs(Lr) : 1.0);
    for (i = 0; i < np; i++) {
        double den, rel;
        if (fd[i] != fd[i]) { skipped++; continue; }
        den = fabs(g[i]) > fabs(fd[i]) ? fabs(g[i]) : fabs(fd[i]);
        if (den < GC_FLOOR * gmax) den = GC_FLOOR * gmax;
        if (den == 0.0) continue;
        rel = fabs(g[i] - fd[i]) - noise;
        rel = rel > 0.0 ? rel / den : 0.0;
        if (!(rel <= GC_TOL)) nbad++;
        if (!(rel <= worst)) { worst = rel; worst_i = i; }
        rel = fabs(ga[i] - fd[i]) - noise;
        rel = rel > 0.0 ? rel / den : 0.0;
        if (rel > worst_ref) worst_ref = rel;
    }
    if (worst > worst_rel_all) {
        worst_rel_all = worst;
        sprintf(worst_label, "%s [%s]", label, th_isa_label);
    }
    CHECK(nbad == 0, "gradcheck %s: %d of %lu parameters off, worst rel %.3g at #%lu "
          "(nn %.9g, fd %.12g)", label, nbad, (unsigned long)np, worst,
          (unsigned long)worst_i, g[worst_i], fd[worst_i]);
    CHECK(worst_ref <= 1e-6, "gradcheck %s: the double reference's own backprop is off "
          "by %.3g (test bug)", label, worst_ref);
    CHECK(skipped <= (int)np / 4, "gradcheck %s: %d parameters on kinks", label, skipped);
    /* every layer's bias gradient is non-zero where the true one is (MAE's
     * sums of +-1/B can cancel exactly; then fd is ~0 as well) */
    for (l = 0; l < L; l++) {
        const float *gb = g + rn.b_off[l];
        double m = 0.0, mfd = 0.0;
        int j;
        for (j = 0; j < sizes[l + 1]; j++) {
            if (fabs(gb[j]) > m) m = fabs(gb[j]);
            if (fabs(fd[rn.b_off[l] + j]) > mfd) mfd = fabs(fd[rn.b_off[l] + j]);
        }
        CHECK(mfd <= 1e-3 * gmax || m > 0.5 * mfd, "%s: layer %d bias gradients all ~0 "
              "(max %g, finite differences %g)", label, l, m, mfd);
    }
    free(fd);
    free(ga);
done:
    ref_net_free(&rn);
    free(x);
    free(y);
    nn_ctx_free(ctx);
    nn_net_free(net);
    return worst;
}

static void test_gradcheck(void)
{
    static const nn_act hidden[] = {NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU,
                                    NN_ACT_LEAKY_RELU, NN_ACT_SOFTPLUS, NN_ACT_IDENTITY};
    static const struct { nn_act act; nn_loss loss; } outs[] = {
        {NN_ACT_IDENTITY, NN_LOSS_MSE}, {NN_ACT_IDENTITY, NN_LOSS_MAE},
        {NN_ACT_IDENTITY, NN_LOSS_HUBER}, {NN_ACT_SIGMOID, NN_LOSS_BCE},
        {NN_ACT_SIGMOID, NN_LOSS_MSE}, {NN_ACT_SOFTMAX, NN_LOSS_SOFTMAX_CE},
        {NN_ACT_SOFTMAX, NN_LOSS_MSE}, {NN_ACT_TANH, NN_LOSS_MSE},
        {NN_ACT_TANH, NN_LOSS_HUBER}, {NN_ACT_SOFTPLUS, NN_LOSS_MSE},
        {NN_ACT_LEAKY_RELU, NN_LOSS_MAE}
    };
    int h, o, k = 0;
    double worst = 0.0;
    for (h = 0; h < 6; h++)
        for (o = 0; o < (int)(sizeof outs / sizeof outs[0]); o++, k++) {
            int sizes[4] = {3, 5, 4, 2};
            nn_act acts[3];
            int B = 3 + k % 5;
            double w;
            if (outs[o].act == NN_ACT_SOFTMAX) sizes[3] = 3;
            acts[0] = hidden[h];
            acts[1] = hidden[(h + k) % 6];
            acts[2] = outs[o].act;
            w = gradcheck(3, sizes, acts, outs[o].loss, 0.3f, B, 1000 + k);
            if (w > worst) worst = w;
        }
    {   /* a 1-layer and a 4-layer net */
        int s1[2] = {4, 3}, s4[5] = {2, 6, 5, 4, 3};
        nn_act a1[1] = {NN_ACT_SIGMOID};
        nn_act a4[4] = {NN_ACT_TANH, NN_ACT_SOFTPLUS, NN_ACT_LEAKY_RELU, NN_ACT_SOFTMAX};
        double w = gradcheck(1, s1, a1, NN_LOSS_BCE, 0.0f, 5, 7);
        if (w > worst) worst = w;
        w = gradcheck(4, s4, a4, NN_LOSS_SOFTMAX_CE, 0.0f, 7, 8);
        if (w > worst) worst = w;
    }
    printf("    gradient check: worst relative error %.3g (tolerance %g)\n", worst, GC_TOL);
}

/* Gradients of one batch through a ctx of max_batch; out: a malloc'd copy. */
static float *batch_grad(nn_net *net, nn_ctx *ctx, int B, const float *x,
                         const float *y)
{
    size_t n = 0;
    float *g, *c;
    CHECK_ST(nn_forward(net, ctx, B, x, 1), NN_OK);
    CHECK_ST(nn_backward(net, ctx, y, NULL), NN_OK);
    g = nn_net_grads(net, &n);
    c = TH_NEW(float, n + 1);
    if (g) memcpy(c, g, n * sizeof(float));
    return c;
}

/* The averaged gradient does not depend on how a batch is split: grad(8)
 * == (3 grad(first 3) + 5 grad(last 5)) / 8, and a batch repeated twice
 * has the gradient of the batch. Tolerance 1e-5 of the largest gradient:
 * the three computations round differently (sums of 3, 5, 8 terms through a
 * small net: ~10u relative), a wrong divisor is off by >= 37%. */
static void test_batch_split(void)
{
    static const nn_act acts[3] = {NN_ACT_TANH, NN_ACT_RELU, NN_ACT_SOFTMAX};
    int sizes[4] = {3, 5, 4, 3}, i;
    nn_net *net = make_net(3, sizes, acts, NN_LOSS_SOFTMAX_CE, 0.0f, NN_INIT_UNIFORM, 0.5f, 31);
    nn_ctx *ctx = net ? make_ctx(net, 16) : NULL;
    float x[16 * 3], y[16 * 3], *g8, *g3, *g5, *g4, *g44;
    size_t np = 0;
    double gmax = 0.0, e1 = 0.0, e2 = 0.0;
    if (!ctx) { nn_net_free(net); return; }
    (void)nn_net_params(net, &np);
    th_fill(&rng, x, 24, -1, 1);
    make_targets(NN_ACT_SOFTMAX, NN_LOSS_SOFTMAX_CE, 8, 3, y);
    g8 = batch_grad(net, ctx, 8, x, y);
    g3 = batch_grad(net, ctx, 3, x, y);
    g5 = batch_grad(net, ctx, 5, x + 9, y + 9);
    g4 = batch_grad(net, ctx, 4, x, y);
    memcpy(x + 12, x, 12 * sizeof(float));
    memcpy(y + 12, y, 12 * sizeof(float));
    g44 = batch_grad(net, ctx, 8, x, y);
    for (i = 0; i < (int)np; i++) if (fabs(g8[i]) > gmax) gmax = fabs(g8[i]);
    for (i = 0; i < (int)np; i++) {
        double w = (3.0 * g3[i] + 5.0 * g5[i]) / 8.0;
        if (fabs(g8[i] - w) > e1) e1 = fabs(g8[i] - w);
        if (fabs(g4[i] - g44[i]) > e2) e2 = fabs(g4[i] - g44[i]);
    }
    CHECK(gmax > 0.0 && e1 <= 1e-5 * gmax,
          "grad(8) vs (3 grad(3) + 5 grad(5))/8: max diff %.3g (max grad %.3g)", e1, gmax);
    CHECK(e2 <= 1e-5 * gmax, "grad(batch) vs grad(batch twice): max diff %.3g", e2);
    free(g8); free(g3); free(g5); free(g4); free(g44);
    nn_ctx_free(ctx);
    nn_net_free(net);
}

/* ---- optimizers ---------------------------------------------------------- */
static nn_opt opt_make(nn_opt_kind kind, float lr, float l1, float l2)
{
    nn_opt o = nn_opt_default(kind);
    o.kind = kind;
    o.lr = lr; o.momentum = 0.9f; o.beta1 = 0.9f; o.beta2 = 0.999f;
    o.eps = 1e-8f; o.l1 = l1; o.l2 = l2;
    return o;
}

/* Runs `steps` updates on a 2-3-2 net with set weights and gradients and
 * compares with ref_opt_step. TOLERANCE per value: 16 u (|w_prev| +
 * |w - w_prev|): the update is a handful of float operations (Adam: one
 * sqrt, one division, the bias corrections), and the float optimizer state
 * carries one rounding per step. */
static void opt_case(nn_opt_kind kind, float l1, float l2, int steps)
{
    static const nn_act acts[2] = {NN_ACT_IDENTITY, NN_ACT_IDENTITY};
    int sizes[3] = {2, 3, 2}, t, bad = 0, first = -1, bias_bad = 0;
    nn_net *net = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_UNIFORM, 0.1f, 5);
    nn_ctx *ctx = net ? make_ctx(net, 1) : NULL;
    nn_opt o = opt_make(kind, 0.05f, l1, l2);
    ref_opt ro;
    size_t np = 0, i;
    float *p, x[2] = {0.5f, -0.25f}, y[2] = {1.0f, 0.0f};
    double w[17], wprev[17], g[17], m[17], v[17];
    int isw[17];
    if (!ctx) { nn_net_free(net); return; }
    p = nn_net_params(net, &np);
    if (np != 17) { CHECK(0, "2-3-2 net has %lu params, expected 17", (unsigned long)np); goto out; }
    for (i = 0; i < np; i++) {
        p[i] = (float)(0.5 * sin((double)i + 1.0));
        w[i] = p[i];
        m[i] = v[i] = 0.0;
        /* layout: W0 (3x2) = 0..5, b0 = 6..8, W1 (2x3) = 9..14, b1 = 15..16 */
        isw[i] = !((i >= 6 && i <= 8) || i >= 15);
    }
    ro.kind = kind; ro.lr = o.lr; ro.mu = o.momentum; ro.b1 = o.beta1; ro.b2 = o.beta2;
    ro.eps = o.eps; ro.l1 = o.l1; ro.l2 = o.l2;
    for (t = 1; t <= steps; t++) {
        float *gr;
        size_t ng = 0;
        CHECK_ST(nn_forward(net, ctx, 1, x, 1), NN_OK);
        CHECK_ST(nn_backward(net, ctx, y, NULL), NN_OK);
        gr = nn_net_grads(net, &ng);
        for (i = 0; i < np; i++) {
            gr[i] = (float)(0.3 * cos(3.0 * i + t));
            g[i] = gr[i];
            wprev[i] = w[i];
        }
        CHECK_ST(nn_update(net, &o), NN_OK);
        CHECK(nn_net_step_count(net) == t, "step count %ld after %d updates",
              nn_net_step_count(net), t);
        ref_opt_step(&ro, np, w, g, isw, m, v, t);
        for (i = 0; i < np; i++) {
            double tol = 16.0 * TH_U * (fabs(wprev[i]) + fabs(w[i] - wprev[i]));
            if (!(fabs(p[i] - w[i]) <= tol)) {
                if (first < 0) first = (int)i + 100 * t;
                bad++;
                if (!isw[i]) bias_bad++;
            }
        }
    }
    CHECK(bad == 0, "optimizer kind %d l1=%g l2=%g: %d values off over %d steps (first: "
          "param %d at step %d; %d of them biases)", (int)kind, l1, l2, bad, steps,
          first % 100, first / 100, bias_bad);
out:
    nn_ctx_free(ctx);
    nn_net_free(net);
}

/* Hand-computed single values on a 1-1 identity net (params: w, b). */
static void opt_hand(nn_opt_kind kind, float l1, float l2, float w0, const float *gw,
                     const float *want, int steps, const char *what)
{
    static const nn_act acts[1] = {NN_ACT_IDENTITY};
    int sizes[2] = {1, 1}, t;
    nn_net *net = make_net(1, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_UNIFORM, 0.1f, 5);
    nn_ctx *ctx = net ? make_ctx(net, 1) : NULL;
    nn_opt o = opt_make(kind, kind == NN_OPT_ADAM ? 0.01f : 0.1f, l1, l2);
    float x = 1.0f, y = 0.0f, *p;
    size_t np;
    if (!ctx) { nn_net_free(net); return; }
    p = nn_net_params(net, &np);
    p[0] = w0;
    p[1] = 0.2f;
    for (t = 0; t < steps; t++) {
        float *g;
        CHECK_ST(nn_forward(net, ctx, 1, &x, 1), NN_OK);
        CHECK_ST(nn_backward(net, ctx, &y, NULL), NN_OK);
        g = nn_net_grads(net, &np);
        g[0] = gw[t];
        g[1] = -1.0f;
        CHECK_ST(nn_update(net, &o), NN_OK);
        /* literals below are exact to 7+ digits: 1e-6 absolute */
        CHECK(fabs(p[0] - want[t]) <= 1e-6, "%s step %d: w = %.9g, hand value %.9g",
              what, t + 1, p[0], want[t]);
    }
    if (kind == NN_OPT_SGD)     /* bias: no regularization, b -= lr * (-1) */
        CHECK(fabs(p[1] - (0.2 + 0.1 * steps)) <= 1e-6, "%s: bias %.9g, want %.9g "
              "(regularization must not touch biases)", what, p[1], 0.2 + 0.1 * steps);
    nn_ctx_free(ctx);
    nn_net_free(net);
}

static void test_optimizers(void)
{
    static const float g1[3] = {0.5f, 0.5f, 0.5f}, g2[2] = {0.5f, 0.25f};
    static const float sgd[1] = {0.95f}, sgd_l2[1] = {0.94f}, sgd_l1[1] = {-1.04f};
    static const float mom[2] = {0.95f, 0.855f}, nes[2] = {0.905f, 0.7695f};
    static const float adam[2] = {0.9900000002f, 0.98067820405f};
    int k;
    opt_hand(NN_OPT_SGD, 0.0f, 0.0f, 1.0f, g1, sgd, 1, "SGD lr=0.1 w=1 g=0.5");
    opt_hand(NN_OPT_SGD, 0.0f, 0.1f, 1.0f, g1, sgd_l2, 1, "SGD + L2 0.1");
    opt_hand(NN_OPT_SGD, 0.1f, 0.0f, -1.0f, g1, sgd_l1, 1, "SGD + L1 0.1 at w=-1");
    opt_hand(NN_OPT_MOMENTUM, 0.0f, 0.0f, 1.0f, g1, mom, 2, "momentum 0.9");
    opt_hand(NN_OPT_NESTEROV, 0.0f, 0.0f, 1.0f, g1, nes, 2, "Nesterov 0.9");
    opt_hand(NN_OPT_ADAM, 0.0f, 0.0f, 1.0f, g2, adam, 2, "Adam t=1,2 (bias correction from t=1)");
    for (k = NN_OPT_SGD; k <= NN_OPT_ADAM; k++) {
        opt_case((nn_opt_kind)k, 0.0f, 0.0f, 3);
        opt_case((nn_opt_kind)k, 0.0f, 0.05f, 3);
        opt_case((nn_opt_kind)k, 0.02f, 0.0f, 3);
        opt_case((nn_opt_kind)k, 0.02f, 0.05f, 2);
    }
}

/* ---- layout, accessors ------------------------------------------------------- */
/* nn_net_params layout = per layer W (out x in, row-major) then b: set the
 * flat buffer, predict, and compare with the reference network reading the
 * same buffer with that layout. Non-square layers catch a transposed W.
 * Tolerance 1e-5 relative: float forward of a 3-layer net. */
static void test_layout(void)
{
    static const nn_act acts[3] = {NN_ACT_TANH, NN_ACT_IDENTITY, NN_ACT_SIGMOID};
    int sizes[4] = {4, 7, 3, 2}, l, ra[3], bad = 0, i;
    nn_net *net = make_net(3, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_UNIFORM, 0.1f, 3);
    nn_ctx *ctx = net ? make_ctx(net, 5) : NULL;
    size_t np = 0, ng = 0, nc = 0, off = 0;
    float *p, x[5 * 4], out[5 * 2];
    double *r;
    ref_net rn;
    if (!ctx) { nn_net_free(net); return; }
    p = nn_net_params(net, &np);
    CHECK(np == 4 * 7 + 7 + 7 * 3 + 3 + 3 * 2 + 2, "param count %lu", (unsigned long)np);
    CHECK(nn_net_grads(net, &ng) != NULL && ng == np, "grad count %lu", (unsigned long)ng);
    CHECK(nn_net_params_const(net, &nc) == p && nc == np, "nn_net_params_const differs");
    /* nn.h's own allocator (test_alloc checks the hook path): 64-byte aligned */
    CHECK(((uintptr_t)p & 63) == 0 && ((uintptr_t)nn_net_grads(net, NULL) & 63) == 0 &&
          ((uintptr_t)nn_ctx_output(ctx) & 63) == 0, "default allocation not 64-byte aligned");
    CHECK(nn_net_layers(net) == 3, "nn_net_layers = %d", nn_net_layers(net));
    for (l = 0; l < 3; l++) {
        CHECK(nn_net_weights(net, l) == p + off, "nn_net_weights(%d) not at offset %lu",
              l, (unsigned long)off);
        off += (size_t)sizes[l + 1] * sizes[l];
        CHECK(nn_net_bias(net, l) == p + off, "nn_net_bias(%d) not at offset %lu",
              l, (unsigned long)off);
        off += (size_t)sizes[l + 1];
        CHECK(nn_net_act(net, l) == acts[l], "nn_net_act(%d)", l);
        ra[l] = acts[l];
    }
    for (l = 0; l <= 3; l++) CHECK(nn_net_size(net, l) == sizes[l], "nn_net_size(%d)", l);
    for (i = 0; i < (int)np; i++) p[i] = (float)(0.3 * sin(1.7 * i + 0.3));
    th_fill(&rng, x, 20, -1, 1);
    CHECK_ST(nn_predict(net, ctx, 5, x, out), NN_OK);
    ref_net_init(&rn, 3, sizes, ra, NN_LOSS_MSE, 0.0);
    ref_net_set(&rn, p);
    r = ref_net_forward(&rn, 5, x, NULL);
    for (i = 0; i < 10; i++) if (!(fabs(out[i] - r[i]) <= 1e-5 * fabs(r[i]) + 1e-7)) bad++;
    CHECK(bad == 0, "predict with hand-set flat params != reference with W (out x in) "
          "then b per layer: %d of 10 outputs differ", bad);
    free(r);
    ref_net_free(&rn);
    nn_ctx_free(ctx);
    nn_net_free(net);
    {   /* default losses */
        static const nn_act sm[1] = {NN_ACT_SOFTMAX}, sg[1] = {NN_ACT_SIGMOID},
                            id[1] = {NN_ACT_TANH};
        int s2[2] = {3, 2};
        nn_net *a = NULL, *b = NULL, *c = NULL;
        if (nn_net_create(&a, 1, s2, sm) == NN_OK)
            CHECK(nn_net_loss(a) == NN_LOSS_SOFTMAX_CE, "default loss after softmax");
        if (nn_net_create(&b, 1, s2, sg) == NN_OK)
            CHECK(nn_net_loss(b) == NN_LOSS_BCE, "default loss after sigmoid");
        if (nn_net_create(&c, 1, s2, id) == NN_OK)
            CHECK(nn_net_loss(c) == NN_LOSS_MSE, "default loss after tanh");
        nn_net_free(a); nn_net_free(b); nn_net_free(c);
    }
}

/* ---- initializers ------------------------------------------------------------ */
typedef struct stats { double min, max, mean, var; size_t n; } stats;
static stats stats_of(const float *x, size_t n)
{
    stats s;
    size_t i;
    double sum = 0.0, sq = 0.0;
    s.min = HUGE_VAL; s.max = -HUGE_VAL; s.n = n;
    for (i = 0; i < n; i++) {
        if (x[i] < s.min) s.min = x[i];
        if (x[i] > s.max) s.max = x[i];
        sum += x[i];
    }
    s.mean = n ? sum / n : 0.0;
    for (i = 0; i < n; i++) sq += (x[i] - s.mean) * (x[i] - s.mean);
    s.var = n > 1 ? sq / (n - 1) : 0.0;
    return s;
}

/* Statistical checks on layers of 300x200 = 60000 and 200x100 = 20000
 * weights: the sample variance of n values has relative standard error
 * sqrt(2/n) <= 1% (uniform: less), so a 5% band is > 5 sigma; the
 * extremes of 20000 uniform draws reach within 0.1% of the bound. */
static void test_init(void)
{
    static const nn_act acts[2] = {NN_ACT_RELU, NN_ACT_IDENTITY};
    int sizes[3] = {300, 200, 100}, kind, l;
    for (kind = NN_INIT_UNIFORM; kind <= NN_INIT_HE; kind++) {
        float scale = kind == NN_INIT_GAUSSIAN ? 0.2f : 0.0f;
        nn_net *net = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, (nn_init)kind, scale, 77);
        if (!net) continue;
        CHECK(nn_net_seed(net) == 77, "nn_net_seed = %lu", (unsigned long)nn_net_seed(net));
        for (l = 0; l < 2; l++) {
            int in = sizes[l], out = sizes[l + 1];
            stats w = stats_of(nn_net_weights(net, l), (size_t)in * out);
            stats b = stats_of(nn_net_bias(net, l), (size_t)out);
            double a, var;
            switch (kind) {
            case NN_INIT_UNIFORM:
                a = 0.1;
                CHECK(w.min >= -a && w.max <= a && b.min >= -a && b.max <= a,
                      "uniform(0.1) layer %d: W in [%g, %g], b in [%g, %g]", l, w.min,
                      w.max, b.min, b.max);
                CHECK(w.max > 0.999 * a && w.min < -0.999 * a, "uniform layer %d: W "
                      "spans only [%g, %g]", l, w.min, w.max);
                CHECK(fabs(w.var / (a * a / 3) - 1) < 0.05, "uniform layer %d: var %g, "
                      "want %g", l, w.var, a * a / 3);
                CHECK(b.max - b.min > 0.1 * a, "uniform layer %d: biases not random", l);
                break;
            case NN_INIT_GAUSSIAN:
                CHECK(fabs(sqrt(w.var) / 0.2 - 1) < 0.05 && fabs(w.mean) < 0.01,
                      "gaussian(0.2) layer %d: mean %g std %g", l, w.mean, sqrt(w.var));
                CHECK(b.var > 0.0, "gaussian layer %d: biases all equal", l);
                break;
            case NN_INIT_XAVIER:
                a = sqrt(6.0 / (in + out));
                CHECK(w.min >= -a * (1 + 1e-6) && w.max <= a * (1 + 1e-6),
                      "xavier layer %d: W in [%g, %g], bound %g", l, w.min, w.max, a);
                CHECK(fabs(w.var / (a * a / 3) - 1) < 0.05, "xavier layer %d: var %g, "
                      "want %g", l, w.var, a * a / 3);
                CHECK(b.min == 0.0 && b.max == 0.0, "xavier layer %d: b not zero", l);
                break;
            default:
                var = 2.0 / in;
                CHECK(fabs(w.var / var - 1) < 0.05 && fabs(w.mean) < 5 * sqrt(var / w.n) + 1e-9,
                      "he layer %d: var %g want %g, mean %g", l, w.var, var, w.mean);
                CHECK(b.min == 0.0 && b.max == 0.0, "he layer %d: b not zero", l);
                break;
            }
        }
        {   /* same seed -> same bits; another seed -> different */
            nn_net *n2 = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, (nn_init)kind, scale, 77);
            nn_net *n3 = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, (nn_init)kind, scale, 78);
            size_t c1, c2, c3;
            if (n2 && n3) {
                const float *p1 = nn_net_params(net, &c1), *p2 = nn_net_params(n2, &c2);
                const float *p3 = nn_net_params(n3, &c3);
                CHECK(c1 == c2 && memcmp(p1, p2, c1 * sizeof(float)) == 0,
                      "init kind %d: same seed, different params", kind);
                CHECK(memcmp(p1, p3, c1 * sizeof(float)) != 0,
                      "init kind %d: seeds 77 and 78 give the same params", kind);
            }
            nn_net_free(n2);
            nn_net_free(n3);
        }
        nn_net_free(net);
    }
}

/* ---- dropout ------------------------------------------------------------------ */
/* n -> n -> n identity net with W = I, b = 0, dropout p on layer 0: in
 * training the output is 0 or x / (1 - p) (x / (1 - p) rounded: 2 roundings
 * at most, 4u relative); the dropped fraction over 3200 units has standard
 * deviation sqrt(p(1-p)/3200) = 0.0087: a band of 0.05 is > 5 sigma. In
 * inference dropout does nothing: output == x exactly. */
static void test_dropout(void)
{
    static const nn_act acts[2] = {NN_ACT_IDENTITY, NN_ACT_IDENTITY};
    enum { N = 50, B = 64 };
    int sizes[3] = {N, N, N}, i, l, zeros = 0, bad = 0, same;
    float p = 0.4f, *x, *out1, *y;
    nn_net *net = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_UNIFORM, 0.1f, 1);
    nn_ctx *ctx = net ? make_ctx(net, B) : NULL;
    const float *o;
    if (!ctx) { nn_net_free(net); return; }
    for (l = 0; l < 2; l++) {
        float *W = nn_net_weights(net, l), *b = nn_net_bias(net, l);
        for (i = 0; i < N * N; i++) W[i] = (i / N == i % N) ? 1.0f : 0.0f;
        for (i = 0; i < N; i++) b[i] = 0.0f;
    }
    CHECK_ST(nn_net_set_dropout(net, 0, p), NN_OK);
    x = TH_NEW(float, N * B);
    out1 = TH_NEW(float, N * B);
    y = TH_NEW(float, N * B);
    th_fill(&rng, x, N * B, 1.0, 2.0);
    nn_ctx_seed(ctx, 11);
    CHECK_ST(nn_forward(net, ctx, B, x, 1), NN_OK);
    o = nn_ctx_output(ctx);
    if (o) {
        for (i = 0; i < N * B; i++) {
            double want = x[i] / (1.0 - p);
            if (o[i] == 0.0f) zeros++;
            else if (!(fabs(o[i] - want) <= 4 * TH_U * want)) bad++;
        }
        memcpy(out1, o, N * B * sizeof(float));
    }
    CHECK(o && bad == 0, "dropout train: %d kept units not scaled by 1/(1-p)", bad);
    CHECK(fabs((double)zeros / (N * B) - p) < 0.05, "dropout train: dropped fraction %g, "
          "rate %g", (double)zeros / (N * B), p);
    /* same ctx seed -> same mask */
    nn_ctx_seed(ctx, 11);
    CHECK_ST(nn_forward(net, ctx, B, x, 1), NN_OK);
    o = nn_ctx_output(ctx);
    CHECK(o && memcmp(o, out1, N * B * sizeof(float)) == 0, "dropout: nn_ctx_seed(11) twice, "
          "different masks");
    /* inference: nothing dropped, nothing scaled */
    CHECK_ST(nn_forward(net, ctx, B, x, 0), NN_OK);
    o = nn_ctx_output(ctx);
    CHECK(o && memcmp(o, x, N * B * sizeof(float)) == 0, "dropout active in inference forward");
    CHECK_ST(nn_predict(net, ctx, B, x, y), NN_OK);
    CHECK(memcmp(y, x, N * B * sizeof(float)) == 0, "dropout active in nn_predict");
    /* backward through the mask, one row: a dropped unit's layer-0 bias gets
     * no gradient; a kept one (out - t) / (1 - p) (MSE, B = 1, W = I) */
    nn_ctx_seed(ctx, 12);
    CHECK_ST(nn_forward(net, ctx, 1, x, 1), NN_OK);
    o = nn_ctx_output(ctx);
    if (o) {
        float h[N];
        const float *g;
        size_t ng;
        memcpy(h, o, sizeof h);
        for (i = 0; i < N; i++) y[i] = 0.5f;
        CHECK_ST(nn_backward(net, ctx, y, NULL), NN_OK);
        g = nn_net_grads(net, &ng);
        bad = 0;
        same = 0;
        for (i = 0; i < N; i++) {
            double gb = g[N * N + i];   /* layer 0 bias */
            double want = h[i] == 0.0f ? 0.0 : (h[i] - 0.5) / (1.0 - p);
            if (!(fabs(gb - want) <= 1e-6 * (fabs(want) + 1))) bad++;
            if (h[i] == 0.0f) same++;
        }
        CHECK(bad == 0, "dropout backward: %d of %d layer-0 bias grads ignore the mask",
              bad, N);
        CHECK(same > 0 && same < N, "dropout backward case degenerate (%d dropped)", same);
    }
    free(x); free(out1); free(y);
    nn_ctx_free(ctx);
    nn_net_free(net);
}

/* ---- learning-rate schedules ------------------------------------------------ */
/* Tolerance 64 u of the value + 8 u of the base rate: a power done by
 * repeated multiplication rounds once per epoch (<= 50 here), cosine's
 * libm cos is ~1 ulp of a value <= 1 times lr. */
static void test_sched(void)
{
    nn_sched s;
    int k, e, bad;
    for (k = NN_SCHED_CONSTANT; k <= NN_SCHED_COSINE; k++) {
        memset(&s, 0, sizeof s);
        s.kind = (nn_sched_kind)k;
        s.step_epochs = 7; s.gamma = 0.8f; s.min_lr = 1e-4f; s.total_epochs = 40;
        bad = 0;
        for (e = 0; e <= 40; e++) {
            double want = ref_sched_lr(k, 7, s.gamma, s.min_lr, 40, 0.05f, e);
            double got = nn_sched_lr(&s, 0.05f, e);
            if (!(fabs(got - want) <= 64 * TH_U * fabs(want) + 8 * TH_U * 0.05)) bad++;
        }
        CHECK(bad == 0, "schedule kind %d: %d of 41 epochs off the formula", k, bad);
    }
    s.kind = NN_SCHED_STEP;
    CHECK(fabs(nn_sched_lr(&s, 0.1f, 13) - 0.08) < 1e-7 &&
          fabs(nn_sched_lr(&s, 0.1f, 14) - 0.064) < 1e-7,
          "step schedule by hand: 0.1 * 0.8^1 at epoch 13, 0.8^2 at 14");
    s.kind = NN_SCHED_COSINE;
    CHECK(fabs(nn_sched_lr(&s, 0.1f, 0) - 0.1) < 1e-7 &&
          fabs(nn_sched_lr(&s, 0.1f, 20) - (1e-4 + 0.0999 / 2)) < 1e-7 &&
          fabs(nn_sched_lr(&s, 0.1f, 40) - 1e-4) < 1e-7,
          "cosine by hand: lr at 0, (lr+min)/2 at T/2, min at T");
}

/* ---- early stopping and the fit loop ---------------------------------------- */
typedef struct fit_log {
    nn_net *net;
    int calls, last_epoch, order_ok, nan_val, best_flags;
    float *snap;                /* params after each epoch                 */
    size_t np;
    float val[200], lr[200];
    long samples[200];
    int stop_at;                /* return 1 at this epoch (-1 never)        */
} fit_log;

static int on_epoch(const nn_epoch_report *r, void *user)
{
    fit_log *f = (fit_log *)user;
    size_t np;
    const float *p = nn_net_params(f->net, &np);
    if (r->epoch != f->last_epoch + 1) f->order_ok = 0;
    f->last_epoch = r->epoch;
    if (r->epoch >= 0 && r->epoch < 200) {
        f->val[r->epoch] = r->val_loss;
        f->lr[r->epoch] = r->lr;
        f->samples[r->epoch] = r->samples;
        if (f->snap) memcpy(f->snap + (size_t)r->epoch * f->np, p, f->np * sizeof(float));
    }
    if (r->val_loss != r->val_loss) f->nan_val++;
    if (r->best) f->best_flags++;
    f->calls++;
    return r->epoch == f->stop_at;
}

/* on_batch log: rows reported, batches, losses summed row-weighted */
typedef struct batch_log {
    int calls, epoch_ok, stop_after;
    long last_done, bad_step;
    double loss_rows;
} batch_log;

static int on_batch(int epoch, long done, float batch_loss, void *user)
{
    batch_log *b = (batch_log *)user;
    if (epoch != 0) b->epoch_ok = 0;
    /* batch size 7: every call is 7 rows on, the last may be fewer */
    if (!(done - b->last_done == 7 || (done - b->last_done < 7 && done == 40)))
        b->bad_step++;
    b->loss_rows += (double)batch_loss * (double)(done - b->last_done);
    b->last_done = done;
    return ++b->calls == b->stop_after;
}

static void fit_log_init(fit_log *f, nn_net *net, int snap)
{
    memset(f, 0, sizeof *f);
    f->net = net;
    f->last_epoch = -1;
    f->order_ok = 1;
    f->stop_at = -1;
    (void)nn_net_params(net, &f->np);
    f->snap = snap ? TH_NEW(float, 200 * f->np) : NULL;
}

/* 1-1 identity net trained toward y = 2x while validated on y = x: the
 * validation loss falls while w climbs from ~0 to 1, then rises; with
 * patience 3 the fit stops and must restore the weights of the best epoch
 * exactly (bits), report that epoch, and its val loss. */
static void test_early_stopping(void)
{
    static const nn_act acts[1] = {NN_ACT_IDENTITY};
    int sizes[2] = {1, 1}, i, n = 64;
    nn_net *net = make_net(1, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_UNIFORM, 0.05f, 4);
    float x[64], y[64], vy[64], vl = 0, acc = 0;
    nn_fit_config cfg;
    nn_fit_result res;
    fit_log f;
    nn_status st;
    size_t np;
    if (!net) return;
    for (i = 0; i < n; i++) {
        x[i] = (float)th_rng_range(&rng, -1, 1);
        y[i] = 2.0f * x[i];
        vy[i] = x[i];
    }
    fit_log_init(&f, net, 1);
    cfg = nn_fit_defaults();
    cfg.epochs = 100; cfg.batch_size = 8;
    cfg.opt = opt_make(NN_OPT_SGD, 0.05f, 0.0f, 0.0f);
    cfg.seed = 9;
    cfg.val_x = x; cfg.val_y = vy; cfg.val_n = n;
    cfg.patience = 3; cfg.min_delta = 0.0f;
    cfg.on_epoch = on_epoch; cfg.user = &f;
    memset(&res, 0, sizeof res);
    st = nn_fit(net, &cfg, n, x, y, &res);
    CHECK(st == NN_OK, "nn_fit (early stopping case): %s", nn_status_str(st));
    CHECK(res.stopped_early == 1, "early stopping did not stop (ran %d epochs)", res.epochs_run);
    CHECK(res.best_epoch >= 2 && res.best_epoch < res.epochs_run,
          "best epoch %d of %d (the val minimum should come after a few epochs)",
          res.best_epoch, res.epochs_run);
    CHECK(res.epochs_run == res.best_epoch + cfg.patience + 1 ||
          res.epochs_run == res.best_epoch + cfg.patience,
          "stopped after %d epochs, best %d, patience %d", res.epochs_run,
          res.best_epoch, cfg.patience);
    CHECK(f.calls == res.epochs_run && f.order_ok, "callback: %d calls for %d epochs",
          f.calls, res.epochs_run);
    if (res.best_epoch >= 0 && res.best_epoch < 200 && res.best_epoch < f.calls) {
        const float *p = nn_net_params(net, &np);
        int e, argmin = 0;
        CHECK(memcmp(p, f.snap + (size_t)res.best_epoch * f.np, np * sizeof(float)) == 0,
              "early stopping: weights after fit are not those of best epoch %d "
              "(w = %.9g, at best epoch %.9g)", res.best_epoch, p[0],
              f.snap[(size_t)res.best_epoch * f.np]);
        for (e = 1; e < f.calls; e++) if (f.val[e] < f.val[argmin]) argmin = e;
        CHECK(argmin == res.best_epoch, "best epoch %d but the lowest reported val loss "
              "was at epoch %d", res.best_epoch, argmin);
        CHECK(res.best_val_loss == f.val[res.best_epoch], "best_val_loss %g != report %g",
              res.best_val_loss, f.val[res.best_epoch]);
        {
            nn_ctx *ctx = make_ctx(net, 16);
            if (ctx) {
                CHECK_ST(nn_evaluate(net, ctx, n, x, vy, &vl, &acc), NN_OK);
                /* same net, same data: the loss the fit saw, up to the
                 * order of summation (n u relative) */
                CHECK(fabs(vl - res.best_val_loss) <= 64 * TH_U * fabs(vl) + 1e-7,
                      "restored weights give val loss %.9g, fit reported %.9g", vl,
                      res.best_val_loss);
                nn_ctx_free(ctx);
            }
        }
    }
    CHECK(f.best_flags >= 1, "no epoch report had best = 1");
    free(f.snap);
    nn_net_free(net);
}

/* The callback: every epoch in order, lr from the schedule, samples = n,
 * val loss NaN without a validation set, non-zero return stops. A loss
 * that blows up returns NN_ERR_NAN with finite (last good) weights. */
static void test_fit_callback(void)
{
    static const nn_act acts[2] = {NN_ACT_TANH, NN_ACT_IDENTITY};
    int sizes[3] = {2, 4, 1}, i, n = 40, bad_lr = 0, bad_n = 0;
    nn_net *net = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_XAVIER, 0.0f, 6);
    float x[80], y[40];
    nn_fit_config cfg;
    nn_fit_result res;
    fit_log f;
    nn_status st;
    if (!net) return;
    for (i = 0; i < n; i++) {
        x[2 * i] = (float)th_rng_range(&rng, -1, 1);
        x[2 * i + 1] = (float)th_rng_range(&rng, -1, 1);
        y[i] = x[2 * i] * x[2 * i + 1];
    }
    fit_log_init(&f, net, 0);
    cfg = nn_fit_defaults();
    cfg.epochs = 12; cfg.batch_size = 7;
    cfg.opt = opt_make(NN_OPT_MOMENTUM, 0.1f, 0.0f, 0.0f);
    cfg.sched.kind = NN_SCHED_STEP; cfg.sched.step_epochs = 3; cfg.sched.gamma = 0.5f;
    cfg.seed = 3;
    cfg.on_epoch = on_epoch; cfg.user = &f;
    st = nn_fit(net, &cfg, n, x, y, &res);
    CHECK(st == NN_OK, "nn_fit: %s", nn_status_str(st));
    CHECK(f.calls == 12 && res.epochs_run == 12 && f.order_ok,
          "callback called %d times for 12 epochs (epochs_run %d, in order %d)",
          f.calls, res.epochs_run, f.order_ok);
    for (i = 0; i < f.calls && i < 12; i++) {
        if (fabs(f.lr[i] - 0.1 * pow(0.5, i / 3)) > 1e-7) bad_lr++;
        if (f.samples[i] != n) bad_n++;
    }
    CHECK(bad_lr == 0, "report lr does not follow the step schedule (%d epochs off)", bad_lr);
    CHECK(bad_n == 0, "report samples != n in %d epochs", bad_n);
    CHECK(f.nan_val == f.calls, "val loss not NaN without a validation set (%d of %d)",
          f.nan_val, f.calls);
    CHECK(th_isfinite(res.final_train_loss), "final train loss %g", res.final_train_loss);
    /* stop from the callback */
    fit_log_init(&f, net, 0);
    f.stop_at = 2;
    st = nn_fit(net, &cfg, n, x, y, &res);
    CHECK(st == NN_OK && f.calls == 3 && res.epochs_run == 3,
          "callback returning 1 at epoch 2: %d calls, epochs_run %d (%s)", f.calls,
          res.epochs_run, nn_status_str(st));
    /* per-batch callback: 40 rows in batches of 7 (the last of 5), the
     * batch losses average to the epoch's: nn_fit sums in double, so the
     * only roundings are each batch mean's and the epoch mean's to float,
     * u each, on positive terms: within 2u relative, checked at 4u.
     * Stopping at batch 4 ends the fit after 28 rows */
    {
        batch_log b;
        memset(&b, 0, sizeof b);
        b.epoch_ok = 1;
        b.stop_after = -1;
        fit_log_init(&f, net, 0);
        cfg.epochs = 1;
        cfg.on_batch = on_batch;
        cfg.user = &b;
        cfg.on_epoch = NULL;
        st = nn_fit(net, &cfg, n, x, y, &res);
        CHECK(st == NN_OK && b.calls == 6 && b.last_done == 40 && b.bad_step == 0 && b.epoch_ok,
              "on_batch: %d calls, last done %ld, %ld bad steps (%s)", b.calls, b.last_done,
              b.bad_step, nn_status_str(st));
        CHECK(fabs(b.loss_rows / n - res.final_train_loss) <= 4 * TH_U * fabs(res.final_train_loss),
              "batch losses average %.9g, epoch loss %.9g", b.loss_rows / n,
              res.final_train_loss);
        memset(&b, 0, sizeof b);
        b.epoch_ok = 1;
        b.stop_after = 4;
        cfg.epochs = 3;
        st = nn_fit(net, &cfg, n, x, y, &res);
        CHECK(st == NN_OK && b.calls == 4 && b.last_done == 28 && res.epochs_run == 1,
              "on_batch stop at batch 4: %d calls, %ld rows, %d epochs (%s)", b.calls,
              b.last_done, res.epochs_run, nn_status_str(st));
        cfg.on_batch = NULL;
        cfg.epochs = 12;
        cfg.on_epoch = on_epoch;
        cfg.user = &f;
    }
    /* divergence -> NN_ERR_NAN, weights finite */
    for (i = 0; i < n; i++) y[i] = 1e30f;
    fit_log_init(&f, net, 0);
    cfg.opt = opt_make(NN_OPT_SGD, 1e10f, 0.0f, 0.0f);
    cfg.sched.kind = NN_SCHED_CONSTANT;
    st = nn_fit(net, &cfg, n, x, y, &res);
    {
        size_t np;
        const float *p = nn_net_params(net, &np);
        CHECK(st == NN_ERR_NAN, "diverging fit returned %d (%s), expected NN_ERR_NAN",
              (int)st, nn_status_str(st));
        CHECK(th_all_finite(p, np), "diverging fit left non-finite weights");
    }
    nn_net_free(net);
}

/* ---- inference chunks, train_step, evaluate, the FP environment ----------- */
/* nn_predict over n > max_batch rows (chunks) == one row at a time: the
 * same kernels on the same rows, compared to 4 ulp (a GEMM may block rows
 * differently by batch size, each output is still within the bound). */
static void test_predict_chunks(void)
{
    static const nn_act acts[2] = {NN_ACT_SIGMOID, NN_ACT_SOFTMAX};
    int sizes[3] = {5, 9, 4}, i, bad = 0;
    nn_net *net = make_net(2, sizes, acts, NN_LOSS_SOFTMAX_CE, 0.0f, NN_INIT_XAVIER, 0.0f, 12);
    nn_ctx *c4 = net ? make_ctx(net, 4) : NULL, *c1 = net ? make_ctx(net, 1) : NULL;
    float x[13 * 5], y[13 * 4], y1[4];
    if (!c4 || !c1) goto out;
    th_fill(&rng, x, 65, -2, 2);
    CHECK_ST(nn_predict(net, c4, 13, x, y), NN_OK);
    for (i = 0; i < 13; i++) {
        int j;
        CHECK_ST(nn_predict(net, c1, 1, x + 5 * i, y1), NN_OK);
        for (j = 0; j < 4; j++) if (th_ulp_err(y[4 * i + j], y1[j]) > 4.0) bad++;
    }
    CHECK(bad == 0, "predict 13 rows with max_batch 4 != row by row (%d outputs)", bad);
out:
    nn_ctx_free(c4); nn_ctx_free(c1); nn_net_free(net);
}

/* nn_train_step == nn_forward + nn_backward + nn_update, bit for bit, and
 * its loss is the backward's loss. */
static void test_train_step(void)
{
    static const nn_act acts[2] = {NN_ACT_TANH, NN_ACT_SIGMOID};
    int sizes[3] = {3, 6, 2}, t;
    nn_net *a = make_net(2, sizes, acts, NN_LOSS_BCE, 0.0f, NN_INIT_XAVIER, 0.0f, 21);
    nn_net *b = make_net(2, sizes, acts, NN_LOSS_BCE, 0.0f, NN_INIT_XAVIER, 0.0f, 21);
    nn_ctx *ca = a ? make_ctx(a, 8) : NULL, *cb = b ? make_ctx(b, 8) : NULL;
    nn_opt o = opt_make(NN_OPT_ADAM, 0.01f, 0.0f, 0.001f);
    float x[8 * 3], y[8 * 2], la = 0, lb = 0;
    size_t na = 0, nb = 0;
    const float *pa, *pb;
    if (!ca || !cb) goto out;
    th_fill(&rng, x, 24, -1, 1);
    make_targets(NN_ACT_SIGMOID, NN_LOSS_BCE, 8, 2, y);
    for (t = 0; t < 3; t++) {
        CHECK_ST(nn_train_step(a, ca, 8, x, y, &o, &la), NN_OK);
        CHECK_ST(nn_forward(b, cb, 8, x, 1), NN_OK);
        CHECK_ST(nn_backward(b, cb, y, &lb), NN_OK);
        CHECK_ST(nn_update(b, &o), NN_OK);
        CHECK(la == lb, "train_step loss %.9g != backward loss %.9g", la, lb);
    }
    pa = nn_net_params(a, &na);
    pb = nn_net_params(b, &nb);
    CHECK(na == nb && memcmp(pa, pb, na * sizeof(float)) == 0,
          "nn_train_step differs from forward + backward + update");
out:
    nn_ctx_free(ca); nn_ctx_free(cb); nn_net_free(a); nn_net_free(b);
}

/* nn_evaluate: loss = nn_loss_eval of nn_predict's outputs (tolerance: the
 * loss-value bound of test_loss, 2 u (n + 8) L + 2 u n / B); accuracy by
 * argmax, and by threshold 0.5 for one output, on hand-made cases. */
static void test_evaluate(void)
{
    static const nn_act a1[1] = {NN_ACT_SOFTMAX}, a2[1] = {NN_ACT_SIGMOID};
    int s1[2] = {2, 3}, s2[2] = {1, 1};
    nn_net *n1 = make_net(1, s1, a1, NN_LOSS_SOFTMAX_CE, 0.0f, NN_INIT_UNIFORM, 0.1f, 1);
    nn_net *n2 = make_net(1, s2, a2, NN_LOSS_BCE, 0.0f, NN_INIT_UNIFORM, 0.1f, 1);
    nn_ctx *c1 = n1 ? make_ctx(n1, 2) : NULL, *c2 = n2 ? make_ctx(n2, 2) : NULL;
    float loss = -1, acc = -1, L = 0, out[5 * 3];
    if (!c1 || !c2) goto out;
    {   /* W = [[1,0],[0,1],[0,0]], b = 0: class = argmax(x0, x1, 0) */
        float *W = nn_net_weights(n1, 0), *b = nn_net_bias(n1, 0);
        float x[5 * 2] = {2, 1, 1, 3, -1, -2, 5, 4, 0.5f, 1};
        float y[5 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0};  /* 4 of 5 */
        int k;
        for (k = 0; k < 6; k++) W[k] = (k == 0 || k == 3) ? 1.0f : 0.0f;
        for (k = 0; k < 3; k++) b[k] = 0.0f;
        CHECK_ST(nn_evaluate(n1, c1, 5, x, y, &loss, &acc), NN_OK);
        CHECK(acc == 0.8f, "argmax accuracy %g, want 0.8", acc);
        CHECK_ST(nn_predict(n1, c1, 5, x, out), NN_OK);
        CHECK_ST(nn_loss_eval(NN_LOSS_SOFTMAX_CE, 5, 3, out, y, 0, &L, NULL), NN_OK);
        CHECK(fabs(loss - L) <= 2 * TH_U * (23 * L + 3), "evaluate loss %.9g vs loss of "
              "predictions %.9g", loss, L);
    }
    {   /* sigmoid(x): threshold 0.5 */
        float x[4] = {1, -1, 2, -3}, y[4] = {1, 1, 1, 0};               /* 3 of 4 */
        nn_net_weights(n2, 0)[0] = 1;
        nn_net_bias(n2, 0)[0] = 0;
        CHECK_ST(nn_evaluate(n2, c2, 4, x, y, &loss, &acc), NN_OK);
        CHECK(acc == 0.75f, "threshold accuracy %g, want 0.75", acc);
    }
out:
    nn_ctx_free(c1); nn_ctx_free(c2); nn_net_free(n1); nn_net_free(n2);
}

/* nn.h may set FTZ/DAZ inside a call; the caller's floating-point
 * environment must be back after every call, error returns included:
 * a denormal times 0.5 is still a (non-zero) denormal. */
static int denormals_work(void)
{
    volatile float a = 1e-39f, h = 0.5f, b;
    b = a * h;
    return b != 0.0f;
}
static void test_fp_env(void)
{
    static const nn_act acts[2] = {NN_ACT_RELU, NN_ACT_IDENTITY};
    int sizes[3] = {2, 3, 1}, i;
    nn_net *net = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_HE, 0.0f, 2);
    nn_ctx *ctx = net ? make_ctx(net, 4) : NULL;
    nn_opt o = opt_make(NN_OPT_SGD, 0.1f, 0.0f, 0.0f);
    nn_fit_config cfg = nn_fit_defaults();
    nn_fit_result res;
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[4] = {1, 0, 1, 0}, xn[8], big[4], out[4], l, a;
    if (!denormals_work()) { CHECK(0, "denormals flushed before any nn.h call"); goto out; }
    if (!ctx) goto out;
    memcpy(xn, x, sizeof x); xn[1] = NAN;
    for (i = 0; i < 4; i++) big[i] = 1e30f;
    cfg.epochs = 2; cfg.batch_size = 2; cfg.opt = o;
    (void)nn_forward(net, ctx, 4, x, 1);
    CHECK(denormals_work(), "FP environment changed by nn_forward");
    (void)nn_backward(net, ctx, y, &l);
    CHECK(denormals_work(), "FP environment changed by nn_backward");
    (void)nn_update(net, &o);
    CHECK(denormals_work(), "FP environment changed by nn_update");
    (void)nn_train_step(net, ctx, 4, x, y, &o, &l);
    CHECK(denormals_work(), "FP environment changed by nn_train_step");
    (void)nn_predict(net, ctx, 4, x, out);
    CHECK(denormals_work(), "FP environment changed by nn_predict");
    (void)nn_evaluate(net, ctx, 4, x, y, &l, &a);
    CHECK(denormals_work(), "FP environment changed by nn_evaluate");
    (void)nn_fit(net, &cfg, 4, x, y, &res);
    CHECK(denormals_work(), "FP environment changed by nn_fit");
    (void)nn_forward(net, ctx, 4, xn, 1);
    CHECK(denormals_work(), "FP environment changed by nn_forward (NaN input)");
    cfg.opt.lr = 1e10f;
    (void)nn_fit(net, &cfg, 4, x, big, &res);
    CHECK(denormals_work(), "FP environment changed by nn_fit (diverging)");
    nn_sgemm(0, 0, 2, 2, 2, 1.0f, x, 2, x, 2, 0.0f, out, 2);
    nn_act_forward(NN_ACT_SIGMOID, 4, x, out);
    CHECK(denormals_work(), "FP environment changed by nn_sgemm / nn_act_forward");
out:
    nn_ctx_free(ctx);
    nn_net_free(net);
}

/* nn_fit without shuffling == the same mini-batches by hand through
 * nn_train_step (the last batch partial: 22 = 8 + 8 + 6), with the lr of
 * nn_sched_lr for each epoch: the fit applies its schedule and covers every
 * row. The two runs may block rows differently (each their own ctx), so the
 * weights agree to float rounding, not bits: 1e-5 of the largest weight
 * (3 epochs x 3 steps of ~10u each); a schedule one epoch off or a dropped
 * partial batch moves them by ~1e-2. */
static void test_fit_equivalence(void)
{
    static const nn_act acts[2] = {NN_ACT_TANH, NN_ACT_IDENTITY};
    int sizes[3] = {3, 5, 2}, i, e, n = 22, bs = 8;
    nn_net *a = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_XAVIER, 0.0f, 17);
    nn_net *b = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_XAVIER, 0.0f, 17);
    nn_ctx *cb = b ? make_ctx(b, bs) : NULL;
    float x[22 * 3], y[22 * 2];
    nn_fit_config cfg = nn_fit_defaults();
    nn_fit_result res;
    nn_opt o;
    size_t na = 0, nb = 0;
    const float *pa, *pb;
    double d = 0.0, m = 0.0;
    if (!a || !cb) goto out;
    th_fill(&rng, x, 66, -1, 1);
    th_fill(&rng, y, 44, -1, 1);
    cfg.epochs = 3; cfg.batch_size = bs; cfg.shuffle = 0; cfg.seed = 1;
    cfg.opt = opt_make(NN_OPT_MOMENTUM, 0.2f, 0.0f, 0.0f);
    cfg.sched.kind = NN_SCHED_EXP; cfg.sched.gamma = 0.5f;
    CHECK_ST(nn_fit(a, &cfg, n, x, y, &res), NN_OK);
    o = cfg.opt;
    for (e = 0; e < 3; e++) {
        o.lr = nn_sched_lr(&cfg.sched, cfg.opt.lr, e);
        for (i = 0; i < n; i += bs) {
            int rows = n - i < bs ? n - i : bs;
            CHECK_ST(nn_train_step(b, cb, rows, x + 3 * i, y + 2 * i, &o, NULL), NN_OK);
        }
    }
    pa = nn_net_params(a, &na);
    pb = nn_net_params(b, &nb);
    for (i = 0; i < (int)na && na == nb; i++) {
        if (fabs(pa[i] - pb[i]) > d) d = fabs(pa[i] - pb[i]);
        if (fabs(pb[i]) > m) m = fabs(pb[i]);
    }
    CHECK(na == nb && d <= 1e-5 * m, "nn_fit (no shuffle, exp schedule) vs the same steps "
          "by hand: weights differ by %.3g (max |w| %.3g)", d, m);
    CHECK(nn_net_step_count(a) == 9 && nn_net_step_count(b) == 9,
          "step counts %ld / %ld after 3 epochs of 3 batches", nn_net_step_count(a),
          nn_net_step_count(b));
    {   /* cfg.threads (a data-parallel fit with OpenMP): within the same
         * bound of the hand steps, and the same bits when repeated */
        nn_net *c = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_XAVIER, 0.0f, 17);
        nn_net *c2 = make_net(2, sizes, acts, NN_LOSS_MSE, 0.0f, NN_INIT_XAVIER, 0.0f, 17);
        size_t nc = 0;
        const float *pc;
        if (c && c2) {
            cfg.threads = 2;
            CHECK_ST(nn_fit(c, &cfg, n, x, y, &res), NN_OK);
            CHECK_ST(nn_fit(c2, &cfg, n, x, y, &res), NN_OK);
            pc = nn_net_params(c, &nc);
            CHECK(nc == nb && memcmp(pc, nn_net_params(c2, NULL), nc * sizeof(float)) == 0,
                  "nn_fit with threads = 2 not bit-identical when repeated");
            for (d = 0.0, i = 0; i < (int)nc && nc == nb; i++)
                if (fabs(pc[i] - pb[i]) > d) d = fabs(pc[i] - pb[i]);
            CHECK(nc == nb && d <= 1e-5 * m, "nn_fit with threads = 2 vs the steps by hand: "
                  "weights differ by %.3g (max |w| %.3g)", d, m);
        }
        nn_net_free(c); nn_net_free(c2);
    }
out:
    nn_ctx_free(cb); nn_net_free(a); nn_net_free(b);
}

#ifdef _OPENMP
#include <omp.h>
/* Inference from many threads at once: one net, a ctx per thread, every
 * thread's outputs equal (bits) to a serial prediction. */
static void test_parallel_predict(void)
{
    static const nn_act acts[2] = {NN_ACT_RELU, NN_ACT_SOFTMAX};
    int sizes[3] = {16, 32, 10}, bad = 0, t;
    nn_net *net = make_net(2, sizes, acts, NN_LOSS_SOFTMAX_CE, 0.0f, NN_INIT_HE, 0.0f, 8);
    nn_ctx *c0 = net ? make_ctx(net, 64) : NULL;
    float *x = TH_NEW(float, 64 * 16), *y0 = TH_NEW(float, 64 * 10);
    if (!c0) goto out;
    th_fill(&rng, x, 64 * 16, -1, 1);
    CHECK_ST(nn_predict(net, c0, 64, x, y0), NN_OK);
#pragma omp parallel for num_threads(4) reduction(+ : bad)
    for (t = 0; t < 8; t++) {
        nn_ctx *c = NULL;
        float y[64 * 10];
        int k;
        if (nn_ctx_create(&c, net, 64) != NN_OK) { bad++; continue; }
        for (k = 0; k < 20; k++)
            if (nn_predict(net, c, 64, x, y) != NN_OK || memcmp(y, y0, sizeof y) != 0) bad++;
        nn_ctx_free(c);
    }
    CHECK(bad == 0, "parallel nn_predict with one net: %d of 160 runs differ", bad);
out:
    free(x); free(y0);
    nn_ctx_free(c0); nn_net_free(net);
}
#endif

/* nn_train_step takes shortcuts (momentum and single-block SGD update W in
 * place without forming dW; a batch cut into row blocks accumulates dW
 * block by block). Each variant must equal the plain path nn_forward +
 * nn_backward + nn_update (whose gradients the gradient check and whose
 * update rules the optimizer tests verified), two steps from the same
 * start, for row blocks of 1, 3, 7 rows and the automatic choice, with and
 * without L1/L2 and dropout (same ctx seed: the same masks).
 * TOLERANCE: the weights after two steps agree to 1e-4 of the largest
 * change (dW summed in another order, W -= lr dW fused or not: ~K u
 * relative with K <= 33) plus 8 u |w|; a lost factor, a missing
 * regularization term or a wrong block offset moves them by >= 1%. */
static void test_train_paths(void)
{
    static const nn_act acts[3] = {NN_ACT_TANH, NN_ACT_RELU, NN_ACT_SOFTMAX};
    static const int rbs[4] = {0, 1, 3, 7};
    static const struct { nn_opt_kind k; float l1, l2, drop; } cfgs[] = {
        {NN_OPT_SGD, 0, 0, 0}, {NN_OPT_SGD, 0, 0.01f, 0}, {NN_OPT_SGD, 0.001f, 0.01f, 0},
        {NN_OPT_MOMENTUM, 0, 0, 0}, {NN_OPT_MOMENTUM, 0.001f, 0.01f, 0},
        {NN_OPT_NESTEROV, 0, 0.01f, 0}, {NN_OPT_ADAM, 0, 0.01f, 0},
        {NN_OPT_SGD, 0, 0, 0.3f}, {NN_OPT_MOMENTUM, 0, 0.01f, 0.3f}
    };
    int sizes[4] = {7, 33, 17, 4}, B = 20, c, r, t, i;
    float x[20 * 7], y[20 * 4];
    th_fill(&rng, x, 140, -1, 1);
    make_targets(NN_ACT_SOFTMAX, NN_LOSS_SOFTMAX_CE, B, 4, y);
    for (c = 0; c < (int)(sizeof cfgs / sizeof cfgs[0]); c++)
        for (r = 0; r < 4; r++) {
            nn_net *a = make_net(3, sizes, acts, NN_LOSS_SOFTMAX_CE, 0, NN_INIT_HE, 0, 40 + c);
            nn_net *b = make_net(3, sizes, acts, NN_LOSS_SOFTMAX_CE, 0, NN_INIT_HE, 0, 40 + c);
            nn_ctx *ca = a ? make_ctx(a, B) : NULL, *cb = b ? make_ctx(b, B) : NULL;
            nn_opt o = opt_make(cfgs[c].k, cfgs[c].k == NN_OPT_ADAM ? 0.01f : 0.1f,
                                cfgs[c].l1, cfgs[c].l2);
            float *p0 = NULL, la = 0, lb = 0;
            const float *pa, *pb;
            size_t n = 0;
            double d = 0, ch = 0, wm = 0;
            if (!ca || !cb) goto next;
            if (cfgs[c].drop > 0) {
                CHECK_ST(nn_net_set_dropout(a, 0, cfgs[c].drop), NN_OK);
                CHECK_ST(nn_net_set_dropout(b, 0, cfgs[c].drop), NN_OK);
            }
            nn_ctx_seed(ca, 5);
            nn_ctx_seed(cb, 5);
            (void)nn_ctx_set_row_block(cb, rbs[r]);
            pa = nn_net_params(a, &n);
            p0 = TH_NEW(float, n);
            memcpy(p0, pa, n * sizeof(float));
            for (t = 0; t < 2; t++) {
                CHECK_ST(nn_forward(a, ca, B, x, 1), NN_OK);
                CHECK_ST(nn_backward(a, ca, y, &la), NN_OK);
                CHECK_ST(nn_update(a, &o), NN_OK);
                CHECK_ST(nn_train_step(b, cb, B, x, y, &o, &lb), NN_OK);
                CHECK(fabs(la - lb) <= 1e-5 * fabs(la), "train_step loss %.9g vs backward "
                      "%.9g (opt %d, row block %d)", lb, la, (int)cfgs[c].k, rbs[r]);
            }
            pb = nn_net_params(b, &n);
            for (i = 0; i < (int)n; i++) {
                if (fabs(pa[i] - pb[i]) > d) d = fabs(pa[i] - pb[i]);
                if (fabs(pa[i] - p0[i]) > ch) ch = fabs(pa[i] - p0[i]);
                if (fabs(pa[i]) > wm) wm = fabs(pa[i]);
            }
            CHECK(ch > 0 && d <= 1e-4 * ch + 8 * TH_U * wm,
                  "nn_train_step vs forward+backward+update: opt %d l1=%g l2=%g dropout=%g "
                  "row block %d: weights differ by %.3g (largest change %.3g)",
                  (int)cfgs[c].k, cfgs[c].l1, cfgs[c].l2, cfgs[c].drop, rbs[r], d, ch);
            CHECK(nn_net_step_count(a) == 2 && nn_net_step_count(b) == 2,
                  "step counts %ld / %ld after 2 steps", nn_net_step_count(a),
                  nn_net_step_count(b));
        next:
            free(p0);
            nn_ctx_free(ca); nn_ctx_free(cb); nn_net_free(a); nn_net_free(b);
        }
}

/* Saturated outputs: sigmoid(100) is 1.0f and softmax gives the right class
 * p = 0 in float, but the loss of the model is finite (100, 200): the
 * training and evaluation losses must come from the logits, not from
 * log(0). Hand values, 1e-5 relative. */
static void test_saturated_loss(void)
{
    static const nn_act sg[1] = {NN_ACT_SIGMOID}, sm[1] = {NN_ACT_SOFTMAX};
    int s1[2] = {1, 1}, s3[2] = {1, 3};
    nn_net *a = make_net(1, s1, sg, NN_LOSS_BCE, 0, NN_INIT_UNIFORM, 0.1f, 1);
    nn_net *b = make_net(1, s3, sm, NN_LOSS_SOFTMAX_CE, 0, NN_INIT_UNIFORM, 0.1f, 1);
    nn_ctx *ca = a ? make_ctx(a, 1) : NULL, *cb = b ? make_ctx(b, 1) : NULL;
    float x = 1, y0 = 0, t[3] = {1, 0, 0}, l = -1, acc;
    if (!ca || !cb) goto out;
    nn_net_weights(a, 0)[0] = 100; nn_net_bias(a, 0)[0] = 0;
    nn_net_weights(b, 0)[0] = -100; nn_net_weights(b, 0)[1] = 100; nn_net_weights(b, 0)[2] = 0;
    nn_net_bias(b, 0)[0] = nn_net_bias(b, 0)[1] = nn_net_bias(b, 0)[2] = 0;
    CHECK_ST(nn_forward(a, ca, 1, &x, 1), NN_OK);
    CHECK_ST(nn_backward(a, ca, &y0, &l), NN_OK);
    CHECK(fabs(l - 100) <= 1e-3, "sigmoid+BCE at z=100, y=0: backward loss %g, want 100", l);
    CHECK_ST(nn_evaluate(a, ca, 1, &x, &y0, &l, &acc), NN_OK);
    CHECK(fabs(l - 100) <= 1e-3, "sigmoid+BCE at z=100, y=0: evaluate loss %g, want 100", l);
    CHECK_ST(nn_forward(b, cb, 1, &x, 1), NN_OK);
    CHECK_ST(nn_backward(b, cb, t, &l), NN_OK);
    CHECK(fabs(l - 200) <= 2e-3, "softmax+CE, logits (-100, 100, 0), class 0: loss %g, "
          "want 200", l);
    CHECK_ST(nn_evaluate(b, cb, 1, &x, t, &l, &acc), NN_OK);
    CHECK(fabs(l - 200) <= 2e-3, "softmax+CE evaluate loss %g, want 200", l);
out:
    nn_ctx_free(ca); nn_ctx_free(cb); nn_net_free(a); nn_net_free(b);
}

/* Wider nets (packed GEMM paths, SIMD tails) against the double reference's
 * analytic backprop (itself verified against finite differences above):
 * sizes 40-70-33-k, batch 37. TOLERANCE per gradient entry, the rounding
 * bound of tests/test_step.c: 4 * 2 (B + L W) u S_i + 2^-126, with S_i the
 * sum of the absolute values of the entry's terms (ref_net_backward_abs),
 * B = 37 rows, L = 3 layers, W = 70 the widest. */
static void test_wide_grad(void)
{
    static const nn_act hid[3] = {NN_ACT_TANH, NN_ACT_RELU, NN_ACT_SOFTPLUS};
    static const struct { nn_act act; nn_loss loss; int out; } outs[3] = {
        {NN_ACT_SOFTMAX, NN_LOSS_SOFTMAX_CE, 10}, {NN_ACT_SIGMOID, NN_LOSS_BCE, 3},
        {NN_ACT_IDENTITY, NN_LOSS_HUBER, 5}};
    int h, o, B = 37;
    for (h = 0; h < 3; h++)
        for (o = 0; o < 3; o++) {
            int sizes[4] = {40, 70, 33, 0}, ra[3], l, bad = 0, first = -1;
            nn_act acts[3];
            nn_net *net;
            nn_ctx *ctx;
            ref_net rn;
            float *x, *y;
            const float *g, *p;
            double *gr, *ga;
            size_t np = 0, i;
            sizes[3] = outs[o].out;
            acts[0] = hid[h]; acts[1] = hid[(h + 1) % 3]; acts[2] = outs[o].act;
            net = make_net(3, sizes, acts, outs[o].loss, 0.5f, NN_INIT_XAVIER, 0.0f, 60 + 3 * h + o);
            ctx = net ? make_ctx(net, 64) : NULL;
            if (!ctx) { nn_net_free(net); continue; }
            x = TH_NEW(float, B * 40);
            y = TH_NEW(float, B * sizes[3]);
            th_fill(&rng, x, (size_t)B * 40, -1, 1);
            make_targets(acts[2], outs[o].loss, B, sizes[3], y);
            CHECK_ST(nn_forward(net, ctx, B, x, 1), NN_OK);
            CHECK_ST(nn_backward(net, ctx, y, NULL), NN_OK);
            p = nn_net_params(net, &np);
            g = nn_net_grads(net, &np);
            for (l = 0; l < 3; l++) ra[l] = acts[l];
            ref_net_init(&rn, 3, sizes, ra, outs[o].loss, 0.5);
            ref_net_set(&rn, p);
            gr = TH_NEW(double, np);
            ga = TH_NEW(double, np);
            (void)ref_net_backward_abs(&rn, B, x, y, gr, ga);
            for (i = 0; i < np; i++) {
                double tol = 4.0 * 2.0 * (B + 3 * 70) * TH_U * ga[i] + ldexp(1.0, -126);
                if (!(fabs(g[i] - gr[i]) <= tol)) { if (first < 0) first = (int)i; bad++; }
            }
            CHECK(bad == 0, "wide net %s-%s-%s + %s: %d of %lu gradients outside the "
                  "rounding bound (first #%d: %.9g vs %.12g)", nn_act_name(acts[0]),
                  nn_act_name(acts[1]), nn_act_name(acts[2]), nn_loss_name(outs[o].loss),
                  bad, (unsigned long)np, first, first >= 0 ? g[first] : 0.0f,
                  first >= 0 ? gr[first] : 0.0);
            free(x); free(y); free(gr); free(ga);
            ref_net_free(&rn);
            nn_ctx_free(ctx);
            nn_net_free(net);
        }
}

static void all_tests(void)
{
    rng.s = 2024;
    test_gradcheck();
    test_wide_grad();
    test_batch_split();
    test_optimizers();
    test_layout();
    test_init();
    test_dropout();
    test_sched();
    test_early_stopping();
    test_fit_callback();
    test_predict_chunks();
    test_train_step();
    test_evaluate();
    test_fp_env();
    test_fit_equivalence();
    test_train_paths();
    test_saturated_loss();
#ifdef _OPENMP
    test_parallel_predict();
#endif
}

int main(void)
{
    th_begin("test_net");
    th_for_each_isa(all_tests);
    printf("gradient check worst relative error (all ISAs): %.3g in %s\n", worst_rel_all,
           worst_label);
    return th_finish();
}
