#!/usr/bin/env python3
"""`mproc batch` against the same job written the way users do it today, in one run.

    python3 Benchmarks/batch_vs_python.py [--files 8] [--count 2^25] [--workers 2] [--rounds 3] [--dir /tmp]
                                          [--small-files 1000] [--keep]

Generates with `mproc gen` (release build) two sets of HDF5 files under --dir, each --files files of --count
float64 values (8 x 2^25 = 2 GiB of values): chunked+gzip (level 4, h5py's default) and chunked without
compression; plus --small-files small files (8,192 float64 each, gzip) written by h5py. Then, in rounds that
interleave the tools, times the wall clock of a complete run (process start to exit) of:

  mproc           mproc batch DIR --dataset /data --ops mean,std,min,max       (streaming, the default)
  mproc shared    the same with --strategy shared (load into shared memory, then reduce)
  h5py Pool       Benchmarks/peers/batch_h5py_pool.py  (multiprocessing.Pool, one file per task)
  dask            Benchmarks/peers/batch_dask.py       (dask.array.from_array on h5py, threaded scheduler)

all with --workers processes/threads. The page cache is warm (every file is read once first). Prints a
Markdown table of medians and the ratios, and checks that every tool got the same means. Files are deleted
at the end unless --keep.
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
MPROC = None


def find_mproc(given):
    """The release mproc to time: --mproc, else the first release build that has `batch`."""
    candidates = [given] if given else [os.path.join(ROOT, d, "release/mproc") for d in (".build", ".build-batch")]
    for path in candidates:
        if path and os.path.exists(path) and subprocess.run([path, "batch", "--help"], capture_output=True).returncode == 0:
            return path
    sys.exit("build first: swift build -c release --product mproc (or pass --mproc PATH)")


def parse_count(text):
    if "^" in text:
        base, exp = text.split("^")
        return int(base) ** int(exp)
    return int(text)


def generate(directory, files, count, gzip, workers):
    os.makedirs(directory, exist_ok=True)
    for i in range(files):
        path = os.path.join(directory, f"run{i:02d}.h5")
        if os.path.exists(path):
            continue
        cmd = [MPROC, "gen", path + ":/data", "--count", str(count), "--seed", str(100 + i), "-w", str(workers)]
        if gzip:
            cmd += ["--gzip", str(gzip)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def generate_small(directory, files):
    import h5py
    import numpy as np
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(5)
    for i in range(files):
        path = os.path.join(directory, f"s{i:05d}.h5")
        if not os.path.exists(path):
            with h5py.File(path, "w") as f:
                f.create_dataset("data", data=rng.normal(i, 1, 8192), chunks=(4096,), compression="gzip")


def warm(directory):
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            while f.read(1 << 24):
                pass


def timed(cmd, ok_codes=(0,)):
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok_codes:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return elapsed, proc.stdout


def means_of(tool, out):
    data = json.loads(out)
    return {os.path.basename(r["file"]): r["mean"] for r in data["records"] if r.get("mean") is not None}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--files", type=int, default=8)
    p.add_argument("--count", default="2^25")
    p.add_argument("--small-files", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--dir", default="/tmp/mproc-batch-bench")
    p.add_argument("--gzip", type=int, default=4)
    p.add_argument("--only", default="", help="comma-separated sets to run: gzip,plain,small")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--mproc", help="the mproc executable (default: .build/release/mproc)")
    args = p.parse_args()
    global MPROC
    MPROC = find_mproc(args.mproc)
    count = parse_count(args.count)
    w = str(args.workers)
    sets = {
        "gzip": os.path.join(args.dir, "gzip"),
        "plain": os.path.join(args.dir, "plain"),
        "small": os.path.join(args.dir, "small"),
    }
    wanted = [s for s in sets if not args.only or s in args.only.split(",")]
    if "gzip" in wanted:
        generate(sets["gzip"], args.files, count, args.gzip, args.workers)
    if "plain" in wanted:
        generate(sets["plain"], args.files, count, None, args.workers)
    if "small" in wanted:
        generate_small(sets["small"], args.small_files)
    tools = {
        "mproc": lambda d: [MPROC, "batch", d, "--dataset", "/data", "--ops", "mean,std,min,max", "-w", w,
                            "--format", "json"],
        "mproc shared": lambda d: [MPROC, "batch", d, "--dataset", "/data", "--ops", "mean,std,min,max", "-w", w,
                                   "--format", "json", "--strategy", "shared"],
        "h5py Pool": lambda d: [sys.executable, os.path.join(ROOT, "Benchmarks/peers/batch_h5py_pool.py"), d,
                                "--workers", w, "--json"],
        "dask": lambda d: [sys.executable, os.path.join(ROOT, "Benchmarks/peers/batch_dask.py"), d, "--workers", w,
                           "--json"],
    }
    rows = []
    for name in wanted:
        directory = sets[name]
        warm(directory)
        size = sum(os.path.getsize(os.path.join(directory, f)) for f in os.listdir(directory))
        times = {t: [] for t in tools}
        means = {}
        for _ in range(args.rounds):
            for tool, cmd in tools.items():
                elapsed, out = timed(cmd(directory))
                times[tool].append(elapsed)
                means[tool] = means_of(tool, out)
        reference = means["h5py Pool"]
        for tool, m in means.items():
            bad = [f for f in reference if abs(m.get(f, float("nan")) - reference[f]) > 1e-9 * max(1, abs(reference[f]))]
            if bad:
                sys.exit(f"{tool} disagrees with h5py on {bad[:3]}")
        med = {t: statistics.median(v) for t, v in times.items()}
        files = len(os.listdir(directory))
        rows.append((name, files, size, med, times))
        print(f"{name}: {files} files, {size / 1e9:.2f} GB on disk: " +
              ", ".join(f"{t} {med[t]:.3f} s" for t in tools), file=sys.stderr)

    print(f"\n| set | files | on disk | " + " | ".join(tools) + " | mproc vs h5py Pool | mproc vs dask |")
    print("|---|---|---|" + "---|" * len(tools) + "---|---|")
    for name, files, size, med, _ in rows:
        cells = " | ".join(f"{med[t]:.2f} s" for t in tools)
        print(f"| {name} | {files} | {size / 1e9:.2f} GB | {cells} | {med['h5py Pool'] / med['mproc']:.2f}x | "
              f"{med['dask'] / med['mproc']:.2f}x |")
    print(f"\nmedians of {args.rounds} rounds, {args.workers} workers, wall time of a complete run (process start to exit)")
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
