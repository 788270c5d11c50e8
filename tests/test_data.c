/* tests/test_data.c - data utilities of nn.h (section 2.10): CRC-32, IDX
 * reading and writing (every truncation and malformed header is an error,
 * never a crash), standardization, the symmetric eigensolver, PCA whitening
 * (whitened training data has identity covariance), one-hot labels, seeded
 * shuffles and stratified splits. Plain C, no dependencies. */
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L     /* mkdir for the atomic-save test */
#endif
#define NN_IMPLEMENTATION
#include "nn.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>


static const char *tmp_path(const char *name)
{
    static char buf[256];
    const char *dir = getenv("TMPDIR");
    snprintf(buf, sizeof buf, "%s/nn_test_data_%s", dir && *dir ? dir : "/tmp", name);
    return buf;
}

/* ---- CRC-32 ------------------------------------------------------------ */
static void test_crc(void)
{
    const char *s = "123456789";
    /* the standard check value of CRC-32/ISO-HDLC (zlib crc32) */
    CHECK(nn_crc32(0, s, 9) == 0xCBF43926u, "crc32(123456789) = %08lx",
          (unsigned long)nn_crc32(0, s, 9));
    CHECK(nn_crc32(nn_crc32(0, s, 4), s + 4, 5) == 0xCBF43926u, "chained crc");
    CHECK(nn_crc32(0, s, 0) == 0u, "crc of nothing is 0");
}

/* ---- IDX --------------------------------------------------------------- */
/* A 3 x 2 x 2 uint8 IDX image in memory: 16 header bytes + 12 payload. */
static size_t make_idx_u8(unsigned char *b)
{
    int i;
    unsigned char h[16] = { 0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2 };
    memcpy(b, h, 16);
    for (i = 0; i < 12; i++) b[16 + i] = (unsigned char)(i * 21);
    return 28;
}

static void test_idx_mem(void)
{
    unsigned char b[64], c[64];
    size_t len = make_idx_u8(b), cut;
    nn_idx idx;
    nn_status st;
    int i, ok;

    st = nn_idx_load_mem(b, len, &idx);
    CHECK(st == NN_OK, "load u8: %s", nn_status_str(st));
    if (st == NN_OK) {
        CHECK(idx.type == NN_IDX_U8 && idx.ndims == 3 && idx.dims[0] == 3 &&
              idx.dims[1] == 2 && idx.dims[2] == 2 && idx.count == 12, "u8 header");
        ok = 1;
        for (i = 0; i < 12; i++) ok &= idx.data[i] == (float)(i * 21);
        CHECK(ok, "u8 payload values");
        nn_idx_free(&idx);
        CHECK(idx.data == NULL, "free clears");
    }
    /* every truncation, and one byte too many */
    ok = 1;
    for (cut = 0; cut < len; cut++) {
        st = nn_idx_load_mem(b, cut, &idx);
        ok &= st == NN_ERR_FORMAT && idx.data == NULL;
    }
    CHECK(ok, "every truncation of an IDX file is NN_ERR_FORMAT");
    b[len] = 7;
    CHECK(nn_idx_load_mem(b, len + 1, &idx) == NN_ERR_FORMAT, "trailing byte");
    /* malformed headers */
    memcpy(c, b, len); c[0] = 1;
    CHECK(nn_idx_load_mem(c, len, &idx) == NN_ERR_FORMAT, "bad magic byte 0");
    memcpy(c, b, len); c[2] = 0x0A;
    CHECK(nn_idx_load_mem(c, len, &idx) == NN_ERR_FORMAT, "unknown type 0x0A");
    memcpy(c, b, len); c[3] = 0;
    CHECK(nn_idx_load_mem(c, len, &idx) == NN_ERR_FORMAT, "0 dimensions");
    memcpy(c, b, len); c[3] = NN_IDX_MAX_DIMS + 1;
    CHECK(nn_idx_load_mem(c, 64, &idx) == NN_ERR_FORMAT, "too many dimensions");
    /* a dimension of 2^31-1 (oversized: must not allocate or read beyond) */
    memcpy(c, b, len); c[4] = 0x7f; c[5] = 0xff; c[6] = 0xff; c[7] = 0xff;
    CHECK(nn_idx_load_mem(c, len, &idx) == NN_ERR_FORMAT, "oversized dimension");
    memcpy(c, b, len); c[4] = 0x80;
    CHECK(nn_idx_load_mem(c, len, &idx) == NN_ERR_FORMAT, "dimension >= 2^31");
    /* dims whose product overflows size_t on 64-bit: (2^30)^3 = 2^90 wraps
     * to exactly 0, which the payload-size check alone would accept (a
     * 0-element file), so only the overflow guard can refuse it */
    memcpy(c, b, 16);
    for (i = 0; i < 3; i++) { c[4 + 4 * i] = 0x40; c[5 + 4 * i] = 0; c[6 + 4 * i] = 0; c[7 + 4 * i] = 0; }
    CHECK(nn_idx_load_mem(c, 16, &idx) == NN_ERR_FORMAT, "dimension product overflow");
    CHECK(nn_idx_load_mem(NULL, 10, &idx) == NN_ERR_ARG, "NULL buffer");
    CHECK(nn_idx_load_mem(b, len, NULL) == NN_ERR_ARG, "NULL out");
    /* an empty array (a zero dimension) is valid */
    {
        unsigned char z[8] = { 0, 0, 0x08, 1, 0, 0, 0, 0 };
        st = nn_idx_load_mem(z, 8, &idx);
        CHECK(st == NN_OK && idx.count == 0, "empty IDX array");
        nn_idx_free(&idx);
    }
}

static void test_idx_types(void)
{
    /* s8 {-1, 127}, i16 {-2, 300}, i32 {-70000, 5}, f32 {1.5, -0.25},
     * f64 {0.1, -3} (all big-endian) */
    static const unsigned char s8[] = { 0, 0, 0x09, 1, 0, 0, 0, 2, 0xff, 0x7f };
    static const unsigned char i16[] = { 0, 0, 0x0B, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x2c };
    static const unsigned char i32[] = { 0, 0, 0x0C, 1, 0, 0, 0, 2,
        0xff, 0xfe, 0xee, 0x90, 0, 0, 0, 5 };
    static const unsigned char f32[] = { 0, 0, 0x0D, 1, 0, 0, 0, 2,
        0x3f, 0xc0, 0, 0, 0xbe, 0x80, 0, 0 };
    static const unsigned char f64[] = { 0, 0, 0x0E, 1, 0, 0, 0, 2,
        0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a,
        0xc0, 0x08, 0, 0, 0, 0, 0, 0 };
    nn_idx idx;
    CHECK(nn_idx_load_mem(s8, sizeof s8, &idx) == NN_OK && idx.data[0] == -1.0f &&
          idx.data[1] == 127.0f, "s8");
    nn_idx_free(&idx);
    CHECK(nn_idx_load_mem(i16, sizeof i16, &idx) == NN_OK && idx.data[0] == -2.0f &&
          idx.data[1] == 300.0f, "i16");
    nn_idx_free(&idx);
    CHECK(nn_idx_load_mem(i32, sizeof i32, &idx) == NN_OK && idx.data[0] == -70000.0f &&
          idx.data[1] == 5.0f, "i32");
    nn_idx_free(&idx);
    CHECK(nn_idx_load_mem(f32, sizeof f32, &idx) == NN_OK && idx.data[0] == 1.5f &&
          idx.data[1] == -0.25f, "f32");
    nn_idx_free(&idx);
    /* 0.1 in double rounds to the float nearest 0.1: exact comparison */
    CHECK(nn_idx_load_mem(f64, sizeof f64, &idx) == NN_OK && idx.data[0] == 0.1f &&
          idx.data[1] == -3.0f, "f64");
    nn_idx_free(&idx);
}

static void test_idx_file(void)
{
    float v[2 * 3 * 4], w[2] = { 1.5f, 2.0f };
    int dims[3] = { 2, 3, 4 }, i, ok;
    nn_idx idx;
    nn_status st;
    const char *p = tmp_path("a.idx");
    char path[256];
    strcpy(path, p);
    for (i = 0; i < 24; i++) v[i] = (float)(i * 10);
    st = nn_idx_save(path, NN_IDX_U8, 3, dims, v);
    CHECK(st == NN_OK, "save u8: %s", nn_status_str(st));
    st = nn_idx_load(path, &idx);
    CHECK(st == NN_OK && idx.count == 24 && idx.ndims == 3 && idx.dims[2] == 4,
          "load u8 file: %s", nn_status_str(st));
    if (st == NN_OK) {
        ok = 1;
        for (i = 0; i < 24; i++) ok &= idx.data[i] == v[i];
        CHECK(ok, "u8 file round trip");
        nn_idx_free(&idx);
    }
    for (i = 0; i < 24; i++) v[i] = (float)i * -0.37f + 1e-3f;
    st = nn_idx_save(path, NN_IDX_F32, 3, dims, v);
    CHECK(st == NN_OK, "save f32");
    st = nn_idx_load(path, &idx);
    CHECK(st == NN_OK && idx.type == NN_IDX_F32, "load f32 file");
    if (st == NN_OK) {
        CHECK(memcmp(idx.data, v, sizeof v) == 0, "f32 file round trip is bit-exact");
        nn_idx_free(&idx);
    }
    /* u8 refuses non-integers and out-of-range values; previous file kept */
    dims[0] = 2;
    CHECK(nn_idx_save(path, NN_IDX_U8, 1, dims, w) == NN_ERR_ARG, "u8 1.5 refused");
    w[0] = 256.0f;
    CHECK(nn_idx_save(path, NN_IDX_U8, 1, dims, w) == NN_ERR_ARG, "u8 256 refused");
    st = nn_idx_load(path, &idx);
    CHECK(st == NN_OK && idx.count == 24, "failed save left the file intact");
    nn_idx_free(&idx);
    remove(path);
    CHECK(nn_idx_load(path, &idx) == NN_ERR_IO, "missing file is NN_ERR_IO");
    /* every truncation of a file on disk */
    {
        unsigned char b[64];
        size_t len = make_idx_u8(b), cut;
        ok = 1;
        for (cut = 0; cut < len; cut++) {
            FILE *f = fopen(path, "wb");
            if (!f) { ok = 0; break; }
            fwrite(b, 1, cut, f);
            fclose(f);
            ok &= nn_idx_load(path, &idx) == NN_ERR_FORMAT && idx.data == NULL;
        }
        CHECK(ok, "every truncated IDX file is NN_ERR_FORMAT");
        remove(path);
    }
}

/* ---- standardization --------------------------------------------------- */
static void test_standardize(void)
{
    enum { N = 257, D = 5 };
    static float x[N * D], t[3 * D];
    float mean[D], sd[D];
    double m[D], s[D];
    nn_rng r;
    int i, j, ok;
    nn_rng_seed(&r, 7, 0);
    for (i = 0; i < N; i++)
        for (j = 0; j < D; j++)
            x[i * D + j] = j == 3 ? 4.0f : (float)(j + 1) * nn_rng_normal(&r) + 10.0f * j;
    CHECK(nn_standardize_fit(N, D, x, 0.0f, mean, sd) == NN_OK, "fit");
    for (j = 0; j < D; j++) {
        m[j] = 0; s[j] = 0;
        for (i = 0; i < N; i++) m[j] += x[i * D + j];
        m[j] /= N;
        for (i = 0; i < N; i++) s[j] += (x[i * D + j] - m[j]) * (x[i * D + j] - m[j]);
        s[j] = sqrt(s[j] / N);
    }
    /* both sides accumulate in double from the same floats; the only
     * difference is the final rounding to float: half an ulp (2^-24
     * relative; the double sums agree far below that) */
    ok = 1;
    for (j = 0; j < D; j++) {
        ok &= fabs(mean[j] - m[j]) <= fabs(m[j]) * 0.5 * FLT_EPSILON + 1e-30;
        if (j != 3) ok &= fabs(sd[j] - s[j]) <= s[j] * 0.5 * FLT_EPSILON;
    }
    CHECK(ok, "mean and population std match a double reference to half an ulp");
    CHECK(sd[3] == 1.0f && mean[3] == 4.0f, "constant feature: std 1 (no division by 0)");
    memcpy(t, x, sizeof t);
    CHECK(nn_standardize_apply(N, D, x, mean, sd) == NN_OK, "apply");
    ok = 1;
    for (j = 0; j < D; j++) {
        double a = 0, b = 0;
        for (i = 0; i < N; i++) a += x[i * D + j];
        a /= N;
        for (i = 0; i < N; i++) b += (x[i * D + j] - a) * (x[i * D + j] - a);
        b /= N;
        /* per element (x - mean)/std has relative error ~3 ulp of values
         * |x|/std <= 40 here: 3 * 40 * 2^-24 < 1e-5 for the mean; the
         * variance inherits twice that relative error */
        ok &= fabs(a) < 1e-5;
        ok &= j == 3 ? b == 0.0 : fabs(b - 1.0) < 2e-5;
    }
    CHECK(ok, "standardized training data: mean 0, variance 1");
    CHECK(nn_standardize_fit(N, D, x, 0.25f, mean, sd) == NN_OK &&
          fabs(sd[0] - sqrt(1.25)) < 1e-5, "eps adds to the variance");
    CHECK(nn_standardize_fit(0, D, x, 0.0f, mean, sd) == NN_ERR_ARG, "n = 0");
    CHECK(nn_standardize_fit(N, D, x, -1.0f, mean, sd) == NN_ERR_ARG, "eps < 0");
    x[5] = NAN;
    CHECK(nn_standardize_fit(N, D, x, 0.0f, mean, sd) == NN_ERR_NAN, "NaN input");
    sd[1] = 0.0f;
    CHECK(nn_standardize_apply(3, D, t, mean, sd) == NN_ERR_ARG, "std 0 refused");
}

/* ---- eigendecomposition ------------------------------------------------ */
/* Residual |A v - w v| and orthonormality of the eigenvectors; descending. */
static void check_eigh(int n, const double *a, const char *what)
{
    double *w = (double *)malloc(n * sizeof(double));
    double *v = (double *)malloc((size_t)n * n * sizeof(double));
    double norm = 0, res = 0, orth = 0, tol;
    int i, j, k, desc = 1;
    nn_status st = nn_eigh(n, a, w, v);
    CHECK(st == NN_OK, "eigh %s: %s", what, nn_status_str(st));
    if (st != NN_OK) { free(w); free(v); return; }
    for (i = 0; i < n * n; i++) norm += a[i] * a[i];
    norm = sqrt(norm);
    for (i = 0; i < n; i++) {
        if (i && w[i] > w[i - 1]) desc = 0;
        for (j = 0; j < n; j++) {
            double s = 0, d = 0;
            for (k = 0; k < n; k++) s += a[j * n + k] * v[i * n + k];
            s -= w[i] * v[i * n + j];
            if (fabs(s) > res) res = fabs(s);
            for (k = 0; k < n; k++) d += v[i * n + k] * v[j * n + k];
            d -= i == j;
            if (fabs(d) > orth) orth = fabs(d);
        }
    }
    /* Householder + QL is backward stable: the computed pairs are exact for
     * A + E with |E| <= c n eps |A|; c = 10 is generous for these sizes
     * (observed c < 1). */
    tol = 10.0 * n * DBL_EPSILON;
    CHECK(desc, "eigh %s: eigenvalues descending", what);
    CHECK(res <= tol * (norm > 0 ? norm : 1), "eigh %s: residual %.3g > %.3g",
          what, res, tol * norm);
    CHECK(orth <= tol, "eigh %s: orthonormality %.3g > %.3g", what, orth, tol);
    free(w);
    free(v);
}

static void test_eigh(void)
{
    static double a[80 * 80];
    double w[3], v[9];
    nn_rng r;
    int n, i, j;
    nn_rng_seed(&r, 3, 0);
    for (n = 1; n <= 80; n += (n < 5 ? 1 : 25)) {
        for (i = 0; i < n; i++)
            for (j = 0; j <= i; j++)
                a[i * n + j] = a[j * n + i] = nn_rng_normal(&r);
        check_eigh(n, a, "random");
    }
    n = 30;                                /* identity: all eigenvalues 1 */
    for (i = 0; i < n * n; i++) a[i] = i % (n + 1) == 0;
    check_eigh(n, a, "identity");
    for (i = 0; i < n * n; i++) a[i] = 0;  /* zero matrix */
    check_eigh(n, a, "zero");
    for (i = 0; i < n; i++)                /* rank one: 1 1^T, eigenvalues n, 0.. */
        for (j = 0; j < n; j++) a[i * n + j] = 1;
    check_eigh(n, a, "rank one");
    {
        /* known eigenvalues: [[2,1,0],[1,2,0],[0,0,5]] -> 5, 3, 1 */
        double b[9] = { 2, 1, 0, 1, 2, 0, 0, 0, 5 };
        CHECK(nn_eigh(3, b, w, v) == NN_OK && fabs(w[0] - 5) < 1e-14 &&
              fabs(w[1] - 3) < 1e-14 && fabs(w[2] - 1) < 1e-14,
              "known eigenvalues 5 3 1 (to 1e-14 ~ 20 eps)");
        b[4] = NAN;
        CHECK(nn_eigh(3, b, w, v) == NN_ERR_NAN, "NaN matrix refused");
    }
    CHECK(nn_eigh(0, a, w, v) == NN_ERR_ARG, "n = 0 refused");
}

/* ---- PCA whitening ----------------------------------------------------- */
static void covariance(int n, int k, const float *y, double *cov)
{
    int i, a, b;
    double *m = (double *)calloc(k, sizeof(double));
    for (i = 0; i < n; i++) for (a = 0; a < k; a++) m[a] += y[(size_t)i * k + a];
    for (a = 0; a < k; a++) m[a] /= n;
    for (a = 0; a < k * k; a++) cov[a] = 0;
    for (i = 0; i < n; i++)
        for (a = 0; a < k; a++)
            for (b = 0; b < k; b++)
                cov[a * k + b] += (y[(size_t)i * k + a] - m[a]) * (y[(size_t)i * k + b] - m[b]);
    for (a = 0; a < k * k; a++) cov[a] /= n;
    free(m);
}

static void test_pca(void)
{
    enum { N = 3000, D = 12 };
    static float x[N * D], y[N * D], mix[D * D];
    static double cov[D * D];
    nn_pca p;
    nn_rng r;
    nn_status st;
    int i, j, k, ok;
    double err = 0;
    nn_rng_seed(&r, 11, 0);
    /* correlated data: x = z M + offset, M = I + 0.3 * noise (well
     * conditioned: covariance condition number ~ 10) */
    for (i = 0; i < D * D; i++) mix[i] = (i % (D + 1) == 0) + 0.3f * nn_rng_normal(&r);
    for (i = 0; i < N; i++) {
        float z[D];
        for (j = 0; j < D; j++) z[j] = nn_rng_normal(&r) * (1.0f + j * 0.2f);
        for (j = 0; j < D; j++) {
            float s = 5.0f + j;
            for (k = 0; k < D; k++) s += z[k] * mix[k * D + j];
            x[i * D + j] = s;
        }
    }
    st = nn_pca_fit(&p, N, D, x, 0, 0.0f);
    CHECK(st == NN_OK && p.k == D && p.d == D, "pca fit (all components): %s",
          nn_status_str(st));
    if (st != NN_OK) return;
    ok = 1;
    for (i = 1; i < D; i++) ok &= p.eigval[i] <= p.eigval[i - 1];
    CHECK(ok && p.eigval[D - 1] > 0, "eigenvalues descending and positive");
    CHECK(nn_pca_apply(&p, N, x, y) == NN_OK, "pca apply");
    covariance(N, D, y, cov);
    for (i = 0; i < D; i++)
        for (j = 0; j < D; j++) {
            double e = fabs(cov[i * D + j] - (i == j));
            if (e > err) err = e;
        }
    /* Float error budget: the covariance blocks of 64 rows (64 ulp relative
     * each, ~1e-6 of |x|^2 ~ 200) and the float projection of |x| ~ 20
     * through weights ~1 over D terms give absolute errors ~1e-5 in whitened
     * units; amplified by the covariance condition number (~10 here) this
     * stays below 1e-4. Observed: about 8e-7. */
    CHECK(err < 1e-4, "whitened training covariance = identity (max err %.3g)", err);
    nn_pca_free(&p);
    /* k < d with eps: covariance diag(lambda / (lambda + eps)) */
    st = nn_pca_fit(&p, N, D, x, 4, 0.5f);
    CHECK(st == NN_OK && p.k == 4, "pca fit k=4 eps=0.5");
    if (st == NN_OK) {
        CHECK(nn_pca_apply(&p, N, x, y) == NN_OK, "pca apply k=4");
        covariance(N, 4, y, cov);
        err = 0;
        for (i = 0; i < 4; i++)
            for (j = 0; j < 4; j++) {
                double want = i == j ? p.eigval[i] / (p.eigval[i] + 0.5) : 0.0;
                double e = fabs(cov[i * 4 + j] - want);
                if (e > err) err = e;
            }
        CHECK(err < 1e-4, "k=4, eps: covariance diag(l/(l+eps)) (max err %.3g, same budget)", err);
        nn_pca_free(&p);
    }
    CHECK(nn_pca_fit(&p, 1, D, x, 0, 0.0f) == NN_ERR_ARG, "n = 1 refused");
    CHECK(nn_pca_fit(&p, N, D, x, D + 1, 0.0f) == NN_ERR_ARG, "k > d refused");
    CHECK(p.mean == NULL, "failed fit leaves an empty pca");
}

/* ---- labels, shuffles, splits ------------------------------------------ */
static void test_labels(void)
{
    float lab[4] = { 2, 0, 1, 2 }, y[12], bad[1] = { 3 }, half[1] = { 0.5f };
    float row[5] = { 1, 7, 3, 7, -2 };
    int ok = 1, i;
    CHECK(nn_one_hot(4, lab, 3, y) == NN_OK, "one hot");
    for (i = 0; i < 12; i++) ok &= y[i] == ((i % 3) == (int)lab[i / 3]);
    CHECK(ok, "one hot values");
    CHECK(nn_one_hot(1, bad, 3, y) == NN_ERR_ARG, "label 3 of 3 classes refused");
    CHECK(nn_one_hot(1, half, 3, y) == NN_ERR_ARG, "label 0.5 refused");
    CHECK(nn_argmax(5, row) == 1 && nn_argmax(0, row) == -1, "argmax (first max)");
}

static int is_perm(int n, const int *idx)
{
    char *seen = (char *)calloc(n ? n : 1, 1);
    int i, ok = 1;
    for (i = 0; i < n; i++) {
        if (idx[i] < 0 || idx[i] >= n || seen[idx[i]]) { ok = 0; break; }
        seen[idx[i]] = 1;
    }
    free(seen);
    return ok;
}

static void test_shuffle(void)
{
    enum { N = 1000 };
    static int a[N], b[N], c[N];
    float src[6] = { 0, 1, 10, 11, 20, 21 }, dst[6];
    int gi[3] = { 2, 0, 2 }, bad[1] = { 3 };
    CHECK(nn_shuffle_index(N, a, 42) == NN_OK && is_perm(N, a), "shuffle is a permutation");
    nn_shuffle_index(N, b, 42);
    nn_shuffle_index(N, c, 43);
    CHECK(memcmp(a, b, sizeof a) == 0, "same seed, same permutation");
    CHECK(memcmp(a, c, sizeof a) != 0, "other seed, other permutation");
    CHECK(nn_gather_rows(3, gi, 3, 2, src, dst) == NN_OK && dst[0] == 20 &&
          dst[1] == 21 && dst[2] == 0 && dst[5] == 21, "gather rows");
    CHECK(nn_gather_rows(1, bad, 3, 2, src, dst) == NN_ERR_ARG, "gather out of range");
}

static void test_split(void)
{
    enum { N = 1000, C = 7 };
    static float lab[N];
    static int tr[N], va[N], te[N], all[N], tr2[N];
    int cnt[C] = { 0 }, cv[C] = { 0 }, ct[C] = { 0 };
    int i, ok, nv = 100, nt = 150, ntr = N - 100 - 150;
    nn_rng r;
    nn_rng_seed(&r, 5, 0);
    for (i = 0; i < N; i++) {   /* unbalanced classes: 0 is common, 6 rare */
        int c = (int)nn_rng_below(&r, 28);
        c = c < 10 ? 0 : c < 16 ? 1 : c < 20 ? 2 : c < 23 ? 3 : c < 25 ? 4 : c < 27 ? 5 : 6;
        lab[i] = (float)c;
        cnt[c]++;
    }
    CHECK(nn_split(N, lab, C, nv, nt, 9, tr, va, te) == NN_OK, "stratified split");
    memcpy(all, tr, ntr * sizeof(int));
    memcpy(all + ntr, va, nv * sizeof(int));
    memcpy(all + ntr + nv, te, nt * sizeof(int));
    CHECK(is_perm(N, all), "parts are disjoint and cover every row");
    for (i = 0; i < nv; i++) cv[(int)lab[va[i]]]++;
    for (i = 0; i < nt; i++) ct[(int)lab[te[i]]]++;
    ok = 1;    /* largest remainder: within 1 of the exact proportion */
    for (i = 0; i < C; i++) {
        ok &= fabs(cv[i] - (double)nv * cnt[i] / N) < 1.0;
        ok &= fabs(ct[i] - (double)nt * cnt[i] / N) < 1.0;
    }
    CHECK(ok, "each class keeps its proportion in val and test (within 1 row)");
    CHECK(nn_split(N, lab, C, nv, nt, 9, tr2, va, te) == NN_OK &&
          memcmp(tr, tr2, ntr * sizeof(int)) == 0, "split is deterministic");
    CHECK(nn_split(N, NULL, 0, nv, nt, 9, tr, va, te) == NN_OK, "plain split");
    memcpy(all, tr, ntr * sizeof(int));
    memcpy(all + ntr, va, nv * sizeof(int));
    memcpy(all + ntr + nv, te, nt * sizeof(int));
    CHECK(is_perm(N, all), "plain split covers every row once");
    {
        /* tiny classes: 3 classes of 1 row, val 1, test 1: caps respected */
        float l3[3] = { 0, 1, 2 };
        int t3[1], v3[1], e3[1], a3[3];
        CHECK(nn_split(3, l3, 3, 1, 1, 1, t3, v3, e3) == NN_OK, "3 singleton classes");
        a3[0] = t3[0]; a3[1] = v3[0]; a3[2] = e3[0];
        CHECK(is_perm(3, a3), "singleton split covers every row");
    }
    CHECK(nn_split(10, NULL, 0, 6, 5, 1, tr, va, te) == NN_ERR_ARG, "val + test > n");
    lab[0] = 9;
    CHECK(nn_split(N, lab, C, nv, nt, 9, tr, va, te) == NN_ERR_ARG, "label >= classes");
}

int main(void)
{
    th_begin("test_data");
    test_crc();
    test_idx_mem();
    test_idx_types();
    test_idx_file();
    test_standardize();
    test_eigh();
    test_pca();
    test_labels();
    test_shuffle();
    test_split();
    return th_finish();
}
