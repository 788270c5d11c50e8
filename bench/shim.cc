// bench/shim.cc - the one C++ file: bench/shim.h over Google Benchmark.
#include "shim.h"

#include <benchmark/benchmark.h>

#include <string>

namespace {

benchmark::State &S(nnb_state *st) { return *reinterpret_cast<benchmark::State *>(st); }
const benchmark::State &S(const nnb_state *st)
{
    return *reinterpret_cast<const benchmark::State *>(st);
}

benchmark::Counter::Flags flags_of(nnb_counter_kind k)
{
    switch (k) {
    case NNB_RATE: return benchmark::Counter::kIsRate;
    case NNB_ITER_INVARIANT: return benchmark::Counter::kIsIterationInvariant;
    case NNB_ITER_INVARIANT_RATE: return benchmark::Counter::kIsIterationInvariantRate;
    case NNB_AVG_ITERATIONS: return benchmark::Counter::kAvgIterations;
    case NNB_PLAIN: break;
    }
    return benchmark::Counter::kDefaults;
}

}  // namespace

extern "C" {

nnb_bench *nnb_register(const char *name, nnb_fn fn, void *user)
{
    benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
        name, [fn, user](benchmark::State &st) {
            fn(reinterpret_cast<nnb_state *>(&st), user);
        });
    b->UseRealTime();
    return reinterpret_cast<nnb_bench *>(b);
}

void nnb_bench_min_time(nnb_bench *b, double seconds)
{
    reinterpret_cast<benchmark::internal::Benchmark *>(b)->MinTime(seconds);
}

int nnb_keep_running(nnb_state *st) { return S(st).KeepRunning() ? 1 : 0; }
int64_t nnb_iterations(const nnb_state *st) { return (int64_t)S(st).iterations(); }
void nnb_pause_timing(nnb_state *st) { S(st).PauseTiming(); }
void nnb_resume_timing(nnb_state *st) { S(st).ResumeTiming(); }

void nnb_counter(nnb_state *st, const char *name, double value, nnb_counter_kind kind)
{
    S(st).counters[name] = benchmark::Counter(value, flags_of(kind));
}

void nnb_items_processed(nnb_state *st, int64_t items) { S(st).SetItemsProcessed(items); }
void nnb_bytes_processed(nnb_state *st, int64_t bytes) { S(st).SetBytesProcessed(bytes); }
void nnb_label(nnb_state *st, const char *label) { S(st).SetLabel(label); }
void nnb_skip(nnb_state *st, const char *message) { S(st).SkipWithError(message); }

void nnb_context(const char *key, const char *value)
{
    benchmark::AddCustomContext(key, value);
}

int nnb_main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

}  // extern "C"
