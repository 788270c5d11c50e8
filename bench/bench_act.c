/* bench/bench_act.c - activations (forward and backward), row softmax and
 * losses through the public API, against plain libm loops and the vector
 * peers (glibc libmvec, SLEEF; bench/act_peers.c: exp, tanh, and sigmoid as
 * 1/(1+exp(-x)) on each one's exp) in the same run. Rows are
 * act/<function>/n<n>/<implementation>: nn.h's ISA name, "libm", or the
 * peer's name ("glibc-avx512", "sleef-avx2", ...). n = 4 Ki floats (in L1)
 * and 4 Mi floats (16 MiB, beyond L2). */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"
#include "act_peers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_FWD, K_BWD, K_SOFTMAX_ROWS, K_LOSS, K_LIBM, K_EXP, K_PEER };
enum { LIBM_EXPF, LIBM_TANHF, LIBM_SIGMOID };
#define SOFTMAX_COLS 64     /* row softmax / losses: rows of 64 columns     */

typedef struct act_case {
    int kind;               /* K_*                                          */
    int which;              /* nn_act, nn_loss or LIBM_*                    */
    nn_isa isa;
    nnb_vec_fn peer;   /* K_PEER: the peer's loop                      */
    const char *peer_name;
    size_t n;
} act_case;

/* Plain loops as a C programmer writes them; -O2, no -ffast-math. */
static void libm_loop(int which, size_t n, const float *x, float *y)
{
    size_t i;
    switch (which) {
    case LIBM_EXPF: for (i = 0; i < n; i++) y[i] = expf(x[i]); break;
    case LIBM_TANHF: for (i = 0; i < n; i++) y[i] = tanhf(x[i]); break;
    default: for (i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i])); break;
    }
}

static const char *impl_name(const act_case *c)
{
    return c->kind == K_LIBM ? "libm" : c->kind == K_PEER ? c->peer_name : nn_isa_name(c->isa);
}

static void bm_act(nnb_state *st, void *user)
{
    const act_case *c = (const act_case *)user;
    size_t n = c->n;
    int rows = (int)(n / SOFTMAX_COLS);
    float *x, *y, *dy, *dx, loss = 0.0f;
    double bytes_per_elem = 8.0;
    if (c->kind != K_LIBM && c->kind != K_PEER) {
        if (nn_isa_set(c->isa) != NN_OK) {
            nnb_skip(st, "ISA not supported here");
            return;
        }
    }
    x = nnb_alloc(n); y = nnb_alloc(n); dy = nnb_alloc(n); dx = nnb_alloc(n);
    nnb_fill(x, n, -8.0f, 8.0f, 3);
    nnb_fill(dy, n, -1.0f, 1.0f, 4);
    if (c->kind == K_BWD) nn_act_forward((nn_act)c->which, n, x, y);
    if (c->kind == K_LOSS) {
        /* predictions in (0,1) summing to 1 per row, one-hot targets */
        size_t i;
        nn_softmax(rows, SOFTMAX_COLS, x, y);
        memset(dy, 0, n * sizeof(float));
        for (i = 0; i < (size_t)rows; i++) dy[i * SOFTMAX_COLS + i % SOFTMAX_COLS] = 1.0f;
    }
    switch (c->kind) {
    case K_EXP: {
        nnb_vec_fn f = nnb_exp_fn(c->isa);
        while (nnb_keep_running(st)) f(n, x, y);
        break;
    }
    case K_FWD:
        while (nnb_keep_running(st)) nn_act_forward((nn_act)c->which, n, x, y);
        break;
    case K_BWD:
        bytes_per_elem = 12.0;
        while (nnb_keep_running(st)) nn_act_backward((nn_act)c->which, n, y, dy, dx);
        break;
    case K_SOFTMAX_ROWS:
        while (nnb_keep_running(st)) nn_softmax(rows, SOFTMAX_COLS, x, y);
        break;
    case K_LOSS:
        bytes_per_elem = 12.0;      /* h, y in; gradient out                */
        while (nnb_keep_running(st))
            nn_loss_eval((nn_loss)c->which, rows, SOFTMAX_COLS, y, dy, 1.0f, &loss, dx);
        break;
    case K_PEER:
        while (nnb_keep_running(st)) c->peer(n, x, y);
        break;
    default:
        while (nnb_keep_running(st)) libm_loop(c->which, n, x, y);
        break;
    }
    nnb_items_processed(st, nnb_iterations(st) * (int64_t)n);
    nnb_bytes_processed(st, (int64_t)((double)nnb_iterations(st) * (double)n * bytes_per_elem));
    nnb_label(st, impl_name(c));
    if (c->kind != K_LIBM && c->kind != K_PEER) nn_isa_set(NN_ISA_AUTO);
    nnb_free(x); nnb_free(y); nnb_free(dy); nnb_free(dx);
}

static const char *const act_names[NN_ACT_COUNT] = {
    "identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "softplus", "softmax" };
static const char *const loss_names[NN_LOSS_COUNT] = {
    "mse", "mae", "huber", "bce", "softmax_ce" };
static const char *const libm_names[3] = { "expf", "tanhf", "sigmoid" };

static act_case *new_case(int kind, int which, nn_isa isa, size_t n)
{
    act_case *c = (act_case *)malloc(sizeof *c);
    c->kind = kind; c->which = which; c->isa = isa; c->n = n;
    c->peer = NULL; c->peer_name = NULL;
    return c;
}

static void reg_case(act_case *c, const char *what)
{
    char name[128];
    snprintf(name, sizeof name, "act/%s/n%zu/%s", what, c->n, impl_name(c));
    nnb_register(name, bm_act, c);
}

static void reg(int kind, int which, nn_isa isa, size_t n, const char *what)
{
    reg_case(new_case(kind, which, isa, n), what);
}

/* A peer's exp, tanh and sigmoid, named as nn.h's rows of the same function */
static void reg_peer(const nnb_act_peer *p, size_t n)
{
    static const char *const what[3] = { "exp", "tanh.fwd", "sigmoid.fwd" };
    nnb_vec_fn fn[3];
    int i;
    fn[0] = p->exp; fn[1] = p->tanh; fn[2] = p->sigmoid;
    for (i = 0; i < 3; i++) {
        act_case *c = new_case(K_PEER, i, NN_ISA_AUTO, n);
        c->peer = fn[i]; c->peer_name = p->name;
        reg_case(c, what[i]);
    }
}

void nnb_register_act(void)
{
    static const size_t sizes[] = { 4096, 4u << 20 };
    nn_isa isas[NN_ISA_COUNT];
    const nnb_act_peer *peers[4];
    int n_isa = nnb_isas(isas), n_peer = nnb_act_peers(peers), i, a;
    size_t s;
    char what[64];
    for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        if (nnb_cfg.quick && n > 4096) continue;
        for (i = 0; i < 3; i++) reg(K_LIBM, i, NN_ISA_AUTO, n, libm_names[i]);
        for (i = 0; i < n_peer; i++) reg_peer(peers[i], n);
        for (i = 0; i < n_isa; i++) {
            reg(K_EXP, 0, isas[i], n, "exp");
            for (a = 0; a < NN_ACT_COUNT; a++) {
                if (nnb_cfg.quick && a != NN_ACT_SIGMOID && a != NN_ACT_TANH &&
                    a != NN_ACT_RELU)
                    continue;
                snprintf(what, sizeof what, "%s.fwd", act_names[a]);
                reg(K_FWD, a, isas[i], n, what);
                snprintf(what, sizeof what, "%s.bwd", act_names[a]);
                reg(K_BWD, a, isas[i], n, what);
            }
            snprintf(what, sizeof what, "softmax_rows.c%d", SOFTMAX_COLS);
            reg(K_SOFTMAX_ROWS, 0, isas[i], n, what);
            for (a = 0; a < NN_LOSS_COUNT; a++) {
                if (nnb_cfg.quick && a != NN_LOSS_SOFTMAX_CE) continue;
                snprintf(what, sizeof what, "loss.%s.c%d", loss_names[a], SOFTMAX_COLS);
                reg(K_LOSS, a, isas[i], n, what);
            }
        }
    }
}
