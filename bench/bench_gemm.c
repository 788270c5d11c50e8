/* bench/bench_gemm.c - SGEMM: square sizes and the shapes of a dense
 * layer's forward pass and gradients, nn.h on every ISA vs the peers. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NNB_ROW_MAJOR = 101, NNB_NO_TRANS = 111, NNB_TRANS = 112 };

typedef struct gemm_case {
    int tA, tB, M, N, K, threads;
    nn_isa isa;                 /* nn.h rows                               */
    const nnb_peer *peer;       /* peer rows (isa unused)                  */
    char shape[96];             /* cache key: shape + threads              */
} gemm_case;

/* One problem's operands, row-major as cblas_sgemm(CblasRowMajor) sees. */
typedef struct gemm_data {
    const gemm_case *c;
    const nnb_peer *peer;       /* NULL: nn.h                              */
    float *A, *B, *C;
    int lda, ldb, ldc;
} gemm_data;

static void gemm_data_init(gemm_data *d, const gemm_case *c)
{
    size_t a_rows = (size_t)(c->tA ? c->K : c->M), b_rows = (size_t)(c->tB ? c->N : c->K);
    d->c = c;
    d->peer = NULL;
    d->lda = c->tA ? c->M : c->K;
    d->ldb = c->tB ? c->K : c->N;
    d->ldc = c->N;
    d->A = nnb_alloc(a_rows * (size_t)d->lda);
    d->B = nnb_alloc(b_rows * (size_t)d->ldb);
    d->C = nnb_alloc((size_t)c->M * (size_t)c->N);
    nnb_fill(d->A, a_rows * (size_t)d->lda, -1.0f, 1.0f, 1);
    nnb_fill(d->B, b_rows * (size_t)d->ldb, -1.0f, 1.0f, 2);
    memset(d->C, 0, (size_t)c->M * (size_t)c->N * sizeof(float));
}

static void gemm_data_free(gemm_data *d)
{
    nnb_free(d->A); nnb_free(d->B); nnb_free(d->C);
}

static void gemm_call(void *arg)
{
    const gemm_data *d = (const gemm_data *)arg;
    const gemm_case *c = d->c;
    if (d->peer)
        d->peer->sgemm(NNB_ROW_MAJOR, c->tA ? NNB_TRANS : NNB_NO_TRANS,
                       c->tB ? NNB_TRANS : NNB_NO_TRANS, c->M, c->N, c->K, 1.0f,
                       d->A, d->lda, d->B, d->ldb, 0.0f, d->C, d->ldc);
    else
        nn_sgemm(c->tA, c->tB, c->M, c->N, c->K, 1.0f, d->A, d->lda, d->B,
                 d->ldb, 0.0f, d->C, d->ldc);
}

/* Time the loop around Google Benchmark's: seconds per call, for ratios. */
static double gemm_loop(nnb_state *st, gemm_data *d)
{
    double t0;
    gemm_call(d);                               /* warm up               */
    t0 = nnb_now();
    while (nnb_keep_running(st)) gemm_call(d);
    return (nnb_now() - t0) / (double)(nnb_iterations(st) ? nnb_iterations(st) : 1);
}

static void peer_key(char *key, size_t size, const gemm_case *c, const nnb_peer *p)
{
    snprintf(key, size, "%s|%s", c->shape, p->name);
}

static void bm_gemm_peer(nnb_state *st, void *user)
{
    const gemm_case *c = (const gemm_case *)user;
    gemm_data d;
    char key[160];
    double sec;
    gemm_data_init(&d, c);
    d.peer = c->peer;
    c->peer->set_threads(c->threads);
    sec = gemm_loop(st, &d);
    nnb_peer_ran(c->peer, c->threads);
    peer_key(key, sizeof key, c, c->peer);
    nnb_cache_put(key, sec);
    nnb_flops(st, 2.0 * c->M * c->N * c->K, c->threads);
    nnb_label(st, c->peer->label);
    gemm_data_free(&d);
}

static void bm_gemm_nn(nnb_state *st, void *user)
{
    const gemm_case *c = (const gemm_case *)user;
    gemm_data d;
    double sec;
    int i;
    if (nn_isa_set(c->isa) != NN_OK) {
        nnb_skip(st, "ISA not supported here");
        return;
    }
    nnb_set_threads(c->threads);
    gemm_data_init(&d, c);
    nnb_peer_settle();
    sec = gemm_loop(st, &d);
    nnb_flops(st, 2.0 * c->M * c->N * c->K, c->threads);
    /* nn.h speed / peer speed on this shape and thread count: > 1 means
     * nn.h is faster. The peer's time comes from its own row (run just
     * before) or, when that row was filtered out, is measured here. */
    for (i = 0; i < nnb_peer_count(); i++) {
        const nnb_peer *p = nnb_peer_get(i);
        char key[160];
        double tp;
        peer_key(key, sizeof key, c, p);
        tp = nnb_cache_get(key);
        if (tp <= 0.0) {
            d.peer = p;
            p->set_threads(c->threads);
            tp = nnb_time_call(gemm_call, &d, 0.1);
            nnb_peer_ran(p, c->threads);
            nnb_cache_put(key, tp);
            d.peer = NULL;
        }
        nnb_counter(st, p->counter, tp / sec, NNB_PLAIN);
    }
    nnb_label(st, nn_isa_name(c->isa));
    nn_isa_set(NN_ISA_AUTO);
    gemm_data_free(&d);
}

/* Register the peers' rows, then nn.h's rows on each ISA, for one shape at
 * each thread count. name: "sgemm/<op>/<shape>". */
static void reg_shape(const char *op, const char *shape, int tA, int tB,
                      int M, int N, int K, int scalar_mflop_cap)
{
    nn_isa isas[NN_ISA_COUNT];
    int n_isa = nnb_isas(isas), t, i;
    for (t = 1; t <= 2 && t <= nnb_max_threads(); t++) {
        gemm_case proto;
        char name[192];
        memset(&proto, 0, sizeof proto);
        proto.tA = tA; proto.tB = tB; proto.M = M; proto.N = N; proto.K = K;
        proto.threads = t;
        snprintf(proto.shape, sizeof proto.shape, "%s/%s/t%d", op, shape, t);
        for (i = 0; i < nnb_peer_count(); i++) {
            gemm_case *c = (gemm_case *)malloc(sizeof *c);
            *c = proto;
            c->peer = nnb_peer_get(i);
            snprintf(name, sizeof name, "sgemm/%s/%s/%s/t%d", op, shape, c->peer->name, t);
            nnb_register(name, bm_gemm_peer, c);
        }
        for (i = 0; i < n_isa; i++) {
            gemm_case *c;
            /* The scalar path is for correctness; skip it where a single
             * call would take seconds. */
            if (isas[i] == NN_ISA_SCALAR && n_isa > 1 &&
                2.0 * M * N * K > (double)scalar_mflop_cap * 1e6)
                continue;
            c = (gemm_case *)malloc(sizeof *c);
            *c = proto;
            c->isa = isas[i];
            snprintf(name, sizeof name, "sgemm/%s/%s/%s/t%d", op, shape, nn_isa_name(c->isa), t);
            nnb_register(name, bm_gemm_nn, c);
        }
    }
}

/* A dense layer in -> out at batch b:
 *   forward  Y  = X W^T   NT  M=b   N=out K=in
 *   input    dX = dY W    NN  M=b   N=in  K=out
 *   weights  dW = dY^T X  TN  M=out N=in  K=b                            */
static void reg_layer(int b, int in, int out, int scalar_mflop_cap)
{
    char shape[64];
    snprintf(shape, sizeof shape, "b%d.%d-%d", b, in, out);
    reg_shape("fwd.NT", shape, 0, 1, b, out, in, scalar_mflop_cap);
    reg_shape("dX.NN", shape, 0, 0, b, in, out, scalar_mflop_cap);
    reg_shape("dW.TN", shape, 1, 0, out, in, b, scalar_mflop_cap);
}

void nnb_register_gemm(void)
{
    static const int squares[] = { 64, 128, 256, 512, 1024, 2048 };
    static const int batches[] = { 1, 32, 128, 512 };
    static const int layers[][2] = { {784, 256}, {256, 128}, {128, 10}, {784, 30}, {1024, 1024} };
    char shape[32];
    size_t i, j;
    if (nnb_cfg.quick) {
        /* `make bench`: two squares and the layers of the MNIST network. */
        reg_shape("square.NN", "256", 0, 0, 256, 256, 256, 100);
        reg_shape("square.NN", "1024", 0, 0, 1024, 1024, 1024, 100);
        reg_layer(128, 784, 256, 100);
        reg_layer(32, 784, 256, 100);
        reg_layer(128, 256, 128, 100);
        return;
    }
    for (i = 0; i < sizeof squares / sizeof squares[0]; i++) {
        snprintf(shape, sizeof shape, "%d", squares[i]);
        reg_shape("square.NN", shape, 0, 0, squares[i], squares[i], squares[i], 2200);
    }
    for (j = 0; j < sizeof layers / sizeof layers[0]; j++)
        for (i = 0; i < sizeof batches / sizeof batches[0]; i++)
            reg_layer(batches[i], layers[j][0], layers[j][1], 2200);
}
