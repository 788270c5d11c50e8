/* bench/peak.h - the FP32 FMA peak: independent FMA chains per ISA
 * (AVX-512 zmm, AVX2 ymm, NEON q) under function-level target attributes,
 * no -march needed. Static code, included by bench/bench_common.c and
 * tools/cpu_report.c; needs nn.h (nn_isa), and OpenMP for > 1 thread.
 *
 *   const nnb_peak_kernel *k;
 *   for (k = nnb_peak_kernels; k->fn; k++)
 *       if (nn_isa_supported(k->id)) gflops = 1e-9 * nnb_peak_best(k, 1);
 */
#ifndef NN_BENCH_PEAK_H
#define NN_BENCH_PEAK_H
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NNB_X86 1
#else
#define NNB_X86 0
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

static double nnb_peak_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* c = c * a + b converges to b / (1 - a): no overflow, no denormals. Enough
 * chains to cover FMA latency x FMA pipes (Zen 4: 4 x 2 ymm; Intel: 4 x 2),
 * few enough to stay in registers (16 ymm without AVX-512, 32 zmm/q). */
typedef double (*nnb_peak_fn)(long reps);   /* returns a checksum          */
typedef struct nnb_peak_kernel {
    const char *isa; nn_isa id; nnb_peak_fn fn;
    double flops_per_rep;
} nnb_peak_kernel;

/* Read through volatile so that no compiler can fold a chain: with known
 * constants, clang proves that the chain starting at 1.0 = b / (1 - a)
 * never moves and drops it, inflating the peak by 1/12. */
static volatile float nnb_peak_a = 0.9999f, nnb_peak_b = 1e-4f;

#define NNB_FMA4(F, c0, c1, c2, c3) \
    c0 = F(c0, a, b); c1 = F(c1, a, b); c2 = F(c2, a, b); c3 = F(c3, a, b)

#if NNB_X86
/* One body for both x86 widths (PFX: _mm256 / _mm512, VT, W floats): 12
 * chains cover latency 4 x 2 pipes with room, and with a and b take 14 of
 * the 16 ymm registers (AVX2 has no more). */
#define NNB_PEAK_X86(name, TGT, PFX, VT, W)                                 \
__attribute__((target(TGT)))                                               \
static double name(long reps)                                              \
{                                                                          \
    VT a = PFX##_set1_ps(nnb_peak_a), b = PFX##_set1_ps(nnb_peak_b);       \
    VT c0 = PFX##_set1_ps(0.f), c1 = PFX##_set1_ps(1.f);                   \
    VT c2 = PFX##_set1_ps(2.f), c3 = PFX##_set1_ps(3.f);                   \
    VT c4 = PFX##_set1_ps(4.f), c5 = PFX##_set1_ps(5.f);                   \
    VT c6 = PFX##_set1_ps(6.f), c7 = PFX##_set1_ps(7.f);                   \
    VT c8 = PFX##_set1_ps(8.f), c9 = PFX##_set1_ps(9.f);                   \
    VT c10 = PFX##_set1_ps(10.f), c11 = PFX##_set1_ps(11.f);               \
    float out[W];                                                          \
    long r;                                                                \
    for (r = 0; r < reps; r++) {        /* 12 chains x W lanes x 2 FLOP */ \
        NNB_FMA4(PFX##_fmadd_ps, c0, c1, c2, c3);                          \
        NNB_FMA4(PFX##_fmadd_ps, c4, c5, c6, c7);                          \
        NNB_FMA4(PFX##_fmadd_ps, c8, c9, c10, c11);                        \
    }                                                                      \
    c0 = PFX##_add_ps(PFX##_add_ps(PFX##_add_ps(c0, c1), PFX##_add_ps(c2, c3)), \
                      PFX##_add_ps(PFX##_add_ps(c4, c5), PFX##_add_ps(c6, c7))); \
    c0 = PFX##_add_ps(c0, PFX##_add_ps(PFX##_add_ps(c8, c9), PFX##_add_ps(c10, c11))); \
    PFX##_storeu_ps(out, c0);                                              \
    return (double)out[0] + out[W - 1];                                    \
}
NNB_PEAK_X86(nnb_peak_avx2, "avx,avx2,fma", _mm256, __m256, 8)
NNB_PEAK_X86(nnb_peak_avx512, "avx,avx2,fma,avx512f", _mm512, __m512, 16)
#endif

#if defined(__aarch64__)
static double nnb_peak_neon(long reps)
{
    float32x4_t a = vdupq_n_f32(nnb_peak_a), b = vdupq_n_f32(nnb_peak_b);
    float32x4_t c0 = vdupq_n_f32(0.f), c1 = vdupq_n_f32(1.f);
    float32x4_t c2 = vdupq_n_f32(2.f), c3 = vdupq_n_f32(3.f);
    float32x4_t c4 = vdupq_n_f32(4.f), c5 = vdupq_n_f32(5.f);
    float32x4_t c6 = vdupq_n_f32(6.f), c7 = vdupq_n_f32(7.f);
    float32x4_t c8 = vdupq_n_f32(8.f), c9 = vdupq_n_f32(9.f);
    float32x4_t c10 = vdupq_n_f32(10.f), c11 = vdupq_n_f32(11.f);
    float32x4_t c12 = vdupq_n_f32(12.f), c13 = vdupq_n_f32(13.f);
    float32x4_t c14 = vdupq_n_f32(14.f), c15 = vdupq_n_f32(15.f);
    long r;
#define NNB_VFMA(c, x, y) vfmaq_f32(y, c, x)   /* c * x + y */
    for (r = 0; r < reps; r++) {          /* 16 chains x 4 lanes x 2 FLOP */
        NNB_FMA4(NNB_VFMA, c0, c1, c2, c3);
        NNB_FMA4(NNB_VFMA, c4, c5, c6, c7);
        NNB_FMA4(NNB_VFMA, c8, c9, c10, c11);
        NNB_FMA4(NNB_VFMA, c12, c13, c14, c15);
    }
#undef NNB_VFMA
    c0 = vaddq_f32(vaddq_f32(vaddq_f32(c0, c1), vaddq_f32(c2, c3)),
                   vaddq_f32(vaddq_f32(c4, c5), vaddq_f32(c6, c7)));
    c8 = vaddq_f32(vaddq_f32(vaddq_f32(c8, c9), vaddq_f32(c10, c11)),
                   vaddq_f32(vaddq_f32(c12, c13), vaddq_f32(c14, c15)));
    c0 = vaddq_f32(c0, c8);
    return (double)vgetq_lane_f32(c0, 0) + vgetq_lane_f32(c0, 3);
}
#endif

static const nnb_peak_kernel nnb_peak_kernels[] = {
#if NNB_X86
    { "avx512", NN_ISA_AVX512, nnb_peak_avx512, 12.0 * 16 * 2 },
    { "avx2", NN_ISA_AVX2, nnb_peak_avx2, 12.0 * 8 * 2 },
#endif
#if defined(__aarch64__)
    { "neon", NN_ISA_NEON, nnb_peak_neon, 16.0 * 4 * 2 },
#endif
    { NULL, NN_ISA_AUTO, NULL, 0 }
};

static volatile double nnb_sink;   /* keeps the checksums alive   */

/* The best FLOP/s of one thread over `runs` timed runs of reps each. */
static double nnb_peak_thread(const nnb_peak_kernel *k, long reps, int runs)
{
    double best = 0.0, sum = 0.0;
    int i;
    for (i = 0; i < runs; i++) {
        double t0 = nnb_peak_now(), f;
        sum += k->fn(reps);
        f = k->flops_per_rep * (double)reps / (nnb_peak_now() - t0);
        if (f > best) best = f;
    }
    nnb_sink = sum;
    return best;
}

/* FP32 peak of `threads` threads running the chains at the same time: each
 * thread times its own runs (~2 ms) and keeps its best, the least disturbed
 * by other processes; the peak is the sum of the threads' bests. (Timing
 * the whole team instead would charge every thread for the one that a busy
 * machine preempted.) */
static double nnb_peak_best(const nnb_peak_kernel *k, int threads)
{
    long reps = 1 << 12;
    double total = 0.0;
    while (reps < (1L << 30)) {             /* size a run to >= 2 ms       */
        double t0 = nnb_peak_now();
        nnb_sink = k->fn(reps);
        if (nnb_peak_now() - t0 > 0.002) break;
        reps *= 2;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total)
    total += nnb_peak_thread(k, reps, 40);
#else
    (void)threads;
    total = nnb_peak_thread(k, reps, 40);
#endif
    return total;
}

#endif /* NN_BENCH_PEAK_H */
