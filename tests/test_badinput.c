/* tests/test_badinput.c - bad input returns an error and never crashes.
 *
 * NULL pointers and zero/negative sizes -> NN_ERR_ARG; sizes that do not fit
 * together (a ctx made for another net, batch > max_batch) -> NN_ERR_SHAPE;
 * NaN in inputs or targets -> NN_ERR_NAN; backward before forward ->
 * NN_ERR_STATE; an ISA the CPU lacks -> NN_ERR_UNSUPPORTED.
 *
 * On POSIX systems every call runs in a forked child (EXPECT_ST, NO_CRASH),
 * so a crash fails one check, names the call, and the rest still run. The
 * child reports the status as exit code 100 + status (sanitizers exit 1).
 */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L
#endif
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#include <sys/types.h>
#include <sys/wait.h>
#define HAVE_FORK 1
#else
#define HAVE_FORK 0
#endif

/* Runs the child part; returns the child's status word, or -1 where no
 * fork is available (the caller then evaluates in-process). */
#if HAVE_FORK
#define ISOLATE(child_code, ws)                                            \
    do {                                                                   \
        pid_t pid_;                                                        \
        fflush(stdout);                                                    \
        pid_ = fork();                                                     \
        if (pid_ == 0) { child_code; }                                     \
        if (pid_ < 0) ws = -1;                                             \
        else if (waitpid(pid_, &ws, 0) != pid_) ws = -1;                   \
    } while (0)
#else
#define ISOLATE(child_code, ws) do { ws = -1; } while (0)
#endif

static const char *ws_text(int ws, char *buf)
{
#if HAVE_FORK
    if (ws == -1) return "not isolated";
    if (WIFSIGNALED(ws)) { sprintf(buf, "CRASHED with signal %d", WTERMSIG(ws)); return buf; }
    if (WIFEXITED(ws) && WEXITSTATUS(ws) >= 100 && WEXITSTATUS(ws) < 100 + 16) {
        sprintf(buf, "returned %d (%s)", WEXITSTATUS(ws) - 100,
                nn_status_str((nn_status)(WEXITSTATUS(ws) - 100)));
        return buf;
    }
    if (WIFEXITED(ws)) { sprintf(buf, "exited with %d (sanitizer?)", WEXITSTATUS(ws)); return buf; }
#else
    (void)ws;
#endif
    sprintf(buf, "?");
    return buf;
}
static int ws_status(int ws)
{
#if HAVE_FORK
    if (ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) >= 100) return WEXITSTATUS(ws) - 100;
#else
    (void)ws;
#endif
    return -1;
}

/* Judges one isolated call: want >= 0 an exact status, -1 any error. ws is
 * the child's status word (-1: run in-process, inproc is the status). */
static void judge(const char *expr, int line, int ws, int inproc, int want)
{
    char b[96];
    int got = ws == -1 ? inproc : ws_status(ws);
    int ok = want >= 0 ? got == want : got > 0;
    if (ws == -1) sprintf(b, "returned %d", got);
    else (void)ws_text(ws, b);
    CHECK(ok, "line %d: %s: %s, expected %s", line, expr, b,
          want >= 0 ? nn_status_str((nn_status)want) : "an error");
}
#define EXPECT_ANY_(expr, want)                                            \
    do {                                                                   \
        int ws_ = -1;                                                      \
        ISOLATE(_exit(100 + (int)(expr)), ws_);                            \
        judge(#expr, __LINE__, ws_, ws_ == -1 ? (int)(expr) : 0, want);    \
    } while (0)
/* expr returns nn_status; it must equal want (exact code) */
#define EXPECT_ST(expr, want) EXPECT_ANY_(expr, (int)(want))
/* expr must return some error (any code but NN_OK) without crashing */
#define EXPECT_ERR(expr) EXPECT_ANY_(expr, -1)
/* a statement that must simply not crash */
#define NO_CRASH(stmt)                                                     \
    do {                                                                   \
        int ws_ = -1;                                                      \
        char b_[96];                                                       \
        ISOLATE(stmt; _exit(100), ws_);                                    \
        if (ws_ == -1) { stmt; ws_ = 0; }                                  \
        CHECK(ws_ == 0 || ws_status(ws_) == 0, "%s: %s", #stmt, ws_text(ws_, b_)); \
    } while (0)

static const int S3[4] = {3, 5, 4, 2};
static const nn_act A3[3] = {NN_ACT_TANH, NN_ACT_RELU, NN_ACT_SIGMOID};

static void test_status_isa(void)
{
    int i;
    for (i = 0; i <= (int)NN_ERR_STATE + 1; i++)
        CHECK(nn_status_str((nn_status)i) != NULL && *nn_status_str((nn_status)i),
              "nn_status_str(%d) empty", i);
    for (i = NN_ISA_SCALAR; i < NN_ISA_COUNT; i++) {
        if (nn_isa_supported((nn_isa)i)) continue;
        {
            nn_isa before = nn_isa_get();
            CHECK_ST(nn_isa_set((nn_isa)i), NN_ERR_UNSUPPORTED);
            CHECK(nn_isa_get() == before, "failed nn_isa_set(%s) changed the active ISA",
                  nn_isa_name((nn_isa)i));
            CHECK(nn_kernels_for((nn_isa)i) == NULL, "nn_kernels_for(unsupported %s) "
                  "not NULL", nn_isa_name((nn_isa)i));
        }
    }
#if defined(__x86_64__) || defined(__i386__)
    CHECK_ST(nn_isa_set(NN_ISA_NEON), NN_ERR_UNSUPPORTED);
#endif
#if defined(__aarch64__)
    CHECK_ST(nn_isa_set(NN_ISA_AVX2), NN_ERR_UNSUPPORTED);
    CHECK_ST(nn_isa_set(NN_ISA_AVX512), NN_ERR_UNSUPPORTED);
#endif
    CHECK(nn_isa_supported(NN_ISA_SCALAR), "scalar not supported");
    EXPECT_ST(nn_isa_set((nn_isa)99), NN_ERR_ARG);
    EXPECT_ST(nn_isa_set((nn_isa)-1), NN_ERR_ARG);
    CHECK(nn_isa_name((nn_isa)99) != NULL, "nn_isa_name(99) NULL");
    CHECK(nn_act_name((nn_act)99) != NULL, "nn_act_name(99) NULL");
    CHECK(nn_loss_name((nn_loss)99) != NULL, "nn_loss_name(99) NULL");
    CHECK(nn_isa_supported((nn_isa)99) == 0, "nn_isa_supported(99)");
    CHECK(nn_cpu_info_get() != NULL, "nn_cpu_info_get NULL");
}

static void test_create(void)
{
    nn_net *net = NULL;
    nn_ctx *ctx = NULL;
    int bad0[4] = {3, 0, 4, 2}, badn[4] = {3, -5, 4, 2}, huge[3] = {2147483647, 2147483647, 1};
    nn_act badact[3] = {NN_ACT_TANH, (nn_act)99, NN_ACT_SIGMOID};
    EXPECT_ST(nn_net_create(NULL, 3, S3, A3), NN_ERR_ARG);
    EXPECT_ST(nn_net_create(&net, 0, S3, A3), NN_ERR_ARG);
    EXPECT_ST(nn_net_create(&net, -1, S3, A3), NN_ERR_ARG);
    EXPECT_ST(nn_net_create(&net, 3, NULL, A3), NN_ERR_ARG);
    EXPECT_ST(nn_net_create(&net, 3, S3, NULL), NN_ERR_ARG);
    EXPECT_ST(nn_net_create(&net, 3, bad0, A3), NN_ERR_ARG);
    EXPECT_ST(nn_net_create(&net, 3, badn, A3), NN_ERR_ARG);
    EXPECT_ST(nn_net_create(&net, 3, S3, badact), NN_ERR_ARG);
    EXPECT_ERR(nn_net_create(&net, 2, huge, A3));
    NO_CRASH(nn_net_free(NULL));
    NO_CRASH(nn_ctx_free(NULL));
    if (nn_net_create(&net, 3, S3, A3) != NN_OK) { CHECK(0, "valid create failed"); return; }
    EXPECT_ST(nn_net_init(NULL, NN_INIT_XAVIER, 0.0f, 1), NN_ERR_ARG);
    EXPECT_ST(nn_net_init(net, (nn_init)99, 0.0f, 1), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_loss(NULL, NN_LOSS_MSE, 0.0f), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_loss(net, (nn_loss)99, 0.0f), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_loss(net, NN_LOSS_HUBER, -1.0f), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_dropout(NULL, 0, 0.5f), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_dropout(net, -1, 0.5f), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_dropout(net, 2, 0.5f), NN_ERR_ARG);   /* output layer */
    EXPECT_ST(nn_net_set_dropout(net, 3, 0.5f), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_dropout(net, 0, 1.0f), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_dropout(net, 0, -0.1f), NN_ERR_ARG);
    EXPECT_ST(nn_net_set_dropout(net, 0, NAN), NN_ERR_ARG);
    EXPECT_ST(nn_net_clone(NULL, net), NN_ERR_ARG);
    {
        nn_net *c = NULL;
        EXPECT_ST(nn_net_clone(&c, NULL), NN_ERR_ARG);
    }
    EXPECT_ST(nn_ctx_create(NULL, net, 4), NN_ERR_ARG);
    EXPECT_ST(nn_ctx_create(&ctx, NULL, 4), NN_ERR_ARG);
    EXPECT_ST(nn_ctx_create(&ctx, net, 0), NN_ERR_ARG);
    EXPECT_ST(nn_ctx_create(&ctx, net, -3), NN_ERR_ARG);
    {
        size_t n = 7;
        CHECK(nn_net_params(NULL, &n) == NULL, "nn_net_params(NULL) not NULL");
        CHECK(nn_net_grads(NULL, &n) == NULL, "nn_net_grads(NULL) not NULL");
        CHECK(nn_net_weights(net, -1) == NULL && nn_net_weights(net, 3) == NULL,
              "nn_net_weights out of range not NULL");
        CHECK(nn_net_bias(net, -1) == NULL && nn_net_bias(net, 3) == NULL,
              "nn_net_bias out of range not NULL");
        CHECK(nn_net_weights(NULL, 0) == NULL && nn_net_bias(NULL, 0) == NULL,
              "nn_net_weights/bias(NULL) not NULL");
        NO_CRASH((void)nn_net_size(net, 99));
        NO_CRASH((void)nn_net_size(NULL, 0));
        NO_CRASH((void)nn_net_layers(NULL));
        NO_CRASH((void)nn_net_act(net, 99));
        NO_CRASH((void)nn_net_loss(NULL));
        NO_CRASH((void)nn_net_step_count(NULL));
        NO_CRASH((void)nn_ctx_output(NULL));
        NO_CRASH(nn_ctx_seed(NULL, 1));
        NO_CRASH((void)nn_sched_lr(NULL, 0.1f, 3));
        {
            nn_sched zs;
            memset(&zs, 0, sizeof zs);
            zs.kind = NN_SCHED_STEP;            /* step_epochs 0: no division */
            NO_CRASH((void)nn_sched_lr(&zs, 0.1f, 3));
            zs.kind = NN_SCHED_COSINE;          /* total_epochs 0 */
            NO_CRASH((void)nn_sched_lr(&zs, 0.1f, 3));
            zs.kind = (nn_sched_kind)99;
            NO_CRASH((void)nn_sched_lr(&zs, 0.1f, 3));
        }
        NO_CRASH((void)nn_opt_default((nn_opt_kind)99));
    }
    nn_net_free(net);
}

/* forward / backward / update / predict / evaluate / train_step / fit */
static void test_training_calls(void)
{
    static const int other[4] = {3, 6, 4, 2};
    nn_net *net = NULL, *net2 = NULL;
    nn_ctx *ctx = NULL, *ctx2 = NULL, *fresh = NULL;
    float x[8 * 3], y[8 * 2], xn[8 * 3], yn[8 * 2], out[8 * 2], loss, acc;
    nn_opt opt = nn_opt_default(NN_OPT_SGD), badopt = opt, nanlr = opt;
    nn_fit_config cfg = nn_fit_defaults(), c;
    nn_fit_result res;
    int i;
    if (nn_net_create(&net, 3, S3, A3) != NN_OK || nn_net_init(net, NN_INIT_XAVIER, 0, 1) != NN_OK ||
        nn_net_create(&net2, 3, other, A3) != NN_OK ||
        nn_ctx_create(&ctx, net, 4) != NN_OK || nn_ctx_create(&ctx2, net2, 4) != NN_OK ||
        nn_ctx_create(&fresh, net, 4) != NN_OK) {
        CHECK(0, "setup failed");
        goto out;
    }
    for (i = 0; i < 24; i++) x[i] = xn[i] = 0.1f * (float)i - 1.0f;
    for (i = 0; i < 16; i++) y[i] = yn[i] = (float)(i & 1);
    xn[5] = NAN;
    yn[3] = NAN;
    badopt.kind = (nn_opt_kind)99;
    nanlr.lr = NAN;

    /* backward before any forward */
    EXPECT_ST(nn_backward(net, fresh, y, &loss), NN_ERR_STATE);
    /* forward */
    EXPECT_ST(nn_forward(NULL, ctx, 4, x, 1), NN_ERR_ARG);
    EXPECT_ST(nn_forward(net, NULL, 4, x, 1), NN_ERR_ARG);
    EXPECT_ST(nn_forward(net, ctx, 4, NULL, 1), NN_ERR_ARG);
    EXPECT_ST(nn_forward(net, ctx, 0, x, 1), NN_ERR_ARG);
    EXPECT_ST(nn_forward(net, ctx, -2, x, 1), NN_ERR_ARG);
    EXPECT_ST(nn_forward(net, ctx, 5, x, 1), NN_ERR_SHAPE);      /* > max_batch */
    EXPECT_ST(nn_forward(net, ctx2, 4, x, 1), NN_ERR_SHAPE);     /* other net's ctx */
    EXPECT_ST(nn_ctx_set_threads(NULL, net, 2), NN_ERR_ARG);
    EXPECT_ST(nn_ctx_set_threads(ctx, NULL, 2), NN_ERR_ARG);
    EXPECT_ST(nn_ctx_set_threads(ctx, net, -1), NN_ERR_ARG);
    EXPECT_ST(nn_ctx_set_threads(ctx2, net, 2), NN_ERR_SHAPE);   /* other net's ctx */
    EXPECT_ST(nn_forward(net, ctx, 4, xn, 1), NN_ERR_NAN);
    /* backward */
    EXPECT_ST(nn_backward(NULL, ctx, y, &loss), NN_ERR_ARG);
    EXPECT_ST(nn_backward(net, NULL, y, &loss), NN_ERR_ARG);
    CHECK_ST(nn_forward(net, ctx, 4, x, 1), NN_OK);
    EXPECT_ST(nn_backward(net, ctx, NULL, &loss), NN_ERR_ARG);
    EXPECT_ST(nn_backward(net, ctx, yn, &loss), NN_ERR_NAN);
    EXPECT_ST(nn_backward(net2, ctx, y, &loss), NN_ERR_SHAPE);   /* ctx of net */
    /* update */
    EXPECT_ST(nn_update(NULL, &opt), NN_ERR_ARG);
    EXPECT_ST(nn_update(net, NULL), NN_ERR_ARG);
    EXPECT_ST(nn_update(net, &badopt), NN_ERR_ARG);
    EXPECT_ST(nn_update(net, &nanlr), NN_ERR_ARG);
    /* train step */
    EXPECT_ST(nn_train_step(NULL, ctx, 4, x, y, &opt, &loss), NN_ERR_ARG);
    EXPECT_ST(nn_train_step(net, ctx, 4, x, NULL, &opt, &loss), NN_ERR_ARG);
    EXPECT_ST(nn_train_step(net, ctx, 4, x, y, NULL, &loss), NN_ERR_ARG);
    EXPECT_ST(nn_train_step(net, ctx, 8, x, y, &opt, &loss), NN_ERR_SHAPE);
    EXPECT_ST(nn_train_step(net, ctx2, 4, x, y, &opt, &loss), NN_ERR_SHAPE);
    EXPECT_ST(nn_train_step(net, ctx, 4, xn, y, &opt, &loss), NN_ERR_NAN);
    EXPECT_ST(nn_train_step(net, ctx, 4, x, yn, &opt, &loss), NN_ERR_NAN);
    /* predict: any n (chunks of max_batch), but valid pointers and shapes */
    EXPECT_ST(nn_predict(NULL, ctx, 4, x, out), NN_ERR_ARG);
    EXPECT_ST(nn_predict(net, NULL, 4, x, out), NN_ERR_ARG);
    EXPECT_ST(nn_predict(net, ctx, 4, NULL, out), NN_ERR_ARG);
    EXPECT_ST(nn_predict(net, ctx, 4, x, NULL), NN_ERR_ARG);
    EXPECT_ST(nn_predict(net, ctx, -1, x, out), NN_ERR_ARG);
    EXPECT_ST(nn_predict(net, ctx2, 4, x, out), NN_ERR_SHAPE);
    EXPECT_ST(nn_predict(net, ctx, 8, xn, out), NN_ERR_NAN);
    EXPECT_ST(nn_predict(net, ctx, 8, x, out), NN_OK);          /* 8 > max_batch 4 */
    /* evaluate */
    EXPECT_ST(nn_evaluate(NULL, ctx, 8, x, y, &loss, &acc), NN_ERR_ARG);
    EXPECT_ST(nn_evaluate(net, ctx, 8, NULL, y, &loss, &acc), NN_ERR_ARG);
    EXPECT_ST(nn_evaluate(net, ctx, 8, x, NULL, &loss, &acc), NN_ERR_ARG);
    EXPECT_ST(nn_evaluate(net, ctx, -1, x, y, &loss, &acc), NN_ERR_ARG);
    EXPECT_ST(nn_evaluate(net, ctx2, 8, x, y, &loss, &acc), NN_ERR_SHAPE);
    EXPECT_ST(nn_evaluate(net, ctx, 8, xn, y, &loss, &acc), NN_ERR_NAN);
    EXPECT_ST(nn_evaluate(net, ctx, 8, x, yn, &loss, &acc), NN_ERR_NAN);
    /* fit */
    cfg.epochs = 2;
    cfg.batch_size = 4;
    cfg.opt = opt;
    EXPECT_ST(nn_fit(NULL, &cfg, 8, x, y, &res), NN_ERR_ARG);
    EXPECT_ST(nn_fit(net, NULL, 8, x, y, &res), NN_ERR_ARG);
    EXPECT_ST(nn_fit(net, &cfg, 8, NULL, y, &res), NN_ERR_ARG);
    EXPECT_ST(nn_fit(net, &cfg, 8, x, NULL, &res), NN_ERR_ARG);
    EXPECT_ST(nn_fit(net, &cfg, 0, x, y, &res), NN_ERR_ARG);
    EXPECT_ST(nn_fit(net, &cfg, -8, x, y, &res), NN_ERR_ARG);
    c = cfg; c.batch_size = 0;
    EXPECT_ST(nn_fit(net, &c, 8, x, y, &res), NN_ERR_ARG);
    c = cfg; c.batch_size = -4;
    EXPECT_ST(nn_fit(net, &c, 8, x, y, &res), NN_ERR_ARG);
    c = cfg; c.epochs = -1;
    EXPECT_ST(nn_fit(net, &c, 8, x, y, &res), NN_ERR_ARG);
    c = cfg; c.val_n = 4; c.val_x = NULL; c.val_y = y;
    EXPECT_ST(nn_fit(net, &c, 8, x, y, &res), NN_ERR_ARG);
    c = cfg; c.opt.kind = (nn_opt_kind)99;
    EXPECT_ST(nn_fit(net, &c, 8, x, y, &res), NN_ERR_ARG);
    c = cfg; c.threads = -2;
    EXPECT_ST(nn_fit(net, &c, 8, x, y, &res), NN_ERR_ARG);
    EXPECT_ST(nn_fit(net, &cfg, 8, xn, y, &res), NN_ERR_NAN);
    EXPECT_ST(nn_fit(net, &cfg, 8, x, yn, &res), NN_ERR_NAN);
    /* after all that, the model still works */
    CHECK_ST(nn_train_step(net, ctx, 4, x, y, &opt, &loss), NN_OK);
    CHECK_ST(nn_predict(net, ctx, 8, x, out), NN_OK);
    CHECK(th_all_finite(out, 16), "outputs not finite after the bad calls");
out:
    nn_ctx_free(ctx); nn_ctx_free(ctx2); nn_ctx_free(fresh);
    nn_net_free(net); nn_net_free(net2);
}

static void test_loss_calls(void)
{
    float h[6] = {0.2f, 0.7f, 0.1f, 0.5f, 0.5f, 0.9f}, y[6] = {0, 1, 0, 1, 0, 1};
    float hn[6], yn[6], g[6], L;
    memcpy(hn, h, sizeof h); hn[2] = NAN;
    memcpy(yn, y, sizeof y); yn[4] = NAN;
    EXPECT_ST(nn_loss_eval((nn_loss)99, 2, 3, h, y, 0, &L, g), NN_ERR_ARG);
    EXPECT_ST(nn_loss_eval(NN_LOSS_MSE, 0, 3, h, y, 0, &L, g), NN_ERR_ARG);
    EXPECT_ST(nn_loss_eval(NN_LOSS_MSE, 2, -3, h, y, 0, &L, g), NN_ERR_ARG);
    EXPECT_ST(nn_loss_eval(NN_LOSS_MSE, 2, 3, NULL, y, 0, &L, g), NN_ERR_ARG);
    EXPECT_ST(nn_loss_eval(NN_LOSS_MSE, 2, 3, h, NULL, 0, &L, g), NN_ERR_ARG);
    NO_CRASH((void)nn_loss_eval(NN_LOSS_MSE, 2, 3, h, y, 0, NULL, g)); /* grad only */
    EXPECT_ST(nn_loss_eval(NN_LOSS_HUBER, 2, 3, h, y, -1.0f, &L, g), NN_ERR_ARG);
    EXPECT_ST(nn_loss_eval(NN_LOSS_MSE, 2, 3, hn, y, 0, &L, g), NN_ERR_NAN);
    EXPECT_ST(nn_loss_eval(NN_LOSS_BCE, 2, 3, h, yn, 0, &L, g), NN_ERR_NAN);
    EXPECT_ST(nn_output_delta((nn_act)99, NN_LOSS_MSE, 2, 3, h, y, 0, g), NN_ERR_ARG);
    EXPECT_ST(nn_output_delta(NN_ACT_SIGMOID, (nn_loss)99, 2, 3, h, y, 0, g), NN_ERR_ARG);
    EXPECT_ST(nn_output_delta(NN_ACT_SIGMOID, NN_LOSS_BCE, 0, 3, h, y, 0, g), NN_ERR_ARG);
    EXPECT_ST(nn_output_delta(NN_ACT_SIGMOID, NN_LOSS_BCE, 2, 3, NULL, y, 0, g), NN_ERR_ARG);
    EXPECT_ST(nn_output_delta(NN_ACT_SIGMOID, NN_LOSS_BCE, 2, 3, h, NULL, 0, g), NN_ERR_ARG);
    EXPECT_ST(nn_output_delta(NN_ACT_SIGMOID, NN_LOSS_BCE, 2, 3, h, y, 0, NULL), NN_ERR_ARG);
    EXPECT_ST(nn_output_delta(NN_ACT_SIGMOID, NN_LOSS_BCE, 2, 3, hn, y, 0, g), NN_ERR_NAN);
    EXPECT_ST(nn_output_delta(NN_ACT_SIGMOID, NN_LOSS_BCE, 2, 3, h, yn, 0, g), NN_ERR_NAN);
}

static void test_perceptron_calls(void)
{
    float x[8] = {0, 0, 0, 1, 1, 0, 1, 1}, t[4] = {0, 0, 0, 1}, xn[8], w[2] = {0, 0}, b = 0;
    int ep, conv;
    memcpy(xn, x, sizeof x); xn[3] = NAN;
    EXPECT_ST(nn_perceptron_train(0, 2, x, t, 0.1f, 10, w, &b, &ep, &conv), NN_ERR_ARG);
    EXPECT_ST(nn_perceptron_train(4, 0, x, t, 0.1f, 10, w, &b, &ep, &conv), NN_ERR_ARG);
    EXPECT_ST(nn_perceptron_train(-4, 2, x, t, 0.1f, 10, w, &b, &ep, &conv), NN_ERR_ARG);
    EXPECT_ST(nn_perceptron_train(4, 2, NULL, t, 0.1f, 10, w, &b, &ep, &conv), NN_ERR_ARG);
    EXPECT_ST(nn_perceptron_train(4, 2, x, NULL, 0.1f, 10, w, &b, &ep, &conv), NN_ERR_ARG);
    EXPECT_ST(nn_perceptron_train(4, 2, x, t, 0.1f, 10, NULL, &b, &ep, &conv), NN_ERR_ARG);
    EXPECT_ST(nn_perceptron_train(4, 2, x, t, 0.1f, 10, w, NULL, &ep, &conv), NN_ERR_ARG);
    EXPECT_ST(nn_perceptron_train(4, 2, x, t, 0.1f, -1, w, &b, &ep, &conv), NN_ERR_ARG);
    EXPECT_ST(nn_perceptron_train(4, 2, xn, t, 0.1f, 10, w, &b, &ep, &conv), NN_ERR_NAN);
    NO_CRASH((void)nn_perceptron_predict(2, NULL, 0.0f, x));
    NO_CRASH((void)nn_perceptron_predict(-1, w, 0.0f, x));
}

/* Void element-wise functions: bad enum, NULL with n > 0, negative rows
 * must not crash (they have no status to return). */
static void test_void_calls(void)
{
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8];
    NO_CRASH(nn_act_forward((nn_act)99, 8, x, y));
    NO_CRASH(nn_act_forward((nn_act)-1, 8, x, y));
    NO_CRASH(nn_act_backward((nn_act)99, 8, x, x, y));
    NO_CRASH(nn_act_forward(NN_ACT_SIGMOID, 8, NULL, y));
    NO_CRASH(nn_act_forward(NN_ACT_SIGMOID, 8, x, NULL));
    NO_CRASH(nn_act_backward(NN_ACT_TANH, 8, NULL, x, y));
    NO_CRASH(nn_act_forward(NN_ACT_SIGMOID, 0, NULL, NULL));
    NO_CRASH(nn_softmax(-1, 4, x, y));
    NO_CRASH(nn_softmax(2, -4, x, y));
    NO_CRASH(nn_softmax(2, 4, NULL, y));
    NO_CRASH(nn_log_softmax(2, 4, x, NULL));
    NO_CRASH(nn_sgemm(0, 0, 2, 2, 2, 1.0f, NULL, 2, x, 2, 0.0f, y, 2));
}

int main(void)
{
    th_begin("test_badinput");
    test_status_isa();
    test_create();
    test_training_calls();
    test_loss_calls();
    test_perceptron_calls();
    test_void_calls();
    return th_finish();
}
