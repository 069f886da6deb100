#!/usr/bin/env python3
"""Per-dataset statistics over many HDF5 files the way it is usually written today: h5py and a
multiprocessing.Pool, one file per task, each worker opening its file itself (after the fork).

    python3 Benchmarks/peers/batch_h5py_pool.py DIR_OR_FILES... [--dataset /data] [--workers 2] [--json]

Prints one JSON record per dataset (file, dataset, mean, std, min, max) and the wall time.
"""
import argparse
import glob
import json
import multiprocessing
import os
import sys
import time

import h5py
import numpy as np


def stats_of_file(args):
    path, dataset = args
    try:
        with h5py.File(path, "r") as f:
            a = f[dataset][...]
        return dict(file=path, dataset=dataset, mean=float(a.mean()), std=float(a.std()), min=float(a.min()),
                    max=float(a.max()))
    except Exception as e:  # a bad file must not stop the batch
        return dict(file=path, dataset=dataset, error=str(e))


def expand(inputs):
    files = []
    for p in inputs:
        files += sorted(glob.glob(os.path.join(p, "**", "*.h5"), recursive=True)) if os.path.isdir(p) else [p]
    return files


def main():
    p = argparse.ArgumentParser()
    p.add_argument("inputs", nargs="+")
    p.add_argument("--dataset", default="/data")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    start = time.perf_counter()
    files = expand(args.inputs)
    with multiprocessing.Pool(args.workers) as pool:
        results = pool.map(stats_of_file, [(f, args.dataset) for f in files], chunksize=1)
    elapsed = time.perf_counter() - start
    print(json.dumps(dict(elapsed_s=elapsed, records=results)) if args.json else
          "\n".join(json.dumps(r) for r in results) + f"\n{elapsed:.3f} s")
    sys.exit(1 if any("error" in r for r in results) else 0)


if __name__ == "__main__":
    main()
