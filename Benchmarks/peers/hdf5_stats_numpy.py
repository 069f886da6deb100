#!/usr/bin/env python3
"""Statistics (mean, std, min, max) of one HDF5 dataset with h5py and numpy, the way users write it:

    python3 Benchmarks/peers/hdf5_stats_numpy.py FILE [--dataset /data] [--workers 1] [--json]

--workers 1 reads the whole dataset (`f[ds][...]`) and reduces it with numpy. --workers N > 1 splits the
rows into N slabs aligned to the dataset's chunks; a multiprocessing.Pool worker opens the file itself, reads
its slab and returns (count, mean, M2, min, max), merged with Chan's formula. Prints the result and the
wall time.
"""
import argparse
import json
import multiprocessing
import sys
import time

import h5py
import numpy as np


def moments(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    mean = float(a.mean())
    return a.size, mean, float(((a - mean) ** 2).sum()), float(a.min()), float(a.max())


def slab_moments(job):
    path, dataset, start, stop = job
    with h5py.File(path, "r") as f:
        return moments(f[dataset][start:stop])


def merge(parts):
    n, mean, m2, lo, hi = parts[0]
    for nb, mb, m2b, lob, hib in parts[1:]:
        total = n + nb
        delta = mb - mean
        mean += delta * nb / total
        m2 += m2b + delta * delta * n * nb / total
        n, lo, hi = total, min(lo, lob), max(hi, hib)
    return n, mean, m2, lo, hi


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--dataset", default="/data")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    start = time.perf_counter()
    if args.workers <= 1:
        with h5py.File(args.file, "r") as f:
            a = f[args.dataset][...]
        result = dict(mean=float(a.mean()), std=float(a.std()), min=float(a.min()), max=float(a.max()))
    else:
        with h5py.File(args.file, "r") as f:
            d = f[args.dataset]
            rows, chunk = d.shape[0], (d.chunks or (1,))[0]
        chunks = -(-rows // chunk)
        bounds = [min(rows, chunk * (chunks * i // args.workers)) for i in range(args.workers + 1)]
        jobs = [(args.file, args.dataset, a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
        with multiprocessing.Pool(args.workers) as pool:
            n, mean, m2, lo, hi = merge(pool.map(slab_moments, jobs, chunksize=1))
        result = dict(mean=mean, std=(m2 / n) ** 0.5, min=lo, max=hi)
    elapsed = time.perf_counter() - start
    result["elapsed_s"] = elapsed
    print(json.dumps(result) if args.json else f"{result}")
    sys.exit(0)


if __name__ == "__main__":
    main()
