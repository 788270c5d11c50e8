/* bench/bench_common.c - utilities, the FMA peak, the peers (dlopen). */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "peak.h"

nnb_config nnb_cfg;

/* ======================================================================== */
/* utilities                                                                */
/* ======================================================================== */

double nnb_now(void) { return nnb_peak_now(); }

float *nnb_alloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float)) != 0) {
        fprintf(stderr, "nn_bench: out of memory (%zu floats)\n", n);
        exit(1);
    }
    return (float *)p;
}

void nnb_free(float *p) { free(p); }

void nnb_fill(float *x, size_t n, float lo, float hi, uint64_t seed)
{
    nn_rng r;
    size_t i;
    nn_rng_seed(&r, seed, 7);
    for (i = 0; i < n; i++) x[i] = lo + (hi - lo) * nn_rng_uniform(&r);
}

void nnb_set_threads(int t)
{
#ifdef _OPENMP
    omp_set_num_threads(t);
#else
    (void)t;
#endif
}

int nnb_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

int nnb_isas(nn_isa out[NN_ISA_COUNT])
{
    int i, n = 0;
    for (i = NN_ISA_COUNT - 1; i >= NN_ISA_SCALAR; i--) {
        if (!nn_isa_supported((nn_isa)i)) continue;
        out[n++] = (nn_isa)i;
        if (nnb_cfg.best_isa_only) break;
    }
    return n;
}

/* ======================================================================== */
/* peak: independent FMA chains                                             */
/* ======================================================================== */
#define NNB_MAX_T 2                 /* thread counts measured: 1 .. 2      */
static double nnb_peak_table[NN_ISA_COUNT][NNB_MAX_T + 1];

void nnb_peak_measure(void)
{
    const nnb_peak_kernel *k;
    char key[64], val[64];
    int t;
    for (k = nnb_peak_kernels; k->fn; k++) {
        if (!nn_isa_supported(k->id)) continue;
        for (t = 1; t <= NNB_MAX_T && t <= nnb_max_threads(); t++) {
            nnb_peak_table[k->id][t] = nnb_peak_best(k, t);
            sprintf(key, "peak_gflops_%s_t%d", k->isa, t);
            sprintf(val, "%.1f", nnb_peak_table[k->id][t] * 1e-9);
            nnb_context(key, val);
            fprintf(stderr, "nn_bench: FP32 FMA peak %-6s %d thread%s: %7.1f GFLOP/s\n",
                    k->isa, t, t > 1 ? "s" : " ", nnb_peak_table[k->id][t] * 1e-9);
        }
    }
    if (nnb_peak(2) > 0.0 && nnb_peak(2) < 1.8 * nnb_peak(1))
        fprintf(stderr, "nn_bench: warning: 2 threads reach only %.2fx the 1-thread peak: "
                "another process is using the CPU; %% of peak and 2-thread figures "
                "will be unreliable\n", nnb_peak(2) / nnb_peak(1));
    for (t = 1; t <= NNB_MAX_T; t++) {
        sprintf(key, "peak_gflops_t%d", t);
        sprintf(val, "%.1f", nnb_peak(t) * 1e-9);
        nnb_context(key, val);
    }
}

double nnb_peak(int threads)
{
    double best = 0.0;
    int i;
    if (threads < 1 || threads > NNB_MAX_T) return 0.0;
    for (i = 0; i < NN_ISA_COUNT; i++)
        if (nnb_peak_table[i][threads] > best) best = nnb_peak_table[i][threads];
    return best;
}

void nnb_flops(nnb_state *st, double flops_per_call, int threads)
{
    double peak = nnb_peak(threads);
    nnb_counter(st, "FLOP/s", flops_per_call, NNB_ITER_INVARIANT_RATE);
    if (peak > 0.0)
        nnb_counter(st, "%peak", flops_per_call * 100.0 / peak,
                    NNB_ITER_INVARIANT_RATE);
}

/* The peak as benchmark rows too, so the JSON holds it per ISA/threads. */
typedef struct nnb_peak_case { const nnb_peak_kernel *k; int threads; } nnb_peak_case;

static void nnb_bm_peak(nnb_state *st, void *user)
{
    const nnb_peak_case *c = (const nnb_peak_case *)user;
    long reps = 1 << 18;
    double sum = 0.0;
    while (nnb_keep_running(st)) {
#ifdef _OPENMP
#pragma omp parallel num_threads(c->threads) reduction(+ : sum)
#endif
        sum += c->k->fn(reps);
    }
    nnb_sink = sum;
    nnb_flops(st, c->k->flops_per_rep * (double)reps * c->threads, c->threads);
}

void nnb_register_peak(void)
{
    const nnb_peak_kernel *k;
    char name[64];
    int t;
    for (k = nnb_peak_kernels; k->fn; k++) {
        if (!nn_isa_supported(k->id)) continue;
        for (t = 1; t <= NNB_MAX_T && t <= nnb_max_threads(); t++) {
            nnb_peak_case *c = (nnb_peak_case *)malloc(sizeof *c);
            c->k = k; c->threads = t;
            sprintf(name, "peak/fma/%s/t%d", k->isa, t);
            nnb_register(name, nnb_bm_peak, c);
        }
    }
}

/* ======================================================================== */
/* peers                                                                    */
/* ======================================================================== */

#if defined(__x86_64__)
#define NNB_MULTIARCH "/usr/lib/x86_64-linux-gnu/"
#elif defined(__aarch64__)
#define NNB_MULTIARCH "/usr/lib/aarch64-linux-gnu/"
#else
#define NNB_MULTIARCH "/usr/lib/"
#endif

static nnb_peer nnb_peers[2];
static int nnb_npeers;
static double nnb_spin_until;       /* a peer's workers may spin until then */

/* dlopen the first candidate that loads (env override first). */
static void *nnb_dlopen_first(const char *env, const char *const *paths,
                              char *found, size_t found_size)
{
    const char *e = getenv(env);
    void *h;
    int i;
    if (e && *e) {
        h = dlopen(e, RTLD_NOW | RTLD_LOCAL);
        if (h) snprintf(found, found_size, "%s", e);
        else fprintf(stderr, "nn_bench: %s=%s does not load: %s\n", env, e, dlerror());
        return h;
    }
    for (i = 0; paths[i]; i++) {
        h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL);
        if (h) {
            snprintf(found, found_size, "%s", paths[i]);
            return h;
        }
    }
    return NULL;
}

/* dlsym into a function pointer without the object/function cast warning. */
static int nnb_sym(void *h, const char *name, void *fnptr, size_t size)
{
    void *s = dlsym(h, name);
    if (!s) return 0;
    memcpy(fnptr, &s, size);
    return 1;
}

/* Names of a peer row and its ratio counter in nn.h's rows. */
static void nnb_peer_name(nnb_peer *p, const char *lib, int mode)
{
    const char *suffix = mode == NNB_PEERS_FORCED ? "-forced" : "";
    snprintf(p->name, sizeof p->name, "%s%s", lib, suffix);
    snprintf(p->counter, sizeof p->counter, "x_%s%s", lib, suffix);
}

static void (*nnb_openblas_threads_fn)(int);
static void nnb_openblas_threads(int t) { nnb_openblas_threads_fn(t); }
static void (*nnb_blis_threads_fn)(long);
static void nnb_blis_threads(int t) { nnb_blis_threads_fn((long)t); }

static void nnb_load_openblas(int mode)
{
    static const char *const paths[] = {
        NNB_MULTIARCH "openblas-pthread/libopenblas.so.0",
        NNB_MULTIARCH "openblas-openmp/libopenblas.so.0",
        NNB_MULTIARCH "openblas-serial/libopenblas.so.0",
        "libopenblas.so.0", NULL };
    const char *forced = NULL;
    char path[256], ctx[400];
    char *(*corename)(void) = NULL;
    nnb_peer *p = &nnb_peers[nnb_npeers];
    void *h;
    if (mode == NNB_PEERS_FORCED) {
        /* Must be in the environment before the library's constructor. */
        const char *e = getenv("OPENBLAS_CORETYPE");
        if (e && *e) forced = e;
        else if (nn_isa_supported(NN_ISA_AVX512)) forced = "SkylakeX";
        else if (nn_isa_supported(NN_ISA_AVX2)) forced = "Haswell";
        if (forced) setenv("OPENBLAS_CORETYPE", forced, 1);
    }
    h = nnb_dlopen_first("NN_BENCH_OPENBLAS", paths, path, sizeof path);
    if (!h) {
        fprintf(stderr, "nn_bench: notice: OpenBLAS not found (Debian: apt-get install "
                "libopenblas0-pthread); skipping it\n");
        return;
    }
    if (!nnb_sym(h, "cblas_sgemm", &p->sgemm, sizeof p->sgemm) ||
        !nnb_sym(h, "openblas_set_num_threads", &nnb_openblas_threads_fn,
                 sizeof nnb_openblas_threads_fn)) {
        fprintf(stderr, "nn_bench: notice: %s lacks a required symbol; skipping it\n", path);
        return;
    }
    (void)nnb_sym(h, "openblas_get_corename", &corename, sizeof corename);
    p->set_threads = nnb_openblas_threads;
    p->multithread_spins = 1;
    nnb_peer_name(p, "openblas", mode);
    snprintf(p->label, sizeof p->label, "%s (%s)", corename ? corename() : "?",
             forced ? "OPENBLAS_CORETYPE" : "auto-detected");
    snprintf(ctx, sizeof ctx, "%s: %s, %s", p->name, p->label, path);
    nnb_context("peer_openblas", ctx);
    nnb_npeers++;
}

/* Does BLIS run with BLIS_ARCH_TYPE as now set? A sub-configuration that
 * was not compiled in makes BLIS abort, so try it in a child process. */
static int nnb_blis_probe(void (*init)(void), nnb_cblas_sgemm_fn sgemm)
{
    int status = 0;
    pid_t pid;
    fflush(NULL);
    pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        float a = 1.0f, b = 2.0f, c = 0.0f;
        if (!freopen("/dev/null", "w", stderr)) _exit(1);
        init();
        nnb_blis_threads_fn(1);
        sgemm(101, 111, 111, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);
        _exit(c == 2.0f ? 0 : 1);
    }
    if (waitpid(pid, &status, 0) != pid) return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void nnb_load_blis(int mode)
{
    static const char *const paths[] = {
        NNB_MULTIARCH "blis-openmp/libblis.so.4",
        NNB_MULTIARCH "blis-pthread/libblis.so.4",
        NNB_MULTIARCH "blis-serial/libblis.so.4",
        "libblis.so.4", NULL };
    char path[256], ctx[400], idbuf[16];
    const char *forced = NULL;
    const char *(*arch_string)(int) = NULL;
    int (*arch_query)(void) = NULL;
    void (*init)(void) = NULL;
    nnb_peer *p = &nnb_peers[nnb_npeers];
    void *h = nnb_dlopen_first("NN_BENCH_BLIS", paths, path, sizeof path);
    if (!h) {
        fprintf(stderr, "nn_bench: notice: BLIS not found (Debian: apt-get install "
                "libblis4-openmp); skipping it\n");
        return;
    }
    if (!nnb_sym(h, "cblas_sgemm", &p->sgemm, sizeof p->sgemm) ||
        !nnb_sym(h, "bli_thread_set_num_threads", &nnb_blis_threads_fn,
                 sizeof nnb_blis_threads_fn) ||
        !nnb_sym(h, "bli_init", &init, sizeof init)) {
        fprintf(stderr, "nn_bench: notice: %s lacks a required symbol; skipping it\n", path);
        return;
    }
    (void)nnb_sym(h, "bli_arch_string", &arch_string, sizeof arch_string);
    (void)nnb_sym(h, "bli_arch_query_id", &arch_query, sizeof arch_query);
    if (mode == NNB_PEERS_FORCED) {
        /* BLIS_ARCH_TYPE is a numeric arch_t id, read once at bli_init();
         * the id is found by name (ids differ between versions) and tried in
         * a child first (an id that is not compiled in aborts). */
        const char *e = getenv("BLIS_ARCH_TYPE");
        const char *want = nn_isa_supported(NN_ISA_AVX512) ? "skx"
                         : nn_isa_supported(NN_ISA_AVX2) ? "haswell" : NULL;
        int i;
        if (e && *e) forced = e;
        else if (want && arch_string) {
            for (i = 0; i < 64; i++) {
                const char *s = arch_string(i);
                if (!s) break;
                if (strcmp(s, want) == 0) {
                    sprintf(idbuf, "%d", i);
                    setenv("BLIS_ARCH_TYPE", idbuf, 1);
                    forced = idbuf;
                    if (!nnb_blis_probe(init, p->sgemm)) {
                        fprintf(stderr, "nn_bench: notice: this BLIS lacks its %s kernels; "
                                "blis-forced runs what it detects\n", want);
                        unsetenv("BLIS_ARCH_TYPE");
                        forced = NULL;
                    }
                    break;
                }
            }
        }
    }
    init();
    p->set_threads = nnb_blis_threads;
    p->multithread_spins = 0;       /* OpenMP: shares nn.h's libgomp pool */
    nnb_peer_name(p, "blis", mode);
    snprintf(p->label, sizeof p->label, "%s (%s)",
             arch_string && arch_query ? arch_string(arch_query()) : "?",
             forced ? "BLIS_ARCH_TYPE" : "auto-detected");
    snprintf(ctx, sizeof ctx, "%s: %s, %s", p->name, p->label, path);
    nnb_context("peer_blis", ctx);
    nnb_npeers++;
}

void nnb_peers_load(int mode)
{
    int i;
    if (mode == NNB_PEERS_NONE) return;
    nnb_load_openblas(mode);
    nnb_load_blis(mode);
    for (i = 0; i < nnb_npeers; i++)
        fprintf(stderr, "nn_bench: peer %-16s %s\n", nnb_peers[i].name, nnb_peers[i].label);
}

int nnb_peer_count(void) { return nnb_npeers; }
const nnb_peer *nnb_peer_get(int i) { return i >= 0 && i < nnb_npeers ? &nnb_peers[i] : NULL; }

void nnb_peer_ran(const nnb_peer *p, int threads)
{
    /* OpenBLAS's pthread workers busy-wait ~2^28 cycles (~0.1 s) after a
     * call before sleeping: on 2 cores they would steal nn.h's second
     * thread. Remember when they are asleep again. */
    if (p->multithread_spins && threads > 1) nnb_spin_until = nnb_now() + 0.25;
}

void nnb_peer_settle(void)
{
    double wait = nnb_spin_until - nnb_now();
    if (wait > 0) {
        struct timespec ts;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(wait * 1e9);
        nanosleep(&ts, NULL);
    }
}

/* ======================================================================== */
/* timing cache                                                             */
/* ======================================================================== */

typedef struct nnb_cache_entry { char key[128]; double seconds; } nnb_cache_entry;
static nnb_cache_entry *nnb_cache;
static int nnb_cache_n, nnb_cache_cap;

void nnb_cache_put(const char *key, double seconds)
{
    int i;
    for (i = 0; i < nnb_cache_n; i++)
        if (strcmp(nnb_cache[i].key, key) == 0) { nnb_cache[i].seconds = seconds; return; }
    if (nnb_cache_n == nnb_cache_cap) {
        nnb_cache_cap = nnb_cache_cap ? 2 * nnb_cache_cap : 256;
        nnb_cache = (nnb_cache_entry *)realloc(nnb_cache, (size_t)nnb_cache_cap * sizeof *nnb_cache);
        if (!nnb_cache) { fprintf(stderr, "nn_bench: out of memory\n"); exit(1); }
    }
    snprintf(nnb_cache[nnb_cache_n].key, sizeof nnb_cache[0].key, "%s", key);
    nnb_cache[nnb_cache_n++].seconds = seconds;
}

double nnb_cache_get(const char *key)
{
    int i;
    for (i = 0; i < nnb_cache_n; i++)
        if (strcmp(nnb_cache[i].key, key) == 0) return nnb_cache[i].seconds;
    return 0.0;
}

double nnb_time_call(void (*fn)(void *), void *arg, double min_seconds)
{
    double best = 1e300, t0, dt;
    long reps = 1, r;
    int round;
    fn(arg);                                    /* warm caches, threads  */
    for (round = 0; round < 5; round++) {
        for (;;) {
            t0 = nnb_now();
            for (r = 0; r < reps; r++) fn(arg);
            dt = nnb_now() - t0;
            if (dt >= min_seconds / 5 || reps > (1L << 24)) break;
            reps *= 2;
        }
        if (dt / (double)reps < best) best = dt / (double)reps;
    }
    return best;
}
