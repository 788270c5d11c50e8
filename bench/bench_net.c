/* bench/bench_net.c - whole networks through the public API: one training
 * step (nn_train_step) and inference (nn_predict).
 *   mnist: 784-256-128-10, ReLU, ReLU, softmax + softmax-CE, momentum 0.9
 *   notes: 784-30-10, sigmoid, sigmoid + MSE, SGD (the lecture notes' net)
 * FLOPs per sample from the shapes: inference 2 sum(in*out); a training
 * step 3x that (forward, dW, dX) minus the first layer's dX, which is not
 * computed: 784-256-128-10 -> 0.470 MFLOP inference, 1.007 MFLOP training. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct net_spec {
    const char *name;
    int n_layers;
    int sizes[4];
    nn_act acts[3];
    int mse;                    /* set the MSE loss (default is by act)    */
    nn_opt_kind opt;
    float lr, momentum;
} net_spec;

static const net_spec nets[] = {
    { "784-256-128-10", 3, { 784, 256, 128, 10 },
      { NN_ACT_RELU, NN_ACT_RELU, NN_ACT_SOFTMAX }, 0, NN_OPT_MOMENTUM, 0.01f, 0.9f },
    { "784-30-10", 2, { 784, 30, 10, 0 },
      { NN_ACT_SIGMOID, NN_ACT_SIGMOID, NN_ACT_IDENTITY }, 1, NN_OPT_SGD, 3.0f, 0.0f },
};

typedef struct net_case {
    const net_spec *spec;
    int train, batch, threads;
    nn_isa isa;
} net_case;

static double net_flops_per_sample(const net_spec *s, int train)
{
    double fwd = 0.0;
    int l;
    for (l = 0; l < s->n_layers; l++) fwd += 2.0 * s->sizes[l] * s->sizes[l + 1];
    if (!train) return fwd;
    return 3.0 * fwd - 2.0 * s->sizes[0] * s->sizes[1];
}

static void bm_net(nnb_state *st, void *user)
{
    const net_case *c = (const net_case *)user;
    const net_spec *s = c->spec;
    int in = s->sizes[0], out = s->sizes[s->n_layers], i;
    nn_net *net = NULL;
    nn_ctx *ctx = NULL;
    nn_opt opt;
    float *x, *y, *h, loss = 0.0f;
    nn_status status;
    if (nn_isa_set(c->isa) != NN_OK) {
        nnb_skip(st, "ISA not supported here");
        return;
    }
    nnb_set_threads(c->threads);
    status = nn_net_create(&net, s->n_layers, s->sizes, s->acts);
    if (status == NN_OK) status = nn_net_init(net, NN_INIT_XAVIER, 0.0f, 42);
    if (status == NN_OK && s->mse) status = nn_net_set_loss(net, NN_LOSS_MSE, 0.0f);
    if (status == NN_OK) status = nn_ctx_create(&ctx, net, c->batch);
    if (status != NN_OK) {
        nnb_skip(st, nn_status_str(status));
        if (net) nn_net_free(net);
        return;
    }
    opt = nn_opt_default(s->opt);
    opt.lr = s->lr;
    opt.momentum = s->momentum;
    x = nnb_alloc((size_t)c->batch * in);
    y = nnb_alloc((size_t)c->batch * out);
    h = nnb_alloc((size_t)c->batch * out);
    nnb_fill(x, (size_t)c->batch * in, 0.0f, 1.0f, 5);        /* pixels    */
    memset(y, 0, (size_t)c->batch * out * sizeof(float));
    for (i = 0; i < c->batch; i++) y[(size_t)i * out + i % out] = 1.0f;  /* one-hot */
    nnb_peer_settle();
    if (c->train) {
        status = nn_train_step(net, ctx, c->batch, x, y, &opt, &loss);
        while (status == NN_OK && nnb_keep_running(st))
            status = nn_train_step(net, ctx, c->batch, x, y, &opt, &loss);
    } else {
        status = nn_predict(net, ctx, c->batch, x, h);
        while (status == NN_OK && nnb_keep_running(st))
            status = nn_predict(net, ctx, c->batch, x, h);
    }
    if (status != NN_OK) {
        nnb_skip(st, nn_status_str(status));
    } else {
        nnb_items_processed(st, nnb_iterations(st) * (int64_t)c->batch);
        nnb_flops(st, net_flops_per_sample(s, c->train) * c->batch, c->threads);
        nnb_label(st, nn_isa_name(c->isa));
    }
    nn_isa_set(NN_ISA_AUTO);
    nn_ctx_free(ctx);
    nn_net_free(net);
    nnb_free(x); nnb_free(y); nnb_free(h);
}

static void reg(const net_spec *s, int train, int batch, nn_isa isa, int threads)
{
    net_case *c = (net_case *)malloc(sizeof *c);
    char name[128];
    c->spec = s; c->train = train; c->batch = batch; c->isa = isa; c->threads = threads;
    snprintf(name, sizeof name, "net/%s/%s/b%d/%s/t%d", train ? "train" : "infer",
             s->name, batch, nn_isa_name(isa), threads);
    nnb_register(name, bm_net, c);
}

void nnb_register_net(void)
{
    static const int batches[] = { 1, 32, 128, 1024 };
    nn_isa isas[NN_ISA_COUNT];
    int n_isa = nnb_isas(isas), i, b, t, train;
    size_t k;
    for (k = 0; k < sizeof nets / sizeof nets[0]; k++)
        for (train = 1; train >= 0; train--)
            for (b = 0; b < 4; b++) {
                if (train && batches[b] > 128) continue;  /* inference only */
                if (nnb_cfg.quick && (batches[b] == 1 || k > 0)) continue;
                for (t = 1; t <= 2 && t <= nnb_max_threads(); t++)
                    for (i = 0; i < n_isa; i++) {
                        /* scalar: one thread, for reference */
                        if (isas[i] == NN_ISA_SCALAR && (t > 1 || nnb_cfg.quick) && n_isa > 1)
                            continue;
                        reg(&nets[k], train, batches[b], isas[i], t);
                    }
            }
}
