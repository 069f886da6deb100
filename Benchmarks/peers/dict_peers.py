#!/usr/bin/env python3
"""Python's shared dictionary, Manager().dict(), as the peer of mproc's SharedDictionary.

    python3 dict_peers.py multiprocessing dict-set --size N --runs R

The dictionary is filled with N entries ("key-0": 0, ...) first; each timed run then makes 10,000
calls cycling over the keys: `d[key] = i` (dict-set) or `d[key]` (dict-get), from the main process,
each a round trip to the manager process. Prints one JSON record like `mproc bench --json`, with
per_op_us.
"""
import argparse
import json
import statistics
import time

OPERATIONS = 10_000


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("system")
    p.add_argument("workload")
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--dtype", default="float64")
    a = p.parse_args()
    if a.system != "multiprocessing" or a.workload not in ("dict-set", "dict-get"):
        print(json.dumps({"workload": a.workload, "system": a.system, "unsupported": True}))
        return
    import multiprocessing as mp
    with mp.Manager() as manager:
        d = manager.dict()
        keys = [f"key-{i}" for i in range(a.size)]
        d.update({k: i for i, k in enumerate(keys)})
        n = a.size

        def set_all():
            for i in range(OPERATIONS):
                d[keys[i % n]] = i

        def get_all():
            total = 0
            for i in range(OPERATIONS):
                total += d[keys[i % n]]
            return total

        run = set_all if a.workload == "dict-set" else get_all
        for _ in range(a.warmup):
            run()
        times = []
        for _ in range(a.runs):
            t = time.perf_counter()
            run()
            times.append((time.perf_counter() - t) * 1e3)
    median = statistics.median(times)
    print(json.dumps({"workload": a.workload, "size": a.size, "dtype": a.dtype, "workers": a.workers,
                      "system": a.system, "median_ms": median, "min_ms": min(times), "max_ms": max(times),
                      "runs_ms": times, "per_op_us": median * 1e3 / OPERATIONS}))


if __name__ == "__main__":
    main()
