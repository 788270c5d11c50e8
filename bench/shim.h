/* bench/shim.h - a C interface to Google Benchmark (bench/shim.cc).
 *
 * The benchmarks of nn.h are written in C; this header is all they see of
 * Google Benchmark. A benchmark is a C function taking the run state and a
 * user pointer; it sets up, loops `while (nnb_keep_running(st))` over the
 * timed work, then sets counters. Every benchmark is timed in real (wall)
 * time, because the interesting ones run OpenMP threads.
 *
 *     static void bm(nnb_state *st, void *user) {
 *         setup(user);
 *         while (nnb_keep_running(st)) work(user);
 *         nnb_counter(st, "FLOP/s", flops_per_call, NNB_ITER_INVARIANT_RATE);
 *     }
 *     nnb_register("name/of/it", bm, user);
 *     return nnb_main(argc, argv);
 */
#ifndef NN_BENCH_SHIM_H
#define NN_BENCH_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nnb_state nnb_state;   /* a benchmark::State               */
typedef struct nnb_bench nnb_bench;   /* a registered benchmark           */
typedef void (*nnb_fn)(nnb_state *st, void *user);

/* How a counter is reported (benchmark::Counter flags). */
typedef enum nnb_counter_kind {
    NNB_PLAIN = 0,             /* value as set                             */
    NNB_RATE,                  /* value / elapsed seconds                  */
    NNB_ITER_INVARIANT,        /* value * iterations                       */
    NNB_ITER_INVARIANT_RATE,   /* value * iterations / seconds: per-call
                                  amount -> per-second rate (FLOP/s)      */
    NNB_AVG_ITERATIONS         /* value / iterations                       */
} nnb_counter_kind;

/* Register fn under name (copied); user is passed back untouched and must
 * outlive the run. Returns a handle for the options below. */
nnb_bench *nnb_register(const char *name, nnb_fn fn, void *user);
void nnb_bench_min_time(nnb_bench *b, double seconds);

/* Inside a benchmark. */
int     nnb_keep_running(nnb_state *st);   /* the timed loop's condition  */
int64_t nnb_iterations(const nnb_state *st);
void    nnb_pause_timing(nnb_state *st);
void    nnb_resume_timing(nnb_state *st);
void    nnb_counter(nnb_state *st, const char *name, double value,
                    nnb_counter_kind kind);
void    nnb_items_processed(nnb_state *st, int64_t items);  /* in total   */
void    nnb_bytes_processed(nnb_state *st, int64_t bytes);  /* in total   */
void    nnb_label(nnb_state *st, const char *label);
/* Mark the run skipped with a message (shown in the console and JSON as
 * error_message); call before the loop and return without looping. */
void    nnb_skip(nnb_state *st, const char *message);

/* A key/value pair for the "context" object of the JSON report. */
void nnb_context(const char *key, const char *value);

/* Run what is registered: parses Google Benchmark's --benchmark_* flags
 * from argv (and rejects any other), prints, writes the JSON file if asked.
 * Returns the process exit status. */
int nnb_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* NN_BENCH_SHIM_H */
