/* tests/test_gemm.c - nn_sgemm and nn_sgemm_ex against the double reference.
 *
 * Every ISA the CPU supports (th_for_each_isa), every transpose case, shapes
 * 0, 1, primes, odd tails, sizes around typical block boundaries and random
 * shapes up to ~300, leading dimensions wider than needed, pointers offset
 * by one float (unaligned for any SIMD width), alpha in {1,-0.5,0,2.5},
 * beta in {0,1,-1,0.5}, NaN/inf-filled C with beta = 0, invalid arguments.
 *
 * TOLERANCE (forward error bound of a dot product, Higham 3.1):
 *   |c - c_exact| <= 2 (K + 2) u (|alpha| sum_p |a_ip||b_pj| + |beta c_ij|)
 * with u = 2^-24. (K + 2) counts the K products/additions of the dot
 * product (any order or blocking, with or without FMA, stays within
 * gamma_K), one rounding for alpha and one for the beta term and final
 * add; the constant 2 covers the second-order terms and the extra rounding
 * when partial sums of K blocks are added into C. Exactly zero when the
 * bound is zero (e.g. K = 0 with beta = 0 must give exact zeros).
 */
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"
#include "ref.h"

#define SENTINEL 12345.0f
static const float alphas[4] = {1.0f, -0.5f, 0.0f, 2.5f};
static const float betas[4] = {0.0f, 1.0f, -1.0f, 0.5f};
static th_rng rng = {12345};
static double worst_ratio;      /* largest err/tol of a passing case, per ISA */

/* Error bound of the header comment. */
static double gemm_tol(int K, double absb) { return 2.0 * (K + 2) * TH_U * absb; }

typedef struct gcase {
    int tA, tB, M, N, K;
    float alpha, beta;
    int pad_a, pad_b, pad_c;    /* extra leading-dimension columns */
    int offset;                 /* 1: pointers offset by one float */
    int c_fill;                 /* 0 random, 1 NaN, 2 +inf          */
} gcase;

/* Runs one case; returns 1 when it passed. One CHECK per case. */
static int run_case(const gcase *g, const nn_epilogue *ep_in)
{
    int rA = g->tA ? g->K : g->M, cA = g->tA ? g->M : g->K;
    int rB = g->tB ? g->N : g->K, cB = g->tB ? g->K : g->N;
    int lda = cA + g->pad_a, ldb = cB + g->pad_b, ldc = g->N + g->pad_c;
    size_t nA = (size_t)rA * lda, nB = (size_t)rB * ldb, nC = (size_t)g->M * ldc;
    size_t off = (size_t)g->offset, i;
    float *bufA = TH_NEW(float, nA + 1), *bufB = TH_NEW(float, nB + 1);
    float *bufC = TH_NEW(float, nC + 1), *C0 = TH_NEW(float, nC + 1);
    float *cpA = TH_NEW(float, nA + 1), *cpB = TH_NEW(float, nB + 1);
    float *A = bufA + off, *B = bufB + off, *C = bufC + off;
    float *bias = NULL, *pre = NULL;
    double *ref = TH_NEW(double, (size_t)g->M * g->N + 1);
    double *absb = TH_NEW(double, (size_t)g->M * g->N + 1);
    double worst = 0.0;         /* max error / tolerance ratio */
    int bad_pad = 0, bad_in = 0, r, j, ok;
    nn_epilogue ep;
    nn_status st = NN_OK;

    if (lda < 1) lda = 1;
    if (ldb < 1) ldb = 1;
    th_fill(&rng, bufA, nA + 1, -1.0, 1.0);
    th_fill(&rng, bufB, nB + 1, -1.0, 1.0);
    th_fill(&rng, bufC, nC + 1, -1.0, 1.0);
    for (r = 0; r < g->M; r++)
        for (j = 0; j < ldc; j++) {
            float *c = &C[(size_t)r * ldc + j];
            if (j >= g->N) *c = SENTINEL;
            else if (g->c_fill == 1) *c = NAN;
            else if (g->c_fill == 2) *c = INFINITY;
        }
    memcpy(C0, bufC, (nC + 1) * sizeof(float));
    memcpy(cpA, bufA, (nA + 1) * sizeof(float));
    memcpy(cpB, bufB, (nB + 1) * sizeof(float));
    ref_gemm(g->tA, g->tB, g->M, g->N, g->K, g->alpha, A, lda, B, ldb,
             g->beta, C, ldc, ref, absb);

    if (ep_in) {
        ep = *ep_in;
        bias = TH_NEW(float, g->N + 1);
        th_fill(&rng, bias, (size_t)g->N + 1, -1.0, 1.0);
        ep.bias = ep_in->bias ? bias : NULL;
        if (ep_in->pre) {
            pre = TH_NEW(float, (size_t)g->M * (g->N + 3) + 1);
            ep.pre = pre;
            ep.ldpre = g->N + 3;
        }
        st = nn_sgemm_ex(g->tA, g->tB, g->M, g->N, g->K, g->alpha, A, lda, B,
                         ldb, g->beta, C, ldc, &ep);
    } else {
        nn_sgemm(g->tA, g->tB, g->M, g->N, g->K, g->alpha, A, lda, B, ldb,
                 g->beta, C, ldc);
    }

    for (r = 0; r < g->M; r++)
        for (j = 0; j < ldc; j++) {
            size_t ci = (size_t)r * ldc + j, ri = (size_t)r * g->N + j;
            double want, tol, err;
            float got = C[ci];
            if (j >= g->N) {
                if (memcmp(&C[ci], &C0[ci + off], sizeof(float)) != 0) bad_pad++;
                continue;
            }
            want = ref[ri];
            tol = gemm_tol(g->K, absb[ri]);
            if (ep_in) {
                /* Z = gemm + bias: one more rounding of |Z| + |bias|. */
                double z = want + (ep.bias ? bias[j] : 0.0);
                double ztol = tol + (ep.bias ? 2.0 * TH_U * (fabs(want) + fabs(bias[j])) : 0.0);
                if (pre) {
                    float zp = pre[(size_t)r * ep.ldpre + j];
                    err = fabs(zp - z);
                    if (!(err <= ztol)) { worst = HUGE_VAL; continue; }
                    if (ep.act == NN_ACT_SOFTMAX) continue;   /* rows below */
                    /* f applied to the saved float Z: the activation's own
                     * tolerance (harness.h th_act_tol). */
                    want = ref_act(ep.act, zp);
                    tol = th_act_tol(ep.act, want);
                } else if (ep.act == NN_ACT_SOFTMAX) {
                    continue;               /* checked with pre only */
                } else if (ep.act == NN_ACT_STEP && fabs(z) <= ztol) {
                    continue;               /* Z's rounding may cross 0 */
                } else {
                    /* f(Z) without a saved Z: f's tolerance plus its slope
                     * (<= 1; sigmoid 1/4) times Z's */
                    want = ref_act(ep.act, z);
                    tol = th_act_tol(ep.act, want) +
                          (ep.act == NN_ACT_SIGMOID ? 0.25 : 1.0) * ztol;
                    if (ep.act == NN_ACT_STEP) tol = 0.0;
                }
            }
            err = fabs((double)got - want);
            if (!(err <= tol)) { worst = HUGE_VAL; continue; }
            if (tol > 0.0 && err / tol > worst) worst = err / tol;
        }
    if (ep_in && pre && ep.act == NN_ACT_SOFTMAX) {
        /* softmax rows of the saved Z: th_softmax_tol (harness.h) */
        double *row = TH_NEW(double, g->N + 1);
        float *zr = TH_NEW(float, g->N + 1);
        for (r = 0; r < g->M; r++) {
            double m = -HUGE_VAL;
            for (j = 0; j < g->N; j++) zr[j] = pre[(size_t)r * ep.ldpre + j];
            for (j = 0; j < g->N; j++) if (zr[j] > m) m = zr[j];
            ref_softmax(1, g->N, zr, row);
            for (j = 0; j < g->N; j++) {
                double tol = th_softmax_tol(row[j], g->N, zr[j] - m);
                if (!(fabs(C[(size_t)r * ldc + j] - row[j]) <= tol)) worst = HUGE_VAL;
            }
        }
        free(row);
        free(zr);
    }
    for (i = 0; i < nA + 1; i++) if (memcmp(&bufA[i], &cpA[i], sizeof(float))) bad_in++;
    for (i = 0; i < nB + 1; i++) if (memcmp(&bufB[i], &cpB[i], sizeof(float))) bad_in++;
    ok = worst <= 1.0 && bad_pad == 0 && bad_in == 0 && st == NN_OK;
    if (ok && worst > worst_ratio) worst_ratio = worst;
    CHECK(ok, "sgemm%s tA=%d tB=%d M=%d N=%d K=%d alpha=%g beta=%g lda=%d ldb=%d "
          "ldc=%d off=%d cfill=%d act=%s: err/tol=%g, %d padding cells changed, "
          "%d input cells changed, status %d",
          ep_in ? "_ex" : "", g->tA, g->tB, g->M, g->N, g->K, g->alpha, g->beta,
          lda, ldb, ldc, g->offset, g->c_fill,
          ep_in ? nn_act_name(ep.act) : "-", worst, bad_pad, bad_in, (int)st);
    free(bufA); free(bufB); free(bufC); free(C0); free(cpA); free(cpB);
    free(ref); free(absb); free(bias); free(pre);
    return ok;
}

static void simple_case(int tA, int tB, int M, int N, int K, float alpha,
                        float beta, int pads, int offset, int c_fill)
{
    gcase g;
    g.tA = tA; g.tB = tB; g.M = M; g.N = N; g.K = K;
    g.alpha = alpha; g.beta = beta;
    g.pad_a = pads ? 3 : 0; g.pad_b = pads ? 5 : 0; g.pad_c = pads ? 2 : 0;
    g.offset = offset; g.c_fill = c_fill;
    (void)run_case(&g, NULL);
}

/* All small shapes from {0,1,2,3,5,7,16,17}^3, every transpose; alpha/beta
 * rotate through the 16 pairs. */
static void test_small_exhaustive(void)
{
    static const int s[] = {0, 1, 2, 3, 5, 7, 16, 17};
    int a, b, c, t, k = 0;
    for (t = 0; t < 4; t++)
        for (a = 0; a < 8; a++)
            for (b = 0; b < 8; b++)
                for (c = 0; c < 8; c++, k++)
                    simple_case(t & 1, t >> 1, s[a], s[b], s[c], alphas[k % 4],
                                betas[(k / 4) % 4], k % 3 == 0, k % 5 == 0, 0);
}

/* alpha x beta grid on a prime shape, every transpose. */
static void test_alpha_beta(void)
{
    int t, a, b;
    for (t = 0; t < 4; t++)
        for (a = 0; a < 4; a++)
            for (b = 0; b < 4; b++)
                simple_case(t & 1, t >> 1, 37, 29, 41, alphas[a], betas[b], 1, 1, 0);
}

/* Sizes around typical register/cache block boundaries, as M, N and K. */
static void test_block_boundaries(void)
{
    static const int s[] = {15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65,
                            95, 96, 97, 255, 256, 257};
    int i, t, n = (int)(sizeof s / sizeof s[0]);
    int big = th_quick() ? 97 : 1000;
    for (i = 0; i < n; i++) {
        int v = s[i];
        if (v > big) continue;
        for (t = 0; t < 4; t++) {
            simple_case(t & 1, t >> 1, v, 19, 23, 1.0f, 0.0f, 0, 0, 0);
            simple_case(t & 1, t >> 1, 13, v, 29, -0.5f, 1.0f, 1, 0, 0);
            simple_case(t & 1, t >> 1, 11, 21, v, 2.5f, 0.5f, 0, 1, 0);
        }
        /* cube: every block loop at its boundary at once */
        simple_case(i & 1, (i >> 1) & 1, v, v, v, 1.0f, -1.0f, i & 1, (i >> 1) & 1, 0);
    }
    /* K and N past the cache blocks of every table (kc <= 768, nc <= 8192
     * here): partial sums of K blocks added into C, later column blocks */
    for (t = 0; t < 4; t++) {
        simple_case(t & 1, t >> 1, 5, 9, 1000, 1.0f, 0.5f, 1, t & 1, 0);
        simple_case(t & 1, t >> 1, 3, 8200, 7, -0.5f, 1.0f, 0, 1, 0);
    }
}

/* Random shapes up to 300 (quick: 80) with random everything. */
static void test_random(void)
{
    int i, n = th_quick() ? 12 : 60, maxs = th_quick() ? 80 : 300;
    for (i = 0; i < n; i++) {
        gcase g;
        g.tA = th_rng_int(&rng, 2); g.tB = th_rng_int(&rng, 2);
        g.M = th_rng_int(&rng, maxs + 1);
        g.N = th_rng_int(&rng, maxs + 1);
        g.K = th_rng_int(&rng, maxs + 1);
        g.alpha = alphas[th_rng_int(&rng, 4)];
        g.beta = betas[th_rng_int(&rng, 4)];
        g.pad_a = th_rng_int(&rng, 3) ? 0 : th_rng_int(&rng, 9);
        g.pad_b = th_rng_int(&rng, 3) ? 0 : th_rng_int(&rng, 9);
        g.pad_c = th_rng_int(&rng, 3) ? 0 : th_rng_int(&rng, 9);
        g.offset = th_rng_int(&rng, 2);
        g.c_fill = 0;
        (void)run_case(&g, NULL);
    }
}

/* beta = 0 ignores C: NaN and inf in C must not leak into the result. */
static void test_nan_c(void)
{
    static const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {16, 16, 16},
                                    {33, 65, 17}, {100, 37, 129}, {5, 9, 0}};
    int i, t;
    for (i = 0; i < 6; i++)
        for (t = 0; t < 4; t++) {
            simple_case(t & 1, t >> 1, shapes[i][0], shapes[i][1], shapes[i][2],
                        1.0f, 0.0f, t & 1, 0, 1);
            simple_case(t & 1, t >> 1, shapes[i][0], shapes[i][1], shapes[i][2],
                        -0.5f, 0.0f, 0, 1, 2);
        }
}

/* cblas semantics: alpha = 0 does not read A and B, so NaN there must not
 * reach C (C = beta C). */
static void test_alpha_zero_nan_ab(void)
{
    float A[6 * 7], B[7 * 5], C[6 * 5];
    int i, bad = 0;
    for (i = 0; i < 42; i++) A[i] = NAN;
    for (i = 0; i < 35; i++) B[i] = INFINITY;
    for (i = 0; i < 30; i++) C[i] = (float)i;
    nn_sgemm(0, 0, 6, 5, 7, 0.0f, A, 7, B, 5, 0.5f, C, 5);
    for (i = 0; i < 30; i++) if (C[i] != 0.5f * (float)i) bad++;
    CHECK(bad == 0, "alpha=0 with NaN/inf in A, B: %d elements of C != beta*C", bad);
}

/* Invalid arguments: NN_ERR_ARG from nn_sgemm_ex, C untouched, no crash. */
static void test_invalid(void)
{
    float A[64], B[64], C[64], C0[64];
    int i;
    struct { int tA, tB, M, N, K, lda, ldb, ldc, nullA, nullB; const char *what; } c[] = {
        {0, 0, -1, 4, 4, 4, 4, 4, 0, 0, "M < 0"},
        {0, 0, 4, -1, 4, 4, 4, 4, 0, 0, "N < 0"},
        {0, 0, 4, 4, -1, 4, 4, 4, 0, 0, "K < 0"},
        {0, 0, 4, 4, 4, 4, 4, 4, 1, 0, "A NULL"},
        {0, 0, 4, 4, 4, 4, 4, 4, 0, 1, "B NULL"},
        {0, 0, 4, 4, 5, 4, 4, 4, 0, 0, "lda < K"},
        {1, 0, 5, 4, 4, 4, 4, 4, 0, 0, "lda < M (transA)"},
        {0, 0, 4, 5, 4, 4, 4, 5, 0, 0, "ldb < N"},
        {0, 1, 4, 4, 5, 5, 4, 4, 0, 0, "ldb < K (transB)"},
        {0, 0, 4, 5, 4, 4, 5, 4, 0, 0, "ldc < N"},
        {0, 0, 4, 4, 4, 0, 4, 4, 0, 0, "lda = 0"}
    };
    th_fill(&rng, A, 64, -1, 1);
    th_fill(&rng, B, 64, -1, 1);
    th_fill(&rng, C0, 64, -1, 1);
    for (i = 0; i < (int)(sizeof c / sizeof c[0]); i++) {
        nn_status st;
        memcpy(C, C0, sizeof C);
        st = nn_sgemm_ex(c[i].tA, c[i].tB, c[i].M, c[i].N, c[i].K, 1.0f,
                         c[i].nullA ? NULL : A, c[i].lda, c[i].nullB ? NULL : B,
                         c[i].ldb, 0.0f, C, c[i].ldc, NULL);
        CHECK(st == NN_ERR_ARG, "nn_sgemm_ex(%s) returned %d, expected NN_ERR_ARG",
              c[i].what, (int)st);
        CHECK(memcmp(C, C0, sizeof C) == 0, "nn_sgemm_ex(%s) changed C", c[i].what);
        nn_sgemm(c[i].tA, c[i].tB, c[i].M, c[i].N, c[i].K, 1.0f,
                 c[i].nullA ? NULL : A, c[i].lda, c[i].nullB ? NULL : B,
                 c[i].ldb, 0.0f, C, c[i].ldc);
        CHECK(memcmp(C, C0, sizeof C) == 0, "nn_sgemm(%s) changed C", c[i].what);
    }
    CHECK(nn_sgemm_ex(0, 0, 4, 4, 4, 1.0f, A, 4, B, 4, 0.0f, NULL, 4, NULL) == NN_ERR_ARG,
          "C NULL accepted");
    nn_sgemm(0, 0, 4, 4, 4, 1.0f, A, 4, B, 4, 0.0f, NULL, 4);   /* no crash */
    {   /* bad epilogue: activation out of range, ldpre < N */
        nn_epilogue ep;
        float pre[64];
        memset(&ep, 0, sizeof ep);
        ep.act = NN_ACT_COUNT;
        memcpy(C, C0, sizeof C);
        CHECK(nn_sgemm_ex(0, 0, 4, 4, 4, 1.0f, A, 4, B, 4, 0.0f, C, 4, &ep) == NN_ERR_ARG,
              "epilogue act out of range accepted");
        CHECK(memcmp(C, C0, sizeof C) == 0, "bad epilogue changed C");
        ep.act = NN_ACT_RELU; ep.pre = pre; ep.ldpre = 3;
        CHECK(nn_sgemm_ex(0, 0, 4, 4, 4, 1.0f, A, 4, B, 4, 0.0f, C, 4, &ep) == NN_ERR_ARG,
              "epilogue ldpre < N accepted");
        CHECK(memcmp(C, C0, sizeof C) == 0, "bad epilogue (ldpre) changed C");
    }
    /* empty products are valid no-ops */
    memcpy(C, C0, sizeof C);
    CHECK(nn_sgemm_ex(0, 0, 0, 4, 4, 1.0f, A, 4, B, 4, 0.0f, C, 4, NULL) == NN_OK,
          "M = 0 rejected");
    CHECK(nn_sgemm_ex(0, 0, 4, 0, 4, 1.0f, A, 4, B, 4, 0.0f, C, 4, NULL) == NN_OK,
          "N = 0 rejected");
    CHECK(memcmp(C, C0, sizeof C) == 0, "M = 0 or N = 0 changed C");
}

/* nn_sgemm_ex epilogue: bias, saved pre-activation, each activation. */
static void test_epilogue(void)
{
    /* the last two are wider than the scalar / AVX2 / AVX-512 column
     * blocks (nc 2728 / 7696 / 8192 here): the epilogue of a later block */
    static const int shapes[][3] = {{1, 1, 1}, {3, 7, 5}, {17, 33, 9},
                                    {64, 10, 65}, {5, 97, 31}, {3, 2800, 5},
                                    {2, 8200, 3}};
    static float marker;
    int a, s, t, k = 0;
    for (a = 0; a < NN_ACT_COUNT; a++)
        for (s = 0; s < 7; s++)
            for (t = 0; t < 4; t++, k++) {
                gcase g;
                nn_epilogue ep;
                g.tA = t & 1; g.tB = t >> 1;
                g.M = shapes[s][0]; g.N = shapes[s][1]; g.K = shapes[s][2];
                g.alpha = alphas[k % 4]; g.beta = betas[(k / 4) % 4];
                if (g.alpha == 0.0f) g.alpha = 1.0f;
                g.pad_a = k & 1; g.pad_b = (k >> 1) & 1; g.pad_c = k % 3;
                g.offset = (k >> 2) & 1; g.c_fill = 0;
                memset(&ep, 0, sizeof ep);
                ep.act = (nn_act)a;
                /* non-NULL marks "wanted"; run_case allocates the arrays */
                ep.bias = (k % 5 != 4) ? &marker : NULL;
                ep.pre = &marker;
                (void)run_case(&g, &ep);
                /* without a saved Z: f(Z) against f of the reference Z */
                ep.pre = NULL;
                (void)run_case(&g, &ep);
            }
}

/* The reference itself on a hand-computed 2x2 case, every transpose:
 * A = [1 2; 3 4], B = [5 6; 7 8]: AB = [19 22; 43 50], A^T B = [26 30; 38 44],
 * A B^T = [17 23; 39 53], A^T B^T = [23 31; 34 46]; alpha 2, beta -1 on C = 1. */
static void test_reference_itself(void)
{
    static const float A[4] = {1, 2, 3, 4}, B[4] = {5, 6, 7, 8}, C[4] = {1, 1, 1, 1};
    static const double want[4][4] = {{19, 22, 43, 50}, {26, 30, 38, 44},
                                      {17, 23, 39, 53}, {23, 31, 34, 46}};
    double out[4];
    int t, i, bad = 0;
    for (t = 0; t < 4; t++) {
        ref_gemm(t & 1, t >> 1, 2, 2, 2, 2.0, A, 2, B, 2, -1.0, C, 2, out, NULL);
        for (i = 0; i < 4; i++) if (out[i] != 2.0 * want[t][i] - 1.0) bad++;
    }
    CHECK(bad == 0, "ref_gemm hand-computed 2x2 products: %d entries wrong (test bug)", bad);
}

static void all_tests(void)
{
    rng.s = 12345;              /* the same cases for every ISA */
    worst_ratio = 0.0;
    test_small_exhaustive();
    test_alpha_beta();
    test_block_boundaries();
    test_random();
    test_nan_c();
    test_alpha_zero_nan_ab();
    test_invalid();
    test_epilogue();
    /* (the largest is leaky relu's 1-ulp epilogue bound, ~0.84 of it) */
    printf("    largest error / tolerance over the passing cases: %.3f\n", worst_ratio);
}

int main(void)
{
    th_begin("test_gemm");
    test_reference_itself();
    th_for_each_isa(all_tests);
    return th_finish();
}
