/* bench/bench.h - what the nn.h benchmarks share (bench/bench_common.c).
 *
 * Every "% of peak" counter divides by the FP32 peak measured at start-up
 * (independent FMA chains, bench/bench_common.c), for the thread count of
 * the benchmark, on the best ISA this CPU has; the peak is written into the
 * JSON context. Peers (OpenBLAS, BLIS) are loaded with dlopen when present.
 */
#ifndef NN_BENCH_H
#define NN_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include "shim.h"
#include "../nn.h"
#include "act_peers.h"                 /* nnb_vec_fn */

/* ---- configuration from the command line (bench_main.c) ---------------- */
enum { NNB_PEERS_NONE = 0, NNB_PEERS_AUTO, NNB_PEERS_FORCED };
typedef struct nnb_config {
    int quick;          /* the `make bench` subset                          */
    int best_isa_only;  /* measure nn.h on its best ISA only                */
    int peer_mode;      /* NNB_PEERS_*                                      */
    int gemm, act, net, peak;   /* which groups to register                 */
} nnb_config;
extern nnb_config nnb_cfg;

/* ---- utilities ---------------------------------------------------------- */
double nnb_now(void);                           /* seconds, monotonic       */
float *nnb_alloc(size_t n);                     /* 64-byte aligned, or exit */
void   nnb_free(float *p);
void   nnb_fill(float *x, size_t n, float lo, float hi, uint64_t seed);
void   nnb_set_threads(int t);                  /* OpenMP threads for nn.h  */
int    nnb_max_threads(void);                   /* processors available     */
/* The ISAs to measure nn.h on (supported by this CPU; best first); n out. */
int    nnb_isas(nn_isa out[NN_ISA_COUNT]);
/* Kernel table fields (bench/nn_impl.c): 0 if the ISA has no table. */
int    nnb_kernel_fields(nn_isa isa, const char **name, int *mr, int *nr,
                         int *mc, int *kc, int *nc);
nnb_vec_fn nnb_exp_fn(nn_isa isa);              /* the ISA's vector exp     */

/* ---- peak --------------------------------------------------------------- */
void   nnb_peak_measure(void);            /* once, before any benchmark    */
double nnb_peak(int threads);             /* FLOP/s, best ISA, or 0        */
/* Sets "FLOP/s" and "%peak" from the FLOPs of one call. */
void   nnb_flops(nnb_state *st, double flops_per_call, int threads);

/* ---- peers: cblas_sgemm from OpenBLAS / BLIS ---------------------------- */
typedef void (*nnb_cblas_sgemm_fn)(int order, int ta, int tb, int m, int n,
                                   int k, float alpha, const float *a, int lda,
                                   const float *b, int ldb, float beta,
                                   float *c, int ldc);
typedef struct nnb_peer {
    char name[32];      /* row name: "openblas", "blis-forced", ...         */
    char counter[40];   /* ratio counter: "x_openblas" = t_peer / t_nn      */
    char label[96];     /* kernels it runs: "Cooperlake (auto-detected)"    */
    int multithread_spins;  /* its threads busy-wait after a call          */
    nnb_cblas_sgemm_fn sgemm;
    void (*set_threads)(int);
} nnb_peer;
void nnb_peers_load(int mode);      /* prints a notice for each one absent */
int  nnb_peer_count(void);
const nnb_peer *nnb_peer_get(int i);
/* Before timing nn.h: wait until a peer's spinning workers went to sleep. */
void nnb_peer_settle(void);
void nnb_peer_ran(const nnb_peer *p, int threads);   /* after a peer run   */

/* Seconds per call of a peer on a shape, shared between the peer's own row
 * and nn.h's rows (which report the ratio). key: shape + threads + peer.
 * The last time put wins: Google Benchmark's final run of the peer's row,
 * the run it reports, so the ratio matches the two rows' FLOP/s. */
void   nnb_cache_put(const char *key, double seconds);
double nnb_cache_get(const char *key);            /* 0 when not measured   */
/* Seconds per call of fn(arg), best of a few timed batches. */
double nnb_time_call(void (*fn)(void *), void *arg, double min_seconds);

/* ---- groups ------------------------------------------------------------- */
void nnb_register_peak(void);
void nnb_register_gemm(void);
void nnb_register_act(void);
void nnb_register_net(void);

#endif /* NN_BENCH_H */
