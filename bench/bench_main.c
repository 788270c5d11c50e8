/* bench/bench_main.c - the nn_bench program.
 *
 *   nn_bench [--quick] [--peers=auto|forced|none] [--isas=all|best]
 *            [--only=peak,gemm,act,net] [--benchmark_* flags...]
 *
 * --quick       the `make bench` subset (default: everything)
 * --peers=auto  OpenBLAS and BLIS as a user gets them (default)
 * --peers=forced  the same libraries forced to their best kernels for this
 *               CPU (OPENBLAS_CORETYPE, BLIS_ARCH_TYPE; both are read once
 *               when a library initializes, so one mode per process)
 * --isas=best   nn.h on its best ISA only (default: every ISA it supports)
 * Environment: NN_BENCH_OPENBLAS, NN_BENCH_BLIS = a library path to load.
 */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_args(int *argc, char **argv)
{
    int i, j = 1;
    nnb_cfg.peer_mode = NNB_PEERS_AUTO;
    nnb_cfg.gemm = nnb_cfg.act = nnb_cfg.net = nnb_cfg.peak = 1;
    for (i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) nnb_cfg.quick = 1;
        else if (strcmp(a, "--peers=auto") == 0) nnb_cfg.peer_mode = NNB_PEERS_AUTO;
        else if (strcmp(a, "--peers=forced") == 0) nnb_cfg.peer_mode = NNB_PEERS_FORCED;
        else if (strcmp(a, "--peers=none") == 0) nnb_cfg.peer_mode = NNB_PEERS_NONE;
        else if (strcmp(a, "--isas=best") == 0) nnb_cfg.best_isa_only = 1;
        else if (strcmp(a, "--isas=all") == 0) nnb_cfg.best_isa_only = 0;
        else if (strncmp(a, "--only=", 7) == 0) {
            const char *s = a + 7;
            nnb_cfg.peak = strstr(s, "peak") != NULL;
            nnb_cfg.gemm = strstr(s, "gemm") != NULL;
            nnb_cfg.act = strstr(s, "act") != NULL;
            nnb_cfg.net = strstr(s, "net") != NULL;
        } else if (strncmp(a, "--benchmark_", 12) == 0) {
            argv[j++] = argv[i];                /* Google Benchmark's      */
        } else {
            fprintf(stderr, "nn_bench: unknown argument %s (see bench/bench_main.c)\n", a);
            return 0;
        }
    }
    argv[j] = NULL;
    *argc = j;
    return 1;
}

static void add_context(void)
{
    const nn_cpu_info *cpu = nn_cpu_info_get();
    char buf[256];
    const char *name;
    int i, mr, nr, mc, kc, nc;
    nnb_context("cpu_model", cpu->brand[0] ? cpu->brand : cpu->vendor);
    nnb_context("nn_version", NN_VERSION_STRING);
    nnb_context("nn_isa_auto", nn_isa_name(nn_isa_get()));
    sprintf(buf, "%d", nnb_max_threads());
    nnb_context("threads_max", buf);
    nnb_context("threads_measured", nnb_max_threads() >= 2 ? "1,2" : "1");
    nnb_context("bench_mode", nnb_cfg.quick ? "quick" : "full");
    nnb_context("peer_mode", nnb_cfg.peer_mode == NNB_PEERS_FORCED ? "forced"
                           : nnb_cfg.peer_mode == NNB_PEERS_AUTO ? "auto" : "none");
    sprintf(buf, "L1d %ld, L2 %ld, L3 %ld bytes", cpu->l1d, cpu->l2, cpu->l3);
    nnb_context("nn_caches", buf);
    for (i = NN_ISA_SCALAR; i < NN_ISA_COUNT; i++) {
        char key[48];
        if (!nnb_kernel_fields((nn_isa)i, &name, &mr, &nr, &mc, &kc, &nc)) continue;
        sprintf(key, "blocks_%s", nn_isa_name((nn_isa)i));
        sprintf(buf, "%s mr=%d nr=%d mc=%d kc=%d nc=%d", name, mr, nr, mc, kc, nc);
        nnb_context(key, buf);
    }
#if defined(__clang__)
    sprintf(buf, "clang %d.%d", __clang_major__, __clang_minor__);
#elif defined(__GNUC__)
    sprintf(buf, "gcc %d.%d", __GNUC__, __GNUC_MINOR__);
#else
    strcpy(buf, "unknown");
#endif
    nnb_context("compiler", buf);
}

/* Other processes on the CPUs skew every figure (and collapse spin-waiting
 * thread teams): say so up front. Linux only; elsewhere silent. */
static void warn_if_busy(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double load1 = 0.0;
    if (!f) return;
    if (fscanf(f, "%lf", &load1) == 1 && load1 > 0.5)
        fprintf(stderr, "nn_bench: warning: load average %.2f before starting: other "
                "processes are running; figures will be low and noisy (try "
                "NNB_FLAGS=--benchmark_repetitions=3; tables take the best; "
                "tools/compare_bench --cpu-time). Spinning OpenMP teams (nn.h, BLIS) "
                "collapse when a CPU is taken: OMP_WAIT_POLICY=passive measures what "
                "a shared machine gives\n", load1);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (!parse_args(&argc, argv)) return 2;
    warn_if_busy();
    add_context();
    nnb_peak_measure();                 /* the "% of peak" denominator     */
    nnb_peers_load(nnb_cfg.peer_mode);
    if (nnb_cfg.peak) nnb_register_peak();
    if (nnb_cfg.gemm) nnb_register_gemm();
    if (nnb_cfg.act) nnb_register_act();
    if (nnb_cfg.net) nnb_register_net();
    return nnb_main(argc, argv);
}
