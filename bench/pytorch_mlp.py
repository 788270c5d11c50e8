#!/usr/bin/python3
"""PyTorch side of the whole-network comparison (issue: training step vs PyTorch).

Runs the network of the nn.h network benchmarks in PyTorch on the CPU:
784-256-128-10, ReLU, ReLU, softmax cross-entropy, SGD with momentum 0.9,
float32, with the same batch sizes and thread count, and prints samples/s
(median of repeats). With --nn-json FILE (Google Benchmark JSON from
build/bench, e.g. build/bench/full.json; rows named
'net/train/784-256-128-10/b128/<isa>/t<threads>'), it prints the ratio
nn.h / PyTorch per configuration, for nn.h's best ISA at --threads, and takes
the % of peak denominator from that file's measured peak.

Run it with Debian's python3 (python3-torch) and, for PyTorch's best
case on this machine, OPENBLAS_CORETYPE set to the best OpenBLAS kernel set:
    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/pytorch_mlp.py --threads 1
Flush-denormal is on (torch.set_flush_denormal), as nn.h sets FTZ/DAZ in a step.
"""
import argparse
import json
import os
import statistics
import sys
import time

# The thread count must reach the BLAS before it loads: OpenBLAS keeps its
# own pthread pool that torch.set_num_threads does not limit.
for _i, _a in enumerate(sys.argv):
    if _a == "--threads" and _i + 1 < len(sys.argv):
        for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[_v] = sys.argv[_i + 1]
    elif _a.startswith("--threads="):
        for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[_v] = _a.split("=", 1)[1]

try:
    import torch
except ImportError:
    print("pytorch_mlp: torch not importable; install Debian's python3-torch "
          "and run with /usr/bin/python3", file=sys.stderr)
    sys.exit(2)

SIZES = (784, 256, 128, 10)
# FLOPs per sample: forward 2*sum(in*out); weight gradients the same again;
# input gradients of layers 2 and 3 (the first layer's dX is never needed).
FWD = sum(2 * a * b for a, b in zip(SIZES[:-1], SIZES[1:]))
TRAIN = 2 * FWD + sum(2 * a * b for a, b in zip(SIZES[1:-1], SIZES[2:]))


def make_net(seed):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def time_it(fn, min_time, repeats):
    """Median over repeats of (calls per second), each repeat >= min_time."""
    fn()  # warm up
    rates = []
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= min_time:
                break
        rates.append(n / dt)
    return statistics.median(rates)


def bench_train(batch, seed, min_time, repeats):
    net = make_net(seed)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, SIZES[0], generator=g)
    y = torch.randint(0, SIZES[-1], (batch,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
    return time_it(step, min_time, repeats) * batch


def bench_infer(batch, seed, min_time, repeats):
    net = make_net(seed).eval()
    x = torch.randn(batch, SIZES[0], generator=torch.Generator().manual_seed(seed))

    def run():
        with torch.no_grad():
            torch.softmax(net(x), dim=1)
    return time_it(run, min_time, repeats) * batch


def nn_results(path, threads):
    """samples/s of nn.h's network benchmarks (best ISA, given thread count,
    best repetition) from a Google Benchmark JSON, and its measured peak."""
    with open(path) as f:
        data = json.load(f)
    ctx = data.get("context", {})
    isa = ctx.get("nn_isa_auto", "")
    peak = float(ctx.get("peak_gflops_t%d" % threads, 0) or 0)
    out = {}
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" or "items_per_second" not in b:
            continue
        parts = b["name"].split("/")   # net/kind/net/bN/isa/tN[/real_time]
        if len(parts) < 6 or parts[0] != "net" or parts[4] != isa or parts[5] != "t%d" % threads:
            continue
        if parts[2] != "-".join(str(s) for s in SIZES):   # the same network only
            continue
        key = (parts[1], int(parts[3][1:]))
        out[key] = max(out.get(key, 0.0), b["items_per_second"])
    return out, peak


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)  # also read before torch loads
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--nn-json", help="Google Benchmark JSON of nn.h's network benchmarks")
    ap.add_argument("--peak", type=float, default=0.0, help="FP32 peak GFLOP/s for %% of peak")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    print(f"# PyTorch {torch.__version__}, threads={a.threads}, seed={a.seed}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(auto)')}, flush_denormal=on")
    rows = []
    for batch in (1, 32, 128):
        rows.append(("train", batch, bench_train(batch, a.seed, a.min_time, a.repeats), TRAIN))
    for batch in (1, 1024):
        rows.append(("infer", batch, bench_infer(batch, a.seed, a.min_time, a.repeats), FWD))
    ours, json_peak = nn_results(a.nn_json, a.threads) if a.nn_json else ({}, 0.0)
    if not a.peak:
        a.peak = json_peak
    print("| what | batch | PyTorch samples/s | nn.h samples/s | nn.h / PyTorch | nn.h % of peak |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, batch, sps, flops in rows:
        mine = ours.get((kind, batch))
        ratio = f"{mine / sps:.2f}x" if mine else "-"
        pct = f"{100 * mine * flops / (a.peak * 1e9):.0f}%" if (mine and a.peak) else "-"
        mine_s = f"{mine:,.0f}" if mine else "-"
        print(f"| {kind} | {batch} | {sps:,.0f} | {mine_s} | {ratio} | {pct} |")
    lat = [r for r in rows if r[0] == "infer" and r[1] == 1][0][2]
    print(f"# PyTorch inference latency at batch 1: {1e6 / lat:.1f} us")


if __name__ == "__main__":
    main()
