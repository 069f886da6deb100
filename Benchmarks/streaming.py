#!/usr/bin/env python3
"""Datasets larger than memory, and .npy files mapped instead of copied: mproc against itself, in one run.

    python3 Benchmarks/streaming.py [--count 2^27] [--workers 2] [--rounds 5] [--dir /tmp] [--keep]

Writes with `mproc gen` a float64 dataset of --count values (2^27 = 1 GiB) as an uncompressed HDF5 file and as a
.npy file, reads each once (page cache warm), then in rounds that interleave the cases times the wall clock of
complete runs (process start to exit) of:

  stream-stats     mproc stats big.h5:/data --memory-limit SIZE/4   (streamed through windows: 4x larger than the limit)
  in-memory        mproc stats big.h5:/data                         (loaded into shared memory, then reduced)
  npy-cold-stats   mproc stats big.npy                              (a cold process: the file is mapped, not copied)
  reduction        the compute time mproc stats big.npy --repeat 5 reports (median of 5 reductions in one process,
                   after the first: the reduction alone)

Prints the medians and the two figures the issue asks for: streamed throughput as a share of in-memory throughput
(target >= 80%), and the cold .npy run over the reduction alone (target <= 1.2x). Both cases check that the
statistics agree. Run.py uses measure() for its `stream-stats` and `npy-cold-stats` workloads.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPROC = os.path.join(ROOT, ".build", "release", "mproc")
OPS = "mean,std,min,max"


def run(args):
    start = time.perf_counter()
    out = subprocess.run([MPROC] + args, capture_output=True, text=True)
    elapsed = (time.perf_counter() - start) * 1000
    if out.returncode != 0:
        sys.exit(f"failed: mproc {' '.join(args)}\n{out.stderr}")
    return elapsed, json.loads(out.stdout)


def files(directory, count):
    """The HDF5 and .npy files of `count` float64 values, made once and read once (page cache warm)."""
    h5 = os.path.join(directory, f"stream-{count}.h5")
    npy = os.path.join(directory, f"stream-{count}.npy")
    if not os.path.exists(h5):
        subprocess.run([MPROC, "gen", h5 + ":/data", "--count", str(count), "--seed", "3", "--force"], check=True, capture_output=True)
    if not os.path.exists(npy):
        subprocess.run([MPROC, "gen", npy, "--count", str(count), "--seed", "3", "--force"], check=True, capture_output=True)
    for path in (h5, npy):
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
    return h5, npy


def cases(h5, npy, count, workers):
    limit = f"{count * 8 // 4 // (1 << 20)}M"
    w = ["--workers", str(workers), "--ops", OPS, "--json"]
    return {
        "stream-stats": lambda: run(["stats", h5 + ":/data", "--memory-limit", limit] + w),
        "in-memory": lambda: run(["stats", h5 + ":/data"] + w),
        "npy-cold-stats": lambda: run(["stats", npy] + w),
        "reduction": lambda: (lambda r: (r[1]["elapsed_ms"], r[1]))(run(["stats", npy, "--repeat", "5"] + w)),
    }


def measure(system, workload, size, workers, runs, directory="/tmp"):
    """One run.py record: `mproc` is the streamed (or cold .npy) run, `mproc-in-memory` its in-memory peer."""
    h5, npy = files(directory, size)
    table = cases(h5, npy, size, workers)
    name = {("stream-stats", "mproc"): "stream-stats", ("stream-stats", "mproc-in-memory"): "in-memory",
            ("npy-cold-stats", "mproc"): "npy-cold-stats", ("npy-cold-stats", "mproc-in-memory"): "reduction"}[(workload, system)]
    times = [table[name]()[0] for _ in range(runs)]
    return {"workload": workload, "size": size, "dtype": "float64", "workers": workers, "system": system,
            "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", default="2^27")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--dir", default="/tmp")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    count = 2 ** int(a.count[2:]) if a.count.startswith("2^") else int(a.count)
    if not os.path.exists(MPROC):
        sys.exit("build first: swift build -c release --product mproc")
    h5, npy = files(a.dir, count)
    table = cases(h5, npy, count, a.workers)
    times = {name: [] for name in table}
    answers = {}
    for _ in range(a.rounds):
        for name, case in table.items():
            ms, result = case()
            times[name].append(ms)
            answers[name] = tuple(result[k] for k in OPS.split(","))
    if answers["stream-stats"] != answers["in-memory"]:
        print(f"MISMATCH streamed {answers['stream-stats']} in memory {answers['in-memory']}", file=sys.stderr)
    med = {name: statistics.median(v) for name, v in times.items()}
    cold = [run(["stats", npy, "--workers", str(a.workers), "--ops", OPS, "--json"])[1] for _ in range(a.rounds)]
    cold_load = statistics.median(r["load_ms"] for r in cold)
    cold_compute = statistics.median(r["elapsed_ms"] for r in cold)
    print(f"{count} float64 ({count * 8 / 2**30:.2f} GiB), {a.workers} workers, median of {a.rounds} rounds (ms):")
    for name, v in med.items():
        print(f"  {name:15s} {v:9.1f}   (min {min(times[name]):.1f}, max {max(times[name]):.1f})")
    print(f"streamed throughput / in-memory throughput: {med['in-memory'] / med['stream-stats']:.2f} (target >= 0.80)")
    print(f"cold .npy stats / reduction alone: {med['npy-cold-stats'] / med['reduction']:.2f}x (target <= 1.2x)")
    print(f"  inside the cold run: load (header + mmap) {cold_load:.2f} ms, first reduction {cold_compute:.1f} ms "
          f"(it faults the file's pages in); process start, pool and exit: "
          f"{med['npy-cold-stats'] - cold_load - cold_compute:.1f} ms")
    if not a.keep:
        for path in (h5, npy):
            os.remove(path)


if __name__ == "__main__":
    main()
