/* examples/digits.c - digit classification on the MNIST digits or on
 * Fashion-MNIST, repeated over several seeds, reporting the test accuracy as
 * mean +- standard deviation with the seeds listed (as the notes ask: one
 * run is an anecdote).
 *
 *   digits [mnist|fashion] [--whiten] [--whiten-eps E] [--seeds 1,2,3,4,5] [--epochs N]
 *          [--augment K] [--split-seed S]
 *
 * The network is the 3-layer dense classifier of the demo: 784-256-128-10,
 * ReLU, softmax cross-entropy, Adam with a cosine schedule, standardized
 * (optionally PCA-whitened) inputs. The split (and augmentation) is fixed by
 * --split-seed (default 42) so the runs differ only in the training seed:
 * initialization, shuffling and dropout. */
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEDS 64

int main(int argc, char **argv)
{
    const char *set = "mnist", *seed_list = "1,2,3,4,5";
    float whiten_eps = 1.0f;
    int whiten = 0, epochs = -1, augment = -1, n_seeds = 0, i;
    uint64_t seeds[MAX_SEEDS], split_seed = 42;
    double acc[MAX_SEEDS], mean, sd, t0;
    float *p;
    ex_data d;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "mnist") || !strcmp(argv[i], "fashion")) set = argv[i];
        else if (!strcmp(argv[i], "--whiten")) whiten = 1;
        else if (!strcmp(argv[i], "--whiten-eps") && i + 1 < argc) { whiten = 1; whiten_eps = (float)atof(argv[++i]); }
        else if (!strcmp(argv[i], "--seeds") && i + 1 < argc) seed_list = argv[++i];
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--augment") && i + 1 < argc) augment = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--split-seed") && i + 1 < argc) split_seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [mnist|fashion] [--whiten] [--whiten-eps E] [--seeds 1,2,3,4,5] "
                    "[--epochs N] [--augment K] [--split-seed S]\n", argv[0]);
            return 2;
        }
    }
    {
        const char *q = seed_list;
        char *end;
        while (*q && n_seeds < MAX_SEEDS) {
            seeds[n_seeds++] = strtoull(q, &end, 10);
            if (end == q) { fprintf(stderr, "bad --seeds %s\n", seed_list); return 2; }
            q = *end == ',' ? end + 1 : end;
        }
    }
    if (epochs < 0) epochs = strcmp(set, "mnist") == 0 ? 10 : 12;
    if (augment < 0) augment = strcmp(set, "mnist") == 0 ? 4 : 0;
    if (ex_prepare(set, split_seed, augment, whiten ? whiten_eps : 0.0f, &d)) return 1;
    printf("%s: %d training images", set, d.base.n);
    if (augment > 0) printf(" (+ %d shifted copies each, new every epoch)", augment);
    printf(", %d validation, %d test, split seed %llu; standardized", d.val.n, d.test.n,
           (unsigned long long)split_seed);
    if (whiten) printf(" + PCA-whitened (eps %g)", whiten_eps);
    printf("; 784-256-128-10 ReLU, Adam, %d epochs, %s kernels\n", epochs, nn_isa_name(nn_isa_get()));
    p = (float *)malloc((size_t)d.test.n * 10 * sizeof(float));
    for (i = 0; i < n_seeds; i++) {
        nn_net *net = NULL;
        nn_ctx *ctx = NULL;
        nn_fit_config cfg = ex_fit_config(&d, epochs, 64, 1e-3f, seeds[i]);
        nn_status st = ex_classifier(&net, d.train.d, 256, 128, 0.0f, seeds[i]);
        t0 = ex_now();
        if (st == NN_OK) st = ex_fit(net, &d, &cfg, NULL);
        if (st == NN_OK) st = nn_ctx_create(&ctx, net, 256);
        if (st == NN_OK) st = nn_predict(net, ctx, d.test.n, d.test.x, p);
        if (st != NN_OK) { fprintf(stderr, "digits: %s\n", nn_status_str(st)); return 1; }
        acc[i] = 100.0 * ex_accuracy(d.test.n, 10, p, d.test.labels);
        printf("  seed %llu: test accuracy %.2f%%  (%.1f s)\n", (unsigned long long)seeds[i],
               acc[i], ex_now() - t0);
        nn_ctx_free(ctx);
        nn_net_free(net);
    }
    ex_mean_std(n_seeds, acc, &mean, &sd);
    printf("%s%s test accuracy: %.2f%% +- %.2f%% (mean +- sample std over %d seeds:",
           set, whiten ? " (whitened)" : "", mean, sd, n_seeds);
    for (i = 0; i < n_seeds; i++) printf(" %llu", (unsigned long long)seeds[i]);
    printf(")\n");
    free(p);
    ex_data_free(&d);
    return 0;
}
