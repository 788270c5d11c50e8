/* tests/test_gemm_blocks.c - nn_sgemm / nn_sgemm_ex around every block
 * boundary of every ISA the CPU runs.
 *
 * For each supported ISA (scalar, avx2, avx512, neon; chosen with
 * nn_isa_set) the sizes M, N, K sweep the boundaries of that table's
 * register tile (mr, nr) and cache blocks (mc, kc, nc): b-1, b, b+1 and
 * 2b+1, with all four transposes, alpha/beta combinations, leading
 * dimensions wider than the matrices and pointers that are not 16-byte
 * aligned. Besides the table's real blocking, every case also runs with
 * small blocks (kc = 16, mc = 2 mr, nc = 2 nr, written into the table the
 * test got from nn_kernels_for) so that multi-block paths are exercised at
 * sizes an emulator can afford. The reference is a naive loop in double.
 *
 * Tolerance. With u = 2^-24, a float dot product of length K accumulated in
 * any order (FMA or not, blocked or not) satisfies
 *     |fl(s) - s| <= gamma_K * sum_p |a_p||b_p|,  gamma_K = K u / (1 - K u)
 * (Higham, Accuracy and Stability, 3.1). alpha applied to one operand while
 * packing, beta*C and the final addition add at most three more roundings, so
 *     |c - c_ref| <= (K + 4) u (|alpha| sum|a||b| + |beta c0|) * 1.01
 * (the 1.01 covers 1/(1 - K u) for K < 10^4), plus 2^-126 for underflow.
 * Epilogue checks: bias adds one rounding (K + 5 above) to the saved
 * pre-activation Z; the activation is then checked against the double
 * function of that float Z: relu exact, sigmoid harness.h th_act_tol,
 * softmax th_softmax_tol (the same bounds as test_act).
 *
 * Also: beta == 0 ignores NaN already in C; nothing outside the M x N
 * block of C (the ldc padding, words before and after) changes; with
 * OpenMP, 1 and 2 threads give bit-identical C. Errors in the arguments
 * return NN_ERR_ARG; an unsupported ISA returns NN_ERR_UNSUPPORTED.
 *
 * NN_TEST_QUICK=1 (emulators): small blocks only and fewer sizes.
 * Output ends with "N passed, N failed"; exit status 1 on any failure.
 */
#define NN_IMPLEMENTATION
#include "nn.h"

#include "harness.h"
#ifdef _OPENMP
#include <omp.h>
#endif

/* failures name the ISA and the blocking: "avx512, small blocks" */
static char g_label[64];
static void set_label(const char *isa, const char *mode)
{
    snprintf(g_label, sizeof g_label, "%s, %s blocks", isa, mode);
    th_isa_label = g_label;
}

static th_rng g_rng = {0x9E3779B97F4A7C15ull};
static double rnd(void) { return th_rng_range(&g_rng, -1.0, 1.0); }

#define U24 (1.0 / 16777216.0)
#define SENTINEL 12345.0f

/* One GEMM case: allocates padded, offset buffers; runs nn_sgemm_ex;
 * compares with the double reference. act < 0: plain nn_sgemm. */
static void run_case(int tA, int tB, int M, int N, int K, float alpha,
                     float beta, int pad, int off, int act)
{
    int ar = tA ? K : M, ac = tA ? M : K, br = tB ? N : K, bc = tB ? K : N;
    int lda = ac + pad, ldb = bc + pad, ldc = N + pad, i, j, p, bad = 0;
    size_t na = (size_t)ar * lda + off + 1, nb = (size_t)br * ldb + off + 1;
    size_t nc = (size_t)M * ldc + off + 8;
    float *A = (float *)malloc(na * sizeof(float));
    float *B = (float *)malloc(nb * sizeof(float));
    float *C = (float *)malloc(nc * sizeof(float));
    float *C0 = (float *)malloc(nc * sizeof(float));
    float *pre = (float *)malloc(nc * sizeof(float));
    float *bias = (float *)malloc((size_t)(N + 1) * sizeof(float));
    double *z = (double *)malloc((size_t)M * N * sizeof(double));
    double *tol = (double *)malloc((size_t)M * N * sizeof(double));
    float *a, *b, *c, *c0;
    nn_epilogue ep;
    if (!A || !B || !C || !C0 || !pre || !bias || !z || !tol) {
        printf("out of memory\n");
        exit(2);
    }
    for (i = 0; i < (int)na; i++) A[i] = (float)rnd();
    for (i = 0; i < (int)nb; i++) B[i] = (float)rnd();
    for (i = 0; i < (int)nc; i++) C[i] = SENTINEL;
    for (j = 0; j <= N; j++) bias[j] = (float)rnd();
    a = A + off; b = B + off; c = C + off;
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++)
            c[(size_t)i * ldc + j] = beta == 0.0f ? NAN : (float)rnd();
    memcpy(C0, C, nc * sizeof(float));
    c0 = C0 + off;
    for (i = 0; i < M; i++)
        for (j = 0; j < N; j++) {
            double s = 0.0, sa = 0.0, cz = beta == 0.0f ? 0.0 : c0[(size_t)i * ldc + j];
            for (p = 0; p < K; p++) {
                double x = tA ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double y = tB ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += x * y;
                sa += fabs(x * y);
            }
            z[(size_t)i * N + j] = alpha * s + beta * cz;
            tol[(size_t)i * N + j] = (K + 5) * U24 * 1.01 *
                (fabs(alpha) * sa + fabs(beta * cz) + (act >= 0 ? fabs(bias[j]) : 0.0)) + 1e-38;
        }
    memset(&ep, 0, sizeof ep);
    if (act >= 0) {
        ep.bias = bias;
        ep.act = (nn_act)act;
        ep.pre = pre;
        ep.ldpre = N;
        CHECK(nn_sgemm_ex(tA, tB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, &ep) == NN_OK,
              "nn_sgemm_ex status");
        for (i = 0; i < M; i++)
            for (j = 0; j < N; j++) z[(size_t)i * N + j] += bias[j];
    } else {
        nn_sgemm(tA, tB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    /* pre-activation (or the plain result) */
    for (i = 0; i < M && bad < 3; i++)
        for (j = 0; j < N && bad < 3; j++) {
            double want = z[(size_t)i * N + j], t = tol[(size_t)i * N + j];
            float got = act >= 0 ? pre[(size_t)i * N + j] : c[(size_t)i * ldc + j];
            if (!(fabs(got - want) <= t)) {
                bad++;
                CHECK(0, "tA=%d tB=%d M=%d N=%d K=%d alpha=%g beta=%g pad=%d off=%d act=%d:"
                      " C[%d][%d]=%.9g want %.9g (tol %.3g)", tA, tB, M, N, K, alpha,
                      beta, pad, off, act, i, j, got, want, t);
            }
        }
    if (act >= 0 && !bad) {
        /* the activation of the saved float pre-activation zp (checked
         * above): relu and identity exact; sigmoid 4 ulp (the activation
         * contract) plus 2^-126; softmax: 2 (N + 4 + |zp - max|) 2^-24
         * relative, the rounding of its exp, sum and division */
        for (i = 0; i < M && bad < 3; i++) {
            const float *pr = pre + (size_t)i * N;
            double pmx = -1e300, psum = 0.0;
            for (j = 0; j < N; j++) pmx = pr[j] > pmx ? pr[j] : pmx;
            for (j = 0; j < N; j++) psum += exp(pr[j] - pmx);
            for (j = 0; j < N && bad < 3; j++) {
                double zp = pr[j], t = 0.0, want;
                float got = c[(size_t)i * ldc + j];
                if (act == NN_ACT_RELU) want = zp > 0 ? zp : 0;
                else if (act == NN_ACT_SIGMOID) {
                    want = 1.0 / (1.0 + exp(-zp));
                    t = th_act_tol(NN_ACT_SIGMOID, want);
                } else if (act == NN_ACT_SOFTMAX) {
                    want = exp(zp - pmx) / psum;
                    t = th_softmax_tol(want, N, zp - pmx);
                } else { want = zp; }
                if (!(fabs(got - want) <= t)) {
                    bad++;
                    CHECK(0, "epilogue act=%d tA=%d tB=%d M=%d N=%d K=%d: C[%d][%d]=%.9g want %.9g",
                          act, tA, tB, M, N, K, i, j, got, want);
                }
            }
        }
    }
    /* nothing outside the M x N block may change */
    for (i = 0; i < (int)nc && !bad; i++) {
        int in;
        long q = (long)i - off;
        in = q >= 0 && q < (long)M * ldc && (q % ldc) < N;
        if (!in && memcmp(&C[i], &C0[i], sizeof(float)) != 0) {
            bad++;
            CHECK(0, "write outside C: M=%d N=%d ldc=%d word %ld", M, N, ldc, q);
        }
    }
    if (!bad) th_passed++;
#ifdef _OPENMP
    /* 1 and 2 threads: bit-identical (the driver never splits K) */
    if ((double)M * N * K >= 2e6) {
        float *c1 = (float *)malloc(nc * sizeof(float));
        memcpy(c1, C0, nc * sizeof(float));
        memcpy(C, C0, nc * sizeof(float));
        omp_set_num_threads(1);
        nn_sgemm_ex(tA, tB, M, N, K, alpha, a, lda, b, ldb, beta, c1 + off, ldc, act >= 0 ? &ep : NULL);
        omp_set_num_threads(2);
        nn_sgemm_ex(tA, tB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, act >= 0 ? &ep : NULL);
        CHECK(memcmp(c1, C, nc * sizeof(float)) == 0,
              "1 vs 2 threads differ: tA=%d tB=%d M=%d N=%d K=%d", tA, tB, M, N, K);
        free(c1);
    }
#endif
    free(A); free(B); free(C); free(C0); free(pre); free(bias); free(z); free(tol);
}

/* The internal workspace form (nn__gemm_ws_floats / nn__gemm_run, for a
 * context that must not allocate): same bits as nn_sgemm, and nothing
 * written past the workspace it asked for. */
static void run_ws(const nn_kernels *k, int tA, int tB, int M, int N, int K)
{
    size_t need = nn__gemm_ws_floats(k, tA, tB, M, N, K), i;
    int lda = tA ? M : K, ldb = tB ? K : N;
    float *A = (float *)malloc((size_t)M * K * sizeof(float));
    float *B = (float *)malloc((size_t)K * N * sizeof(float));
    float *C1 = (float *)malloc((size_t)M * N * sizeof(float));
    float *C2 = (float *)malloc((size_t)M * N * sizeof(float));
    float *ws = (float *)malloc((need + 64) * sizeof(float));
    int ok = 1;
    for (i = 0; i < (size_t)M * K; i++) A[i] = (float)rnd();
    for (i = 0; i < (size_t)K * N; i++) B[i] = (float)rnd();
    for (i = 0; i < need + 64; i++) ws[i] = SENTINEL;
    nn_sgemm(tA, tB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C1, N);
    nn__gemm_run(k, tA, tB, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C2, N, NULL,
                 ws, need);
    for (i = need; i < need + 64; i++) ok &= ws[i] == SENTINEL;
    CHECK(ok, "workspace overrun: tA=%d tB=%d %dx%dx%d need %lu", tA, tB, M, N, K,
          (unsigned long)need);
    CHECK(memcmp(C1, C2, (size_t)M * N * sizeof(float)) == 0,
          "workspace result differs: tA=%d tB=%d %dx%dx%d", tA, tB, M, N, K);
    free(A); free(B); free(C1); free(C2); free(ws);
}

/* b-1, b, b+1, 2b+1 (positive, deduplicated by the caller's loop) */
static int around(int b, int idx)
{
    int v[4];
    v[0] = b - 1; v[1] = b; v[2] = b + 1; v[3] = 2 * b + 1;
    return v[idx] < 1 ? 1 : v[idx];
}

static void sweep(const nn_kernels *k, int quick)
{
    static const float alphas[3] = {1.0f, -0.5f, 1.0f};
    static const float betas[3] = {0.0f, 1.0f, 0.75f};
    int t, v, s = 0, small = quick ? 9 : 23;
    int bm[2], bn[2], bk[1];
    bm[0] = k->mr; bm[1] = k->mc;
    bn[0] = k->nr; bn[1] = k->nc;
    bk[0] = k->kc;
    for (t = 0; t < 4; t++) {
        int tA = t & 1, tB = t >> 1;
        /* M around mr and mc, N around nr and nc, K around kc; the other two
         * dimensions small but above the direct-path thresholds */
        for (v = 0; v < 4; v++) {
            int d;
            for (d = 0; d < 2; d++) {
                int m = around(bm[d], v), n = around(bn[d], v), kk = around(bk[0], v);
                s++;
                if (quick && (m > 300 || n > 300)) continue;
                run_case(tA, tB, m, small, small, alphas[s % 3], betas[s % 3], s % 5, s % 3, -1);
                run_case(tA, tB, small, n, small, alphas[(s + 1) % 3], betas[(s + 1) % 3], (s + 2) % 5, (s + 1) % 3, -1);
                if (d == 0)
                    run_case(tA, tB, small, small + 2, kk, alphas[(s + 2) % 3], betas[(s + 2) % 3], (s + 3) % 5, (s + 2) % 3, -1);
            }
        }
        /* M > 64, N > 8 nr and K > 16: A is packed (smaller problems read
         * it in place), so its edge panels and MC blocks are covered too */
        for (v = 0; v < 4; v++) {
            static const int ms[4] = {65, 71, 97, 130};
            if (quick && v > 1) break;
            run_case(tA, tB, ms[v], 8 * k->nr + 3 + v, 17 + v, alphas[v % 3], betas[v % 3], v, v % 3, -1);
        }
        /* a last row panel of 5 or 6 rows (the AVX-512 6-row tile), K
         * short and deep, and across the small blocks' mc; the last one
         * with A packed */
        run_case(tA, tB, 3 * k->mr + 6, 2 * k->nr + 5, 33, 1.0f, 0.0f, 1, 1, -1);
        run_case(tA, tB, k->mr + 5, 3 * k->nr + 1, 70, -0.5f, 0.75f, 2, 0, -1);
        run_case(tA, tB, 4 * k->mr + 6, k->nr + 7, 2 * k->kc + 5, 1.0f, 1.0f, 0, 1, -1);
        run_case(tA, tB, 10 * k->mr + 6, 8 * k->nr + 5, 33, 1.0f, 0.5f, 1, 1, -1);
        /* and of 2 to 4 rows (the AVX2 4-row tile); the last one with A
         * packed */
        run_case(tA, tB, 5 * k->mr + 2, 2 * k->nr + 3, 40, 1.0f, 0.0f, 3, 2, -1);
        run_case(tA, tB, 2 * k->mr + 3, k->nr + 1, k->kc + 9, 2.5f, -1.0f, 1, 0, -1);
        run_case(tA, tB, k->mr + 4, 3 * k->nr, 17, 1.0f, 0.5f, 0, 2, -1);
        run_case(tA, tB, 12 * k->mr + 3, 8 * k->nr + 5, 33, -0.5f, 0.0f, 2, 1, -1);
        /* thin shapes for the direct paths (every vector tail), tiny ones */
        {
            static const int ns[10] = {7, 16, 17, 31, 33, 47, 63, 111, 250, 513};
            int x;
            for (x = 0; x < 10; x += quick ? 3 : 1) {
                run_case(tA, tB, 1 + x % 3, ns[x], 5 + 7 * x, 1.0f, x & 1 ? 0.0f : 0.75f, x % 3, x % 2, -1);
                run_case(tA, tB, ns[x], 1 + x % 4, 9 + 11 * x, -1.0f, 0.0f, x % 2, x % 3, -1);
                run_case(tA, tB, 40 + x, ns[x], 1 + x % 4, 1.0f, 1.0f, x % 4, x % 2, -1);
            }
        }
        run_case(tA, tB, 1, 300, 77, 1.0f, 0.0f, 3, 1, -1);
        run_case(tA, tB, 1, 2100, 70, 1.0f, 0.75f, 1, 1, -1);
        /* a lone row at short K (128-column chunks, then 64, then masked),
         * and big enough for a column split across two threads */
        run_case(tA, tB, 1, 1094, 30, -0.5f, 0.75f, 2, 1, -1);  /* 8 x 128 + 64 + 6 */
        if (!quick)
            run_case(tA, tB, 1, 40000, 60, 1.0f, 0.0f, 1, 1, -1);
        if (!quick)     /* column split across threads of the direct paths */
            run_case(tA, tB, 2, 4100, 300, -1.0f, 0.0f, 3, 2, -1);
        run_case(tA, tB, 3, 129, 200, -0.5f, 1.0f, 0, 2, -1);
        run_case(tA, tB, 200, 1, 65, 1.0f, 0.75f, 2, 1, -1);
        run_case(tA, tB, 150, 4, 33, 1.0f, 0.0f, 1, 0, -1);
        run_case(tA, tB, 90, 70, 3, 1.0f, 0.0f, 5, 3, -1);
        run_case(tA, tB, 4, 2, 3, 2.0f, 0.5f, 1, 1, -1);
        run_case(tA, tB, 65, 17, 0, 1.0f, 0.75f, 1, 1, -1);
        run_case(tA, tB, 65, 17, 9, 0.0f, 0.0f, 1, 1, -1);
        /* big enough for two threads (M N K >= 2e6) */
        if (!quick || t == 0)
            run_case(tA, tB, 129 + k->mr, 131, 2 * k->kc + 3, 1.0f, t == 1 ? 0.0f : 1.0f, 7, 1, -1);
        /* fused epilogue: bias, pre, relu / sigmoid / softmax; N across nc
         * (softmax after the last column block) and thin N (swapped) */
        run_case(tA, tB, 37, 2 * k->nr + 3, 45, 1.0f, 0.0f, 2, 1, NN_ACT_RELU);
        run_case(tA, tB, 2 * k->mr + 1, k->nc + 5, 19, 1.0f, 0.0f, 0, 0, NN_ACT_SOFTMAX);
        run_case(tA, tB, 300, 10, 40, 1.0f, 0.0f, 1, 2, NN_ACT_SOFTMAX);
        run_case(tA, tB, 1, 33, 70, 1.0f, 0.0f, 0, 1, NN_ACT_SIGMOID);
        run_case(tA, tB, 70, 3, 50, 1.0f, 1.0f, 0, 1, NN_ACT_SIGMOID);
        run_case(tA, tB, 5, 6, 7, 1.0f, 0.0f, 0, 1, NN_ACT_IDENTITY);
        /* fused epilogue big enough for two threads: after a column split
         * (whole rows, after the region), a swapped thin N, the direct
         * paths; with -fopenmp compared bit for bit against one thread */
        if (!quick || t == 0) {
            run_case(tA, tB, 40, 2000, 64, 1.0f, 0.0f, 1, 1, NN_ACT_RELU);
            run_case(tA, tB, 40, 2000, 64, 1.0f, 0.0f, 0, 2, NN_ACT_SOFTMAX);
            run_case(tA, tB, 3000, 10, 100, 1.0f, 0.0f, 2, 0, NN_ACT_SIGMOID);
            run_case(tA, tB, 3, 4000, 200, 1.0f, 0.0f, 0, 1, NN_ACT_RELU);
            /* a thin last row panel (130 = 16 mr + 2 on AVX-512 / NEON)
             * across a column split (988: the 2-thread split is not a
             * multiple of the small blocks' nc either): its row updates
             * must not depend on where a thread's columns start */
            run_case(tA, tB, 130, 988, 100, 1.0f, 0.0f, 0, 1, -1);
        }
        run_ws(k, tA, tB, 200, 150, 2 * k->kc + 1);
        run_ws(k, tA, tB, 48, 3 * k->nr + 5, 70);
    }
}

int main(void)
{
    int quick = th_quick(), isa;
    float a[4] = {1, 2, 3, 4}, c[4];
    th_begin("test_gemm_blocks");   /* before any nn_isa_set */
    for (isa = NN_ISA_SCALAR; isa < NN_ISA_COUNT; isa++) {
        nn_kernels *k;
        int mc, kc, nc;
        if (nn_isa_set((nn_isa)isa) != NN_OK) {
            CHECK(!nn_isa_supported((nn_isa)isa) &&
                      nn_isa_set((nn_isa)isa) == NN_ERR_UNSUPPORTED,
                  "unsupported ISA %d must give NN_ERR_UNSUPPORTED", isa);
            continue;
        }
        set_label(nn_isa_name((nn_isa)isa), "real");
        /* the table is static data inside nn.h; the test may shrink its
         * blocks (and restores them) */
        k = (nn_kernels *)nn_kernels_for((nn_isa)isa);
        mc = k->mc; kc = k->kc; nc = k->nc;
        printf("isa %-7s mr %2d nr %2d  mc %4d kc %4d nc %5d\n", nn_isa_name((nn_isa)isa), k->mr,
               k->nr, mc, kc, nc);
        if (!quick) {
            sweep(k, quick);
        }
        set_label(nn_isa_name((nn_isa)isa), "small");
        k->kc = 16; k->mc = 2 * k->mr; k->nc = 2 * k->nr;
        sweep(k, quick);
        k->mc = mc; k->kc = kc; k->nc = nc;
    }
    nn_isa_set(NN_ISA_AUTO);
    set_label(nn_isa_name(nn_isa_get()), "no");
    /* bad arguments: C untouched, NN_ERR_ARG */
    c[0] = 7.0f;
    CHECK(nn_sgemm_ex(0, 0, 2, 2, 2, 1.0f, a, 1, a, 2, 0.0f, c, 2, NULL) == NN_ERR_ARG, "lda < K");
    CHECK(nn_sgemm_ex(0, 0, -1, 2, 2, 1.0f, a, 2, a, 2, 0.0f, c, 2, NULL) == NN_ERR_ARG, "M < 0");
    CHECK(nn_sgemm_ex(0, 0, 2, 2, 2, 1.0f, NULL, 2, a, 2, 0.0f, c, 2, NULL) == NN_ERR_ARG, "A NULL");
    CHECK(nn_sgemm_ex(0, 0, 2, 2, 2, 1.0f, a, 2, a, 2, 0.0f, c, 1, NULL) == NN_ERR_ARG, "ldc < N");
    CHECK(c[0] == 7.0f, "C changed on error");
    CHECK(nn_sgemm_ex(0, 0, 0, 2, 2, 1.0f, a, 2, a, 2, 0.0f, c, 2, NULL) == NN_OK, "M == 0");
    return th_finish();
}
