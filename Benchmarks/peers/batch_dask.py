#!/usr/bin/env python3
"""Per-dataset statistics over many HDF5 files with dask.array.from_array on h5py datasets, as the dask
documentation shows: one dask array per file, every statistic of every file computed in one
dask.compute (threaded scheduler, the default for arrays). h5py serialises calls into HDF5 with a global
lock, so reads (and gzip decompression) do not run in parallel threads.

    python3 Benchmarks/peers/batch_dask.py DIR_OR_FILES... [--dataset /data] [--workers 2] [--chunks auto] [--json]
"""
import argparse
import glob
import json
import os
import sys
import time

import dask
import dask.array as da
import h5py


def main():
    p = argparse.ArgumentParser()
    p.add_argument("inputs", nargs="+")
    p.add_argument("--dataset", default="/data")
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--chunks", default="auto", help="'auto' or 'hdf5' (the dataset's own chunk shape)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    start = time.perf_counter()
    files = []
    for x in args.inputs:
        files += sorted(glob.glob(os.path.join(x, "**", "*.h5"), recursive=True)) if os.path.isdir(x) else [x]
    handles, tasks, names = [], [], []
    for path in files:
        f = h5py.File(path, "r")
        handles.append(f)
        d = f[args.dataset]
        chunks = d.chunks if (args.chunks == "hdf5" and d.chunks) else "auto"
        a = da.from_array(d, chunks=chunks)
        tasks += [a.mean(), a.std(), a.min(), a.max()]
        names.append(path)
    values = dask.compute(*tasks, scheduler="threads", num_workers=args.workers)
    results = [dict(file=n, dataset=args.dataset, mean=float(values[4 * i]), std=float(values[4 * i + 1]),
                    min=float(values[4 * i + 2]), max=float(values[4 * i + 3])) for i, n in enumerate(names)]
    for f in handles:
        f.close()
    elapsed = time.perf_counter() - start
    print(json.dumps(dict(elapsed_s=elapsed, records=results)) if args.json else
          "\n".join(json.dumps(r) for r in results) + f"\n{elapsed:.3f} s")


if __name__ == "__main__":
    main()
