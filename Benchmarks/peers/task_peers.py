#!/usr/bin/env python3
"""Pool overhead as the peers pay it.

    python3 task_peers.py SYSTEM WORKLOAD --size N --workers W --runs R

SYSTEM: multiprocessing (Pool) or joblib (loky). WORKLOAD:
  pool-start     start a pool of W workers, run one map of W*4 trivial tasks, shut it down;
  task-overhead  N trivial tasks submitted one by one (apply_async / delayed calls), all results gathered;
  map-overhead   one chunked map of N trivial tasks (default chunk size).
  starmap-overhead          starmap of operator.mul over N (i, i) pairs (default chunk size);
  imap-unordered-overhead   imap_unordered of N trivial tasks with chunksize N / (4 * W), all consumed;
  map-codable-small         map of str.upper over N short strings ("word<i>");
  map-codable-large         map of sum over N lists of 1,000 floats.
Prints one JSON record like `mproc bench --json`, plus per_task_us for the task workloads.
"""
import argparse
import json
import statistics
import time


def square(x):
    return x * x


def upper(text):
    return text.upper()


def total(values):
    return sum(values)


MAP_WORKLOADS = ("starmap-overhead", "imap-unordered-overhead", "map-codable-small", "map-codable-large")


def map_runner(pool, workload, workers, n):
    """The body of one of MAP_WORKLOADS on a started multiprocessing pool."""
    import operator
    if workload == "starmap-overhead":
        pairs = [(i, i) for i in range(n)]
        return lambda: pool.starmap(operator.mul, pairs)
    if workload == "imap-unordered-overhead":
        chunk = max(1, -(-n // (4 * workers)))
        return lambda: list(pool.imap_unordered(square, range(n), chunksize=chunk))
    if workload == "map-codable-small":
        words = ["word%d" % i for i in range(n)]
        return lambda: pool.map(upper, words)
    rows = [[float(i + j) for j in range(1000)] for i in range(n)]
    return lambda: pool.map(total, rows)


def pool_start(system, workers, n):
    if system == "multiprocessing":
        import multiprocessing as mp
        with mp.Pool(workers) as pool:
            pool.map(square, range(workers * 4))
    else:
        from joblib import Parallel, delayed
        from joblib.externals.loky import get_reusable_executor
        Parallel(n_jobs=workers, backend="loky")(delayed(square)(i) for i in range(workers * 4))
        get_reusable_executor().shutdown(wait=True)


def consume_queue(q, done):
    total = 0
    while True:
        m = q.get()
        if not m:
            break
        total += m[0]
    done.put(total)


def consume_pipe(conn):
    total = 0
    while True:
        m = conn.recv()
        if not m:
            break
        total += m[0]
    conn.send(total)


def messages(kind, n):
    import multiprocessing as mp
    if kind == "queue":
        q, done = mp.Queue(1024), mp.Queue()
        p = mp.Process(target=consume_queue, args=(q, done))
        p.start()
        for i in range(n):
            q.put([i, 1, 2])
        q.put([])
        done.get()
    else:
        a, b = mp.Pipe()
        p = mp.Process(target=consume_pipe, args=(b,))
        p.start()
        for i in range(n):
            a.send([i, 1, 2])
        a.send([])
        a.recv()
    p.join()


def make_runner(system, workload, workers, n):
    if workload in ("queue", "pipe"):
        if system != "multiprocessing":
            raise NotImplementedError
        return (lambda: messages(workload, n)), lambda: None
    if workload == "pool-start":
        return (lambda: pool_start(system, workers, n)), lambda: None
    if workload in MAP_WORKLOADS and system != "multiprocessing":
        raise NotImplementedError
    if system == "multiprocessing":
        import multiprocessing as mp
        pool = mp.Pool(workers)
        pool.map(square, range(workers))
        if workload in MAP_WORKLOADS:
            return map_runner(pool, workload, workers, n), pool.terminate
        if workload == "task-overhead":
            return (lambda: [r.get() for r in [pool.apply_async(square, (i,)) for i in range(n)]]), pool.terminate
        return (lambda: pool.map(square, range(n))), pool.terminate
    from joblib import Parallel, delayed
    parallel = Parallel(n_jobs=workers, backend="loky")
    parallel(delayed(square)(i) for i in range(workers))
    if workload == "task-overhead":
        return (lambda: parallel(delayed(square)(i) for i in range(n))), lambda: None
    p2 = Parallel(n_jobs=workers, backend="loky", batch_size="auto")
    return (lambda: p2(delayed(square)(i) for i in range(n))), lambda: None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("system")
    p.add_argument("workload")
    p.add_argument("--size", type=int, default=10000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--dtype", default="float64")
    a = p.parse_args()
    if a.system not in ("multiprocessing", "joblib"):
        print(json.dumps({"workload": a.workload, "system": a.system, "unsupported": True}))
        return
    try:
        run, close = make_runner(a.system, a.workload, a.workers, a.size)
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
    rec = {"workload": a.workload, "size": a.size, "dtype": a.dtype, "workers": a.workers, "system": a.system,
           "median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times), "runs_ms": times}
    if a.workload != "pool-start" and a.size:
        rec["per_task_us"] = statistics.median(times) * 1e3 / a.size
    print(json.dumps(rec))


if __name__ == "__main__":
    main()
