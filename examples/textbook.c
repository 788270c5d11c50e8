/* examples/textbook.c - the textbook network (Nielsen, "Neural Networks and
 * Deep Learning", ch. 1): 784-30-10, sigmoid units, quadratic cost
 * C = 1/(2n) sum |y - a|^2, weights and biases from N(0, 1), plain SGD with
 * mini-batches of 10 and eta = 3.0, pixels in [0, 1], 30 epochs.
 *
 *   textbook [mnist|fashion] [--epochs N] [--seed S]
 *
 * mnist: the 10,000 MNIST digits, a seeded stratified 8,000 / 2,000 split.
 * fashion: Fashion-MNIST, 60,000 / 10,000. Prints the test accuracy after
 * every epoch, as the book does. */
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct state { nn_net *net; nn_ctx *ctx; const ex_set *test; float *p; int epochs; } state;

static int on_epoch(const nn_epoch_report *r, void *user)
{
    state *s = (state *)user;
    nn_predict(s->net, s->ctx, s->test->n, s->test->x, s->p);
    printf("epoch %2d/%d: test accuracy %6.2f%%  (train cost %.4f, %.0f samples/s)\n",
           r->epoch + 1, s->epochs, 100.0 * ex_accuracy(s->test->n, 10, s->p, s->test->labels),
           r->train_loss, r->samples / (r->seconds > 0 ? r->seconds : 1e-9));
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const char *set = "mnist";
    int epochs = 30, i, sizes[3] = { 784, 30, 10 };
    uint64_t seed = 1;
    nn_act acts[2] = { NN_ACT_SIGMOID, NN_ACT_SIGMOID };
    ex_set all, train, test;
    float *y;
    nn_fit_config cfg;
    nn_status st;
    state s;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "mnist") || !strcmp(argv[i], "fashion")) set = argv[i];
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else { fprintf(stderr, "usage: %s [mnist|fashion] [--epochs N] [--seed S]\n", argv[0]); return 2; }
    }
    if (strcmp(set, "mnist") == 0) {
        int *tr, *te;
        if (ex_load_mnist_digits(ex_data_dir(), &all)) return 1;
        tr = (int *)malloc(8000 * sizeof(int));
        te = (int *)malloc(2000 * sizeof(int));
        nn_split(all.n, all.labels, 10, 0, 2000, seed, tr, NULL, te);
        if (ex_subset(&all, 8000, tr, &train) || ex_subset(&all, 2000, te, &test)) return 1;
        ex_set_free(&all);
        free(tr); free(te);
    } else if (ex_load_fashion(ex_data_dir(), &train, &test)) {
        return 1;
    }
    y = (float *)malloc((size_t)train.n * 10 * sizeof(float));
    nn_one_hot(train.n, train.labels, 10, y);

    memset(&s, 0, sizeof s);
    nn_net_create(&s.net, 2, sizes, acts);
    nn_net_set_loss(s.net, NN_LOSS_MSE, 0.0f);           /* quadratic cost */
    nn_net_init(s.net, NN_INIT_GAUSSIAN, 1.0f, seed);    /* N(0, 1)        */
    nn_ctx_create(&s.ctx, s.net, 1000);
    s.test = &test;
    s.p = (float *)malloc((size_t)test.n * 10 * sizeof(float));
    s.epochs = epochs;
    cfg = nn_fit_defaults();
    cfg.epochs = epochs;
    cfg.batch_size = 10;
    cfg.opt = nn_opt_default(NN_OPT_SGD);
    cfg.opt.lr = 3.0f;
    cfg.seed = seed;
    cfg.on_epoch = on_epoch;
    cfg.user = &s;
    printf("textbook network 784-30-10, sigmoid, quadratic cost, mini-batch 10, eta 3.0, "
           "N(0,1) init, %s: %d training / %d test images, seed %llu\n",
           set, train.n, test.n, (unsigned long long)seed);
    st = nn_fit(s.net, &cfg, train.n, train.x, y, NULL);
    if (st != NN_OK) { fprintf(stderr, "textbook: %s\n", nn_status_str(st)); return 1; }
    nn_ctx_free(s.ctx);
    nn_net_free(s.net);
    ex_set_free(&train); ex_set_free(&test);
    free(y); free(s.p);
    return 0;
}
