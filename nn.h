/* nn.h - dense neural networks in one C header, fast on the CPU.           v0.1.0
 *
 * Hand-vectorized SGEMM, activations and their derivatives (AVX-512, AVX2+FMA,
 * NEON, portable scalar; chosen at run time), losses, backpropagation,
 * optimizers and a training loop, in one file with no dependencies beyond the
 * C standard library, the compiler's intrinsics headers and, optionally, OpenMP.
 *
 * QUICK START
 *   Do this in *one* C or C++ file to create the implementation:
 *       #define NN_IMPLEMENTATION
 *       #include "nn.h"
 *   Other files just #include "nn.h".
 *
 *       int sizes[] = {2, 4, 1};
 *       nn_act acts[] = {NN_ACT_TANH, NN_ACT_SIGMOID};
 *       nn_net *net; nn_ctx *ctx;
 *       nn_net_create(&net, 2, sizes, acts);            // 2 -> 4 -> 1, loss: BCE
 *       nn_net_init(net, NN_INIT_XAVIER, 0.0f, 42);      // seed 42
 *       nn_ctx_create(&ctx, net, 4);                     // workspace for batch <= 4
 *       nn_opt opt = nn_opt_default(NN_OPT_ADAM);
 *       for (int i = 0; i < 2000; i++)
 *           nn_train_step(net, ctx, 4, x, y, &opt, &loss);
 *       nn_predict(net, ctx, 4, x, out);                 // net is read-only here
 *       nn_ctx_free(ctx); nn_net_free(net);
 *   Build: cc -O2 app.c -lm   (no -march needed: AVX-512/AVX2 kernels are
 *   compiled with function-level target attributes and picked at run time).
 *
 * CONFIGURATION (define before including)
 *   NN_IMPLEMENTATION   compile the implementation in this translation unit
 *   NN_STATIC           make every function static (private copy per file)
 *   NN_MALLOC(size)     64-byte aligned allocation hook (default: C11/posix)
 *   NN_FREE(ptr)        its matching free; define both or neither
 *   NN_ASSERT(x)        internal invariants (default: assert.h; never used
 *                       for user input, which gets an nn_status instead)
 *   NN_NO_SIMD          compile the scalar kernels only
 *   NN_NO_THREADS       ignore OpenMP even when compiled with -fopenmp
 *   Environment NN_ISA=scalar|avx2|avx512|neon forces a kernel table.
 *
 * CONVENTIONS
 *   Row-major, batch-major: a batch is B x features; a dense layer's weights
 *   are out x in (PyTorch's nn.Linear layout). Functions that can fail return
 *   nn_status; bad input never crashes or aborts. Same seed + same thread
 *   count give bit-identical results. Never build with -ffast-math.
 *
 * CONTENTS
 *   1. Public API ............ status, ISA dispatch, RNG, GEMM, activations,
 *                              losses, networks, training, data, model files
 *   2. Implementation (NN_IMPLEMENTATION)
 *      2.1 platform, allocation, errors, RNG
 *      2.2 CPU detection and dispatch
 *      2.3 scalar kernels
 *      2.4 AVX2 kernels
 *      2.5 AVX-512 kernels
 *      2.6 NEON kernels
 *      2.7 GEMM driver (blocking, packing, threads, fused epilogue)
 *      2.8 activations and losses
 *      2.9 network, backprop, optimizers, training loop
 *      2.10 data utilities
 *      2.11 model files
 *
 * LICENSE
 *   MIT License. Copyright (c) 2026 the nn.h authors. Permission is hereby
 *   granted, free of charge, to any person obtaining a copy of this software
 *   to deal in it without restriction, including the rights to use, copy,
 *   modify, merge, publish, distribute, sublicense and/or sell copies, subject
 *   to including this notice. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT
 *   WARRANTY OF ANY KIND.
 */
#ifndef NN_H_INCLUDED
#define NN_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#define NN_VERSION_STRING "0.1.0"

#ifdef NN_STATIC
#define NNDEF static
#else
#define NNDEF extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* 1. PUBLIC API                                                            */
/* ======================================================================== */

/* ---- status ------------------------------------------------------------ */
typedef enum nn_status {
    NN_OK = 0,
    NN_ERR_ARG,         /* NULL pointer, zero/negative size, bad enum value  */
    NN_ERR_SHAPE,       /* sizes that do not fit together                    */
    NN_ERR_NOMEM,       /* allocation failed                                 */
    NN_ERR_IO,          /* file could not be opened, read or written         */
    NN_ERR_FORMAT,      /* file is not what it claims (magic, fields, CRC)   */
    NN_ERR_NAN,         /* NaN or infinity in an input or in a result        */
    NN_ERR_UNSUPPORTED, /* ISA not compiled in or not supported by this CPU  */
    NN_ERR_STATE        /* call out of order (e.g. backward before forward)  */
} nn_status;

NNDEF const char *nn_status_str(nn_status s);   /* one-line explanation     */

/* ---- ISA dispatch ------------------------------------------------------- */
typedef enum nn_isa {
    NN_ISA_AUTO = 0, NN_ISA_SCALAR, NN_ISA_AVX2, NN_ISA_AVX512, NN_ISA_NEON,
    NN_ISA_COUNT
} nn_isa;

NNDEF nn_status   nn_isa_set(nn_isa isa);       /* AUTO = best supported    */
NNDEF nn_isa      nn_isa_get(void);             /* the table in use         */
NNDEF const char *nn_isa_name(nn_isa isa);      /* "scalar", "avx2", ...    */
NNDEF int         nn_isa_supported(nn_isa isa); /* compiled in and CPU has it */

/* What the CPU reports: features (and why), caches. Filled once. */
typedef struct nn_cpu_info {
    char vendor[16], brand[64];
    int  sse2, avx, fma, avx2, avx512f, avx512bw, avx512dq, avx512vl;
    int  os_ymm, os_zmm;          /* xgetbv: OS saves YMM / ZMM state      */
    int  neon;
    long l1d, l2, l3;             /* bytes per core (l3: total); 0 unknown */
    int  logical_cpus;
} nn_cpu_info;
NNDEF const nn_cpu_info *nn_cpu_info_get(void);

/* The kernel table of one ISA. Fields are internal and may change between
 * versions; name, mr, nr and the block sizes are safe to read. */
typedef struct nn_kernels nn_kernels;
NNDEF const nn_kernels *nn_kernels_for(nn_isa isa); /* NULL if unsupported */

/* ---- random numbers (PCG32) --------------------------------------------- */
typedef struct nn_rng { uint64_t state, inc; } nn_rng;
NNDEF void     nn_rng_seed(nn_rng *r, uint64_t seed, uint64_t stream);
NNDEF uint32_t nn_rng_u32(nn_rng *r);
NNDEF uint32_t nn_rng_below(nn_rng *r, uint32_t n);   /* unbiased [0, n)   */
NNDEF float    nn_rng_uniform(nn_rng *r);             /* [0, 1)            */
NNDEF float    nn_rng_normal(nn_rng *r);              /* N(0, 1)           */

/* ---- GEMM --------------------------------------------------------------- */
/* C = alpha * op(A) * op(B) + beta * C, exactly cblas_sgemm(CblasRowMajor,..)
 * with op(X) = X or X^T (trans != 0). M x N result, K inner. beta == 0
 * ignores whatever C held (NaN included). Invalid arguments leave C alone. */
NNDEF void nn_sgemm(int transA, int transB, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb,
                    float beta, float *C, int ldc);

/* ---- activations -------------------------------------------------------- */
typedef enum nn_act {
    NN_ACT_IDENTITY = 0, NN_ACT_STEP, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU,
    NN_ACT_LEAKY_RELU, NN_ACT_SOFTPLUS, NN_ACT_SOFTMAX,
    NN_ACT_COUNT
} nn_act;
#define NN_LEAKY_RELU_SLOPE 0.01f

/* Fused GEMM epilogue: after C = alpha*op(A)op(B) + beta*C, add bias[j] to
 * every row, optionally save that pre-activation Z to pre (M x N, ldpre), then
 * apply act (softmax: row-wise over the N columns). */
typedef struct nn_epilogue {
    const float *bias;  /* length N, or NULL                                */
    nn_act act;         /* NN_ACT_IDENTITY for none                         */
    float *pre;         /* or NULL                                          */
    int ldpre;
} nn_epilogue;
NNDEF nn_status nn_sgemm_ex(int transA, int transB, int M, int N, int K,
                            float alpha, const float *A, int lda,
                            const float *B, int ldb, float beta, float *C,
                            int ldc, const nn_epilogue *ep);

NNDEF const char *nn_act_name(nn_act a);
/* y = f(x) element-wise (softmax: the n values are one row). y may be x. */
NNDEF void nn_act_forward(nn_act a, size_t n, const float *x, float *y);
/* dx = f'(x) * dy, f' computed from the saved output y = f(x) (softmax: the
 * Jacobian-vector product of one row). dx may alias dy. */
NNDEF void nn_act_backward(nn_act a, size_t n, const float *y, const float *dy,
                           float *dx);
/* Row-wise, max-subtracted softmax / log-softmax of a rows x cols matrix. */
NNDEF void nn_softmax(int rows, int cols, const float *x, float *y);
NNDEF void nn_log_softmax(int rows, int cols, const float *x, float *y);

/* ---- losses ------------------------------------------------------------- */
typedef enum nn_loss {
    NN_LOSS_MSE = 0,    /* 1/B sum_b 1/2 sum_j (h - y)^2  (lecture notes)  */
    NN_LOSS_MAE,        /* 1/B sum_b sum_j |h - y|                          */
    NN_LOSS_HUBER,      /* 1/B sum_b sum_j huber_delta(h - y)               */
    NN_LOSS_BCE,        /* -1/B sum y log h + (1-y) log(1-h), h in (0,1)    */
    NN_LOSS_SOFTMAX_CE, /* -1/B sum y log p, p = softmax output             */
    NN_LOSS_COUNT
} nn_loss;

NNDEF const char *nn_loss_name(nn_loss l);
/* Loss of predictions h against targets y (rows x cols), averaged over rows;
 * grad (may be NULL) receives dL/dh. delta is Huber's threshold (others
 * ignore it). Returns NN_ERR_NAN if the loss is not finite. */
NNDEF nn_status nn_loss_eval(nn_loss l, int rows, int cols, const float *h,
                             const float *y, float delta, float *loss,
                             float *grad);
/* Output-layer delta dL/dz for activation act followed by loss l, fused where
 * the math simplifies (sigmoid+BCE: (h-y)/B, softmax+CE: (p-y)/B) so that
 * saturated units still learn; otherwise dL/dh times f'(from h). */
NNDEF nn_status nn_output_delta(nn_act act, nn_loss l, int rows, int cols,
                                const float *h, const float *y, float delta,
                                float *dz);

/* ---- networks ----------------------------------------------------------- */
typedef struct nn_net nn_net;   /* shapes, activations, parameters, grads  */
typedef struct nn_ctx nn_ctx;   /* workspace for one thread, max batch      */

typedef enum nn_init {
    NN_INIT_UNIFORM = 0, /* W, b ~ U(-a, a), a = scale (0: 0.1)              */
    NN_INIT_GAUSSIAN,    /* W, b ~ N(0, s^2), s = scale (0: 0.1)             */
    NN_INIT_XAVIER,      /* W ~ U(+-sqrt(6/(in+out))), b = 0                 */
    NN_INIT_HE           /* W ~ N(0, 2/in), b = 0                            */
} nn_init;

/* A dense network of n_layers layers: sizes[0] inputs, layer l maps
 * sizes[l] -> sizes[l+1] with activation acts[l]. The loss defaults to
 * softmax-CE after a softmax output, BCE after sigmoid, MSE otherwise. */
NNDEF nn_status nn_net_create(nn_net **out, int n_layers, const int *sizes,
                              const nn_act *acts);
NNDEF void      nn_net_free(nn_net *net);
NNDEF nn_status nn_net_clone(nn_net **out, const nn_net *src);
NNDEF nn_status nn_net_init(nn_net *net, nn_init kind, float scale,
                            uint64_t seed);
NNDEF nn_status nn_net_set_loss(nn_net *net, nn_loss loss, float huber_delta);
/* Inverted dropout on the output of hidden layer l (0 <= rate < 1). */
NNDEF nn_status nn_net_set_dropout(nn_net *net, int layer, float rate);

NNDEF int       nn_net_layers(const nn_net *net);
NNDEF int       nn_net_size(const nn_net *net, int i);   /* sizes[i]        */
NNDEF nn_act    nn_net_act(const nn_net *net, int layer);
NNDEF nn_loss   nn_net_loss(const nn_net *net);
NNDEF uint64_t  nn_net_seed(const nn_net *net);          /* of nn_net_init  */
/* Flat buffers, layer by layer: W (out x in, row-major), then b (out). */
NNDEF float    *nn_net_params(nn_net *net, size_t *count);
NNDEF float    *nn_net_grads(nn_net *net, size_t *count);
NNDEF float    *nn_net_weights(nn_net *net, int layer);  /* into params     */
NNDEF float    *nn_net_bias(nn_net *net, int layer);
NNDEF const float *nn_net_params_const(const nn_net *net, size_t *count);

NNDEF nn_status nn_ctx_create(nn_ctx **out, const nn_net *net, int max_batch);
NNDEF void      nn_ctx_free(nn_ctx *ctx);
NNDEF void      nn_ctx_seed(nn_ctx *ctx, uint64_t seed);  /* dropout stream */

/* Inference over n rows (any n; processed max_batch at a time). The net is
 * only read: many threads may predict with one net and a ctx each. */
NNDEF nn_status nn_predict(const nn_net *net, nn_ctx *ctx, int n,
                           const float *x, float *y);

/* ---- training ----------------------------------------------------------- */
typedef enum nn_opt_kind {
    NN_OPT_SGD = 0, NN_OPT_MOMENTUM, NN_OPT_NESTEROV, NN_OPT_ADAM
} nn_opt_kind;

/* SGD:      w -= lr g
 * momentum: v = mu v - lr g;  w += v
 * Nesterov: v = mu v - lr g;  w += mu v - lr g   (look-ahead form)
 * Adam:     m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; t counts from 1;
 *           w -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 * Regularization on weights (not biases): g += l2 w + l1 sign(w). */
typedef struct nn_opt {
    nn_opt_kind kind;
    float lr, momentum, beta1, beta2, eps, l1, l2;
} nn_opt;
NNDEF nn_opt nn_opt_default(nn_opt_kind kind);

/* Forward pass for training (train != 0: dropout on, activations kept for
 * backward; x must stay valid until nn_backward). */
NNDEF nn_status nn_forward(nn_net *net, nn_ctx *ctx, int batch,
                           const float *x, int train);
NNDEF const float *nn_ctx_output(const nn_ctx *ctx);     /* batch x out    */
/* Gradients of the batch-mean loss against targets y (batch x out) into the
 * net's flat gradient buffer (overwritten). loss may be NULL. */
NNDEF nn_status nn_backward(nn_net *net, nn_ctx *ctx, const float *y,
                            float *loss);
/* One optimizer step from the gradient buffer (callers may reduce the
 * gradients, e.g. MPI_Allreduce, between backward and update). */
NNDEF nn_status nn_update(nn_net *net, const nn_opt *opt);
NNDEF nn_status nn_train_step(nn_net *net, nn_ctx *ctx, int batch,
                              const float *x, const float *y,
                              const nn_opt *opt, float *loss);
NNDEF long      nn_net_step_count(const nn_net *net);
/* Mean loss and accuracy (argmax; one output: threshold 0.5) over n rows. */
NNDEF nn_status nn_evaluate(const nn_net *net, nn_ctx *ctx, int n,
                            const float *x, const float *y, float *loss,
                            float *accuracy);

typedef enum nn_sched_kind {
    NN_SCHED_CONSTANT = 0,
    NN_SCHED_STEP,      /* lr * gamma^floor(epoch / step_epochs)            */
    NN_SCHED_EXP,       /* lr * gamma^epoch                                 */
    NN_SCHED_COSINE     /* min + (lr-min)(1 + cos(pi epoch/total))/2        */
} nn_sched_kind;
typedef struct nn_sched {
    nn_sched_kind kind; int step_epochs; float gamma; float min_lr;
    int total_epochs;   /* cosine; 0: the fit's epochs                     */
} nn_sched;
NNDEF float nn_sched_lr(const nn_sched *s, float base_lr, int epoch);

typedef struct nn_epoch_report {
    int epoch;                     /* 0-based                               */
    float lr, train_loss, train_acc;
    float val_loss, val_acc;       /* NaN when there is no validation set   */
    double seconds;                /* wall time of this epoch's training    */
    long samples;                  /* samples trained this epoch            */
    int best;                      /* this epoch improved the val loss      */
} nn_epoch_report;

typedef struct nn_fit_config {
    int epochs, batch_size;
    nn_opt opt;
    nn_sched sched;
    uint64_t seed;                 /* shuffling and dropout                 */
    int shuffle;                   /* default 1                             */
    const float *val_x, *val_y;    /* optional validation set               */
    int val_n;
    int patience;                  /* early stopping: epochs without a      */
    float min_delta;               /* val-loss gain > min_delta; 0 = off    */
    /* called after every epoch; return non-zero to stop training */
    int (*on_epoch)(const nn_epoch_report *r, void *user);
    void *user;
} nn_fit_config;
NNDEF nn_fit_config nn_fit_defaults(void);

typedef struct nn_fit_result {
    int epochs_run, best_epoch, stopped_early;
    float best_val_loss, final_train_loss;
} nn_fit_result;
/* Mini-batch training on n rows; with a validation set and patience > 0,
 * stops early and restores the best weights. A non-finite loss returns
 * NN_ERR_NAN with the weights of the last good epoch restored. */
NNDEF nn_status nn_fit(nn_net *net, const nn_fit_config *cfg, int n,
                       const float *x, const float *y, nn_fit_result *res);

/* ---- perceptron --------------------------------------------------------- */
/* The classic rule on targets t in {0,1}: o = step(w.x + b);
 * w += lr (t - o) x; b += lr (t - o); until an epoch has no error
 * (*converged = 1) or max_epochs pass (*converged = 0). */
NNDEF nn_status nn_perceptron_train(int n, int dims, const float *x,
                                    const float *t, float lr, int max_epochs,
                                    float *w, float *b, int *epochs,
                                    int *converged);
NNDEF float nn_perceptron_predict(int dims, const float *w, float b,
                                  const float *x);

/* ---- data utilities ----------------------------------------------------- */

/* ---- model files -------------------------------------------------------- */

#ifdef __cplusplus
}
#endif
#endif /* NN_H_INCLUDED */

/* ======================================================================== */
/* 2. IMPLEMENTATION                                                        */
/* ======================================================================== */
#ifdef NN_IMPLEMENTATION
#ifndef NN_IMPLEMENTATION_DONE
#define NN_IMPLEMENTATION_DONE

#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <float.h>
#include <stdio.h>
#include <time.h>

#ifndef NN_ASSERT
#include <assert.h>
#define NN_ASSERT(x) assert(x)
#endif

#if defined(_OPENMP) && !defined(NN_NO_THREADS)
#include <omp.h>
#define NN__OMP 1
#else
#define NN__OMP 0
#endif

#if !defined(NN_NO_SIMD) && (defined(__x86_64__) || defined(_M_X64) || \
    defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define NN__X86 1
#include <immintrin.h>
#include <cpuid.h>
#else
#define NN__X86 0
#endif
#if !defined(NN_NO_SIMD) && (defined(__aarch64__) || defined(_M_ARM64))
#define NN__NEON 1
#include <arm_neon.h>
#else
#define NN__NEON 0
#endif

#ifdef NN_STATIC
#define NNAPI static
#else
#define NNAPI
#endif
#define NN__INTERNAL static

#if defined(__GNUC__) || defined(__clang__)
#define NN__RESTRICT __restrict__
#define NN__UNUSED __attribute__((unused))
#else
#define NN__RESTRICT
#define NN__UNUSED
#endif

/* ======================================================================== */
/* 2.1 platform, allocation, errors, RNG                                    */
/* ======================================================================== */

#if defined(NN_MALLOC) != defined(NN_FREE)
#error "nn.h: define both NN_MALLOC and NN_FREE, or neither"
#endif
#ifndef NN_MALLOC
/* 64-byte aligned; over-allocate and keep the original pointer just before
 * the block (portable C99, no posix_memalign needed). */
NN__INTERNAL void *nn__malloc(size_t size)
{
    unsigned char *raw, *p;
    if (size > (size_t)-1 - 64 - sizeof(void *)) return NULL;
    raw = (unsigned char *)malloc(size + 64 + sizeof(void *));
    if (!raw) return NULL;
    p = raw + sizeof(void *);
    p += (64 - ((uintptr_t)p & 63)) & 63;
    memcpy(p - sizeof(void *), &raw, sizeof(void *));
    return p;
}
NN__INTERNAL void nn__free(void *p)
{
    void *raw;
    if (!p) return;
    memcpy(&raw, (unsigned char *)p - sizeof(void *), sizeof(void *));
    free(raw);
}
#define NN_MALLOC(sz) nn__malloc(sz)
#define NN_FREE(p) nn__free(p)
#endif

/* Aligned float array of n, or NULL on overflow/failure. */
NN__INTERNAL float *nn__alloc_floats(size_t n)
{
    if (n > ((size_t)-1) / sizeof(float) - 64) return NULL;
    return (float *)NN_MALLOC(n ? n * sizeof(float) : 64);
}

NNAPI const char *nn_status_str(nn_status s)
{
    switch (s) {
    case NN_OK:              return "ok";
    case NN_ERR_ARG:         return "invalid argument (NULL pointer, bad size or enum value)";
    case NN_ERR_SHAPE:       return "shapes do not match";
    case NN_ERR_NOMEM:       return "out of memory";
    case NN_ERR_IO:          return "file could not be opened, read or written";
    case NN_ERR_FORMAT:      return "malformed or corrupted file";
    case NN_ERR_NAN:         return "NaN or infinity in input or result";
    case NN_ERR_UNSUPPORTED: return "instruction set not compiled in or not supported by this CPU";
    case NN_ERR_STATE:       return "call out of order";
    }
    return "unknown status";
}

/* All finite? (NaN and +-inf fail.) */
NN__INTERNAL int nn__all_finite(size_t n, const float *x)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!(x[i] - x[i] == 0.0f)) return 0;
    return 1;
}

/* PCG32 (O'Neill 2014): small state, good statistics, reproducible. */
NNAPI void nn_rng_seed(nn_rng *r, uint64_t seed, uint64_t stream)
{
    r->state = 0u;
    r->inc = (stream << 1u) | 1u;
    (void)nn_rng_u32(r);
    r->state += seed;
    (void)nn_rng_u32(r);
}

NNAPI uint32_t nn_rng_u32(nn_rng *r)
{
    uint64_t old = r->state;
    uint32_t xorshifted, rot;
    r->state = old * 6364136223846793005ULL + r->inc;
    xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((32u - rot) & 31u));
}

NNAPI uint32_t nn_rng_below(nn_rng *r, uint32_t n)
{
    uint32_t threshold, x;
    if (n == 0) return 0;
    threshold = (uint32_t)(0u - n) % n;   /* reject the biased low range */
    do x = nn_rng_u32(r); while (x < threshold);
    return x % n;
}

NNAPI float nn_rng_uniform(nn_rng *r)
{
    return (float)(nn_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

NNAPI float nn_rng_normal(nn_rng *r)
{
    /* Box-Muller in double; u1 in (0,1] so log is finite. */
    double u1 = ((double)(nn_rng_u32(r) >> 8) + 1.0) / 16777216.0;
    double u2 = (double)(nn_rng_u32(r) >> 8) / 16777216.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* ======================================================================== */
/* 2.2 CPU detection and dispatch                                           */
/* ======================================================================== */

typedef void (*nn__act_fwd_fn)(size_t n, const float *x, float *y);
typedef void (*nn__act_bwd_fn)(size_t n, const float *y, const float *dy,
                               float *dx);
typedef void (*nn__rows_fn)(int rows, int cols, const float *x, float *y);

/* One table per ISA. Every entry starts as the scalar kernel; each ISA
 * section overrides what it implements (nn__fill_* functions), so a new
 * kernel is one function plus one line. */
struct nn_kernels {
    nn_isa isa;
    const char *name;
    /* -- GEMM (section 2.7 owns these) -- */
    int mr, nr;                 /* register tile of the micro-kernel       */
    int mc, kc, nc;             /* cache blocking derived at init          */
    /* -- element-wise (section 2.8 owns these) -- */
    nn__act_fwd_fn act_fwd[NN_ACT_COUNT];
    nn__act_bwd_fn act_bwd[NN_ACT_COUNT];
    nn__rows_fn softmax_rows, log_softmax_rows;
    nn__act_fwd_fn exp, log;    /* y = e^x, y = ln x: vector math for tests */
};

NN__INTERNAL nn_cpu_info nn__cpu;
NN__INTERNAL nn_kernels nn__tables[NN_ISA_COUNT];
NN__INTERNAL int nn__table_ok[NN_ISA_COUNT];
NN__INTERNAL const nn_kernels *nn__active;
NN__INTERNAL int nn__init_state; /* 0 none, 1 running, 2 done */

NN__INTERNAL void nn__fill_scalar(nn_kernels *k);
NN__INTERNAL void nn__gemm_fill(nn_kernels *k);
#if NN__X86
NN__INTERNAL void nn__fill_avx2(nn_kernels *k);
NN__INTERNAL void nn__fill_avx512(nn_kernels *k);
#endif
#if NN__NEON
NN__INTERNAL void nn__fill_neon(nn_kernels *k);
#endif

#if NN__X86
NN__INTERNAL void nn__cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0;
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
NN__INTERNAL uint64_t nn__xgetbv0(void)
{
    unsigned lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
/* Deterministic cache parameters: leaf 4 (Intel) or 0x8000001D (AMD). */
NN__INTERNAL void nn__x86_caches(nn_cpu_info *c, unsigned max_ext)
{
    unsigned leaf = 4, r[4], i;
    nn__cpuid(0, 0, r);
    if (memcmp(c->vendor, "AuthenticAMD", 12) == 0 && max_ext >= 0x8000001Du)
        leaf = 0x8000001Du;
    else if (r[0] < 4)
        return;
    for (i = 0; i < 16; i++) {
        unsigned type, level, ways, parts, line, sets;
        long size;
        nn__cpuid(leaf, i, r);
        type = r[0] & 31u;
        if (type == 0) break;
        if (type == 2) continue;                /* instruction cache */
        level = (r[0] >> 5) & 7u;
        ways = ((r[1] >> 22) & 1023u) + 1;
        parts = ((r[1] >> 12) & 1023u) + 1;
        line = (r[1] & 4095u) + 1;
        sets = r[2] + 1;
        size = (long)ways * parts * line * sets;
        if (level == 1) c->l1d = size;
        else if (level == 2) c->l2 = size;
        else if (level == 3) c->l3 = size;
    }
}
#endif

#if defined(__linux__) && NN__NEON
NN__INTERNAL long nn__sysfs_cache(int index)
{
    char path[96], buf[32];
    long v = 0;
    FILE *f;
    sprintf(path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
    f = fopen(path, "r");
    if (!f) return 0;
    if (fgets(buf, sizeof buf, f)) {
        char *end;
        v = strtol(buf, &end, 10);
        if (*end == 'K') v *= 1024;
        else if (*end == 'M') v *= 1024 * 1024;
    }
    fclose(f);
    return v;
}
#endif

NN__INTERNAL void nn__detect_cpu(nn_cpu_info *c)
{
    memset(c, 0, sizeof *c);
#if NN__X86
    {
        unsigned r[4], max_leaf, max_ext, i;
        uint64_t xcr0 = 0;
        nn__cpuid(0, 0, r);
        max_leaf = r[0];
        memcpy(c->vendor, &r[1], 4);
        memcpy(c->vendor + 4, &r[3], 4);
        memcpy(c->vendor + 8, &r[2], 4);
        nn__cpuid(0x80000000u, 0, r);
        max_ext = r[0];
        if (max_ext >= 0x80000004u) {
            for (i = 0; i < 3; i++) {
                nn__cpuid(0x80000002u + i, 0, r);
                memcpy(c->brand + 16 * i, r, 16);
            }
            c->brand[48] = 0;
        }
        nn__cpuid(1, 0, r);
        c->sse2 = (r[3] >> 26) & 1;
        c->fma = (r[2] >> 12) & 1;
        c->avx = (r[2] >> 28) & 1;
        if ((r[2] >> 27) & 1) {                 /* OSXSAVE: xgetbv usable */
            xcr0 = nn__xgetbv0();
            c->os_ymm = (xcr0 & 6) == 6;        /* XMM | YMM              */
            c->os_zmm = (xcr0 & 0xe6) == 0xe6;  /* + opmask, ZMM_Hi256/Hi16 */
        }
        if (max_leaf >= 7) {
            nn__cpuid(7, 0, r);
            c->avx2 = (r[1] >> 5) & 1;
            c->avx512f = (r[1] >> 16) & 1;
            c->avx512dq = (r[1] >> 17) & 1;
            c->avx512bw = (r[1] >> 30) & 1;
            c->avx512vl = (r[1] >> 31) & 1;
        }
        nn__x86_caches(c, max_ext);
    }
#endif
#if NN__NEON
    c->neon = 1;                                /* baseline on aarch64   */
    memcpy(c->vendor, "arm", 4);
#if defined(__linux__)
    c->l1d = nn__sysfs_cache(0);
    c->l2 = nn__sysfs_cache(2);
    c->l3 = nn__sysfs_cache(3);
#endif
#endif
    if (c->l1d <= 0) c->l1d = 32 * 1024;        /* conservative defaults */
    if (c->l2 <= 0) c->l2 = 512 * 1024;
    if (c->l3 <= 0) c->l3 = 0;
    {
        /* Cross-compiled programs on emulators may see odd values. */
        char *e = getenv("NN_CACHE_L2");
        if (e && atol(e) > 0) c->l2 = atol(e);
        e = getenv("NN_CACHE_L1");
        if (e && atol(e) > 0) c->l1d = atol(e);
    }
#if NN__OMP
    c->logical_cpus = omp_get_num_procs();
#else
    c->logical_cpus = 1;
#endif
}

NN__INTERNAL int nn__cpu_has(nn_isa isa)
{
    const nn_cpu_info *c = &nn__cpu;
    switch (isa) {
    case NN_ISA_SCALAR: return 1;
#if NN__X86
    case NN_ISA_AVX2: return c->avx && c->avx2 && c->fma && c->os_ymm;
    case NN_ISA_AVX512:
        return c->avx2 && c->fma && c->os_ymm && c->avx512f && c->avx512bw &&
               c->avx512dq && c->avx512vl && c->os_zmm;
#endif
#if NN__NEON
    case NN_ISA_NEON: return c->neon;
#endif
    default: return 0;
    }
}

NN__INTERNAL nn_isa nn__isa_from_env(void)
{
    const char *e = getenv("NN_ISA");
    int i;
    if (!e || !*e) return NN_ISA_AUTO;
    for (i = NN_ISA_SCALAR; i < NN_ISA_COUNT; i++)
        if (strcmp(e, nn_isa_name((nn_isa)i)) == 0) return (nn_isa)i;
    return NN_ISA_AUTO;
}

NN__INTERNAL nn_isa nn__best_isa(void)
{
    int i;
    for (i = NN_ISA_COUNT - 1; i > NN_ISA_SCALAR; i--)
        if (nn__table_ok[i]) return (nn_isa)i;
    return NN_ISA_SCALAR;
}

NN__INTERNAL void nn__build_tables(void)
{
    int i;
    nn_isa want;
    nn__detect_cpu(&nn__cpu);
    for (i = NN_ISA_SCALAR; i < NN_ISA_COUNT; i++) {
        nn_kernels *k = &nn__tables[i];
        nn__fill_scalar(k);
        k->isa = (nn_isa)i;
        k->name = nn_isa_name((nn_isa)i);
        nn__table_ok[i] = nn__cpu_has((nn_isa)i);
        if (!nn__table_ok[i]) continue;
#if NN__X86
        if (i == NN_ISA_AVX2) nn__fill_avx2(k);
        if (i == NN_ISA_AVX512) nn__fill_avx512(k);
#endif
#if NN__NEON
        if (i == NN_ISA_NEON) nn__fill_neon(k);
#endif
        nn__gemm_fill(k);                       /* block sizes from caches */
    }
    want = nn__isa_from_env();
    if (want == NN_ISA_AUTO || !nn__table_ok[want]) want = nn__best_isa();
    nn__active = &nn__tables[want];
}

/* Thread-safe one-time init: the first caller builds, others wait. */
NN__INTERNAL void nn__init(void)
{
#if defined(__GNUC__) || defined(__clang__)
    int expected = 0;
    if (__atomic_load_n(&nn__init_state, __ATOMIC_ACQUIRE) == 2) return;
    if (__atomic_compare_exchange_n(&nn__init_state, &expected, 1, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        nn__build_tables();
        __atomic_store_n(&nn__init_state, 2, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&nn__init_state, __ATOMIC_ACQUIRE) != 2) { }
#else
    if (nn__init_state == 2) return;   /* other compilers: init before threads */
    nn__build_tables();
    nn__init_state = 2;
#endif
}

NN__INTERNAL const nn_kernels *nn__k(void)
{
    nn__init();
    return nn__active;
}

NNAPI const char *nn_isa_name(nn_isa isa)
{
    switch (isa) {
    case NN_ISA_AUTO: return "auto";
    case NN_ISA_SCALAR: return "scalar";
    case NN_ISA_AVX2: return "avx2";
    case NN_ISA_AVX512: return "avx512";
    case NN_ISA_NEON: return "neon";
    default: return "unknown";
    }
}

NNAPI int nn_isa_supported(nn_isa isa)
{
    nn__init();
    if (isa == NN_ISA_AUTO) return 1;
    if ((int)isa <= 0 || (int)isa >= NN_ISA_COUNT) return 0;
    return nn__table_ok[isa];
}

NNAPI nn_status nn_isa_set(nn_isa isa)
{
    nn__init();
    if ((int)isa < 0 || (int)isa >= NN_ISA_COUNT) return NN_ERR_ARG;
    if (isa == NN_ISA_AUTO) isa = nn__best_isa();
    if (!nn__table_ok[isa]) return NN_ERR_UNSUPPORTED;
#if defined(__GNUC__) || defined(__clang__)
    __atomic_store_n(&nn__active, &nn__tables[isa], __ATOMIC_RELEASE);
#else
    nn__active = &nn__tables[isa];
#endif
    return NN_OK;
}

NNAPI nn_isa nn_isa_get(void) { return nn__k()->isa; }

NNAPI const nn_cpu_info *nn_cpu_info_get(void)
{
    nn__init();
    return &nn__cpu;
}

NNAPI const nn_kernels *nn_kernels_for(nn_isa isa)
{
    nn__init();
    if (isa == NN_ISA_AUTO) return nn__active;
    if ((int)isa <= 0 || (int)isa >= NN_ISA_COUNT || !nn__table_ok[isa])
        return NULL;
    return &nn__tables[isa];
}

/* ======================================================================== */
/* 2.3 scalar kernels                                                       */
/* ======================================================================== */

/* -- element-wise activations: forward from x, backward from saved y -- */
NN__INTERNAL void nn__identity_fwd(size_t n, const float *x, float *y)
{
    if (x != y) memmove(y, x, n * sizeof(float));
}
NN__INTERNAL void nn__identity_bwd(size_t n, const float *y, const float *dy,
                                   float *dx)
{
    (void)y;
    if (dx != dy) memmove(dx, dy, n * sizeof(float));
}
NN__INTERNAL void nn__step_fwd(size_t n, const float *x, float *y)
{
    size_t i;   /* step(0) = 1, as in the perceptron notes; NaN stays NaN */
    for (i = 0; i < n; i++) y[i] = x[i] >= 0.0f ? 1.0f : (x[i] < 0.0f ? 0.0f : x[i]);
}
NN__INTERNAL void nn__step_bwd(size_t n, const float *y, const float *dy,
                               float *dx)
{
    size_t i;   /* zero almost everywhere: the perceptron rule, not GD */
    (void)y; (void)dy;
    for (i = 0; i < n; i++) dx[i] = 0.0f;
}
NN__INTERNAL float nn__sigmoidf(float x)
{
    /* Never overflows: exp of a non-positive argument only. */
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    else { float e = expf(x); return e / (1.0f + e); }
}
NN__INTERNAL void nn__sigmoid_fwd(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = nn__sigmoidf(x[i]);
}
NN__INTERNAL void nn__sigmoid_bwd(size_t n, const float *y, const float *dy,
                                  float *dx)
{
    size_t i;
    for (i = 0; i < n; i++) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
}
NN__INTERNAL void nn__tanh_fwd(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
NN__INTERNAL void nn__tanh_bwd(size_t n, const float *y, const float *dy,
                               float *dx)
{
    size_t i;
    for (i = 0; i < n; i++) dx[i] = dy[i] * ((1.0f - y[i]) * (1.0f + y[i]));
}
NN__INTERNAL void nn__relu_fwd(size_t n, const float *x, float *y)
{
    size_t i;   /* NaN propagates (x > 0 is false, so write x, not 0) */
    for (i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : (x[i] <= 0.0f ? 0.0f : x[i]);
}
NN__INTERNAL void nn__relu_bwd(size_t n, const float *y, const float *dy,
                               float *dx)
{
    size_t i;
    for (i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
NN__INTERNAL void nn__leaky_relu_fwd(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : NN_LEAKY_RELU_SLOPE * x[i];
}
NN__INTERNAL void nn__leaky_relu_bwd(size_t n, const float *y,
                                     const float *dy, float *dx)
{
    size_t i;   /* sign(y) = sign(x) because the slope is positive */
    for (i = 0; i < n; i++)
        dx[i] = y[i] > 0.0f ? dy[i] : NN_LEAKY_RELU_SLOPE * dy[i];
}
NN__INTERNAL void nn__softplus_fwd(size_t n, const float *x, float *y)
{
    size_t i;   /* log(1 + e^x) = max(x, 0) + log1p(e^-|x|) */
    for (i = 0; i < n; i++) {
        float v = x[i];
        y[i] = (v > 0.0f ? v : 0.0f) + log1pf(expf(-fabsf(v)));
    }
}
NN__INTERNAL void nn__softplus_bwd(size_t n, const float *y, const float *dy,
                                   float *dx)
{
    size_t i;   /* softplus' = sigmoid(x) = 1 - e^-y, from y alone */
    for (i = 0; i < n; i++) dx[i] = dy[i] * -expm1f(-y[i]);
}

NN__INTERNAL void nn__softmax_rows_scalar(int rows, int cols, const float *x,
                                          float *y)
{
    int r, j;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float m = -INFINITY, s = 0.0f, inv;
        for (j = 0; j < cols; j++) m = xr[j] > m ? xr[j] : m;
        if (m == -INFINITY) m = 0.0f;           /* all -inf: avoid inf-inf */
        for (j = 0; j < cols; j++) { yr[j] = expf(xr[j] - m); s += yr[j]; }
        inv = 1.0f / s;
        for (j = 0; j < cols; j++) yr[j] *= inv;
    }
}
NN__INTERNAL void nn__log_softmax_rows_scalar(int rows, int cols,
                                              const float *x, float *y)
{
    int r, j;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float m = -INFINITY, s = 0.0f, ls;
        for (j = 0; j < cols; j++) m = xr[j] > m ? xr[j] : m;
        if (m == -INFINITY) m = 0.0f;
        for (j = 0; j < cols; j++) s += expf(xr[j] - m);
        ls = logf(s);
        for (j = 0; j < cols; j++) yr[j] = (xr[j] - m) - ls;
    }
}
NN__INTERNAL void nn__softmax_fwd(size_t n, const float *x, float *y)
{
    nn__softmax_rows_scalar(1, (int)n, x, y);
}
NN__INTERNAL void nn__softmax_bwd(size_t n, const float *y, const float *dy,
                                  float *dx)
{
    size_t i;   /* J^T dy = y * (dy - <dy, y>) */
    double dot = 0.0;
    for (i = 0; i < n; i++) dot += (double)dy[i] * y[i];
    for (i = 0; i < n; i++) dx[i] = y[i] * (dy[i] - (float)dot);
}

/* -- vector math shared by the SIMD element-wise kernels: constants, and the
 *    scalar (libm) versions of the exp / log table entries -- */
/* exp: x = n ln2 + r, |r| <= ln2/2 (ln2 split hi + lo so that fma(n, -hi, x)
 * is exact), e^r = 1 + r + r^2 P(r), P of degree 4 fitted by Remez for the
 * least maximum relative error (2^-28.3) of e^r on [-ln2/2, ln2/2]. */
#define NN__LOG2E  1.44269504088896341f
#define NN__LN2_HI 0.693145751953125f
#define NN__LN2_LO 1.42860682028622680e-6f
#define NN__EXP_P0 1.3814613186e-3f
#define NN__EXP_P1 8.3687098230e-3f
#define NN__EXP_P2 4.1668387363e-2f
#define NN__EXP_P3 1.6666520690e-1f
#define NN__EXP_P4 4.9999993452e-1f
#define NN__EXP_SHIFT 12583039.0f /* 1.5 2^23 + 127: rounds, keeps n + 127 */
#define NN__EXP_HI 88.8f      /* e^x = +inf above (scaling overflows cleanly) */
#define NN__EXP_LO -104.0f    /* e^x rounds to +0 below                     */
#define NN__EXPM1_LO -30.0f   /* e^x - 1 rounds to -1 below                 */
/* log: x = 2^k m, m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact),
 * log(1 + f) = f - f^2/2 + f^3 L(f) with Cephes' logf minimax L (degree 8);
 * k ln2 added as k * C1 (exact, 9 bits) + k * C2. */
#define NN__SQRT2  1.41421356237309505f
#define NN__LOG_C1 0.693359375f
#define NN__LOG_C2 -2.12194440e-4f
#define NN__LOG_L0 7.0376836292e-2f
#define NN__LOG_L1 -1.1514610310e-1f
#define NN__LOG_L2 1.1676998740e-1f
#define NN__LOG_L3 -1.2420140846e-1f
#define NN__LOG_L4 1.4249322787e-1f
#define NN__LOG_L5 -1.6668057665e-1f
#define NN__LOG_L6 2.0000714765e-1f
#define NN__LOG_L7 -2.4999993993e-1f
#define NN__LOG_L8 3.3333331174e-1f

NN__INTERNAL void nn__exp_scalar(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = expf(x[i]);
}
NN__INTERNAL void nn__log_scalar(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = logf(x[i]);
}

NN__INTERNAL void nn__fill_scalar(nn_kernels *k)
{
    memset(k, 0, sizeof *k);
    k->act_fwd[NN_ACT_IDENTITY] = nn__identity_fwd;
    k->act_bwd[NN_ACT_IDENTITY] = nn__identity_bwd;
    k->act_fwd[NN_ACT_STEP] = nn__step_fwd;
    k->act_bwd[NN_ACT_STEP] = nn__step_bwd;
    k->act_fwd[NN_ACT_SIGMOID] = nn__sigmoid_fwd;
    k->act_bwd[NN_ACT_SIGMOID] = nn__sigmoid_bwd;
    k->act_fwd[NN_ACT_TANH] = nn__tanh_fwd;
    k->act_bwd[NN_ACT_TANH] = nn__tanh_bwd;
    k->act_fwd[NN_ACT_RELU] = nn__relu_fwd;
    k->act_bwd[NN_ACT_RELU] = nn__relu_bwd;
    k->act_fwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_fwd;
    k->act_bwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_bwd;
    k->act_fwd[NN_ACT_SOFTPLUS] = nn__softplus_fwd;
    k->act_bwd[NN_ACT_SOFTPLUS] = nn__softplus_bwd;
    k->act_fwd[NN_ACT_SOFTMAX] = nn__softmax_fwd;
    k->act_bwd[NN_ACT_SOFTMAX] = nn__softmax_bwd;
    k->softmax_rows = nn__softmax_rows_scalar;
    k->log_softmax_rows = nn__log_softmax_rows_scalar;
    k->exp = nn__exp_scalar;
    k->log = nn__log_scalar;
}

/* ======================================================================== */
/* 2.4 AVX2 kernels                                                         */
/* ======================================================================== */
#if NN__X86
#define NN__TARGET_AVX2 __attribute__((target("avx,avx2,fma")))

/* -- AVX2 GEMM micro-kernel and packers -- */

/* -- AVX2 element-wise kernels -- */
/* horizontal sum / max of 8 lanes, fixed order (no reduce intrinsics: some
 * of gcc's use undefined vectors that -Wuninitialized flags in C++) */
NN__TARGET_AVX2 static inline float nn__hsum8_avx2(__m256 a)
{
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(_mm_add_ss(b, _mm_movehdup_ps(b)));
}
NN__TARGET_AVX2 static inline float nn__hmax8_avx2(__m256 a)
{
    __m128 b = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_max_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(_mm_max_ss(b, _mm_movehdup_ps(b)));
}

#define NN__V8(c) _mm256_set1_ps(c)
#define NN__V8I(c) _mm256_set1_epi32(c)
/* Same algorithms as the AVX-512 kernels below (see there), with vector
 * masks instead of mask registers, 2^n built from exponent bits instead of
 * scalef, a real division where AVX-512 uses rcp14. */
/* x = n ln2 + r: n rounded by adding 1.5 2^23 + 127, so the low bits of
 * *t hold n + 127 (2^n is then one shift for n in [-126, 127]) */
NN__TARGET_AVX2 static inline __m256 nn__exp_reduce_avx2(__m256 x, __m256 *t, __m256 *n,
                                                         __m256 *rl)
{
    __m256 s = _mm256_fmadd_ps(x, NN__V8(NN__LOG2E), NN__V8(NN__EXP_SHIFT));
    __m256 k = _mm256_sub_ps(s, NN__V8(NN__EXP_SHIFT));
    __m256 rh = _mm256_fnmadd_ps(k, NN__V8(NN__LN2_HI), x);
    __m256 r = _mm256_fnmadd_ps(k, NN__V8(NN__LN2_LO), rh);
    if (rl) *rl = _mm256_fnmadd_ps(k, NN__V8(NN__LN2_LO), _mm256_sub_ps(rh, r));
    *n = k;
    *t = s;
    return r;
}
NN__TARGET_AVX2 static inline __m256 nn__exp_poly_avx2(__m256 r, __m256 c)
{
    __m256 p = _mm256_fmadd_ps(NN__V8(NN__EXP_P0), r, NN__V8(NN__EXP_P1));
    p = _mm256_fmadd_ps(p, r, NN__V8(NN__EXP_P2));
    p = _mm256_fmadd_ps(p, r, NN__V8(NN__EXP_P3));
    p = _mm256_fmadd_ps(p, r, NN__V8(NN__EXP_P4));
    return _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), c);
}
/* 2^n for integer-valued n in [-126, 127] */
NN__TARGET_AVX2 static inline __m256 nn__pow2i_avx2(__m256i n)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, NN__V8I(127)), 23));
}
/* y 2^n for n in [-150, 128], rounding once. Usually n is in [-126, 127]
 * and 2^n is t's low bits shifted into the exponent; otherwise two factors
 * 2^(n/2) 2^(n - n/2) (the first product is exact). */
NN__TARGET_AVX2 static inline __m256 nn__scale_avx2(__m256 y, __m256 t, __m256 n)
{
    __m256i k, h;
    __m256 out = _mm256_or_ps(_mm256_cmp_ps(n, NN__V8(-126.0f), _CMP_LT_OQ),
                              _mm256_cmp_ps(n, NN__V8(127.0f), _CMP_GT_OQ));
    if (!_mm256_movemask_ps(out))
        return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(
                                    _mm256_castps_si256(t), 23)));
    k = _mm256_cvtps_epi32(n);
    h = _mm256_srai_epi32(k, 1);
    return _mm256_mul_ps(_mm256_mul_ps(y, nn__pow2i_avx2(h)),
                         nn__pow2i_avx2(_mm256_sub_epi32(k, h)));
}
NN__TARGET_AVX2 static inline __m256 nn__exp_avx2(__m256 x)
{
    __m256 n, t, rl, r, q, hi, lo;
    x = _mm256_max_ps(NN__V8(NN__EXP_LO), _mm256_min_ps(NN__V8(NN__EXP_HI), x));
    r = nn__exp_reduce_avx2(x, &t, &n, &rl);
    q = nn__exp_poly_avx2(r, rl);
    hi = _mm256_add_ps(NN__V8(1.0f), r);
    lo = _mm256_sub_ps(r, _mm256_sub_ps(hi, NN__V8(1.0f)));
    return nn__scale_avx2(_mm256_add_ps(hi, _mm256_add_ps(lo, q)), t, n);
}
NN__TARGET_AVX2 static inline __m256 nn__exp_neg_avx2(__m256 x)
{
    __m256 n, t, r;
    r = nn__exp_reduce_avx2(_mm256_max_ps(NN__V8(NN__EXP_LO), x), &t, &n, NULL);
    return nn__scale_avx2(_mm256_add_ps(NN__V8(1.0f), nn__exp_poly_avx2(r, r)), t, n);
}
NN__TARGET_AVX2 static inline __m256 nn__expm1_neg_avx2(__m256 x)
{
    __m256 n, t, p, s;
    p = nn__exp_reduce_avx2(_mm256_max_ps(NN__V8(NN__EXPM1_LO), x), &t, &n, NULL);
    p = nn__exp_poly_avx2(p, p);
    s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
    return _mm256_fmadd_ps(s, p, _mm256_sub_ps(s, NN__V8(1.0f)));
}
NN__TARGET_AVX2 static inline __m256 nn__log1p_tail_avx2(__m256 f)
{
    __m256 z = _mm256_mul_ps(f, f);
    __m256 p = _mm256_fmadd_ps(NN__V8(NN__LOG_L0), f, NN__V8(NN__LOG_L1));
    p = _mm256_fmadd_ps(p, f, NN__V8(NN__LOG_L2));
    p = _mm256_fmadd_ps(p, f, NN__V8(NN__LOG_L3));
    p = _mm256_fmadd_ps(p, f, NN__V8(NN__LOG_L4));
    p = _mm256_fmadd_ps(p, f, NN__V8(NN__LOG_L5));
    p = _mm256_fmadd_ps(p, f, NN__V8(NN__LOG_L6));
    p = _mm256_fmadd_ps(p, f, NN__V8(NN__LOG_L7));
    p = _mm256_fmadd_ps(p, f, NN__V8(NN__LOG_L8));
    p = _mm256_mul_ps(_mm256_mul_ps(f, z), p);
    return _mm256_fnmadd_ps(NN__V8(0.5f), z, p);
}
NN__TARGET_AVX2 static inline __m256 nn__log_join_avx2(__m256 f, __m256 y, __m256 k)
{
    y = _mm256_fmadd_ps(k, NN__V8(NN__LOG_C2), y);
    return _mm256_fmadd_ps(k, NN__V8(NN__LOG_C1), _mm256_add_ps(f, y));
}
NN__TARGET_AVX2 static inline __m256 nn__log_avx2(__m256 x)
{
    /* denormals scaled by 2^23 first; m in [1, 2) from the mantissa bits */
    __m256 den = _mm256_cmp_ps(x, NN__V8(FLT_MIN), _CMP_LT_OQ);
    __m256 xs = _mm256_blendv_ps(x, _mm256_mul_ps(x, NN__V8(8388608.0f)), den);
    __m256i b = _mm256_castps_si256(xs);
    __m256 k = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(b, 23), NN__V8I(127)));
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(b, NN__V8I(0x007fffff)),
                                                   NN__V8I(0x3f800000)));
    __m256 big = _mm256_cmp_ps(m, NN__V8(NN__SQRT2), _CMP_GT_OQ), f, r;
    m = _mm256_blendv_ps(m, _mm256_mul_ps(m, NN__V8(0.5f)), big);
    k = _mm256_add_ps(k, _mm256_and_ps(big, NN__V8(1.0f)));
    k = _mm256_sub_ps(k, _mm256_and_ps(den, NN__V8(23.0f)));
    f = _mm256_sub_ps(m, NN__V8(1.0f));
    r = nn__log_join_avx2(f, nn__log1p_tail_avx2(f), k);
    /* 0 -> -inf; < 0 -> NaN; +inf and NaN -> themselves */
    r = _mm256_blendv_ps(r, NN__V8(-INFINITY), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ));
    r = _mm256_blendv_ps(r, NN__V8(NAN), _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
    return _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, NN__V8(FLT_MAX), _CMP_NLE_UQ));
}
/* a / (b + c), b + c = hi + lo exactly; correction of a / hi with the
 * residual and a 12-bit reciprocal (relative error 2^-35 before rounding) */
NN__TARGET_AVX2 static inline __m256 nn__div_sum_avx2(__m256 a, __m256 b, __m256 c)
{
    __m256 hi = _mm256_add_ps(b, c);
    __m256 lo = _mm256_sub_ps(c, _mm256_sub_ps(hi, b));
    __m256 q = _mm256_div_ps(a, hi);
    __m256 r = _mm256_fnmadd_ps(q, lo, _mm256_fnmadd_ps(q, hi, a));
    return _mm256_fmadd_ps(r, _mm256_rcp_ps(hi), q);
}
NN__TARGET_AVX2 static inline __m256 nn__sigmoid_avx2(__m256 x)
{
    __m256 e = nn__exp_neg_avx2(_mm256_or_ps(x, NN__V8(-0.0f)));
    __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return nn__div_sum_avx2(_mm256_blendv_ps(NN__V8(1.0f), e, neg), NN__V8(1.0f), e);
}
NN__TARGET_AVX2 static inline __m256 nn__tanh_avx2(__m256 x)
{
    __m256 sg = NN__V8(-0.0f);
    __m256 e = nn__expm1_neg_avx2(_mm256_mul_ps(_mm256_or_ps(x, sg), NN__V8(2.0f)));
    __m256 t = nn__div_sum_avx2(e, NN__V8(2.0f), e);
    return _mm256_or_ps(_mm256_andnot_ps(sg, t), _mm256_and_ps(sg, x));
}
NN__TARGET_AVX2 static inline __m256 nn__softplus_avx2(__m256 x)
{
    __m256 e = nn__exp_neg_avx2(_mm256_or_ps(x, NN__V8(-0.0f)));
    __m256 big = _mm256_cmp_ps(e, NN__V8(NN__SQRT2 - 1.0f), _CMP_GT_OQ);
    __m256 f = _mm256_blendv_ps(e, _mm256_fmadd_ps(e, NN__V8(0.5f), NN__V8(-0.5f)), big);
    __m256 l = nn__log_join_avx2(f, nn__log1p_tail_avx2(f), _mm256_and_ps(big, NN__V8(1.0f)));
    return _mm256_add_ps(_mm256_max_ps(x, _mm256_setzero_ps()), l);
}
NN__TARGET_AVX2 static inline __m256 nn__relu_avx2(__m256 x)
{
    return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LE_OQ), x);
}
NN__TARGET_AVX2 static inline __m256 nn__leaky_relu_avx2(__m256 x)
{
    return _mm256_blendv_ps(_mm256_mul_ps(x, NN__V8(NN_LEAKY_RELU_SLOPE)), x,
                            _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ));
}
NN__TARGET_AVX2 static inline __m256 nn__step_avx2(__m256 x)
{
    __m256 z = _mm256_setzero_ps();
    x = _mm256_andnot_ps(_mm256_cmp_ps(x, z, _CMP_LT_OQ), x);
    return _mm256_blendv_ps(x, NN__V8(1.0f), _mm256_cmp_ps(x, z, _CMP_GE_OQ));
}
NN__TARGET_AVX2 static inline __m256 nn__sigmoid_d_avx2(__m256 y, __m256 dy)
{
    return _mm256_mul_ps(dy, _mm256_mul_ps(y, _mm256_sub_ps(NN__V8(1.0f), y)));
}
NN__TARGET_AVX2 static inline __m256 nn__tanh_d_avx2(__m256 y, __m256 dy)
{
    return _mm256_mul_ps(dy, _mm256_mul_ps(_mm256_sub_ps(NN__V8(1.0f), y),
                                           _mm256_add_ps(NN__V8(1.0f), y)));
}
NN__TARGET_AVX2 static inline __m256 nn__relu_d_avx2(__m256 y, __m256 dy)
{
    return _mm256_and_ps(_mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ), dy);
}
NN__TARGET_AVX2 static inline __m256 nn__leaky_relu_d_avx2(__m256 y, __m256 dy)
{
    return _mm256_blendv_ps(_mm256_mul_ps(dy, NN__V8(NN_LEAKY_RELU_SLOPE)), dy,
                            _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ));
}
NN__TARGET_AVX2 static inline __m256 nn__softplus_d_avx2(__m256 y, __m256 dy)
{
    __m256 sg = NN__V8(-0.0f);
    return _mm256_mul_ps(dy, _mm256_xor_ps(sg, nn__expm1_neg_avx2(_mm256_xor_ps(sg, y))));
}
NN__TARGET_AVX2 static inline __m256 nn__step_d_avx2(__m256 y, __m256 dy)
{
    (void)y; (void)dy;
    return _mm256_setzero_ps();
}

/* lanes [0, left) of a tail, as a maskload/maskstore mask */
NN__TARGET_AVX2 static inline __m256i nn__tail8(size_t left)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#define NN__AVX2_MAP(name, f)                                                 \
    NN__TARGET_AVX2 NN__INTERNAL void name(size_t n, const float *x, float *y) \
    {                                                                         \
        size_t i = 0;                                                         \
        for (; i + 8 <= n; i += 8)                                            \
            _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));               \
        if (i < n) {                                                          \
            __m256i m = nn__tail8(n - i);                                     \
            _mm256_maskstore_ps(y + i, m, f(_mm256_maskload_ps(x + i, m)));   \
        }                                                                     \
    }
#define NN__AVX2_MAP2(name, g)                                                \
    NN__TARGET_AVX2 NN__INTERNAL void name(size_t n, const float *y,          \
                                           const float *dy, float *dx)        \
    {                                                                         \
        size_t i = 0;                                                         \
        for (; i + 8 <= n; i += 8)                                            \
            _mm256_storeu_ps(dx + i, g(_mm256_loadu_ps(y + i),                \
                                       _mm256_loadu_ps(dy + i)));             \
        if (i < n) {                                                          \
            __m256i m = nn__tail8(n - i);                                     \
            _mm256_maskstore_ps(dx + i, m, g(_mm256_maskload_ps(y + i, m),    \
                                             _mm256_maskload_ps(dy + i, m))); \
        }                                                                     \
    }
NN__AVX2_MAP(nn__exp_fwd_avx2, nn__exp_avx2)
NN__AVX2_MAP(nn__log_fwd_avx2, nn__log_avx2)
NN__AVX2_MAP(nn__sigmoid_fwd_avx2, nn__sigmoid_avx2)
NN__AVX2_MAP(nn__tanh_fwd_avx2, nn__tanh_avx2)
NN__AVX2_MAP(nn__softplus_fwd_avx2, nn__softplus_avx2)
NN__AVX2_MAP(nn__relu_fwd_avx2, nn__relu_avx2)
NN__AVX2_MAP(nn__leaky_relu_fwd_avx2, nn__leaky_relu_avx2)
NN__AVX2_MAP(nn__step_fwd_avx2, nn__step_avx2)
NN__AVX2_MAP2(nn__sigmoid_bwd_avx2, nn__sigmoid_d_avx2)
NN__AVX2_MAP2(nn__tanh_bwd_avx2, nn__tanh_d_avx2)
NN__AVX2_MAP2(nn__softplus_bwd_avx2, nn__softplus_d_avx2)
NN__AVX2_MAP2(nn__relu_bwd_avx2, nn__relu_d_avx2)
NN__AVX2_MAP2(nn__leaky_relu_bwd_avx2, nn__leaky_relu_d_avx2)
NN__AVX2_MAP2(nn__step_bwd_avx2, nn__step_d_avx2)

NN__TARGET_AVX2 static inline float nn__row_max_avx2(int cols, const float *x)
{
    __m256 m = NN__V8(-INFINITY);
    float r;
    int j = 0;
    for (; j + 8 <= cols; j += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + j));
    if (j < cols) {
        __m256i t = nn__tail8((size_t)(cols - j));
        m = _mm256_max_ps(m, _mm256_blendv_ps(NN__V8(-INFINITY), _mm256_maskload_ps(x + j, t),
                                              _mm256_castsi256_ps(t)));
    }
    r = nn__hmax8_avx2(m);
    return r == -INFINITY ? 0.0f : r;
}
NN__TARGET_AVX2 static inline float nn__row_expsum_avx2(int cols, const float *x,
                                                        float mx, float *y)
{
    __m256 s = _mm256_setzero_ps(), vm = NN__V8(mx), e;
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
        e = nn__exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm));
        if (y) _mm256_storeu_ps(y + j, e);
        s = _mm256_add_ps(s, e);
    }
    if (j < cols) {
        __m256i m = nn__tail8((size_t)(cols - j));
        e = nn__exp_avx2(_mm256_sub_ps(_mm256_maskload_ps(x + j, m), vm));
        if (y) _mm256_maskstore_ps(y + j, m, e);
        s = _mm256_add_ps(s, _mm256_and_ps(_mm256_castsi256_ps(m), e));
    }
    return nn__hsum8_avx2(s);
}
/* y = a x - b over a row: softmax's scaling (b = 0), log-softmax's
 * (x - max) - log(sum) (a = 1: the product is exact, one rounding less) */
NN__TARGET_AVX2 static inline void nn__row_axmb_avx2(int cols, const float *x, float a,
                                                     float b, float *y)
{
    __m256 va = NN__V8(a), vb = NN__V8(b);
    int j = 0;
    for (; j + 8 <= cols; j += 8)
        _mm256_storeu_ps(y + j, _mm256_fmsub_ps(_mm256_loadu_ps(x + j), va, vb));
    if (j < cols) {
        __m256i m = nn__tail8((size_t)(cols - j));
        _mm256_maskstore_ps(y + j, m, _mm256_fmsub_ps(_mm256_maskload_ps(x + j, m), va, vb));
    }
}
NN__TARGET_AVX2 NN__INTERNAL void nn__softmax_rows_avx2(int rows, int cols,
                                                        const float *x, float *y)
{
    int r;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float s = nn__row_expsum_avx2(cols, xr, nn__row_max_avx2(cols, xr), yr);
        nn__row_axmb_avx2(cols, yr, 1.0f / s, 0.0f, yr);
    }
}
NN__TARGET_AVX2 NN__INTERNAL void nn__log_softmax_rows_avx2(int rows, int cols,
                                                            const float *x, float *y)
{
    int r;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float mx = nn__row_max_avx2(cols, xr);
        float ls = logf(nn__row_expsum_avx2(cols, xr, mx, NULL));
        /* (x - mx) - ls: x - mx rounded first, as in the scalar kernel */
        nn__row_axmb_avx2(cols, xr, 1.0f, mx, y + (size_t)r * cols);
        nn__row_axmb_avx2(cols, y + (size_t)r * cols, 1.0f, ls, y + (size_t)r * cols);
    }
}
NN__TARGET_AVX2 NN__INTERNAL void nn__softmax_fwd_avx2(size_t n, const float *x, float *y)
{
    nn__softmax_rows_avx2(1, (int)n, x, y);
}
/* <y, dy> in double, 4 lanes at a time */
NN__TARGET_AVX2 static inline __m256d nn__dot4d_avx2(__m256d acc, __m128 a, __m128 b)
{
    return _mm256_fmadd_pd(_mm256_cvtps_pd(a), _mm256_cvtps_pd(b), acc);
}
NN__TARGET_AVX2 NN__INTERNAL void nn__softmax_bwd_avx2(size_t n, const float *y,
                                                       const float *dy, float *dx)
{
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    __m256 vy, vd, dot;
    size_t i = 0;
    double t[4];
    for (; i + 8 <= n; i += 8) {
        vy = _mm256_loadu_ps(y + i); vd = _mm256_loadu_ps(dy + i);
        a0 = nn__dot4d_avx2(a0, _mm256_castps256_ps128(vy), _mm256_castps256_ps128(vd));
        a1 = nn__dot4d_avx2(a1, _mm256_extractf128_ps(vy, 1), _mm256_extractf128_ps(vd, 1));
    }
    if (i < n) {
        __m256i m = nn__tail8(n - i);
        vy = _mm256_maskload_ps(y + i, m); vd = _mm256_maskload_ps(dy + i, m);
        a0 = nn__dot4d_avx2(a0, _mm256_castps256_ps128(vy), _mm256_castps256_ps128(vd));
        a1 = nn__dot4d_avx2(a1, _mm256_extractf128_ps(vy, 1), _mm256_extractf128_ps(vd, 1));
    }
    _mm256_storeu_pd(t, _mm256_add_pd(a0, a1));
    dot = NN__V8((float)(((t[0] + t[1]) + t[2]) + t[3]));
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(y + i),
                         _mm256_sub_ps(_mm256_loadu_ps(dy + i), dot)));
    if (i < n) {
        __m256i m = nn__tail8(n - i);
        _mm256_maskstore_ps(dx + i, m, _mm256_mul_ps(_mm256_maskload_ps(y + i, m),
                            _mm256_sub_ps(_mm256_maskload_ps(dy + i, m), dot)));
    }
}

NN__INTERNAL void nn__fill_avx2(nn_kernels *k)
{
    k->act_fwd[NN_ACT_STEP] = nn__step_fwd_avx2;
    k->act_bwd[NN_ACT_STEP] = nn__step_bwd_avx2;
    k->act_fwd[NN_ACT_SIGMOID] = nn__sigmoid_fwd_avx2;
    k->act_bwd[NN_ACT_SIGMOID] = nn__sigmoid_bwd_avx2;
    k->act_fwd[NN_ACT_TANH] = nn__tanh_fwd_avx2;
    k->act_bwd[NN_ACT_TANH] = nn__tanh_bwd_avx2;
    k->act_fwd[NN_ACT_RELU] = nn__relu_fwd_avx2;
    k->act_bwd[NN_ACT_RELU] = nn__relu_bwd_avx2;
    k->act_fwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_fwd_avx2;
    k->act_bwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_bwd_avx2;
    k->act_fwd[NN_ACT_SOFTPLUS] = nn__softplus_fwd_avx2;
    k->act_bwd[NN_ACT_SOFTPLUS] = nn__softplus_bwd_avx2;
    k->act_fwd[NN_ACT_SOFTMAX] = nn__softmax_fwd_avx2;
    k->act_bwd[NN_ACT_SOFTMAX] = nn__softmax_bwd_avx2;
    k->softmax_rows = nn__softmax_rows_avx2;
    k->log_softmax_rows = nn__log_softmax_rows_avx2;
    k->exp = nn__exp_fwd_avx2;
    k->log = nn__log_fwd_avx2;
}
#endif /* NN__X86 (AVX2) */

/* ======================================================================== */
/* 2.5 AVX-512 kernels                                                      */
/* ======================================================================== */
#if NN__X86
#define NN__TARGET_AVX512 \
    __attribute__((target("avx,avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")))

/* -- AVX-512 GEMM micro-kernel and packers -- */

/* -- AVX-512 element-wise kernels -- */
#if defined(__GNUC__) && !defined(__clang__)
/* g++ 12 flags the `__m512 __Y = __Y` inside its own _mm512_undefined_ps
 * (used by max, scalef, rcp14, ...) once inlined; nothing here is undefined */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
/* 16 lanes; tails use masked loads/stores (masked-off lanes compute on 0).
 * Every function of x keeps NaN: clamps put x second in min/max, which
 * return their second operand when either is NaN. */
#define NN__V16(c) _mm512_set1_ps(c)

/* x = n ln2 + r (x clamped): *n = n, returns r (rounded), *rl = its
 * rounding error when rl is not NULL (hi part exact, lo part carried). */
NN__TARGET_AVX512 static inline __m512 nn__exp_reduce_avx512(__m512 x, __m512 *n,
                                                             __m512 *rl)
{
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, NN__V16(NN__LOG2E)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 rh = _mm512_fnmadd_ps(k, NN__V16(NN__LN2_HI), x);   /* exact */
    __m512 r = _mm512_fnmadd_ps(k, NN__V16(NN__LN2_LO), rh);
    if (rl) *rl = _mm512_fnmadd_ps(k, NN__V16(NN__LN2_LO), _mm512_sub_ps(rh, r));
    *n = k;
    return r;
}
/* r^2 P(r) + c, so that e^r - 1 = r + (r^2 P(r) + c) */
NN__TARGET_AVX512 static inline __m512 nn__exp_poly_avx512(__m512 r, __m512 c)
{
    __m512 p = _mm512_fmadd_ps(NN__V16(NN__EXP_P0), r, NN__V16(NN__EXP_P1));
    p = _mm512_fmadd_ps(p, r, NN__V16(NN__EXP_P2));
    p = _mm512_fmadd_ps(p, r, NN__V16(NN__EXP_P3));
    p = _mm512_fmadd_ps(p, r, NN__V16(NN__EXP_P4));
    return _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), c);
}
/* e^x: r's rounding error carried into t, 1 + r split exactly into
 * hi + lo, one rounding in hi + (lo + t) (what keeps it below 1 ulp);
 * scalef then rounds once, into denormals too, and overflows to +inf. */
NN__TARGET_AVX512 static inline __m512 nn__exp_avx512(__m512 x)
{
    __m512 n, rl, r, t, hi, lo;
    x = _mm512_max_ps(NN__V16(NN__EXP_LO), _mm512_min_ps(NN__V16(NN__EXP_HI), x));
    r = nn__exp_reduce_avx512(x, &n, &rl);
    t = nn__exp_poly_avx512(r, rl);
    hi = _mm512_add_ps(NN__V16(1.0f), r);
    lo = _mm512_sub_ps(r, _mm512_sub_ps(hi, NN__V16(1.0f)));
    return _mm512_scalef_ps(_mm512_add_ps(hi, _mm512_add_ps(lo, t)), n);
}
/* e^x for x <= 0 where about 1 ulp is enough (sigmoid, softplus) */
NN__TARGET_AVX512 static inline __m512 nn__exp_neg_avx512(__m512 x)
{
    __m512 n, r;
    r = nn__exp_reduce_avx512(_mm512_max_ps(NN__V16(NN__EXP_LO), x), &n, NULL);
    return _mm512_scalef_ps(_mm512_add_ps(NN__V16(1.0f), nn__exp_poly_avx512(r, r)), n);
}
/* e^x - 1 for x <= 0: 2^n p + (2^n - 1) with p = e^r - 1, where 2^n - 1
 * is exact for the n that matter: no cancellation anywhere. */
NN__TARGET_AVX512 static inline __m512 nn__expm1_neg_avx512(__m512 x)
{
    __m512 n, p, s;
    p = nn__exp_reduce_avx512(_mm512_max_ps(NN__V16(NN__EXPM1_LO), x), &n, NULL);
    p = nn__exp_poly_avx512(p, p);
    s = _mm512_scalef_ps(NN__V16(1.0f), n);
    return _mm512_fmadd_ps(s, p, _mm512_sub_ps(s, NN__V16(1.0f)));
}
/* log(1 + f), f in [sqrt(1/2) - 1, sqrt(2) - 1], without the f term:
 * returns y with log(1 + f) = f + y. */
NN__TARGET_AVX512 static inline __m512 nn__log1p_tail_avx512(__m512 f)
{
    __m512 z = _mm512_mul_ps(f, f);
    __m512 p = _mm512_fmadd_ps(NN__V16(NN__LOG_L0), f, NN__V16(NN__LOG_L1));
    p = _mm512_fmadd_ps(p, f, NN__V16(NN__LOG_L2));
    p = _mm512_fmadd_ps(p, f, NN__V16(NN__LOG_L3));
    p = _mm512_fmadd_ps(p, f, NN__V16(NN__LOG_L4));
    p = _mm512_fmadd_ps(p, f, NN__V16(NN__LOG_L5));
    p = _mm512_fmadd_ps(p, f, NN__V16(NN__LOG_L6));
    p = _mm512_fmadd_ps(p, f, NN__V16(NN__LOG_L7));
    p = _mm512_fmadd_ps(p, f, NN__V16(NN__LOG_L8));
    p = _mm512_mul_ps(_mm512_mul_ps(f, z), p);
    return _mm512_fnmadd_ps(NN__V16(0.5f), z, p);
}
/* f + y + k ln2 (k = 0 or 1 per lane here, any integer in nn__log_avx512) */
NN__TARGET_AVX512 static inline __m512 nn__log_join_avx512(__m512 f, __m512 y,
                                                           __m512 k)
{
    y = _mm512_fmadd_ps(k, NN__V16(NN__LOG_C2), y);
    return _mm512_fmadd_ps(k, NN__V16(NN__LOG_C1), _mm512_add_ps(f, y));
}
/* ln x: getexp/getmant split denormals too; 0 -> -inf, < 0 -> NaN. */
NN__TARGET_AVX512 static inline __m512 nn__log_avx512(__m512 x)
{
    __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_nan);
    __m512 k = _mm512_getexp_ps(x), f, r;
    __mmask16 big = _mm512_cmp_ps_mask(m, NN__V16(NN__SQRT2), _CMP_GT_OQ);
    m = _mm512_mask_mul_ps(m, big, m, NN__V16(0.5f));
    k = _mm512_mask_add_ps(k, big, k, NN__V16(1.0f));
    f = _mm512_sub_ps(m, NN__V16(1.0f));
    r = nn__log_join_avx512(f, nn__log1p_tail_avx512(f), k);
    /* getexp(0) = -inf, getmant(0) = 0: fix 0, +inf (and keep NaN) */
    r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_EQ_OQ),
                           NN__V16(-INFINITY));
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, NN__V16(INFINITY), _CMP_EQ_OQ), x);
}
/* a / (b + c) for b > 0, |c| <= b: b + c = hi + lo exactly; q from a
 * 14-bit reciprocal, one correction with the residual a - q (hi + lo)
 * (exact to 2^-38): relative error 2^-28 before the last rounding, and the
 * rounding of b + c does not count (what keeps sigmoid/tanh <= 2 ulp). */
NN__TARGET_AVX512 static inline __m512 nn__div_sum_avx512(__m512 a, __m512 b, __m512 c)
{
    __m512 hi = _mm512_add_ps(b, c);
    __m512 lo = _mm512_sub_ps(c, _mm512_sub_ps(hi, b));
    __m512 rc = _mm512_rcp14_ps(hi);
    __m512 q = _mm512_mul_ps(a, rc);                /* 14 bits          */
    __m512 r = _mm512_fnmadd_ps(q, lo, _mm512_fnmadd_ps(q, hi, a));
    return _mm512_fmadd_ps(r, rc, q);
}
NN__TARGET_AVX512 static inline __m512 nn__sigmoid_avx512(__m512 x)
{
    /* e = e^-|x| <= 1 never overflows; x < 0: e / (1 + e), else 1 / (1 + e) */
    __m512 e = nn__exp_neg_avx512(_mm512_or_ps(x, NN__V16(-0.0f)));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return nn__div_sum_avx512(_mm512_mask_blend_ps(neg, NN__V16(1.0f), e),
                              NN__V16(1.0f), e);
}
NN__TARGET_AVX512 static inline __m512 nn__tanh_avx512(__m512 x)
{
    /* E = e^(-2|x|) - 1 in (-1, 0]; tanh|x| = -E / (2 + E), sign from x */
    __m512 e = nn__expm1_neg_avx512(_mm512_mul_ps(_mm512_or_ps(x, NN__V16(-0.0f)),
                                                  NN__V16(2.0f)));
    __m512 t = nn__div_sum_avx512(e, NN__V16(2.0f), e);
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        _mm512_set1_epi32((int)0x80000000u), _mm512_castps_si512(x),
        _mm512_castps_si512(t), 0xCA));          /* sign of x, |t|  */
}
NN__TARGET_AVX512 static inline __m512 nn__softplus_avx512(__m512 x)
{
    /* max(x, 0) + log1p(e), e = e^-|x| in (0, 1]: f = e when 1 + e <= sqrt2,
     * else log1p(e) = ln2 + log1p(f), f = (1 + e)/2 - 1 = fma(e, .5, -.5) */
    __m512 e = nn__exp_neg_avx512(_mm512_or_ps(x, NN__V16(-0.0f)));
    __mmask16 big = _mm512_cmp_ps_mask(e, NN__V16(NN__SQRT2 - 1.0f), _CMP_GT_OQ);
    __m512 f = _mm512_mask_blend_ps(big, e, _mm512_fmadd_ps(e, NN__V16(0.5f), NN__V16(-0.5f)));
    __m512 k = _mm512_maskz_mov_ps(big, NN__V16(1.0f));
    __m512 l = nn__log_join_avx512(f, nn__log1p_tail_avx512(f), k);
    return _mm512_add_ps(_mm512_max_ps(x, _mm512_setzero_ps()), l);
}
NN__TARGET_AVX512 static inline __m512 nn__relu_avx512(__m512 x)
{
    return _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LE_OQ),
                              _mm512_setzero_ps());
}
NN__TARGET_AVX512 static inline __m512 nn__leaky_relu_avx512(__m512 x)
{
    return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_NGT_UQ),
                              x, NN__V16(NN_LEAKY_RELU_SLOPE));
}
NN__TARGET_AVX512 static inline __m512 nn__step_avx512(__m512 x)
{
    __m512 z = _mm512_setzero_ps();
    x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, z, _CMP_LT_OQ), z);
    return _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, z, _CMP_GE_OQ), NN__V16(1.0f));
}
/* derivatives from the saved output y, times dy (same formulas as scalar) */
NN__TARGET_AVX512 static inline __m512 nn__sigmoid_d_avx512(__m512 y, __m512 dy)
{
    return _mm512_mul_ps(dy, _mm512_mul_ps(y, _mm512_sub_ps(NN__V16(1.0f), y)));
}
NN__TARGET_AVX512 static inline __m512 nn__tanh_d_avx512(__m512 y, __m512 dy)
{
    return _mm512_mul_ps(dy, _mm512_mul_ps(_mm512_sub_ps(NN__V16(1.0f), y),
                                           _mm512_add_ps(NN__V16(1.0f), y)));
}
NN__TARGET_AVX512 static inline __m512 nn__relu_d_avx512(__m512 y, __m512 dy)
{
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ), dy);
}
NN__TARGET_AVX512 static inline __m512 nn__leaky_relu_d_avx512(__m512 y, __m512 dy)
{
    return _mm512_mask_mul_ps(dy, _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_NGT_UQ),
                              dy, NN__V16(NN_LEAKY_RELU_SLOPE));
}
NN__TARGET_AVX512 static inline __m512 nn__softplus_d_avx512(__m512 y, __m512 dy)
{
    /* softplus' = sigmoid(x) = 1 - e^-y = -expm1(-y) */
    return _mm512_mul_ps(dy, _mm512_xor_ps(NN__V16(-0.0f),
                         nn__expm1_neg_avx512(_mm512_xor_ps(NN__V16(-0.0f), y))));
}
NN__TARGET_AVX512 static inline __m512 nn__step_d_avx512(__m512 y, __m512 dy)
{
    (void)y; (void)dy;
    return _mm512_setzero_ps();
}

NN__TARGET_AVX512 static inline __mmask16 nn__tail16(size_t left)
{
    return (__mmask16)((1u << left) - 1u);
}
/* y = f(x) and dx = g(y, dy) loops: full vectors, then one masked vector */
#define NN__AVX512_MAP(name, f)                                               \
    NN__TARGET_AVX512 NN__INTERNAL void name(size_t n, const float *x,        \
                                             float *y)                        \
    {                                                                         \
        size_t i = 0;                                                         \
        for (; i + 16 <= n; i += 16)                                          \
            _mm512_storeu_ps(y + i, f(_mm512_loadu_ps(x + i)));               \
        if (i < n) {                                                          \
            __mmask16 m = nn__tail16(n - i);                                  \
            _mm512_mask_storeu_ps(y + i, m, f(_mm512_maskz_loadu_ps(m, x + i))); \
        }                                                                     \
    }
#define NN__AVX512_MAP2(name, g)                                              \
    NN__TARGET_AVX512 NN__INTERNAL void name(size_t n, const float *y,        \
                                             const float *dy, float *dx)      \
    {                                                                         \
        size_t i = 0;                                                         \
        for (; i + 16 <= n; i += 16)                                          \
            _mm512_storeu_ps(dx + i, g(_mm512_loadu_ps(y + i),                \
                                       _mm512_loadu_ps(dy + i)));             \
        if (i < n) {                                                          \
            __mmask16 m = nn__tail16(n - i);                                  \
            _mm512_mask_storeu_ps(dx + i, m, g(_mm512_maskz_loadu_ps(m, y + i), \
                                               _mm512_maskz_loadu_ps(m, dy + i))); \
        }                                                                     \
    }
NN__AVX512_MAP(nn__exp_fwd_avx512, nn__exp_avx512)
NN__AVX512_MAP(nn__log_fwd_avx512, nn__log_avx512)
NN__AVX512_MAP(nn__sigmoid_fwd_avx512, nn__sigmoid_avx512)
NN__AVX512_MAP(nn__tanh_fwd_avx512, nn__tanh_avx512)
NN__AVX512_MAP(nn__softplus_fwd_avx512, nn__softplus_avx512)
NN__AVX512_MAP(nn__relu_fwd_avx512, nn__relu_avx512)
NN__AVX512_MAP(nn__leaky_relu_fwd_avx512, nn__leaky_relu_avx512)
NN__AVX512_MAP(nn__step_fwd_avx512, nn__step_avx512)
NN__AVX512_MAP2(nn__sigmoid_bwd_avx512, nn__sigmoid_d_avx512)
NN__AVX512_MAP2(nn__tanh_bwd_avx512, nn__tanh_d_avx512)
NN__AVX512_MAP2(nn__softplus_bwd_avx512, nn__softplus_d_avx512)
NN__AVX512_MAP2(nn__relu_bwd_avx512, nn__relu_d_avx512)
NN__AVX512_MAP2(nn__leaky_relu_bwd_avx512, nn__leaky_relu_d_avx512)
NN__AVX512_MAP2(nn__step_bwd_avx512, nn__step_d_avx512)

/* Row max (masked tail reads -inf); all -inf (or empty) gives 0 so that
 * x - max never computes inf - inf. */
NN__TARGET_AVX512 static inline float nn__row_max_avx512(int cols, const float *x)
{
    __m512 m = NN__V16(-INFINITY);
    float r;
    int j = 0;
    for (; j + 16 <= cols; j += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(x + j));
    if (j < cols)
        m = _mm512_max_ps(m, _mm512_mask_loadu_ps(NN__V16(-INFINITY),
                                                  nn__tail16((size_t)(cols - j)), x + j));
    r = nn__hmax8_avx2(_mm256_max_ps(_mm512_extractf32x8_ps(m, 0),
                                     _mm512_extractf32x8_ps(m, 1)));
    return r == -INFINITY ? 0.0f : r;
}
/* sum of e^(x - mx) over the row; stores the terms to y unless y is NULL */
NN__TARGET_AVX512 static inline float nn__row_expsum_avx512(int cols, const float *x,
                                                            float mx, float *y)
{
    __m512 s = _mm512_setzero_ps(), vm = NN__V16(mx), e;
    int j = 0;
    for (; j + 16 <= cols; j += 16) {
        e = nn__exp_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + j), vm));
        if (y) _mm512_storeu_ps(y + j, e);
        s = _mm512_add_ps(s, e);
    }
    if (j < cols) {
        __mmask16 m = nn__tail16((size_t)(cols - j));
        e = nn__exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + j), vm));
        if (y) _mm512_mask_storeu_ps(y + j, m, e);
        s = _mm512_mask_add_ps(s, m, s, e);
    }
    return nn__hsum8_avx2(_mm256_add_ps(_mm512_extractf32x8_ps(s, 0),
                                        _mm512_extractf32x8_ps(s, 1)));
}
/* y = a * x + b over a row (a = 1/sum for softmax, a = 1 for log-softmax) */
NN__TARGET_AVX512 static inline void nn__row_axpb_avx512(int cols, const float *x,
                                                         float a, float b, float *y)
{
    __m512 va = NN__V16(a), vb = NN__V16(b);
    int j = 0;
    for (; j + 16 <= cols; j += 16)
        _mm512_storeu_ps(y + j, _mm512_fmadd_ps(_mm512_loadu_ps(x + j), va, vb));
    if (j < cols) {
        __mmask16 m = nn__tail16((size_t)(cols - j));
        _mm512_mask_storeu_ps(y + j, m, _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + j), va, vb));
    }
}
NN__TARGET_AVX512 NN__INTERNAL void nn__softmax_rows_avx512(int rows, int cols,
                                                            const float *x, float *y)
{
    int r;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float s = nn__row_expsum_avx512(cols, xr, nn__row_max_avx512(cols, xr), yr);
        nn__row_axpb_avx512(cols, yr, 1.0f / s, 0.0f, yr);
    }
}
NN__TARGET_AVX512 NN__INTERNAL void nn__log_softmax_rows_avx512(int rows, int cols,
                                                                const float *x, float *y)
{
    int r, j;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float mx = nn__row_max_avx512(cols, xr);
        __m512 vm = NN__V16(mx);
        __m512 ls = NN__V16(logf(nn__row_expsum_avx512(cols, xr, mx, NULL)));
        for (j = 0; j + 16 <= cols; j += 16)    /* (x - max) - log(sum) */
            _mm512_storeu_ps(yr + j, _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(xr + j), vm), ls));
        if (j < cols) {
            __mmask16 m = nn__tail16((size_t)(cols - j));
            _mm512_mask_storeu_ps(yr + j, m, _mm512_sub_ps(_mm512_sub_ps(
                _mm512_maskz_loadu_ps(m, xr + j), vm), ls));
        }
    }
}
NN__TARGET_AVX512 NN__INTERNAL void nn__softmax_fwd_avx512(size_t n, const float *x,
                                                           float *y)
{
    nn__softmax_rows_avx512(1, (int)n, x, y);
}
/* J^T dy = y * (dy - <dy, y>), the dot product accumulated in double */
NN__TARGET_AVX512 NN__INTERNAL void nn__softmax_bwd_avx512(size_t n, const float *y,
                                                           const float *dy, float *dx)
{
    __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
    __m512 vy, vd, dot;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        vy = _mm512_loadu_ps(y + i); vd = _mm512_loadu_ps(dy + i);
        a0 = _mm512_fmadd_pd(_mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(vy, 0)),
                             _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(vd, 0)), a0);
        a1 = _mm512_fmadd_pd(_mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(vy, 1)),
                             _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(vd, 1)), a1);
    }
    if (i < n) {
        __mmask16 m = nn__tail16(n - i);
        vy = _mm512_maskz_loadu_ps(m, y + i); vd = _mm512_maskz_loadu_ps(m, dy + i);
        a0 = _mm512_fmadd_pd(_mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(vy, 0)),
                             _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(vd, 0)), a0);
        a1 = _mm512_fmadd_pd(_mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(vy, 1)),
                             _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(vd, 1)), a1);
    }
    {
        double t[8], d = 0.0;
        int j;
        _mm512_storeu_pd(t, _mm512_add_pd(a0, a1));
        for (j = 0; j < 8; j++) d += t[j];
        dot = NN__V16((float)d);
    }
    for (i = 0; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dx + i, _mm512_mul_ps(_mm512_loadu_ps(y + i),
                         _mm512_sub_ps(_mm512_loadu_ps(dy + i), dot)));
    if (i < n) {
        __mmask16 m = nn__tail16(n - i);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i),
                              _mm512_sub_ps(_mm512_maskz_loadu_ps(m, dy + i), dot)));
    }
}

NN__INTERNAL void nn__fill_avx512(nn_kernels *k)
{
    k->act_fwd[NN_ACT_STEP] = nn__step_fwd_avx512;
    k->act_bwd[NN_ACT_STEP] = nn__step_bwd_avx512;
    k->act_fwd[NN_ACT_SIGMOID] = nn__sigmoid_fwd_avx512;
    k->act_bwd[NN_ACT_SIGMOID] = nn__sigmoid_bwd_avx512;
    k->act_fwd[NN_ACT_TANH] = nn__tanh_fwd_avx512;
    k->act_bwd[NN_ACT_TANH] = nn__tanh_bwd_avx512;
    k->act_fwd[NN_ACT_RELU] = nn__relu_fwd_avx512;
    k->act_bwd[NN_ACT_RELU] = nn__relu_bwd_avx512;
    k->act_fwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_fwd_avx512;
    k->act_bwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_bwd_avx512;
    k->act_fwd[NN_ACT_SOFTPLUS] = nn__softplus_fwd_avx512;
    k->act_bwd[NN_ACT_SOFTPLUS] = nn__softplus_bwd_avx512;
    k->act_fwd[NN_ACT_SOFTMAX] = nn__softmax_fwd_avx512;
    k->act_bwd[NN_ACT_SOFTMAX] = nn__softmax_bwd_avx512;
    k->softmax_rows = nn__softmax_rows_avx512;
    k->log_softmax_rows = nn__log_softmax_rows_avx512;
    k->exp = nn__exp_fwd_avx512;
    k->log = nn__log_fwd_avx512;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif /* NN__X86 (AVX-512) */

/* ======================================================================== */
/* 2.6 NEON kernels                                                         */
/* ======================================================================== */
#if NN__NEON

/* -- NEON GEMM micro-kernel and packers -- */

/* -- NEON element-wise kernels -- */
/* Same algorithms as the AVX2 kernels (2^n by exponent shift with a
 * two-factor fallback, a / (b + c) with the residual correction); FMAX/FMIN
 * propagate NaN. Tails go through a 4-float stack buffer (no masks). */
#define NN__V4(c) vdupq_n_f32(c)
NN__INTERNAL inline float32x4_t nn__exp_reduce_neon(float32x4_t x, float32x4_t *t,
                                                    float32x4_t *n, float32x4_t *rl)
{
    float32x4_t s = vfmaq_f32(NN__V4(NN__EXP_SHIFT), x, NN__V4(NN__LOG2E));
    float32x4_t k = vsubq_f32(s, NN__V4(NN__EXP_SHIFT));
    float32x4_t rh = vfmsq_f32(x, k, NN__V4(NN__LN2_HI));
    float32x4_t r = vfmsq_f32(rh, k, NN__V4(NN__LN2_LO));
    if (rl) *rl = vfmsq_f32(vsubq_f32(rh, r), k, NN__V4(NN__LN2_LO));
    *n = k;
    *t = s;
    return r;
}
NN__INTERNAL inline float32x4_t nn__exp_poly_neon(float32x4_t r, float32x4_t c)
{
    float32x4_t p = vfmaq_f32(NN__V4(NN__EXP_P1), NN__V4(NN__EXP_P0), r);
    p = vfmaq_f32(NN__V4(NN__EXP_P2), p, r);
    p = vfmaq_f32(NN__V4(NN__EXP_P3), p, r);
    p = vfmaq_f32(NN__V4(NN__EXP_P4), p, r);
    return vfmaq_f32(c, p, vmulq_f32(r, r));
}
NN__INTERNAL inline float32x4_t nn__pow2i_neon(int32x4_t n)
{
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n, vdupq_n_s32(127)), 23));
}
NN__INTERNAL inline float32x4_t nn__scale_neon(float32x4_t y, float32x4_t t, float32x4_t n)
{
    int32x4_t k, h;
    uint32x4_t out = vorrq_u32(vcltq_f32(n, NN__V4(-126.0f)), vcgtq_f32(n, NN__V4(127.0f)));
    if (!vmaxvq_u32(out))
        return vmulq_f32(y, vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(t), 23)));
    k = vcvtnq_s32_f32(n);
    h = vshrq_n_s32(k, 1);
    return vmulq_f32(vmulq_f32(y, nn__pow2i_neon(h)), nn__pow2i_neon(vsubq_s32(k, h)));
}
NN__INTERNAL inline float32x4_t nn__exp_neon(float32x4_t x)
{
    float32x4_t n, t, rl, r, q, hi, lo, one = NN__V4(1.0f);
    x = vmaxq_f32(NN__V4(NN__EXP_LO), vminq_f32(NN__V4(NN__EXP_HI), x));
    r = nn__exp_reduce_neon(x, &t, &n, &rl);
    q = nn__exp_poly_neon(r, rl);
    hi = vaddq_f32(one, r);
    lo = vsubq_f32(r, vsubq_f32(hi, one));
    return nn__scale_neon(vaddq_f32(hi, vaddq_f32(lo, q)), t, n);
}
NN__INTERNAL inline float32x4_t nn__exp_neg_neon(float32x4_t x)
{
    float32x4_t n, t, r;
    r = nn__exp_reduce_neon(vmaxq_f32(NN__V4(NN__EXP_LO), x), &t, &n, NULL);
    return nn__scale_neon(vaddq_f32(NN__V4(1.0f), nn__exp_poly_neon(r, r)), t, n);
}
NN__INTERNAL inline float32x4_t nn__expm1_neg_neon(float32x4_t x)
{
    float32x4_t n, t, p, s;
    p = nn__exp_reduce_neon(vmaxq_f32(NN__V4(NN__EXPM1_LO), x), &t, &n, NULL);
    p = nn__exp_poly_neon(p, p);
    s = vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(t), 23));
    return vfmaq_f32(vsubq_f32(s, NN__V4(1.0f)), s, p);
}
NN__INTERNAL inline float32x4_t nn__log1p_tail_neon(float32x4_t f)
{
    float32x4_t z = vmulq_f32(f, f);
    float32x4_t p = vfmaq_f32(NN__V4(NN__LOG_L1), NN__V4(NN__LOG_L0), f);
    p = vfmaq_f32(NN__V4(NN__LOG_L2), p, f);
    p = vfmaq_f32(NN__V4(NN__LOG_L3), p, f);
    p = vfmaq_f32(NN__V4(NN__LOG_L4), p, f);
    p = vfmaq_f32(NN__V4(NN__LOG_L5), p, f);
    p = vfmaq_f32(NN__V4(NN__LOG_L6), p, f);
    p = vfmaq_f32(NN__V4(NN__LOG_L7), p, f);
    p = vfmaq_f32(NN__V4(NN__LOG_L8), p, f);
    p = vmulq_f32(vmulq_f32(f, z), p);
    return vfmsq_f32(p, NN__V4(0.5f), z);
}
NN__INTERNAL inline float32x4_t nn__log_join_neon(float32x4_t f, float32x4_t y, float32x4_t k)
{
    y = vfmaq_f32(y, k, NN__V4(NN__LOG_C2));
    return vfmaq_f32(vaddq_f32(f, y), k, NN__V4(NN__LOG_C1));
}
NN__INTERNAL inline float32x4_t nn__log_neon(float32x4_t x)
{
    uint32x4_t den = vcltq_f32(x, NN__V4(FLT_MIN)), big;
    float32x4_t xs = vbslq_f32(den, vmulq_f32(x, NN__V4(8388608.0f)), x), k, m, f, r;
    int32x4_t b = vreinterpretq_s32_f32(xs);
    k = vcvtq_f32_s32(vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(b), 23)),
                                vdupq_n_s32(127)));
    m = vreinterpretq_f32_s32(vorrq_s32(vandq_s32(b, vdupq_n_s32(0x007fffff)),
                                        vdupq_n_s32(0x3f800000)));
    big = vcgtq_f32(m, NN__V4(NN__SQRT2));
    m = vbslq_f32(big, vmulq_f32(m, NN__V4(0.5f)), m);
    k = vaddq_f32(k, vbslq_f32(big, NN__V4(1.0f), NN__V4(0.0f)));
    k = vsubq_f32(k, vbslq_f32(den, NN__V4(23.0f), NN__V4(0.0f)));
    f = vsubq_f32(m, NN__V4(1.0f));
    r = nn__log_join_neon(f, nn__log1p_tail_neon(f), k);
    r = vbslq_f32(vceqq_f32(x, NN__V4(0.0f)), NN__V4(-INFINITY), r);
    r = vbslq_f32(vcltq_f32(x, NN__V4(0.0f)), NN__V4(NAN), r);
    /* +inf and NaN: themselves (x <= FLT_MAX is false for both) */
    return vbslq_f32(vcleq_f32(x, NN__V4(FLT_MAX)), r, x);
}
NN__INTERNAL inline float32x4_t nn__div_sum_neon(float32x4_t a, float32x4_t b, float32x4_t c)
{
    float32x4_t hi = vaddq_f32(b, c);
    float32x4_t lo = vsubq_f32(c, vsubq_f32(hi, b));
    float32x4_t q = vdivq_f32(a, hi);
    float32x4_t r = vfmsq_f32(vfmsq_f32(a, q, hi), q, lo);
    return vfmaq_f32(q, r, vrecpeq_f32(hi));
}
NN__INTERNAL inline float32x4_t nn__negabs_neon(float32x4_t x)
{
    return vnegq_f32(vabsq_f32(x));
}
NN__INTERNAL inline float32x4_t nn__sigmoid_neon(float32x4_t x)
{
    float32x4_t e = nn__exp_neg_neon(nn__negabs_neon(x));
    return nn__div_sum_neon(vbslq_f32(vcltq_f32(x, NN__V4(0.0f)), e, NN__V4(1.0f)),
                            NN__V4(1.0f), e);
}
NN__INTERNAL inline float32x4_t nn__tanh_neon(float32x4_t x)
{
    float32x4_t e = nn__expm1_neg_neon(vmulq_f32(nn__negabs_neon(x), NN__V4(2.0f)));
    float32x4_t t = nn__div_sum_neon(e, NN__V4(2.0f), e);
    return vbslq_f32(vdupq_n_u32(0x80000000u), x, vabsq_f32(t));
}
NN__INTERNAL inline float32x4_t nn__softplus_neon(float32x4_t x)
{
    float32x4_t e = nn__exp_neg_neon(nn__negabs_neon(x));
    uint32x4_t big = vcgtq_f32(e, NN__V4(NN__SQRT2 - 1.0f));
    float32x4_t f = vbslq_f32(big, vfmaq_f32(NN__V4(-0.5f), e, NN__V4(0.5f)), e);
    float32x4_t l = nn__log_join_neon(f, nn__log1p_tail_neon(f),
                                      vbslq_f32(big, NN__V4(1.0f), NN__V4(0.0f)));
    /* max(x, 0) with NaN kept: FMAX propagates it */
    return vaddq_f32(vmaxq_f32(x, NN__V4(0.0f)), l);
}
NN__INTERNAL inline float32x4_t nn__relu_neon(float32x4_t x)
{
    return vbslq_f32(vcleq_f32(x, NN__V4(0.0f)), NN__V4(0.0f), x);
}
NN__INTERNAL inline float32x4_t nn__leaky_relu_neon(float32x4_t x)
{
    return vbslq_f32(vcgtq_f32(x, NN__V4(0.0f)), x, vmulq_f32(x, NN__V4(NN_LEAKY_RELU_SLOPE)));
}
NN__INTERNAL inline float32x4_t nn__step_neon(float32x4_t x)
{
    x = vbslq_f32(vcltq_f32(x, NN__V4(0.0f)), NN__V4(0.0f), x);
    return vbslq_f32(vcgeq_f32(x, NN__V4(0.0f)), NN__V4(1.0f), x);
}
NN__INTERNAL inline float32x4_t nn__sigmoid_d_neon(float32x4_t y, float32x4_t dy)
{
    return vmulq_f32(dy, vmulq_f32(y, vsubq_f32(NN__V4(1.0f), y)));
}
NN__INTERNAL inline float32x4_t nn__tanh_d_neon(float32x4_t y, float32x4_t dy)
{
    return vmulq_f32(dy, vmulq_f32(vsubq_f32(NN__V4(1.0f), y), vaddq_f32(NN__V4(1.0f), y)));
}
NN__INTERNAL inline float32x4_t nn__relu_d_neon(float32x4_t y, float32x4_t dy)
{
    return vbslq_f32(vcgtq_f32(y, NN__V4(0.0f)), dy, NN__V4(0.0f));
}
NN__INTERNAL inline float32x4_t nn__leaky_relu_d_neon(float32x4_t y, float32x4_t dy)
{
    return vbslq_f32(vcgtq_f32(y, NN__V4(0.0f)), dy, vmulq_f32(dy, NN__V4(NN_LEAKY_RELU_SLOPE)));
}
NN__INTERNAL inline float32x4_t nn__softplus_d_neon(float32x4_t y, float32x4_t dy)
{
    return vmulq_f32(dy, vnegq_f32(nn__expm1_neg_neon(vnegq_f32(y))));
}
NN__INTERNAL inline float32x4_t nn__step_d_neon(float32x4_t y, float32x4_t dy)
{
    (void)y; (void)dy;
    return NN__V4(0.0f);
}

/* load / store the first `left` (< 4) floats through a zeroed buffer */
NN__INTERNAL inline float32x4_t nn__load_tail_neon(const float *p, size_t left)
{
    float b[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(b, p, left * sizeof(float));
    return vld1q_f32(b);
}
NN__INTERNAL inline void nn__store_tail_neon(float *p, float32x4_t v, size_t left)
{
    float b[4];
    vst1q_f32(b, v);
    memcpy(p, b, left * sizeof(float));
}
#define NN__NEON_MAP(name, f)                                                 \
    NN__INTERNAL void name(size_t n, const float *x, float *y)                \
    {                                                                         \
        size_t i = 0;                                                         \
        for (; i + 4 <= n; i += 4) vst1q_f32(y + i, f(vld1q_f32(x + i)));     \
        if (i < n)                                                            \
            nn__store_tail_neon(y + i, f(nn__load_tail_neon(x + i, n - i)), n - i); \
    }
#define NN__NEON_MAP2(name, g)                                                \
    NN__INTERNAL void name(size_t n, const float *y, const float *dy,         \
                           float *dx)                                         \
    {                                                                         \
        size_t i = 0;                                                         \
        for (; i + 4 <= n; i += 4)                                            \
            vst1q_f32(dx + i, g(vld1q_f32(y + i), vld1q_f32(dy + i)));        \
        if (i < n)                                                            \
            nn__store_tail_neon(dx + i, g(nn__load_tail_neon(y + i, n - i),   \
                                          nn__load_tail_neon(dy + i, n - i)), n - i); \
    }
NN__NEON_MAP(nn__exp_fwd_neon, nn__exp_neon)
NN__NEON_MAP(nn__log_fwd_neon, nn__log_neon)
NN__NEON_MAP(nn__sigmoid_fwd_neon, nn__sigmoid_neon)
NN__NEON_MAP(nn__tanh_fwd_neon, nn__tanh_neon)
NN__NEON_MAP(nn__softplus_fwd_neon, nn__softplus_neon)
NN__NEON_MAP(nn__relu_fwd_neon, nn__relu_neon)
NN__NEON_MAP(nn__leaky_relu_fwd_neon, nn__leaky_relu_neon)
NN__NEON_MAP(nn__step_fwd_neon, nn__step_neon)
NN__NEON_MAP2(nn__sigmoid_bwd_neon, nn__sigmoid_d_neon)
NN__NEON_MAP2(nn__tanh_bwd_neon, nn__tanh_d_neon)
NN__NEON_MAP2(nn__softplus_bwd_neon, nn__softplus_d_neon)
NN__NEON_MAP2(nn__relu_bwd_neon, nn__relu_d_neon)
NN__NEON_MAP2(nn__leaky_relu_bwd_neon, nn__leaky_relu_d_neon)
NN__NEON_MAP2(nn__step_bwd_neon, nn__step_d_neon)

NN__INTERNAL float nn__row_max_neon(int cols, const float *x)
{
    float32x4_t m = NN__V4(-INFINITY);
    float r;
    int j = 0;
    for (; j + 4 <= cols; j += 4) m = vmaxq_f32(m, vld1q_f32(x + j));
    r = vmaxvq_f32(m);
    for (; j < cols; j++) r = x[j] > r ? x[j] : r;  /* <= 3 compares, no math */
    return r == -INFINITY ? 0.0f : r;
}
NN__INTERNAL float nn__row_expsum_neon(int cols, const float *x, float mx, float *y)
{
    float32x4_t s = NN__V4(0.0f), vm = NN__V4(mx), e;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
        e = nn__exp_neon(vsubq_f32(vld1q_f32(x + j), vm));
        if (y) vst1q_f32(y + j, e);
        s = vaddq_f32(s, e);
    }
    if (j < cols) {
        size_t left = (size_t)(cols - j);
        uint32x4_t m = vcltq_u32(vcombine_u32(vcreate_u32(0x100000000ull), vcreate_u32(0x300000002ull)),
                                 vdupq_n_u32((uint32_t)left));
        e = nn__exp_neon(vsubq_f32(nn__load_tail_neon(x + j, left), vm));
        if (y) nn__store_tail_neon(y + j, e, left);
        s = vaddq_f32(s, vbslq_f32(m, e, NN__V4(0.0f)));
    }
    return vaddvq_f32(s);
}
/* y = a x - b over a row (see nn__row_axmb_avx2) */
NN__INTERNAL void nn__row_axmb_neon(int cols, const float *x, float a, float b, float *y)
{
    float32x4_t va = NN__V4(a), vb = NN__V4(b);
    int j = 0;
    for (; j + 4 <= cols; j += 4)
        vst1q_f32(y + j, vsubq_f32(vmulq_f32(vld1q_f32(x + j), va), vb));
    if (j < cols) {
        size_t left = (size_t)(cols - j);
        nn__store_tail_neon(y + j, vsubq_f32(vmulq_f32(nn__load_tail_neon(x + j, left), va), vb),
                            left);
    }
}
NN__INTERNAL void nn__softmax_rows_neon(int rows, int cols, const float *x, float *y)
{
    int r;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float s = nn__row_expsum_neon(cols, xr, nn__row_max_neon(cols, xr), yr);
        nn__row_axmb_neon(cols, yr, 1.0f / s, 0.0f, yr);
    }
}
NN__INTERNAL void nn__log_softmax_rows_neon(int rows, int cols, const float *x, float *y)
{
    int r;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float mx = nn__row_max_neon(cols, xr);
        float ls = logf(nn__row_expsum_neon(cols, xr, mx, NULL));
        nn__row_axmb_neon(cols, xr, 1.0f, mx, yr);
        nn__row_axmb_neon(cols, yr, 1.0f, ls, yr);
    }
}
NN__INTERNAL void nn__softmax_fwd_neon(size_t n, const float *x, float *y)
{
    nn__softmax_rows_neon(1, (int)n, x, y);
}
NN__INTERNAL void nn__softmax_bwd_neon(size_t n, const float *y, const float *dy, float *dx)
{
    float64x2_t a0 = vdupq_n_f64(0.0), a1 = vdupq_n_f64(0.0);
    float32x4_t vy, vd, dot;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        vy = vld1q_f32(y + i); vd = vld1q_f32(dy + i);
        a0 = vfmaq_f64(a0, vcvt_f64_f32(vget_low_f32(vy)), vcvt_f64_f32(vget_low_f32(vd)));
        a1 = vfmaq_f64(a1, vcvt_high_f64_f32(vy), vcvt_high_f64_f32(vd));
    }
    if (i < n) {
        vy = nn__load_tail_neon(y + i, n - i); vd = nn__load_tail_neon(dy + i, n - i);
        a0 = vfmaq_f64(a0, vcvt_f64_f32(vget_low_f32(vy)), vcvt_f64_f32(vget_low_f32(vd)));
        a1 = vfmaq_f64(a1, vcvt_high_f64_f32(vy), vcvt_high_f64_f32(vd));
    }
    dot = NN__V4((float)vaddvq_f64(vaddq_f64(a0, a1)));
    for (i = 0; i + 4 <= n; i += 4)
        vst1q_f32(dx + i, vmulq_f32(vld1q_f32(y + i), vsubq_f32(vld1q_f32(dy + i), dot)));
    if (i < n)
        nn__store_tail_neon(dx + i, vmulq_f32(nn__load_tail_neon(y + i, n - i),
                            vsubq_f32(nn__load_tail_neon(dy + i, n - i), dot)), n - i);
}

NN__INTERNAL void nn__fill_neon(nn_kernels *k)
{
    k->act_fwd[NN_ACT_STEP] = nn__step_fwd_neon;
    k->act_bwd[NN_ACT_STEP] = nn__step_bwd_neon;
    k->act_fwd[NN_ACT_SIGMOID] = nn__sigmoid_fwd_neon;
    k->act_bwd[NN_ACT_SIGMOID] = nn__sigmoid_bwd_neon;
    k->act_fwd[NN_ACT_TANH] = nn__tanh_fwd_neon;
    k->act_bwd[NN_ACT_TANH] = nn__tanh_bwd_neon;
    k->act_fwd[NN_ACT_RELU] = nn__relu_fwd_neon;
    k->act_bwd[NN_ACT_RELU] = nn__relu_bwd_neon;
    k->act_fwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_fwd_neon;
    k->act_bwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_bwd_neon;
    k->act_fwd[NN_ACT_SOFTPLUS] = nn__softplus_fwd_neon;
    k->act_bwd[NN_ACT_SOFTPLUS] = nn__softplus_bwd_neon;
    k->act_fwd[NN_ACT_SOFTMAX] = nn__softmax_fwd_neon;
    k->act_bwd[NN_ACT_SOFTMAX] = nn__softmax_bwd_neon;
    k->softmax_rows = nn__softmax_rows_neon;
    k->log_softmax_rows = nn__log_softmax_rows_neon;
    k->exp = nn__exp_fwd_neon;
    k->log = nn__log_fwd_neon;
}
#endif /* NN__NEON */

/* ======================================================================== */
/* 2.7 GEMM driver (blocking, packing, threads, fused epilogue)             */
/* ======================================================================== */

NN__INTERNAL void nn__gemm_fill(nn_kernels *k)
{
    /* Scalar placeholder blocking; replaced by the BLIS-style driver. */
    k->mr = 1; k->nr = 1;
    k->mc = 64; k->kc = 256; k->nc = 256;
}

/* Apply the epilogue (bias, save Z, activation) to an M x N block of C. */
NN__INTERNAL void nn__epilogue_apply(int M, int N, float *C, int ldc,
                                     const nn_epilogue *ep)
{
    const nn_kernels *k = nn__k();
    int i, j;
    if (!ep) return;
    for (i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (ep->bias)
            for (j = 0; j < N; j++) c[j] += ep->bias[j];
        if (ep->pre)
            memcpy(ep->pre + (size_t)i * ep->ldpre, c, (size_t)N * sizeof(float));
        if (ep->act == NN_ACT_SOFTMAX) k->softmax_rows(1, N, c, c);
        else if (ep->act != NN_ACT_IDENTITY) k->act_fwd[ep->act]((size_t)N, c, c);
    }
}

/* Scalar SGEMM: C row block scaled by beta once, then rank-1 style updates
 * in i-k-j order over K blocks so B rows stream contiguously (NN, TN) and
 * dot products run along contiguous rows (NT, TT). */
NN__INTERNAL void nn__sgemm_scalar(int tA, int tB, int M, int N, int K,
                                   float alpha, const float *A, int lda,
                                   const float *B, int ldb, float beta,
                                   float *C, int ldc)
{
    int i, j, p, p0;
    const int KB = 256;
    for (i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        if (beta == 0.0f) for (j = 0; j < N; j++) c[j] = 0.0f;
        else if (beta != 1.0f) for (j = 0; j < N; j++) c[j] *= beta;
    }
    if (alpha == 0.0f || K == 0) return;
    for (p0 = 0; p0 < K; p0 += KB) {
        int p1 = p0 + KB < K ? p0 + KB : K;
        for (i = 0; i < M; i++) {
            float *c = C + (size_t)i * ldc;
            if (!tB) {
                for (p = p0; p < p1; p++) {
                    float a = alpha * (tA ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p]);
                    const float *b = B + (size_t)p * ldb;
                    for (j = 0; j < N; j++) c[j] += a * b[j];
                }
            } else {
                for (j = 0; j < N; j++) {
                    const float *b = B + (size_t)j * ldb;
                    float s = 0.0f;
                    if (!tA) {
                        const float *a = A + (size_t)i * lda;
                        for (p = p0; p < p1; p++) s += a[p] * b[p];
                    } else {
                        for (p = p0; p < p1; p++) s += A[(size_t)p * lda + i] * b[p];
                    }
                    c[j] += alpha * s;
                }
            }
        }
    }
}

NN__INTERNAL nn_status nn__gemm_check(int tA, int tB, int M, int N, int K,
                                      const float *A, int lda, const float *B,
                                      int ldb, const float *C, int ldc)
{
    int a_cols = tA ? M : K, b_cols = tB ? K : N;
    if (M < 0 || N < 0 || K < 0) return NN_ERR_ARG;
    if (M == 0 || N == 0) return NN_OK;
    if (!C || ldc < N) return NN_ERR_ARG;
    if (K > 0 && (!A || !B)) return NN_ERR_ARG;
    if (lda < (a_cols > 1 ? a_cols : 1) || ldb < (b_cols > 1 ? b_cols : 1))
        return NN_ERR_ARG;
    (void)tB;
    return NN_OK;
}

NNAPI nn_status nn_sgemm_ex(int transA, int transB, int M, int N, int K,
                            float alpha, const float *A, int lda,
                            const float *B, int ldb, float beta, float *C,
                            int ldc, const nn_epilogue *ep)
{
    nn_status st = nn__gemm_check(transA, transB, M, N, K, A, lda, B, ldb, C, ldc);
    if (st != NN_OK) return st;
    if (M == 0 || N == 0) return NN_OK;
    if (ep && ((int)ep->act < 0 || ep->act >= NN_ACT_COUNT ||
               (ep->pre && ep->ldpre < N)))
        return NN_ERR_ARG;
    nn__sgemm_scalar(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    nn__epilogue_apply(M, N, C, ldc, ep);
    return NN_OK;
}

NNAPI void nn_sgemm(int transA, int transB, int M, int N, int K, float alpha,
                    const float *A, int lda, const float *B, int ldb,
                    float beta, float *C, int ldc)
{
    (void)nn_sgemm_ex(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta,
                      C, ldc, NULL);
}

/* ======================================================================== */
/* 2.8 activations and losses                                               */
/* ======================================================================== */

/* ======================================================================== */
/* 2.9 network, backprop, optimizers, training loop                         */
/* ======================================================================== */

/* A model: shapes, activations, loss, and four flat 64-byte aligned buffers
 * of n_params floats (parameters, gradients, two optimizer moments). */
struct nn_net {
    int n_layers;
    int *sizes;                 /* n_layers + 1                            */
    nn_act *acts;               /* n_layers                                */
    float *dropout;             /* n_layers: rate on each layer's output   */
    size_t *w_off, *b_off;      /* n_layers: offsets into params           */
    size_t n_params;
    float *params, *grads;
    float *opt_m, *opt_v;       /* momentum / Adam m, Adam v               */
    nn_loss loss;
    float huber_delta;
    uint64_t seed;              /* of the last nn_net_init                 */
    long step;                  /* optimizer steps taken (Adam's t)        */
    int max_width;              /* max over sizes                          */
    void *meta;                 /* the one block holding the small arrays  */
};

/* A workspace for one thread, for batches up to max_batch. */
struct nn_ctx {
    int n_layers, max_batch;
    int *sizes;                 /* copy: the shape this ctx was made for   */
    float **act;                /* n_layers: A_l, max_batch x sizes[l+1]   */
    float **mask;               /* n_layers: dropout scale (0 or 1/(1-p))  */
    float *z_out;               /* output layer pre-activation             */
    float *delta[2];            /* ping-pong dZ, max_batch x max_width     */
    float *block;               /* the one float workspace                 */
    void *meta;
    const float *x;             /* input of the last forward               */
    int batch, train, ready;    /* ready: forward done, backward allowed   */
    nn_rng rng;                 /* dropout                                 */
};

/* ======================================================================== */
/* 2.10 data utilities                                                      */
/* ======================================================================== */

/* ======================================================================== */
/* 2.11 model files                                                         */
/* ======================================================================== */

#endif /* NN_IMPLEMENTATION_DONE */
#endif /* NN_IMPLEMENTATION */
