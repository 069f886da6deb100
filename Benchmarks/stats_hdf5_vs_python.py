#!/usr/bin/env python3
"""`mproc stats FILE.h5:/data` against `mproc batch` on the same file and against h5py + numpy and dask, in one run.

    python3 Benchmarks/stats_hdf5_vs_python.py [--count 2^27] [--workers 2] [--rounds 3] [--dir /tmp] [--keep]

Writes with h5py one float64 dataset of --count values (2^27 = 1 GiB), chunked (1 MiB chunks), gzip level 4 with
shuffle, values rounded to 3 decimals as measurements are. Then, in rounds that interleave the tools, times the
wall clock of a complete run (process start to exit) of the job mean, std, min and max of /data:

  mproc stats     mproc stats FILE:/data       (workers inflate their own chunks into shared memory, then reduce)
  mproc batch     mproc batch FILE --dataset /data   (streams chunks through a small buffer in each worker)
  h5py+numpy      Benchmarks/peers/hdf5_stats_numpy.py --workers 1   (f[ds][...], then numpy)
  h5py Pool       Benchmarks/peers/hdf5_stats_numpy.py --workers W   (one chunk-aligned slab per process)
  dask            Benchmarks/peers/batch_dask.py FILE   (dask.array.from_array on h5py, threaded, in chunks)

all with --workers processes/threads, the file in the page cache. Prints a Markdown table of medians and the
ratios against `mproc stats`, and checks that every tool got the same mean. The file is deleted at the end unless
--keep. Timings are never asserted: compare ratios from one run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_count(text):
    if "^" in text:
        base, exp = text.split("^")
        return int(base) ** int(exp)
    return int(text)


def generate(path, count):
    if os.path.exists(path):
        return
    import h5py
    import numpy as np
    rng = np.random.default_rng(2026)
    chunk = 1 << 17
    with h5py.File(path + ".part", "w") as f:
        d = f.create_dataset("data", shape=(count,), dtype="<f8", chunks=(min(chunk, count),), compression="gzip",
                             compression_opts=4, shuffle=True)
        step = 1 << 23
        for start in range(0, count, step):
            stop = min(count, start + step)
            d[start:stop] = rng.normal(20, 5, stop - start).round(3)
    os.rename(path + ".part", path)


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return elapsed, proc.stdout


def mean_of(tool, out):
    data = json.loads(out)
    if "records" in data:
        return [r for r in data["records"] if r.get("mean") is not None][0]["mean"]
    return data["mean"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", default="2^27")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--dir", default="/tmp/mproc-stats-hdf5-bench")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--mproc", default=os.path.join(ROOT, ".build", "release", "mproc"))
    args = p.parse_args()
    if not os.path.exists(args.mproc):
        sys.exit("build first: swift build -c release --product mproc (or pass --mproc PATH)")
    count = parse_count(args.count)
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, f"gzip4_shuffle_f64_{count}.h5")
    generate(path, count)
    warm(path)
    w = str(args.workers)
    peer = os.path.join(ROOT, "Benchmarks", "peers", "hdf5_stats_numpy.py")
    tools = {
        "mproc stats": [args.mproc, "stats", path + ":/data", "--ops", "mean,std,min,max", "-w", w, "--json"],
        "mproc batch": [args.mproc, "batch", path, "--dataset", "/data", "--ops", "mean,std,min,max", "-w", w,
                        "--format", "json"],
        "h5py+numpy": [sys.executable, peer, path, "--workers", "1", "--json"],
        "h5py Pool": [sys.executable, peer, path, "--workers", w, "--json"],
        "dask": [sys.executable, os.path.join(ROOT, "Benchmarks", "peers", "batch_dask.py"), path, "--workers", w,
                 "--json"],
    }
    times = {t: [] for t in tools}
    means = {}
    for _ in range(args.rounds):
        for tool, cmd in tools.items():
            elapsed, out = timed(cmd)
            times[tool].append(elapsed)
            means[tool] = mean_of(tool, out)
    reference = means["h5py+numpy"]
    for tool, m in means.items():
        if abs(m - reference) > 1e-9 * max(1, abs(reference)):
            sys.exit(f"{tool} got mean {m}, h5py+numpy {reference}")
    med = {t: statistics.median(v) for t, v in times.items()}
    size = os.path.getsize(path)
    print(f"\n{count} float64 ({count * 8 / 2**30:.2f} GiB), gzip 4 + shuffle, {size / 1e9:.2f} GB on disk, "
          f"{args.workers} workers, medians of {args.rounds} rounds (wall time of a complete run)\n")
    print("| tool | median | min | max | vs mproc stats |")
    print("|---|---|---|---|---|")
    for t in tools:
        print(f"| {t} | {med[t]:.3f} s | {min(times[t]):.3f} s | {max(times[t]):.3f} s | "
              f"{med[t] / med['mproc stats']:.2f}x |")
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
