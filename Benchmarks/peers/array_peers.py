#!/usr/bin/env python3
"""Array workloads as the peers run them, each used the way its documentation recommends.

    python3 array_peers.py SYSTEM WORKLOAD --size N --workers W --runs R --warmup K [--dtype float64]

SYSTEM: numpy (one process), multiprocessing (Pool.map over np.array_split chunks, which pickles each
chunk to the workers: what most scripts do), multiprocessing-shm (multiprocessing.shared_memory, the
array attached once per worker by the pool initializer, workers given index ranges), joblib (Parallel
with the loky backend, which memmaps large arrays for its workers), dask (dask.array, threaded scheduler).
Prints one JSON record like `mproc bench --json`. Pools are created before timing (their start-up is the
`pool-start` workload, measured separately); data is generated before timing.
"""
import math
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

CHUNKS_PER_WORKER = 4

# ---------------------------------------------------------------- per-chunk kernels (module level: picklable)


def part_sum(a):
    return float(a.sum()), a.size


def part_moments(a):
    n = a.size
    m = float(a.mean()) if n else 0.0
    return n, m, float(((a - m) ** 2).sum())


def part_min(a):
    return float(a.min())


def part_argmin(args):
    a, offset = args
    i = int(a.argmin())
    return float(a[i]), offset + i


def part_dot(args):
    a, b = args
    return float(np.dot(a, b))


def part_sumsq(a):
    return float(np.dot(a, a))


def part_hist(a):
    return np.histogram(a, bins=100, range=(-5, 5))[0]


def part_colstats(a):
    return a.shape[0], a.mean(axis=0), ((a - a.mean(axis=0)) ** 2).sum(axis=0), a.min(axis=0), a.max(axis=0)


def merge_moments(parts):
    n, mean, m2 = 0, 0.0, 0.0
    for nb, mb, m2b in parts:
        if nb == 0:
            continue
        d = mb - mean
        tot = n + nb
        mean += d * nb / tot
        m2 += m2b + d * d * n * nb / tot
        n = tot
    return n, mean, m2


# ---------------------------------------------------------------- shared-memory workers

_shm = {}


def shm_attach(specs):
    from multiprocessing import shared_memory
    for name, (shm_name, shape, dtype) in specs.items():
        seg = shared_memory.SharedMemory(name=shm_name)
        _shm[name] = (seg, np.ndarray(shape, dtype=dtype, buffer=seg.buf))


def shm_run(args):
    op, start, stop = args
    x = _shm["x"][1]
    if op == "sum":
        return part_sum(x[start:stop])
    if op in ("mean",):
        return part_sum(x[start:stop])
    if op in ("var", "std"):
        return part_moments(x[start:stop])
    if op == "min":
        return part_min(x[start:stop])
    if op == "argmin":
        return part_argmin((x[start:stop], start))
    if op == "dot":
        return part_dot((x[start:stop], _shm["y"][1][start:stop]))
    if op == "norm":
        return part_sumsq(x[start:stop])
    if op == "histogram":
        return part_hist(x[start:stop])
    if op == "colstats":
        return part_colstats(x[start:stop])
    if op == "seed-mean-of-means":
        k = start  # stride index i of data[i::5]
        return float(x[k::5].mean())
    raise ValueError(op)


# ---------------------------------------------------------------- combine


def combine(op, parts):
    if op == "sum":
        return sum(p[0] for p in parts)
    if op == "mean":
        return sum(p[0] for p in parts) / sum(p[1] for p in parts)
    if op in ("var", "std"):
        n, _, m2 = merge_moments(parts)
        return m2 / n if op == "var" else (m2 / n) ** 0.5
    if op == "min":
        return min(parts)
    if op == "argmin":
        return min(parts)[1]
    if op == "dot":
        return sum(parts)
    if op == "norm":
        return sum(parts) ** 0.5
    if op == "histogram":
        return np.sum(parts, axis=0)
    if op == "colstats":
        return len(parts)
    raise ValueError(op)


REDUCTIONS = ["sum", "mean", "var", "std", "min", "argmin", "dot", "norm", "histogram", "colstats"]
MAPS = ["scale", "sqrt", "exp", "axpy", "random"]
UFUNCS = ["abs", "sign", "floor", "ceil", "round", "clip", "log1p", "expm1", "sin", "cos", "tanh", "pow", "power",
          "minimum", "maximum", "astype", "transpose", "log", "random-uniform"]


def make_data(op, n, dtype):
    rng = np.random.default_rng(1)
    if op == "colstats":
        return {"x": rng.standard_normal((n, 8)).astype(dtype)}
    if op in ("sqrt", "exp"):
        return {"x": rng.random(n).astype(dtype)}
    if op == "gemm":
        return {"x": rng.random((n, n)).astype(dtype), "y": rng.random((n, n)).astype(dtype)}
    if op == "gemv":
        return {"x": rng.random((n, n)).astype(dtype), "y": rng.random(n).astype(dtype)}
    if op == "syrk":
        return {"x": rng.random((n, n)).astype(dtype)}
    if op in ("abs", "sign", "floor", "ceil", "round", "clip", "sin", "cos", "tanh"):
        return {"x": (rng.standard_normal(n) * 100).astype(dtype)}
    if op in ("log1p", "expm1", "pow"):
        return {"x": rng.random(n).astype(dtype)}
    if op == "log":
        return {"x": (rng.random(n) + 2.0 ** -53).astype(dtype)}
    if op == "power":
        return {"x": rng.random(n).astype(dtype), "y": (rng.random(n) * 4).astype(dtype)}
    if op in ("minimum", "maximum"):
        return {"x": rng.standard_normal(n).astype(dtype), "y": rng.standard_normal(n).astype(dtype)}
    if op == "astype":
        return {"x": (rng.standard_normal(n) * 1000).astype(dtype)}
    if op == "transpose":
        rows = 1 << ((n.bit_length() - 1) // 2)
        return {"x": rng.standard_normal((rows, n // rows)).astype(dtype)}
    if op == "corrcoef":
        return {"x": rng.standard_normal((n, 16)).astype(dtype)}
    if op == "groupby":
        return {"x": rng.standard_normal(n).astype(dtype), "keys": rng.integers(0, 1000, n)}
    data = {"x": rng.standard_normal(n).astype(dtype)}
    if op == "filter":
        data["threshold"] = np.median(data["x"])  # half the elements selected
    if op in ("dot", "axpy"):
        data["y"] = rng.standard_normal(n).astype(dtype)
    return data


def numpy_op(op, d):
    x = d["x"]
    return {
        "sum": lambda: x.sum(), "mean": lambda: x.mean(), "var": lambda: x.var(), "std": lambda: x.std(),
        "min": lambda: x.min(), "argmin": lambda: x.argmin(), "dot": lambda: np.dot(x, d.get("y", x)),
        "norm": lambda: np.linalg.norm(x), "histogram": lambda: np.histogram(x, bins=100, range=(-5, 5)),
        "colstats": lambda: (x.mean(axis=0), x.std(axis=0), x.min(axis=0), x.max(axis=0)),
        "scale": lambda: np.multiply(x, 1.0000001, out=x), "sqrt": lambda: np.sqrt(x), "exp": lambda: np.exp(x),
        "axpy": lambda: np.add(d["y"], 0.5 * x, out=d["y"]),
        "random": lambda: np.random.default_rng(7).standard_normal(x.size),
        "random-uniform": lambda: np.random.default_rng(7).random(x.size), "log": lambda: np.log(x),
        "seed-mean-of-means": lambda: np.mean([np.mean(x[i::5]) for i in range(5)]),
        "gemm": lambda: x @ d["y"],
        "gemv": lambda: x @ d["y"],
        "syrk": lambda: x.T @ x,  # numpy sees the transpose of the same array and calls syrk
        "filter": lambda: x[x > d["threshold"]],
        "abs": lambda: np.abs(x), "sign": lambda: np.sign(x), "floor": lambda: np.floor(x),
        "ceil": lambda: np.ceil(x), "round": lambda: np.round(x), "clip": lambda: np.clip(x, -50, 50),
        "log1p": lambda: np.log1p(x), "expm1": lambda: np.expm1(x), "sin": lambda: np.sin(x),
        "cos": lambda: np.cos(x), "tanh": lambda: np.tanh(x), "pow": lambda: np.power(x, 2.5),
        "power": lambda: np.power(x, d.get("y", x)), "minimum": lambda: np.minimum(x, d.get("y", x)),
        "maximum": lambda: np.maximum(x, d.get("y", x)), "astype": lambda: x.astype(np.int32),
        "transpose": lambda: np.ascontiguousarray(x.T),
        "median": lambda: np.median(x), "quantile": lambda: np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95]),
        "sort": lambda: np.sort(x),
        "cumsum": lambda: np.cumsum(x),
        "fsum": lambda: math.fsum(x),
        "groupby": lambda: bincount_sum_mean(d["keys"], x),
        "corrcoef": lambda: np.corrcoef(x, rowvar=False),
    }[op]


def bincount_sum_mean(keys, x):
    """Group-by sum and mean the numpy way: weighted and plain bincount."""
    sums = np.bincount(keys, weights=x)
    return sums, sums / np.bincount(keys)


def ranges(n, pieces):
    edges = np.linspace(0, n, pieces + 1).astype(int)
    return list(zip(edges[:-1], edges[1:]))


def build(system, op, d, workers):
    """Returns (run, close): run() computes the workload once."""
    x = d["x"]
    n = x.shape[0]
    pieces = workers * CHUNKS_PER_WORKER
    if system == "numpy":
        return numpy_op(op, d), lambda: None
    if system == "multiprocessing":
        import multiprocessing as mp
        pool = mp.Pool(workers)
        if op == "seed-mean-of-means":
            # Exactly as the seed writes it: strided copies pickled to the workers, equal-weight average.
            return (lambda: np.mean(pool.map(np.mean, [x[i::5] for i in range(5)]))), pool.terminate
        if op not in REDUCTIONS:
            raise NotImplementedError
        chunks = np.array_split(x, pieces)
        fn = {"sum": part_sum, "mean": part_sum, "var": part_moments, "std": part_moments, "min": part_min,
              "norm": part_sumsq, "histogram": part_hist, "colstats": part_colstats}.get(op)
        if op == "argmin":
            offsets = np.cumsum([0] + [len(c) for c in chunks[:-1]])
            return (lambda: combine(op, pool.map(part_argmin, list(zip(chunks, offsets))))), pool.terminate
        if op == "dot":
            ys = np.array_split(d["y"], pieces)
            return (lambda: combine(op, pool.map(part_dot, list(zip(chunks, ys))))), pool.terminate
        return (lambda: combine(op, pool.map(fn, chunks))), pool.terminate
    if system == "multiprocessing-shm":
        import multiprocessing as mp
        from multiprocessing import shared_memory
        segs, specs = [], {}
        for name, arr in d.items():
            seg = shared_memory.SharedMemory(create=True, size=max(1, arr.nbytes))
            np.ndarray(arr.shape, dtype=arr.dtype, buffer=seg.buf)[...] = arr
            segs.append(seg)
            specs[name] = (seg.name, arr.shape, arr.dtype)
        pool = mp.Pool(workers, initializer=shm_attach, initargs=(specs,))

        def close():
            pool.terminate()
            for seg in segs:
                seg.close()
                seg.unlink()

        if op == "seed-mean-of-means":
            return (lambda: np.mean(pool.map(shm_run, [(op, i, 0) for i in range(5)]))), close
        if op not in REDUCTIONS:
            raise NotImplementedError
        tasks = [(op, a, b) for a, b in ranges(n, pieces)]
        return (lambda: combine(op, pool.map(shm_run, tasks))), close
    if system == "joblib":
        from joblib import Parallel, delayed
        parallel = Parallel(n_jobs=workers, backend="loky")
        parallel(delayed(part_min)(np.zeros(4)) for _ in range(workers))  # start the workers
        if op == "seed-mean-of-means":
            return (lambda: np.mean(parallel(delayed(np.mean)(x[i::5]) for i in range(5)))), lambda: None
        if op not in REDUCTIONS:
            raise NotImplementedError
        rs = ranges(n, pieces)
        if op == "argmin":
            return (lambda: combine(op, parallel(delayed(part_argmin)((x[a:b], a)) for a, b in rs))), lambda: None
        if op == "dot":
            y = d["y"]
            return (lambda: combine(op, parallel(delayed(part_dot)((x[a:b], y[a:b])) for a, b in rs))), lambda: None
        fn = {"sum": part_sum, "mean": part_sum, "var": part_moments, "std": part_moments, "min": part_min,
              "norm": part_sumsq, "histogram": part_hist, "colstats": part_colstats}[op]
        return (lambda: combine(op, parallel(delayed(fn)(x[a:b]) for a, b in rs))), lambda: None
    if system == "dask":
        import dask
        import dask.array as da
        chunk = max(1, n // pieces)
        dx = da.from_array(x, chunks=(chunk,) + x.shape[1:])
        cfg = dict(scheduler="threads", num_workers=workers)
        exprs = {
            "sum": lambda: dx.sum(), "mean": lambda: dx.mean(), "var": lambda: dx.var(), "std": lambda: dx.std(),
            "min": lambda: dx.min(), "argmin": lambda: dx.argmin(), "norm": lambda: da.linalg.norm(dx),
            "histogram": lambda: da.histogram(dx, bins=100, range=(-5, 5))[0],
            "colstats": lambda: (dx.mean(axis=0), dx.std(axis=0), dx.min(axis=0), dx.max(axis=0)),
            "scale": lambda: dx * 1.0000001, "sqrt": lambda: da.sqrt(dx), "exp": lambda: da.exp(dx),
            "seed-mean-of-means": lambda: da.stack([dx[i::5].mean() for i in range(5)]).mean(),
        }
        if op == "dot":
            dy = da.from_array(d["y"], chunks=chunk)
            return (lambda: da.dot(dx, dy).compute(**cfg)), lambda: None
        if op == "axpy":
            dy = da.from_array(d["y"], chunks=chunk)
            return (lambda: (dy + 0.5 * dx).compute(**cfg)), lambda: None
        if op not in exprs:
            raise NotImplementedError
        e = exprs[op]
        return (lambda: dask.compute(e(), **cfg)), lambda: None
    raise ValueError(system)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("system")
    p.add_argument("workload")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--dtype", default="float64")
    a = p.parse_args()
    d = make_data(a.workload, a.size, np.dtype(a.dtype))
    try:
        run, close = build(a.system, a.workload, d, a.workers)
    except NotImplementedError:
        print(json.dumps({"workload": a.workload, "system": a.system, "unsupported": True}))
        return
    try:
        for _ in range(a.warmup):
            run()
        times = []
        for _ in range(a.runs):
            t = time.perf_counter()
            run()
            times.append((time.perf_counter() - t) * 1e3)
    finally:
        close()
    print(json.dumps({
        "workload": a.workload, "size": a.size, "dtype": a.dtype, "workers": a.workers if a.system != "numpy" else 1,
        "system": a.system, "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
        "runs_ms": times,
    }))


if __name__ == "__main__":
    main()
