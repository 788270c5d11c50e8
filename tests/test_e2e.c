/* tests/test_e2e.c - end to end, every ISA: logic gates with hand-set
 * perceptron weights (a 1-layer nn_net with NN_ACT_STEP), the perceptron
 * rule learning AND / OR / NAND and failing on XOR, a 2-layer MLP learning
 * XOR for 10 seeds out of 10, and determinism (same seed -> same bits).
 * Outputs of step units and thresholded predictions are exact: no
 * tolerances except the XOR loss bound stated below.
 */
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"

static const float X2[8] = {0, 0, 0, 1, 1, 0, 1, 1};
static const float T_AND[4] = {0, 0, 0, 1}, T_OR[4] = {0, 1, 1, 1};
static const float T_NAND[4] = {1, 1, 1, 0}, T_XOR[4] = {0, 1, 1, 0};

/* A 1-layer step network with hand-set weights; checks all rows. */
static void gate(const char *name, int dims, const float *w, float b, int n,
                 const float *x, const float *t)
{
    static const nn_act step[1] = {NN_ACT_STEP};
    int sizes[2], i, bad = 0, badp = 0;
    nn_net *net = NULL;
    nn_ctx *ctx = NULL;
    float out[4];
    sizes[0] = dims;
    sizes[1] = 1;
    if (nn_net_create(&net, 1, sizes, step) != NN_OK || nn_ctx_create(&ctx, net, 4) != NN_OK) {
        CHECK(0, "%s: could not create the 1-layer step net", name);
        nn_net_free(net);
        return;
    }
    memcpy(nn_net_weights(net, 0), w, (size_t)dims * sizeof(float));
    nn_net_bias(net, 0)[0] = b;
    CHECK_ST(nn_predict(net, ctx, n, x, out), NN_OK);
    for (i = 0; i < n; i++) {
        if (out[i] != t[i]) bad++;
        if (nn_perceptron_predict(dims, w, b, x + i * dims) != t[i]) badp++;
    }
    CHECK(bad == 0, "%s gate with hand-set weights: %d of %d rows wrong", name, bad, n);
    CHECK(badp == 0, "%s via nn_perceptron_predict: %d of %d rows wrong", name, badp, n);
    nn_ctx_free(ctx);
    nn_net_free(net);
}

static void test_gates(void)
{
    static const float w_and[2] = {1, 1}, w_nand[2] = {-1, -1}, w_not[1] = {-1};
    static const float x1[2] = {0, 1}, t_not[2] = {1, 0};
    gate("AND", 2, w_and, -1.5f, 4, X2, T_AND);
    gate("OR", 2, w_and, -0.5f, 4, X2, T_OR);
    gate("NAND", 2, w_nand, 1.5f, 4, X2, T_NAND);
    gate("NOT", 1, w_not, 0.5f, 2, x1, t_not);
}

static void learn(const char *name, const float *t, int expect_converged)
{
    float w[2] = {0, 0}, b = 0;
    int epochs = -1, conv = -1, i, bad = 0;
    CHECK_ST(nn_perceptron_train(4, 2, X2, t, 0.1f, 100, w, &b, &epochs, &conv), NN_OK);
    CHECK(conv == expect_converged, "perceptron on %s: converged = %d, expected %d "
          "(epochs %d)", name, conv, expect_converged, epochs);
    if (expect_converged) {
        for (i = 0; i < 4; i++)
            if (nn_perceptron_predict(2, w, b, X2 + 2 * i) != t[i]) bad++;
        CHECK(bad == 0, "perceptron learned %s wrong on %d rows (w=%g,%g b=%g)", name,
              bad, w[0], w[1], b);
        CHECK(epochs >= 1 && epochs < 100, "perceptron %s: %d epochs", name, epochs);
    } else {
        CHECK(epochs == 100, "perceptron %s: %d epochs reported, max was 100", name, epochs);
    }
}

static void test_perceptron_rule(void)
{
    learn("AND", T_AND, 1);
    learn("OR", T_OR, 1);
    learn("NAND", T_NAND, 1);
    learn("XOR", T_XOR, 0);
}

/* 2-4-1 tanh/sigmoid, BCE, Adam lr 0.05, full batch, 1500 epochs: learns
 * XOR from any of these seeds. Success: every row on the right side of 0.5
 * and mean BCE < 0.1 (each output within ~0.1 of its target). */
static nn_net *xor_net(uint64_t seed)
{
    static const nn_act acts[2] = {NN_ACT_TANH, NN_ACT_SIGMOID};
    int sizes[3] = {2, 4, 1};
    nn_net *net = NULL;
    if (nn_net_create(&net, 2, sizes, acts) != NN_OK) return NULL;
    if (nn_net_init(net, NN_INIT_XAVIER, 0.0f, seed) != NN_OK) {
        nn_net_free(net);
        return NULL;
    }
    return net;
}

static nn_fit_config xor_cfg(uint64_t seed)
{
    nn_fit_config c = nn_fit_defaults();
    c.epochs = 1500;
    c.batch_size = 4;
    c.opt = nn_opt_default(NN_OPT_ADAM);
    c.opt.lr = 0.05f;
    c.seed = seed;
    return c;
}

static void test_xor_mlp(void)
{
    int s, ok = 0;
    for (s = 1; s <= 10; s++) {
        nn_net *net = xor_net((uint64_t)s);
        nn_ctx *ctx = NULL;
        nn_fit_config cfg = xor_cfg((uint64_t)s);
        nn_fit_result res;
        float out[4], loss = 1, acc = 0;
        int i, right = 0;
        if (!net || nn_ctx_create(&ctx, net, 4) != NN_OK) {
            CHECK(0, "xor net seed %d: create failed", s);
            nn_net_free(net);
            continue;
        }
        CHECK_ST(nn_fit(net, &cfg, 4, X2, T_XOR, &res), NN_OK);
        CHECK_ST(nn_predict(net, ctx, 4, X2, out), NN_OK);
        CHECK_ST(nn_evaluate(net, ctx, 4, X2, T_XOR, &loss, &acc), NN_OK);
        for (i = 0; i < 4; i++) right += (out[i] > 0.5f) == (T_XOR[i] > 0.5f);
        if (right == 4 && loss < 0.1f && acc == 1.0f) ok++;
        else printf("    xor seed %d: %d/4 right, loss %g, acc %g, outputs %g %g %g %g\n",
                    s, right, loss, acc, out[0], out[1], out[2], out[3]);
        nn_ctx_free(ctx);
        nn_net_free(net);
    }
    CHECK(ok == 10, "2-4-1 MLP learned XOR for %d of 10 seeds", ok);
}

/* Same seed (init and fit, dropout on) -> identical bits; another seed ->
 * different weights. */
static void test_determinism(void)
{
    float x[64 * 2], y[64];
    int i;
    size_t n1, n2, n3, n4;
    nn_net *a = xor_net(7), *b = xor_net(7), *c = xor_net(8), *d = xor_net(7);
    nn_fit_config cfg = xor_cfg(7), cfg2 = xor_cfg(99);
    nn_fit_result r;
    th_rng rng = {5};
    if (!a || !b || !c || !d) {
        CHECK(0, "determinism: net create failed");
        nn_net_free(a); nn_net_free(b); nn_net_free(c); nn_net_free(d);
        return;
    }
    for (i = 0; i < 64; i++) {
        x[2 * i] = (float)th_rng_range(&rng, -1, 1);
        x[2 * i + 1] = (float)th_rng_range(&rng, -1, 1);
        y[i] = x[2 * i] * x[2 * i + 1] > 0 ? 1.0f : 0.0f;
    }
    cfg.epochs = cfg2.epochs = 20;
    cfg.batch_size = cfg2.batch_size = 8;
    CHECK_ST(nn_net_set_dropout(a, 0, 0.2f), NN_OK);
    CHECK_ST(nn_net_set_dropout(b, 0, 0.2f), NN_OK);
    CHECK_ST(nn_net_set_dropout(c, 0, 0.2f), NN_OK);
    CHECK_ST(nn_net_set_dropout(d, 0, 0.2f), NN_OK);
    CHECK_ST(nn_fit(a, &cfg, 64, x, y, &r), NN_OK);
    CHECK_ST(nn_fit(b, &cfg, 64, x, y, &r), NN_OK);
    CHECK_ST(nn_fit(c, &cfg, 64, x, y, &r), NN_OK);
    CHECK_ST(nn_fit(d, &cfg2, 64, x, y, &r), NN_OK);
    {
        const float *pa = nn_net_params(a, &n1), *pb = nn_net_params(b, &n2);
        const float *pc = nn_net_params(c, &n3), *pd = nn_net_params(d, &n4);
        CHECK(n1 == n2 && memcmp(pa, pb, n1 * sizeof(float)) == 0,
              "same seeds, different weights after nn_fit");
        CHECK(memcmp(pa, pc, n1 * sizeof(float)) != 0,
              "init seeds 7 and 8 give identical weights after nn_fit");
        CHECK(memcmp(pa, pd, n1 * sizeof(float)) != 0,
              "fit seeds 7 and 99 (shuffle, dropout) give identical weights");
    }
    {   /* a clone is the same model */
        nn_net *e = NULL;
        CHECK_ST(nn_net_clone(&e, a), NN_OK);
        if (e) {
            const float *pa = nn_net_params(a, &n1), *pe = nn_net_params(e, &n2);
            CHECK(n1 == n2 && memcmp(pa, pe, n1 * sizeof(float)) == 0, "clone differs");
            CHECK(nn_net_layers(e) == 2 && nn_net_act(e, 0) == NN_ACT_TANH,
                  "clone lost its shape");
            CHECK(pe != pa, "clone shares the parameter buffer");
            if (pe != pa) {     /* deep copy: changing the clone leaves a alone */
                float keep = pa[0];
                nn_net_params(e, &n2)[0] = keep + 1.0f;
                CHECK(pa[0] == keep, "writing the clone's params changed the original");
            }
        }
        nn_net_free(e);
    }
    nn_net_free(a); nn_net_free(b); nn_net_free(c); nn_net_free(d);
}

static void all_tests(void)
{
    test_gates();
    test_perceptron_rule();
    test_xor_mlp();
    test_determinism();
}

#ifdef _OPENMP
#include <omp.h>
/* The dispatch table is built once, thread-safely, by whichever call comes
 * first: here four threads race to be first; all must see the same table. */
static void first_calls_in_parallel(void)
{
    int isas[4] = {-1, -1, -1, -1}, bad = 0, i;
#pragma omp parallel num_threads(4)
    {
        int t = omp_get_thread_num();
        if (t < 4 && nn_kernels_for(NN_ISA_AUTO) != NULL) isas[t] = (int)nn_isa_get();
    }
    for (i = 1; i < 4; i++) if (isas[i] != -1 && isas[i] != isas[0]) bad++;
    CHECK(isas[0] != -1 && bad == 0, "first nn.h calls from 4 threads saw different "
          "tables: %d %d %d %d", isas[0], isas[1], isas[2], isas[3]);
}
#endif

int main(void)
{
#ifdef _OPENMP
    first_calls_in_parallel();
#endif
    th_begin("test_e2e");
    th_for_each_isa(all_tests);
    return th_finish();
}
