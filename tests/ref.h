/* tests/ref.h - independent double-precision reference for the nn.h tests.
 *
 * Written straight from the math with naive loops; shares no code with
 * nn.h (only its enum constants, to name activations, losses and
 * optimizers). Everything is computed in double from float inputs.
 *
 *   ref_gemm        C = alpha op(A) op(B) + beta C, plus sum |alpha a b| +
 *                   |beta c| per element for the error bound
 *   ref_act         f(x); ref_act_dx f'(x); ref_act_dy f'(x) from y = f(x)
 *   ref_softmax     row-wise softmax / log-softmax
 *   ref_loss        every loss and dL/dh; ref_output_delta dL/dz
 *   ref_net         a dense network forward, loss, backward in double
 *   ref_opt_step    SGD, momentum, Nesterov, Adam, L1/L2 (nn.h's nn_opt doc)
 *   ref_sched_lr    learning-rate schedules
 */
#ifndef NN_TEST_REF_H
#define NN_TEST_REF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define REF_UNUSED __attribute__((unused))
#else
#define REF_UNUSED
#endif

#define REF_LEAKY_SLOPE 0.01
#define REF_PI 3.14159265358979323846

/* ---- GEMM ---------------------------------------------------------------- */
/* Element (i, p) of op(A) for a row-major A with leading dimension lda. */
static REF_UNUSED double ref_op(int trans, const float *A, int ld, int i, int p)
{
    return trans ? (double)A[(size_t)p * ld + i] : (double)A[(size_t)i * ld + p];
}

/* out[i*N+j] = alpha sum_p op(A)[i,p] op(B)[p,j] + beta C[i,j] (C read with
 * ldc; beta == 0 ignores C). absb[i*N+j] = |alpha| sum |a||b| + |beta c|.
 * absb may be NULL. */
static REF_UNUSED void ref_gemm(int tA, int tB, int M, int N, int K,
                                double alpha, const float *A, int lda,
                                const float *B, int ldb, double beta,
                                const float *C, int ldc, double *out,
                                double *absb)
{
    int i, j, p;
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            double s = 0.0, sa = 0.0, c = 0.0;
            for (p = 0; p < K; p++) {
                double t = ref_op(tA, A, lda, i, p) * ref_op(tB, B, ldb, p, j);
                s += t;
                sa += fabs(t);
            }
            if (beta != 0.0) c = beta * (double)C[(size_t)i * ldc + j];
            out[(size_t)i * N + j] = alpha * s + c;
            if (absb) absb[(size_t)i * N + j] = fabs(alpha) * sa + fabs(c);
        }
}

/* ---- activations ----------------------------------------------------------- */
static REF_UNUSED double ref_sigmoid(double x)
{
    if (x != x) return x;
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}
static REF_UNUSED double ref_softplus(double x)
{
    if (x != x) return x;
    if (x > 0) return x + log1p(exp(-x));
    return log1p(exp(x));
}

/* f(x) for the element-wise activations (softmax: see ref_softmax). */
static REF_UNUSED double ref_act(int act, double x)
{
    switch (act) {
    case NN_ACT_IDENTITY: return x;
    case NN_ACT_STEP: return x != x ? x : (x >= 0 ? 1.0 : 0.0);
    case NN_ACT_SIGMOID: return ref_sigmoid(x);
    case NN_ACT_TANH: return tanh(x);
    case NN_ACT_RELU: return x != x ? x : (x > 0 ? x : 0.0);
    case NN_ACT_LEAKY_RELU: return x > 0 ? x : REF_LEAKY_SLOPE * x;
    case NN_ACT_SOFTPLUS: return ref_softplus(x);
    default: return NAN;
    }
}
/* f'(x) (step: 0, relu at 0: 0). */
static REF_UNUSED double ref_act_dx(int act, double x)
{
    double s, t;
    switch (act) {
    case NN_ACT_IDENTITY: return 1.0;
    case NN_ACT_STEP: return 0.0;
    case NN_ACT_SIGMOID: s = ref_sigmoid(x); return s * (1.0 - s);
    case NN_ACT_TANH: t = tanh(x); return 1.0 - t * t;
    case NN_ACT_RELU: return x > 0 ? 1.0 : 0.0;
    case NN_ACT_LEAKY_RELU: return x > 0 ? 1.0 : REF_LEAKY_SLOPE;
    case NN_ACT_SOFTPLUS: return ref_sigmoid(x);
    default: return NAN;
    }
}
/* f'(x) expressed through y = f(x), exactly as math (in double). */
static REF_UNUSED double ref_act_dy(int act, double y)
{
    switch (act) {
    case NN_ACT_IDENTITY: return 1.0;
    case NN_ACT_STEP: return 0.0;
    case NN_ACT_SIGMOID: return y * (1.0 - y);
    case NN_ACT_TANH: return 1.0 - y * y;
    case NN_ACT_RELU: return y > 0 ? 1.0 : 0.0;
    case NN_ACT_LEAKY_RELU: return y > 0 ? 1.0 : REF_LEAKY_SLOPE;
    case NN_ACT_SOFTPLUS: return -expm1(-y);      /* sigmoid(x) = 1 - e^-y */
    default: return NAN;
    }
}

/* Max m of one row and s = sum_j e^(x_j - m). */
static REF_UNUSED double ref_row_sum_exp(int cols, const float *xr, double *m)
{
    int j;
    double s = 0.0;
    *m = -HUGE_VAL;
    for (j = 0; j < cols; j++) if (xr[j] > *m) *m = xr[j];
    for (j = 0; j < cols; j++) s += exp((double)xr[j] - *m);
    return s;
}
/* Row-wise softmax (log = 0) or log-softmax (log = 1) of a rows x cols
 * float matrix into double y. */
static REF_UNUSED void ref_softmax_any(int rows, int cols, const float *x,
                                       double *y, int log_form)
{
    int r, j;
    for (r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * cols;
        double m, s = ref_row_sum_exp(cols, xr, &m);
        for (j = 0; j < cols; j++)
            y[(size_t)r * cols + j] = log_form ? ((double)xr[j] - m) - log(s)
                                               : exp((double)xr[j] - m) / s;
    }
}
static REF_UNUSED void ref_softmax(int rows, int cols, const float *x, double *y)
{
    ref_softmax_any(rows, cols, x, y, 0);
}
static REF_UNUSED void ref_log_softmax(int rows, int cols, const float *x,
                                       double *y)
{
    ref_softmax_any(rows, cols, x, y, 1);
}
/* Softmax Jacobian-vector product of one row: dx_i = sum_j dp_j/dz_i dy_j
 * = y_i (dy_i - sum_j y_j dy_j). */
static REF_UNUSED void ref_softmax_jvp(int n, const double *y, const double *dy,
                                       double *dx)
{
    int i;
    double dot = 0.0;
    for (i = 0; i < n; i++) dot += y[i] * dy[i];
    for (i = 0; i < n; i++) dx[i] = y[i] * (dy[i] - dot);
}

/* ---- losses ------------------------------------------------------------------ */
/* Loss of h against y (rows x cols, double) averaged over rows; grad (may be
 * NULL) gets dL/dh. */
static REF_UNUSED double ref_loss(int loss, int rows, int cols, const double *h,
                                  const double *y, double delta, double *grad)
{
    size_t i, n = (size_t)rows * cols;
    double L = 0.0, B = rows;
    for (i = 0; i < n; i++) {
        double r = h[i] - y[i], l = 0.0, g = 0.0;
        switch (loss) {
        case NN_LOSS_MSE: l = 0.5 * r * r; g = r; break;
        case NN_LOSS_MAE: l = fabs(r); g = r > 0 ? 1.0 : (r < 0 ? -1.0 : 0.0); break;
        case NN_LOSS_HUBER:
            if (fabs(r) <= delta) { l = 0.5 * r * r; g = r; }
            else { l = delta * (fabs(r) - 0.5 * delta); g = r > 0 ? delta : -delta; }
            break;
        case NN_LOSS_BCE:
            l = -(y[i] * log(h[i]) + (1.0 - y[i]) * log(1.0 - h[i]));
            g = -y[i] / h[i] + (1.0 - y[i]) / (1.0 - h[i]);
            break;
        case NN_LOSS_SOFTMAX_CE:
            l = y[i] != 0.0 ? -y[i] * log(h[i]) : 0.0;
            g = -y[i] / h[i];
            break;
        default: l = NAN; g = NAN;
        }
        L += l;
        if (grad) grad[i] = g / B;
    }
    return L / B;
}

/* dL/dz for output activation act (applied to z, giving h) and a loss:
 * the chain rule through f (softmax: the row Jacobian). h: rows x cols. */
static REF_UNUSED void ref_output_delta(int act, int loss, int rows, int cols,
                                        const double *h, const double *y,
                                        double delta, double *dz)
{
    size_t i, n = (size_t)rows * cols;
    double *g = (double *)malloc(n * sizeof(double));
    int r;
    (void)ref_loss(loss, rows, cols, h, y, delta, g);
    if (act == NN_ACT_SOFTMAX) {
        for (r = 0; r < rows; r++)
            ref_softmax_jvp(cols, h + (size_t)r * cols, g + (size_t)r * cols,
                            dz + (size_t)r * cols);
    } else {
        for (i = 0; i < n; i++) dz[i] = g[i] * ref_act_dy(act, h[i]);
    }
    free(g);
}

/* ---- dense network in double ---------------------------------------------- */
#define REF_MAX_LAYERS 8
typedef struct ref_net {
    int L;                          /* layers                               */
    int sizes[REF_MAX_LAYERS + 1];
    int acts[REF_MAX_LAYERS];
    int loss;
    double delta;                   /* Huber                                */
    size_t n_params;
    size_t w_off[REF_MAX_LAYERS], b_off[REF_MAX_LAYERS];
    double *p;                      /* W (out x in) then b, per layer       */
} ref_net;

static REF_UNUSED void ref_net_init(ref_net *n, int L, const int *sizes,
                                    const int *acts, int loss, double delta)
{
    int l;
    size_t off = 0;
    memset(n, 0, sizeof *n);
    n->L = L;
    n->loss = loss;
    n->delta = delta;
    for (l = 0; l <= L; l++) n->sizes[l] = sizes[l];
    for (l = 0; l < L; l++) {
        n->acts[l] = acts[l];
        n->w_off[l] = off; off += (size_t)sizes[l + 1] * sizes[l];
        n->b_off[l] = off; off += (size_t)sizes[l + 1];
    }
    n->n_params = off;
    n->p = (double *)calloc(off ? off : 1, sizeof(double));
}
static REF_UNUSED void ref_net_free(ref_net *n) { free(n->p); n->p = NULL; }
static REF_UNUSED void ref_net_set(ref_net *n, const float *params)
{
    size_t i;
    for (i = 0; i < n->n_params; i++) n->p[i] = params[i];
}

/* Forward over B rows of x (B x sizes[0]); acts[l] (B x sizes[l+1]) kept
 * for each layer when acts_out != NULL (caller-allocated arrays). Returns
 * the output in a malloc'd B x out array. */
static REF_UNUSED double *ref_net_forward(const ref_net *n, int B, const float *x,
                                          double **acts_out)
{
    int l, b, i, j;
    double *in = (double *)malloc((size_t)B * n->sizes[0] * sizeof(double));
    for (i = 0; i < B * n->sizes[0]; i++) in[i] = x[i];
    for (l = 0; l < n->L; l++) {
        int ni = n->sizes[l], no = n->sizes[l + 1];
        const double *W = n->p + n->w_off[l], *bias = n->p + n->b_off[l];
        double *out = (double *)malloc((size_t)B * no * sizeof(double));
        for (b = 0; b < B; b++) {
            for (j = 0; j < no; j++) {
                double z = bias[j];
                for (i = 0; i < ni; i++) z += W[(size_t)j * ni + i] * in[(size_t)b * ni + i];
                out[(size_t)b * no + j] = z;
            }
            if (n->acts[l] == NN_ACT_SOFTMAX) {
                double m = -HUGE_VAL, s = 0.0;
                double *o = out + (size_t)b * no;
                for (j = 0; j < no; j++) if (o[j] > m) m = o[j];
                for (j = 0; j < no; j++) s += exp(o[j] - m);
                for (j = 0; j < no; j++) o[j] = exp(o[j] - m) / s;
            } else {
                for (j = 0; j < no; j++)
                    out[(size_t)b * no + j] = ref_act(n->acts[l], out[(size_t)b * no + j]);
            }
        }
        if (l == 0 || !acts_out) free(in);  /* input copy, or not kept */
        if (acts_out) acts_out[l] = out;
        in = out;
    }
    if (acts_out && n->L > 0) {        /* caller owns acts_out[]; copy out */
        size_t sz = (size_t)B * n->sizes[n->L];
        double *o = (double *)malloc(sz * sizeof(double));
        memcpy(o, in, sz * sizeof(double));
        return o;
    }
    return in;
}

/* Mean loss of the network over B rows against float targets y. */
static REF_UNUSED double ref_net_loss(const ref_net *n, int B, const float *x,
                                      const float *y)
{
    int no = n->sizes[n->L], i;
    double *h = ref_net_forward(n, B, x, NULL), *yd, L;
    yd = (double *)malloc((size_t)B * no * sizeof(double));
    for (i = 0; i < B * no; i++) yd[i] = y[i];
    L = ref_loss(n->loss, B, no, h, yd, n->delta, NULL);
    free(h);
    free(yd);
    return L;
}

/* Analytic backprop in double: grad (n_params) of the mean loss; abs_grad
 * (may be NULL) gets the same sums over absolute values of their terms,
 * sum_b |dz_bj| |x_bi|, the scale of any float evaluation's rounding. */
static REF_UNUSED double ref_net_backward_abs(const ref_net *n, int B,
                                              const float *x, const float *y,
                                              double *grad, double *abs_grad)
{
    double *A[REF_MAX_LAYERS], *h, *yd, *dz, *dprev, L;
    int l, b, i, j, no = n->sizes[n->L];
    h = ref_net_forward(n, B, x, A);
    yd = (double *)malloc((size_t)B * no * sizeof(double));
    for (i = 0; i < B * no; i++) yd[i] = y[i];
    L = ref_loss(n->loss, B, no, h, yd, n->delta, NULL);
    dz = (double *)malloc((size_t)B * no * sizeof(double));
    ref_output_delta(n->acts[n->L - 1], n->loss, B, no, h, yd, n->delta, dz);
    memset(grad, 0, n->n_params * sizeof(double));
    if (abs_grad) memset(abs_grad, 0, n->n_params * sizeof(double));
    for (l = n->L - 1; l >= 0; l--) {
        int ni = n->sizes[l], nO = n->sizes[l + 1];
        double *gW = grad + n->w_off[l], *gb = grad + n->b_off[l];
        const double *W = n->p + n->w_off[l];
        double *in = NULL;
        if (l == 0) {
            in = (double *)malloc((size_t)B * ni * sizeof(double));
            for (i = 0; i < B * ni; i++) in[i] = x[i];
        } else in = A[l - 1];
        for (b = 0; b < B; b++)
            for (j = 0; j < nO; j++) {
                double d = dz[(size_t)b * nO + j];
                gb[j] += d;
                for (i = 0; i < ni; i++) gW[(size_t)j * ni + i] += d * in[(size_t)b * ni + i];
                if (!abs_grad) continue;
                abs_grad[n->b_off[l] + j] += fabs(d);
                for (i = 0; i < ni; i++)
                    abs_grad[n->w_off[l] + (size_t)j * ni + i] += fabs(d * in[(size_t)b * ni + i]);
            }
        if (l > 0) {
            dprev = (double *)calloc((size_t)B * ni, sizeof(double));
            for (b = 0; b < B; b++)
                for (i = 0; i < ni; i++) {
                    double s = 0.0;
                    for (j = 0; j < nO; j++) s += dz[(size_t)b * nO + j] * W[(size_t)j * ni + i];
                    dprev[(size_t)b * ni + i] = s * ref_act_dy(n->acts[l - 1], in[(size_t)b * ni + i]);
                }
            free(dz);
            dz = dprev;
        } else free(in);
    }
    for (l = 0; l < n->L; l++) free(A[l]);
    free(dz);
    free(h);
    free(yd);
    return L;
}
static REF_UNUSED double ref_net_backward(const ref_net *n, int B, const float *x,
                                          const float *y, double *grad)
{
    return ref_net_backward_abs(n, B, x, y, grad, NULL);
}

/* ---- optimizers (nn.h's nn_opt comment) ------------------------------------ */
typedef struct ref_opt {
    int kind;
    double lr, mu, b1, b2, eps, l1, l2;
} ref_opt;
/* One step on n values. is_weight[i] selects regularization (weights only).
 * m, v: state (zero initially); t: the step number, from 1. */
static REF_UNUSED void ref_opt_step(const ref_opt *o, size_t n, double *w,
                                    const double *g0, const int *is_weight,
                                    double *m, double *v, long t)
{
    size_t i;
    for (i = 0; i < n; i++) {
        double g = g0[i];
        if (is_weight[i])
            g += o->l2 * w[i] + o->l1 * (w[i] > 0 ? 1.0 : (w[i] < 0 ? -1.0 : 0.0));
        switch (o->kind) {
        case NN_OPT_SGD: w[i] -= o->lr * g; break;
        case NN_OPT_MOMENTUM: m[i] = o->mu * m[i] - o->lr * g; w[i] += m[i]; break;
        case NN_OPT_NESTEROV:
            m[i] = o->mu * m[i] - o->lr * g;
            w[i] += o->mu * m[i] - o->lr * g;
            break;
        case NN_OPT_ADAM: {
            double mh, vh;
            m[i] = o->b1 * m[i] + (1.0 - o->b1) * g;
            v[i] = o->b2 * v[i] + (1.0 - o->b2) * g * g;
            mh = m[i] / (1.0 - pow(o->b1, (double)t));
            vh = v[i] / (1.0 - pow(o->b2, (double)t));
            w[i] -= o->lr * mh / (sqrt(vh) + o->eps);
            break;
        }
        default: break;
        }
    }
}

/* ---- learning-rate schedules --------------------------------------------- */
static REF_UNUSED double ref_sched_lr(int kind, int step_epochs, double gamma,
                                      double min_lr, int total, double lr,
                                      int epoch)
{
    switch (kind) {
    case NN_SCHED_CONSTANT: return lr;
    case NN_SCHED_STEP: return lr * pow(gamma, (double)(epoch / step_epochs));
    case NN_SCHED_EXP: return lr * pow(gamma, (double)epoch);
    case NN_SCHED_COSINE:
        return min_lr + (lr - min_lr) * (1.0 + cos(REF_PI * epoch / total)) / 2.0;
    default: return NAN;
    }
}

#endif /* NN_TEST_REF_H */
