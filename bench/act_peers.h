/* bench/act_peers.h - other libraries' vector expf / tanhf, for the
 * activation benchmarks (bench/bench_act.c) and their accuracy
 * (bench/act_peers_ulp.c): glibc's libmvec (-lmvec) and SLEEF 3.5 u10
 * (-lsleef, Debian libsleef-dev), each as its AVX-512 (16 lanes) and AVX2
 * (8 lanes) entry point, plus a sigmoid built on each one's exp as
 * 1 / (1 + exp(-x)) (what a user of the library would write). nn.h itself
 * never depends on any of them. */
#ifndef NN_BENCH_ACT_PEERS_H
#define NN_BENCH_ACT_PEERS_H

#include <stddef.h>

/* y = f(x) over n floats: a peer's loop, or a kernel table's (bench.h) */
typedef void (*nnb_vec_fn)(size_t n, const float *x, float *y);
typedef struct nnb_act_peer {
    const char *name;       /* row label: "glibc-avx512", "sleef-avx2", ...  */
    const char *what;       /* the entry points, for the notes              */
    nnb_vec_fn exp, tanh, sigmoid;
} nnb_act_peer;

/* The peers this CPU can run (best ISA first); returns how many (<= 4). */
int nnb_act_peers(const nnb_act_peer *out[4]);

#endif /* NN_BENCH_ACT_PEERS_H */
