#!/usr/bin/env python3
"""Kernel time of `mproc stats` against numpy on the same array, in one run, next to the memory limit.

    python3 Benchmarks/stats_vs_numpy.py [--count 2^27] [--workers 2] [--runs 9] [--rounds 3]

Generates a float64 .npy (with `mproc gen`, under /tmp by default, deleted afterwards unless --keep),
then interleaves rounds of: the bandwidth probe (C, OpenMP, the physical limit), `mproc stats --repeat R`
(median kernel time as mproc reports it, array already in shared memory), and numpy on the array loaded in
memory (median of R). Prints a Markdown table of medians over rounds and the ratios. Release build needed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_count(text):
    if "^" in text:
        base, exp = text.split("^")
        return int(base) ** int(exp)
    return int(text)


def numpy_median(f, a, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f(a)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", default="2^27")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--dir", default=tempfile.gettempdir())
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    n = parse_count(args.count)
    mproc = os.path.join(ROOT, ".build/release/mproc")
    if not os.path.exists(mproc):
        sys.exit("build first: swift build -c release --product mproc")
    probe = os.path.join(ROOT, ".build/bandwidth-probe")
    subprocess.run(["cc", "-O3", "-march=native", "-fopenmp", os.path.join(ROOT, "Benchmarks/probe/bandwidth.c"),
                    "-o", probe], check=True)
    path = os.path.join(args.dir, f"stats-bench-{n}.npy")
    if not os.path.exists(path):
        subprocess.run([mproc, "gen", path, "--count", str(n), "--seed", "1"], check=True)
    a = np.load(path)
    ops = {"sum": np.sum, "mean": np.mean, "var": np.var, "min": np.min, "argmin": np.argmin}
    rows = {op: {"mproc": [], "numpy": []} for op in ops}
    limit = []
    for _ in range(args.rounds):
        out = subprocess.run([probe, str(n), str(args.workers), str(args.runs)], capture_output=True, text=True, check=True)
        limit.append(json.loads(out.stdout)["median_ms"])
        for op, f in ops.items():
            out = subprocess.run([mproc, "stats", path, "--ops", op, "--json", "--repeat", str(args.runs),
                                  "--workers", str(args.workers)], capture_output=True, text=True, check=True)
            rows[op]["mproc"].append(json.loads(out.stdout)["elapsed_ms"])
            rows[op]["numpy"].append(numpy_median(f, a, args.runs))
    floor = statistics.median(limit)
    print(f"n = {n} float64 ({n * 8 / 2**30:.2f} GiB), {args.workers} workers, median of {args.runs} runs x {args.rounds} rounds")
    print(f"memory-bandwidth limit (C OpenMP sum, {args.workers} threads): {floor:.1f} ms ({n * 8 / floor / 1e6:.1f} GB/s)\n")
    print("| op | mproc ms | numpy ms | numpy / mproc | mproc / limit |")
    print("|---|---:|---:|---:|---:|")
    for op in ops:
        m = statistics.median(rows[op]["mproc"])
        q = statistics.median(rows[op]["numpy"])
        print(f"| {op} | {m:.1f} | {q:.1f} | {q / m:.2f}x | {m / floor:.2f}x |")
    if not args.keep:
        os.remove(path)


if __name__ == "__main__":
    main()
