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
 *   NN_MALLOC(size)     64-byte aligned allocation hook (default: malloc, padded)
 *   NN_FREE(ptr)        its matching free (also given NULL); both or neither
 *   NN_ASSERT(x)        internal invariants (default: assert.h; never used
 *                       for user input, which gets an nn_status instead)
 *   NN_NO_SIMD          compile the scalar kernels only
 *   NN_NO_THREADS       ignore OpenMP even when compiled with -fopenmp
 *   Environment (read once, at first use):
 *     NN_ISA=scalar|avx2|avx512|neon   force a kernel table
 *     NN_GEMM_MC / NN_GEMM_KC / NN_GEMM_NC   GEMM cache blocks (floats)
 *     NN_CACHE_L1 / NN_CACHE_L2        cache sizes in bytes, if cpuid lies
 *     NN_ROW_BLOCK                     rows per cache block of a training
 *                                      step (also nn_ctx_set_row_block)
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
    int  family, model, stepping; /* x86 cpuid leaf 1 (display values)    */
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

/* ---- ACCURACY CONTRACT of the element-wise kernels -----------------------
 * Maximum error against the exact (double-precision) value, in ulp of the
 * float result (a correctly rounded result is <= 0.5 ulp; in the denormal
 * range the ulp is 2^-149), measured over EVERY float input (2^32; the
 * derivative factors over every float y of their output range) by
 * `make test-exhaustive` (tests/exhaustive_act.c) on AVX2 and AVX-512; NEON
 * runs the same operations and was checked on every 257th float under
 * qemu-aarch64. tests/test_act_simd.c holds every SIMD table to the bounds
 * below (the scalar table, libm, to 3 ulp for sigmoid and tanh).
 *
 *   function            AVX-512  AVX2   NEON*  bound  scalar (libm)*
 *   exp                  0.77    0.77   0.75   1      0.50 (expf)
 *   log                  0.89    0.89   0.82   1      0.80 (logf)
 *   sigmoid              1.50    1.48   1.43   2      2.25 (1/(1+expf))
 *   tanh                 1.96    1.96   1.82   2      2.10 (tanhf)
 *   softplus             1.74    1.74   1.63   2      1.45 (log1pf(expf))
 *   sigmoid' y(1-y)      1.50    1.50   1.50   2      same ops, bit-identical
 *   tanh' (1-y)(1+y)     1.50    1.50   1.50   2      same ops, bit-identical
 *   softplus' -expm1(-y) 0.99    0.96   0.92   2      0.75 (expm1f)
 *   (* NEON and scalar: every 257th float.) Derivatives are then multiplied
 *   by dy: + 0.5 ulp. ReLU, leaky ReLU, step, identity and their
 *   derivatives are exact (leaky: one rounding of 0.01f * x), bit-identical
 *   on every ISA. softmax p_j: relative error <= (3 + |x_j - max| + n) 2^-24;
 *   log-softmax: absolute <= (|x_j - max| + |log sum| + 2 + n) 2^-24.
 *   Losses (kernel table, used by nn_loss_eval / the training step): the
 *   gradients are bit-identical to the scalar formulas on every ISA; each
 *   element's loss is computed in float (log <= 1 ulp, a few roundings) and
 *   summed in double. Fused softmax + CE and sigmoid + BCE from the logits:
 *   dz = (p - y) / B bit-identical to the forward output's, the loss from
 *   log-softmax / softplus, so saturated outputs give finite losses.
 * How: exp (also e^-|x| inside sigmoid and softplus) on AVX-512 and AVX2
 * by a table: x = (k/N) ln2 + r (N = 16: one permute of a zmm; AVX2: 8),
 * ln2/N in two parts, e^x = 2^floor(k/N) T[k mod N] e^r with T as hi + lo
 * and a degree-3 (AVX2: 4) Remez polynomial for e^r - 1, hi + (hi p + lo)
 * rounded once, 2^m by scalef (AVX-512) or exponent bits (AVX2: two
 * factors near under/overflow). NEON, and expm1 (tanh, softplus') on every
 * ISA: x = n ln2 + r, e^r - 1 = r + r^2 P(r), P of degree 4, 2^n from the
 * bits of the shifted rounding constant (x86 tanh: ln2 as one float and
 * 2^n - 1 rounded once, see nn__tanh_e_##ISA). sigmoid/tanh divide by
 * 1 + e or 2 + E without rounding the denominator (AVX-512: rcp14 and one
 * Newton step on the exact residual; AVX2/NEON: a division corrected by
 * that residual), tanh through expm1 (no cancellation near 0). On x86 the
 * sigmoid, tanh and softplus loops are software-pipelined (exp of the
 * next 4 vectors between the divisions of these 4: NN__X86_PIPE4). No
 * libm call in any SIMD loop (log-softmax calls logf once per row).
 * Special values (every ISA; tests/test_act_simd.c checks each):
 *   exp:      e^+-0 = 1, e^+inf = +inf, e^-inf = +0, NaN -> NaN; +inf above
 *             88.7228 (overflow), +0 below -103.97; results in the denormal
 *             range (x in [-103.97, -87.34]) are rounded once, within the
 *             bound above; denormal x gives 1.
 *   log:      log +-0 = -inf, log x<0 = NaN, log +inf = +inf, NaN -> NaN;
 *             denormal x at full accuracy.
 *   sigmoid:  +-0 -> 0.5, +inf -> 1, -inf -> +0, NaN -> NaN; exactly 1 for
 *             x > 17.33 (sigmoid(100) = 1); sigmoid(-100) = 3.7e-44, a
 *             denormal within the bound; +0 below -103.97; never overflows.
 *   tanh:     tanh(+-0) = +-0 and tanh(denormal) = itself (sign kept), +-inf
 *             -> +-1, NaN -> NaN, exactly +-1 for |x| > 8.665 (NEON) or
 *             8.492 (x86) (tanh(+-20); below 9.011 that is up to 1 or 1.42
 *             ulp from the true value).
 *   softplus: +inf -> +inf, -inf -> +0, NaN -> NaN, exactly x for x > 14.56
 *             (softplus(100) = 100), denormal results below x = -87.3, +0
 *             below -103.97.
 *   ReLU(NaN) = NaN, ReLU(-0) = +0; leaky(NaN) = NaN; step(x) = 1 for
 *   x >= 0 (-0 included), 0 for x < 0, NaN -> NaN; step' = 0; softplus'
 *   of +-0 is +-0 (times dy), as libm's -expm1f(-y). NaN stays NaN,
 *   whatever its payload, through every function and derivative.
 *   softmax:  max-subtracted, so +-1e4 cannot overflow: softmax(1e4, -1e4, 0)
 *             = (1, 0, 0) exactly (log-softmax: (0, -2e4, -1e4)); a row of
 *             all -inf gives NaN (0/0, as the scalar kernel, without ever
 *             computing inf - inf); a row holding NaN or +inf gives NaN.
 *   Denormals are produced, not flushed, unless the caller runs with FTZ/DAZ
 *   set (the training step does, for its duration). */
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
 * grad receives dL/dh (loss and grad may each be NULL). delta is Huber's threshold (others
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
/* Rows per cache block in nn_train_step: 0 = automatic (from the L2 size),
 * else that many (capped at max_batch). Returns the value in force. */
NNDEF int       nn_ctx_set_row_block(nn_ctx *ctx, int rows);
/* Threads of nn_train_step (OpenMP builds): a large batch is cut into
 * this many parts, one per thread, each with its own activations and
 * gradient buffer (memory: one more model-sized gradient per thread); the
 * part gradients are summed in a fixed order, so results depend on this
 * number, never on timing. 0 (what nn_ctx_create sets): OpenMP's maximum
 * (1 inside a parallel region), fewer parts for small batches; n > 0: n
 * parts whatever the batch (at most one per row, at most 64). Without
 * OpenMP: always 1. On NN_ERR_NOMEM the context keeps working with one
 * part. nn_fit takes it from nn_fit_config.threads. */
NNDEF nn_status nn_ctx_set_threads(nn_ctx *ctx, const nn_net *net, int threads);

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

/* Forward pass (train != 0: dropout on). The activations are kept for
 * nn_backward either way; x must stay valid until then. */
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
/* forward + backward + update, cache-blocked by rows. Any NaN or infinity
 * in the loss or the gradients returns NN_ERR_NAN with the parameters and
 * optimizer state untouched. Plain SGD on up to 16 rows updates W in place
 * without forming dW when no value can overflow (the gradient buffer's
 * weight segments then hold the layers' output deltas, not dW). */
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
    int start_epoch;               /* resume: epoch e shuffles and drops    */
                                   /* out from (seed, e) alone              */
    int row_block;                 /* 0: the context's automatic choice     */
    /* called after every mini-batch with the rows done so far this epoch
     * and the batch's mean loss; non-zero stops training there (the epoch
     * is reported, and counts in epochs_run, as far as it got: resuming at
     * start_epoch = epoch + 1 skips the rest of it) */
    int (*on_batch)(int epoch, long done, float batch_loss, void *user);
    int threads;                   /* nn_ctx_set_threads: 0 = OpenMP's max  */
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
/* The classic rule on targets t in {0,1}: o = step(w.x + b), step(0) = 1;
 * w += lr (t - o) x; b += lr (t - o); until an epoch has no error
 * (*converged = 1) or max_epochs pass (*converged = 0). w (dims) and *b
 * hold the starting weights on entry and the learned ones on return. */
NNDEF nn_status nn_perceptron_train(int n, int dims, const float *x,
                                    const float *t, float lr, int max_epochs,
                                    float *w, float *b, int *epochs,
                                    int *converged);
NNDEF float nn_perceptron_predict(int dims, const float *w, float b,
                                  const float *x);

/* ---- data utilities ----------------------------------------------------- */
/* IDX files (the MNIST format): big-endian magic 0 0 type ndims, ndims
 * big-endian uint32 dimensions, then the payload. Loading converts every
 * element to float (uint8 stays 0..255). The magic, the type, the dimensions
 * and the payload size are checked against the file length before anything
 * is allocated. .gz files: decompress in the caller, then nn_idx_load_mem. */
#define NN_IDX_MAX_DIMS 8
#define NN_IDX_U8  0x08
#define NN_IDX_S8  0x09
#define NN_IDX_I16 0x0B
#define NN_IDX_I32 0x0C
#define NN_IDX_F32 0x0D
#define NN_IDX_F64 0x0E
typedef struct nn_idx {
    int type;                       /* NN_IDX_U8 ... NN_IDX_F64              */
    int ndims;                      /* 1 .. NN_IDX_MAX_DIMS                  */
    int dims[NN_IDX_MAX_DIMS];
    size_t count;                   /* product of the dimensions             */
    float *data;                    /* count floats (NN_FREE'd by idx_free)  */
} nn_idx;
NNDEF nn_status nn_idx_load(const char *path, nn_idx *out);
NNDEF nn_status nn_idx_load_mem(const void *buf, size_t len, nn_idx *out);
NNDEF void      nn_idx_free(nn_idx *idx);
/* Write type NN_IDX_U8 (values must be integers in 0..255) or NN_IDX_F32;
 * through path.tmp renamed into place. */
NNDEF nn_status nn_idx_save(const char *path, int type, int ndims,
                            const int *dims, const float *data);

/* Standardization: mean[j] and std[j] = sqrt(var[j] + eps) over the n rows
 * of the training set (std 1 where that is 0), then applied to any set. */
NNDEF nn_status nn_standardize_fit(int n, int d, const float *x, float eps,
                                   float *mean, float *std);
NNDEF nn_status nn_standardize_apply(int n, int d, float *x,
                                     const float *mean, const float *std);

/* Symmetric eigendecomposition (Householder tridiagonalization + implicit
 * QL, in double): a is n x n (only read), eigenvalues w descending, the
 * eigenvector of w[i] in row i of v (n x n, orthonormal rows). */
NNDEF nn_status nn_eigh(int n, const double *a, double *w, double *v);

/* PCA whitening: y = (x - mean) V^T diag(1/sqrt(lambda + eps)) onto the k
 * leading eigenvectors of the training covariance (population, 1/n).
 * Whitened training data has covariance diag(lambda / (lambda + eps)). */
typedef struct nn_pca {
    int d, k;
    float eps;
    float *mean;        /* d                                              */
    float *eigval;      /* k, descending                                  */
    float *w;           /* k x d: eigenvector rows scaled 1/sqrt(l + eps) */
    float *shift;       /* k: w . mean, subtracted in apply               */
} nn_pca;
NNDEF nn_status nn_pca_fit(nn_pca *p, int n, int d, const float *x, int k,
                           float eps);
NNDEF nn_status nn_pca_apply(const nn_pca *p, int n, const float *x,
                             float *y);                 /* y: n x k       */
NNDEF void      nn_pca_free(nn_pca *p);

/* Class labels (integers 0..classes-1 stored as floats) to one-hot rows. */
NNDEF nn_status nn_one_hot(int n, const float *labels, int classes, float *y);
NNDEF int       nn_argmax(int n, const float *x);     /* first max; -1 if n<1 */
/* idx = a uniform random permutation of 0..n-1 (Fisher-Yates, nn_rng). */
NNDEF nn_status nn_shuffle_index(int n, int *idx, uint64_t seed);
/* dst row i = src row idx[i] (cols floats per row; idx in 0..src_rows-1). */
NNDEF nn_status nn_gather_rows(int n, const int *idx, int src_rows, int cols,
                               const float *src, float *dst);
/* Seeded split of n rows into n_train = n - n_val - n_test, n_val, n_test
 * row indices (each part in shuffled order). With labels (class ids as
 * floats, 0..classes-1) the split is stratified: each part keeps the class
 * proportions (largest remainder). labels may be NULL; val/test may be NULL
 * when their count is 0. */
NNDEF nn_status nn_split(int n, const float *labels, int classes, int n_val,
                         int n_test, uint64_t seed, int *train_idx,
                         int *val_idx, int *test_idx);

/* ---- model files -------------------------------------------------------- */
/* Versioned little-endian binary: magic, version, flags, loss, metadata,
 * layer table (size, activation, dropout), float32 parameters (and, in a
 * checkpoint, the optimizer moments, step count and RNG state), CRC-32 over
 * everything. Saving writes path.tmp and renames it into place; loading
 * checks every field and the exact file length before allocating, and the
 * CRC before building the net. A loaded net has no ctx: make one. */
#define NN_MODEL_VERSION 1
#define NN_MODEL_MAX_LAYERS 4096
#define NN_MODEL_MAX_WIDTH (1 << 24)
typedef struct nn_model_info {
    uint64_t seed;      /* training seed (save: 0 = the net's init seed)  */
    int epochs;         /* epochs completed                               */
    float loss;         /* last loss (NaN if unknown)                     */
    int64_t date;       /* unix time of saving (save: 0 = now)            */
    long step;          /* optimizer steps (load: also set in the net)    */
    nn_rng rng;         /* training RNG state (checkpoints)               */
    nn_opt opt;         /* optimizer settings (checkpoints)               */
    int checkpoint;     /* load: the file holds optimizer state           */
    char error[160];    /* load/save failure: what exactly was wrong      */
} nn_model_info;
NNDEF nn_model_info nn_model_info_default(void);
/* A model: shapes, activations, loss, dropout, parameters. info may be NULL. */
NNDEF nn_status nn_model_save(const char *path, const nn_net *net,
                              const nn_model_info *info);
/* A checkpoint: the model plus optimizer moments, step count, RNG, opt. */
NNDEF nn_status nn_checkpoint_save(const char *path, const nn_net *net,
                                   const nn_model_info *info);
/* Loads either kind (a checkpoint also restores the optimizer state and
 * step count into the net). info may be NULL. */
NNDEF nn_status nn_model_load(const char *path, nn_net **out,
                              nn_model_info *info);
NNDEF nn_status nn_model_load_mem(const void *buf, size_t len, nn_net **out,
                                  nn_model_info *info);
NNDEF uint32_t  nn_crc32(uint32_t crc, const void *buf, size_t len);

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
#define nn__max_threads() (omp_in_parallel() ? 1 : omp_get_max_threads())
#else
#define NN__OMP 0
#define nn__max_threads() 1
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
#define NN__NOINLINE __attribute__((noinline))
#else
#define NN__RESTRICT
#define NN__UNUSED
#define NN__NOINLINE
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

/* All finite? (NaN and +-inf fail.) The dispatched nn__all_finite uses
 * the table's vector version of this. */
NN__INTERNAL int nn__all_finite_scalar(size_t n, const float *x)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!(x[i] - x[i] == 0.0f)) return 0;
    return 1;
}

/* Denormal operands can slow floating point by large factors on some CPUs;
 * training never needs them. A step sets flush-to-zero / denormals-are-zero
 * on the calling thread (GEMM worker threads adopt the caller's mode for
 * the parallel region) and restores the caller's mode on return. */
NN__INTERNAL uint64_t nn__fp_read(void)
{
#if NN__X86
    return _mm_getcsr();
#elif NN__NEON && defined(__aarch64__)
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
#else
    return 0;
#endif
}
NN__INTERNAL void nn__fp_write(uint64_t mode)
{
#if NN__X86
    _mm_setcsr((unsigned)mode);
#elif NN__NEON && defined(__aarch64__)
    __asm__ __volatile__("msr fpcr, %0" : : "r"(mode));
#else
    (void)mode;
#endif
}
typedef struct nn__fpmode { uint64_t saved; } nn__fpmode;
NN__INTERNAL void nn__fp_enter(nn__fpmode *m)
{
    m->saved = nn__fp_read();
#if NN__X86
    nn__fp_write(m->saved | 0x8040u);                 /* FTZ | DAZ      */
#elif NN__NEON && defined(__aarch64__)
    nn__fp_write(m->saved | (uint64_t)1 << 24);       /* FZ             */
#endif
}
NN__INTERNAL void nn__fp_leave(const nn__fpmode *m) { nn__fp_write(m->saved); }

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

/* Fisher-Yates over a[0..n) with r (training order, splits, nn_shuffle_index). */
NN__INTERNAL void nn__shuffle_ints(nn_rng *r, int n, int *a)
{
    int i;
    for (i = n - 1; i > 0; i--) {
        int j = (int)nn_rng_below(r, (uint32_t)i + 1u), t = a[i];
        a[i] = a[j]; a[j] = t;
    }
}

/* ======================================================================== */
/* 2.2 CPU detection and dispatch                                           */
/* ======================================================================== */

typedef void (*nn__act_fwd_fn)(size_t n, const float *x, float *y);
typedef void (*nn__act_bwd_fn)(size_t n, const float *y, const float *dy,
                               float *dx);
typedef void (*nn__rows_fn)(int rows, int cols, const float *x, float *y);
/* Fused output layer + loss from the logits z (rows x cols): returns the
 * loss summed over all rows; dz (may be NULL) gets dL/dz * gscale. */
typedef double (*nn__xent_fn)(int rows, int cols, const float *z,
                              const float *y, float gscale, float *dz);
/* A loss over n elements of predictions h and targets y: returns the sum of
 * the element losses; grad (may be NULL) gets dL/dh * gscale. */
typedef double (*nn__loss_fn)(size_t n, const float *h, const float *y,
                              float delta, float gscale, float *grad);

/* One optimizer step's hyper-parameters, resolved for the vector kernels
 * (Adam's bias corrections bc1 = 1 - b1^t, bc2 = 1 - b2^t included). */
typedef struct nn__opt_args {
    nn_opt_kind kind;
    float lr, mu, b1, b2, eps, l1, l2, bc1, bc2;
} nn__opt_args;
typedef void (*nn__opt_fn)(const nn__opt_args *a, size_t n, float *w,
                           const float *g, float *m, float *v);

/* One table per ISA. Every entry starts as the scalar kernel; each ISA
 * section overrides what it implements (nn__fill_* functions), so a new
 * kernel is one function plus one line. */
struct nn_kernels {
    nn_isa isa;
    const char *name;
    nn__opt_fn opt_step;        /* optimizer pass (section 2.9 fills)      */
    int (*all_finite)(size_t n, const float *x);      /* input checks      */
    /* -- GEMM (section 2.7 owns these) -- */
    int mr, nr;                 /* register tile of the micro-kernel       */
    int mc, kc, nc;             /* cache blocking derived at init          */
    /* C(m x n tile, strides rsc/csc) = alpha A B + beta C over kc steps:
     * A(i,p) = a[i*rsa + p*csa] (packed: rsa 1, csa mr; or the user's A,
     * rows i >= m never read), B(p,j) = b[p*rsb + j] (nr floats readable
     * per row: packed, or the user's B for a full panel). m < mr or n < nr
     * (edge tiles) never touch C outside m x n; beta == 0 never reads C. */
    void (*gemm_ukr)(int kc, float alpha, const float *a, ptrdiff_t rsa,
                     ptrdiff_t csa, const float *b, ptrdiff_t rsb, float *c,
                     ptrdiff_t rsc, ptrdiff_t csc, int m, int n, float beta);
    /* the same on a shorter tile (short_m x nr, the same packed panels) for
     * a row panel of short_m rows or fewer (0: none) */
    void (*gemm_ukr_short)(int kc, float alpha, const float *a,
                           ptrdiff_t rsa, ptrdiff_t csa, const float *b,
                           ptrdiff_t rsb, float *c, ptrdiff_t rsc,
                           ptrdiff_t csc, int m, int n, float beta);
    int short_m;
    /* Pack one panel: rows [0,mn) (mn <= r) by k columns of X(i,p) =
     * X[i*rs + p*cs] as k groups of r floats (zero padded); alpha is the
     * micro-kernel's. */
    void (*gemm_pack)(int mn, int k, const float *x, ptrdiff_t rs,
                      ptrdiff_t cs, int r, float *dst);
    /* Direct (unpacked) paths for thin problems, C = alpha A B + beta C:
     * dot:  A M x K rows (lda), B N x K rows (ldb): C(i,j) = <A_i, B_j>;
     * axpy: A(i,p) = a[i*rsa + p*csa], B K x N rows: C_i = sum_p A(i,p) B_p. */
    void (*gemm_dot)(int M, int N, int K, float alpha, const float *a,
                     ptrdiff_t lda, const float *b, ptrdiff_t ldb, float beta,
                     float *c, ptrdiff_t ldc);
    void (*gemm_axpy)(int M, int N, int K, float alpha, const float *a,
                      ptrdiff_t rsa, ptrdiff_t csa, const float *b,
                      ptrdiff_t ldb, float beta, float *c, ptrdiff_t ldc);
    int dot_n, dot_m;           /* A B^T with N <= dot_n, or M <= dot_m and
                                   K >= 256: the dot path (no packing)     */
    int axpy_k;                 /* A B with K <= axpy_k (rows of B under
                                   4 KiB apart): the row-update path       */
    int thin_m;                 /* a last row panel of <= thin_m rows: row
                                   updates, not a register tile            */
    /* -- element-wise (section 2.8 owns these) -- */
    nn__act_fwd_fn act_fwd[NN_ACT_COUNT];
    nn__act_bwd_fn act_bwd[NN_ACT_COUNT];
    nn__rows_fn softmax_rows, log_softmax_rows;
    nn__act_fwd_fn exp, log;    /* y = e^x, y = ln x: vector math for tests */
    /* softmax + cross-entropy, one pass per row: loss -sum y log p and
     * dz = (p - y) gscale, p exactly as softmax_rows computes it */
    nn__xent_fn softmax_xent_rows;
    /* sigmoid + binary cross-entropy, element-wise: loss softplus(z) - y z
     * and dz = (sigmoid(z) - y) gscale, sigmoid exactly as act_fwd's */
    nn__xent_fn sigmoid_xent;
    /* the losses of nn_loss_eval element by element (semantics: 2.8's
     * nn__loss); NULL in the scalar table, where 2.8's loop runs */
    nn__loss_fn loss[NN_LOSS_COUNT];
};

NN__INTERNAL nn_cpu_info nn__cpu;
NN__INTERNAL nn_kernels nn__tables[NN_ISA_COUNT];
NN__INTERNAL int nn__table_ok[NN_ISA_COUNT];
NN__INTERNAL const nn_kernels *nn__active;
NN__INTERNAL int nn__init_state; /* 0 none, 1 running, 2 done */

NN__INTERNAL void nn__fill_scalar(nn_kernels *k);
NN__INTERNAL void nn__gemm_fill(nn_kernels *k);
NN__INTERNAL void nn__opt_fill(nn_kernels *k);
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
        c->stepping = (int)(r[0] & 15u);
        c->family = (int)((r[0] >> 8) & 15u);
        c->model = (int)((r[0] >> 4) & 15u);
        if (c->family == 15) c->family += (int)((r[0] >> 20) & 255u);
        if (c->family >= 6) c->model += (int)((r[0] >> 16) & 15u) << 4;
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
    (void)c;                                    /* unused without SIMD */
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
        nn__opt_fill(k);
    }
    want = nn__isa_from_env();
    if (want == NN_ISA_AUTO || !nn__table_ok[want]) want = nn__best_isa();
    nn__active = &nn__tables[want];
}

/* Thread-safe one-time init: the first caller builds, others wait. Out of
 * line: inlined into nn__init, gcc 12 built the table-filling stack frame
 * before the "already done" test (28% of a batch-1 128->10 GEMM). */
NN__INTERNAL NN__NOINLINE void nn__init_once(void)
{
#if defined(__GNUC__) || defined(__clang__)
    int expected = 0;
    if (__atomic_compare_exchange_n(&nn__init_state, &expected, 1, 0,
                                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        nn__build_tables();
        __atomic_store_n(&nn__init_state, 2, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&nn__init_state, __ATOMIC_ACQUIRE) != 2) { }
#else
    nn__build_tables();                /* other compilers: init before threads */
    nn__init_state = 2;
#endif
}

NN__INTERNAL void nn__init(void)
{
#if defined(__GNUC__) || defined(__clang__)
    if (__atomic_load_n(&nn__init_state, __ATOMIC_ACQUIRE) != 2) nn__init_once();
#else
    if (nn__init_state != 2) nn__init_once();
#endif
}

NN__INTERNAL const nn_kernels *nn__k(void)
{
    nn__init();
    return nn__active;
}

NN__INTERNAL int nn__all_finite(size_t n, const float *x)
{
    return nn__k()->all_finite(n, x);
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

/* -- scalar optimizer kernel: the rules of nn_opt, one element at a time -- */
NN__INTERNAL void nn__opt_scalar(const nn__opt_args *a, size_t n, float *w,
                                 const float *grad, float *m, float *v)
{
    size_t i;
    for (i = 0; i < n; i++) {
        float g = grad[i];
        if (a->l2 != 0.0f) g += a->l2 * w[i];
        if (a->l1 != 0.0f) g += w[i] > 0.0f ? a->l1 : (w[i] < 0.0f ? -a->l1 : 0.0f);
        switch (a->kind) {
        case NN_OPT_SGD:
            w[i] -= a->lr * g;
            break;
        case NN_OPT_MOMENTUM:
            m[i] = a->mu * m[i] - a->lr * g;
            w[i] += m[i];
            break;
        case NN_OPT_NESTEROV:
            m[i] = a->mu * m[i] - a->lr * g;
            w[i] += a->mu * m[i] - a->lr * g;
            break;
        case NN_OPT_ADAM:
            m[i] = a->b1 * m[i] + (1.0f - a->b1) * g;
            v[i] = a->b2 * v[i] + (1.0f - a->b2) * g * g;
            w[i] -= a->lr * (m[i] / a->bc1) / (sqrtf(v[i] / a->bc2) + a->eps);
            break;
        }
    }
}

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
NN__INTERNAL void nn__step_fwd_scalar(size_t n, const float *x, float *y)
{
    size_t i;   /* step(0) = 1, as in the perceptron notes; NaN stays NaN */
    for (i = 0; i < n; i++) y[i] = x[i] >= 0.0f ? 1.0f : (x[i] < 0.0f ? 0.0f : x[i]);
}
NN__INTERNAL void nn__step_bwd_scalar(size_t n, const float *y, const float *dy,
                               float *dx)
{
    size_t i;   /* zero almost everywhere: the perceptron rule, not GD */
    (void)y; (void)dy;
    for (i = 0; i < n; i++) dx[i] = 0.0f;
}
/* sigmoid from e = e^-|x| (sigmoid + BCE shares it): never overflows */
NN__INTERNAL float nn__sigmoid_ef(float x, float e)
{
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}
NN__INTERNAL float nn__sigmoidf(float x)
{
    return nn__sigmoid_ef(x, expf(-fabsf(x)));
}
NN__INTERNAL void nn__sigmoid_fwd_scalar(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = nn__sigmoidf(x[i]);
}
NN__INTERNAL void nn__sigmoid_bwd_scalar(size_t n, const float *y, const float *dy,
                                  float *dx)
{
    size_t i;
    for (i = 0; i < n; i++) dx[i] = dy[i] * (y[i] * (1.0f - y[i]));
}
NN__INTERNAL void nn__tanh_fwd_scalar(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = tanhf(x[i]);
}
NN__INTERNAL void nn__tanh_bwd_scalar(size_t n, const float *y, const float *dy,
                               float *dx)
{
    size_t i;
    for (i = 0; i < n; i++) dx[i] = dy[i] * ((1.0f - y[i]) * (1.0f + y[i]));
}
NN__INTERNAL void nn__relu_fwd_scalar(size_t n, const float *x, float *y)
{
    size_t i;   /* NaN propagates (x > 0 is false, so write x, not 0) */
    for (i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : (x[i] <= 0.0f ? 0.0f : x[i]);
}
NN__INTERNAL void nn__relu_bwd_scalar(size_t n, const float *y, const float *dy,
                               float *dx)
{
    size_t i;
    for (i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
NN__INTERNAL void nn__leaky_relu_fwd_scalar(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : NN_LEAKY_RELU_SLOPE * x[i];
}
NN__INTERNAL void nn__leaky_relu_bwd_scalar(size_t n, const float *y,
                                     const float *dy, float *dx)
{
    size_t i;   /* sign(y) = sign(x) because the slope is positive */
    for (i = 0; i < n; i++)
        dx[i] = y[i] > 0.0f ? dy[i] : NN_LEAKY_RELU_SLOPE * dy[i];
}
NN__INTERNAL void nn__softplus_fwd_scalar(size_t n, const float *x, float *y)
{
    size_t i;   /* log(1 + e^x) = max(x, 0) + log1p(e^-|x|) */
    for (i = 0; i < n; i++) {
        float v = x[i];
        y[i] = (v > 0.0f ? v : 0.0f) + log1pf(expf(-fabsf(v)));
    }
}
NN__INTERNAL void nn__softplus_bwd_scalar(size_t n, const float *y, const float *dy,
                                   float *dx)
{
    size_t i;   /* softplus' = sigmoid(x) = 1 - e^-y, from y alone */
    for (i = 0; i < n; i++) dx[i] = dy[i] * -expm1f(-y[i]);
}

/* Row max, 0 when every entry is -inf (so x - max never computes
 * inf - inf); the sum of e^(x - m) over the row, storing the terms to y
 * unless y is NULL. Shared by softmax, log-softmax and softmax + CE. */
NN__INTERNAL float nn__row_max_scalar(int cols, const float *x)
{
    float m = -INFINITY;
    int j;
    for (j = 0; j < cols; j++) m = x[j] > m ? x[j] : m;
    return m == -INFINITY ? 0.0f : m;
}
NN__INTERNAL float nn__row_expsum_scalar(int cols, const float *x, float m, float *y)
{
    float s = 0.0f, e;
    int j;
    for (j = 0; j < cols; j++) {
        e = expf(x[j] - m);
        s += e;
        if (y) y[j] = e;
    }
    return s;
}
NN__INTERNAL void nn__softmax_rows_scalar(int rows, int cols, const float *x,
                                          float *y)
{
    int r, j;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float inv = 1.0f / nn__row_expsum_scalar(cols, xr, nn__row_max_scalar(cols, xr), yr);
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
        float m = nn__row_max_scalar(cols, xr);
        float ls = logf(nn__row_expsum_scalar(cols, xr, m, NULL));
        for (j = 0; j < cols; j++) yr[j] = (xr[j] - m) - ls;
    }
}
NN__INTERNAL void nn__softmax_fwd_scalar(size_t n, const float *x, float *y)
{
    nn__softmax_rows_scalar(1, (int)n, x, y);
}
NN__INTERNAL void nn__softmax_bwd_scalar(size_t n, const float *y, const float *dy,
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
/* exp with a table (AVX-512: one permute of 16 lanes): x = (k/16) ln2 + r,
 * |r| <= ln2/32, e^x = 2^floor(k/16) 2^((k mod 16)/16) e^r, the table entry
 * as hi + lo (hi rounded, lo its error), e^r - 1 = r + r^2 (C2 + C3 r)
 * (Remez for the least maximum relative error of e^r: 2^-28.7). */
#define NN__EXP16_LOG2E  23.0831203f        /* 16 / ln2                    */
#define NN__EXP16_LN2_HI 4.33216989e-2f     /* ln2/16, hi + lo             */
#define NN__EXP16_LN2_LO -1.19040888e-10f
#define NN__EXP16_C2 0.500019550f
#define NN__EXP16_C3 0.166670576f
#define NN__EXP16_SHIFT 12582912.0f         /* 1.5 2^23: k in the low bits */
/* AVX2 (one 8-lane permute): the same with 8 entries, |r| <= ln2/16 and
 * e^r - 1 = r + r^2 (C2 + C3 r + C4 r^2) (2^-32.4) */
#define NN__EXP8_LOG2E  11.5415602f         /* 8 / ln2                     */
#define NN__EXP8_LN2_HI 8.66433978e-2f      /* ln2/8, hi + lo              */
#define NN__EXP8_LN2_LO -2.38081777e-10f
#define NN__EXP8_SHIFT 12583928.0f          /* 1.5 2^23 + 8 127            */
#define NN__EXP8_C3 0.166680530f
#define NN__EXP8_C4 0.0416603088f
#define NN__EXP8_HI                                                           \
    1.000000000e+00f, 1.090507746e+00f, 1.189207077e+00f, 1.296839595e+00f,  \
    1.414213538e+00f, 1.542210817e+00f, 1.681792855e+00f, 1.834008098e+00f
#define NN__EXP8_LO                                                           \
    0.000000000e+00f, -1.307753994e-08f, 3.797635273e-08f, -4.018999533e-08f, \
    2.420323497e-08f, 8.070904833e-09f, -2.475532668e-08f, -1.123927795e-08f
#define NN__EXP16_HI                                                          \
    1.000000000e+00f, 1.044273734e+00f, 1.090507746e+00f, 1.138788581e+00f,  \
    1.189207077e+00f, 1.241857767e+00f, 1.296839595e+00f, 1.354255557e+00f,  \
    1.414213538e+00f, 1.476826191e+00f, 1.542210817e+00f, 1.610490322e+00f,  \
    1.681792855e+00f, 1.756252170e+00f, 1.834008098e+00f, 1.915206552e+00f
#define NN__EXP16_LO                                                          \
    0.000000000e+00f, 4.833470157e-08f, -1.307753994e-08f, 5.386222313e-08f,  \
    3.797635273e-08f, 4.496838102e-08f, -4.018999533e-08f, -1.012334927e-08f, \
    2.420323497e-08f, -4.500898854e-08f, 8.070904833e-09f, 9.836217174e-09f,  \
    -2.475532668e-08f, -9.235770371e-09f, -1.123927795e-08f, 9.845328108e-09f
/* log: x = 2^k m, m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact),
 * log(1 + f) = f - f^2/2 + f^3 L(f) with Cephes' logf minimax L (degree 8);
 * k ln2 added as k * C1 (exact, 9 bits) + k * C2. */
/* losses from probabilities clamp p to [PMIN, 1 - PMIN] inside the logs */
#define NN__LOSS_PMIN 1e-7f
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

/* The element-wise entries of one table: nn__<op>_<isa> for every op. */
#define NN__FILL_ELEMWISE(k, isa)                                             \
    do {                                                                      \
        (k)->act_fwd[NN_ACT_STEP] = nn__step_fwd_##isa;                       \
        (k)->act_bwd[NN_ACT_STEP] = nn__step_bwd_##isa;                       \
        (k)->act_fwd[NN_ACT_SIGMOID] = nn__sigmoid_fwd_##isa;                 \
        (k)->act_bwd[NN_ACT_SIGMOID] = nn__sigmoid_bwd_##isa;                 \
        (k)->act_fwd[NN_ACT_TANH] = nn__tanh_fwd_##isa;                       \
        (k)->act_bwd[NN_ACT_TANH] = nn__tanh_bwd_##isa;                       \
        (k)->act_fwd[NN_ACT_RELU] = nn__relu_fwd_##isa;                       \
        (k)->act_bwd[NN_ACT_RELU] = nn__relu_bwd_##isa;                       \
        (k)->act_fwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_fwd_##isa;           \
        (k)->act_bwd[NN_ACT_LEAKY_RELU] = nn__leaky_relu_bwd_##isa;           \
        (k)->act_fwd[NN_ACT_SOFTPLUS] = nn__softplus_fwd_##isa;               \
        (k)->act_bwd[NN_ACT_SOFTPLUS] = nn__softplus_bwd_##isa;               \
        (k)->act_fwd[NN_ACT_SOFTMAX] = nn__softmax_fwd_##isa;                 \
        (k)->act_bwd[NN_ACT_SOFTMAX] = nn__softmax_bwd_##isa;                 \
        (k)->softmax_rows = nn__softmax_rows_##isa;                           \
        (k)->log_softmax_rows = nn__log_softmax_rows_##isa;                   \
        (k)->exp = nn__exp_fwd_##isa;                                         \
        (k)->log = nn__log_fwd_##isa;                                         \
        (k)->softmax_xent_rows = nn__softmax_xent_rows_##isa;                 \
        (k)->sigmoid_xent = nn__sigmoid_xent_##isa;                           \
        (k)->loss[NN_LOSS_MSE] = nn__mse_##isa;                               \
        (k)->loss[NN_LOSS_MAE] = nn__mae_##isa;                               \
        (k)->loss[NN_LOSS_HUBER] = nn__huber_##isa;                           \
        (k)->loss[NN_LOSS_BCE] = nn__bce_##isa;                               \
        (k)->loss[NN_LOSS_SOFTMAX_CE] = nn__ce_##isa;                         \
    } while (0)

NN__INTERNAL void nn__exp_fwd_scalar(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = expf(x[i]);
}
NN__INTERNAL void nn__log_fwd_scalar(size_t n, const float *x, float *y)
{
    size_t i;
    for (i = 0; i < n; i++) y[i] = logf(x[i]);
}
/* Fused losses (see nn_kernels): rows with y_j = 0 add nothing, so a -inf
 * logit with a zero target costs no 0 * inf. */
NN__INTERNAL double nn__softmax_xent_rows_scalar(int rows, int cols, const float *z,
                                                 const float *y, float gscale, float *dz)
{
    int r, j;
    double sum = 0.0;
    for (r = 0; r < rows; r++) {
        const float *zr = z + (size_t)r * cols, *yr = y + (size_t)r * cols;
        float *dr = dz ? dz + (size_t)r * cols : NULL;
        float m = nn__row_max_scalar(cols, zr);
        float s = nn__row_expsum_scalar(cols, zr, m, dr), inv = 1.0f / s, ls = logf(s);
        for (j = 0; j < cols; j++) {
            if (yr[j] != 0.0f) sum += (double)(yr[j] * (ls - (zr[j] - m)));
            if (dr) dr[j] = (dr[j] * inv - yr[j]) * gscale;
        }
    }
    return sum;
}
NN__INTERNAL double nn__sigmoid_xent_scalar(int rows, int cols, const float *z,
                                            const float *y, float gscale, float *dz)
{
    size_t i, n = (size_t)rows * cols;
    double sum = 0.0;
    for (i = 0; i < n; i++) {
        float v = z[i], e = expf(-fabsf(v));      /* once for both */
        float sp = (v > 0.0f ? v : 0.0f) + log1pf(e);
        sum += (double)(sp - y[i] * v);
        if (dz) dz[i] = (nn__sigmoid_ef(v, e) - y[i]) * gscale;
    }
    return sum;
}

/* -- scalar element losses (nn__loss_fn): probabilities are clamped to
 * [PMIN, 1 - PMIN] inside the logs of BCE and CE computed from h (not from
 * logits), so a saturated output gives a large finite loss, not inf -- */
NN__INTERNAL double nn__loss_scalar(nn_loss l, size_t n, const float *h,
                                    const float *y, float delta, float gscale,
                                    float *grad)
{
    size_t i;
    double sum = 0.0;
    const float pmin = NN__LOSS_PMIN;
    for (i = 0; i < n; i++) {
        float e = h[i] - y[i], g = 0.0f, p;
        switch (l) {
        case NN_LOSS_MSE:
            sum += 0.5 * (double)e * e; g = e; break;
        case NN_LOSS_MAE:
            sum += fabs((double)e); g = e > 0.0f ? 1.0f : (e < 0.0f ? -1.0f : 0.0f); break;
        case NN_LOSS_HUBER:
            if (fabsf(e) <= delta) { sum += 0.5 * (double)e * e; g = e; }
            else { sum += (double)delta * (fabs((double)e) - 0.5 * delta);
                   g = e > 0.0f ? delta : -delta; }
            break;
        case NN_LOSS_BCE:
            p = h[i] < pmin ? pmin : (h[i] > 1.0f - pmin ? 1.0f - pmin : h[i]);
            sum -= y[i] * log((double)p) + (1.0 - y[i]) * log(1.0 - (double)p);
            g = (p - y[i]) / (p * (1.0f - p));
            break;
        case NN_LOSS_SOFTMAX_CE:
            p = h[i] < pmin ? pmin : h[i];
            if (y[i] != 0.0f) sum -= y[i] * log((double)p);
            g = -y[i] / p;
            break;
        default: break;
        }
        if (grad) grad[i] = g * gscale;
    }
    return sum;
}
#define NN__SCALAR_LOSS(name, which)                                          \
    NN__INTERNAL double nn__##name##_scalar(size_t n, const float *h,         \
                                            const float *y, float delta,      \
                                            float gscale, float *grad)        \
    {                                                                         \
        return nn__loss_scalar(which, n, h, y, delta, gscale, grad);          \
    }
NN__SCALAR_LOSS(mse, NN_LOSS_MSE)
NN__SCALAR_LOSS(mae, NN_LOSS_MAE)
NN__SCALAR_LOSS(huber, NN_LOSS_HUBER)
NN__SCALAR_LOSS(bce, NN_LOSS_BCE)
NN__SCALAR_LOSS(ce, NN_LOSS_SOFTMAX_CE)

NN__INTERNAL void nn__fill_scalar(nn_kernels *k)
{
    memset(k, 0, sizeof *k);
    k->act_fwd[NN_ACT_IDENTITY] = nn__identity_fwd;
    k->act_bwd[NN_ACT_IDENTITY] = nn__identity_bwd;
    NN__FILL_ELEMWISE(k, scalar);
}

/* -- scalar GEMM micro-kernel -- */

/* Shared by every ISA's micro-kernel for edge tiles and strided C: combine
 * an m x n block of the accumulator tile t (row stride ldt) into C. */
NN__INTERNAL void nn__gemm_tile_store(const float *t, int ldt, float alpha,
                                      float *C, ptrdiff_t rsc, ptrdiff_t csc,
                                      int m, int n, float beta)
{
    int i, j;
    for (i = 0; i < m; i++) {
        float *c = C + i * rsc;
        const float *ti = t + (size_t)i * ldt;
        if (beta == 0.0f)
            for (j = 0; j < n; j++) c[j * csc] = alpha * ti[j];
        else
            for (j = 0; j < n; j++)
                c[j * csc] = alpha * ti[j] + beta * c[j * csc];
    }
}

/* Row pointers of an MR-row micro-panel of A: row i >= m aliases row 0,
 * so the kernels never read outside the user's A. */
NN__INTERNAL void nn__gemm_rows(const float *a, ptrdiff_t rsa, int m, int mr,
                                const float **rows)
{
    int i;
    for (i = 0; i < mr; i++) rows[i] = a + (i < m ? i * rsa : 0);
}

/* Pack rows [0,mn) x k columns of X(i,p) = x[i*rs + p*cs] as k groups at
 * stride ld, each group r floats: mn values, then zeros. */
NN__INTERNAL void nn__gemm_pack_part(int mn, int k, const float *x,
                                     ptrdiff_t rs, ptrdiff_t cs, int r,
                                     int ld, float *dst)
{
    int i, p;
    if (cs == 1) {              /* rows contiguous along k: scatter by ld */
        for (i = 0; i < mn; i++) {
            const float *xi = x + i * rs;
            for (p = 0; p < k; p++) dst[(size_t)p * ld + i] = xi[p];
        }
    } else {                    /* a group is r values down one column */
        for (p = 0; p < k; p++) {
            const float *xp = x + p * cs;
            float *d = dst + (size_t)p * ld;
            if (rs == 1) for (i = 0; i < mn; i++) d[i] = xp[i];
            else for (i = 0; i < mn; i++) d[i] = xp[i * rs];
        }
    }
    if (mn < r)
        for (p = 0; p < k; p++)
            for (i = mn; i < r; i++) dst[(size_t)p * ld + i] = 0.0f;
}

/* Portable packer (and every ISA's fallback for the cases it does not
 * vectorize): one panel, k groups of r floats, zero padded. */
NN__INTERNAL void nn__gemm_pack_scalar(int mn, int k, const float *x,
                                       ptrdiff_t rs, ptrdiff_t cs, int r,
                                       float *dst)
{
    nn__gemm_pack_part(mn, k, x, rs, cs, r, r, dst);
}

#define NN__SC_MR 4
#define NN__SC_NR 4
NN__INTERNAL void nn__gemm_ukr_scalar(int kc, float alpha, const float *a,
                                      ptrdiff_t rsa, ptrdiff_t csa,
                                      const float *b, ptrdiff_t rsb, float *C,
                                      ptrdiff_t rsc, ptrdiff_t csc, int m,
                                      int n, float beta)
{
    float t[NN__SC_MR * NN__SC_NR];
    const float *r[NN__SC_MR];
    int i, j, p;
    nn__gemm_rows(a, rsa, m, NN__SC_MR, r);
    for (i = 0; i < NN__SC_MR * NN__SC_NR; i++) t[i] = 0.0f;
    for (p = 0; p < kc; p++) {
        const float *bp = b + p * rsb;
        for (i = 0; i < NN__SC_MR; i++) {
            float av = r[i][p * csa];
            for (j = 0; j < NN__SC_NR; j++) t[i * NN__SC_NR + j] += av * bp[j];
        }
    }
    nn__gemm_tile_store(t, NN__SC_NR, alpha, C, rsc, csc, m, n, beta);
}

/* C(i,j) = alpha <A_i, B_j> + beta C(i,j): four independent partial sums
 * (fixed order, whatever the thread split). */
NN__INTERNAL void nn__gemm_dot_scalar(int M, int N, int K, float alpha,
                                      const float *A, ptrdiff_t lda,
                                      const float *B, ptrdiff_t ldb,
                                      float beta, float *C, ptrdiff_t ldc)
{
    int i, j, p;
    for (i = 0; i < M; i++) {
        const float *a = A + i * lda;
        for (j = 0; j < N; j++) {
            const float *b = B + j * ldb;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s;
            for (p = 0; p + 4 <= K; p += 4) {
                s0 += a[p] * b[p]; s1 += a[p + 1] * b[p + 1];
                s2 += a[p + 2] * b[p + 2]; s3 += a[p + 3] * b[p + 3];
            }
            for (; p < K; p++) s0 += a[p] * b[p];
            s = alpha * ((s0 + s1) + (s2 + s3));
            C[i * ldc + j] = beta == 0.0f ? s : s + beta * C[i * ldc + j];
        }
    }
}

/* The dot path of the AVX2 (8 lanes) and NEON (4 lanes) kernels, written
 * once: up to 4 rows of B share each load of A (named accumulators: an
 * array indexed in a loop would live in memory); vector partial sums,
 * fixed-order horizontal sums, scalar tail. V: the vector type, W: its
 * floats, ZERO/LD/FMA(a, b, acc)/HSUM: the ISA's operations. */
#define NN__DOT_BODY(V, W, ZERO, LD, FMA, HSUM)                            \
    int i, j, p, q;                                                        \
    for (i = 0; i < M; i++) {                                              \
        const float *a = A + i * lda;                                      \
        for (j = 0; j < N; j += 4) {                                       \
            int nb = N - j < 4 ? N - j : 4, pp;                            \
            const float *b[4];                                             \
            V s0 = ZERO, s1 = s0, s2 = s0, s3 = s0, va;                    \
            float r[4];                                                    \
            b[0] = B + j * ldb;                                            \
            b[1] = nb > 1 ? b[0] + ldb : b[0];                             \
            b[2] = nb > 2 ? b[1] + ldb : b[0];                             \
            b[3] = nb > 3 ? b[2] + ldb : b[0];                             \
            for (p = 0; p + W <= K; p += W) {                              \
                va = LD(a + p);                                            \
                s0 = FMA(va, LD(b[0] + p), s0);                            \
                s1 = FMA(va, LD(b[1] + p), s1);                            \
                s2 = FMA(va, LD(b[2] + p), s2);                            \
                s3 = FMA(va, LD(b[3] + p), s3);                            \
            }                                                              \
            r[0] = HSUM(s0); r[1] = HSUM(s1);                              \
            r[2] = HSUM(s2); r[3] = HSUM(s3);                              \
            for (q = 0; q < nb; q++) {                                     \
                float *c = C + i * ldc + j + q;                            \
                for (pp = p; pp < K; pp++) r[q] += a[pp] * b[q][pp];       \
                *c = beta == 0.0f ? alpha * r[q] : alpha * r[q] + beta * *c; \
            }                                                              \
        }                                                                  \
    }

/* The optimizer pass of the AVX2 (W = 8) and NEON (W = 4) kernels over n
 * floats, given their one-vector step STEP(a, w, g, m, v): full vectors,
 * then the tail through the same step on zero-padded copies, so every
 * element gets the same arithmetic wherever a call starts (a data-parallel
 * step slices the parameters at other points than one whole pass). */
#define NN__OPT_PADDED_BODY(W, STEP)                                       \
    size_t i, t;                                                           \
    float tw[W] = {0}, tg[W] = {0}, tm[W] = {0}, tv[W] = {0};              \
    int moments = a->kind != NN_OPT_SGD, adam = a->kind == NN_OPT_ADAM;    \
    for (i = 0; i + W <= n; i += W) STEP(a, w + i, g + i, m + i, v + i);   \
    if (i == n) return;                                                    \
    t = (n - i) * sizeof(float);                                           \
    memcpy(tw, w + i, t);                                                  \
    memcpy(tg, g + i, t);                                                  \
    if (moments) memcpy(tm, m + i, t);                                     \
    if (adam) memcpy(tv, v + i, t);                                        \
    STEP(a, tw, tg, tm, tv);                                               \
    memcpy(w + i, tw, t);                                                  \
    if (moments) memcpy(m + i, tm, t);                                     \
    if (adam) memcpy(v + i, tv, t);

/* C_i = alpha sum_p A(i,p) B_p + beta C_i, one row of C at a time, in
 * column chunks so the partial sums stay in registers. */
NN__INTERNAL void nn__gemm_axpy_scalar(int M, int N, int K, float alpha,
                                       const float *A, ptrdiff_t rsa,
                                       ptrdiff_t csa, const float *B,
                                       ptrdiff_t ldb, float beta, float *C,
                                       ptrdiff_t ldc)
{
    int i, j, j1, p;
    float acc[16];
    for (i = 0; i < M; i++) {
        float *c = C + i * ldc;
        for (j = 0; j < N; j += 16) {
            int w = N - j < 16 ? N - j : 16;
            for (j1 = 0; j1 < w; j1++) acc[j1] = 0.0f;
            for (p = 0; p < K; p++) {
                float a = A[i * rsa + p * csa];
                const float *b = B + p * ldb + j;
                for (j1 = 0; j1 < w; j1++) acc[j1] += a * b[j1];
            }
            for (j1 = 0; j1 < w; j1++)
                c[j + j1] = beta == 0.0f ? alpha * acc[j1]
                                         : alpha * acc[j1] + beta * c[j + j1];
        }
    }
}

/* ======================================================================== */
/* 2.4 AVX2 kernels                                                         */
/* ======================================================================== */
#if NN__X86
#define NN__TARGET_AVX2 __attribute__((target("avx,avx2,fma")))

/* lanes [0, left) of a tail, as a maskload/maskstore mask */
NN__TARGET_AVX2 static inline __m256i nn__tail8(size_t left)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* -- AVX2 optimizer kernel (8 lanes; the tail through a zero-padded copy) -- */
NN__TARGET_AVX2 static inline void nn__opt8_avx2(const nn__opt_args *a,
                                                 float *w, const float *grad,
                                                 float *m, float *v)
{
    __m256 zero = _mm256_setzero_ps(), M, V;
    __m256 W = _mm256_loadu_ps(w), G = _mm256_loadu_ps(grad);
    __m256 lr = _mm256_set1_ps(a->lr);
    if (a->l2 != 0.0f) G = _mm256_fmadd_ps(_mm256_set1_ps(a->l2), W, G);
    if (a->l1 != 0.0f) {
        __m256 l1 = _mm256_set1_ps(a->l1);
        G = _mm256_add_ps(G, _mm256_and_ps(_mm256_cmp_ps(W, zero, _CMP_GT_OQ), l1));
        G = _mm256_sub_ps(G, _mm256_and_ps(_mm256_cmp_ps(W, zero, _CMP_LT_OQ), l1));
    }
    switch (a->kind) {
    case NN_OPT_SGD:
        W = _mm256_fnmadd_ps(lr, G, W);
        break;
    case NN_OPT_MOMENTUM:
    case NN_OPT_NESTEROV:
        M = _mm256_fnmadd_ps(lr, G, _mm256_mul_ps(_mm256_set1_ps(a->mu), _mm256_loadu_ps(m)));
        _mm256_storeu_ps(m, M);
        if (a->kind == NN_OPT_MOMENTUM) W = _mm256_add_ps(W, M);
        else W = _mm256_add_ps(W, _mm256_fnmadd_ps(lr, G, _mm256_mul_ps(_mm256_set1_ps(a->mu), M)));
        break;
    case NN_OPT_ADAM:
        M = _mm256_fmadd_ps(_mm256_set1_ps(a->b1), _mm256_loadu_ps(m),
                            _mm256_mul_ps(_mm256_set1_ps(1.0f - a->b1), G));
        V = _mm256_fmadd_ps(_mm256_set1_ps(a->b2), _mm256_loadu_ps(v),
                            _mm256_mul_ps(_mm256_set1_ps(1.0f - a->b2), _mm256_mul_ps(G, G)));
        _mm256_storeu_ps(m, M);
        _mm256_storeu_ps(v, V);
        W = _mm256_sub_ps(W, _mm256_div_ps(
                _mm256_mul_ps(lr, _mm256_div_ps(M, _mm256_set1_ps(a->bc1))),
                _mm256_add_ps(_mm256_sqrt_ps(_mm256_div_ps(V, _mm256_set1_ps(a->bc2))),
                              _mm256_set1_ps(a->eps))));
        break;
    }
    _mm256_storeu_ps(w, W);
}
NN__TARGET_AVX2 static void nn__opt_avx2(const nn__opt_args *a, size_t n,
                                         float *w, const float *g, float *m,
                                         float *v)
{
    NN__OPT_PADDED_BODY(8, nn__opt8_avx2)
}

/* -- AVX2 GEMM micro-kernel and packers -- */

/* The x86 micro-kernel, written once for both vector widths: an MR x 2W
 * tile (P: the intrinsics prefix, V: the vector type, W: its floats),
 * two vectors of B and one broadcast of A per row and k, C prefetched
 * while the tile computes; short tiles store their m rows, narrow ones go
 * through a local tile.
 * ROWS(F, ...) applies F to each row index 0..MR-1. */
#define NN__UK_ZERO(P, V, W, i) V c##i##0 = P##_setzero_ps(), c##i##1 = c##i##0;
#define NN__UK_ROW(P, V, W, i)                                             \
    a = P##_set1_ps(r[i][q]);                                              \
    c##i##0 = P##_fmadd_ps(a, b0, c##i##0);                                \
    c##i##1 = P##_fmadd_ps(a, b1, c##i##1);
#define NN__UK_PUT(P, V, W, i)                                             \
    P##_storeu_ps(t + i * 2 * W, c##i##0);                                 \
    P##_storeu_ps(t + i * 2 * W + W, c##i##1);
#define NN__UK_STORE(P, V, W, i)                                           \
    if (i < m) {                                                           \
        c##i##0 = P##_mul_ps(va, c##i##0);                                 \
        c##i##1 = P##_mul_ps(va, c##i##1);                                 \
        if (beta != 0.0f) {                                                \
            c##i##0 = P##_fmadd_ps(vb, P##_loadu_ps(C + i * rsc), c##i##0); \
            c##i##1 = P##_fmadd_ps(vb, P##_loadu_ps(C + i * rsc + W), c##i##1); \
        }                                                                  \
        P##_storeu_ps(C + i * rsc, c##i##0);                               \
        P##_storeu_ps(C + i * rsc + W, c##i##1);                           \
    }
#define NN__UKR_BODY(P, V, W, MR, ROWS)                                    \
    ROWS(NN__UK_ZERO, P, V, W)                                             \
    V a, b0, b1;                                                           \
    const float *r[MR];                                                    \
    ptrdiff_t q = 0;                                                       \
    int p, rows = n == 2 * W && csc == 1;   /* whole rows: vector stores */ \
    nn__gemm_rows(A, rsa, m, MR, r);                                       \
    if (rows)                                                              \
        for (p = 0; p < m; p++) {       /* C arrives while we compute */   \
            _mm_prefetch((const char *)(C + p * rsc), _MM_HINT_T0);        \
            _mm_prefetch((const char *)(C + p * rsc + W), _MM_HINT_T0);    \
        }                                                                  \
    for (p = 0; p < kc; p++, q += csa) {                                   \
        b0 = P##_loadu_ps(B);                                              \
        b1 = P##_loadu_ps(B + W);                                          \
        ROWS(NN__UK_ROW, P, V, W)                                          \
        B += rsb;                                                          \
    }                                                                      \
    if (rows) {                         /* rows past m: not stored */      \
        V va = P##_set1_ps(alpha), vb = P##_set1_ps(beta);                 \
        ROWS(NN__UK_STORE, P, V, W)                                        \
    } else {                                                               \
        float t[MR * 2 * W];                                               \
        ROWS(NN__UK_PUT, P, V, W)                                          \
        nn__gemm_tile_store(t, 2 * W, alpha, C, rsc, csc, m, n, beta);     \
    }
/* Row lists for ROWS, and one micro-kernel (gemm_ukr's signature) of MR
 * rows: TGT its target attribute. */
#define NN__ROWS4(F, P, V, W)                                              \
    F(P, V, W, 0) F(P, V, W, 1) F(P, V, W, 2) F(P, V, W, 3)
#define NN__ROWS6(F, P, V, W) NN__ROWS4(F, P, V, W) F(P, V, W, 4) F(P, V, W, 5)
#define NN__ROWS8(F, P, V, W) NN__ROWS6(F, P, V, W) F(P, V, W, 6) F(P, V, W, 7)
#define NN__UKR(TGT, name, P, V, W, MR, ROWS)                              \
TGT NN__INTERNAL void name(int kc, float alpha, const float *A,             \
                           ptrdiff_t rsa, ptrdiff_t csa, const float *B,   \
                           ptrdiff_t rsb, float *C, ptrdiff_t rsc,         \
                           ptrdiff_t csc, int m, int n, float beta)        \
{                                                                          \
    NN__UKR_BODY(P, V, W, MR, ROWS)                                        \
}

/* 6 x 16 tile: 12 ymm accumulators (two FMA pipes x latency 4 needs >= 8
 * independent chains), 2 for B, 1 broadcast of A: 15 of 16 registers. */
#define NN__Y_MR 6
#define NN__Y_NR 16
NN__UKR(NN__TARGET_AVX2, nn__gemm_ukr_avx2, _mm256, __m256, 8, NN__Y_MR,
        NN__ROWS6)
/* 4 x 16 for a row panel of 2 to 4 rows (batch 32 is 5 x 6 + 2): 8
 * chains, just enough for two FMA pipes of latency 4 */
NN__UKR(NN__TARGET_AVX2, nn__gemm_ukr4_avx2, _mm256, __m256, 8, 4, NN__ROWS4)

/* In-register 8 x 8 transpose of r[0..7]. */
NN__TARGET_AVX2 static inline void nn__tr8x8_avx2(__m256 *r)
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* Vectorized packing for full panels of r = 8k rows: rows contiguous along k
 * (op = no transpose for A, transpose for B) go through 8 x 8 transposes;
 * columns contiguous are straight vector copies. AVX-512 uses it too. */
NN__TARGET_AVX2 NN__INTERNAL void nn__gemm_pack_avx2(int mn, int k,
                                                     const float *x,
                                                     ptrdiff_t rs,
                                                     ptrdiff_t cs, int r,
                                                     float *dst)
{
    __m256 v[8];
    int p = 0, g, i, m8 = mn & ~7;
    if (r & 7) {
        nn__gemm_pack_scalar(mn, k, x, rs, cs, r, dst);
        return;
    }
    if (cs == 1) {
        /* groups of 8 rows: 8 x 8 transposes; the last mn % 8 rows and the
         * zero padding: scalar */
        for (; p + 8 <= k; p += 8)
            for (g = 0; g < m8; g += 8) {
                for (i = 0; i < 8; i++)
                    v[i] = _mm256_loadu_ps(x + (g + i) * rs + p);
                nn__tr8x8_avx2(v);
                for (i = 0; i < 8; i++)
                    _mm256_storeu_ps(dst + (size_t)(p + i) * r + g, v[i]);
            }
        if (m8 < r)
            nn__gemm_pack_part(mn - m8, p, x + m8 * rs, rs, cs, r - m8,
                               r, dst + m8);
        if (p < k)
            nn__gemm_pack_scalar(mn, k - p, x + p, rs, cs, r,
                                 dst + (size_t)p * r);
    } else if (rs == 1) {
        for (; p < k; p++) {
            const float *xp = x + p * cs;
            float *d = dst + (size_t)p * r;
            for (g = 0; g < m8; g += 8)
                _mm256_storeu_ps(d + g, _mm256_loadu_ps(xp + g));
            for (g = m8; g < mn; g++) d[g] = xp[g];
            for (; g < r; g++) d[g] = 0.0f;
        }
    } else {
        nn__gemm_pack_scalar(mn, k, x, rs, cs, r, dst);
    }
}

/* Horizontal sum of 8 lanes, fixed order (no reduce intrinsics: some of
 * gcc's use undefined vectors that -Wuninitialized flags in C++). */
NN__TARGET_AVX2 static inline float nn__hsum8_avx2(__m256 a)
{
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(_mm_add_ss(b, _mm_movehdup_ps(b)));
}

/* Dot-product path (batch-1 forward x W^T): section 2.3's NN__DOT_BODY. */
NN__TARGET_AVX2 NN__INTERNAL void nn__gemm_dot_avx2(int M, int N, int K,
                                                    float alpha, const float *A,
                                                    ptrdiff_t lda, const float *B,
                                                    ptrdiff_t ldb, float beta,
                                                    float *C, ptrdiff_t ldc)
{
    NN__DOT_BODY(__m256, 8, _mm256_setzero_ps(), _mm256_loadu_ps,
                 _mm256_fmadd_ps, nn__hsum8_avx2)
}

/* Row-update path (batch-1 backward, rank-few updates): C_i over column
 * chunks of 32 held in registers while p runs over K. */
#define NN__Y_OUT(ptr, s)                                                  \
    {                                                                      \
        __m256 v_ = _mm256_mul_ps(val, s);                                 \
        if (beta != 0.0f) v_ = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ptr), v_); \
        _mm256_storeu_ps(ptr, v_);                                         \
    }
NN__TARGET_AVX2 NN__INTERNAL void nn__gemm_axpy_avx2(
    int M, int N, int K, float alpha, const float *A, ptrdiff_t rsa,
    ptrdiff_t csa, const float *B, ptrdiff_t ldb, float beta, float *C,
    ptrdiff_t ldc)
{
    __m256 val = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    int i, j, p;
    for (i = 0; i < M; i++) {
        const float *a = A + i * rsa;
        float *c = C + i * ldc;
        for (j = 0; j + 32 <= N; j += 32) {
            __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
            for (p = 0; p < K; p++) {
                __m256 va = _mm256_broadcast_ss(a + p * csa);
                const float *b = B + p * ldb + j;
                s0 = _mm256_fmadd_ps(va, _mm256_loadu_ps(b), s0);
                s1 = _mm256_fmadd_ps(va, _mm256_loadu_ps(b + 8), s1);
                s2 = _mm256_fmadd_ps(va, _mm256_loadu_ps(b + 16), s2);
                s3 = _mm256_fmadd_ps(va, _mm256_loadu_ps(b + 24), s3);
            }
            NN__Y_OUT(c + j, s0) NN__Y_OUT(c + j + 8, s1)
            NN__Y_OUT(c + j + 16, s2) NN__Y_OUT(c + j + 24, s3)
        }
        for (; j + 8 <= N; j += 8) {
            __m256 s0 = _mm256_setzero_ps();
            for (p = 0; p < K; p++)
                s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + p * csa),
                                     _mm256_loadu_ps(B + p * ldb + j), s0);
            NN__Y_OUT(c + j, s0)
        }
        if (j < N) {    /* masked: the vector lanes' arithmetic, any split */
            __m256i mk = nn__tail8((size_t)(N - j));
            __m256 s0 = _mm256_setzero_ps(), v;
            for (p = 0; p < K; p++)
                s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + p * csa),
                                     _mm256_maskload_ps(B + p * ldb + j, mk), s0);
            v = _mm256_mul_ps(val, s0);
            if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + j, mk), v);
            _mm256_maskstore_ps(c + j, mk, v);
        }
    }
}

/* -- AVX2 element-wise kernels -- */
/* horizontal max of 8 lanes, fixed order (the sum is nn__hsum8_avx2) */
NN__TARGET_AVX2 static inline float nn__hmax8_avx2(__m256 a)
{
    __m128 b = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_max_ps(b, _mm_movehl_ps(b, b));
    return _mm_cvtss_f32(_mm_max_ss(b, _mm_movehdup_ps(b)));
}

#define NN__V8(c) _mm256_set1_ps(c)
#define NN__V8I(c) _mm256_set1_epi32(c)
/* Element-wise bodies that AVX2 and AVX-512 share word for word, written
 * once over the intrinsics prefix PFX (_mm256 / _mm512), vector type VT
 * and suffix ISA; each section instantiates them where its own helpers
 * are defined (they call nn__exp_neg_##ISA, nn__log_##ISA, ...).
 * log1p_tail: log(1 + f) - f for f in [sqrt(1/2) - 1, sqrt(2) - 1];
 * log_join: f + y + k ln2; sxent1 / mse1 / bce1: element losses returning
 * dL/dh with *l the loss (sxent1: sigmoid + BCE from the logits, loss
 * softplus(z) - y z, gradient sigmoid(z) - y, e^-|z| computed once). */
#define NN__X86_LOG1P_TAIL(TGT, PFX, VT, ISA)                              \
TGT static inline VT nn__log1p_tail_##ISA(VT f)                            \
{                                                                          \
    VT z = PFX##_mul_ps(f, f);                                             \
    VT p = PFX##_fmadd_ps(PFX##_set1_ps(NN__LOG_L0), f,                    \
                          PFX##_set1_ps(NN__LOG_L1));                      \
    p = PFX##_fmadd_ps(p, f, PFX##_set1_ps(NN__LOG_L2));                   \
    p = PFX##_fmadd_ps(p, f, PFX##_set1_ps(NN__LOG_L3));                   \
    p = PFX##_fmadd_ps(p, f, PFX##_set1_ps(NN__LOG_L4));                   \
    p = PFX##_fmadd_ps(p, f, PFX##_set1_ps(NN__LOG_L5));                   \
    p = PFX##_fmadd_ps(p, f, PFX##_set1_ps(NN__LOG_L6));                   \
    p = PFX##_fmadd_ps(p, f, PFX##_set1_ps(NN__LOG_L7));                   \
    p = PFX##_fmadd_ps(p, f, PFX##_set1_ps(NN__LOG_L8));                   \
    p = PFX##_mul_ps(PFX##_mul_ps(f, z), p);                               \
    return PFX##_fnmadd_ps(PFX##_set1_ps(0.5f), z, p);                     \
}
#define NN__X86_LOG_JOIN(TGT, PFX, VT, ISA)                                \
TGT static inline VT nn__log_join_##ISA(VT f, VT y, VT k)                  \
{                                                                          \
    y = PFX##_fmadd_ps(k, PFX##_set1_ps(NN__LOG_C2), y);                   \
    return PFX##_fmadd_ps(k, PFX##_set1_ps(NN__LOG_C1), PFX##_add_ps(f, y)); \
}
#define NN__X86_SIGMOID(TGT, PFX, VT, ISA)                                 \
TGT static inline VT nn__exp_negabs_##ISA(VT x)                            \
{                                                                          \
    return nn__exp_neg_##ISA(PFX##_or_ps(x, PFX##_set1_ps(-0.0f)));        \
}                                                                          \
TGT static inline VT nn__sigmoid_##ISA(VT x)                               \
{                                                                          \
    return nn__sigmoid_e_##ISA(x, nn__exp_negabs_##ISA(x));                \
}
#define NN__X86_SOFTPLUS(TGT, PFX, VT, ISA)                                \
TGT static inline VT nn__softplus_##ISA(VT x)                              \
{                                                                          \
    return nn__softplus_e_##ISA(x, nn__exp_negabs_##ISA(x));               \
}
#define NN__X86_SIGMOID_D(TGT, PFX, VT, ISA)                               \
TGT static inline VT nn__sigmoid_d_##ISA(VT y, VT dy)                      \
{                                                                          \
    return PFX##_mul_ps(dy, PFX##_mul_ps(y, PFX##_sub_ps(PFX##_set1_ps(1.0f), y))); \
}
#define NN__X86_TANH_D(TGT, PFX, VT, ISA)                                  \
TGT static inline VT nn__tanh_d_##ISA(VT y, VT dy)                         \
{                                                                          \
    return PFX##_mul_ps(dy, PFX##_mul_ps(PFX##_sub_ps(PFX##_set1_ps(1.0f), y), \
                                         PFX##_add_ps(PFX##_set1_ps(1.0f), y))); \
}
#define NN__X86_STEP_D(TGT, PFX, VT, ISA)                                  \
TGT static inline VT nn__step_d_##ISA(VT y, VT dy)                         \
{                                                                          \
    (void)y; (void)dy;                                                     \
    return PFX##_setzero_ps();                                             \
}
#define NN__X86_SXENT1(TGT, PFX, VT, ISA)                                  \
TGT static inline VT nn__sxent1_##ISA(VT z, VT y, VT d, VT *l)             \
{                                                                          \
    VT e = nn__exp_negabs_##ISA(z);                                        \
    (void)d;                                                               \
    *l = PFX##_fnmadd_ps(y, z, nn__softplus_e_##ISA(z, e));                \
    return PFX##_sub_ps(nn__sigmoid_e_##ISA(z, e), y);                     \
}
#define NN__X86_MSE1(TGT, PFX, VT, ISA)                                    \
TGT static inline VT nn__mse1_##ISA(VT h, VT y, VT d, VT *l)               \
{                                                                          \
    VT e = PFX##_sub_ps(h, y);                                             \
    (void)d;                                                               \
    *l = PFX##_mul_ps(PFX##_mul_ps(PFX##_set1_ps(0.5f), e), e);            \
    return e;                                                              \
}
#define NN__X86_BCE1(TGT, PFX, VT, ISA)                                    \
TGT static inline VT nn__bce1_##ISA(VT h, VT y, VT d, VT *l)               \
{                                                                          \
    VT one = PFX##_set1_ps(1.0f);                                          \
    VT p = PFX##_max_ps(PFX##_set1_ps(NN__LOSS_PMIN),                      \
                        PFX##_min_ps(PFX##_set1_ps(1.0f - NN__LOSS_PMIN), h)); \
    VT q = PFX##_sub_ps(one, p);                                           \
    (void)d;                                                               \
    *l = PFX##_sub_ps(PFX##_setzero_ps(),                                  \
                      PFX##_fmadd_ps(y, nn__log_##ISA(p),                  \
                                     PFX##_mul_ps(PFX##_sub_ps(one, y),    \
                                                  nn__log_##ISA(q))));     \
    return PFX##_div_ps(PFX##_sub_ps(p, y), PFX##_mul_ps(p, q));           \
}
/* MAE: |e| and sign(e) (nn__sign_##ISA: +-1, 0 for 0 and NaN) */
#define NN__X86_MAE1(TGT, PFX, VT, ISA)                                    \
TGT static inline VT nn__mae1_##ISA(VT h, VT y, VT d, VT *l)               \
{                                                                          \
    VT e = PFX##_sub_ps(h, y);                                             \
    (void)d;                                                               \
    *l = PFX##_andnot_ps(PFX##_set1_ps(-0.0f), e);                         \
    return nn__sign_##ISA(e);                                              \
}
/* CE: -y log p (0 where y = 0, even at p = 0) and -y / p, p clamped */
#define NN__X86_CE1(TGT, PFX, VT, ISA)                                     \
TGT static inline VT nn__ce1_##ISA(VT h, VT y, VT d, VT *l)                \
{                                                                          \
    VT p = PFX##_max_ps(PFX##_set1_ps(NN__LOSS_PMIN), h);                  \
    VT ny = PFX##_xor_ps(y, PFX##_set1_ps(-0.0f));                         \
    (void)d;                                                               \
    *l = nn__keep_nz_##ISA(y, PFX##_mul_ps(ny, nn__log_##ISA(p)));         \
    return PFX##_div_ps(ny, p);                                            \
}
/* ln 2 rounded to float (tanh's one-constant reduction, see
 * nn__tanh_e_##ISA) */
#define NN__LN2_F 0.693147182f
/* e^r - 1 = r + r^2 P(r) for |r| <= ln2/2, P by Estrin (a shorter
 * dependency chain than Horner) */
#define NN__X86_EXPM1_POLY(TGT, PFX, VT, ISA)                              \
TGT static inline VT nn__expm1_poly_##ISA(VT r)                            \
{                                                                          \
    VT r2 = PFX##_mul_ps(r, r);                                            \
    VT a = PFX##_fmadd_ps(PFX##_set1_ps(NN__EXP_P3), r, PFX##_set1_ps(NN__EXP_P4)); \
    VT b = PFX##_fmadd_ps(PFX##_set1_ps(NN__EXP_P1), r, PFX##_set1_ps(NN__EXP_P2)); \
    a = PFX##_fmadd_ps(PFX##_fmadd_ps(PFX##_set1_ps(NN__EXP_P0), r2, b), r2, a); \
    return PFX##_fmadd_ps(a, r2, r);                                       \
}
/* tanh's E = e^(2 nx) - 1, nx = -|x| >= -15 (2 nx exact): x = n ln2 + r
 * with n from the shifted fma (2^n = nn__pow2_bits_##ISA(s), its low bits
 * holding n + 127), as nn__expm1_neg_avx512 but for two shortcuts that
 * cost tanh nothing measurable (exhaustive: the same maximum): r = 2 nx -
 * n ln2 with ln2 rounded to one float (e^(2 nx) off by a relative n 2^-29,
 * where tanh's ulp is 2^-24 of it or more once n != 0), and 2^n - 1 rounded
 * once (exact for n >= -24; below, |x| > 8.3 and tanh is within an ulp of
 * 1). NaN propagates through the max (second operand). */
#define NN__X86_TANH_E(TGT, PFX, VT, ISA)                                  \
TGT static inline VT nn__tanh_e_##ISA(VT x)                                \
{                                                                          \
    VT nx = PFX##_max_ps(PFX##_set1_ps(-15.0f),                            \
                         PFX##_or_ps(x, PFX##_set1_ps(-0.0f)));            \
    VT s = PFX##_fmadd_ps(nx, PFX##_set1_ps(2.0f * NN__LOG2E),             \
                          PFX##_set1_ps(NN__EXP_SHIFT));                   \
    VT n = PFX##_sub_ps(s, PFX##_set1_ps(NN__EXP_SHIFT));                  \
    VT a = nn__expm1_poly_##ISA(PFX##_fnmadd_ps(n, PFX##_set1_ps(NN__LN2_F), \
                                                PFX##_add_ps(nx, nx)));    \
    s = nn__pow2_bits_##ISA(s);                                            \
    return PFX##_fmadd_ps(s, a, PFX##_sub_ps(s, PFX##_set1_ps(1.0f)));     \
}
/* y = B(x, A(x)) over the first n - n % (4 W) elements (W lanes), in
 * blocks of 4 vectors: stage A of block j + 1 is issued between the stage
 * B's of block j, two register sets taking turns (no moves); B reloads x.
 * For the long dependency chains of sigmoid and tanh (~70 cycles from load
 * to store on Zen 4), which otherwise fill the scheduler with waiting
 * operations before the next vector's independent work is reached: the
 * same operations, 15-20% more elements per ns. Returns the count done. */
#define NN__X86_PIPE4(TGT, PFX, VT, W, name, A, B)                         \
TGT static inline size_t name(size_t n, const float *x, float *y)          \
{                                                                          \
    size_t i = 0, end = n - n % (4 * W);                                   \
    VT e0, e1, e2, e3, f0, f1, f2, f3;                                     \
    if (!end) return 0;                                                    \
    e0 = A(PFX##_loadu_ps(x)); e1 = A(PFX##_loadu_ps(x + W));              \
    e2 = A(PFX##_loadu_ps(x + 2 * W)); e3 = A(PFX##_loadu_ps(x + 3 * W));  \
    for (;;) {                                                             \
        if (i + 4 * W == end) { NN__X86_PIPE_B(PFX, W, e, B) break; }      \
        NN__X86_PIPE_AB(PFX, W, e, f, A, B)                                \
        if (i + 4 * W == end) { NN__X86_PIPE_B(PFX, W, f, B) break; }      \
        NN__X86_PIPE_AB(PFX, W, f, e, A, B)                                \
    }                                                                      \
    return end;                                                            \
}
/* one block: the next block's A into F (4 vectors from x + i + 4W) and
 * this block's B from E, i advanced; the last block: B only */
#define NN__X86_PIPE_AB(PFX, W, E, F, A, B)                                \
    F##0 = A(PFX##_loadu_ps(x + i + 4 * W));                               \
    PFX##_storeu_ps(y + i, B(PFX##_loadu_ps(x + i), E##0));                \
    F##1 = A(PFX##_loadu_ps(x + i + 5 * W));                               \
    PFX##_storeu_ps(y + i + W, B(PFX##_loadu_ps(x + i + W), E##1));        \
    F##2 = A(PFX##_loadu_ps(x + i + 6 * W));                               \
    PFX##_storeu_ps(y + i + 2 * W, B(PFX##_loadu_ps(x + i + 2 * W), E##2)); \
    F##3 = A(PFX##_loadu_ps(x + i + 7 * W));                               \
    PFX##_storeu_ps(y + i + 3 * W, B(PFX##_loadu_ps(x + i + 3 * W), E##3)); \
    i += 4 * W;
#define NN__X86_PIPE_B(PFX, W, E, B)                                       \
    PFX##_storeu_ps(y + i, B(PFX##_loadu_ps(x + i), E##0));                \
    PFX##_storeu_ps(y + i + W, B(PFX##_loadu_ps(x + i + W), E##1));        \
    PFX##_storeu_ps(y + i + 2 * W, B(PFX##_loadu_ps(x + i + 2 * W), E##2)); \
    PFX##_storeu_ps(y + i + 3 * W, B(PFX##_loadu_ps(x + i + 3 * W), E##3));
/* y = f(x) and dx = g(y, dy) loops on a tail interface (see
 * NN__X86_SOFTMAX_ROWS): full vectors from start, then one masked vector
 * (start: 0, or where NN__X86_PIPE4 stopped). */
#define NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, name, f, start)         \
TGT NN__INTERNAL void name(size_t n, const float *x, float *y)             \
{                                                                          \
    size_t i = start;                                                      \
    for (; i + W <= n; i += W) PFX##_storeu_ps(y + i, f(PFX##_loadu_ps(x + i))); \
    if (i < n) {                                                           \
        MT m = nn__tailm_##ISA(n - i);                                     \
        nn__store_tail_##ISA(y + i, m, f(nn__load_tail_##ISA(x + i, m)));  \
    }                                                                      \
}
#define NN__X86_MAP2(TGT, PFX, VT, MT, W, ISA, name, g)                    \
TGT NN__INTERNAL void name(size_t n, const float *y, const float *dy, float *dx) \
{                                                                          \
    size_t i = 0;                                                          \
    for (; i + W <= n; i += W)                                             \
        PFX##_storeu_ps(dx + i, g(PFX##_loadu_ps(y + i), PFX##_loadu_ps(dy + i))); \
    if (i < n) {                                                           \
        MT m = nn__tailm_##ISA(n - i);                                     \
        nn__store_tail_##ISA(dx + i, m, g(nn__load_tail_##ISA(y + i, m),   \
                                          nn__load_tail_##ISA(dy + i, m)));\
    }                                                                      \
}
/* All finite? fma(x, 0, s) adds an exact zero to s for a finite x and
 * makes s NaN for an inf or a NaN: one op a vector (x - x compared and
 * tested each vector ran at half the load rate), four independent sums,
 * looked at every 1024 floats so that a bad value ends the scan early. */
#define NN__X86_ALL_FINITE(TGT, PFX, VT, MT, W, ISA)                       \
TGT NN__INTERNAL int nn__all_finite_##ISA(size_t n, const float *x)        \
{                                                                          \
    const VT z = PFX##_setzero_ps();                                       \
    VT s0 = z, s1 = z, s2 = z, s3 = z;                                     \
    size_t i = 0, end;                                                     \
    float t;                                                               \
    while (n - i >= 4 * W) {                                               \
        end = n - i > 1024 ? i + 1024 : n - (n - i) % (4 * W);             \
        for (; i < end; i += 4 * W) {                                      \
            s0 = PFX##_fmadd_ps(PFX##_loadu_ps(x + i), z, s0);             \
            s1 = PFX##_fmadd_ps(PFX##_loadu_ps(x + i + W), z, s1);         \
            s2 = PFX##_fmadd_ps(PFX##_loadu_ps(x + i + 2 * W), z, s2);     \
            s3 = PFX##_fmadd_ps(PFX##_loadu_ps(x + i + 3 * W), z, s3);     \
        }                                                                  \
        t = nn__hsum_##ISA(PFX##_add_ps(PFX##_add_ps(s0, s1), PFX##_add_ps(s2, s3))); \
        if (t != t) return 0;                                              \
    }                                                                      \
    for (; i + W <= n; i += W) s0 = PFX##_fmadd_ps(PFX##_loadu_ps(x + i), z, s0); \
    if (i < n)                                                             \
        s0 = PFX##_fmadd_ps(nn__load_tail_##ISA(x + i, nn__tailm_##ISA(n - i)), z, s0); \
    t = nn__hsum_##ISA(s0);                                                \
    return t == t;                                                         \
}
/* Every element-wise loop of the kernel table (sigmoid, tanh, softplus
 * software-pipelined) and the finiteness check for one ISA. */
#define NN__X86_MAPS(TGT, PFX, VT, MT, W, ISA)                             \
NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, nn__exp_fwd_##ISA, nn__exp_##ISA, 0) \
NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, nn__log_fwd_##ISA, nn__log_##ISA, 0) \
NN__X86_PIPE4(TGT, PFX, VT, W, nn__sigmoid_pipe_##ISA, nn__exp_negabs_##ISA, \
              nn__sigmoid_e_##ISA)                                         \
NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, nn__sigmoid_fwd_##ISA, nn__sigmoid_##ISA, \
                 nn__sigmoid_pipe_##ISA(n, x, y))                          \
NN__X86_PIPE4(TGT, PFX, VT, W, nn__tanh_pipe_##ISA, nn__tanh_e_##ISA,      \
              nn__tanh_e_div_##ISA)                                        \
NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, nn__tanh_fwd_##ISA, nn__tanh_##ISA, \
                 nn__tanh_pipe_##ISA(n, x, y))                             \
NN__X86_PIPE4(TGT, PFX, VT, W, nn__softplus_pipe_##ISA, nn__exp_negabs_##ISA, \
              nn__softplus_e_##ISA)                                        \
NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, nn__softplus_fwd_##ISA, nn__softplus_##ISA, \
                 nn__softplus_pipe_##ISA(n, x, y))                         \
NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, nn__relu_fwd_##ISA, nn__relu_##ISA, 0) \
NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, nn__leaky_relu_fwd_##ISA,       \
                 nn__leaky_relu_##ISA, 0)                                  \
NN__X86_MAP_FROM(TGT, PFX, VT, MT, W, ISA, nn__step_fwd_##ISA, nn__step_##ISA, 0) \
NN__X86_MAP2(TGT, PFX, VT, MT, W, ISA, nn__sigmoid_bwd_##ISA, nn__sigmoid_d_##ISA) \
NN__X86_MAP2(TGT, PFX, VT, MT, W, ISA, nn__tanh_bwd_##ISA, nn__tanh_d_##ISA) \
NN__X86_MAP2(TGT, PFX, VT, MT, W, ISA, nn__softplus_bwd_##ISA, nn__softplus_d_##ISA) \
NN__X86_MAP2(TGT, PFX, VT, MT, W, ISA, nn__relu_bwd_##ISA, nn__relu_d_##ISA) \
NN__X86_MAP2(TGT, PFX, VT, MT, W, ISA, nn__leaky_relu_bwd_##ISA,           \
             nn__leaky_relu_d_##ISA)                                       \
NN__X86_MAP2(TGT, PFX, VT, MT, W, ISA, nn__step_bwd_##ISA, nn__step_d_##ISA) \
NN__X86_ALL_FINITE(TGT, PFX, VT, MT, W, ISA)
/* Row softmax and log-softmax (and the row max / sum of exps that softmax
 * + CE shares), written once over a per-ISA tail interface: W lanes, MT
 * the tail mask's type, nn__tailm_##ISA(left) the mask of the first left
 * lanes, nn__load_tail_##ISA(p, m) (zeros elsewhere), nn__load_fill_##ISA
 * (p, m, v) (v elsewhere), nn__store_tail_##ISA(p, m, v),
 * nn__keep_##ISA(m, v) (zeros elsewhere), nn__hsum_##ISA / nn__hmax_##ISA
 * (fixed order). row_max: the masked tail reads -inf; all -inf (or empty)
 * gives 0, so that x - max never computes inf - inf. row_expsum: the sum
 * of e^(x - mx), the terms stored to y unless y is NULL. row_scale:
 * y = a x (softmax: a = 1/sum) as fma(x, a, +0), -0 products giving +0
 * as the scalar kernel's. log-softmax: (x - max) -
 * log(sum), x - max rounded first as in the scalar kernel. */
#define NN__X86_SOFTMAX_ROWS(TGT, PFX, VT, MT, W, ISA)                     \
TGT static inline float nn__row_max_##ISA(int cols, const float *x)        \
{                                                                          \
    VT m = PFX##_set1_ps(-INFINITY);                                       \
    float r;                                                               \
    int j = 0;                                                             \
    for (; j + W <= cols; j += W) m = PFX##_max_ps(m, PFX##_loadu_ps(x + j)); \
    if (j < cols)                                                          \
        m = PFX##_max_ps(m, nn__load_fill_##ISA(x + j, nn__tailm_##ISA((size_t)(cols - j)), \
                                                -INFINITY));               \
    r = nn__hmax_##ISA(m);                                                 \
    return r == -INFINITY ? 0.0f : r;                                      \
}                                                                          \
TGT static inline float nn__row_expsum_##ISA(int cols, const float *x,     \
                                             float mx, float *y)           \
{                                                                          \
    VT s = PFX##_setzero_ps(), vm = PFX##_set1_ps(mx), e;                  \
    int j = 0;                                                             \
    for (; j + W <= cols; j += W) {                                        \
        e = nn__exp_##ISA(PFX##_sub_ps(PFX##_loadu_ps(x + j), vm));        \
        if (y) PFX##_storeu_ps(y + j, e);                                  \
        s = PFX##_add_ps(s, e);                                            \
    }                                                                      \
    if (j < cols) {                                                        \
        MT m = nn__tailm_##ISA((size_t)(cols - j));                        \
        e = nn__exp_##ISA(PFX##_sub_ps(nn__load_tail_##ISA(x + j, m), vm)); \
        if (y) nn__store_tail_##ISA(y + j, m, e);                          \
        s = PFX##_add_ps(s, nn__keep_##ISA(m, e));                         \
    }                                                                      \
    return nn__hsum_##ISA(s);                                              \
}                                                                          \
TGT static inline void nn__row_scale_##ISA(int cols, const float *x, float a, \
                                           float *y)                       \
{                                                                          \
    VT va = PFX##_set1_ps(a), vb = PFX##_setzero_ps();                     \
    int j = 0;                                                             \
    for (; j + W <= cols; j += W)                                          \
        PFX##_storeu_ps(y + j, PFX##_fmadd_ps(PFX##_loadu_ps(x + j), va, vb)); \
    if (j < cols) {                                                        \
        MT m = nn__tailm_##ISA((size_t)(cols - j));                        \
        nn__store_tail_##ISA(y + j, m, PFX##_fmadd_ps(nn__load_tail_##ISA(x + j, m), va, vb)); \
    }                                                                      \
}                                                                          \
TGT NN__INTERNAL void nn__softmax_rows_##ISA(int rows, int cols, const float *x, \
                                             float *y)                     \
{                                                                          \
    int r;                                                                 \
    for (r = 0; r < rows; r++) {                                           \
        const float *xr = x + (size_t)r * cols;                            \
        float *yr = y + (size_t)r * cols;                                  \
        float s = nn__row_expsum_##ISA(cols, xr, nn__row_max_##ISA(cols, xr), yr); \
        nn__row_scale_##ISA(cols, yr, 1.0f / s, yr);                       \
    }                                                                      \
}                                                                          \
TGT NN__INTERNAL void nn__log_softmax_rows_##ISA(int rows, int cols,       \
                                                 const float *x, float *y) \
{                                                                          \
    int r, j;                                                              \
    for (r = 0; r < rows; r++) {                                           \
        const float *xr = x + (size_t)r * cols;                            \
        float *yr = y + (size_t)r * cols;                                  \
        float mx = nn__row_max_##ISA(cols, xr);                            \
        VT vm = PFX##_set1_ps(mx);                                         \
        VT ls = PFX##_set1_ps(logf(nn__row_expsum_##ISA(cols, xr, mx, NULL))); \
        for (j = 0; j + W <= cols; j += W)                                 \
            PFX##_storeu_ps(yr + j, PFX##_sub_ps(PFX##_sub_ps(PFX##_loadu_ps(xr + j), vm), ls)); \
        if (j < cols) {                                                    \
            MT m = nn__tailm_##ISA((size_t)(cols - j));                    \
            nn__store_tail_##ISA(yr + j, m, PFX##_sub_ps(PFX##_sub_ps(     \
                nn__load_tail_##ISA(xr + j, m), vm), ls));                 \
        }                                                                  \
    }                                                                      \
}                                                                          \
TGT NN__INTERNAL void nn__softmax_fwd_##ISA(size_t n, const float *x, float *y) \
{                                                                          \
    nn__softmax_rows_##ISA(1, (int)n, x, y);                               \
}
/* The loss loops, on the same tail interface plus DT (the double vector
 * type) and per-ISA double accumulation in a fixed order:
 * nn__accd_##ISA(&a0, &a1, l) adds the W float losses (a0 the low half),
 * nn__dotd_##ISA(&a0, &a1, a, b) adds a b, nn__sumd_##ISA(a0, a1) the
 * final sum; nn__keep_nz_##ISA(y, v): v where y != 0 (or NaN), else 0.
 * softmax_bwd: J^T dy = y (dy - <dy, y>), the dot product in double.
 * xent_vec: one vector of softmax + CE, the loss terms y (ls - (z - m))
 * where y != 0, *d = (e inv - y) g from the stored e; e inv is an explicit
 * fma with 0 (as in softmax_rows' row_scale), so C++'s default
 * -ffp-contract=fast cannot fuse it with the subtraction and dz stays
 * bit-identical to (softmax - y) g. NN__X86_LOSS: the element losses
 * f(h, y, delta, &l) -> dL/dh of nn_loss_eval, gradient times gscale. */
#define NN__X86_LOSS_ROWS(TGT, PFX, VT, MT, DT, W, ISA)                    \
TGT NN__INTERNAL void nn__softmax_bwd_##ISA(size_t n, const float *y,      \
                                            const float *dy, float *dx)    \
{                                                                          \
    DT a0 = PFX##_setzero_pd(), a1 = PFX##_setzero_pd();                   \
    VT dot;                                                                \
    size_t i = 0;                                                          \
    for (; i + W <= n; i += W)                                             \
        nn__dotd_##ISA(&a0, &a1, PFX##_loadu_ps(y + i), PFX##_loadu_ps(dy + i)); \
    if (i < n) {                                                           \
        MT m = nn__tailm_##ISA(n - i);                                     \
        nn__dotd_##ISA(&a0, &a1, nn__load_tail_##ISA(y + i, m),            \
                       nn__load_tail_##ISA(dy + i, m));                    \
    }                                                                      \
    dot = PFX##_set1_ps((float)nn__sumd_##ISA(a0, a1));                    \
    for (i = 0; i + W <= n; i += W)                                        \
        PFX##_storeu_ps(dx + i, PFX##_mul_ps(PFX##_loadu_ps(y + i),        \
                        PFX##_sub_ps(PFX##_loadu_ps(dy + i), dot)));       \
    if (i < n) {                                                           \
        MT m = nn__tailm_##ISA(n - i);                                     \
        nn__store_tail_##ISA(dx + i, m, PFX##_mul_ps(nn__load_tail_##ISA(y + i, m), \
                             PFX##_sub_ps(nn__load_tail_##ISA(dy + i, m), dot))); \
    }                                                                      \
}                                                                          \
TGT static inline VT nn__xent_vec_##ISA(VT zv, VT yv, VT e, VT vm, VT ls,  \
                                        VT inv, VT g, VT *d)               \
{                                                                          \
    VT t = PFX##_sub_ps(ls, PFX##_sub_ps(zv, vm));                         \
    *d = PFX##_mul_ps(PFX##_sub_ps(PFX##_fmadd_ps(e, inv, PFX##_setzero_ps()), yv), g); \
    return nn__keep_nz_##ISA(yv, PFX##_mul_ps(yv, t));                     \
}                                                                          \
TGT NN__INTERNAL double nn__softmax_xent_rows_##ISA(int rows, int cols,    \
    const float *z, const float *y, float gscale, float *dz)               \
{                                                                          \
    int r, j;                                                              \
    double sum = 0.0;                                                      \
    for (r = 0; r < rows; r++) {                                           \
        size_t o = (size_t)r * cols;                                       \
        float *dr = dz ? dz + o : NULL;                                    \
        float mx = nn__row_max_##ISA(cols, z + o);                         \
        float s = nn__row_expsum_##ISA(cols, z + o, mx, dr);               \
        VT vm = PFX##_set1_ps(mx), ls = PFX##_set1_ps(logf(s));            \
        VT inv = PFX##_set1_ps(1.0f / s), g = PFX##_set1_ps(gscale);       \
        VT acc = PFX##_setzero_ps(), d;                                    \
        for (j = 0; j + W <= cols; j += W) {                               \
            acc = PFX##_add_ps(acc, nn__xent_vec_##ISA(PFX##_loadu_ps(z + o + j), \
                PFX##_loadu_ps(y + o + j), dr ? PFX##_loadu_ps(dr + j) : vm, \
                vm, ls, inv, g, &d));                                      \
            if (dr) PFX##_storeu_ps(dr + j, d);                            \
        }                                                                  \
        if (j < cols) {                                                    \
            MT m = nn__tailm_##ISA((size_t)(cols - j));                    \
            acc = PFX##_add_ps(acc, nn__xent_vec_##ISA(nn__load_tail_##ISA(z + o + j, m), \
                nn__load_tail_##ISA(y + o + j, m),                         \
                dr ? nn__load_tail_##ISA(dr + j, m) : vm, vm, ls, inv, g, &d)); \
            if (dr) nn__store_tail_##ISA(dr + j, m, d);                    \
        }                                                                  \
        sum += nn__hsum_##ISA(acc);                                        \
    }                                                                      \
    return sum;                                                            \
}
#define NN__X86_LOSS(TGT, PFX, VT, MT, DT, W, ISA, name, f)                \
TGT NN__INTERNAL double name(size_t n, const float *h, const float *y,     \
                             float delta, float gscale, float *grad)       \
{                                                                          \
    DT a0 = PFX##_setzero_pd(), a1 = PFX##_setzero_pd();                   \
    VT vd = PFX##_set1_ps(delta), vg = PFX##_set1_ps(gscale), l, g;        \
    size_t i = 0;                                                          \
    for (; i + W <= n; i += W) {                                           \
        g = f(PFX##_loadu_ps(h + i), PFX##_loadu_ps(y + i), vd, &l);       \
        nn__accd_##ISA(&a0, &a1, l);                                       \
        if (grad) PFX##_storeu_ps(grad + i, PFX##_mul_ps(g, vg));          \
    }                                                                      \
    if (i < n) {                                                           \
        MT m = nn__tailm_##ISA(n - i);                                     \
        g = f(nn__load_tail_##ISA(h + i, m), nn__load_tail_##ISA(y + i, m), vd, &l); \
        nn__accd_##ISA(&a0, &a1, nn__keep_##ISA(m, l));                    \
        if (grad) nn__store_tail_##ISA(grad + i, m, PFX##_mul_ps(g, vg));  \
    }                                                                      \
    return nn__sumd_##ISA(a0, a1);                                         \
}
/* sigmoid + BCE from the logits: the loop above over rows x cols with
 * nn__sxent1 (instantiated as nn__sxent_n_##ISA) */
#define NN__X86_SIGMOID_XENT(TGT, ISA)                                     \
TGT NN__INTERNAL double nn__sigmoid_xent_##ISA(int rows, int cols,         \
    const float *z, const float *y, float gscale, float *dz)               \
{                                                                          \
    return nn__sxent_n_##ISA((size_t)rows * cols, z, y, 0.0f, gscale, dz); \
}
/* Same algorithms as the AVX-512 kernels below (see there), with vector
 * masks instead of mask registers, an 8-entry exp table (one 8-lane
 * permute) with a degree-4 polynomial, 2^n built from exponent bits instead
 * of scalef, a real division corrected by the residual where AVX-512 uses
 * rcp14 (a 12-bit rcp and one Newton step would not reach 2^-28). */
/* x = n ln2 + r: n rounded by adding 1.5 2^23 + 127, so the low bits of
 * *t hold n + 127 (2^n is then one shift for n in [-126, 127]) */
NN__TARGET_AVX2 static inline __m256 nn__exp_reduce_avx2(__m256 x, __m256 *t, __m256 *n)
{
    __m256 s = _mm256_fmadd_ps(x, NN__V8(NN__LOG2E), NN__V8(NN__EXP_SHIFT));
    __m256 k = _mm256_sub_ps(s, NN__V8(NN__EXP_SHIFT));
    __m256 rh = _mm256_fnmadd_ps(k, NN__V8(NN__LN2_HI), x);
    *n = k;
    *t = s;
    return _mm256_fnmadd_ps(k, NN__V8(NN__LN2_LO), rh);
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
/* e * 2^(b - 127) for e in [0.95, 2) and integer b in [-24, 255],
 * rounding once: usually b in [2, 254] and 2^(b - 127) is b shifted into
 * the exponent field (a product, so NaN stays NaN); otherwise two factors
 * 2^(m/2) 2^(m - m/2), m = b - 127 (the first product is exact). */
NN__TARGET_AVX2 static inline __m256 nn__scale_b_avx2(__m256 e, __m256i b)
{
    __m256i h, out = _mm256_or_si256(_mm256_cmpgt_epi32(b, NN__V8I(254)),
                                     _mm256_cmpgt_epi32(NN__V8I(2), b));
    if (!_mm256_movemask_epi8(out))
        return _mm256_mul_ps(e, _mm256_castsi256_ps(_mm256_slli_epi32(b, 23)));
    b = _mm256_sub_epi32(b, NN__V8I(127));
    h = _mm256_srai_epi32(b, 1);
    return _mm256_mul_ps(_mm256_mul_ps(e, nn__pow2i_avx2(h)),
                         nn__pow2i_avx2(_mm256_sub_epi32(b, h)));
}
/* e^x for x in [EXP_LO, EXP_HI] or NaN by the 8-entry table (section 2.3;
 * see nn__exp16_avx512): s's low bits hold k + 1016, so the low 3 index
 * the permute and the bits above are floor(k/8) + 127 */
NN__TARGET_AVX2 static inline __m256 nn__exp8_avx2(__m256 x)
{
    static const float hi[8] = { NN__EXP8_HI }, lo[8] = { NN__EXP8_LO };
    __m256 s, k, r, p, t;
    __m256i si;
    s = _mm256_fmadd_ps(x, NN__V8(NN__EXP8_LOG2E), NN__V8(NN__EXP8_SHIFT));
    k = _mm256_sub_ps(s, NN__V8(NN__EXP8_SHIFT));
    r = _mm256_fnmadd_ps(k, NN__V8(NN__EXP8_LN2_HI), x);
    r = _mm256_fnmadd_ps(k, NN__V8(NN__EXP8_LN2_LO), r);
    p = _mm256_fmadd_ps(NN__V8(NN__EXP8_C4), r, NN__V8(NN__EXP8_C3));
    p = _mm256_fmadd_ps(p, r, NN__V8(0.5f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
    si = _mm256_castps_si256(s);
    t = _mm256_permutevar8x32_ps(_mm256_loadu_ps(hi), si);
    p = _mm256_fmadd_ps(t, p, _mm256_permutevar8x32_ps(_mm256_loadu_ps(lo), si));
    return nn__scale_b_avx2(_mm256_add_ps(t, p),
                            _mm256_srai_epi32(_mm256_slli_epi32(si, 20), 23));
}
NN__TARGET_AVX2 static inline __m256 nn__exp_avx2(__m256 x)
{
    return nn__exp8_avx2(_mm256_max_ps(NN__V8(NN__EXP_LO), _mm256_min_ps(NN__V8(NN__EXP_HI), x)));
}
NN__TARGET_AVX2 static inline __m256 nn__exp_neg_avx2(__m256 x)
{
    return nn__exp8_avx2(_mm256_max_ps(NN__V8(NN__EXP_LO), x));
}
NN__TARGET_AVX2 static inline __m256 nn__expm1_neg_avx2(__m256 x)
{
    __m256 n, t, p, s, d, dl;
    p = nn__exp_reduce_avx2(_mm256_max_ps(NN__V8(NN__EXPM1_LO), x), &t, &n);
    p = nn__exp_poly_avx2(p, p);
    s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
    d = _mm256_sub_ps(s, NN__V8(1.0f));
    dl = _mm256_sub_ps(s, _mm256_add_ps(d, NN__V8(1.0f)));
    return _mm256_add_ps(_mm256_fmadd_ps(s, p, dl), d);
}
NN__X86_LOG1P_TAIL(NN__TARGET_AVX2, _mm256, __m256, avx2)
NN__X86_LOG_JOIN(NN__TARGET_AVX2, _mm256, __m256, avx2)
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
/* a / (b + c), b = 1 or 2 (see nn__div_sum_avx512): q = a / (b + c
 * rounded), then the residual a - q (b + c) against the exact denominator
 * ((a - b q) is exact) corrects q through a 12-bit reciprocal (2^-35
 * before rounding) */
NN__TARGET_AVX2 static inline __m256 nn__div_sum_avx2(__m256 a, int b, __m256 c)
{
    __m256 hi = _mm256_add_ps(NN__V8((float)b), c);
    __m256 q = _mm256_div_ps(a, hi);
    __m256 bq = b == 2 ? _mm256_add_ps(q, q) : q;
    __m256 r = _mm256_fnmadd_ps(q, c, _mm256_sub_ps(a, bq));
    return _mm256_fmadd_ps(r, _mm256_rcp_ps(hi), q);
}
NN__TARGET_AVX2 static inline __m256 nn__sigmoid_e_avx2(__m256 x, __m256 e)
{
    __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return nn__div_sum_avx2(_mm256_blendv_ps(NN__V8(1.0f), e, neg), 1, e);
}
NN__TARGET_AVX2 static inline __m256 nn__pow2_bits_avx2(__m256 s)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(s), 23));
}
NN__X86_EXPM1_POLY(NN__TARGET_AVX2, _mm256, __m256, avx2)
NN__X86_TANH_E(NN__TARGET_AVX2, _mm256, __m256, avx2)
/* tanh x from E = nn__tanh_e_avx2(x): -E / (2 + E) = -tanh|x| <= 0, its
 * magnitude with x's sign */
NN__TARGET_AVX2 static inline __m256 nn__tanh_e_div_avx2(__m256 x, __m256 e)
{
    __m256 sg = NN__V8(-0.0f), t = nn__div_sum_avx2(e, 2, e);
    return _mm256_or_ps(_mm256_andnot_ps(sg, t), _mm256_and_ps(sg, x));
}
NN__TARGET_AVX2 static inline __m256 nn__tanh_avx2(__m256 x)
{
    return nn__tanh_e_div_avx2(x, nn__tanh_e_avx2(x));
}
NN__TARGET_AVX2 static inline __m256 nn__softplus_e_avx2(__m256 x, __m256 e)
{
    __m256 big = _mm256_cmp_ps(e, NN__V8(NN__SQRT2 - 1.0f), _CMP_GT_OQ);
    __m256 f = _mm256_blendv_ps(e, _mm256_fmadd_ps(e, NN__V8(0.5f), NN__V8(-0.5f)), big);
    __m256 l = nn__log_join_avx2(f, nn__log1p_tail_avx2(f), _mm256_and_ps(big, NN__V8(1.0f)));
    return _mm256_add_ps(_mm256_max_ps(x, _mm256_setzero_ps()), l);
}
NN__X86_SIGMOID(NN__TARGET_AVX2, _mm256, __m256, avx2)
NN__X86_SOFTPLUS(NN__TARGET_AVX2, _mm256, __m256, avx2)
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
    /* x >= 0: 1, x < 0: 0, NaN: x */
    __m256 z = _mm256_setzero_ps();
    __m256 r = _mm256_andnot_ps(_mm256_cmp_ps(x, z, _CMP_LT_OQ), x);
    return _mm256_blendv_ps(r, NN__V8(1.0f), _mm256_cmp_ps(x, z, _CMP_GE_OQ));
}
NN__X86_SIGMOID_D(NN__TARGET_AVX2, _mm256, __m256, avx2)
NN__X86_TANH_D(NN__TARGET_AVX2, _mm256, __m256, avx2)
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
    /* -expm1(-y) = |expm1(-y)| with y's sign (so +-0 -> +-0, as libm) */
    __m256 sg = NN__V8(-0.0f);
    __m256 e = nn__expm1_neg_avx2(_mm256_xor_ps(sg, y));
    return _mm256_mul_ps(dy, _mm256_or_ps(_mm256_andnot_ps(sg, e), _mm256_and_ps(sg, y)));
}
NN__X86_STEP_D(NN__TARGET_AVX2, _mm256, __m256, avx2)

/* the tail interface of the shared loops (NN__X86_MAP, NN__X86_SOFTMAX_ROWS,
 * ...): vector masks */
NN__TARGET_AVX2 static inline __m256i nn__tailm_avx2(size_t left) { return nn__tail8(left); }
NN__TARGET_AVX2 static inline __m256 nn__load_tail_avx2(const float *p, __m256i m)
{
    return _mm256_maskload_ps(p, m);
}
NN__TARGET_AVX2 static inline __m256 nn__load_fill_avx2(const float *p, __m256i m, float v)
{
    return _mm256_blendv_ps(NN__V8(v), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
NN__TARGET_AVX2 static inline void nn__store_tail_avx2(float *p, __m256i m, __m256 v)
{
    _mm256_maskstore_ps(p, m, v);
}
NN__TARGET_AVX2 static inline __m256 nn__keep_avx2(__m256i m, __m256 v)
{
    return _mm256_and_ps(_mm256_castsi256_ps(m), v);
}
NN__TARGET_AVX2 static inline float nn__hsum_avx2(__m256 v) { return nn__hsum8_avx2(v); }
NN__TARGET_AVX2 static inline float nn__hmax_avx2(__m256 v) { return nn__hmax8_avx2(v); }
NN__X86_MAPS(NN__TARGET_AVX2, _mm256, __m256, __m256i, 8, avx2)

NN__X86_SOFTMAX_ROWS(NN__TARGET_AVX2, _mm256, __m256, __m256i, 8, avx2)
/* double accumulation (NN__X86_LOSS_ROWS): 4 lanes per accumulator,
 * summed ((t0 + t1) + t2) + t3 */
NN__TARGET_AVX2 static inline void nn__dotd_avx2(__m256d *a0, __m256d *a1, __m256 a, __m256 b)
{
    *a0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)),
                          _mm256_cvtps_pd(_mm256_castps256_ps128(b)), *a0);
    *a1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)),
                          _mm256_cvtps_pd(_mm256_extractf128_ps(b, 1)), *a1);
}
NN__TARGET_AVX2 static inline void nn__accd_avx2(__m256d *a0, __m256d *a1, __m256 l)
{
    *a0 = _mm256_add_pd(*a0, _mm256_cvtps_pd(_mm256_castps256_ps128(l)));
    *a1 = _mm256_add_pd(*a1, _mm256_cvtps_pd(_mm256_extractf128_ps(l, 1)));
}
NN__TARGET_AVX2 static inline double nn__sumd_avx2(__m256d a0, __m256d a1)
{
    double t[4];
    _mm256_storeu_pd(t, _mm256_add_pd(a0, a1));
    return ((t[0] + t[1]) + t[2]) + t[3];
}
NN__TARGET_AVX2 static inline __m256 nn__keep_nz_avx2(__m256 y, __m256 v)
{
    return _mm256_and_ps(_mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_NEQ_UQ), v);
}
/* sigmoid + BCE from the logits: loss softplus(z) - y z, gradient
 * sigmoid(z) - y, e^-|z| computed once */
NN__X86_SXENT1(NN__TARGET_AVX2, _mm256, __m256, avx2)
NN__X86_LOSS_ROWS(NN__TARGET_AVX2, _mm256, __m256, __m256i, __m256d, 8, avx2)

/* element losses (see the AVX-512 versions) */
NN__X86_MSE1(NN__TARGET_AVX2, _mm256, __m256, avx2)
NN__TARGET_AVX2 static inline __m256 nn__sign_avx2(__m256 e)
{
    __m256 z = _mm256_setzero_ps();
    return _mm256_or_ps(_mm256_and_ps(_mm256_cmp_ps(e, z, _CMP_GT_OQ), NN__V8(1.0f)),
                        _mm256_and_ps(_mm256_cmp_ps(e, z, _CMP_LT_OQ), NN__V8(-1.0f)));
}
NN__X86_MAE1(NN__TARGET_AVX2, _mm256, __m256, avx2)
NN__TARGET_AVX2 static inline __m256 nn__huber1_avx2(__m256 h, __m256 y, __m256 d, __m256 *l)
{
    __m256 e = _mm256_sub_ps(h, y), a = _mm256_andnot_ps(NN__V8(-0.0f), e);
    __m256 in = _mm256_cmp_ps(a, d, _CMP_LE_OQ);
    *l = _mm256_blendv_ps(_mm256_mul_ps(d, _mm256_fnmadd_ps(NN__V8(0.5f), d, a)),
                          _mm256_mul_ps(_mm256_mul_ps(NN__V8(0.5f), e), e), in);
    return _mm256_blendv_ps(_mm256_blendv_ps(_mm256_sub_ps(_mm256_setzero_ps(), d), d,
                            _mm256_cmp_ps(e, _mm256_setzero_ps(), _CMP_GT_OQ)), e, in);
}
NN__X86_BCE1(NN__TARGET_AVX2, _mm256, __m256, avx2)
NN__X86_CE1(NN__TARGET_AVX2, _mm256, __m256, avx2)
/* full vectors, then one masked vector (its loss lanes past n zeroed) */
#define NN__AVX2_LOSS(name, f) \
    NN__X86_LOSS(NN__TARGET_AVX2, _mm256, __m256, __m256i, __m256d, 8, avx2, name, f)
NN__AVX2_LOSS(nn__mse_avx2, nn__mse1_avx2)
NN__AVX2_LOSS(nn__mae_avx2, nn__mae1_avx2)
NN__AVX2_LOSS(nn__huber_avx2, nn__huber1_avx2)
NN__AVX2_LOSS(nn__bce_avx2, nn__bce1_avx2)
NN__AVX2_LOSS(nn__ce_avx2, nn__ce1_avx2)
NN__AVX2_LOSS(nn__sxent_n_avx2, nn__sxent1_avx2)
NN__X86_SIGMOID_XENT(NN__TARGET_AVX2, avx2)

NN__INTERNAL void nn__fill_avx2(nn_kernels *k)
{
    NN__FILL_ELEMWISE(k, avx2);
}
#endif /* NN__X86 (AVX2) */

/* ======================================================================== */
/* 2.5 AVX-512 kernels                                                      */
/* ======================================================================== */
#if NN__X86
#define NN__TARGET_AVX512 \
    __attribute__((target("avx,avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")))

/* -- AVX-512 optimizer kernel (16 lanes, masked tail) -- */
NN__TARGET_AVX512 static void nn__opt_avx512(const nn__opt_args *a, size_t n,
                                             float *w, const float *g,
                                             float *m, float *v)
{
    size_t i;
    const __m512 lr = _mm512_set1_ps(a->lr), mu = _mm512_set1_ps(a->mu);
    const __m512 l1 = _mm512_set1_ps(a->l1), l2 = _mm512_set1_ps(a->l2);
    const __m512 b1 = _mm512_set1_ps(a->b1), b1c = _mm512_set1_ps(1.0f - a->b1);
    const __m512 b2 = _mm512_set1_ps(a->b2), b2c = _mm512_set1_ps(1.0f - a->b2);
    const __m512 bc1 = _mm512_set1_ps(a->bc1), bc2 = _mm512_set1_ps(a->bc2);
    const __m512 eps = _mm512_set1_ps(a->eps), zero = _mm512_setzero_ps();
    for (i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff
                                  : (__mmask16)((1u << (n - i)) - 1u);
        __m512 W = _mm512_maskz_loadu_ps(k, w + i);
        __m512 G = _mm512_maskz_loadu_ps(k, g + i);
        __m512 M, V;
        if (a->l2 != 0.0f) G = _mm512_fmadd_ps(l2, W, G);
        if (a->l1 != 0.0f) {
            G = _mm512_mask_add_ps(G, _mm512_cmp_ps_mask(W, zero, _CMP_GT_OQ), G, l1);
            G = _mm512_mask_sub_ps(G, _mm512_cmp_ps_mask(W, zero, _CMP_LT_OQ), G, l1);
        }
        switch (a->kind) {
        case NN_OPT_SGD:
            W = _mm512_fnmadd_ps(lr, G, W);
            break;
        case NN_OPT_MOMENTUM:
        case NN_OPT_NESTEROV:
            M = _mm512_fnmadd_ps(lr, G, _mm512_mul_ps(mu, _mm512_maskz_loadu_ps(k, m + i)));
            _mm512_mask_storeu_ps(m + i, k, M);
            if (a->kind == NN_OPT_MOMENTUM) W = _mm512_add_ps(W, M);
            else W = _mm512_add_ps(W, _mm512_fnmadd_ps(lr, G, _mm512_mul_ps(mu, M)));
            break;
        case NN_OPT_ADAM:
            M = _mm512_fmadd_ps(b1, _mm512_maskz_loadu_ps(k, m + i), _mm512_mul_ps(b1c, G));
            V = _mm512_fmadd_ps(b2, _mm512_maskz_loadu_ps(k, v + i),
                                _mm512_mul_ps(b2c, _mm512_mul_ps(G, G)));
            _mm512_mask_storeu_ps(m + i, k, M);
            _mm512_mask_storeu_ps(v + i, k, V);
            W = _mm512_sub_ps(W, _mm512_div_ps(_mm512_mul_ps(lr, _mm512_div_ps(M, bc1)),
                    _mm512_add_ps(_mm512_maskz_sqrt_ps(k, _mm512_div_ps(V, bc2)), eps)));
            break;
        }
        _mm512_mask_storeu_ps(w + i, k, W);
    }
}

/* -- AVX-512 GEMM micro-kernel and packers -- */

/* 8 x 32 tile: 16 zmm accumulators. Zen 4 issues one 512-bit FMA per cycle
 * (two 256-bit pipes, latency 4), so 16 independent chains keep it busy
 * with 2 loads of B and 8 broadcasts of A per 16 FMAs; Intel cores with two
 * 512-bit pipes also have >= 8 chains. Packing uses the ymm transposes of
 * section 2.4 (nn__gemm_pack_avx2); the body is 2.4's NN__UKR_BODY. */
#define NN__Z_MR 8
#define NN__Z_NR 32
NN__UKR(NN__TARGET_AVX512, nn__gemm_ukr_avx512, _mm512, __m512, 16, NN__Z_MR,
        NN__ROWS8)
/* 6 x 32 for a row panel of 5 or 6 rows, which the 8-row tile would
 * compute with 2-3 rows thrown away (M = 30 is 3 x 8 + 6: dW 30x784x32
 * 16.2-17.4 -> 15.1-15.3 us, 14x784x128 30 -> 26.5 us). 12 chains still
 * cover the FMA latency. */
NN__UKR(NN__TARGET_AVX512, nn__gemm_ukr6_avx512, _mm512, __m512, 16, 6,
        NN__ROWS6)

/* Four vectors folded to one whose 128-bit quarter q holds, in lane l,
 * the partial sum of vector l over lanes q*4..q*4+3 pairs; fixed order. */
NN__TARGET_AVX512 static inline __m512 nn__fold4_avx512(__m512 s0, __m512 s1,
                                                       __m512 s2, __m512 s3)
{
    /* the _mask_ forms: gcc 12's C++ mode warns inside the plain ones */
    const __mmask16 k16 = (__mmask16)0xFFFFu;
    const __mmask8 k8 = (__mmask8)0xFFu;
    __m512 a = _mm512_add_ps(_mm512_mask_unpacklo_ps(s0, k16, s0, s1),
                             _mm512_mask_unpackhi_ps(s0, k16, s0, s1));
    __m512 b = _mm512_add_ps(_mm512_mask_unpacklo_ps(s2, k16, s2, s3),
                             _mm512_mask_unpackhi_ps(s2, k16, s2, s3));
    __m512d ad = _mm512_castps_pd(a), bd = _mm512_castps_pd(b);
    return _mm512_add_ps(
        _mm512_castpd_ps(_mm512_mask_unpacklo_pd(ad, k8, ad, bd)),
        _mm512_castpd_ps(_mm512_mask_unpackhi_pd(ad, k8, ad, bd)));
}

/* Sums of four vectors, each over its 16 lanes, in a fixed order. */
NN__TARGET_AVX512 static inline __m128 nn__hsum4_avx512(__m512 s0, __m512 s1,
                                                        __m512 s2, __m512 s3)
{
    float t[16];
    _mm512_storeu_ps(t, nn__fold4_avx512(s0, s1, s2, s3));
    return _mm_add_ps(_mm_add_ps(_mm_loadu_ps(t), _mm_loadu_ps(t + 4)),
                      _mm_add_ps(_mm_loadu_ps(t + 8), _mm_loadu_ps(t + 12)));
}

/* Sixteen sums at once: folds f0..f3 (nn__fold4_avx512 of rows 0..3) to
 * one vector whose quarter r holds row r's four sums; the quarters are
 * added in the order of nn__hsum4_avx512 ((q0 + q1) + (q2 + q3)). */
NN__TARGET_AVX512 static inline __m512 nn__hsum4x4_avx512(__m512 f0, __m512 f1,
                                                         __m512 f2, __m512 f3)
{
    const __mmask16 k16 = (__mmask16)0xFFFFu;   /* _mask_: see fold4 */
    /* [f0.q0 f0.q2 f1.q0 f1.q2] + [f0.q1 f0.q3 f1.q1 f1.q3] */
    __m512 a = _mm512_add_ps(_mm512_mask_shuffle_f32x4(f0, k16, f0, f1, 0x88),
                             _mm512_mask_shuffle_f32x4(f0, k16, f0, f1, 0xDD));
    __m512 b = _mm512_add_ps(_mm512_mask_shuffle_f32x4(f2, k16, f2, f3, 0x88),
                             _mm512_mask_shuffle_f32x4(f2, k16, f2, f3, 0xDD));
    /* [a.q0 a.q2 b.q0 b.q2] + [a.q1 a.q3 b.q1 b.q3] */
    return _mm512_add_ps(_mm512_mask_shuffle_f32x4(a, k16, a, b, 0x88),
                         _mm512_mask_shuffle_f32x4(a, k16, a, b, 0xDD));
}

/* Dot-product path (batch-1 forward x W^T, and thin N): blocks of 4 rows
 * of A by 4 rows of B, 16 named accumulators (8 loads per 16 FMAs), masked
 * K tail; rows past M or N alias row 0 and are not stored. */
#define NN__Z_FMA4(va, w0, w1, w2, w3, s0, s1, s2, s3)                      \
    s0 = _mm512_fmadd_ps(va, w0, s0);                                      \
    s1 = _mm512_fmadd_ps(va, w1, s1);                                      \
    s2 = _mm512_fmadd_ps(va, w2, s2);                                      \
    s3 = _mm512_fmadd_ps(va, w3, s3);
#define NN__Z_DOTROW(ld, s0, s1, s2, s3, x)                                \
    va = ld(x + p);                                                        \
    NN__Z_FMA4(va, w0, w1, w2, w3, s0, s1, s2, s3)
#define NN__Z_DOTSTEP(ld)                                                  \
    {                                                                      \
        __m512 va, w0 = ld(b0 + p), w1 = ld(b1 + p), w2 = ld(b2 + p);      \
        __m512 w3 = ld(b3 + p);                                            \
        NN__Z_DOTROW(ld, s00, s01, s02, s03, a0)                             \
        NN__Z_DOTROW(ld, s10, s11, s12, s13, a1)                             \
        NN__Z_DOTROW(ld, s20, s21, s22, s23, a2)                             \
        NN__Z_DOTROW(ld, s30, s31, s32, s33, a3)                             \
    }
/* a last block of 1-2 rows of B: 8 FMAs, the other 8 sums stay 0 (fold4
 * sums each vector on its own: the sums stored are the same bits) */
#define NN__Z_DOTROW2(ld, s0, s1, x)                                       \
    va = ld(x + p);                                                        \
    s0 = _mm512_fmadd_ps(va, w0, s0);                                      \
    s1 = _mm512_fmadd_ps(va, w1, s1);
#define NN__Z_DOTSTEP2(ld)                                                 \
    {                                                                      \
        __m512 va, w0 = ld(b0 + p), w1 = ld(b1 + p);                       \
        NN__Z_DOTROW2(ld, s00, s01, a0) NN__Z_DOTROW2(ld, s10, s11, a1)    \
        NN__Z_DOTROW2(ld, s20, s21, a2) NN__Z_DOTROW2(ld, s30, s31, a3)    \
    }
#define NN__Z_LDU(x) _mm512_loadu_ps(x)
#define NN__Z_LDM(x) _mm512_maskz_loadu_ps(mk, x)
#define NN__Z_DOT1(ld)                                                     \
    {                                                                      \
        __m512 va = ld(a + p);                                             \
        NN__Z_FMA4(va, ld(b0 + p), ld(b1 + p), ld(b2 + p), ld(b3 + p),     \
                   s0, s1, s2, s3)                                         \
    }
#define NN__Z_DOT1X(ld)                                                    \
    {                                                                      \
        __m512 va = ld(a + p);                                             \
        NN__Z_FMA4(va, ld(b0 + p), ld(b1 + p), ld(b2 + p), ld(b3 + p),     \
                   s0, s1, s2, s3)                                         \
        NN__Z_FMA4(va, ld(b4 + p), ld(b5 + p), ld(b6 + p), ld(b7 + p),     \
                   s4, s5, s6, s7)                                         \
    }
/* alpha o (+ beta c) into the nb <= 4 floats at c (masked). */
NN__TARGET_AVX512 static inline void nn__dot_out4_avx512(__m128 o, float alpha,
                                                         float beta, float *c,
                                                         int nb)
{
    __mmask8 nk = (__mmask8)((1u << nb) - 1u);
    o = _mm_mul_ps(o, _mm_set1_ps(alpha));
    if (beta != 0.0f)   /* an explicit fma: gcc in GNU C mode contracted the
                           mul + add in some inlined copies and not others,
                           so a lone row and a 4-row block differed in bits */
        o = _mm_fmadd_ps(_mm_set1_ps(beta), _mm_maskz_loadu_ps(nk, c), o);
    _mm_mask_storeu_ps(c, nk, o);
}
/* One row of A against rows j.. of B (a lone row: batch 1), 8 rows of B
 * at a time (one load of A per 8 FMAs: the weights stream from L2 at the
 * load ports' pace), then 4. */
NN__TARGET_AVX512 static inline void nn__gemm_dot1_avx512(
    int N, int K, float alpha, const float *a, const float *B, ptrdiff_t ldb,
    float beta, float *c)
{
    __mmask16 mk = (__mmask16)((1u << (K & 15)) - 1u);
    int j, p;
    for (j = 0; j + 8 <= N; j += 8) {
        const float *b0 = B + j * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
        const float *b4 = b3 + ldb, *b5 = b4 + ldb, *b6 = b5 + ldb, *b7 = b6 + ldb;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        __m512 s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (p = 0; p + 16 <= K; p += 16)
            NN__Z_DOT1X(NN__Z_LDU)
        if (p < K)
            NN__Z_DOT1X(NN__Z_LDM)
        nn__dot_out4_avx512(nn__hsum4_avx512(s0, s1, s2, s3), alpha, beta, c + j, 4);
        nn__dot_out4_avx512(nn__hsum4_avx512(s4, s5, s6, s7), alpha, beta, c + j + 4, 4);
    }
    for (; j < N; j += 4) {
        int nb = N - j < 4 ? N - j : 4;
        const float *b0 = B + j * ldb, *b1 = nb > 1 ? b0 + ldb : b0;
        const float *b2 = nb > 2 ? b1 + ldb : b0, *b3 = nb > 3 ? b2 + ldb : b0;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (p = 0; p + 16 <= K; p += 16)
            NN__Z_DOT1(NN__Z_LDU)
        if (p < K)
            NN__Z_DOT1(NN__Z_LDM)
        nn__dot_out4_avx512(nn__hsum4_avx512(s0, s1, s2, s3), alpha, beta, c + j, nb);
    }
}

/* Row r of a 4 x nb block: alpha sums (+ beta C), nb <= 4 floats. */
#define NN__Z_DOTOUT(r)                                                    \
    if (r < mb)                                                            \
        nn__dot_out4_avx512(_mm512_maskz_extractf32x4_ps(15, sum, r), alpha, \
                            beta, C + (i + r) * ldc + j, nb);
NN__TARGET_AVX512 NN__INTERNAL void nn__gemm_dot_avx512(
    int M, int N, int K, float alpha, const float *A, ptrdiff_t lda,
    const float *B, ptrdiff_t ldb, float beta, float *C, ptrdiff_t ldc)
{
    __mmask16 mk = (__mmask16)((1u << (K & 15)) - 1u);
    int i, j, p;
    if (M == 1) {       /* a lone row (batch 1): 8 rows of B per pass */
        nn__gemm_dot1_avx512(N, K, alpha, A, B, ldb, beta, C);
        return;
    }
    /* j outer: 4 rows of B stay in L1 while the rows of A stream by */
    for (j = 0; j < N; j += 4) {
        int nb = N - j < 4 ? N - j : 4;
        const float *b0 = B + j * ldb, *b1 = nb > 1 ? b0 + ldb : b0;
        const float *b2 = nb > 2 ? b1 + ldb : b0, *b3 = nb > 3 ? b2 + ldb : b0;
        for (i = 0; i < M; i += 4) {
            int mb = M - i < 4 ? M - i : 4;
            const float *a0 = A + i * lda, *a1 = mb > 1 ? a0 + lda : a0;
            const float *a2 = mb > 2 ? a1 + lda : a0, *a3 = mb > 3 ? a2 + lda : a0;
            __m512 s00, s01, s02, s03, s10, s11, s12, s13;
            __m512 s20, s21, s22, s23, s30, s31, s32, s33, sum;
            if (mb == 1) {      /* a lone row: 4 accumulators, not 16 */
                nn__gemm_dot1_avx512(nb, K, alpha, a0, b0, ldb, beta,
                                     C + i * ldc + j);
                continue;
            }
            s00 = _mm512_setzero_ps(); s01 = s00; s02 = s00; s03 = s00;
            s10 = s00; s11 = s00; s12 = s00; s13 = s00;
            s20 = s00; s21 = s00; s22 = s00; s23 = s00;
            s30 = s00; s31 = s00; s32 = s00; s33 = s00;
            if (nb <= 2) {      /* N = 10, 30: half this block's FMAs */
                for (p = 0; p + 16 <= K; p += 16)
                    NN__Z_DOTSTEP2(NN__Z_LDU)
                if (p < K)
                    NN__Z_DOTSTEP2(NN__Z_LDM)
            } else {
                for (p = 0; p + 16 <= K; p += 16)
                    NN__Z_DOTSTEP(NN__Z_LDU)
                if (p < K)
                    NN__Z_DOTSTEP(NN__Z_LDM)
            }
            sum = nn__hsum4x4_avx512(nn__fold4_avx512(s00, s01, s02, s03),
                                    nn__fold4_avx512(s10, s11, s12, s13),
                                    nn__fold4_avx512(s20, s21, s22, s23),
                                    nn__fold4_avx512(s30, s31, s32, s33));
            NN__Z_DOTOUT(0) NN__Z_DOTOUT(1) NN__Z_DOTOUT(2) NN__Z_DOTOUT(3)
        }
    }
}

/* Row-update path: column chunks of 64 (4 zmm) in registers while p runs
 * over K; masked 16-wide chunks for the tail. */
#define NN__Z_OUT(ptr, s, msk)                                             \
    {                                                                      \
        __m512 v_ = _mm512_mul_ps(val, s);                                 \
        if (beta != 0.0f)                                                  \
            v_ = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(msk, ptr), v_); \
        _mm512_mask_storeu_ps(ptr, msk, v_);                               \
    }
/* Deep K (batch-1 dX = dZ W): sweep B row by row, 4 rows at a time, with
 * the partial sums of a block of the C row in a local buffer (L1), so B
 * streams sequentially instead of column chunk by column chunk (rows 4 KiB
 * apart defeat the prefetchers). Same FMA sequence per element as the
 * chunked loop below, hence the same bits. */
#define NN__AXSW 2048
#define NN__AXSW_STEP(ld, st)                                              \
    {                                                                      \
        __m512 s_ = p == 0 ? _mm512_setzero_ps() : ld(t + j);              \
        s_ = _mm512_fmadd_ps(a0, ld(b0 + j), s_);                          \
        if (np > 1) s_ = _mm512_fmadd_ps(a1, ld(b1 + j), s_);              \
        if (np > 2) s_ = _mm512_fmadd_ps(a2, ld(b2 + j), s_);              \
        if (np > 3) s_ = _mm512_fmadd_ps(a3, ld(b3 + j), s_);              \
        st;                                                                \
    }
NN__TARGET_AVX512 static inline void nn__gemm_axsweep_avx512(
    int N, int K, float alpha, const float *a, ptrdiff_t csa, const float *B,
    ptrdiff_t ldb, float beta, float *c)
{
    __m512 val = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    float t[NN__AXSW];
    int jb, j, p;
    for (jb = 0; jb < N; jb += NN__AXSW) {
        int w = N - jb < NN__AXSW ? N - jb : NN__AXSW, w16 = w & ~15;
        __mmask16 mk = (__mmask16)((1u << (w & 15)) - 1u);
        for (p = 0; p < K; p += 4) {
            int np = K - p < 4 ? K - p : 4;
            const float *b0 = B + p * ldb + jb, *b1 = b0 + (np > 1 ? ldb : 0);
            const float *b2 = b0 + (np > 2 ? 2 * ldb : 0), *b3 = b0 + (np > 3 ? 3 * ldb : 0);
            __m512 a0 = _mm512_set1_ps(a[p * csa]);
            __m512 a1 = _mm512_set1_ps(a[(p + (np > 1)) * csa]);
            __m512 a2 = _mm512_set1_ps(a[(p + (np > 2) * 2) * csa]);
            __m512 a3 = _mm512_set1_ps(a[(p + (np > 3) * 3) * csa]);
            for (j = 0; j < w16; j += 16)
                NN__AXSW_STEP(_mm512_loadu_ps, _mm512_storeu_ps(t + j, s_))
            if (j < w)
                NN__AXSW_STEP(NN__Z_LDM, _mm512_mask_storeu_ps(t + j, mk, s_))
        }
        for (j = 0; j < w; j += 16) {
            __mmask16 m2 = w - j >= 16 ? (__mmask16)0xFFFFu : mk;
            __m512 v = _mm512_mul_ps(val, _mm512_maskz_loadu_ps(m2, t + j));
            if (beta != 0.0f)
                v = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m2, c + jb + j), v);
            _mm512_mask_storeu_ps(c + jb + j, m2, v);
        }
    }
}

/* Two sets of 4 chains, each a row of A by 64 columns of B: the row at a
 * by the columns at b into c, and (when two) the row at a + ra by the
 * columns at b + rb into c + rc. A pair of rows (rb 0) shares each load of
 * B; a lone row pairs its column chunks (ra 0, rb = rc = 64): 8 chains
 * instead of 4 keep more of B in flight (1x1024x30 1.81 -> 1.14 us) and
 * do not wait on K dependent FMAs. m NULL: all 64 columns (plain loads:
 * masked ones cost 10% at batch-1 dX), else the masks m[4] for both sets.
 * Each element's FMA order is the same either way: p = 0..K-1. */
#define NN__Z_LD64(q, ptr) (m ? _mm512_maskz_loadu_ps(m[q], ptr) : _mm512_loadu_ps(ptr))
NN__TARGET_AVX512 static inline void nn__axpy64_avx512(
    int two, int K, float alpha, const float *a, ptrdiff_t ra, ptrdiff_t csa,
    const float *b, ptrdiff_t rb, ptrdiff_t ldb, float beta, float *c,
    ptrdiff_t rc, const __mmask16 *m)
{
    const __mmask16 all = (__mmask16)0xFFFFu;
    __m512 val = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    __m512 t0 = s0, t1 = s0, t2 = s0, t3 = s0;
    int p;
    for (p = 0; p < K; p++, b += ldb) {
        __m512 b0 = NN__Z_LD64(0, b), b1 = NN__Z_LD64(1, b + 16);
        __m512 b2 = NN__Z_LD64(2, b + 32), b3 = NN__Z_LD64(3, b + 48);
        __m512 va = _mm512_set1_ps(a[p * csa]);
        s0 = _mm512_fmadd_ps(va, b0, s0); s1 = _mm512_fmadd_ps(va, b1, s1);
        s2 = _mm512_fmadd_ps(va, b2, s2); s3 = _mm512_fmadd_ps(va, b3, s3);
        if (two) {
            if (rb) {
                b0 = NN__Z_LD64(0, b + rb); b1 = NN__Z_LD64(1, b + rb + 16);
                b2 = NN__Z_LD64(2, b + rb + 32); b3 = NN__Z_LD64(3, b + rb + 48);
            }
            va = _mm512_set1_ps(a[ra + p * csa]);
            t0 = _mm512_fmadd_ps(va, b0, t0); t1 = _mm512_fmadd_ps(va, b1, t1);
            t2 = _mm512_fmadd_ps(va, b2, t2); t3 = _mm512_fmadd_ps(va, b3, t3);
        }
    }
    NN__Z_OUT(c, s0, m ? m[0] : all) NN__Z_OUT(c + 16, s1, m ? m[1] : all)
    NN__Z_OUT(c + 32, s2, m ? m[2] : all) NN__Z_OUT(c + 48, s3, m ? m[3] : all)
    if (two) {
        c += rc;
        NN__Z_OUT(c, t0, m ? m[0] : all) NN__Z_OUT(c + 16, t1, m ? m[1] : all)
        NN__Z_OUT(c + 32, t2, m ? m[2] : all) NN__Z_OUT(c + 48, t3, m ? m[3] : all)
    }
}

NN__TARGET_AVX512 NN__INTERNAL void nn__gemm_axpy_avx512(
    int M, int N, int K, float alpha, const float *A, ptrdiff_t rsa,
    ptrdiff_t csa, const float *B, ptrdiff_t ldb, float beta, float *C,
    ptrdiff_t ldc)
{
    const __mmask16 all = (__mmask16)0xFFFFu;
    __mmask16 m[4];
    int i, j, q;
    if (M == 1 && K > 64) {     /* a pair of rows halves the B traffic:
                                   the chunks beat two sweeps (2x128x128:
                                   1470 -> 813 ns) */
        nn__gemm_axsweep_avx512(N, K, alpha, A, csa, B, ldb, beta, C);
        return;
    }
    for (q = 0; q < 4; q++) {   /* the last < 64 columns: still 4 chains */
        int left = N % 64 - 16 * q;
        m[q] = left >= 16 ? all : left > 0 ? (__mmask16)((1u << left) - 1u) : 0;
    }
    for (i = 0; i < M; i += 2) {
        j = 0;
        if (i + 1 == M)             /* a lone row: its chunks in pairs */
            for (; j + 128 <= N; j += 128)
                nn__axpy64_avx512(1, K, alpha, A + i * rsa, 0, csa, B + j, 64,
                                  ldb, beta, C + i * ldc + j, 64, NULL);
        for (; j + 64 <= N; j += 64)
            nn__axpy64_avx512(i + 1 < M, K, alpha, A + i * rsa, rsa, csa, B + j,
                              0, ldb, beta, C + i * ldc + j, ldc, NULL);
        if (j < N)
            nn__axpy64_avx512(i + 1 < M, K, alpha, A + i * rsa, rsa, csa, B + j,
                              0, ldb, beta, C + i * ldc + j, ldc, m);
    }
}

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

/* The 16-entry table exp (section 2.3): k = round(16 x / ln2) from a
 * shifted fma whose low 4 mantissa bits are then k mod 16 and index the
 * permute (*s keeps them); *k16 = k/16 (exact; scalef's exponent as it
 * stands) either from s by an fma (shift 1.5 2^23, s = shift + k) or, with
 * sub, by one subtraction (shift 1.5 2^19, whose ulp is 1/16: s = shift +
 * k/16, the same rounding and mantissa bits). Same k, same bits: exp takes
 * the fma (its clamps load the add pipes), sigmoid and softplus the
 * subtraction (their divisions load the fma pipes), 5% faster each way on
 * Zen 4. Returns r = x - (k/16) ln2 in two parts (the hi product is exact). */
NN__TARGET_AVX512 static inline __m512 nn__exp16_reduce_avx512(__m512 x, __m512 *s,
                                                               __m512 *k16, int sub)
{
    if (sub) {
        *s = _mm512_fmadd_ps(x, NN__V16(NN__EXP16_LOG2E * 0.0625f),
                             NN__V16(NN__EXP16_SHIFT * 0.0625f));
        *k16 = _mm512_sub_ps(*s, NN__V16(NN__EXP16_SHIFT * 0.0625f));
    } else {
        *s = _mm512_fmadd_ps(x, NN__V16(NN__EXP16_LOG2E), NN__V16(NN__EXP16_SHIFT));
        *k16 = _mm512_fmsub_ps(*s, NN__V16(0.0625f), NN__V16(NN__EXP16_SHIFT * 0.0625f));
    }
    return _mm512_fnmadd_ps(*k16, NN__V16(NN__EXP16_LN2_LO * 16.0f),
                            _mm512_fnmadd_ps(*k16, NN__V16(NN__EXP16_LN2_HI * 16.0f), x));
}
/* e^r - 1 for |r| <= ln2/32 */
NN__TARGET_AVX512 static inline __m512 nn__exp16_poly_avx512(__m512 r)
{
    __m512 p = _mm512_fmadd_ps(NN__V16(NN__EXP16_C3), r, NN__V16(NN__EXP16_C2));
    return _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
}
/* 2^(j/16) (lo = 0: its rounded value; lo = 1: that rounding error) */
NN__TARGET_AVX512 static inline __m512 nn__exp16_tab_avx512(__m512 s, int lo)
{
    static const float tab[32] = { NN__EXP16_HI, NN__EXP16_LO };
    return _mm512_permutexvar_ps(_mm512_castps_si512(s), _mm512_loadu_ps(tab + 16 * lo));
}
/* e^x for x in [EXP_LO, EXP_HI] or NaN: e = hi + (hi p + lo) rounds once,
 * and scalef (2^floor(k/16)) rounds once more only into denormals,
 * overflowing to +inf. */
NN__TARGET_AVX512 static inline __m512 nn__exp16_avx512(__m512 x, int sub)
{
    __m512 s, k, p, t;
    p = nn__exp16_poly_avx512(nn__exp16_reduce_avx512(x, &s, &k, sub));
    t = nn__exp16_tab_avx512(s, 0);
    p = _mm512_fmadd_ps(t, p, nn__exp16_tab_avx512(s, 1));
    return _mm512_scalef_ps(_mm512_add_ps(t, p), k);
}
NN__TARGET_AVX512 static inline __m512 nn__exp_avx512(__m512 x)
{
    return nn__exp16_avx512(_mm512_max_ps(NN__V16(NN__EXP_LO),
                                          _mm512_min_ps(NN__V16(NN__EXP_HI), x)), 0);
}
/* e^x for x <= 0 (sigmoid, softplus): without the upper clamp (each clamp
 * costs about as much as an fma here) */
NN__TARGET_AVX512 static inline __m512 nn__exp_neg_avx512(__m512 x)
{
    return nn__exp16_avx512(_mm512_max_ps(NN__V16(NN__EXP_LO), x), 1);
}
/* e^x - 1 for x <= 0 = 2^n p + (2^n - 1), p = e^r - 1, with 2^n - 1 = d + dl
 * exactly (dl = 0 down to n = -24, dl = 2^n below, where d rounds to -1):
 * (2^n p + dl) + d rounds once where it matters, so there is no
 * cancellation near 0 and tanh reaches 1 where it should (|x| > 9.01). */
NN__X86_EXPM1_POLY(NN__TARGET_AVX512, _mm512, __m512, avx512)
/* the float whose exponent field holds s's low 9 bits (2^n for s's n) */
NN__TARGET_AVX512 static inline __m512 nn__pow2_bits_avx512(__m512 s)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(s), 23));
}
NN__TARGET_AVX512 static inline __m512 nn__expm1_neg_avx512(__m512 x)
{
    /* n from the shifted fma (its low bits hold n + 127, so 2^n is one
     * shift: n >= -44 here) */
    __m512 s, n, r, a, d, dl;
    x = _mm512_max_ps(NN__V16(NN__EXPM1_LO), x);
    s = _mm512_fmadd_ps(x, NN__V16(NN__LOG2E), NN__V16(NN__EXP_SHIFT));
    n = _mm512_sub_ps(s, NN__V16(NN__EXP_SHIFT));
    r = _mm512_fnmadd_ps(n, NN__V16(NN__LN2_LO), _mm512_fnmadd_ps(n, NN__V16(NN__LN2_HI), x));
    a = nn__expm1_poly_avx512(r);
    s = nn__pow2_bits_avx512(s);
    d = _mm512_sub_ps(s, NN__V16(1.0f));
    dl = _mm512_sub_ps(s, _mm512_add_ps(d, NN__V16(1.0f)));
    return _mm512_add_ps(_mm512_fmadd_ps(s, a, dl), d);
}
NN__X86_TANH_E(NN__TARGET_AVX512, _mm512, __m512, avx512)
/* log(1 + f), f in [sqrt(1/2) - 1, sqrt(2) - 1], without the f term:
 * returns y with log(1 + f) = f + y. */
NN__X86_LOG1P_TAIL(NN__TARGET_AVX512, _mm512, __m512, avx512)
/* f + y + k ln2 (k = 0 or 1 per lane here, any integer in nn__log_avx512) */
NN__X86_LOG_JOIN(NN__TARGET_AVX512, _mm512, __m512, avx512)
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
/* |t| with the sign of x */
NN__TARGET_AVX512 static inline __m512 nn__copysign_avx512(__m512 t, __m512 x)
{
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(
        _mm512_set1_epi32((int)0x80000000u), _mm512_castps_si512(x),
        _mm512_castps_si512(t), 0xCA));
}
/* a / (b + c) for a in {1, c} (sigmoid: b = 1) or a = c (tanh: b = 2;
 * b is a literal, folded after inlining), 0 < c <= b or -1 < c <= 0:
 * q0 = a rcp14(b + c) (14 bits), then one Newton step on the exact
 * denominator, never rounding b + c: the residual a - q0 (b + c) =
 * (a - b q0) - q0 c, where b q0 (q0 + q0 for b = 2) and a - b q0 are exact
 * (Sterbenz: b q0 is within a factor 2 of a; a subtraction, not an fma:
 * the fma pipes are the busier ones), so q0 + res rcp rounds once with a
 * relative error of 2^-28 before it. */
NN__TARGET_AVX512 static inline __m512 nn__div_sum_avx512(__m512 a, int b, __m512 c)
{
    __m512 rc = _mm512_rcp14_ps(_mm512_add_ps(NN__V16((float)b), c));
    __m512 q = _mm512_mul_ps(a, rc);
    __m512 bq = b == 2 ? _mm512_add_ps(q, q) : q;
    __m512 r = _mm512_fnmadd_ps(q, c, _mm512_sub_ps(a, bq));
    return _mm512_fmadd_ps(r, rc, q);
}
/* sigmoid and softplus of x from e = e^-|x| (sigmoid + BCE shares it) */
NN__TARGET_AVX512 static inline __m512 nn__sigmoid_e_avx512(__m512 x, __m512 e)
{
    /* e = e^-|x| <= 1 never overflows; x < 0: e / (1 + e), else 1 / (1 + e) */
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return nn__div_sum_avx512(_mm512_mask_blend_ps(neg, NN__V16(1.0f), e), 1, e);
}
/* tanh x from E = nn__tanh_e_avx512(x) = e^(-2|x|) - 1 in (-1, 0]:
 * tanh|x| = -E / (2 + E); vrangeps returns the operand of smaller
 * magnitude (|tanh x| <= |x|, equal only where tanh x rounds to x) with
 * x's sign, so +-0 and denormals come back as themselves and NaN (then in
 * both operands) stays NaN. */
NN__TARGET_AVX512 static inline __m512 nn__tanh_e_div_avx512(__m512 x, __m512 e)
{
    return _mm512_range_ps(x, nn__div_sum_avx512(e, 2, e), 0x02);
}
NN__TARGET_AVX512 static inline __m512 nn__tanh_avx512(__m512 x)
{
    return nn__tanh_e_div_avx512(x, nn__tanh_e_avx512(x));
}
NN__TARGET_AVX512 static inline __m512 nn__softplus_e_avx512(__m512 x, __m512 e)
{
    /* max(x, 0) + log1p(e), e = e^-|x| in (0, 1]: f = e when 1 + e <= sqrt2,
     * else log1p(e) = ln2 + log1p(f), f = (1 + e)/2 - 1 = fma(e, .5, -.5) */
    __mmask16 big = _mm512_cmp_ps_mask(e, NN__V16(NN__SQRT2 - 1.0f), _CMP_GT_OQ);
    __m512 f = _mm512_mask_blend_ps(big, e, _mm512_fmadd_ps(e, NN__V16(0.5f), NN__V16(-0.5f)));
    __m512 k = _mm512_maskz_mov_ps(big, NN__V16(1.0f));
    __m512 l = nn__log_join_avx512(f, nn__log1p_tail_avx512(f), k);
    return _mm512_add_ps(_mm512_max_ps(x, _mm512_setzero_ps()), l);
}
NN__X86_SIGMOID(NN__TARGET_AVX512, _mm512, __m512, avx512)
NN__X86_SOFTPLUS(NN__TARGET_AVX512, _mm512, __m512, avx512)
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
    /* x >= 0: 1, x < 0: 0, NaN: x */
    __m512 z = _mm512_setzero_ps();
    __m512 r = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, z, _CMP_LT_OQ), z);
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(x, z, _CMP_GE_OQ), NN__V16(1.0f));
}
/* derivatives from the saved output y, times dy (same formulas as scalar) */
NN__X86_SIGMOID_D(NN__TARGET_AVX512, _mm512, __m512, avx512)
NN__X86_TANH_D(NN__TARGET_AVX512, _mm512, __m512, avx512)
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
    /* softplus' = sigmoid(x) = 1 - e^-y = -expm1(-y) = |expm1(-y)| with
     * y's sign (+-0 -> +-0, as libm) */
    return _mm512_mul_ps(dy, nn__copysign_avx512(
        nn__expm1_neg_avx512(_mm512_xor_ps(NN__V16(-0.0f), y)), y));
}
NN__X86_STEP_D(NN__TARGET_AVX512, _mm512, __m512, avx512)

/* the tail interface of the shared loops (NN__X86_MAP, NN__X86_SOFTMAX_ROWS,
 * ...): mask registers, the first left < 16 lanes */
NN__TARGET_AVX512 static inline __mmask16 nn__tailm_avx512(size_t left)
{
    return (__mmask16)((1u << left) - 1u);
}
NN__TARGET_AVX512 static inline __m512 nn__load_tail_avx512(const float *p, __mmask16 m)
{
    return _mm512_maskz_loadu_ps(m, p);
}
NN__TARGET_AVX512 static inline __m512 nn__load_fill_avx512(const float *p, __mmask16 m, float v)
{
    return _mm512_mask_loadu_ps(NN__V16(v), m, p);
}
NN__TARGET_AVX512 static inline void nn__store_tail_avx512(float *p, __mmask16 m, __m512 v)
{
    _mm512_mask_storeu_ps(p, m, v);
}
NN__TARGET_AVX512 static inline __m512 nn__keep_avx512(__mmask16 m, __m512 v)
{
    return _mm512_maskz_mov_ps(m, v);
}
NN__TARGET_AVX512 static inline float nn__hsum_avx512(__m512 v)
{
    return nn__hsum8_avx2(_mm256_add_ps(_mm512_extractf32x8_ps(v, 0),
                                        _mm512_extractf32x8_ps(v, 1)));
}
NN__TARGET_AVX512 static inline float nn__hmax_avx512(__m512 v)
{
    return nn__hmax8_avx2(_mm256_max_ps(_mm512_extractf32x8_ps(v, 0),
                                        _mm512_extractf32x8_ps(v, 1)));
}
NN__X86_MAPS(NN__TARGET_AVX512, _mm512, __m512, __mmask16, 16, avx512)

NN__X86_SOFTMAX_ROWS(NN__TARGET_AVX512, _mm512, __m512, __mmask16, 16, avx512)
/* double accumulation (NN__X86_LOSS_ROWS): 8 lanes per accumulator,
 * summed in lane order */
NN__TARGET_AVX512 static inline void nn__dotd_avx512(__m512d *a0, __m512d *a1, __m512 a,
                                                     __m512 b)
{
    *a0 = _mm512_fmadd_pd(_mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(a, 0)),
                          _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(b, 0)), *a0);
    *a1 = _mm512_fmadd_pd(_mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(a, 1)),
                          _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(b, 1)), *a1);
}
NN__TARGET_AVX512 static inline void nn__accd_avx512(__m512d *a0, __m512d *a1, __m512 l)
{
    *a0 = _mm512_add_pd(*a0, _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(l, 0)));
    *a1 = _mm512_add_pd(*a1, _mm512_maskz_cvtps_pd(0xFF, _mm512_extractf32x8_ps(l, 1)));
}
NN__TARGET_AVX512 static inline double nn__sumd_avx512(__m512d a0, __m512d a1)
{
    double t[8], sum = 0.0;
    int j;
    _mm512_storeu_pd(t, _mm512_add_pd(a0, a1));
    for (j = 0; j < 8; j++) sum += t[j];
    return sum;
}
NN__TARGET_AVX512 static inline __m512 nn__keep_nz_avx512(__m512 y, __m512 v)
{
    return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_NEQ_UQ), v);
}
/* one vector of sigmoid + BCE from the logits: returns the loss
 * softplus(z) - y z, *d = (sigmoid(z) - y) g, e^-|z| computed once */
NN__X86_SXENT1(NN__TARGET_AVX512, _mm512, __m512, avx512)
NN__X86_LOSS_ROWS(NN__TARGET_AVX512, _mm512, __m512, __mmask16, __m512d, 16, avx512)

/* element losses: return dL/dh, set *l to the loss (2.8's nn__loss, same
 * float operations for the gradient; the loss in float, summed in double) */
NN__X86_MSE1(NN__TARGET_AVX512, _mm512, __m512, avx512)
NN__TARGET_AVX512 static inline __m512 nn__sign_avx512(__m512 e)
{
    __m512 z = _mm512_setzero_ps();
    return _mm512_mask_mov_ps(_mm512_maskz_mov_ps(_mm512_cmp_ps_mask(e, z, _CMP_GT_OQ), NN__V16(1.0f)),
                              _mm512_cmp_ps_mask(e, z, _CMP_LT_OQ), NN__V16(-1.0f));
}
NN__X86_MAE1(NN__TARGET_AVX512, _mm512, __m512, avx512)
NN__TARGET_AVX512 static inline __m512 nn__huber1_avx512(__m512 h, __m512 y, __m512 d, __m512 *l)
{
    __m512 e = _mm512_sub_ps(h, y), a = _mm512_abs_ps(e);
    __mmask16 in = _mm512_cmp_ps_mask(a, d, _CMP_LE_OQ);
    *l = _mm512_mask_mov_ps(_mm512_mul_ps(d, _mm512_fnmadd_ps(NN__V16(0.5f), d, a)), in,
                            _mm512_mul_ps(_mm512_mul_ps(NN__V16(0.5f), e), e));
    /* outside: e > 0 ? delta : -delta (NaN: -delta, as the scalar loop) */
    return _mm512_mask_mov_ps(_mm512_mask_blend_ps(_mm512_cmp_ps_mask(e, _mm512_setzero_ps(),
                              _CMP_GT_OQ), _mm512_sub_ps(_mm512_setzero_ps(), d), d), in, e);
}
NN__X86_BCE1(NN__TARGET_AVX512, _mm512, __m512, avx512)
NN__X86_CE1(NN__TARGET_AVX512, _mm512, __m512, avx512)
#define NN__AVX512_LOSS(name, f) \
    NN__X86_LOSS(NN__TARGET_AVX512, _mm512, __m512, __mmask16, __m512d, 16, avx512, name, f)
NN__AVX512_LOSS(nn__mse_avx512, nn__mse1_avx512)
NN__AVX512_LOSS(nn__mae_avx512, nn__mae1_avx512)
NN__AVX512_LOSS(nn__huber_avx512, nn__huber1_avx512)
NN__AVX512_LOSS(nn__bce_avx512, nn__bce1_avx512)
NN__AVX512_LOSS(nn__ce_avx512, nn__ce1_avx512)
NN__AVX512_LOSS(nn__sxent_n_avx512, nn__sxent1_avx512)
NN__X86_SIGMOID_XENT(NN__TARGET_AVX512, avx512)

NN__INTERNAL void nn__fill_avx512(nn_kernels *k)
{
    NN__FILL_ELEMWISE(k, avx512);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif /* NN__X86 (AVX-512) */

/* ======================================================================== */
/* 2.6 NEON kernels                                                         */
/* ======================================================================== */
#if NN__NEON

/* -- NEON finiteness check (as NN__X86_ALL_FINITE: s + x * 0 stays 0
 * while x is finite; four sums, looked at every 1024 floats) -- */
NN__INTERNAL int nn__all_finite_neon(size_t n, const float *x)
{
    const float32x4_t z = vdupq_n_f32(0.0f);
    float32x4_t s0 = z, s1 = z, s2 = z, s3 = z;
    size_t i = 0, end;
    float t;
    while (n - i >= 16) {
        end = n - i > 1024 ? i + 1024 : n - (n - i) % 16;
        for (; i < end; i += 16) {
            s0 = vfmaq_f32(s0, vld1q_f32(x + i), z);
            s1 = vfmaq_f32(s1, vld1q_f32(x + i + 4), z);
            s2 = vfmaq_f32(s2, vld1q_f32(x + i + 8), z);
            s3 = vfmaq_f32(s3, vld1q_f32(x + i + 12), z);
        }
        t = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
        if (t != t) return 0;
    }
    for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(x + i), z);
    t = vaddvq_f32(s0);
    return t == t && nn__all_finite_scalar(n - i, x + i);
}

/* -- NEON optimizer kernel (4 lanes; the tail through a zero-padded copy) -- */
/* One 4-float step of the optimizer at w, g, m, v. */
NN__INTERNAL inline void nn__opt4_neon(const nn__opt_args *a, float *w,
                                       const float *g, float *m, float *v)
{
    const float32x4_t lr = vdupq_n_f32(a->lr), mu = vdupq_n_f32(a->mu);
    const float32x4_t l1 = vdupq_n_f32(a->l1), l2 = vdupq_n_f32(a->l2);
    const float32x4_t zero = vdupq_n_f32(0.0f);
    float32x4_t W = vld1q_f32(w), G = vld1q_f32(g), M, V;
    if (a->l2 != 0.0f) G = vfmaq_f32(G, l2, W);
    if (a->l1 != 0.0f) {
        G = vaddq_f32(G, vreinterpretq_f32_u32(vandq_u32(vcgtq_f32(W, zero), vreinterpretq_u32_f32(l1))));
        G = vsubq_f32(G, vreinterpretq_f32_u32(vandq_u32(vcltq_f32(W, zero), vreinterpretq_u32_f32(l1))));
    }
    switch (a->kind) {
    case NN_OPT_SGD:
        W = vfmsq_f32(W, lr, G);
        break;
    case NN_OPT_MOMENTUM:
    case NN_OPT_NESTEROV:
        M = vfmsq_f32(vmulq_f32(mu, vld1q_f32(m)), lr, G);
        vst1q_f32(m, M);
        if (a->kind == NN_OPT_MOMENTUM) W = vaddq_f32(W, M);
        else W = vaddq_f32(W, vfmsq_f32(vmulq_f32(mu, M), lr, G));
        break;
    case NN_OPT_ADAM:
        M = vfmaq_f32(vmulq_n_f32(G, 1.0f - a->b1), vdupq_n_f32(a->b1), vld1q_f32(m));
        V = vfmaq_f32(vmulq_n_f32(vmulq_f32(G, G), 1.0f - a->b2), vdupq_n_f32(a->b2), vld1q_f32(v));
        vst1q_f32(m, M);
        vst1q_f32(v, V);
        W = vsubq_f32(W, vdivq_f32(vmulq_f32(lr, vdivq_f32(M, vdupq_n_f32(a->bc1))),
                vaddq_f32(vsqrtq_f32(vdivq_f32(V, vdupq_n_f32(a->bc2))), vdupq_n_f32(a->eps))));
        break;
    }
    vst1q_f32(w, W);
}

/* The pass: section 2.3's NN__OPT_PADDED_BODY. */
NN__INTERNAL void nn__opt_neon(const nn__opt_args *a, size_t n, float *w,
                               const float *g, float *m, float *v)
{
    NN__OPT_PADDED_BODY(4, nn__opt4_neon)
}

/* -- NEON GEMM micro-kernel and packers -- */

/* 8 x 12 tile: 24 q accumulators, 3 for B, 2 for the 8 values of A (lane
 * FMAs): 29 of 32 registers. */
#define NN__N_MR 8
#define NN__N_NR 12
#define NN__N_ROW(i)                                                       \
    a = vdupq_n_f32(r[i][q]);                                              \
    c##i##0 = vfmaq_f32(c##i##0, b0, a);                                   \
    c##i##1 = vfmaq_f32(c##i##1, b1, a);                                   \
    c##i##2 = vfmaq_f32(c##i##2, b2, a);
#define NN__N_ROWP(i, av, l)                                               \
    c##i##0 = vfmaq_laneq_f32(c##i##0, b0, av, l);                         \
    c##i##1 = vfmaq_laneq_f32(c##i##1, b1, av, l);                         \
    c##i##2 = vfmaq_laneq_f32(c##i##2, b2, av, l);
#define NN__N_PUT(i)                                                       \
    vst1q_f32(t + i * 12, c##i##0);                                        \
    vst1q_f32(t + i * 12 + 4, c##i##1);                                    \
    vst1q_f32(t + i * 12 + 8, c##i##2);
#define NN__N_STORE1(i, j)                                                 \
    c##i##j = vmulq_n_f32(c##i##j, alpha);                                 \
    if (beta != 0.0f)                                                      \
        c##i##j = vfmaq_n_f32(c##i##j, vld1q_f32(C + i * rsc + 4 * j), beta); \
    vst1q_f32(C + i * rsc + 4 * j, c##i##j);
#define NN__N_STORE(i) NN__N_STORE1(i, 0) NN__N_STORE1(i, 1) NN__N_STORE1(i, 2)
NN__INTERNAL void nn__gemm_ukr_neon(int kc, float alpha, const float *A,
                                    ptrdiff_t rsa, ptrdiff_t csa,
                                    const float *B, ptrdiff_t rsb, float *C,
                                    ptrdiff_t rsc, ptrdiff_t csc, int m, int n,
                                    float beta)
{
    float32x4_t c00 = vdupq_n_f32(0.0f), c01 = c00, c02 = c00, c10 = c00;
    float32x4_t c11 = c00, c12 = c00, c20 = c00, c21 = c00, c22 = c00;
    float32x4_t c30 = c00, c31 = c00, c32 = c00, c40 = c00, c41 = c00;
    float32x4_t c42 = c00, c50 = c00, c51 = c00, c52 = c00, c60 = c00;
    float32x4_t c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
    float32x4_t a, a0, a1, b0, b1, b2;
    const float *r[NN__N_MR];
    ptrdiff_t q = 0;
    int p;
    if (rsa == 1 && csa == NN__N_MR) {  /* packed A: two loads, lane FMAs */
        for (p = 0; p < kc; p++) {
            a0 = vld1q_f32(A);
            a1 = vld1q_f32(A + 4);
            b0 = vld1q_f32(B);
            b1 = vld1q_f32(B + 4);
            b2 = vld1q_f32(B + 8);
            NN__N_ROWP(0, a0, 0) NN__N_ROWP(1, a0, 1) NN__N_ROWP(2, a0, 2)
            NN__N_ROWP(3, a0, 3) NN__N_ROWP(4, a1, 0) NN__N_ROWP(5, a1, 1)
            NN__N_ROWP(6, a1, 2) NN__N_ROWP(7, a1, 3)
            A += NN__N_MR;
            B += rsb;
        }
    } else {
        nn__gemm_rows(A, rsa, m, NN__N_MR, r);
        for (p = 0; p < kc; p++, q += csa) {
            b0 = vld1q_f32(B);
            b1 = vld1q_f32(B + 4);
            b2 = vld1q_f32(B + 8);
            NN__N_ROW(0) NN__N_ROW(1) NN__N_ROW(2) NN__N_ROW(3)
            NN__N_ROW(4) NN__N_ROW(5) NN__N_ROW(6) NN__N_ROW(7)
            B += rsb;
        }
    }
    if (m == NN__N_MR && n == NN__N_NR && csc == 1) {
        NN__N_STORE(0) NN__N_STORE(1) NN__N_STORE(2) NN__N_STORE(3)
        NN__N_STORE(4) NN__N_STORE(5) NN__N_STORE(6) NN__N_STORE(7)
    } else {
        float t[NN__N_MR * NN__N_NR];
        NN__N_PUT(0) NN__N_PUT(1) NN__N_PUT(2) NN__N_PUT(3)
        NN__N_PUT(4) NN__N_PUT(5) NN__N_PUT(6) NN__N_PUT(7)
        nn__gemm_tile_store(t, NN__N_NR, alpha, C, rsc, csc, m, n, beta);
    }
}

/* Full panels of r = 4k rows contiguous along k: 4 x 4 transposes. */
NN__INTERNAL void nn__gemm_pack_neon(int mn, int k, const float *x,
                                     ptrdiff_t rs, ptrdiff_t cs, int r,
                                     float *dst)
{
    int p = 0, g;
    if (mn == r && !(r & 3) && cs == 1) {
        for (; p + 4 <= k; p += 4)
            for (g = 0; g < r; g += 4) {
                float32x4_t r0 = vld1q_f32(x + g * rs + p);
                float32x4_t r1 = vld1q_f32(x + (g + 1) * rs + p);
                float32x4_t r2 = vld1q_f32(x + (g + 2) * rs + p);
                float32x4_t r3 = vld1q_f32(x + (g + 3) * rs + p);
                float32x4_t t0 = vtrn1q_f32(r0, r1), t1 = vtrn2q_f32(r0, r1);
                float32x4_t t2 = vtrn1q_f32(r2, r3), t3 = vtrn2q_f32(r2, r3);
                float *d = dst + (size_t)p * r + g;
                vst1q_f32(d, vreinterpretq_f32_f64(vtrn1q_f64(
                    vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2))));
                vst1q_f32(d + r, vreinterpretq_f32_f64(vtrn1q_f64(
                    vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3))));
                vst1q_f32(d + 2 * r, vreinterpretq_f32_f64(vtrn2q_f64(
                    vreinterpretq_f64_f32(t0), vreinterpretq_f64_f32(t2))));
                vst1q_f32(d + 3 * r, vreinterpretq_f32_f64(vtrn2q_f64(
                    vreinterpretq_f64_f32(t1), vreinterpretq_f64_f32(t3))));
            }
    } else if (mn == r && !(r & 3) && rs == 1) {
        for (; p < k; p++)
            for (g = 0; g < r; g += 4)
                vst1q_f32(dst + (size_t)p * r + g,
                          vld1q_f32(x + p * cs + g));
    }
    if (p < k)
        nn__gemm_pack_scalar(mn, k - p, x + p * cs, rs, cs, r,
                             dst + (size_t)p * r);
}

/* Dot-product path: section 2.3's NN__DOT_BODY (vfmaq takes acc first). */
#define NN__N_FMA(a, b, acc) vfmaq_f32(acc, a, b)
NN__INTERNAL void nn__gemm_dot_neon(int M, int N, int K, float alpha,
                                    const float *A, ptrdiff_t lda,
                                    const float *B, ptrdiff_t ldb, float beta,
                                    float *C, ptrdiff_t ldc)
{
    NN__DOT_BODY(float32x4_t, 4, vdupq_n_f32(0.0f), vld1q_f32, NN__N_FMA,
                 vaddvq_f32)
}

/* Row-update path: column chunks of 16 (4 q) in registers over K. */
#define NN__N_OUT(ptr, s)                                                  \
    {                                                                      \
        float32x4_t v_ = vmulq_n_f32(s, alpha);                            \
        if (beta != 0.0f) v_ = vfmaq_n_f32(v_, vld1q_f32(ptr), beta);      \
        vst1q_f32(ptr, v_);                                                \
    }
NN__INTERNAL void nn__gemm_axpy_neon(int M, int N, int K, float alpha,
                                     const float *A, ptrdiff_t rsa,
                                     ptrdiff_t csa, const float *B,
                                     ptrdiff_t ldb, float beta, float *C,
                                     ptrdiff_t ldc)
{
    int i, j, p;
    for (i = 0; i < M; i++) {
        const float *a = A + i * rsa;
        float *c = C + i * ldc;
        for (j = 0; j + 16 <= N; j += 16) {
            float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
            for (p = 0; p < K; p++) {
                float av = a[p * csa];
                const float *b = B + p * ldb + j;
                s0 = vfmaq_n_f32(s0, vld1q_f32(b), av);
                s1 = vfmaq_n_f32(s1, vld1q_f32(b + 4), av);
                s2 = vfmaq_n_f32(s2, vld1q_f32(b + 8), av);
                s3 = vfmaq_n_f32(s3, vld1q_f32(b + 12), av);
            }
            NN__N_OUT(c + j, s0) NN__N_OUT(c + j + 4, s1)
            NN__N_OUT(c + j + 8, s2) NN__N_OUT(c + j + 12, s3)
        }
        /* 4-column chunks: every column but the last N % 4 gets the same
         * fused sequence wherever a chunk starts (thread parts split N at
         * multiples of 4: same bits for any thread count) */
        for (; j + 4 <= N; j += 4) {
            float32x4_t s0 = vdupq_n_f32(0.0f);
            for (p = 0; p < K; p++)
                s0 = vfmaq_n_f32(s0, vld1q_f32(B + p * ldb + j), a[p * csa]);
            NN__N_OUT(c + j, s0)
        }
        if (j < N)
            nn__gemm_axpy_scalar(1, N - j, K, alpha, a, 0, csa, B + j, ldb,
                                 beta, c + j, 0);
    }
}

/* -- NEON element-wise kernels -- */
/* Same algorithms as the AVX2 kernels (2^n by exponent shift with a
 * two-factor fallback, a / (b + c) with the residual correction) except exp,
 * which has no table here (no cheap 16-lane permute): x = n ln2 + r, the
 * rounding error of r carried, e^r = 1 + r + r^2 P(r) summed in two parts.
 * FMAX/FMIN propagate NaN. Tails go through a 4-float stack buffer. */
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
    float32x4_t n, t, p, s, d, dl;
    p = nn__exp_reduce_neon(vmaxq_f32(NN__V4(NN__EXPM1_LO), x), &t, &n, NULL);
    p = nn__exp_poly_neon(p, p);
    s = vreinterpretq_f32_s32(vshlq_n_s32(vreinterpretq_s32_f32(t), 23));
    d = vsubq_f32(s, NN__V4(1.0f));
    dl = vsubq_f32(s, vaddq_f32(d, NN__V4(1.0f)));
    return vaddq_f32(vfmaq_f32(dl, s, p), d);
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
    float32x4_t q = vdivq_f32(a, hi);
    float32x4_t r = vfmsq_f32(vfmsq_f32(a, q, b), q, c);
    return vfmaq_f32(q, r, vrecpeq_f32(hi));
}
NN__INTERNAL inline float32x4_t nn__negabs_neon(float32x4_t x)
{
    return vnegq_f32(vabsq_f32(x));
}
/* sigmoid and softplus of x from e = e^-|x| (sigmoid + BCE shares it) */
NN__INTERNAL inline float32x4_t nn__sigmoid_e_neon(float32x4_t x, float32x4_t e)
{
    return nn__div_sum_neon(vbslq_f32(vcltq_f32(x, NN__V4(0.0f)), e, NN__V4(1.0f)),
                            NN__V4(1.0f), e);
}
NN__INTERNAL inline float32x4_t nn__tanh_neon(float32x4_t x)
{
    float32x4_t e = nn__expm1_neg_neon(vmulq_f32(nn__negabs_neon(x), NN__V4(2.0f)));
    float32x4_t t = nn__div_sum_neon(e, NN__V4(2.0f), e);
    return vbslq_f32(vdupq_n_u32(0x80000000u), x, vabsq_f32(t));
}
NN__INTERNAL inline float32x4_t nn__softplus_e_neon(float32x4_t x, float32x4_t e)
{
    uint32x4_t big = vcgtq_f32(e, NN__V4(NN__SQRT2 - 1.0f));
    float32x4_t f = vbslq_f32(big, vfmaq_f32(NN__V4(-0.5f), e, NN__V4(0.5f)), e);
    float32x4_t l = nn__log_join_neon(f, nn__log1p_tail_neon(f),
                                      vbslq_f32(big, NN__V4(1.0f), NN__V4(0.0f)));
    /* max(x, 0) with NaN kept: FMAX propagates it */
    return vaddq_f32(vmaxq_f32(x, NN__V4(0.0f)), l);
}
NN__INTERNAL inline float32x4_t nn__sigmoid_neon(float32x4_t x)
{
    return nn__sigmoid_e_neon(x, nn__exp_neg_neon(nn__negabs_neon(x)));
}
NN__INTERNAL inline float32x4_t nn__softplus_neon(float32x4_t x)
{
    return nn__softplus_e_neon(x, nn__exp_neg_neon(nn__negabs_neon(x)));
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
    /* x >= 0: 1, x < 0: 0, NaN: x */
    float32x4_t r = vbslq_f32(vcltq_f32(x, NN__V4(0.0f)), NN__V4(0.0f), x);
    return vbslq_f32(vcgeq_f32(x, NN__V4(0.0f)), NN__V4(1.0f), r);
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
    /* |expm1(-y)| with y's sign: +-0 -> +-0, as libm */
    return vmulq_f32(dy, vbslq_f32(vdupq_n_u32(0x80000000u), y,
                                   nn__expm1_neg_neon(vnegq_f32(y))));
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

/* lanes [0, left) set */
NN__INTERNAL inline uint32x4_t nn__lanes_neon(size_t left)
{
    return vcltq_u32(vcombine_u32(vcreate_u32(0x100000000ull), vcreate_u32(0x300000002ull)),
                     vdupq_n_u32((uint32_t)left));
}
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
        uint32x4_t m = nn__lanes_neon(left);
        e = nn__exp_neon(vsubq_f32(nn__load_tail_neon(x + j, left), vm));
        if (y) nn__store_tail_neon(y + j, e, left);
        s = vaddq_f32(s, vbslq_f32(m, e, NN__V4(0.0f)));
    }
    return vaddvq_f32(s);
}
/* y = (a x - b) - c over a row, one pass (softmax: a = 1/sum, b = c = 0;
 * log-softmax: a = 1, (x - max) - log(sum), as the x86 rows compute it) */
NN__INTERNAL void nn__row_axmb_neon(int cols, const float *x, float a, float b, float c,
                                    float *y)
{
    float32x4_t va = NN__V4(a), vb = NN__V4(b), vc = NN__V4(c);
    int j = 0;
    for (; j + 4 <= cols; j += 4)
        vst1q_f32(y + j, vsubq_f32(vsubq_f32(vmulq_f32(vld1q_f32(x + j), va), vb), vc));
    if (j < cols) {
        size_t left = (size_t)(cols - j);
        nn__store_tail_neon(y + j, vsubq_f32(vsubq_f32(vmulq_f32(nn__load_tail_neon(x + j, left),
                                                                 va), vb), vc), left);
    }
}
NN__INTERNAL void nn__softmax_rows_neon(int rows, int cols, const float *x, float *y)
{
    int r;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        float *yr = y + (size_t)r * cols;
        float s = nn__row_expsum_neon(cols, xr, nn__row_max_neon(cols, xr), yr);
        nn__row_axmb_neon(cols, yr, 1.0f / s, 0.0f, 0.0f, yr);
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
        nn__row_axmb_neon(cols, xr, 1.0f, mx, ls, yr);
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

NN__INTERNAL inline float32x4_t nn__xent_vec_neon(float32x4_t acc, float32x4_t zv,
    float32x4_t yv, float32x4_t e, float32x4_t vm, float32x4_t ls, float32x4_t inv,
    float32x4_t g, float32x4_t *d)
{
    uint32x4_t nz = vmvnq_u32(vceqq_f32(yv, NN__V4(0.0f)));
    float32x4_t t = vsubq_f32(ls, vsubq_f32(zv, vm));
    *d = vmulq_f32(vsubq_f32(vfmaq_f32(NN__V4(0.0f), e, inv), yv), g);
    return vaddq_f32(acc, vbslq_f32(nz, vmulq_f32(yv, t), NN__V4(0.0f)));
}
NN__INTERNAL double nn__softmax_xent_rows_neon(int rows, int cols, const float *z,
                                               const float *y, float gscale, float *dz)
{
    int r, j;
    double sum = 0.0;
    for (r = 0; r < rows; r++) {
        size_t o = (size_t)r * cols;
        float *dr = dz ? dz + o : NULL;
        float mx = nn__row_max_neon(cols, z + o);
        float s = nn__row_expsum_neon(cols, z + o, mx, dr);
        float32x4_t vm = NN__V4(mx), ls = NN__V4(logf(s)), inv = NN__V4(1.0f / s);
        float32x4_t g = NN__V4(gscale), acc = NN__V4(0.0f), d;
        for (j = 0; j + 4 <= cols; j += 4) {
            acc = nn__xent_vec_neon(acc, vld1q_f32(z + o + j), vld1q_f32(y + o + j),
                                    dr ? vld1q_f32(dr + j) : vm, vm, ls, inv, g, &d);
            if (dr) vst1q_f32(dr + j, d);
        }
        if (j < cols) {
            size_t left = (size_t)(cols - j);
            acc = nn__xent_vec_neon(acc, nn__load_tail_neon(z + o + j, left),
                                    nn__load_tail_neon(y + o + j, left),
                                    dr ? nn__load_tail_neon(dr + j, left) : vm, vm, ls, inv, g, &d);
            if (dr) nn__store_tail_neon(dr + j, d, left);
        }
        sum += vaddvq_f32(acc);
    }
    return sum;
}
/* sigmoid + BCE from the logits: loss softplus(z) - y z, gradient
 * sigmoid(z) - y, e^-|z| computed once */
NN__INTERNAL inline float32x4_t nn__sxent1_neon(float32x4_t z, float32x4_t y, float32x4_t d,
                                                float32x4_t *l)
{
    float32x4_t e = nn__exp_neg_neon(nn__negabs_neon(z));
    (void)d;
    *l = vfmsq_f32(nn__softplus_e_neon(z, e), y, z);
    return vsubq_f32(nn__sigmoid_e_neon(z, e), y);
}
/* 4 float losses into two double accumulators */
NN__INTERNAL inline void nn__acc4d_neon(float64x2_t *a0, float64x2_t *a1, float32x4_t l)
{
    *a0 = vaddq_f64(*a0, vcvt_f64_f32(vget_low_f32(l)));
    *a1 = vaddq_f64(*a1, vcvt_high_f64_f32(l));
}
/* element losses (see the AVX-512 versions) */
NN__INTERNAL inline float32x4_t nn__mse1_neon(float32x4_t h, float32x4_t y, float32x4_t d,
                                              float32x4_t *l)
{
    float32x4_t e = vsubq_f32(h, y);
    (void)d;
    *l = vmulq_f32(vmulq_f32(NN__V4(0.5f), e), e);
    return e;
}
NN__INTERNAL inline float32x4_t nn__sign_neon(float32x4_t e)
{
    return vbslq_f32(vcgtq_f32(e, NN__V4(0.0f)), NN__V4(1.0f),
                     vbslq_f32(vcltq_f32(e, NN__V4(0.0f)), NN__V4(-1.0f), NN__V4(0.0f)));
}
NN__INTERNAL inline float32x4_t nn__mae1_neon(float32x4_t h, float32x4_t y, float32x4_t d,
                                              float32x4_t *l)
{
    float32x4_t e = vsubq_f32(h, y);
    (void)d;
    *l = vabsq_f32(e);
    return nn__sign_neon(e);
}
NN__INTERNAL inline float32x4_t nn__huber1_neon(float32x4_t h, float32x4_t y, float32x4_t d,
                                                float32x4_t *l)
{
    float32x4_t e = vsubq_f32(h, y), a = vabsq_f32(e);
    uint32x4_t in = vcleq_f32(a, d);
    *l = vbslq_f32(in, vmulq_f32(vmulq_f32(NN__V4(0.5f), e), e),
                   vmulq_f32(d, vfmsq_f32(a, NN__V4(0.5f), d)));
    return vbslq_f32(in, e, vbslq_f32(vcgtq_f32(e, NN__V4(0.0f)), d, vnegq_f32(d)));
}
NN__INTERNAL inline float32x4_t nn__bce1_neon(float32x4_t h, float32x4_t y, float32x4_t d,
                                              float32x4_t *l)
{
    float32x4_t one = NN__V4(1.0f);
    float32x4_t p = vmaxq_f32(NN__V4(NN__LOSS_PMIN), vminq_f32(NN__V4(1.0f - NN__LOSS_PMIN), h));
    float32x4_t q = vsubq_f32(one, p);
    (void)d;
    *l = vnegq_f32(vfmaq_f32(vmulq_f32(vsubq_f32(one, y), nn__log_neon(q)), y, nn__log_neon(p)));
    return vdivq_f32(vsubq_f32(p, y), vmulq_f32(p, q));
}
NN__INTERNAL inline float32x4_t nn__ce1_neon(float32x4_t h, float32x4_t y, float32x4_t d,
                                             float32x4_t *l)
{
    float32x4_t p = vmaxq_f32(NN__V4(NN__LOSS_PMIN), h), ny = vnegq_f32(y);
    (void)d;
    *l = vbslq_f32(vceqq_f32(y, NN__V4(0.0f)), NN__V4(0.0f), vmulq_f32(ny, nn__log_neon(p)));
    return vdivq_f32(ny, p);
}
/* full vectors, then one padded vector (its loss lanes past n zeroed) */
#define NN__NEON_LOSS(name, f)                                                \
    NN__INTERNAL double name(size_t n, const float *h, const float *y,        \
                             float delta, float gscale, float *grad)          \
    {                                                                         \
        float64x2_t a0 = vdupq_n_f64(0.0), a1 = vdupq_n_f64(0.0);             \
        float32x4_t vd = NN__V4(delta), vg = NN__V4(gscale), l, g;            \
        size_t i = 0;                                                         \
        for (; i + 4 <= n; i += 4) {                                          \
            g = f(vld1q_f32(h + i), vld1q_f32(y + i), vd, &l);                \
            nn__acc4d_neon(&a0, &a1, l);                                      \
            if (grad) vst1q_f32(grad + i, vmulq_f32(g, vg));                  \
        }                                                                     \
        if (i < n) {                                                          \
            size_t left = n - i;                                              \
            g = f(nn__load_tail_neon(h + i, left), nn__load_tail_neon(y + i, left), vd, &l); \
            nn__acc4d_neon(&a0, &a1, vbslq_f32(nn__lanes_neon(left), l, NN__V4(0.0f))); \
            if (grad) nn__store_tail_neon(grad + i, vmulq_f32(g, vg), left);  \
        }                                                                     \
        return vaddvq_f64(vaddq_f64(a0, a1));                                 \
    }
NN__NEON_LOSS(nn__mse_neon, nn__mse1_neon)
NN__NEON_LOSS(nn__mae_neon, nn__mae1_neon)
NN__NEON_LOSS(nn__huber_neon, nn__huber1_neon)
NN__NEON_LOSS(nn__bce_neon, nn__bce1_neon)
NN__NEON_LOSS(nn__ce_neon, nn__ce1_neon)
NN__NEON_LOSS(nn__sxent_n_neon, nn__sxent1_neon)
/* sigmoid + BCE over rows x cols: the loop above with nn__sxent1_neon */
NN__INTERNAL double nn__sigmoid_xent_neon(int rows, int cols, const float *z,
                                          const float *y, float gscale, float *dz)
{
    return nn__sxent_n_neon((size_t)rows * cols, z, y, 0.0f, gscale, dz);
}

NN__INTERNAL void nn__fill_neon(nn_kernels *k)
{
    NN__FILL_ELEMWISE(k, neon);
}
#endif /* NN__NEON */

/* ======================================================================== */
/* 2.7 GEMM driver (blocking, packing, threads, fused epilogue)             */
/* ======================================================================== */
/* BLIS structure (Van Zee & van de Geijn 2015): for each NC-wide column
 * block jc of B, for each KC-deep block pc, B[pc, jc] is packed into
 * kc x NR micro-panels (KC x NC block in L3/L2), then for each MC-tall
 * block ic of A, A[ic, pc] is packed into MR x kc micro-panels (MC x KC in
 * L2) and the macro-kernel runs the micro-kernel over every MR x NR tile
 * (the kc x NR micro-panel of B stays in L1). All transposes are absorbed
 * by the packers, which read op(X)(i,p) = X[i*rs + p*cs]; alpha is applied
 * by the micro-kernel when it stores C. Edge tiles are zero padded in the packed panels and
 * stored through a local tile; a short last row panel takes the ISA's shorter tile
 * (gemm_ukr_short) when it has one, or row updates when thinner still. The fused epilogue runs on each MC x NC
 * block of C right after its last K block, while the block is in L2.
 *
 * Threads (OpenMP) each take a block of whole MR-row or NR-column panels
 * (the M or the N loop, whichever has more tiles) and run the five loops on
 * it with their own packed panels, without barriers (spinning barriers
 * collapse on an oversubscribed machine). K is never split and the blocking
 * does not depend on the thread count, so every element of C is summed in
 * the same order for any number of threads (bit-identical).
 *
 * Thin problems skip packing: M*N*K <= NN__GEMM_TINY goes to a plain loop;
 * batch-1 style shapes (M or N <= 4 with A and B rows along K, or M or
 * K <= 4 with B rows along N) take the dot / axpy kernels of the ISA, which
 * stream the weights once; an ISA may widen those limits (dot_n, dot_m,
 * axpy_k) where its kernels win. */

#define NN__GEMM_TINY 4096      /* M*N*K at or below: plain loops          */
#define NN__GEMM_THIN 4         /* M, N or K at or below: direct kernels   */
#define NN__GEMM_PAR_FLOPS 4e6  /* less work than this: one thread        */
#define NN__GEMM_STACK 4096     /* packed floats kept on the stack (16 KiB) */

/* Positive integer from the environment, or 0. */
NN__INTERNAL int nn__env_int(const char *name)
{
    const char *e = getenv(name);
    long v;
    if (!e || !*e) return 0;
    v = strtol(e, NULL, 10);
    return v > 0 && v < (1L << 20) ? (int)v : 0;
}

/* Round x down to a multiple of m, at least m. */
NN__INTERNAL int nn__round_down(long x, int m)
{
    x -= x % m;
    return x < m ? m : (int)x;
}

NN__INTERNAL void nn__gemm_fill(nn_kernels *k)
{
    long l1 = nn__cpu.l1d, l2 = nn__cpu.l2, l3 = nn__cpu.l3;
    int v;
    k->mr = NN__SC_MR; k->nr = NN__SC_NR;
    k->gemm_ukr = nn__gemm_ukr_scalar;
    k->gemm_ukr_short = nn__gemm_ukr_scalar;
    k->short_m = 0;
    k->gemm_pack = nn__gemm_pack_scalar;
    k->gemm_dot = nn__gemm_dot_scalar;
    k->gemm_axpy = nn__gemm_axpy_scalar;
    k->dot_n = NN__GEMM_THIN;
    k->dot_m = NN__GEMM_THIN;
    k->axpy_k = NN__GEMM_THIN;
    k->thin_m = 0;                              /* below: mr / 4          */
    switch (k->isa) {
#if NN__X86
    case NN_ISA_AVX512:
        k->mr = NN__Z_MR; k->nr = NN__Z_NR;
        k->gemm_ukr = nn__gemm_ukr_avx512;
        k->gemm_ukr_short = nn__gemm_ukr6_avx512;
        k->short_m = 6;
        k->gemm_pack = nn__gemm_pack_avx2;
        k->gemm_dot = nn__gemm_dot_avx512;
        k->gemm_axpy = nn__gemm_axpy_avx512;
        /* 4 x 4 dot blocks beat a 10/32 full tile, and packing W for a
         * batch up to 128 with deep K (Zen 4: 784->256 batch 32 forward
         * 83 -> 101 GFLOP/s); they lose at K 64-128 or M >= 256 */
        k->dot_n = 32;
        k->dot_m = 128;
        /* rows in pairs at short K beat 8 x 32 tiles whose C stores weigh
         * as much as their FMAs (dX of 128->10, batch 32-512: 80 -> 95
         * GFLOP/s; K 30 loses 7%) */
        k->axpy_k = 16;
        /* its row update pairs rows: up to half a tile (dW 12x128x32:
         * 1.50 -> 1.17 us, 12x784x128 30.1 -> 28.3 us; 6 of 8 rows lose
         * 7-12% at K >= 128); AVX2's unpaired one loses even at 3 of 6 */
        k->thin_m = NN__Z_MR / 2;
        break;
    case NN_ISA_AVX2:
        k->mr = NN__Y_MR; k->nr = NN__Y_NR;
        k->gemm_ukr = nn__gemm_ukr_avx2;
        k->gemm_ukr_short = nn__gemm_ukr4_avx2;
        k->short_m = 4;
        k->gemm_pack = nn__gemm_pack_avx2;
        k->gemm_dot = nn__gemm_dot_avx2;
        k->gemm_axpy = nn__gemm_axpy_avx2;
        break;
#endif
#if NN__NEON
    case NN_ISA_NEON:
        k->mr = NN__N_MR; k->nr = NN__N_NR;
        k->gemm_ukr = nn__gemm_ukr_neon;
        k->gemm_pack = nn__gemm_pack_neon;
        k->gemm_dot = nn__gemm_dot_neon;
        k->gemm_axpy = nn__gemm_axpy_neon;
        break;
#endif
    default:
        break;
    }
    /* KC: deep, so the C tile update is amortized over many FMAs: the
     * kc x NR micro-panel of B about twice the L1 (the kernel needs only
     * (MR + NR) * 4 bytes per MR*NR FMAs, which L2 delivers easily; on
     * Zen 4 kc 512 beats kc 150, the B-panel-in-L1 rule, by 15%). */
    if (k->thin_m == 0) k->thin_m = k->mr / 4;
    k->kc = nn__round_down(2 * l1 / ((long)k->nr * 4), 8);
    if (k->kc < 128) k->kc = 128;
    if (k->kc > 512) k->kc = 512;
    /* MC: the mc x kc block of A in half of L2. */
    k->mc = nn__round_down(l2 / 2 / ((long)k->kc * 4), k->mr);
    if (k->mc > 4096) k->mc = nn__round_down(4096, k->mr);
    /* NC: the kc x nc block of B in a quarter of L3 (0: 4096 columns). */
    k->nc = nn__round_down(l3 > 0 ? l3 / 4 / ((long)k->kc * 4) : 4096, k->nr);
    if (k->nc > 8192) k->nc = nn__round_down(8192, k->nr);
    if ((v = nn__env_int("NN_GEMM_KC")) != 0) k->kc = v;
    if ((v = nn__env_int("NN_GEMM_MC")) != 0) k->mc = nn__round_down(v, k->mr);
    if ((v = nn__env_int("NN_GEMM_NC")) != 0) k->nc = nn__round_down(v, k->nr);
}

/* Epilogue on rows [i0,i1) x columns [j0, j0+n) of C. whole: the columns
 * are the full rows (softmax can run); softmax_only: bias and pre were
 * already applied. */
NN__INTERNAL void nn__gemm_epilogue_rows(const nn_kernels *k,
                                         const nn_epilogue *ep, float *C,
                                         ptrdiff_t ldc, int i0, int i1,
                                         int j0, int n, int whole,
                                         int softmax_only)
{
    static const float one = 1.0f;
    int i;
    for (i = i0; i < i1; i++) {
        float *c = C + i * ldc + j0;
        if (!softmax_only) {
            if (ep->bias)       /* c = 1 (1 bias) + 1 c: exactly c + bias */
                k->gemm_axpy(1, n, 1, 1.0f, &one, 0, 0, ep->bias + j0, 0, 1.0f,
                             c, ldc);
            if (ep->pre)
                memcpy(ep->pre + (size_t)i * ep->ldpre + j0, c,
                       (size_t)n * sizeof(float));
        }
        if (ep->act == NN_ACT_SOFTMAX) {
            if (whole) k->softmax_rows(1, n, c, c);
        } else if (ep->act != NN_ACT_IDENTITY && !softmax_only) {
            k->act_fwd[ep->act]((size_t)n, c, c);
        }
    }
}

/* One problem, as strides: op(A)(i,p) = A[i*rsa + p*csa], op(B)(p,j) =
 * B[p*rsb + j*csb], C(i,j) = C[i*rsc + j*csc]. */
typedef struct nn__gemm_job {
    const nn_kernels *k;
    int M, N, K;
    float alpha, beta;
    const float *A, *B;
    float *C;
    ptrdiff_t rsa, csa, rsb, csb, rsc, csc;
    const nn_epilogue *ep;      /* NULL: none                              */
    int swapped;                /* computing C^T = B^T A^T: epilogue after */
    int direct_a, direct_b;     /* kernels read the user's A / B in place  */
    size_t na;                  /* floats of packed A before packed B      */
    int mc, kc, nc;
    float *ap, *bp;             /* shared packed A block and B block       */
} nn__gemm_job;

/* Part `part` of `parts` of n items: [*lo, *hi). */
NN__INTERNAL void nn__split(int n, int part, int parts, int *lo, int *hi)
{
    if (parts == 1) { *lo = 0; *hi = n; return; }   /* no divisions */
    *lo = (int)((long)n * part / parts);
    *hi = (int)((long)n * (part + 1) / parts);
}

/* The five loops over one job (a thread's part: nn__gemm_part). */
NN__INTERNAL void nn__gemm_worker(const nn__gemm_job *g)
{
    const nn_kernels *k = g->k;
    const int MR = k->mr, NR = k->nr;
    const nn_epilogue *ep = g->swapped ? NULL : g->ep;
    int jc, pc, ic, q;
    for (jc = 0; jc < g->N; jc += g->nc) {
        int ncur = g->N - jc < g->nc ? g->N - jc : g->nc;
        int npan = (ncur + NR - 1) / NR;
        for (pc = 0; pc < g->K; pc += g->kc) {
            int kcur = g->K - pc < g->kc ? g->K - pc : g->kc;
            float beta = pc == 0 ? g->beta : 1.0f;
            int last = pc + kcur >= g->K;
            for (q = 0; q < npan; q++) {
                int j = jc + q * NR;
                if (g->direct_b && g->N - j >= NR) continue;
                k->gemm_pack(g->N - j < NR ? g->N - j : NR, kcur,
                             g->B + pc * g->rsb + j * g->csb, g->csb, g->rsb, NR,
                             g->bp + (g->direct_b ? 0 : (size_t)q * NR * kcur));
            }
            for (ic = 0; ic < g->M; ic += g->mc) {
                int mcur = g->M - ic < g->mc ? g->M - ic : g->mc;
                int mpan = (mcur + MR - 1) / MR, t, mlast = mcur - (mpan - 1) * MR;
                /* a last row panel of thin_m rows or fewer: row updates
                 * over the whole width beat a mostly empty register tile */
                int thin = mlast <= k->thin_m && g->csb == 1 && g->csc == 1;
                if (thin) {
                    int i = ic + (mpan - 1) * MR;
                    k->gemm_axpy(mlast, ncur, kcur, g->alpha,
                                 g->A + i * g->rsa + pc * g->csa, g->rsa, g->csa,
                                 g->B + pc * g->rsb + jc, g->rsb, beta,
                                 g->C + i * g->rsc + jc, g->rsc);
                    mpan--;
                }
                if (!g->direct_a) {
                    for (q = 0; q < mpan; q++) {
                        int i = ic + q * MR;
                        k->gemm_pack(g->M - i < MR ? g->M - i : MR, kcur,
                                     g->A + i * g->rsa + pc * g->csa, g->rsa,
                                     g->csa, MR,
                                     g->ap + (size_t)q * MR * kcur);
                    }
                }
                /* tiles in column-panel-major order: consecutive tiles
                 * reuse the B micro-panel in L1 */
                for (t = 0; t < npan * mpan; t++) {
                    int jp = t / mpan, ip = t - jp * mpan;
                    int i = ic + ip * MR, j = jc + jp * NR;
                    int m = g->M - i < MR ? g->M - i : MR;
                    int n = g->N - j < NR ? g->N - j : NR;
                    const float *a = g->ap + (size_t)ip * MR * kcur, *b;
                    ptrdiff_t rsa = 1, csa = MR, rsb = NR;
                    if (g->direct_a) {
                        a = g->A + i * g->rsa + pc * g->csa;
                        rsa = g->rsa; csa = g->csa;
                    }
                    if (g->direct_b && n == NR) {
                        b = g->B + pc * g->rsb + j;
                        rsb = g->rsb;
                    } else {
                        b = g->bp + (g->direct_b ? 0 : (size_t)jp * NR * kcur);
                    }
                    (m <= k->short_m ? k->gemm_ukr_short : k->gemm_ukr)(
                        kcur, g->alpha, a, rsa, csa, b, rsb,
                        g->C + i * g->rsc + j * g->csc, g->rsc, g->csc, m, n,
                        beta);
                }
                if (last && ep)
                    nn__gemm_epilogue_rows(k, ep, g->C, g->rsc, ic, ic + mcur,
                                           jc, ncur, ncur == g->N, 0);
            }
        }
    }
    if (g->ep && (g->swapped || (g->ep->act == NN_ACT_SOFTMAX && g->nc < g->N))) {
        /* whole rows of the user's C: after every block is done */
        nn__gemm_epilogue_rows(k, g->ep, g->C, g->swapped ? g->csc : g->rsc, 0,
                               g->swapped ? g->N : g->M, 0,
                               g->swapped ? g->M : g->N, 1, !g->swapped);
    }
}

/* Threads for this much work (1 without OpenMP or inside a parallel
 * region); at most `units` (independent pieces of work). */
NN__INTERNAL int nn__gemm_threads(double flops, int units)
{
#if NN__OMP
    int nt;
    if (flops < NN__GEMM_PAR_FLOPS || omp_in_parallel()) return 1;
    nt = omp_get_max_threads();
    if (nt > flops / (NN__GEMM_PAR_FLOPS / 2)) nt = (int)(flops / (NN__GEMM_PAR_FLOPS / 2));
    if (nt > units) nt = units;
    return nt < 1 ? 1 : nt;
#else
    (void)flops; (void)units;
    return 1;
#endif
}

/* Fraction of the computed tile area that is useful. */
NN__INTERNAL double nn__tile_eff(int M, int N, int mr, int nr)
{
    return (double)M / ((M + mr - 1) / mr * mr) * N / ((N + nr - 1) / nr * nr);
}

/* Strided triple loop: tiny problems, and the fallback when the packing
 * buffers cannot be allocated. */
NN__INTERNAL void nn__gemm_small(const nn__gemm_job *g)
{
    int i, j, p;
    for (i = 0; i < g->M; i++)
        for (j = 0; j < g->N; j++) {
            float s = 0.0f, *c = g->C + i * g->rsc + j * g->csc;
            for (p = 0; p < g->K; p++)
                s += g->A[i * g->rsa + p * g->csa] * g->B[p * g->rsb + j * g->csb];
            s *= g->alpha;
            *c = g->beta == 0.0f ? s : s + g->beta * *c;
        }
}

/* Direct kernels on part `part` of `parts`: 64-column chunks, or rows when
 * there are more rows than chunks. Either split keeps every element's
 * summation order. */
NN__INTERNAL void nn__gemm_direct_part(const nn__gemm_job *g, int dot,
                                       int part, int parts)
{
    const nn_kernels *k = g->k;
    int cols = (g->N + 63) / 64, lo, hi, i0 = 0, i1 = g->M, j0 = 0, j1 = g->N;
    if (cols >= g->M) {
        nn__split(cols, part, parts, &lo, &hi);
        j0 = lo * 64;
        j1 = hi * 64 < g->N ? hi * 64 : g->N;
    } else {
        nn__split(g->M, part, parts, &i0, &i1);
    }
    if (i0 >= i1 || j0 >= j1) return;
    if (dot)
        k->gemm_dot(i1 - i0, j1 - j0, g->K, g->alpha, g->A + i0 * g->rsa,
                    g->rsa, g->B + j0 * g->csb, g->csb, g->beta,
                    g->C + i0 * g->rsc + j0, g->rsc);
    else
        k->gemm_axpy(i1 - i0, j1 - j0, g->K, g->alpha, g->A + i0 * g->rsa,
                     g->rsa, g->csa, g->B + j0, g->rsb, g->beta,
                     g->C + i0 * g->rsc + j0, g->rsc);
}

/* The epilogue on whole rows of the user's C (after every block is done),
 * part `part` of `parts` of them. */
NN__INTERNAL void nn__gemm_epilogue_part(const nn__gemm_job *g, int part,
                                         int parts)
{
    int rows = g->swapped ? g->N : g->M, lo, hi;
    nn__split(rows, part, parts, &lo, &hi);
    if (lo < hi)
        nn__gemm_epilogue_rows(g->k, g->ep, g->C, g->swapped ? g->csc : g->rsc,
                               lo, hi, 0, g->swapped ? g->M : g->N, 1, 0);
}

NN__INTERNAL void nn__gemm_direct(const nn__gemm_job *g, int dot)
{
    int cols = (g->N + 63) / 64;
    int nt = nn__gemm_threads(2.0 * g->M * g->N * g->K, cols > g->M ? cols : g->M);
#if NN__OMP
    if (nt > 1) {
        uint64_t mode = nn__fp_read();
#pragma omp parallel num_threads(nt)
        {
            uint64_t own = nn__fp_read();       /* workers adopt the caller's */
            nn__fp_write(mode);                 /* FTZ/DAZ for this region    */
            nn__gemm_direct_part(g, dot, omp_get_thread_num(), omp_get_num_threads());
            if (g->ep) {
#pragma omp barrier
                nn__gemm_epilogue_part(g, omp_get_thread_num(), omp_get_num_threads());
            }
            nn__fp_write(own);
        }
        return;
    }
#endif
    (void)nt;
    nn__gemm_direct_part(g, dot, 0, 1);
    if (g->ep) nn__gemm_epilogue_part(g, 0, 1);
}

/* Plan the packed path: operand swap for thin N, unpacked operands, K
 * blocks. Returns the packed floats it needs (panels of A, then of B). */
NN__INTERNAL size_t nn__gemm_plan(nn__gemm_job *g)
{
    const nn_kernels *k = g->k;
    int MR = k->mr, NR = k->nr;
    size_t na, nb;
    if (nn__tile_eff(g->N, g->M, MR, NR) > 1.25 * nn__tile_eff(g->M, g->N, MR, NR)) {
        /* thin N: C^T = op(B)^T op(A)^T fills the register tile better */
        const float *t = g->A;
        ptrdiff_t r = g->rsa, c = g->csa, s;
        int n = g->M;
        g->A = g->B; g->rsa = g->csb; g->csa = g->rsb;
        g->B = t; g->rsb = c; g->csb = r;
        g->M = g->N; g->N = n;
        s = g->rsc; g->rsc = g->csc; g->csc = s;
        g->swapped = 1;
    }
    g->mc = k->mc; g->kc = k->kc; g->nc = k->nc;
    /* Unpacked operands where packing cannot pay off: A (read through
     * broadcasts, any layout) when few rows, few column tiles (<= 8) or a
     * short K reuse it; B when its rows are contiguous and few row tiles
     * reuse it (A rows 4 KiB apart would share L1 sets: packed). On Zen 4
     * batch-32 layers gain 5-20%, the batch-1024 784->256 forward 5%;
     * square 1000 loses 10% with direct B, 3% with direct A. */
    g->direct_a = (g->M <= 64 || g->N <= 8 * NR || g->K <= 16) &&
                  (g->csa != 1 || (g->rsa & 1023) != 0);
    g->direct_b = g->csb == 1 && g->M <= 128;
    /* equal K blocks (K = 1024, kc = 384: 3 x 344, not 384+384+256) */
    g->kc = (g->K + (g->K + g->kc - 1) / g->kc - 1) / ((g->K + g->kc - 1) / g->kc);
    g->kc = (g->kc + 7) / 8 * 8;
    na = g->direct_a ? 0 : (size_t)(((g->M < g->mc ? g->M : g->mc) + MR - 1) / MR * MR) *
         (size_t)(g->K < g->kc ? g->K : g->kc);
    nb = (size_t)(g->direct_b ? NR : ((g->N < g->nc ? g->N : g->nc) + NR - 1) / NR * NR) *
         (size_t)(g->K < g->kc ? g->K : g->kc);
    g->na = (na + 15) / 16 * 16;
    return g->na + nb;
}

#if NN__OMP
/* Thread `part` of `parts` of a planned job: its own block of whole
 * MR-row panels (split_m) or NR-column panels, its own packed panels, no
 * barriers (a spinning barrier on an oversubscribed machine costs a whole
 * time slice). The summation order of every element is the serial one. */
NN__INTERNAL void nn__gemm_part(const nn__gemm_job *g, int split_m, int part,
                                int parts, float *ws, size_t per)
{
    nn__gemm_job s = *g;
    nn_epilogue ep;
    const nn_kernels *k = g->k;
    int unit = split_m ? k->mr : k->nr, total = split_m ? g->M : g->N;
    int lo, hi, kc = g->K < g->kc ? g->K : g->kc;
    size_t nb;
    float stackbuf[NN__GEMM_STACK], *buf;
    nn__split((total + unit - 1) / unit, part, parts, &lo, &hi);
    lo *= unit;
    hi = hi * unit < total ? hi * unit : total;
    if (lo >= hi) return;
    if (split_m) { s.A += lo * s.rsa; s.C += lo * s.rsc; s.M = hi - lo; }
    else { s.B += lo * s.csb; s.C += lo * s.csc; s.N = hi - lo; }
    if (!split_m || g->swapped) {
        s.ep = NULL;                            /* whole rows: the caller */
    } else if (s.ep && s.ep->pre) {             /* this part's rows of pre */
        ep = *s.ep;
        ep.pre += (size_t)lo * ep.ldpre;
        s.ep = &ep;
    }
    nb = (size_t)(s.direct_b ? k->nr : ((s.N < s.nc ? s.N : s.nc) + k->nr - 1) / k->nr * k->nr) *
         (size_t)kc;
    buf = ws ? ws + (size_t)part * per
             : g->na + nb <= NN__GEMM_STACK ? stackbuf : nn__alloc_floats(g->na + nb);
    if (!buf) {                                 /* slow, but the answer   */
        nn__gemm_small(&s);
        if (s.ep) nn__gemm_epilogue_rows(k, s.ep, s.C, s.rsc, 0, s.M, 0, s.N, 1, 0);
        return;
    }
    s.ap = buf;
    s.bp = buf + g->na;
    nn__gemm_worker(&s);
    if (!ws && buf != stackbuf) NN_FREE(buf);
}
#endif

/* Packed five-loop path; the epilogue is applied inside. Panels go to ws
 * when it holds ws_n >= the plan's floats, else the stack (small), else
 * the heap; returns 0 (having done nothing) when that allocation fails. */
NN__INTERNAL int nn__gemm_packed(const nn__gemm_job *in, float *ws,
                                 size_t ws_n)
{
    nn__gemm_job job = *in, *g = &job;
    const nn_kernels *k = g->k;
    float stackbuf[NN__GEMM_STACK], *buf;
    size_t need = nn__gemm_plan(g);
    int mt = (g->M + k->mr - 1) / k->mr, ntl = (g->N + k->nr - 1) / k->nr;
    int nt = nn__gemm_threads(2.0 * g->M * g->N * g->K, mt > ntl ? mt : ntl);
#if NN__OMP
    if (nt > 1) {
        int split_m = mt > ntl;
        uint64_t mode = nn__fp_read();
        /* each thread its own panels: a slice of ws when it holds them all */
        size_t per = (need + 15) & ~(size_t)15;
        float *tws = ws && ws_n >= per * (size_t)nt ? ws : NULL;
#pragma omp parallel num_threads(nt)
        {
            uint64_t own = nn__fp_read();
            nn__fp_write(mode);
            nn__gemm_part(g, split_m, omp_get_thread_num(), omp_get_num_threads(),
                          tws, per);
            if (g->ep && (!split_m || g->swapped)) {  /* whole rows: after all */
#pragma omp barrier
                nn__gemm_epilogue_part(g, omp_get_thread_num(), omp_get_num_threads());
            }
            nn__fp_write(own);
        }
        return 1;
    }
#endif
    (void)nt;
    if (ws && ws_n >= need) buf = ws;
    else if (need <= NN__GEMM_STACK) buf = stackbuf;
    else if (!(buf = nn__alloc_floats(need))) return 0;
    g->ap = buf;
    g->bp = buf + g->na;
    nn__gemm_worker(g);
    if (buf != ws && buf != stackbuf) NN_FREE(buf);
    return 1;
}

enum { NN__GEMM_SCALE, NN__GEMM_DOT, NN__GEMM_AXPY, NN__GEMM_SMALL,
       NN__GEMM_PACKED };

/* Which path a problem takes (by shape only: never by thread count). */
NN__INTERNAL int nn__gemm_path(const nn_kernels *k, int tA, int tB, int M,
                               int N, int K, float alpha)
{
    double flops = (double)M * N * K;
    if (alpha == 0.0f || K == 0) return NN__GEMM_SCALE;
    if (!tA && tB && (M <= NN__GEMM_THIN || N <= k->dot_n ||
                      (M <= k->dot_m && K >= 256) || flops <= NN__GEMM_TINY))
        return NN__GEMM_DOT;
    if (!tB && (M <= NN__GEMM_THIN || K <= NN__GEMM_THIN ||
                (K <= k->axpy_k && N < 1024) || flops <= NN__GEMM_TINY))
        return NN__GEMM_AXPY;
    return flops <= NN__GEMM_TINY ? NN__GEMM_SMALL : NN__GEMM_PACKED;
}

NN__INTERNAL void nn__gemm_job_init(nn__gemm_job *g, const nn_kernels *k,
                                    int tA, int tB, int M, int N, int K,
                                    float alpha, const float *A, int lda,
                                    const float *B, int ldb, float beta,
                                    float *C, int ldc, const nn_epilogue *ep)
{
    /* field by field: a memset is a `rep stos`, 10% of a batch-1 call */
    g->k = k; g->M = M; g->N = N; g->K = K; g->alpha = alpha; g->beta = beta;
    g->A = A; g->rsa = tA ? 1 : lda; g->csa = tA ? lda : 1;
    g->B = B; g->rsb = tB ? 1 : ldb; g->csb = tB ? ldb : 1;
    g->C = C; g->rsc = ldc; g->csc = 1;
    g->ep = ep;
    g->swapped = g->direct_a = g->direct_b = 0;
    g->na = 0;
    g->mc = g->kc = g->nc = 0;
    g->ap = g->bp = NULL;
}

/* Workspace (floats) that nn__gemm_run needs to allocate nothing for this
 * problem with table k (0: it needs none). For a context that owns one
 * buffer: take the maximum over its layers' forward/backward shapes. */
NN__INTERNAL size_t nn__gemm_ws_floats(const nn_kernels *k,
                                                 int tA, int tB, int M, int N,
                                                 int K)
{
    nn__gemm_job g;
    size_t need;
    if (M <= 0 || N <= 0 || K < 0 ||
        nn__gemm_path(k, tA, tB, M, N, K, 1.0f) != NN__GEMM_PACKED)
        return 0;
    nn__gemm_job_init(&g, k, tA, tB, M, N, K, 1.0f, NULL, tA ? M : K, NULL,
                      tB ? K : N, 0.0f, NULL, N, NULL);
    need = nn__gemm_plan(&g);
    return need <= NN__GEMM_STACK ? 0 : need;
}

/* C = alpha op(A) op(B) + beta C, then the epilogue, with table k; ws (may
 * be NULL) of ws_n floats holds packed panels (see nn__gemm_ws_floats). */
NN__INTERNAL void nn__gemm_run(const nn_kernels *k, int tA, int tB, int M,
                               int N, int K, float alpha, const float *A,
                               int lda, const float *B, int ldb, float beta,
                               float *C, int ldc, const nn_epilogue *ep,
                               float *ws, size_t ws_n)
{
    nn__gemm_job g;
    int i, j;
    nn__gemm_job_init(&g, k, tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C,
                      ldc, ep);
    switch (nn__gemm_path(k, tA, tB, M, N, K, alpha)) {
    case NN__GEMM_SCALE:
        for (i = 0; i < M; i++) {
            float *c = C + (size_t)i * ldc;
            if (beta == 0.0f) for (j = 0; j < N; j++) c[j] = 0.0f;
            else if (beta != 1.0f) for (j = 0; j < N; j++) c[j] *= beta;
        }
        break;
    case NN__GEMM_DOT: nn__gemm_direct(&g, 1); return;    /* epilogue inside */
    case NN__GEMM_AXPY: nn__gemm_direct(&g, 0); return;
    case NN__GEMM_PACKED:
        if (nn__gemm_packed(&g, ws, ws_n)) return;  /* epilogue inside */
        nn__gemm_small(&g);                         /* out of memory   */
        break;
    default: nn__gemm_small(&g); break;
    }
    if (ep) nn__gemm_epilogue_rows(k, ep, C, ldc, 0, M, 0, N, 1, 0);
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
    if (ep && !ep->bias && !ep->pre && ep->act == NN_ACT_IDENTITY) ep = NULL;
    nn__gemm_run(nn__k(), transA != 0, transB != 0, M, N, K, alpha, A, lda,
                 B, ldb, beta, C, ldc, ep, NULL, 0);
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

NNAPI const char *nn_act_name(nn_act a)
{
    switch (a) {
    case NN_ACT_IDENTITY: return "identity";
    case NN_ACT_STEP: return "step";
    case NN_ACT_SIGMOID: return "sigmoid";
    case NN_ACT_TANH: return "tanh";
    case NN_ACT_RELU: return "relu";
    case NN_ACT_LEAKY_RELU: return "leaky_relu";
    case NN_ACT_SOFTPLUS: return "softplus";
    case NN_ACT_SOFTMAX: return "softmax";
    default: return "unknown";
    }
}

NN__INTERNAL int nn__act_valid(nn_act a) { return (int)a >= 0 && a < NN_ACT_COUNT; }
NN__INTERNAL int nn__loss_valid(nn_loss l) { return (int)l >= 0 && l < NN_LOSS_COUNT; }

NNAPI void nn_act_forward(nn_act a, size_t n, const float *x, float *y)
{
    if (!nn__act_valid(a) || n == 0 || !x || !y) return;
    if (a == NN_ACT_SOFTMAX && n > (size_t)0x7fffffff) return;
    nn__k()->act_fwd[a](n, x, y);
}

NNAPI void nn_act_backward(nn_act a, size_t n, const float *y, const float *dy,
                           float *dx)
{
    if (!nn__act_valid(a) || n == 0 || !y || !dy || !dx) return;
    nn__k()->act_bwd[a](n, y, dy, dx);
}

NNAPI void nn_softmax(int rows, int cols, const float *x, float *y)
{
    if (rows <= 0 || cols <= 0 || !x || !y) return;
    nn__k()->softmax_rows(rows, cols, x, y);
}

NNAPI void nn_log_softmax(int rows, int cols, const float *x, float *y)
{
    if (rows <= 0 || cols <= 0 || !x || !y) return;
    nn__k()->log_softmax_rows(rows, cols, x, y);
}

/* Backward of activation a over rows x cols, row-wise for softmax. */
NN__INTERNAL void nn__act_backward_rows(const nn_kernels *k, nn_act a,
                                        int rows, int cols, const float *y,
                                        const float *dy, float *dx)
{
    if (a == NN_ACT_SOFTMAX) {
        int r;
        for (r = 0; r < rows; r++)
            k->act_bwd[a]((size_t)cols, y + (size_t)r * cols,
                          dy + (size_t)r * cols, dx + (size_t)r * cols);
    } else {
        k->act_bwd[a]((size_t)rows * cols, y, dy, dx);
    }
}

NNAPI const char *nn_loss_name(nn_loss l)
{
    switch (l) {
    case NN_LOSS_MSE: return "mse";
    case NN_LOSS_MAE: return "mae";
    case NN_LOSS_HUBER: return "huber";
    case NN_LOSS_BCE: return "bce";
    case NN_LOSS_SOFTMAX_CE: return "softmax_ce";
    default: return "unknown";
    }
}

/* Loss summed over every element (callers divide by the batch) and
 * optionally its gradient times gscale (1/batch): the table's kernel. */
NN__INTERNAL double nn__loss(nn_loss l, int rows, int cols, const float *h,
                             const float *y, float delta, float *grad,
                             float gscale)
{
    return nn__k()->loss[l]((size_t)rows * cols, h, y, delta, gscale, grad);
}

/* The (output activation, loss) pairs whose gradient dL/dz simplifies to
 * p - y and whose loss has a stable form in the logits. */
NN__INTERNAL int nn__logit_pair(nn_act act, nn_loss l)
{
    return (act == NN_ACT_SIGMOID && l == NN_LOSS_BCE) ||
           (act == NN_ACT_SOFTMAX && l == NN_LOSS_SOFTMAX_CE);
}

/* Summed loss from the output layer's pre-activation z where that is exact
 * and stable: softmax + CE via log-softmax, sigmoid + BCE via softplus (the
 * kernel table's fused SIMD passes, one per row / element), and in the same
 * pass dz = (p - y) gscale when dz is not NULL.
 * Returns -1 when no logit form applies (then use nn__loss on h). */
NN__INTERNAL int nn__loss_from_logits(nn_act act, nn_loss l, int rows,
                                      int cols, const float *z,
                                      const float *y, float gscale, float *dz,
                                      double *loss)
{
    const nn_kernels *k = nn__k();
    if (!nn__logit_pair(act, l)) return -1;
    *loss = act == NN_ACT_SOFTMAX ? k->softmax_xent_rows(rows, cols, z, y, gscale, dz)
                                  : k->sigmoid_xent(rows, cols, z, y, gscale, dz);
    return 0;
}

/* dL/dz of the output layer times gscale (1/batch); fused forms first. */
NN__INTERNAL void nn__output_delta(const nn_kernels *k, nn_act act, nn_loss l,
                                   int rows, int cols, const float *h,
                                   const float *y, float delta, float gscale,
                                   float *dz)
{
    if (nn__logit_pair(act, l)) {
        size_t i, n = (size_t)rows * cols;
        for (i = 0; i < n; i++) dz[i] = (h[i] - y[i]) * gscale;
        return;
    }
    (void)nn__loss(l, rows, cols, h, y, delta, dz, gscale);
    nn__act_backward_rows(k, act, rows, cols, h, dz, dz);
}

NN__INTERNAL nn_status nn__loss_args(nn_loss l, int rows, int cols,
                                     const float *h, const float *y,
                                     float delta)
{
    if (!nn__loss_valid(l) || rows <= 0 || cols <= 0 || !h || !y)
        return NN_ERR_ARG;
    if (l == NN_LOSS_HUBER && !(delta > 0.0f && delta < INFINITY))
        return NN_ERR_ARG;
    if (!nn__all_finite((size_t)rows * cols, h) ||
        !nn__all_finite((size_t)rows * cols, y))
        return NN_ERR_NAN;
    return NN_OK;
}

NNAPI nn_status nn_loss_eval(nn_loss l, int rows, int cols, const float *h,
                             const float *y, float delta, float *loss,
                             float *grad)
{
    double v;
    nn_status st = nn__loss_args(l, rows, cols, h, y, delta);
    if (st != NN_OK) return st;
    v = nn__loss(l, rows, cols, h, y, delta, grad, 1.0f / (float)rows) / rows;
    if (loss) *loss = (float)v;
    return (v - v == 0.0) ? NN_OK : NN_ERR_NAN;
}

NNAPI nn_status nn_output_delta(nn_act act, nn_loss l, int rows, int cols,
                                const float *h, const float *y, float delta,
                                float *dz)
{
    nn_status st = nn__loss_args(l, rows, cols, h, y, delta);
    if (st != NN_OK) return st;
    if (!nn__act_valid(act) || !dz) return NN_ERR_ARG;
    nn__output_delta(nn__k(), act, l, rows, cols, h, y, delta,
                     1.0f / (float)rows, dz);
    return nn__all_finite((size_t)rows * cols, dz) ? NN_OK : NN_ERR_NAN;
}

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
    float *gemm_ws;             /* GEMM packing panels (in block)          */
    size_t gemm_ws_n;
    void *meta;
    const float *x;             /* input of the last forward               */
    int batch, train, ready;    /* ready: forward done, backward allowed   */
    int row_block;              /* training step row block (0: whole)      */
    nn_rng rng;                 /* dropout keys                            */
    /* data-parallel training step: part p of a batch runs on parts[p] (part
     * 0 on this ctx) with its own gradient buffer; a part's ctx has grads */
    int team_n;                 /* parts (1: no team)                      */
    int team_fixed;             /* set by the user: no size heuristics     */
    struct nn_ctx **team;       /* team_n - 1 part contexts                */
    float *grads;               /* a part's gradients (NULL: net->grads)   */
};

/* -- model: creation, initialization, accessors -- */

/* a * b + c without size_t overflow; 0 on overflow. */
NN__INTERNAL int nn__mul_add(size_t a, size_t b, size_t c, size_t *out)
{
    if (a && b > ((size_t)-1 - c) / a) return 0;
    *out = a * b + c;
    return 1;
}

NN__INTERNAL size_t nn__round16(size_t n) { return (n + 15) & ~(size_t)15; }

NN__INTERNAL nn_loss nn__default_loss(nn_act out)
{
    if (out == NN_ACT_SOFTMAX) return NN_LOSS_SOFTMAX_CE;
    if (out == NN_ACT_SIGMOID) return NN_LOSS_BCE;
    return NN_LOSS_MSE;
}

NNAPI void nn_net_free(nn_net *net)
{
    if (!net) return;
    NN_FREE(net->params);
    NN_FREE(net->grads);
    NN_FREE(net->opt_m);            /* opt_v lives in the same block */
    NN_FREE(net->meta);
    NN_FREE(net);
}

NNAPI nn_status nn_net_create(nn_net **out, int n_layers, const int *sizes,
                              const nn_act *acts)
{
    nn_net *net;
    size_t meta_bytes, n = 0;
    int l;
    unsigned char *m;
    if (!out) return NN_ERR_ARG;
    *out = NULL;
    if (n_layers <= 0 || n_layers > 4096 || !sizes || !acts) return NN_ERR_ARG;
    for (l = 0; l <= n_layers; l++)
        if (sizes[l] <= 0 || sizes[l] > (1 << 24)) return NN_ERR_ARG;
    for (l = 0; l < n_layers; l++) {
        if (!nn__act_valid(acts[l])) return NN_ERR_ARG;
        if (!nn__mul_add((size_t)sizes[l + 1], (size_t)sizes[l] + 1, n, &n))
            return NN_ERR_NOMEM;
    }
    if (n > ((size_t)-1) / (2 * sizeof(float)) - 64) return NN_ERR_NOMEM;
    net = (nn_net *)NN_MALLOC(sizeof *net);
    if (!net) return NN_ERR_NOMEM;
    memset(net, 0, sizeof *net);
    meta_bytes = 2 * (size_t)n_layers * sizeof(size_t) +
                 (size_t)n_layers * (sizeof(nn_act) + sizeof(float)) +
                 ((size_t)n_layers + 1) * sizeof(int);
    net->meta = NN_MALLOC(meta_bytes);
    net->params = nn__alloc_floats(n);
    net->grads = nn__alloc_floats(n);
    net->opt_m = nn__alloc_floats(2 * n);
    if (!net->meta || !net->params || !net->grads || !net->opt_m) {
        nn_net_free(net);
        return NN_ERR_NOMEM;
    }
    m = (unsigned char *)net->meta;     /* widest types first: aligned */
    net->w_off = (size_t *)m;  m += (size_t)n_layers * sizeof(size_t);
    net->b_off = (size_t *)m;  m += (size_t)n_layers * sizeof(size_t);
    net->dropout = (float *)m; m += (size_t)n_layers * sizeof(float);
    net->acts = (nn_act *)m;   m += (size_t)n_layers * sizeof(nn_act);
    net->sizes = (int *)m;
    net->n_layers = n_layers;
    net->n_params = n;
    net->opt_v = net->opt_m + n;
    n = 0;
    for (l = 0; l <= n_layers; l++) {
        net->sizes[l] = sizes[l];
        if (sizes[l] > net->max_width) net->max_width = sizes[l];
    }
    for (l = 0; l < n_layers; l++) {
        net->acts[l] = acts[l];
        net->dropout[l] = 0.0f;
        net->w_off[l] = n;
        n += (size_t)sizes[l + 1] * sizes[l];
        net->b_off[l] = n;
        n += (size_t)sizes[l + 1];
    }
    memset(net->params, 0, net->n_params * sizeof(float));
    memset(net->grads, 0, net->n_params * sizeof(float));
    memset(net->opt_m, 0, 2 * net->n_params * sizeof(float));
    net->loss = nn__default_loss(acts[n_layers - 1]);
    net->huber_delta = 1.0f;
    *out = net;
    return NN_OK;
}

NNAPI nn_status nn_net_clone(nn_net **out, const nn_net *src)
{
    nn_status st;
    if (!out || !src) return NN_ERR_ARG;
    st = nn_net_create(out, src->n_layers, src->sizes, src->acts);
    if (st != NN_OK) return st;
    memcpy((*out)->dropout, src->dropout, (size_t)src->n_layers * sizeof(float));
    memcpy((*out)->params, src->params, src->n_params * sizeof(float));
    memcpy((*out)->grads, src->grads, src->n_params * sizeof(float));
    memcpy((*out)->opt_m, src->opt_m, 2 * src->n_params * sizeof(float));
    (*out)->loss = src->loss;
    (*out)->huber_delta = src->huber_delta;
    (*out)->seed = src->seed;
    (*out)->step = src->step;
    return NN_OK;
}

NNAPI nn_status nn_net_init(nn_net *net, nn_init kind, float scale,
                            uint64_t seed)
{
    nn_rng rng;
    int l;
    if (!net || (int)kind < 0 || kind > NN_INIT_HE || !(scale >= 0.0f) ||
        scale == INFINITY)
        return NN_ERR_ARG;
    nn_rng_seed(&rng, seed, 0);         /* stream 0: initialization */
    for (l = 0; l < net->n_layers; l++) {
        int fan_in = net->sizes[l], fan_out = net->sizes[l + 1];
        size_t i, nw = (size_t)fan_in * fan_out;
        float *w = net->params + net->w_off[l], *b = net->params + net->b_off[l];
        float a = scale > 0.0f ? scale : 0.1f, gain = scale > 0.0f ? scale : 1.0f;
        switch (kind) {
        case NN_INIT_UNIFORM:
            for (i = 0; i < nw; i++) w[i] = a * (2.0f * nn_rng_uniform(&rng) - 1.0f);
            for (i = 0; i < (size_t)fan_out; i++) b[i] = a * (2.0f * nn_rng_uniform(&rng) - 1.0f);
            break;
        case NN_INIT_GAUSSIAN:
            for (i = 0; i < nw; i++) w[i] = a * nn_rng_normal(&rng);
            for (i = 0; i < (size_t)fan_out; i++) b[i] = a * nn_rng_normal(&rng);
            break;
        case NN_INIT_XAVIER:
            a = gain * (float)sqrt(6.0 / (fan_in + fan_out));
            for (i = 0; i < nw; i++) w[i] = a * (2.0f * nn_rng_uniform(&rng) - 1.0f);
            memset(b, 0, (size_t)fan_out * sizeof(float));
            break;
        case NN_INIT_HE:
            a = gain * (float)sqrt(2.0 / fan_in);
            for (i = 0; i < nw; i++) w[i] = a * nn_rng_normal(&rng);
            memset(b, 0, (size_t)fan_out * sizeof(float));
            break;
        }
    }
    memset(net->grads, 0, net->n_params * sizeof(float));
    memset(net->opt_m, 0, 2 * net->n_params * sizeof(float));
    net->step = 0;
    net->seed = seed;
    return NN_OK;
}

NNAPI nn_status nn_net_set_loss(nn_net *net, nn_loss loss, float huber_delta)
{
    if (!net || !nn__loss_valid(loss)) return NN_ERR_ARG;
    if (loss == NN_LOSS_HUBER && !(huber_delta > 0.0f && huber_delta < INFINITY))
        return NN_ERR_ARG;
    net->loss = loss;
    if (loss == NN_LOSS_HUBER) net->huber_delta = huber_delta;
    return NN_OK;
}

NNAPI nn_status nn_net_set_dropout(nn_net *net, int layer, float rate)
{
    if (!net || layer < 0 || layer >= net->n_layers - 1) return NN_ERR_ARG;
    if (!(rate >= 0.0f && rate < 1.0f)) return NN_ERR_ARG;
    net->dropout[layer] = rate;
    return NN_OK;
}

NNAPI int nn_net_layers(const nn_net *net) { return net ? net->n_layers : 0; }
NNAPI int nn_net_size(const nn_net *net, int i)
{
    return (net && i >= 0 && i <= net->n_layers) ? net->sizes[i] : 0;
}
NNAPI nn_act nn_net_act(const nn_net *net, int layer)
{
    return (net && layer >= 0 && layer < net->n_layers) ? net->acts[layer]
                                                        : NN_ACT_IDENTITY;
}
NNAPI nn_loss nn_net_loss(const nn_net *net) { return net ? net->loss : NN_LOSS_MSE; }
NNAPI uint64_t nn_net_seed(const nn_net *net) { return net ? net->seed : 0; }
NNAPI long nn_net_step_count(const nn_net *net) { return net ? net->step : 0; }

NNAPI float *nn_net_params(nn_net *net, size_t *count)
{
    if (count) *count = net ? net->n_params : 0;
    return net ? net->params : NULL;
}
NNAPI const float *nn_net_params_const(const nn_net *net, size_t *count)
{
    if (count) *count = net ? net->n_params : 0;
    return net ? net->params : NULL;
}
NNAPI float *nn_net_grads(nn_net *net, size_t *count)
{
    if (count) *count = net ? net->n_params : 0;
    return net ? net->grads : NULL;
}
NNAPI float *nn_net_weights(nn_net *net, int layer)
{
    if (!net || layer < 0 || layer >= net->n_layers) return NULL;
    return net->params + net->w_off[layer];
}
NNAPI float *nn_net_bias(nn_net *net, int layer)
{
    if (!net || layer < 0 || layer >= net->n_layers) return NULL;
    return net->params + net->b_off[layer];
}

/* -- context: the workspace of one thread -- */

/* GEMM packing space for every product of a step with up to max_batch rows
 * (forward NT, dX NN, dW TN per layer; fewer rows never need more), over
 * every kernel table this CPU runs, one set of panels per thread, so that
 * no step allocates. */
NN__INTERNAL size_t nn__step_gemm_ws(const nn_net *net, int max_batch,
                                     int threads)
{
    size_t need = 0, w;
    int isa, l;
    for (isa = NN_ISA_SCALAR; isa < NN_ISA_COUNT; isa++) {
        const nn_kernels *k = nn_kernels_for((nn_isa)isa);
        if (!k) continue;
        for (l = 0; l < net->n_layers; l++) {
            int in = net->sizes[l], out = net->sizes[l + 1];
            w = nn__gemm_ws_floats(k, 0, 1, max_batch, out, in);
            if (w > need) need = w;
            w = nn__gemm_ws_floats(k, 0, 0, max_batch, in, out);
            if (w > need) need = w;
            w = nn__gemm_ws_floats(k, 1, 0, out, in, max_batch);
            if (w > need) need = w;
        }
    }
    return nn__round16(need) * (size_t)threads;  /* panels per thread */
}

/* The step's GEMM: nn__gemm_run on the active table with the ctx's panels. */
NN__INTERNAL void nn__ctx_gemm(nn_ctx *ctx, int tA, int tB, int M, int N,
                               int K, float alpha, const float *A, int lda,
                               const float *B, int ldb, float beta, float *C,
                               int ldc, const nn_epilogue *ep)
{
    nn__gemm_run(nn__k(), tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
                 ep, ctx->gemm_ws, ctx->gemm_ws_n);
}

NN__INTERNAL int nn__ctx_fits(const nn_net *net, const nn_ctx *ctx)
{
    return ctx->n_layers == net->n_layers &&
           memcmp(ctx->sizes, net->sizes, ((size_t)net->n_layers + 1) * sizeof(int)) == 0;
}

/* Free the part contexts of a data-parallel step. */
NN__INTERNAL void nn__team_free(nn_ctx *ctx)
{
    int i;
    if (ctx->team)
        for (i = 0; i < ctx->team_n - 1; i++) nn_ctx_free(ctx->team[i]);
    NN_FREE(ctx->team);
    ctx->team = NULL;
    ctx->team_n = 1;
}

NNAPI void nn_ctx_free(nn_ctx *ctx)
{
    if (!ctx) return;
    nn__team_free(ctx);
    NN_FREE(ctx->block);
    NN_FREE(ctx->meta);
    NN_FREE(ctx);
}

/* A context for batches up to max_batch; grads: with its own gradient
 * buffer (a part of a data-parallel step). No team. */
NN__INTERNAL nn_status nn__ctx_new(nn_ctx **out, const nn_net *net,
                                   int max_batch, int grads)
{
    nn_ctx *ctx;
    size_t total = 0, B, step, ws;
    int l, L;
    float *p;
    unsigned char *m;
    if (!out) return NN_ERR_ARG;
    *out = NULL;
    if (!net || max_batch <= 0) return NN_ERR_ARG;
    L = net->n_layers;
    B = (size_t)max_batch;
    /* per layer: A and, for hidden layers, dropped A and mask; then z_out
     * and two delta buffers. Each piece rounded to 64 bytes. */
    for (l = 0; l < L; l++) {
        if (!nn__mul_add(B, (size_t)net->sizes[l + 1], 15, &step)) return NN_ERR_NOMEM;
        step = nn__round16(step - 15);
        if (!nn__mul_add(step, l < L - 1 ? 3 : 2, total, &total)) return NN_ERR_NOMEM;
    }
    if (!nn__mul_add(B, (size_t)net->max_width, 15, &step)) return NN_ERR_NOMEM;
    step = nn__round16(step - 15);
    if (!nn__mul_add(step, 2, total, &total)) return NN_ERR_NOMEM;
    /* a part of a team runs its GEMMs on one thread */
    ws = nn__step_gemm_ws(net, max_batch, grads ? 1 : nn__max_threads());
    if (!nn__mul_add(ws, 1, total, &total)) return NN_ERR_NOMEM;
    if (grads && !nn__mul_add(nn__round16(net->n_params), 1, total, &total))
        return NN_ERR_NOMEM;
    ctx = (nn_ctx *)NN_MALLOC(sizeof *ctx);
    if (!ctx) return NN_ERR_NOMEM;
    memset(ctx, 0, sizeof *ctx);
    ctx->meta = NN_MALLOC(2 * (size_t)L * sizeof(float *) + ((size_t)L + 1) * sizeof(int));
    ctx->block = nn__alloc_floats(total);
    if (!ctx->meta || !ctx->block) { nn_ctx_free(ctx); return NN_ERR_NOMEM; }
    memset(ctx->block, 0, total * sizeof(float));
    m = (unsigned char *)ctx->meta;
    ctx->act = (float **)m;  m += (size_t)L * sizeof(float *);
    ctx->mask = (float **)m; m += (size_t)L * sizeof(float *);
    ctx->sizes = (int *)m;
    ctx->n_layers = L;
    ctx->max_batch = max_batch;
    memcpy(ctx->sizes, net->sizes, ((size_t)L + 1) * sizeof(int));
    p = ctx->block;
    for (l = 0; l < L; l++) {
        step = nn__round16(B * (size_t)net->sizes[l + 1]);
        ctx->act[l] = p; p += step;
        ctx->mask[l] = NULL;
        if (l < L - 1) { ctx->mask[l] = p; p += 2 * step; } /* mask, dropped A */
    }
    ctx->z_out = p; p += nn__round16(B * (size_t)net->sizes[L]);
    step = nn__round16(B * (size_t)net->max_width);
    ctx->delta[0] = p; p += step;
    ctx->delta[1] = p; p += step;
    ctx->gemm_ws = ws ? p : NULL;
    ctx->gemm_ws_n = ws;
    p += ws;
    ctx->grads = grads ? p : NULL;
    ctx->team_n = 1;
    nn_rng_seed(&ctx->rng, 0, 2);
    *out = ctx;
    (void)nn_ctx_set_row_block(ctx, 0);
    return NN_OK;
}

NNAPI nn_status nn_ctx_create(nn_ctx **out, const nn_net *net, int max_batch)
{
    nn_status st = nn__ctx_new(out, net, max_batch, 0);
    if (st == NN_OK && (st = nn_ctx_set_threads(*out, net, 0)) != NN_OK) {
        nn_ctx_free(*out);
        *out = NULL;
    }
    return st;
}

/* Parts of a data-parallel training step: threads (0: OpenMP's maximum,
 * at most NN__TEAM_MAX), each but the first with a context for its share
 * of max_batch and a gradient buffer. */
#define NN__TEAM_MAX 64
NNAPI nn_status nn_ctx_set_threads(nn_ctx *ctx, const nn_net *net, int threads)
{
    int n = 1, i;
    nn_status st = NN_OK;
    if (!ctx || !net || threads < 0) return NN_ERR_ARG;
    if (!nn__ctx_fits(net, ctx)) return NN_ERR_SHAPE;
#if NN__OMP
    n = threads > 0 ? threads : nn__max_threads();
#endif
    if (n > NN__TEAM_MAX) n = NN__TEAM_MAX;
    if (n > ctx->max_batch) n = ctx->max_batch;
    if (n < 1) n = 1;
    ctx->team_fixed = threads > 0;
    if (n == ctx->team_n) return NN_OK;
    nn__team_free(ctx);
    if (n == 1) return NN_OK;
    ctx->team = (nn_ctx **)NN_MALLOC((size_t)(n - 1) * sizeof *ctx->team);
    if (!ctx->team) return NN_ERR_NOMEM;
    memset(ctx->team, 0, (size_t)(n - 1) * sizeof *ctx->team);
    ctx->team_n = n;
    for (i = 0; i < n - 1 && st == NN_OK; i++)  /* a part: ceil(B / n) rows */
        st = nn__ctx_new(&ctx->team[i], net, (ctx->max_batch + n - 1) / n, 1);
    if (st != NN_OK) {                          /* one part, still usable */
        nn__team_free(ctx);
        ctx->team_fixed = 0;
    }
    return st;
}

/* Automatic row block: the rows whose input, activations, output logits
 * and two delta buffers fill half of L2, a multiple of 16, at least 16. */
NNAPI int nn_ctx_set_row_block(nn_ctx *ctx, int rows)
{
    int l, maxw = 0;
    size_t per_row = 0, rb;
    const char *env = getenv("NN_ROW_BLOCK");
    if (!ctx) return 0;
    if (rows <= 0 && env && atoi(env) > 0) rows = atoi(env);
    if (rows <= 0) {
        for (l = 0; l <= ctx->n_layers; l++) {
            per_row += (size_t)ctx->sizes[l];
            if (ctx->sizes[l] > maxw) maxw = ctx->sizes[l];
        }
        per_row += (size_t)ctx->sizes[ctx->n_layers] + 2 * (size_t)maxw;
        rb = (size_t)nn_cpu_info_get()->l2 / 2 / (per_row * sizeof(float));
        rb &= ~(size_t)15;
        rows = rb < 16 ? 16 : (rb > (size_t)ctx->max_batch ? ctx->max_batch : (int)rb);
    }
    ctx->row_block = rows < ctx->max_batch ? rows : ctx->max_batch;
    return ctx->row_block;
}

NNAPI void nn_ctx_seed(nn_ctx *ctx, uint64_t seed)
{
    if (ctx) nn_rng_seed(&ctx->rng, seed, 2);
}

NNAPI const float *nn_ctx_output(const nn_ctx *ctx)
{
    return ctx ? ctx->act[ctx->n_layers - 1] : NULL;
}

/* The dropped output of hidden layer l: mask[l] holds the per-element scale
 * (0 or 1/(1-p)) and mask[l] + size the scaled activations. */
NN__INTERNAL float *nn__dropped(const nn_ctx *ctx, int l)
{
    return ctx->mask[l] + nn__round16((size_t)ctx->max_batch * ctx->sizes[l + 1]);
}

/* Input of layer l as seen in the last forward pass. */
NN__INTERNAL const float *nn__layer_input(const nn_net *net, const nn_ctx *ctx,
                                          int l)
{
    if (l == 0) return ctx->x;
    if (ctx->train && net->dropout[l - 1] > 0.0f) return nn__dropped(ctx, l - 1);
    return ctx->act[l - 1];
}

/* -- forward and backward -- */

/* Counter-based dropout: the keep/drop draw of element (layer, index) is a
 * hash of the step's key, so a batch cut into row blocks draws exactly the
 * mask of the whole batch, whatever the block size or thread count. */
NN__INTERNAL float nn__dropout_u01(uint64_t key, int layer, size_t index)
{
    uint64_t z = key + ((uint64_t)layer << 44) + (uint64_t)index +
                 0x9E3779B97F4A7C15ULL;                    /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)(z >> 40) * (1.0f / 16777216.0f);
}

/* A step's dropout key: two draws, in sequence (one expression with both
 * calls would leave their order to the compiler). */
NN__INTERNAL uint64_t nn__draw_key(nn_ctx *ctx)
{
    uint64_t hi = nn_rng_u32(&ctx->rng);
    return hi << 32 | nn_rng_u32(&ctx->rng);
}

/* Forward of rows [row0, row0 + rows) of a batch whose input block is x. */
NN__INTERNAL void nn__forward(const nn_net *net, nn_ctx *ctx, int rows,
                              const float *x, int train, uint64_t key,
                              int row0)
{
    int l, L = net->n_layers;
    NN_ASSERT(rows > 0 && rows <= ctx->max_batch && nn__ctx_fits(net, ctx));
    ctx->x = x;
    ctx->batch = rows;
    ctx->train = train;
    for (l = 0; l < L; l++) {
        int in = net->sizes[l], out = net->sizes[l + 1];
        nn_epilogue ep;
        ep.bias = net->params + net->b_off[l];
        ep.act = net->acts[l];
        ep.pre = l == L - 1 ? ctx->z_out : NULL;
        ep.ldpre = out;
        nn__ctx_gemm(ctx, 0, 1, rows, out, in, 1.0f, nn__layer_input(net, ctx, l),
                     in, net->params + net->w_off[l], in, 0.0f, ctx->act[l], out, &ep);
        if (train && l < L - 1 && net->dropout[l] > 0.0f) {
            /* inverted dropout: keep with probability 1-p, scale by 1/(1-p) */
            size_t i, n = (size_t)rows * out, first = (size_t)row0 * out;
            float p = net->dropout[l], keep = 1.0f / (1.0f - p);
            float *mask = ctx->mask[l], *d = nn__dropped(ctx, l);
            const float *a = ctx->act[l];
            for (i = 0; i < n; i++) {
                mask[i] = nn__dropout_u01(key, l, first + i) < p ? 0.0f : keep;
                d[i] = a[i] * mask[i];
            }
        }
    }
    ctx->ready = 1;
}

NN__INTERNAL nn_status nn__forward_args(const nn_net *net, const nn_ctx *ctx,
                                        int batch, const float *x)
{
    if (!net || !ctx || !x || batch <= 0) return NN_ERR_ARG;
    if (!nn__ctx_fits(net, ctx) || batch > ctx->max_batch) return NN_ERR_SHAPE;
    if (!nn__all_finite((size_t)batch * net->sizes[0], x)) return NN_ERR_NAN;
    return NN_OK;
}

NNAPI nn_status nn_forward(nn_net *net, nn_ctx *ctx, int batch,
                           const float *x, int train)
{
    nn__fpmode fp;
    nn_status st = nn__forward_args(net, ctx, batch, x);
    if (st != NN_OK) return st;
    nn__fp_enter(&fp);
    nn__forward(net, ctx, batch, x, train != 0,
                train ? nn__draw_key(ctx) : 0, 0);
    nn__fp_leave(&fp);
    return nn__all_finite((size_t)batch * net->sizes[net->n_layers],
                          ctx->act[net->n_layers - 1]) ? NN_OK : NN_ERR_NAN;
}

/* Summed loss of the rows of the last forward pass against y. */
NN__INTERNAL double nn__block_loss(const nn_net *net, const nn_ctx *ctx,
                                   const float *y)
{
    int L = net->n_layers, out = net->sizes[L];
    double v;
    if (nn__loss_from_logits(net->acts[L - 1], net->loss, ctx->batch, out,
                             ctx->z_out, y, 0.0f, NULL, &v) == 0)
        return v;
    return nn__loss(net->loss, ctx->batch, out, ctx->act[L - 1], y,
                    net->huber_delta, NULL, 0.0f);
}

/* The pass that finishes a layer's delta, one row at a time while the row
 * is in L1: d *= dropout mask, d = f'(y) * d, and db (+)= the rows of d. */
NN__INTERNAL void nn__delta_rows(const nn_kernels *k, nn_act act, int rows,
                                 int cols, const float *y, float *d,
                                 const float *mask, float *db, int acc)
{
    static const float one = 1.0f;
    int r, j;
    if (!acc) for (j = 0; j < cols; j++) db[j] = 0.0f;
    for (r = 0; r < rows; r++) {
        size_t o = (size_t)r * cols;
        float *dr = d + o;
        if (mask) for (j = 0; j < cols; j++) dr[j] *= mask[o + j];
        if (act != NN_ACT_IDENTITY) k->act_bwd[act]((size_t)cols, y + o, dr, dr);
        /* db = 1 (1 dr) + 1 db, exactly db + dr, in the ISA's vectors */
        k->gemm_axpy(1, cols, 1, 1.0f, &one, 0, 0, dr, 0, 1.0f, db, cols);
    }
}

/* Backward over the rows of the last forward (one row block). The loss
 * gradient is scaled by gscale = 1/(whole batch); dW and db are written
 * (acc = 0) or added to (acc = 1) in g (net->grads, or a part's buffer).
 * park: dW is not formed; each layer's dZ (B x out, B <= in) is left in
 * its dW slot for nn__direct_sgd. Returns the block's summed loss; when
 * that is not finite nothing has been written. */
NN__INTERNAL double nn__backward_block(nn_net *net, nn_ctx *ctx, float *g,
                                       const float *y, float gscale, int acc,
                                       int park)
{
    const nn_kernels *k = nn__k();
    int l, L = net->n_layers, B = ctx->batch, cur = 0;
    double lv;
    int fused;
    NN_ASSERT(ctx->ready && B > 0 && B <= ctx->max_batch);
    /* softmax + CE, sigmoid + BCE: loss and output delta in one pass from
     * the logits (dz is workspace: writing it before the check loses nothing) */
    fused = nn__loss_from_logits(net->acts[L - 1], net->loss, B, net->sizes[L],
                                 ctx->z_out, y, gscale, ctx->delta[0], &lv) == 0;
    if (!fused)     /* loss and dL/dh in one pass, then through f' */
        lv = nn__loss(net->loss, B, net->sizes[L], ctx->act[L - 1], y,
                      net->huber_delta, ctx->delta[0], gscale);
    if (!(lv - lv == 0.0)) return lv;
    /* not fused: through f' in the same row pass that sums db */
    nn__delta_rows(k, fused ? NN_ACT_IDENTITY : net->acts[L - 1], B, net->sizes[L],
                   ctx->act[L - 1], ctx->delta[0], NULL, g + net->b_off[L - 1], acc);
    for (l = L - 1; l >= 0; l--) {
        int in = net->sizes[l], out = net->sizes[l + 1];
        const float *dz = ctx->delta[cur], *x = nn__layer_input(net, ctx, l);
        float *w = net->params + net->w_off[l];
        if (l > 0) {
            /* dX = dZ W (with W before any in-place update), then through
             * dropout and the activation of layer l-1 */
            float *dx = ctx->delta[cur ^ 1];
            nn__ctx_gemm(ctx, 0, 0, B, in, out, 1.0f, dz, out, w, in, 0.0f, dx, in, NULL);
            nn__delta_rows(k, net->acts[l - 1], B, in, ctx->act[l - 1], dx,
                           ctx->train && net->dropout[l - 1] > 0.0f ? ctx->mask[l - 1] : NULL,
                           g + net->b_off[l - 1], acc);
        }
        if (park) {
            memcpy(g + net->w_off[l], dz, (size_t)B * out * sizeof(float));
        } else {        /* dW (+)= dZ^T X */
            nn__ctx_gemm(ctx, 1, 0, out, in, B, 1.0f, dz, out, x, in,
                         acc ? 1.0f : 0.0f, g + net->w_off[l], in, NULL);
        }
        cur ^= 1;
    }
    return lv;
}

NNAPI nn_status nn_backward(nn_net *net, nn_ctx *ctx, const float *y,
                            float *loss)
{
    nn__fpmode fp;
    double lv;
    if (!net || !ctx || !y) return NN_ERR_ARG;
    if (!nn__ctx_fits(net, ctx)) return NN_ERR_SHAPE;
    if (!ctx->ready) return NN_ERR_STATE;
    if (!nn__all_finite((size_t)ctx->batch * net->sizes[net->n_layers], y))
        return NN_ERR_NAN;
    nn__fp_enter(&fp);
    lv = nn__backward_block(net, ctx, net->grads, y, 1.0f / (float)ctx->batch, 0, 0);
    nn__fp_leave(&fp);
    lv /= ctx->batch;
    if (loss) *loss = (float)lv;
    return (lv - lv == 0.0) ? NN_OK : NN_ERR_NAN;
}

/* -- optimizers -- */

NNAPI nn_opt nn_opt_default(nn_opt_kind kind)
{
    nn_opt o;
    memset(&o, 0, sizeof o);
    o.kind = kind;
    o.lr = kind == NN_OPT_ADAM ? 0.001f : 0.01f;
    o.momentum = (kind == NN_OPT_MOMENTUM || kind == NN_OPT_NESTEROV) ? 0.9f : 0.0f;
    o.beta1 = 0.9f;
    o.beta2 = 0.999f;
    o.eps = 1e-8f;
    return o;
}

NN__INTERNAL int nn__opt_valid(const nn_opt *o)
{
    return o && (int)o->kind >= 0 && o->kind <= NN_OPT_ADAM &&
           o->lr > 0.0f && o->lr < INFINITY &&
           o->momentum >= 0.0f && o->momentum < 1.0f &&
           o->beta1 >= 0.0f && o->beta1 < 1.0f &&
           o->beta2 >= 0.0f && o->beta2 < 1.0f &&
           o->eps > 0.0f && o->eps < INFINITY &&
           o->l1 >= 0.0f && o->l1 < INFINITY && o->l2 >= 0.0f && o->l2 < INFINITY;
}

NN__INTERNAL void nn__opt_fill(nn_kernels *k)
{
    k->opt_step = nn__opt_scalar;
    k->all_finite = nn__all_finite_scalar;
#if NN__X86
    if (k->isa == NN_ISA_AVX2) {
        k->opt_step = nn__opt_avx2;
        k->all_finite = nn__all_finite_avx2;
    }
    if (k->isa == NN_ISA_AVX512) {
        k->opt_step = nn__opt_avx512;
        k->all_finite = nn__all_finite_avx512;
    }
#endif
#if NN__NEON
    if (k->isa == NN_ISA_NEON) {
        k->opt_step = nn__opt_neon;
        k->all_finite = nn__all_finite_neon;
    }
#endif
}

/* Kernel arguments for step t (from 1): a for weights, ab for biases (no
 * regularization). */
NN__INTERNAL void nn__opt_args_from(const nn_opt *opt, long t, nn__opt_args *a,
                                    nn__opt_args *ab)
{
    a->kind = opt->kind; a->lr = opt->lr; a->mu = opt->momentum;
    a->b1 = opt->beta1; a->b2 = opt->beta2; a->eps = opt->eps;
    a->l1 = opt->l1; a->l2 = opt->l2; a->bc1 = a->bc2 = 1.0f;
    if (opt->kind == NN_OPT_ADAM) {     /* bias correction, t from 1 */
        a->bc1 = (float)(1.0 - pow((double)opt->beta1, (double)t));
        a->bc2 = (float)(1.0 - pow((double)opt->beta2, (double)t));
    }
    *ab = *a;
    ab->l1 = ab->l2 = 0.0f;
}

/* The table's optimizer kernel over parameters [lo, hi) of the flat
 * buffers: W segments with args a (regularized), b segments with ab. */
NN__INTERNAL void nn__opt_range(const nn_kernels *k, nn_net *net,
                                const nn__opt_args *a, const nn__opt_args *ab,
                                size_t lo, size_t hi)
{
    int l;
    for (l = 0; l < net->n_layers; l++) {
        size_t seg[3], s;
        seg[0] = net->w_off[l];
        seg[1] = net->b_off[l];
        seg[2] = seg[1] + (size_t)net->sizes[l + 1];
        for (s = 0; s < 2; s++) {
            size_t from = seg[s] > lo ? seg[s] : lo;
            size_t to = seg[s + 1] < hi ? seg[s + 1] : hi;
            if (from < to)
                k->opt_step(s ? ab : a, to - from, net->params + from,
                            net->grads + from, net->opt_m + from,
                            net->opt_v + from);
        }
    }
}

/* One optimizer pass over the whole model from net->grads. */
NN__INTERNAL nn_status nn__update(nn_net *net, const nn_opt *opt)
{
    nn__opt_args a, ab;
    if (!nn__all_finite(net->n_params, net->grads)) return NN_ERR_NAN;
    net->step++;
    nn__opt_args_from(opt, net->step, &a, &ab);
    nn__opt_range(nn__k(), net, &a, &ab, 0, net->n_params);
    return NN_OK;
}

#define NN__DIRECT_MAX 16   /* online SGD in place: batches up to this    */

/* Largest |x_i|, NaN if any is NaN (four chains: a branchy double loop
 * cost 15% of a batch-4 step). */
NN__INTERNAL double nn__max_abs(size_t n, const float *x)
{
    float m[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    size_t i;
    int q;
    for (i = 0; i + 4 <= n; i += 4)
        for (q = 0; q < 4; q++) {
            float a = x[i + q] < 0.0f ? -x[i + q] : x[i + q];
            m[q] = a > m[q] || a != a ? a : m[q];   /* NaN sticks */
        }
    for (; i < n; i++) {
        float a = x[i] < 0.0f ? -x[i] : x[i];
        m[0] = a > m[0] || a != a ? a : m[0];
    }
    for (q = 1; q < 4; q++) m[0] = m[q] > m[0] || m[q] != m[q] ? m[q] : m[0];
    return m[0];
}

/* Online SGD without dW (the block's dZ parked in the dW slots by
 * nn__backward_block): W = (1 - lr l2) W - lr dZ^T X and b -= lr db, layer
 * by layer, but only when no layer can overflow: |1 - lr l2| <= 1 and
 * lr B max|dZ| max|X| (and lr max|db|) below 2^100, less than half an ulp
 * of FLT_MAX, so that every updated value stays finite. Checked for every
 * layer before the first is touched; returns 0 (nothing written) when a
 * bound fails, and the step then forms dW and checks it as usual. */
NN__INTERNAL int nn__direct_sgd(nn_net *net, nn_ctx *ctx, const nn_opt *opt)
{
    const double lim = 1267650600228229401496703205376.0;      /* 2^100 */
    double lr = opt->lr, beta = 1.0 - (double)opt->lr * opt->l2;
    int l, j, B = ctx->batch;
    if (!(beta >= -1.0 && beta <= 1.0)) return 0;
    for (l = 0; l < net->n_layers; l++) {
        int in = net->sizes[l], out = net->sizes[l + 1];
        double dz = nn__max_abs((size_t)B * out, net->grads + net->w_off[l]);
        double x = nn__max_abs((size_t)B * in, nn__layer_input(net, ctx, l));
        double db = nn__max_abs((size_t)out, net->grads + net->b_off[l]);
        double s = B * dz * x;          /* bounds every |sum of dz x|     */
        if (!(s < lim && lr * s < lim && lr * db < lim)) return 0;
    }
    for (l = net->n_layers - 1; l >= 0; l--) {
        int in = net->sizes[l], out = net->sizes[l + 1];
        const float *db = net->grads + net->b_off[l];
        float *b = net->params + net->b_off[l];
        nn__ctx_gemm(ctx, 1, 0, out, in, B, -opt->lr, net->grads + net->w_off[l],
                     out, nn__layer_input(net, ctx, l), in,
                     1.0f - opt->lr * opt->l2, net->params + net->w_off[l], in, NULL);
        for (j = 0; j < out; j++) b[j] -= opt->lr * db[j];
    }
    return 1;
}

NNAPI nn_status nn_update(nn_net *net, const nn_opt *opt)
{
    if (!net || !nn__opt_valid(opt)) return NN_ERR_ARG;
    return nn__update(net, opt);
}

/* -- evaluation -- */

/* Rows whose prediction matches the target: argmax, or threshold 0.5 for a
 * single output. */
NN__INTERNAL int nn__count_correct(int rows, int cols, const float *h,
                                   const float *y)
{
    int r, hits = 0;
    for (r = 0; r < rows; r++) {
        const float *hr = h + (size_t)r * cols, *yr = y + (size_t)r * cols;
        if (cols == 1) hits += (hr[0] >= 0.5f) == (yr[0] >= 0.5f);
        else hits += nn_argmax(cols, hr) == nn_argmax(cols, yr);
    }
    return hits;
}

/* Rows [r0, r1) of a batch through forward and backward on ctx, in blocks
 * of rb rows, gradients of the whole batch (scaled by gscale) written to g
 * by the first block and added by the others. Returns the summed loss;
 * stops at the first block whose loss is not finite. */
NN__INTERNAL double nn__step_rows(nn_net *net, nn_ctx *ctx, float *g, int r0,
                                  int r1, int rb, const float *x,
                                  const float *y, float gscale, uint64_t key,
                                  int park, long *hits)
{
    int in = net->sizes[0], out = net->sizes[net->n_layers], r;
    double sum = 0.0;
    if (rb > ctx->max_batch) rb = ctx->max_batch;
    for (r = r0; r < r1; r += rb) {
        int rows = r1 - r < rb ? r1 - r : rb;
        const float *yb = y + (size_t)r * out;
        double v;
        nn__forward(net, ctx, rows, x + (size_t)r * in, 1, key, r);
        if (hits)
            *hits += nn__count_correct(rows, out, ctx->act[net->n_layers - 1], yb);
        v = nn__backward_block(net, ctx, g, yb, gscale, r > r0, park);
        sum += v;
        if (!(v - v == 0.0)) break;
    }
    ctx->ready = 0;         /* the ctx holds only the last block now */
    return sum;
}

/* Parts of a data-parallel step for this batch: the context's team; with
 * an automatic team, fewer when a part would get under 32 rows or too
 * little work to pay for the extra gradient sum. Depends on the batch and
 * the team only. */
NN__INTERNAL int nn__step_parts(const nn_net *net, const nn_ctx *ctx, int batch)
{
    double flops = 0.0;
    int parts = ctx->team_n, l;
    if (parts < 2) return 1;
    if (ctx->team_fixed) return parts < batch ? parts : batch;
    for (l = 0; l < net->n_layers; l++)
        flops += 6.0 * batch * net->sizes[l] * net->sizes[l + 1];
    /* a part of fewer than 32 rows loses more in its GEMMs and in the
     * gradient sum than its thread gains (Zen 4, batch 32 on 2 threads:
     * 0.45-1.2x); such batches split their GEMMs instead */
    if (parts > batch / 32) parts = batch / 32;
    if (parts > flops / NN__GEMM_PAR_FLOPS) parts = (int)(flops / NN__GEMM_PAR_FLOPS);
    return parts < 2 ? 1 : parts;
}

#if NN__OMP
/* Data-parallel step: part p of `parts` takes rows [B p/parts, B (p+1)/parts)
 * on its own context and gradient buffer (part 0: ctx, net->grads); then
 * every thread sums the part gradients over its slice of the parameters in
 * part order and runs the optimizer on that slice. The result depends on
 * the number of parts, never on which thread ran what. */
NN__INTERNAL nn_status nn__train_step_team(nn_net *net, nn_ctx *ctx, int parts,
                                           int batch, const float *x,
                                           const float *y, const nn_opt *opt,
                                           uint64_t key, double *loss_sum,
                                           long *hits)
{
    static const float one = 1.0f;
    const nn_kernels *k = nn__k();
    double loss[NN__TEAM_MAX];
    long hit[NN__TEAM_MAX];
    int finite[NN__TEAM_MAX], p, ok = 1;
    int rb = ctx->row_block;                /* >= 1: nn_ctx_set_row_block */
    uint64_t mode = nn__fp_read();
    nn__opt_args a, ab;
    nn__opt_args_from(opt, net->step + 1, &a, &ab);
#pragma omp parallel num_threads(parts)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads(), q, good = 1;
        int u = (int)((net->n_params + 15) / 16), lo, hi;
        uint64_t own = nn__fp_read();
        size_t from, to;
        nn__fp_write(mode);
        for (q = t; q < parts; q += nt) {
            nn_ctx *c = q ? ctx->team[q - 1] : ctx;
            hit[q] = 0;
            loss[q] = nn__step_rows(net, c, q ? c->grads : net->grads,
                                    (int)((long)batch * q / parts),
                                    (int)((long)batch * (q + 1) / parts), rb, x,
                                    y, 1.0f / (float)batch, key, 0, &hit[q]);
        }
#pragma omp barrier
        for (q = 0; q < parts; q++) good &= loss[q] - loss[q] == 0.0;
        nn__split(u, t, nt, &lo, &hi);
        from = (size_t)lo * 16;
        to = (size_t)hi * 16 < net->n_params ? (size_t)hi * 16 : net->n_params;
        if (good && from < to) {
            size_t c, e;
            for (c = from; c < to && good; c = e) {   /* per L1 chunk: */
                e = to - c < 2048 ? to : c + 2048;
                for (q = 1; q < parts; q++)     /* parts in order, g + gq */
                    k->gemm_axpy(1, (int)(e - c), 1, 1.0f, &one, 0, 0,
                                 ctx->team[q - 1]->grads + c, 0, 1.0f,
                                 net->grads + c, 0);
                good = k->all_finite(e - c, net->grads + c);    /* in L1 */
            }
        }
        finite[t] = good;
#pragma omp barrier
        for (q = 0; q < nt; q++) good &= finite[q];
        if (good && from < to) nn__opt_range(k, net, &a, &ab, from, to);
        if (t == 0) ok = good;
        nn__fp_write(own);
    }
    *loss_sum = 0.0;
    for (p = 0; p < parts; p++) {
        *loss_sum += loss[p];
        if (hits) *hits += hit[p];
    }
    if (!ok) return NN_ERR_NAN;
    net->step++;
    return NN_OK;
}
#endif

/* One step, the mini-batch cut into row blocks of ctx->row_block rows so
 * that a block's activations and deltas through every layer stay in L2
 * while W and dW are reused across blocks. Dropout masks and bias-gradient
 * sums run in row order, so the result equals the unblocked step up to the
 * rounding of the dW accumulation. Plain SGD on a small single block
 * updates W in place when that cannot overflow (nn__direct_sgd: online
 * learning never forms dW). With a team (OpenMP), large
 * batches are split across threads (nn__train_step_team). hits (may be
 * NULL) counts correct predictions. */
NN__INTERNAL nn_status nn__train_step(nn_net *net, nn_ctx *ctx, int batch,
                                      const float *x, const float *y,
                                      const nn_opt *opt, double *loss_sum,
                                      long *hits)
{
    int rb = ctx->row_block;                /* >= 1: nn_ctx_set_row_block */
    int parts = nn__step_parts(net, ctx, batch);
    uint64_t key = nn__draw_key(ctx);
    /* online SGD (one small block, B <= every layer's input width, so dZ
     * fits in the dW slots) updates W in place, never forming dW */
    int direct = batch <= rb && batch <= NN__DIRECT_MAX &&
                 opt->kind == NN_OPT_SGD && opt->l1 == 0.0f, l;
    double sum;
    for (l = 0; l < net->n_layers; l++) direct &= batch <= net->sizes[l];
#if NN__OMP
    if (parts > 1)
        return nn__train_step_team(net, ctx, parts, batch, x, y, opt, key,
                                   loss_sum, hits);
#endif
    (void)parts;
    sum = nn__step_rows(net, ctx, net->grads, 0, batch, rb, x, y,
                        1.0f / (float)batch, key, direct, hits);
    *loss_sum = sum;
    if (!(sum - sum == 0.0)) return NN_ERR_NAN;
    if (direct) {
        if (nn__direct_sgd(net, ctx, opt)) {
            net->step++;
            return NN_OK;
        }
        ctx->ready = 1;     /* the block is still there: form dW, checked */
        (void)nn__backward_block(net, ctx, net->grads, y, 1.0f / (float)batch, 0, 0);
        ctx->ready = 0;
    }
    return nn__update(net, opt);
}

NNAPI nn_status nn_train_step(nn_net *net, nn_ctx *ctx, int batch,
                              const float *x, const float *y,
                              const nn_opt *opt, float *loss)
{
    nn__fpmode fp;
    double sum;
    nn_status st = nn__forward_args(net, ctx, batch, x);
    if (st != NN_OK) return st;
    if (!y || !nn__opt_valid(opt)) return NN_ERR_ARG;
    if (!nn__all_finite((size_t)batch * net->sizes[net->n_layers], y))
        return NN_ERR_NAN;
    nn__fp_enter(&fp);
    st = nn__train_step(net, ctx, batch, x, y, opt, &sum, NULL);
    nn__fp_leave(&fp);
    if (loss) *loss = (float)(sum / batch);
    return st;
}

/* Inference over n rows, max_batch at a time: outputs copied to h (may be
 * NULL); with targets y, the summed loss and the correct rows counted. */
NN__INTERNAL nn_status nn__infer(const nn_net *net, nn_ctx *ctx, int n,
                                 const float *x, float *h, const float *y,
                                 double *loss_sum, long *hits)
{
    int i, in, out;
    nn__fpmode fp;
    if (!net || !ctx || !x || n <= 0 || (!h && !y)) return NN_ERR_ARG;
    if (!nn__ctx_fits(net, ctx)) return NN_ERR_SHAPE;
    in = net->sizes[0];
    out = net->sizes[net->n_layers];
    if (!nn__all_finite((size_t)n * in, x) ||
        (y && !nn__all_finite((size_t)n * out, y)))
        return NN_ERR_NAN;
    *loss_sum = 0.0;
    *hits = 0;
    nn__fp_enter(&fp);
    for (i = 0; i < n; i += ctx->max_batch) {
        int b = n - i < ctx->max_batch ? n - i : ctx->max_batch;
        const float *hb = ctx->act[net->n_layers - 1];
        nn__forward(net, ctx, b, x + (size_t)i * in, 0, 0, 0);
        if (h) memcpy(h + (size_t)i * out, hb, (size_t)b * out * sizeof(float));
        if (y) {
            *loss_sum += nn__block_loss(net, ctx, y + (size_t)i * out);
            *hits += nn__count_correct(b, out, hb, y + (size_t)i * out);
        }
    }
    nn__fp_leave(&fp);
    ctx->ready = 0;                     /* x belongs to the caller */
    if (h && !nn__all_finite((size_t)n * out, h)) return NN_ERR_NAN;
    return (*loss_sum - *loss_sum == 0.0) ? NN_OK : NN_ERR_NAN;
}

NNAPI nn_status nn_predict(const nn_net *net, nn_ctx *ctx, int n,
                           const float *x, float *y)
{
    double unused;
    long none;
    if (!y) return NN_ERR_ARG;
    return nn__infer(net, ctx, n, x, y, NULL, &unused, &none);
}

NNAPI nn_status nn_evaluate(const nn_net *net, nn_ctx *ctx, int n,
                            const float *x, const float *y, float *loss,
                            float *accuracy)
{
    double sum;
    long hits;
    nn_status st;
    if (!y) return NN_ERR_ARG;
    st = nn__infer(net, ctx, n, x, NULL, y, &sum, &hits);
    if (st != NN_OK && st != NN_ERR_NAN) return st;
    if (loss) *loss = (float)(sum / n);
    if (accuracy) *accuracy = (float)((double)hits / n);
    return st;
}

/* -- learning-rate schedules and the fit loop -- */

NNAPI float nn_sched_lr(const nn_sched *s, float base_lr, int epoch)
{
    if (!s || epoch < 0) return base_lr;
    switch (s->kind) {
    case NN_SCHED_STEP:
        if (s->step_epochs <= 0) return base_lr;
        return base_lr * (float)pow((double)s->gamma, (double)(epoch / s->step_epochs));
    case NN_SCHED_EXP:
        return base_lr * (float)pow((double)s->gamma, (double)epoch);
    case NN_SCHED_COSINE: {
        int total = s->total_epochs > 0 ? s->total_epochs : 1;
        double t = epoch < total ? (double)epoch / total : 1.0;
        return s->min_lr + (base_lr - s->min_lr) *
               (float)(0.5 * (1.0 + cos(3.14159265358979323846 * t)));
    }
    default:
        return base_lr;
    }
}

NNAPI nn_fit_config nn_fit_defaults(void)
{
    nn_fit_config c;
    memset(&c, 0, sizeof c);
    c.epochs = 10;
    c.batch_size = 32;
    c.opt = nn_opt_default(NN_OPT_ADAM);
    c.sched.kind = NN_SCHED_CONSTANT;
    c.sched.gamma = 1.0f;
    c.seed = 1;
    c.shuffle = 1;
    return c;
}

/* Wall time: OpenMP's clock, else C11's timespec_get, else (strict C99
 * without OpenMP) processor time, which equals wall time for the one
 * thread of such a build on an idle machine. */
NN__INTERNAL double nn__seconds(void)
{
#if NN__OMP
    return omp_get_wtime();
#else
#if defined(TIME_UTC)
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) == TIME_UTC)
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
    return (double)clock() / CLOCKS_PER_SEC;
#endif
}

/* The permutation of epoch e depends on (seed, e) only, so a run resumed at
 * epoch e (cfg->start_epoch) sees the same batches as an uninterrupted one. */
NN__INTERNAL void nn__epoch_order(int *perm, int n, uint64_t seed, int epoch,
                                  int shuffle)
{
    int i;
    nn_rng rng;
    for (i = 0; i < n; i++) perm[i] = i;
    if (!shuffle) return;
    nn_rng_seed(&rng, seed, 1 + 2 * (uint64_t)epoch);
    nn__shuffle_ints(&rng, n, perm);
}

NN__INTERNAL nn_status nn__fit_args(const nn_net *net, const nn_fit_config *c,
                                    int n, const float *x, const float *y)
{
    size_t in, out;
    if (!net || !c || !x || !y || n <= 0) return NN_ERR_ARG;
    if (c->epochs <= 0 || c->batch_size <= 0 || c->start_epoch < 0 ||
        c->patience < 0 || !(c->min_delta >= 0.0f) || !nn__opt_valid(&c->opt) ||
        c->threads < 0)
        return NN_ERR_ARG;
    if (c->val_n < 0 || (c->val_n > 0 && (!c->val_x || !c->val_y)))
        return NN_ERR_ARG;
    in = (size_t)net->sizes[0];
    out = (size_t)net->sizes[net->n_layers];
    if (!nn__all_finite((size_t)n * in, x) || !nn__all_finite((size_t)n * out, y))
        return NN_ERR_NAN;
    if (c->val_n > 0 && (!nn__all_finite((size_t)c->val_n * in, c->val_x) ||
                         !nn__all_finite((size_t)c->val_n * out, c->val_y)))
        return NN_ERR_NAN;
    return NN_OK;
}

NNAPI nn_status nn_fit(nn_net *net, const nn_fit_config *cfg, int n,
                       const float *x, const float *y, nn_fit_result *res)
{
    nn_status st = nn__fit_args(net, cfg, n, x, y);
    nn_ctx *ctx = NULL;
    nn_sched sched;
    nn_opt opt;
    int *perm = NULL, in, out, bs, epoch, bad = 0, has_val;
    float *bx = NULL, *by = NULL, *best = NULL, *good = NULL;
    float best_val = INFINITY;
    nn_fit_result r;
    nn__fpmode fp;
    size_t np;
    memset(&r, 0, sizeof r);
    r.best_epoch = -1;
    r.best_val_loss = NAN;
    if (res) *res = r;
    if (st != NN_OK) return st;
    in = net->sizes[0];
    out = net->sizes[net->n_layers];
    bs = cfg->batch_size < n ? cfg->batch_size : n;
    np = net->n_params;
    has_val = cfg->val_n > 0;
    sched = cfg->sched;
    if (sched.total_epochs <= 0) sched.total_epochs = cfg->epochs;
    opt = cfg->opt;
    st = nn_ctx_create(&ctx, net, bs > 256 ? bs : 256);
    if (st == NN_OK && cfg->threads > 0) st = nn_ctx_set_threads(ctx, net, cfg->threads);
    if (st == NN_OK && cfg->row_block > 0) (void)nn_ctx_set_row_block(ctx, cfg->row_block);
    perm = (int *)NN_MALLOC((size_t)n * sizeof(int));
    bx = nn__alloc_floats((size_t)bs * in);
    by = nn__alloc_floats((size_t)bs * out);
    good = nn__alloc_floats(2 * np);    /* last good epoch, best epoch */
    best = good ? good + np : NULL;
    if (st == NN_OK && (!perm || !bx || !by || !good)) st = NN_ERR_NOMEM;
    nn__fp_enter(&fp);
    for (epoch = cfg->start_epoch; st == NN_OK && epoch < cfg->epochs; epoch++) {
        nn_epoch_report rep;
        double loss_sum = 0.0, t0 = nn__seconds();
        long hits = 0, done = 0;
        int i, stop = 0;
        memcpy(good, net->params, np * sizeof(float));
        nn__epoch_order(perm, n, cfg->seed, epoch, cfg->shuffle);
        nn_rng_seed(&ctx->rng, cfg->seed, 2 + 2 * (uint64_t)epoch);
        opt.lr = nn_sched_lr(&sched, cfg->opt.lr, epoch);
        if (!(opt.lr > 0.0f)) opt.lr = FLT_MIN;
        for (i = 0; i < n && st == NN_OK; i += bs) {
            int b = n - i < bs ? n - i : bs;
            double lv;
            (void)nn_gather_rows(b, perm + i, n, in, x, bx);    /* perm: valid */
            (void)nn_gather_rows(b, perm + i, n, out, y, by);
            st = nn__train_step(net, ctx, b, bx, by, &opt, &lv, &hits);
            loss_sum += lv;
            done += b;
            if (st == NN_OK && cfg->on_batch &&
                cfg->on_batch(epoch, done, (float)(lv / b), cfg->user)) {
                stop = 1;
                break;
            }
        }
        memset(&rep, 0, sizeof rep);
        rep.epoch = epoch;
        rep.lr = opt.lr;
        rep.seconds = nn__seconds() - t0;
        rep.samples = done;
        rep.train_loss = (float)(loss_sum / (done > 0 ? done : 1));
        rep.train_acc = (float)((double)hits / (done > 0 ? done : 1));
        rep.val_loss = rep.val_acc = NAN;
        if (st == NN_OK && has_val)
            st = nn_evaluate(net, ctx, cfg->val_n, cfg->val_x, cfg->val_y,
                             &rep.val_loss, &rep.val_acc);
        if (st == NN_ERR_NAN) {         /* keep the last good weights */
            memcpy(net->params, good, np * sizeof(float));
            break;
        }
        if (st != NN_OK) break;
        r.epochs_run++;
        r.final_train_loss = rep.train_loss;
        if (has_val) {
            if (rep.val_loss < best_val - cfg->min_delta) {
                best_val = rep.val_loss;
                memcpy(best, net->params, np * sizeof(float));
                r.best_epoch = epoch;
                r.best_val_loss = best_val;
                rep.best = 1;
                bad = 0;
            } else {
                bad++;
            }
        }
        if (cfg->on_epoch && cfg->on_epoch(&rep, cfg->user)) stop = 1;
        if (has_val && cfg->patience > 0 && bad >= cfg->patience) {
            r.stopped_early = 1;
            stop = 1;
        }
        if (stop) break;
    }
    nn__fp_leave(&fp);
    if (st == NN_OK && has_val && cfg->patience > 0 && r.best_epoch >= 0)
        memcpy(net->params, best, np * sizeof(float));
    if (res) *res = r;
    NN_FREE(good);
    NN_FREE(by);
    NN_FREE(bx);
    NN_FREE(perm);
    nn_ctx_free(ctx);
    return st;
}

/* -- perceptron -- */

NNAPI float nn_perceptron_predict(int dims, const float *w, float b,
                                  const float *x)
{
    int j;
    float s = b;
    if (dims <= 0 || !w || !x) return NAN;
    for (j = 0; j < dims; j++) s += w[j] * x[j];
    return s >= 0.0f ? 1.0f : 0.0f;
}

NNAPI nn_status nn_perceptron_train(int n, int dims, const float *x,
                                    const float *t, float lr, int max_epochs,
                                    float *w, float *b, int *epochs,
                                    int *converged)
{
    int e, i, j;
    if (epochs) *epochs = 0;
    if (converged) *converged = 0;
    if (n <= 0 || dims <= 0 || !x || !t || !w || !b || max_epochs <= 0 ||
        !(lr > 0.0f && lr < INFINITY))
        return NN_ERR_ARG;
    if (!nn__all_finite((size_t)n * dims, x) || !nn__all_finite((size_t)n, t) ||
        !nn__all_finite((size_t)dims, w) || !nn__all_finite(1, b))
        return NN_ERR_NAN;
    for (e = 0; e < max_epochs; e++) {
        int errors = 0;
        for (i = 0; i < n; i++) {
            const float *xi = x + (size_t)i * dims;
            float err = t[i] - nn_perceptron_predict(dims, w, *b, xi);
            if (err != 0.0f) {
                errors++;
                for (j = 0; j < dims; j++) w[j] += lr * err * xi[j];
                *b += lr * err;
            }
        }
        if (epochs) *epochs = e + 1;
        if (errors == 0) {
            if (converged) *converged = 1;
            return NN_OK;
        }
    }
    return NN_OK;
}

/* ======================================================================== */
/* 2.10 data utilities                                                      */
/* ======================================================================== */

/* -- small file helpers shared with 2.11: a writer that goes to path.tmp,
 *    keeps a CRC-32 and is renamed into place only when everything worked -- */
typedef struct nn__wr {
    FILE *f;
    char *tmp;          /* path.tmp                                         */
    uint32_t crc;
    int err;
} nn__wr;

NN__INTERNAL nn_status nn__wr_open(nn__wr *w, const char *path)
{
    size_t len;
    memset(w, 0, sizeof *w);
    if (!path || !*path) return NN_ERR_ARG;
    len = strlen(path);
    w->tmp = (char *)NN_MALLOC(len + 5);
    if (!w->tmp) return NN_ERR_NOMEM;
    memcpy(w->tmp, path, len);
    memcpy(w->tmp + len, ".tmp", 5);
    w->f = fopen(w->tmp, "wb");
    if (!w->f) { NN_FREE(w->tmp); w->tmp = NULL; return NN_ERR_IO; }
    return NN_OK;
}

NN__INTERNAL void nn__wr_bytes(nn__wr *w, const void *p, size_t n)
{
    if (w->err || n == 0) return;
    if (fwrite(p, 1, n, w->f) != n) w->err = 1;
    w->crc = nn_crc32(w->crc, p, n);
}

/* Close; on success rename path.tmp to path, else remove path.tmp. The
 * previous file at path is untouched unless the rename happens. */
NN__INTERNAL nn_status nn__wr_close(nn__wr *w, const char *path)
{
    int bad = w->err;
    if (fflush(w->f) != 0 || ferror(w->f)) bad = 1;
    if (fclose(w->f) != 0) bad = 1;
    if (!bad && rename(w->tmp, path) != 0) bad = 1;
    if (bad) remove(w->tmp);
    NN_FREE(w->tmp);
    w->tmp = NULL; w->f = NULL;
    return bad ? NN_ERR_IO : NN_OK;
}

/* Size of an open file (rewound), or -1. */
NN__INTERNAL long nn__file_size(FILE *f)
{
    long n;
    if (fseek(f, 0, SEEK_END) != 0) return -1;
    n = ftell(f);
    if (fseek(f, 0, SEEK_SET) != 0) return -1;
    return n;
}

NN__INTERNAL uint32_t nn__be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320, zlib's crc32()): a nibble
 * table, constant, so no init and no mutable state. */
NNAPI uint32_t nn_crc32(uint32_t crc, const void *buf, size_t len)
{
    static const uint32_t t[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
        0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
        0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu };
    const unsigned char *p = (const unsigned char *)buf;
    size_t i;
    crc = ~crc;
    for (i = 0; i < len; i++) {
        crc ^= p[i];
        crc = (crc >> 4) ^ t[crc & 15u];
        crc = (crc >> 4) ^ t[crc & 15u];
    }
    return ~crc;
}

/* -- IDX -- */
NN__INTERNAL size_t nn__idx_esize(int type)
{
    switch (type) {
    case NN_IDX_U8: case NN_IDX_S8: return 1;
    case NN_IDX_I16: return 2;
    case NN_IDX_I32: case NN_IDX_F32: return 4;
    case NN_IDX_F64: return 8;
    default: return 0;
    }
}

/* Parse the header in h[0..avail) of a file of total bytes; fills type,
 * ndims, dims, count and the header size. Nothing is allocated. */
NN__INTERNAL nn_status nn__idx_header(const unsigned char *h, size_t avail,
                                      size_t total, nn_idx *out, size_t *hsize)
{
    size_t esz, count = 1, payload;
    int i;
    if (avail < 4 || h[0] != 0 || h[1] != 0) return NN_ERR_FORMAT;
    esz = nn__idx_esize(h[2]);
    if (!esz || h[3] < 1 || h[3] > NN_IDX_MAX_DIMS) return NN_ERR_FORMAT;
    out->type = h[2];
    out->ndims = h[3];
    *hsize = 4 + 4 * (size_t)out->ndims;
    if (avail < *hsize || total < *hsize) return NN_ERR_FORMAT;
    for (i = 0; i < out->ndims; i++) {
        uint32_t v = nn__be32(h + 4 + 4 * i);
        if (v > 0x7fffffffu) return NN_ERR_FORMAT;
        if (v != 0 && count > ((size_t)-1) / v) return NN_ERR_FORMAT;
        out->dims[i] = (int)v;
        count *= v;
    }
    payload = total - *hsize;
    if (count > payload / esz || count * esz != payload) return NN_ERR_FORMAT;
    if (count > ((size_t)-1) / sizeof(float) - 64) return NN_ERR_FORMAT;
    out->count = count;
    return NN_OK;
}

/* n big-endian elements of type at src into floats. */
NN__INTERNAL void nn__idx_convert(int type, const unsigned char *src, size_t n,
                                  float *dst)
{
    size_t i;
    for (i = 0; i < n; i++) {
        switch (type) {
        case NN_IDX_U8: dst[i] = (float)src[i]; break;
        case NN_IDX_S8: dst[i] = (float)(int)(signed char)src[i]; break;
        case NN_IDX_I16: {
            uint32_t u = ((uint32_t)src[2 * i] << 8) | src[2 * i + 1];
            dst[i] = (float)(long)(u >= 0x8000u ? (long)u - 0x10000L : (long)u);
            break; }
        case NN_IDX_I32: {
            uint32_t u = nn__be32(src + 4 * i);
            dst[i] = (float)(u >= 0x80000000u ? (double)u - 4294967296.0 : (double)u);
            break; }
        case NN_IDX_F32: {
            uint32_t u = nn__be32(src + 4 * i);
            memcpy(dst + i, &u, 4);
            break; }
        default: {  /* NN_IDX_F64 */
            uint64_t u = ((uint64_t)nn__be32(src + 8 * i) << 32) |
                         nn__be32(src + 8 * i + 4);
            double d;
            memcpy(&d, &u, 8);
            dst[i] = (float)d;
            break; }
        }
    }
}

NNAPI nn_status nn_idx_load_mem(const void *buf, size_t len, nn_idx *out)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t hsize;
    nn_status st;
    if (!out) return NN_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (!buf) return NN_ERR_ARG;
    st = nn__idx_header(p, len, len, out, &hsize);
    if (st != NN_OK) { memset(out, 0, sizeof *out); return st; }
    out->data = nn__alloc_floats(out->count);
    if (!out->data) { memset(out, 0, sizeof *out); return NN_ERR_NOMEM; }
    nn__idx_convert(out->type, p + hsize, out->count, out->data);
    return NN_OK;
}

NNAPI nn_status nn_idx_load(const char *path, nn_idx *out)
{
    unsigned char h[4 + 4 * NN_IDX_MAX_DIMS];
    unsigned char *chunk = NULL;
    size_t hsize, avail, esz, done = 0;
    const size_t CH = 65536;
    long total;
    nn_status st = NN_OK;
    FILE *f;
    if (!out) return NN_ERR_ARG;
    memset(out, 0, sizeof *out);
    if (!path) return NN_ERR_ARG;
    f = fopen(path, "rb");
    if (!f) return NN_ERR_IO;
    total = nn__file_size(f);
    if (total < 0) { fclose(f); return NN_ERR_IO; }
    avail = fread(h, 1, (size_t)total < sizeof h ? (size_t)total : sizeof h, f);
    st = nn__idx_header(h, avail, (size_t)total, out, &hsize);
    if (st == NN_OK && fseek(f, (long)hsize, SEEK_SET) != 0) st = NN_ERR_IO;
    if (st == NN_OK) {
        out->data = nn__alloc_floats(out->count);
        chunk = (unsigned char *)NN_MALLOC(CH);
        if (!out->data || !chunk) st = NN_ERR_NOMEM;
    }
    esz = nn__idx_esize(out->type);
    while (st == NN_OK && done < out->count) {
        size_t n = out->count - done;
        if (n > CH / esz) n = CH / esz;
        if (fread(chunk, esz, n, f) != n) { st = NN_ERR_IO; break; }
        nn__idx_convert(out->type, chunk, n, out->data + done);
        done += n;
    }
    NN_FREE(chunk);
    fclose(f);
    if (st != NN_OK) nn_idx_free(out);
    return st;
}

NNAPI void nn_idx_free(nn_idx *idx)
{
    if (!idx) return;
    NN_FREE(idx->data);
    memset(idx, 0, sizeof *idx);
}

NNAPI nn_status nn_idx_save(const char *path, int type, int ndims,
                            const int *dims, const float *data)
{
    unsigned char h[4 + 4 * NN_IDX_MAX_DIMS], buf[4096];
    size_t count = 1, i, k = 0;
    nn__wr w;
    nn_status st;
    int d;
    if (!path || !dims || (type != NN_IDX_U8 && type != NN_IDX_F32) ||
        ndims < 1 || ndims > NN_IDX_MAX_DIMS)
        return NN_ERR_ARG;
    for (d = 0; d < ndims; d++) {
        if (dims[d] < 0) return NN_ERR_ARG;
        if (dims[d] && count > ((size_t)-1) / (size_t)dims[d]) return NN_ERR_ARG;
        count *= (size_t)dims[d];
    }
    if (count && !data) return NN_ERR_ARG;
    if (type == NN_IDX_U8)   /* integers 0..255 only: no silent rounding */
        for (i = 0; i < count; i++)
            if (!(data[i] >= 0.0f && data[i] <= 255.0f) ||
                data[i] != (float)(int)data[i])
                return NN_ERR_ARG;
    h[0] = 0; h[1] = 0; h[2] = (unsigned char)type; h[3] = (unsigned char)ndims;
    for (d = 0; d < ndims; d++) {
        uint32_t v = (uint32_t)dims[d];
        h[4 + 4 * d] = (unsigned char)(v >> 24);
        h[5 + 4 * d] = (unsigned char)(v >> 16);
        h[6 + 4 * d] = (unsigned char)(v >> 8);
        h[7 + 4 * d] = (unsigned char)v;
    }
    st = nn__wr_open(&w, path);
    if (st != NN_OK) return st;
    nn__wr_bytes(&w, h, 4 + 4 * (size_t)ndims);
    for (i = 0; i < count; i++) {
        if (type == NN_IDX_U8) {
            buf[k++] = (unsigned char)(int)data[i];
        } else {
            uint32_t u;
            memcpy(&u, data + i, 4);
            buf[k++] = (unsigned char)(u >> 24); buf[k++] = (unsigned char)(u >> 16);
            buf[k++] = (unsigned char)(u >> 8);  buf[k++] = (unsigned char)u;
        }
        if (k + 4 > sizeof buf) { nn__wr_bytes(&w, buf, k); k = 0; }
    }
    nn__wr_bytes(&w, buf, k);
    return nn__wr_close(&w, path);
}

/* -- standardization -- */
NNAPI nn_status nn_standardize_fit(int n, int d, const float *x, float eps,
                                   float *mean, float *std)
{
    double *acc;
    int i, j;
    if (n < 1 || d < 1 || !x || !mean || !std || !(eps >= 0.0f)) return NN_ERR_ARG;
    if (!nn__all_finite((size_t)n * d, x)) return NN_ERR_NAN;
    acc = (double *)NN_MALLOC(2 * (size_t)d * sizeof(double));
    if (!acc) return NN_ERR_NOMEM;
    /* two passes in double: mean, then sum of squared deviations */
    for (j = 0; j < 2 * d; j++) acc[j] = 0.0;
    for (i = 0; i < n; i++)
        for (j = 0; j < d; j++) acc[j] += x[(size_t)i * d + j];
    for (j = 0; j < d; j++) acc[j] /= n;
    for (i = 0; i < n; i++)
        for (j = 0; j < d; j++) {
            double t = x[(size_t)i * d + j] - acc[j];
            acc[d + j] += t * t;
        }
    for (j = 0; j < d; j++) {
        double s = sqrt(acc[d + j] / n + eps);
        mean[j] = (float)acc[j];
        std[j] = s > 0.0 ? (float)s : 1.0f;
    }
    NN_FREE(acc);
    return NN_OK;
}

NNAPI nn_status nn_standardize_apply(int n, int d, float *x,
                                     const float *mean, const float *std)
{
    int i, j;
    if (n < 0 || d < 1 || (n && !x) || !mean || !std) return NN_ERR_ARG;
    if (!nn__all_finite((size_t)d, std) || !nn__all_finite((size_t)d, mean))
        return NN_ERR_ARG;
    for (j = 0; j < d; j++)
        if (!(std[j] > 0.0f)) return NN_ERR_ARG;
    for (i = 0; i < n; i++)
        for (j = 0; j < d; j++) {
            float *v = x + (size_t)i * d + j;
            *v = (*v - mean[j]) / std[j];
        }
    return NN_OK;
}

/* -- symmetric eigendecomposition --
 * Householder reduction to tridiagonal form and the implicit QL method with
 * shifts (EISPACK tred2/tql2, as in JAMA). V is stored column-major,
 * V(r, c) = V[c * n + r], so every inner loop below runs over contiguous
 * memory and column c ends up as the eigenvector of d[c]. */
#define NN__V(r, c) V[(size_t)(c) * n + (r)]
NN__INTERNAL void nn__tred2(int n, double *V, double *d, double *e)
{
    int i, j, k;
    for (j = 0; j < n; j++) d[j] = NN__V(n - 1, j);
    for (i = n - 1; i > 0; i--) {
        double scale = 0.0, h = 0.0;
        for (k = 0; k < i; k++) scale += fabs(d[k]);
        if (scale == 0.0) {
            e[i] = d[i - 1];
            for (j = 0; j < i; j++) {
                d[j] = NN__V(i - 1, j);
                NN__V(i, j) = 0.0;
                NN__V(j, i) = 0.0;
            }
        } else {
            double f, g, hh;
            for (k = 0; k < i; k++) { d[k] /= scale; h += d[k] * d[k]; }
            f = d[i - 1];
            g = sqrt(h);
            if (f > 0) g = -g;
            e[i] = scale * g;
            h -= f * g;
            d[i - 1] = f - g;
            for (j = 0; j < i; j++) e[j] = 0.0;
            for (j = 0; j < i; j++) {
                double *vj = &NN__V(0, j);
                f = d[j];
                NN__V(j, i) = f;
                g = e[j] + vj[j] * f;
                for (k = j + 1; k <= i - 1; k++) {
                    g += vj[k] * d[k];
                    e[k] += vj[k] * f;
                }
                e[j] = g;
            }
            f = 0.0;
            for (j = 0; j < i; j++) { e[j] /= h; f += e[j] * d[j]; }
            hh = f / (h + h);
            for (j = 0; j < i; j++) e[j] -= hh * d[j];
            for (j = 0; j < i; j++) {
                double *vj = &NN__V(0, j);
                f = d[j];
                g = e[j];
                for (k = j; k <= i - 1; k++) vj[k] -= (f * e[k] + g * d[k]);
                d[j] = NN__V(i - 1, j);
                NN__V(i, j) = 0.0;
            }
        }
        d[i] = h;
    }
    for (i = 0; i < n - 1; i++) {   /* accumulate the transformations */
        double h;
        NN__V(n - 1, i) = NN__V(i, i);
        NN__V(i, i) = 1.0;
        h = d[i + 1];
        if (h != 0.0) {
            double *vi1 = &NN__V(0, i + 1);
            for (k = 0; k <= i; k++) d[k] = vi1[k] / h;
            for (j = 0; j <= i; j++) {
                double *vj = &NN__V(0, j), g = 0.0;
                for (k = 0; k <= i; k++) g += vi1[k] * vj[k];
                for (k = 0; k <= i; k++) vj[k] -= g * d[k];
            }
        }
        for (k = 0; k <= i; k++) NN__V(k, i + 1) = 0.0;
    }
    for (j = 0; j < n; j++) { d[j] = NN__V(n - 1, j); NN__V(n - 1, j) = 0.0; }
    NN__V(n - 1, n - 1) = 1.0;
    e[0] = 0.0;
}

/* Returns 0 when an eigenvalue needs more than 60 QL iterations. */
NN__INTERNAL int nn__tql2(int n, double *V, double *d, double *e)
{
    int i, k, l, m;
    double f = 0.0, tst1 = 0.0, eps = DBL_EPSILON;
    for (i = 1; i < n; i++) e[i - 1] = e[i];
    e[n - 1] = 0.0;
    for (l = 0; l < n; l++) {
        double t = fabs(d[l]) + fabs(e[l]);
        if (t > tst1) tst1 = t;
        m = l;
        while (m < n - 1 && fabs(e[m]) > eps * tst1) m++;
        if (m > l) {
            int iter = 0;
            do {
                double g, p, r, dl1, h, c, c2, c3, el1, s, s2;
                if (++iter > 60) return 0;
                g = d[l];
                p = (d[l + 1] - g) / (2.0 * e[l]);
                r = hypot(p, 1.0);
                if (p < 0) r = -r;
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                dl1 = d[l + 1];
                h = g - d[l];
                for (i = l + 2; i < n; i++) d[i] -= h;
                f += h;
                p = d[m];
                c = 1.0; c2 = c; c3 = c;
                el1 = e[l + 1];
                s = 0.0; s2 = 0.0;
                for (i = m - 1; i >= l; i--) {
                    double *vi = &NN__V(0, i), *vi1 = &NN__V(0, i + 1);
                    c3 = c2; c2 = c; s2 = s;
                    g = c * e[i];
                    h = c * p;
                    r = hypot(p, e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    for (k = 0; k < n; k++) {
                        h = vi1[k];
                        vi1[k] = s * vi[k] + c * h;
                        vi[k] = c * vi[k] - s * h;
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
            } while (fabs(e[l]) > eps * tst1);
        }
        d[l] += f;
        e[l] = 0.0;
    }
    return 1;
}
#undef NN__V

NNAPI nn_status nn_eigh(int n, const double *a, double *w, double *v)
{
    double *e;
    size_t i, nn2;
    int r, c, ok;
    if (n < 1 || !a || !w || !v) return NN_ERR_ARG;
    nn2 = (size_t)n * n;
    for (i = 0; i < nn2; i++)
        if (!(a[i] - a[i] == 0.0)) return NN_ERR_NAN;
    e = (double *)NN_MALLOC((size_t)n * sizeof(double));
    if (!e) return NN_ERR_NOMEM;
    /* symmetrize from the upper triangle (column-major copy of a) */
    for (r = 0; r < n; r++)
        for (c = r; c < n; c++)
            v[(size_t)c * n + r] = v[(size_t)r * n + c] = a[(size_t)r * n + c];
    nn__tred2(n, v, w, e);
    ok = nn__tql2(n, v, w, e);
    NN_FREE(e);
    if (!ok) return NN_ERR_NAN;
    /* columns of column-major V = rows of v; selection sort, descending */
    for (r = 0; r < n; r++) {
        int best = r;
        for (c = r + 1; c < n; c++) if (w[c] > w[best]) best = c;
        if (best != r) {
            double t = w[r], *pr = v + (size_t)r * n, *pb = v + (size_t)best * n;
            w[r] = w[best]; w[best] = t;
            for (c = 0; c < n; c++) { t = pr[c]; pr[c] = pb[c]; pb[c] = t; }
        }
    }
    return NN_OK;
}

/* -- PCA whitening -- */
NNAPI void nn_pca_free(nn_pca *p)
{
    if (!p) return;
    NN_FREE(p->mean);
    memset(p, 0, sizeof *p);
}

NNAPI nn_status nn_pca_fit(nn_pca *p, int n, int d, const float *x, int k,
                           float eps)
{
    /* Covariance in double from centered row blocks: each block's X^T X
     * goes through nn_sgemm (float, 64 rows: relative error ~ 64 ulp of
     * the block sum) and is accumulated in double. */
    const int BR = 64;
    double *cov = NULL, *vec = NULL, *val = NULL, *mu = NULL;
    float *blk = NULL, *bc = NULL;
    size_t dd;
    int i, j, r0, nr;
    nn_status st = NN_OK;
    if (!p) return NN_ERR_ARG;
    memset(p, 0, sizeof *p);
    if (n < 2 || d < 1 || !x || k < 0 || k > d || !(eps >= 0.0f) ||
        !nn__all_finite(1, &eps))
        return NN_ERR_ARG;
    if (d > 46340) return NN_ERR_SHAPE;      /* d*d must fit an int */
    if (!nn__all_finite((size_t)n * d, x)) return NN_ERR_NAN;
    if (k == 0) k = d;
    dd = (size_t)d * d;
    cov = (double *)NN_MALLOC(dd * sizeof(double));
    vec = (double *)NN_MALLOC(dd * sizeof(double));
    val = (double *)NN_MALLOC((size_t)d * sizeof(double));
    mu = (double *)NN_MALLOC((size_t)d * sizeof(double));
    blk = nn__alloc_floats((size_t)BR * d);
    bc = nn__alloc_floats(dd);
    /* one block for the result: mean d, eigval k, w k*d, shift k */
    p->mean = nn__alloc_floats((size_t)d + k + (size_t)k * d + k);
    if (!cov || !vec || !val || !mu || !blk || !bc || !p->mean) {
        st = NN_ERR_NOMEM;
        goto done;
    }
    p->d = d; p->k = k; p->eps = eps;
    p->eigval = p->mean + d;
    p->w = p->eigval + k;
    p->shift = p->w + (size_t)k * d;
    for (j = 0; j < d; j++) mu[j] = 0.0;
    for (i = 0; i < n; i++)
        for (j = 0; j < d; j++) mu[j] += x[(size_t)i * d + j];
    for (j = 0; j < d; j++) { mu[j] /= n; p->mean[j] = (float)mu[j]; }
    memset(cov, 0, dd * sizeof(double));
    for (r0 = 0; r0 < n; r0 += BR) {
        size_t t;
        nr = n - r0 < BR ? n - r0 : BR;
        for (i = 0; i < nr; i++)
            for (j = 0; j < d; j++)
                blk[(size_t)i * d + j] =
                    (float)(x[(size_t)(r0 + i) * d + j] - mu[j]);
        nn_sgemm(1, 0, d, d, nr, 1.0f, blk, d, blk, d, 0.0f, bc, d);
        for (t = 0; t < dd; t++) cov[t] += bc[t];
    }
    for (i = 0; i < d; i++)             /* symmetric average, 1/n */
        for (j = i; j < d; j++) {
            double c = 0.5 * (cov[(size_t)i * d + j] + cov[(size_t)j * d + i]) / n;
            cov[(size_t)i * d + j] = cov[(size_t)j * d + i] = c;
        }
    st = nn_eigh(d, cov, val, vec);
    if (st != NN_OK) goto done;
    for (i = 0; i < k; i++) {
        double l = val[i] > 0.0 ? val[i] : 0.0, sc, sh = 0.0;
        sc = l + eps > 0.0 ? 1.0 / sqrt(l + eps) : 0.0;   /* 0: dropped */
        p->eigval[i] = (float)l;
        for (j = 0; j < d; j++) {
            float wv = (float)(vec[(size_t)i * d + j] * sc);
            p->w[(size_t)i * d + j] = wv;
            sh += (double)wv * mu[j];
        }
        p->shift[i] = (float)-sh;
    }
done:
    NN_FREE(cov); NN_FREE(vec); NN_FREE(val); NN_FREE(mu);
    NN_FREE(blk); NN_FREE(bc);
    if (st != NN_OK) nn_pca_free(p);
    return st;
}

NNAPI nn_status nn_pca_apply(const nn_pca *p, int n, const float *x, float *y)
{
    nn_epilogue ep;
    if (!p || !p->mean || n < 0 || (n && (!x || !y))) return NN_ERR_ARG;
    if (n == 0) return NN_OK;
    ep.bias = p->shift; ep.act = NN_ACT_IDENTITY; ep.pre = NULL; ep.ldpre = 0;
    /* y = x W^T - W mean: one GEMM with a bias epilogue */
    return nn_sgemm_ex(0, 1, n, p->k, p->d, 1.0f, x, p->d, p->w, p->d, 0.0f,
                       y, p->k, &ep);
}

/* -- labels, shuffling, splits -- */
/* Every label a whole number in [0, classes). */
NN__INTERNAL int nn__labels_valid(int n, const float *labels, int classes)
{
    int i;
    for (i = 0; i < n; i++)
        if (!(labels[i] >= 0.0f && labels[i] < (float)classes) ||
            labels[i] != (float)(int)labels[i])
            return 0;
    return 1;
}

NNAPI nn_status nn_one_hot(int n, const float *labels, int classes, float *y)
{
    int i;
    if (n < 0 || classes < 1 || (n && (!labels || !y))) return NN_ERR_ARG;
    if (!nn__labels_valid(n, labels, classes)) return NN_ERR_ARG;
    for (i = 0; i < n; i++) {
        float *r = y + (size_t)i * classes;
        int c;
        for (c = 0; c < classes; c++) r[c] = 0.0f;
        r[(int)labels[i]] = 1.0f;
    }
    return NN_OK;
}

NNAPI int nn_argmax(int n, const float *x)
{
    int i, best = 0;
    if (n < 1 || !x) return -1;
    for (i = 1; i < n; i++) if (x[i] > x[best]) best = i;
    return best;
}

#define NN__DATA_STREAM 0xDA7AULL   /* nn_rng stream of the data utilities */


NNAPI nn_status nn_shuffle_index(int n, int *idx, uint64_t seed)
{
    nn_rng r;
    int i;
    if (n < 0 || (n && !idx)) return NN_ERR_ARG;
    for (i = 0; i < n; i++) idx[i] = i;
    nn_rng_seed(&r, seed, NN__DATA_STREAM);
    nn__shuffle_ints(&r, n, idx);
    return NN_OK;
}

NNAPI nn_status nn_gather_rows(int n, const int *idx, int src_rows, int cols,
                               const float *src, float *dst)
{
    int i;
    if (n < 0 || cols < 1 || src_rows < 0 || (n && (!idx || !src || !dst)))
        return NN_ERR_ARG;
    for (i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= src_rows) return NN_ERR_ARG;
    for (i = 0; i < n; i++)
        memmove(dst + (size_t)i * cols, src + (size_t)idx[i] * cols,
                (size_t)cols * sizeof(float));
    return NN_OK;
}

/* Largest-remainder apportionment of total over classes by count[c], each
 * capped at cap[c] (sum of caps >= total). */
NN__INTERNAL void nn__apportion(int classes, const int *count, const int *cap,
                                int n, int total, int *out, double *prio)
{
    int c, left = total;
    for (c = 0; c < classes; c++) {
        double q = (double)total * count[c] / n;
        out[c] = (int)q;
        if (out[c] > cap[c]) out[c] = cap[c];
        prio[c] = q - out[c];
        left -= out[c];
    }
    while (left > 0) {
        int best = -1;
        for (c = 0; c < classes; c++)
            if (out[c] < cap[c] && (best < 0 || prio[c] > prio[best])) best = c;
        if (best < 0) break;                 /* unreachable: caps suffice */
        out[best]++;
        prio[best] -= 1.0;
        left--;
    }
}

NNAPI nn_status nn_split(int n, const float *labels, int classes, int n_val,
                         int n_test, uint64_t seed, int *train_idx,
                         int *val_idx, int *test_idx)
{
    nn_rng r;
    int *perm, *work, i, c, n_train = n - n_val - n_test;
    int nv = 0, nt = 0, ntr = 0;
    double *prio;
    if (n < 1 || n_val < 0 || n_test < 0 || n_train < 0 ||
        (n_train && !train_idx) || (n_val && !val_idx) || (n_test && !test_idx))
        return NN_ERR_ARG;
    if (labels) {
        if (classes < 1 || !nn__labels_valid(n, labels, classes)) return NN_ERR_ARG;
    } else {
        classes = 1;
    }
    /* perm n | count, cap, val quota, test quota: 4 per class */
    perm = (int *)NN_MALLOC(((size_t)n + 4 * (size_t)classes) * sizeof(int));
    prio = (double *)NN_MALLOC((size_t)classes * sizeof(double));
    if (!perm || !prio) { NN_FREE(perm); NN_FREE(prio); return NN_ERR_NOMEM; }
    work = perm + n;
    {
        int *count = work, *cap = work + classes, *qv = work + 2 * classes,
            *qt = work + 3 * classes;
        for (c = 0; c < classes; c++) count[c] = 0;
        for (i = 0; i < n; i++) count[labels ? (int)labels[i] : 0]++;
        for (c = 0; c < classes; c++) cap[c] = count[c];
        nn__apportion(classes, count, cap, n, n_val, qv, prio);
        for (c = 0; c < classes; c++) cap[c] = count[c] - qv[c];
        nn__apportion(classes, count, cap, n, n_test, qt, prio);
        nn_rng_seed(&r, seed, NN__DATA_STREAM + 1);
        for (i = 0; i < n; i++) {
            int j = (int)nn_rng_below(&r, (uint32_t)i + 1u);  /* inside-out */
            perm[i] = perm[j];
            perm[j] = i;
        }
        /* walk the permutation, dealing each row to its class's quotas */
        for (c = 0; c < classes; c++) count[c] = 0;   /* reuse: dealt so far */
        for (i = 0; i < n; i++) {
            int row = perm[i], k = labels ? (int)labels[row] : 0;
            int s = count[k]++;
            if (s < qv[k]) val_idx[nv++] = row;
            else if (s < qv[k] + qt[k]) test_idx[nt++] = row;
            else train_idx[ntr++] = row;
        }
    }
    /* each part in random order: dealing keeps the permutation's order, but
     * a class with a small quota fills early, so its rows would lead */
    if (nv) nn__shuffle_ints(&r, nv, val_idx);
    if (nt) nn__shuffle_ints(&r, nt, test_idx);
    if (ntr) nn__shuffle_ints(&r, ntr, train_idx);
    NN_FREE(perm);
    NN_FREE(prio);
    return (nv == n_val && nt == n_test && ntr == n_train) ? NN_OK : NN_ERR_STATE;
}

/* ======================================================================== */
/* 2.11 model files                                                         */
/* ======================================================================== */

/* Layout (all integers and floats little-endian, floats IEEE binary32):
 *   0  magic 89 'N' 'N' 'H' 0D 0A 1A 0A     8  u32 version   12 u32 flags
 *  16  u32 n_layers  20 u32 inputs  24 u32 loss  28 f32 huber_delta
 *  32  u64 seed  40 u32 epochs  44 f32 loss value  48 i64 date  56 i64 step
 *  64  u64 rng state  72 u64 rng inc  80 u32 opt kind
 *  84  f32 lr, momentum, beta1, beta2, eps, l1, l2   112 u64 n_params
 * 120  n_layers x (u32 outputs, u32 activation, f32 dropout)
 *      n_params f32 parameters (nn_net_params order)
 *      flags & 1 (checkpoint): n_params f32 opt_m, n_params f32 opt_v
 *      u32 CRC-32 of every byte before it. */
#define NN__MODEL_HDR 120u
#define NN__MODEL_FLAG_CKPT 1u

NNAPI nn_model_info nn_model_info_default(void)
{
    nn_model_info i;
    memset(&i, 0, sizeof i);
    i.loss = NAN;
    i.opt = nn_opt_default(NN_OPT_SGD);
    return i;
}

/* -- little-endian encoding, byte by byte (host endianness never shows) -- */
NN__INTERNAL void nn__put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
}
NN__INTERNAL void nn__put64(unsigned char *p, uint64_t v)
{
    nn__put32(p, (uint32_t)v);
    nn__put32(p + 4, (uint32_t)(v >> 32));
}
NN__INTERNAL void nn__putf(unsigned char *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    nn__put32(p, u);
}
NN__INTERNAL uint32_t nn__get32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
NN__INTERNAL uint64_t nn__get64(const unsigned char *p)
{
    return (uint64_t)nn__get32(p) | ((uint64_t)nn__get32(p + 4) << 32);
}
NN__INTERNAL float nn__getf(const unsigned char *p)
{
    uint32_t u = nn__get32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static const unsigned char nn__model_magic[8] =
    { 0x89, 'N', 'N', 'H', 0x0D, 0x0A, 0x1A, 0x0A };

NN__INTERNAL void nn__wr_floats(nn__wr *w, const float *x, size_t n)
{
    unsigned char buf[4096];
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        nn__putf(buf + k, x[i]);
        k += 4;
        if (k == sizeof buf) { nn__wr_bytes(w, buf, k); k = 0; }
    }
    nn__wr_bytes(w, buf, k);
}

NN__INTERNAL nn_status nn__model_save(const char *path, const nn_net *net,
                                      const nn_model_info *info, int ckpt)
{
    unsigned char h[NN__MODEL_HDR], c[12];
    nn_model_info d = nn_model_info_default();
    nn__wr w;
    nn_status st;
    int l;
    if (!path || !net || net->n_layers < 1 || !net->params) return NN_ERR_ARG;
    if (ckpt && (!net->opt_m || !net->opt_v)) return NN_ERR_STATE;
    if (info) d = *info;
    if (d.seed == 0) d.seed = net->seed;
    if (d.date == 0) d.date = (int64_t)time(NULL);
    memcpy(h, nn__model_magic, 8);
    nn__put32(h + 8, NN_MODEL_VERSION);
    nn__put32(h + 12, ckpt ? NN__MODEL_FLAG_CKPT : 0u);
    nn__put32(h + 16, (uint32_t)net->n_layers);
    nn__put32(h + 20, (uint32_t)net->sizes[0]);
    nn__put32(h + 24, (uint32_t)net->loss);
    nn__putf(h + 28, net->huber_delta);
    nn__put64(h + 32, d.seed);
    nn__put32(h + 40, (uint32_t)(d.epochs > 0 ? d.epochs : 0));
    nn__putf(h + 44, d.loss);
    nn__put64(h + 48, (uint64_t)d.date);
    nn__put64(h + 56, (uint64_t)(int64_t)net->step);
    nn__put64(h + 64, ckpt ? d.rng.state : 0u);
    nn__put64(h + 72, ckpt ? d.rng.inc : 0u);
    nn__put32(h + 80, ckpt ? (uint32_t)d.opt.kind : 0u);
    nn__putf(h + 84, ckpt ? d.opt.lr : 0.0f);
    nn__putf(h + 88, ckpt ? d.opt.momentum : 0.0f);
    nn__putf(h + 92, ckpt ? d.opt.beta1 : 0.0f);
    nn__putf(h + 96, ckpt ? d.opt.beta2 : 0.0f);
    nn__putf(h + 100, ckpt ? d.opt.eps : 0.0f);
    nn__putf(h + 104, ckpt ? d.opt.l1 : 0.0f);
    nn__putf(h + 108, ckpt ? d.opt.l2 : 0.0f);
    nn__put64(h + 112, (uint64_t)net->n_params);
    st = nn__wr_open(&w, path);
    if (st != NN_OK) return st;
    nn__wr_bytes(&w, h, sizeof h);
    for (l = 0; l < net->n_layers; l++) {
        nn__put32(c, (uint32_t)net->sizes[l + 1]);
        nn__put32(c + 4, (uint32_t)net->acts[l]);
        nn__putf(c + 8, net->dropout ? net->dropout[l] : 0.0f);
        nn__wr_bytes(&w, c, 12);
    }
    nn__wr_floats(&w, net->params, net->n_params);
    if (ckpt) {
        nn__wr_floats(&w, net->opt_m, net->n_params);
        nn__wr_floats(&w, net->opt_v, net->n_params);
    }
    nn__put32(c, w.crc);
    nn__wr_bytes(&w, c, 4);
    return nn__wr_close(&w, path);
}

NNAPI nn_status nn_model_save(const char *path, const nn_net *net,
                              const nn_model_info *info)
{
    return nn__model_save(path, net, info, 0);
}

NNAPI nn_status nn_checkpoint_save(const char *path, const nn_net *net,
                                   const nn_model_info *info)
{
    return nn__model_save(path, net, info, 1);
}

/* -- reading: one reader over memory or a FILE, tracking the CRC -- */
typedef struct nn__rd {
    const unsigned char *mem;
    FILE *f;
    size_t len, pos;
    uint32_t crc;
} nn__rd;

NN__INTERNAL int nn__rd_bytes(nn__rd *r, unsigned char *dst, size_t n)
{
    if (n > r->len - r->pos) return 0;
    if (r->mem) memcpy(dst, r->mem + r->pos, n);
    else if (fread(dst, 1, n, r->f) != n) return 0;
    r->crc = nn_crc32(r->crc, dst, n);
    r->pos += n;
    return 1;
}

/* n floats into dst; all must be finite. */
NN__INTERNAL int nn__rd_floats(nn__rd *r, float *dst, size_t n)
{
    unsigned char buf[4096];
    size_t i, k;
    while (n > 0) {
        k = n < sizeof buf / 4 ? n : sizeof buf / 4;
        if (!nn__rd_bytes(r, buf, 4 * k)) return 0;
        for (i = 0; i < k; i++) {
            float v = nn__getf(buf + 4 * i);
            if (!(v - v == 0.0f)) return -1;
            *dst++ = v;
        }
        n -= k;
    }
    return 1;
}

#define NN__FAIL(msg) do { if (info) { \
    snprintf(info->error, sizeof info->error, "%s", msg); } \
    st = NN_ERR_FORMAT; goto fail; } while (0)

/* The whole file through r, in one pass: every header field is checked,
 * then the exact length against the file's (so what is allocated is backed
 * by bytes that exist), then the net is built and the parameters read into
 * it, checked finite and against the CRC; any failure frees the net, so
 * *out is set only for a file that is valid throughout. */
NN__INTERNAL nn_status nn__model_load(nn__rd *r, nn_net **out,
                                      nn_model_info *info)
{
    unsigned char h[NN__MODEL_HDR], c[12];
    uint32_t version, flags, nl, n0, loss_kind, opt_kind, crc;
    uint64_t np = 0, expect;
    int *sizes = NULL, l, rc;
    nn_act *acts = NULL;
    float *drop = NULL, hub, o[7];
    nn_net *net = NULL;
    nn_status st = NN_OK;
    nn_model_info d = nn_model_info_default();
    char msg[160];
    if (info) { *info = d; info->error[0] = 0; }
    if (!nn__rd_bytes(r, h, 8))
        NN__FAIL("truncated: shorter than the magic number");
    if (memcmp(h, nn__model_magic, 8) != 0)
        NN__FAIL("not an nn.h model file (bad magic number)");
    if (!nn__rd_bytes(r, h + 8, NN__MODEL_HDR - 8))
        NN__FAIL("truncated inside the header");
    version = nn__get32(h + 8);
    if (version != NN_MODEL_VERSION) {
        snprintf(msg, sizeof msg, "unsupported model file version %lu "
                 "(this nn.h reads version %d)", (unsigned long)version,
                 NN_MODEL_VERSION);
        NN__FAIL(msg);
    }
    flags = nn__get32(h + 12);
    nl = nn__get32(h + 16);
    n0 = nn__get32(h + 20);
    loss_kind = nn__get32(h + 24);
    hub = nn__getf(h + 28);
    d.seed = nn__get64(h + 32);
    d.epochs = (int)(nn__get32(h + 40) & 0x7fffffffu);
    d.loss = nn__getf(h + 44);
    d.date = (int64_t)nn__get64(h + 48);
    d.step = (long)(int64_t)nn__get64(h + 56);
    d.rng.state = nn__get64(h + 64);
    d.rng.inc = nn__get64(h + 72);
    opt_kind = nn__get32(h + 80);
    d.opt.kind = (nn_opt_kind)(opt_kind <= NN_OPT_ADAM ? opt_kind : 0);
    for (l = 0; l < 7; l++) o[l] = nn__getf(h + 84 + 4 * l);
    d.opt.lr = o[0]; d.opt.momentum = o[1]; d.opt.beta1 = o[2];
    d.opt.beta2 = o[3]; d.opt.eps = o[4]; d.opt.l1 = o[5]; d.opt.l2 = o[6];
    d.checkpoint = (flags & NN__MODEL_FLAG_CKPT) != 0;
    if (flags & ~NN__MODEL_FLAG_CKPT) NN__FAIL("unknown flags in the header");
    if (nl < 1 || nl > NN_MODEL_MAX_LAYERS) NN__FAIL("bad layer count");
    if (n0 < 1 || n0 > NN_MODEL_MAX_WIDTH) NN__FAIL("bad input size");
    if (loss_kind >= NN_LOSS_COUNT) NN__FAIL("bad loss kind");
    if (!(hub >= 0.0f && hub - hub == 0.0f)) NN__FAIL("bad Huber delta");
    if (nn__get32(h + 40) > 0x7fffffffu) NN__FAIL("bad epoch count");
    if (d.step < 0) NN__FAIL("bad step count");
    if (opt_kind > NN_OPT_ADAM) NN__FAIL("bad optimizer kind");
    if (!nn__all_finite(7, o)) NN__FAIL("bad optimizer settings");
    sizes = (int *)NN_MALLOC((nl + 1) * sizeof(int));
    acts = (nn_act *)NN_MALLOC(nl * sizeof(nn_act));
    drop = (float *)NN_MALLOC(nl * sizeof(float));
    if (!sizes || !acts || !drop) { st = NN_ERR_NOMEM; goto fail; }
    sizes[0] = (int)n0;
    {
        uint32_t prev = n0;
        for (l = 0; l < (int)nl; l++) {
            uint32_t o, a;
            float p;
            if (!nn__rd_bytes(r, c, 12)) NN__FAIL("truncated inside the layer table");
            o = nn__get32(c);
            a = nn__get32(c + 4);
            p = nn__getf(c + 8);
            if (o < 1 || o > NN_MODEL_MAX_WIDTH) NN__FAIL("bad layer size");
            if (a >= NN_ACT_COUNT) NN__FAIL("bad activation");
            if (!(p >= 0.0f && p < 1.0f) || (l == (int)nl - 1 && p != 0.0f))
                NN__FAIL("bad dropout rate");
            np += (uint64_t)o * prev + o;   /* < 2^49 per layer, no overflow */
            if (np > ((uint64_t)1 << 40)) NN__FAIL("bad parameter count (too large)");
            prev = o;
            sizes[l + 1] = (int)o; acts[l] = (nn_act)a; drop[l] = p;
        }
    }
    if (nn__get64(h + 112) != np)
        NN__FAIL("parameter count does not match the layer table");
    expect = NN__MODEL_HDR + 12u * (uint64_t)nl +
             4u * np * (d.checkpoint ? 3u : 1u) + 4u;
    if (expect != (uint64_t)r->len) {
        snprintf(msg, sizeof msg, "%s: the file has %lu bytes, its header "
                 "says %llu", expect > (uint64_t)r->len ? "truncated" :
                 "trailing bytes or oversized", (unsigned long)r->len,
                 (unsigned long long)expect);
        NN__FAIL(msg);
    }
    st = nn_net_create(&net, (int)nl, sizes, acts);
    if (st == NN_OK) st = nn_net_set_loss(net, (nn_loss)loss_kind, hub);
    for (l = 0; st == NN_OK && l < (int)nl; l++)
        if (drop[l] > 0.0f) st = nn_net_set_dropout(net, l, drop[l]);
    if (st == NN_OK && net->n_params != (size_t)np) st = NN_ERR_STATE;
    if (st != NN_OK) goto fail;
    rc = nn__rd_floats(r, net->params, (size_t)np);
    if (rc == 1 && d.checkpoint) {
        rc = nn__rd_floats(r, net->opt_m, (size_t)np);
        if (rc == 1) rc = nn__rd_floats(r, net->opt_v, (size_t)np);
    }
    if (rc == 0) { st = NN_ERR_IO; goto fail; }   /* length was checked */
    if (rc < 0) NN__FAIL("NaN or infinity in the stored parameters");
    crc = r->crc;
    if (!nn__rd_bytes(r, c, 4)) { st = NN_ERR_IO; goto fail; }
    if (nn__get32(c) != crc) NN__FAIL("CRC mismatch: the file is corrupted");
    if (!d.checkpoint && net->opt_m && net->opt_v) {
        memset(net->opt_m, 0, net->n_params * sizeof(float));
        memset(net->opt_v, 0, net->n_params * sizeof(float));
    }
    net->seed = d.seed;
    net->step = d.checkpoint ? d.step : 0;
    NN_FREE(sizes); NN_FREE(acts); NN_FREE(drop);
    *out = net;
    if (info) { memcpy(d.error, info->error, sizeof d.error); *info = d; }
    return NN_OK;
fail:
    NN_FREE(sizes); NN_FREE(acts); NN_FREE(drop);
    nn_net_free(net);
    return st;
}
#undef NN__FAIL

NNAPI nn_status nn_model_load_mem(const void *buf, size_t len, nn_net **out,
                                  nn_model_info *info)
{
    nn__rd r;
    if (!out) return NN_ERR_ARG;
    *out = NULL;
    if (!buf) return NN_ERR_ARG;
    memset(&r, 0, sizeof r);
    r.mem = (const unsigned char *)buf;
    r.len = len;
    return nn__model_load(&r, out, info);
}

NNAPI nn_status nn_model_load(const char *path, nn_net **out,
                              nn_model_info *info)
{
    nn__rd r;
    nn_status st;
    long size;
    if (!out) return NN_ERR_ARG;
    *out = NULL;
    if (!path) return NN_ERR_ARG;
    memset(&r, 0, sizeof r);
    r.f = fopen(path, "rb");
    if (!r.f) {
        if (info) {
            *info = nn_model_info_default();
            snprintf(info->error, sizeof info->error, "cannot open %s", path);
        }
        return NN_ERR_IO;
    }
    size = nn__file_size(r.f);
    if (size < 0) { fclose(r.f); return NN_ERR_IO; }
    r.len = (size_t)size;
    st = nn__model_load(&r, out, info);
    fclose(r.f);
    return st;
}

#endif /* NN_IMPLEMENTATION_DONE */
#endif /* NN_IMPLEMENTATION */
