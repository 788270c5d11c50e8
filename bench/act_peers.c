/* bench/act_peers.c - glibc libmvec and SLEEF vector expf/tanhf as
 * n-element loops (see act_peers.h). The vector entry points are declared
 * here with their ISA (a target attribute, so no -m flag is needed and the
 * calling convention matches); a loop runs only where the CPU has the ISA.
 * Full vectors straight from x to y; the last n % W elements through a
 * W-float buffer (zero-padded), as the libraries have no masked calls. */
#include "act_peers.h"

#include <immintrin.h>
#include <string.h>

#define NNB_T512 __attribute__((target("avx512f")))
#define NNB_T256 __attribute__((target("avx2,fma")))

/* glibc libmvec (x86_64 vector ABI names: e = AVX-512, d = AVX2) */
NNB_T512 __m512 _ZGVeN16v_expf(__m512);
NNB_T512 __m512 _ZGVeN16v_tanhf(__m512);
NNB_T256 __m256 _ZGVdN8v_expf(__m256);
NNB_T256 __m256 _ZGVdN8v_tanhf(__m256);
/* SLEEF 3.5, 1.0-ulp variants, the ISA named explicitly (the unsuffixed
 * 8-lane names dispatch between AVX, FMA4 and AVX2) */
NNB_T512 __m512 Sleef_expf16_u10avx512f(__m512);
NNB_T512 __m512 Sleef_tanhf16_u10avx512f(__m512);
NNB_T256 __m256 Sleef_expf8_u10avx2(__m256);
NNB_T256 __m256 Sleef_tanhf8_u10avx2(__m256);

/* 1 / (1 + e^-x) */
NNB_T512 static inline __m512 sig16(__m512 e)
{
    __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, e));
}
NNB_T256 static inline __m256 sig8(__m256 e)
{
    __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, e));
}
NNB_T512 static inline __m512 neg16(__m512 x)
{
    return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(x),
                                                _mm512_set1_epi32((int)0x80000000u)));
}
NNB_T256 static inline __m256 neg8(__m256 x) { return _mm256_xor_ps(x, _mm256_set1_ps(-0.0f)); }

/* one loop per (entry point, form): F(v) is the vector expression of v;
 * T: target attribute, P: intrinsics prefix, W: floats per vector */
#define NNB_LOOP(T, P, W, name, F)                                          \
    T static void name(size_t n, const float *x, float *y)                  \
    {                                                                       \
        float b[W];                                                         \
        size_t i = 0;                                                       \
        for (; i + W <= n; i += W)                                          \
            P##_storeu_ps(y + i, F(P##_loadu_ps(x + i)));                   \
        if (i < n) {                                                        \
            memset(b, 0, sizeof b);                                         \
            memcpy(b, x + i, (n - i) * sizeof(float));                      \
            P##_storeu_ps(b, F(P##_loadu_ps(b)));                           \
            memcpy(y + i, b, (n - i) * sizeof(float));                      \
        }                                                                   \
    }
#define NNB_LOOP16(name, F) NNB_LOOP(NNB_T512, _mm512, 16, name, F)
#define NNB_LOOP8(name, F) NNB_LOOP(NNB_T256, _mm256, 8, name, F)
#define NNB_SIG16(EXPF) sig16(EXPF(neg16(v)))
#define NNB_SIG8(EXPF) sig8(EXPF(neg8(v)))
/* exp, tanh and sigmoid loops of one library at one width */
#define NNB_PEER16(lib, EXPF, TANHF)                                        \
    NNB_LOOP16(lib##_exp16, EXPF)                                           \
    NNB_LOOP16(lib##_tanh16, TANHF)                                         \
    NNB_T512 static inline __m512 lib##_sig16v(__m512 v) { return NNB_SIG16(EXPF); } \
    NNB_LOOP16(lib##_sig16, lib##_sig16v)
#define NNB_PEER8(lib, EXPF, TANHF)                                         \
    NNB_LOOP8(lib##_exp8, EXPF)                                             \
    NNB_LOOP8(lib##_tanh8, TANHF)                                           \
    NNB_T256 static inline __m256 lib##_sig8v(__m256 v) { return NNB_SIG8(EXPF); } \
    NNB_LOOP8(lib##_sig8, lib##_sig8v)

NNB_PEER16(glibc, _ZGVeN16v_expf, _ZGVeN16v_tanhf)
NNB_PEER16(sleef, Sleef_expf16_u10avx512f, Sleef_tanhf16_u10avx512f)
NNB_PEER8(glibc, _ZGVdN8v_expf, _ZGVdN8v_tanhf)
NNB_PEER8(sleef, Sleef_expf8_u10avx2, Sleef_tanhf8_u10avx2)

static const nnb_act_peer nnb_act_peer_list[4] = {
    { "glibc-avx512", "libmvec _ZGVeN16v_expf/_tanhf", glibc_exp16, glibc_tanh16, glibc_sig16 },
    { "sleef-avx512", "SLEEF Sleef_expf16_u10avx512f/tanhf16_u10avx512f",
      sleef_exp16, sleef_tanh16, sleef_sig16 },
    { "glibc-avx2", "libmvec _ZGVdN8v_expf/_tanhf", glibc_exp8, glibc_tanh8, glibc_sig8 },
    { "sleef-avx2", "SLEEF Sleef_expf8_u10avx2/tanhf8_u10avx2", sleef_exp8, sleef_tanh8,
      sleef_sig8 },
};

int nnb_act_peers(const nnb_act_peer *out[4])
{
    static const nnb_act_peer *have[4];
    int n = 0;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        have[n++] = &nnb_act_peer_list[0];
        have[n++] = &nnb_act_peer_list[1];
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        have[n++] = &nnb_act_peer_list[2];
        have[n++] = &nnb_act_peer_list[3];
    }
    memcpy(out, have, (size_t)n * sizeof *have);
    return n;
}
