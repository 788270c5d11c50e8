/* tools/cpu_report.c - what nn.h sees on this CPU: the first thing to attach
 * when comparing benchmark results across machines.
 *
 *   make cpu-report          (or: build/cpu_report)
 *
 * Prints the CPU model, each feature nn.h's dispatch looks at with the
 * cpuid/xgetbv bit it comes from, which ISAs are usable and why (or why
 * not), the kernel table chosen (NN_ISA in the environment forces one), the
 * caches, every table's register tile and cache blocks, and the FP32 FMA
 * peak measured here with the benchmarks' own kernel (bench/peak.h).
 */
#define _POSIX_C_SOURCE 200809L
#define NN_IMPLEMENTATION
#include "../nn.h"
#include "../bench/peak.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct feature {
    const char *name, *source;
    int (*get)(const nn_cpu_info *c);
    int x86;                    /* an x86 feature (else aarch64)           */
} feature;

#define NNR_FEATURE(field) \
    static int get_##field(const nn_cpu_info *c) { return c->field; }
NNR_FEATURE(sse2)
NNR_FEATURE(avx)
NNR_FEATURE(fma)
NNR_FEATURE(avx2)
NNR_FEATURE(avx512f)
NNR_FEATURE(avx512dq)
NNR_FEATURE(avx512bw)
NNR_FEATURE(avx512vl)
NNR_FEATURE(os_ymm)
NNR_FEATURE(os_zmm)
NNR_FEATURE(neon)

static const feature features[] = {
    { "sse2", "cpuid(1).edx bit 26", get_sse2, 1 },
    { "avx", "cpuid(1).ecx bit 28", get_avx, 1 },
    { "fma", "cpuid(1).ecx bit 12", get_fma, 1 },
    { "avx2", "cpuid(7,0).ebx bit 5", get_avx2, 1 },
    { "avx512f", "cpuid(7,0).ebx bit 16", get_avx512f, 1 },
    { "avx512dq", "cpuid(7,0).ebx bit 17", get_avx512dq, 1 },
    { "avx512bw", "cpuid(7,0).ebx bit 30", get_avx512bw, 1 },
    { "avx512vl", "cpuid(7,0).ebx bit 31", get_avx512vl, 1 },
    { "os_ymm", "xgetbv(0) XCR0 bits 1,2 (OS saves XMM+YMM; needs cpuid(1).ecx bit 27 OSXSAVE)", get_os_ymm, 1 },
    { "os_zmm", "xgetbv(0) XCR0 bits 1,2,5,6,7 (+ opmask, ZMM_Hi256, Hi16_ZMM)", get_os_zmm, 1 },
    { "neon", "baseline on aarch64", get_neon, 0 },
};

/* What each ISA table needs, as in nn.h's dispatch (section 2.2). */
static const char *const needs[NN_ISA_COUNT][10] = {
    { NULL },
    { NULL },                                                   /* scalar */
    { "avx", "avx2", "fma", "os_ymm", NULL },                   /* avx2   */
    { "avx2", "fma", "os_ymm", "avx512f", "avx512bw", "avx512dq",
      "avx512vl", "os_zmm", NULL },                             /* avx512 */
    { "neon", NULL },                                           /* neon   */
};

static int has(const nn_cpu_info *c, const char *name)
{
    size_t i;
    for (i = 0; i < sizeof features / sizeof features[0]; i++)
        if (strcmp(features[i].name, name) == 0) return features[i].get(c);
    return 0;
}

static void print_size(const char *what, long bytes)
{
    if (bytes <= 0) printf("  %-4s unknown\n", what);
    else if (bytes >= 1024L * 1024) printf("  %-4s %ld MiB\n", what, bytes / (1024L * 1024));
    else printf("  %-4s %ld KiB\n", what, bytes / 1024);
}

int main(void)
{
    const nn_cpu_info *c = nn_cpu_info_get();
    const nnb_peak_kernel *k;
    const char *env = getenv("NN_ISA");
    size_t i;
    int isa, t, max_t;

    printf("nn.h %s CPU report\n\n", NN_VERSION_STRING);
    printf("CPU      %s\n", c->brand[0] ? c->brand : "(no brand string)");
    printf("vendor   %s\n", c->vendor[0] ? c->vendor : "?");
    if (c->family)
        printf("family   %d, model %d, stepping %d\n", c->family, c->model, c->stepping);
    printf("logical  %d CPU%s visible to OpenMP%s\n\n", c->logical_cpus,
           c->logical_cpus == 1 ? "" : "s",
#ifdef _OPENMP
           ""
#else
           " (built without -fopenmp: 1)"
#endif
    );

    printf("Features nn.h's dispatch reads (nn_cpu_info_get):\n");
    for (i = 0; i < sizeof features / sizeof features[0]; i++)
        if (features[i].x86 == (c->neon == 0))
            printf("  %-9s %-3s  %s\n", features[i].name, features[i].get(c) ? "yes" : "no",
               features[i].source);

    printf("\nISA tables (usable = compiled in and every feature it needs present):\n");
    for (isa = NN_ISA_SCALAR; isa < NN_ISA_COUNT; isa++) {
        const char *const *n = needs[isa];
        printf("  %-7s %-3s ", nn_isa_name((nn_isa)isa),
               nn_isa_supported((nn_isa)isa) ? "yes" : "no");
        if (!n[0]) printf("always");
        else {
            int missing = 0, j;
            for (j = 0; n[j]; j++)
                if (!has(c, n[j])) printf("%s %s", missing++ ? "," : "missing", n[j]);
            if (!missing) {
                printf("has");
                for (j = 0; n[j]; j++) printf(" %s", n[j]);
                if (!nn_isa_supported((nn_isa)isa)) printf(" (not compiled in)");
            }
        }
        printf("\n");
    }
    printf("\nKernel table chosen: %s", nn_isa_name(nn_isa_get()));
    if (env && *env) printf(" (NN_ISA=%s in the environment)", env);
    else printf(" (best usable; NN_ISA=scalar|avx2|avx512|neon forces one)");
    printf("\n\nCaches (as nn.h sizes its blocks; NN_CACHE_L1/NN_CACHE_L2 override):\n");
    print_size("L1d", c->l1d);
    print_size("L2", c->l2);
    print_size("L3", c->l3);

    printf("\nGEMM blocking per table (micro-tile mr x nr; A block mc x kc in L2,"
           " B panel kc x nc in L3):\n");
    printf("  %-7s %4s %4s %6s %6s %6s\n", "table", "mr", "nr", "mc", "kc", "nc");
    for (isa = NN_ISA_SCALAR; isa < NN_ISA_COUNT; isa++) {
        const nn_kernels *kt = nn_kernels_for((nn_isa)isa);
        if (!kt) continue;
        printf("  %-7s %4d %4d %6d %6d %6d\n", kt->name, kt->mr, kt->nr, kt->mc, kt->kc, kt->nc);
    }

    max_t = c->logical_cpus > 1 ? c->logical_cpus : 1;
    printf("\nMeasured FP32 FMA peak (independent FMA chains, each thread's best of 40 runs, summed):\n");
    for (k = nnb_peak_kernels; k->fn; k++) {
        if (!nn_isa_supported(k->id)) continue;
        for (t = 1; t <= max_t; t = t == 1 && max_t > 1 ? max_t : max_t + 1) {
            double f = nnb_peak_best(k, t);             /* 1, then all   */
            printf("  %-7s %2d thread%s %8.1f GFLOP/s  (%.1f per thread)\n", k->isa, t,
                   t == 1 ? " " : "s", f * 1e-9, f * 1e-9 / t);
        }
    }
    if (!nnb_peak_kernels[0].fn) printf("  (no SIMD peak kernel for this architecture)\n");
    (void)nnb_sink;
    return 0;
}
