#!/usr/bin/env python3
"""The benchmark suite: mproc against numpy, Python multiprocessing (Pool and shared_memory), joblib and
dask, on the same workloads, sizes and machine, in one interleaved run, with the memory-bandwidth limit.

    python3 Benchmarks/run.py --quick          # a few minutes
    python3 Benchmarks/run.py                  # the full grid (sizes up to 2^28, workers 1..cores)
    python3 Benchmarks/run.py --only median,sort --sizes 2^27 --workers 2 --merge   # refresh a few workloads

`make bench` / `make bench-quick` build mproc (release), create Benchmarks/.venv with the peers' packages
from PyPI, and run this with that interpreter. Writes Benchmarks/results/latest.json (one record per
workload, size, dtype, workers and system, with median_ms, min_ms and max_ms), latest.md (tables) and
PNG plots (time against size, time against workers), and refreshes the README's Performance section.
Timings are never asserted anywhere: machines are noisy; compare ratios taken in the same run.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MPROC = os.path.join(ROOT, ".build", "release", "mproc")
PEERS = os.path.join(HERE, "peers", "array_peers.py")
TASK_PEERS = os.path.join(HERE, "peers", "task_peers.py")
DICT_PEERS = os.path.join(HERE, "peers", "dict_peers.py")
PROBE_SRC = os.path.join(HERE, "probe", "bandwidth.c")
PROBE = os.path.join(ROOT, ".build", "bandwidth-probe")

REDUCTIONS = ["sum", "mean", "var", "std", "min", "argmin", "dot", "norm", "histogram", "colstats"]
MAPS = ["scale", "sqrt", "exp", "axpy", "random"]
# More ufuncs, astype (float64 -> int32) and transpose, against numpy, at 2^24 elements.
UFUNCS = ["abs", "sign", "floor", "ceil", "round", "clip", "log1p", "expm1", "sin", "cos", "tanh", "pow", "power",
          "minimum", "maximum", "astype", "transpose", "log", "random-uniform"]
# The transcendental rows (SLEEF) in float32 as well, at 2^24 elements.
TRANSCENDENTAL = ["exp", "log", "log1p", "expm1", "sin", "cos", "tanh", "pow"]
SEED = ["seed-mean-of-means"]
SELECTIONS = ["filter"]  # boolean masks: x[x > median], numpy as the peer
TASKS = ["pool-start", "task-overhead", "map-overhead", "queue", "pipe"]
# Map overheads per kind of item (plain-data pairs, imap_unordered with a chunk size, small and large
# Codable items), against multiprocessing.Pool only.
MAP_TASKS = {"starmap-overhead": 100000, "imap-unordered-overhead": 100000, "map-codable-small": 100000,
             "map-codable-large": 2000}
# Order statistics and sorting: at 2^27 float64 on every core, against numpy only.
ORDER = ["median", "quantile", "sort"]
PEER_SYSTEMS = ["numpy", "multiprocessing", "multiprocessing-shm", "joblib", "dask"]
# Analysis workloads, against numpy only, at the sizes (rows for corrcoef, with 16 columns).
# SharedDictionary against Manager().dict(): 10,000 sets or gets on a dictionary of 10, 1,000, 100,000 entries.
DICTS = ["dict-set", "dict-get"]
DICT_SIZES = [10, 1000, 100000]
ANALYSIS = {"cumsum": 1 << 27, "groupby": 1 << 27, "corrcoef": 1 << 20, "fsum": 1 << 27}
# Small arrays: each reduction from 2^10 to 2^20 float64 with every call forced onto the workers
# (`--caller-cutoff 0`) and forced into the calling process, beside mproc's default and numpy. The size where
# the workers start to win is the caller cutoff (SmallReductionCutoff); workload names "small-<op>".
SMALL = ["sum", "min", "argmin", "dot", "norm"]
# Maps the same way (SmallMapCutoff): a cheap row in place, sqrt and exp into new arrays. The map cutoff is in
# weighted bytes (elements x 8 x the row's MapOperation.callerWeight).
SMALL_MAPS = {"scale": 1, "sqrt": 4, "exp": 16}
SMALL_SIZES = [1 << p for p in range(10, 21)]
SMALL_RUNS = 41
# Datasets larger than --memory-limit (streamed, 4x the limit) and a cold `stats` of a mapped .npy, each against
# its in-memory peer (Benchmarks/streaming.py), at 2^27 float64 (1 GiB) on every core.
STREAMING = ["stream-stats", "npy-cold-stats"]
# Bytes each workload reads (and writes) per element, for the bandwidth floor.
TRAFFIC = {"fsum": 8, "sum": 8, "mean": 8, "var": 8, "std": 8, "min": 8, "argmin": 8, "dot": 16, "norm": 8,
           "histogram": 8, "colstats": 64, "seed-mean-of-means": 8, "scale": 16, "sqrt": 16, "exp": 16,
           "axpy": 24, "random": 8}
TRIAD_LIKE = {"scale", "sqrt", "exp", "axpy", "random"}


def run_json(cmd, timeout=3600):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        print(f"  failed: {' '.join(cmd)}\n  {out.stderr.strip()[-400:]}", file=sys.stderr)
        return None
    try:
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"  no JSON from: {' '.join(cmd)}", file=sys.stderr)
        return None


def machine():
    info = run_json([MPROC, "info", "--json"]) or {}
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    fields = {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in lscpu.splitlines() if ":" in l)}
    import numpy
    return {
        "cpu": fields.get("Model name", platform.processor()), "cores": os.cpu_count(),
        "l2": fields.get("L2 cache"), "l3": fields.get("L3 cache"), "kernel": platform.release(),
        "blas": info.get("blas"), "hdf5": info.get("hdf5"), "python": platform.python_version(),
        "numpy": numpy.__version__, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        # The SIMD path mproc's vectorised kernels chose on this CPU, and the CPU's vector extensions.
        "simd": info.get("simd"), "vector_math": info.get("vector_math"),
        "cpu_vector_flags": [f for f in fields.get("Flags", "").split() if f in ("avx2", "fma", "avx512f", "avx512dq")],
    }


def probe(workers, runs):
    subprocess.run(["cc", "-O3", "-march=native", "-fopenmp", PROBE_SRC, "-o", PROBE], check=True)
    return run_json([PROBE, str(1 << 27), str(workers), str(runs)])


def plan(quick, cores, sizes=None):
    workers = [1, cores] if quick else list(range(1, cores + 1))
    sizes = sizes or ([1 << 16, 1 << 20, 1 << 24] if quick else [1 << 16, 1 << 20, 1 << 24, 1 << 26, 1 << 27, 1 << 28])
    runs = 5
    jobs = []
    for w in workers:
        for n in sizes:
            for wl in REDUCTIONS + MAPS + SEED:
                size = n // 8 if wl == "colstats" else n
                jobs.append((wl, size, "float64", w))
            for wl in SELECTIONS:
                jobs.append((wl, n, "float64", w))
            if n == sizes[-1]:
                jobs.append(("sum", n, "float32", w))
                jobs.append(("var", n, "float32", w))
        for wl in UFUNCS:
            jobs.append((wl, 1 << 24, "float64", w))
        for wl in TRANSCENDENTAL:
            jobs.append((wl, 1 << 24, "float32", w))
        for g in ([512, 1024] if quick else [1024, 2048, 4096]):
            jobs.append(("gemm", g, "float64", w))
            jobs.append(("gemm", g, "float32", w))
            jobs.append(("syrk", g, "float64", w))
            jobs.append(("gemv", g * 2, "float64", w))
    for w in workers:
        jobs.append(("pool-start", 1, "float64", w))
        jobs.append(("task-overhead", 5000 if quick else 20000, "float64", w))
        jobs.append(("map-overhead", 100000 if quick else 1000000, "float64", w))
        for wl, size in MAP_TASKS.items():
            jobs.append((wl, size, "float64", w))
    for wl in ORDER:
        jobs.append((wl, 1 << 24 if quick else 1 << 27, "float64", cores))
    for w in workers:
        for wl, size in ANALYSIS.items():
            jobs.append((wl, size >> 3 if quick else size, "float64", w))
    for wl in SMALL + list(SMALL_MAPS):
        for n in SMALL_SIZES:
            jobs.append(("small-" + wl, n, "float64", cores))
    for wl in STREAMING:
        jobs.append((wl, 1 << 24 if quick else 1 << 27, "float64", cores))
    jobs.append(("queue", 20000 if quick else 100000, "float64", 1))
    jobs.append(("pipe", 20000 if quick else 100000, "float64", 1))
    for n in DICT_SIZES:
        for wl in DICTS:
            jobs.append((wl, n, "float64", 1))
    return jobs, runs


def systems_for(workload, workers):
    if workload in STREAMING:
        return ["mproc", "mproc-in-memory"]
    if workload.startswith("small-"):
        return ["mproc", "mproc-workers", "mproc-caller", "numpy"]
    if workload in ("gemm", "gemv", "syrk") or workload in UFUNCS or workload in ANALYSIS:
        return ["mproc", "numpy"]
    if workload in ORDER:
        return ["mproc", "numpy"]
    if workload in ("queue", "pipe") or workload in MAP_TASKS:
        return ["mproc", "multiprocessing"]
    if workload in DICTS:
        return ["mproc", "multiprocessing"]
    if workload in TASKS:
        return ["mproc", "multiprocessing", "joblib"]
    if workload in MAPS:
        return ["mproc", "numpy", "dask"]
    if workload in SELECTIONS:
        return ["mproc", "numpy"]
    systems = ["mproc"] + PEER_SYSTEMS
    if workers == 1:
        systems = ["mproc", "numpy"] + [s for s in PEER_SYSTEMS if s != "numpy"]
    return systems


def measure(system, workload, size, dtype, workers, runs, python):
    if workload.startswith("small-"):
        op, runs = workload[len("small-"):], SMALL_RUNS
        if system == "numpy":
            rec = run_json([python, PEERS, "numpy", op, "--size", str(size), "--workers", str(workers), "--runs", str(runs),
                            "--dtype", dtype])
        else:
            cutoff = {"mproc-workers": ["--caller-cutoff", "0"], "mproc-caller": ["--caller-cutoff", str(1 << 62)]}
            rec = run_json([MPROC, "bench", op, "--size", str(size), "--dtype", dtype, "--workers", str(workers),
                            "--runs", str(runs), "--warmup", "5", "--json"] + cutoff.get(system, []))
        if rec:
            rec.update(workload=workload, system=system, workers=workers)
        return rec
    if workload in STREAMING:
        sys.path.insert(0, HERE)
        import streaming
        streaming.MPROC = MPROC
        return streaming.measure(system, workload, size, workers, runs)
    if system == "mproc":
        return run_json([MPROC, "bench", workload, "--size", str(size), "--dtype", dtype, "--workers", str(workers),
                         "--runs", str(runs), "--json"])
    script = TASK_PEERS if workload in TASKS or workload in MAP_TASKS else PEERS
    if workload in DICTS:
        script = DICT_PEERS
    rec = run_json([python, script, system, workload, "--size", str(size), "--workers", str(workers),
                    "--runs", str(runs), "--dtype", dtype])
    if rec and rec.get("unsupported"):
        return None
    return rec


def limit_record(workload, size, dtype, workers, bandwidth):
    if workload not in TRAFFIC or bandwidth is None:
        return None
    per = TRAFFIC[workload] * (0.5 if dtype == "float32" else 1)
    gbps = bandwidth["triad_gb_per_s" if workload in TRIAD_LIKE else "gb_per_s"]
    ms = size * per / gbps / 1e6
    return {"workload": workload, "size": size, "dtype": dtype, "workers": workers, "system": "limit",
            "median_ms": ms, "min_ms": ms, "max_ms": ms}


def markdown(results):
    recs = results["records"]
    keys = sorted({(r["workload"], r["size"], r["dtype"], r["workers"]) for r in recs},
                  key=lambda k: (k[0] not in ("sum",), k[0], k[2], k[3], k[1]))
    systems = ["mproc", "numpy", "multiprocessing", "multiprocessing-shm", "joblib", "dask", "limit"]
    systems += ["mproc-in-memory"] if any(r["system"] == "mproc-in-memory" for r in recs) else []
    bw = results["bandwidth"]
    lines = [f"Machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, L2 {results['machine']['l2']}, "
             f"L3 {results['machine']['l3']}, Linux {results['machine']['kernel']}, {results['machine']['blas']}, "
             f"numpy {results['machine']['numpy']}, SIMD path {results['machine'].get('simd')} "
             f"({results['machine'].get('vector_math')}). {results['machine']['date']}.", ""]
    runs = sorted({r.get("run", "") for r in recs} - {""})
    if len(runs) > 1:
        lines += [f"Rows come from {len(runs)} runs ({', '.join(d[:10] for d in runs)}; the line above describes the "
                  "latest); the ratios in a row always compare systems measured in the same run.", ""]
    for w, b in sorted(bw.items()):
        lines.append(f"- Memory bandwidth with {w} thread(s): sum {b['gb_per_s']:.1f} GB/s, triad {b['triad_gb_per_s']:.1f} GB/s")
    lines += ["", "Median ms (min-max over runs); in brackets, the system's time divided by mproc's "
              "(above 1: mproc is faster). `limit` is the time to move the data at the measured bandwidth.", "",
              "| workload | size | dtype | workers | " + " | ".join(systems) + " | mproc / limit |",
              "|---|---:|---|---:|" + "---:|" * (len(systems) + 1)]
    index = {(r["workload"], r["size"], r["dtype"], r["workers"], r["system"]): r for r in recs}
    for k in keys:
        mp = index.get(k + ("mproc",))
        if not mp:
            continue  # a peer's serial time copied to a worker count mproc was not measured at
        cells = []
        for s in systems:
            r = index.get(k + (s,))
            if not r:
                cells.append("")
                continue
            cell = f"{r['median_ms']:.3g}"
            if s not in ("mproc", "limit") and mp:
                cell += f" [{r['median_ms'] / mp['median_ms']:.2g}x]"
            cells.append(cell)
        lim = index.get(k + ("limit",))
        frac = f"{mp['median_ms'] / lim['median_ms']:.2f}" if (mp and lim and lim["median_ms"] > 0) else ""
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | " + " | ".join(cells) + f" | {frac} |")
    return "\n".join(lines) + "\n"


def small_cutoff(records, swept=SMALL, weights=None):
    """The caller cutoff the small-array sweep measured: the array size (bytes) up to which the caller alone
    was faster than waking the workers for every swept reduction (with `weights`, the maps: the smallest
    over the rows of size x 8 x weight); and a table of caller time / workers time per size."""
    index = {(r["workload"], r["size"], r["system"]): r["median_ms"] for r in records if r["workload"].startswith("small-")}
    ops = [op for op in swept if any(k[0] == "small-" + op for k in index)]
    if not ops:
        return None, ""
    sizes = sorted({k[1] for k in index})
    lines = ["| elements | " + " | ".join(f"{op}: caller / workers" for op in ops) + " | " +
             " | ".join(f"{op}: mproc / numpy" for op in ops) + " |", "|---:|" + "---:|" * (2 * len(ops))]
    workers_win_any = {}
    for n in sizes:
        cells, numpy_cells, wins = [], [], False
        for op in ops:
            c, w = index.get(("small-" + op, n, "mproc-caller")), index.get(("small-" + op, n, "mproc-workers"))
            m, p = index.get(("small-" + op, n, "mproc")), index.get(("small-" + op, n, "numpy"))
            cells.append(f"{c / w:.2f}" if c and w else "")
            numpy_cells.append(f"{m / p:.2f}" if m and p else "")
            wins = wins or bool(c and w and w < c)
        workers_win_any[n] = wins
        lines.append(f"| 2^{n.bit_length() - 1} | " + " | ".join(cells) + " | " + " | ".join(numpy_cells) + " |")
    # The largest size up to which the caller alone beat the workers for every swept reduction, at that
    # size and every smaller one: arrays of at most that many bytes run in the caller.
    cutoff = None
    for n in sizes:
        if workers_win_any[n]:
            break
        cutoff = n
    cutoff_bytes = cutoff * 8 if cutoff else None
    if weights:
        # Per row: the largest size up to which the caller won at every size, in weighted bytes; the
        # cutoff is the smallest of these over the rows.
        reach = {}
        for op in ops:
            last = None
            for n in sizes:
                c, w = index.get(("small-" + op, n, "mproc-caller")), index.get(("small-" + op, n, "mproc-workers"))
                if c and w and w < c:
                    break
                last = n
            reach[op] = last * 8 * weights[op] if last else 0
        cutoff_bytes = min(reach.values()) or None
        return cutoff_bytes, "\n".join(lines) + "\n\n" + "Measured map cutoff (weighted bytes up to which the caller won at every size): " + \
            ", ".join(f"{op} {reach[op]}" for op in ops) + f"; smallest {cutoff_bytes}.\n"
    text = "\n".join(lines) + "\n\n" + (
        f"Measured caller cutoff: arrays of at most {cutoff_bytes} bytes ({cutoff} float64 values) run in the caller.\n"
        if cutoff_bytes else "Measured caller cutoff: the workers won at the smallest swept size.\n")
    return cutoff_bytes, text


def plots(results, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plots", file=sys.stderr)
        return []
    recs = [r for r in results["records"] if r["dtype"] == "float64"]
    colors = {"mproc": "C0", "numpy": "C1", "multiprocessing": "C2", "multiprocessing-shm": "C3", "joblib": "C4",
              "dask": "C5", "limit": "k"}
    made = []
    maxw = max(r["workers"] for r in recs)
    workloads = ["sum", "var", "argmin", "dot", "histogram", "colstats", "sqrt", "seed-mean-of-means"]
    fig, axes = plt.subplots(2, 4, figsize=(16, 8))
    for ax, wl in zip(axes.flat, workloads):
        for s, c in colors.items():
            pts = sorted((r["size"], r["median_ms"]) for r in recs if r["workload"] == wl and r["system"] == s
                         and (r["workers"] == maxw or s == "numpy"))
            if pts:
                ax.loglog([p[0] for p in pts], [p[1] for p in pts], "o-" if s != "limit" else "--", color=c, label=s)
        ax.set_title(f"{wl} ({maxw} workers)")
        ax.set_xlabel("elements")
        ax.set_ylabel("ms")
        ax.grid(True, which="both", alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    path = os.path.join(outdir, "time-vs-size.png")
    fig.savefig(path, dpi=80)
    made.append(path)
    plt.close(fig)
    # The largest size at which sum was measured with more than one worker count (a partial run at a bigger
    # size with one count would leave the lines empty).
    counts = {}
    for r in recs:
        if r["workload"] == "sum" and r["system"] == "mproc":
            counts.setdefault(r["size"], set()).add(r["workers"])
    big = max((n for n, ws in counts.items() if len(ws) > 1), default=max(counts, default=0))
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    for ax, wl in zip(axes, ["sum", "var", "dot", "seed-mean-of-means"]):
        for s, c in colors.items():
            pts = sorted((r["workers"], r["median_ms"]) for r in recs if r["workload"] == wl and r["system"] == s
                         and r["size"] == big)
            if pts and s != "numpy":
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-" if s != "limit" else "--", color=c, label=s)
        ax.set_title(f"{wl}, {big} float64")
        ax.set_xlabel("workers")
        ax.set_ylabel("ms")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path = os.path.join(outdir, "time-vs-workers.png")
    fig.savefig(path, dpi=80)
    made.append(path)
    plt.close(fig)
    small = [r for r in results["records"] if r["workload"].startswith("small-")]
    if small:
        ops = [op for op in SMALL + list(SMALL_MAPS) if any(r["workload"] == "small-" + op for r in small)]
        fig, axes = plt.subplots(1, len(ops), figsize=(4 * len(ops), 4), squeeze=False)
        styles = {"mproc": ("C0", "o-"), "mproc-workers": ("C2", "s--"), "mproc-caller": ("C3", "^--"), "numpy": ("C1", "o-")}
        cutoff = results.get("small_array_cutoff_bytes")
        for ax, op in zip(axes[0], ops):
            for system, (color, style) in styles.items():
                pts = sorted((r["size"], r["median_ms"] * 1000) for r in small if r["workload"] == "small-" + op and r["system"] == system)
                if pts:
                    ax.loglog([p[0] for p in pts], [p[1] for p in pts], style, color=color, label=system)
            line = (results.get("small_map_cutoff_bytes") or 0) / (8 * SMALL_MAPS[op]) if op in SMALL_MAPS else (cutoff or 0) / 8
            if line:
                ax.axvline(line, color="k", alpha=0.4)
            ax.set_title(f"{op}, float64 (line: cutoff)")
            ax.set_xlabel("elements")
            ax.set_ylabel("µs")
            ax.grid(True, which="both", alpha=0.3)
        axes[0][0].legend(fontsize=8)
        fig.tight_layout()
        path = os.path.join(outdir, "small-arrays.png")
        fig.savefig(path, dpi=80)
        made.append(path)
        plt.close(fig)
    return made


def update_readme(md):
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    start, end = "<!-- performance:start -->", "<!-- performance:end -->"
    if start not in text or end not in text:
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    open(path, "w").write(head + start + "\n" + md + end + tail)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--only", help="comma-separated workloads")
    p.add_argument("--no-readme", action="store_true")
    p.add_argument("--sizes", help="comma-separated element counts (2^27 style accepted) instead of the plan's")
    p.add_argument("--workers", help="comma-separated worker counts instead of the plan's")
    p.add_argument("--merge", action="store_true",
                   help="keep the records of the existing latest.json that this run does not measure again")
    a = p.parse_args()
    if not os.path.exists(MPROC):
        sys.exit("build first: swift build -c release --product mproc")
    os.makedirs(a.out, exist_ok=True)
    cores = os.cpu_count()
    parse = lambda t: int(t.split("^")[0]) ** int(t.split("^")[1]) if "^" in t else int(t)
    jobs, runs = plan(a.quick, cores, [parse(t) for t in a.sizes.split(",")] if a.sizes else None)
    if a.workers:
        keep_w = {int(w) for w in a.workers.split(",")}
        jobs = [j for j in jobs if j[3] in keep_w]
    if a.only:
        keep = set(a.only.split(","))
        jobs = [j for j in jobs if j[0] in keep]
    bandwidth = {}
    for w in sorted({j[3] for j in jobs}):
        b = probe(w, 7)
        if b:
            bandwidth[str(w)] = b
    records = []
    for i, (wl, size, dtype, workers) in enumerate(jobs):
        print(f"[{i + 1}/{len(jobs)}] {wl} size={size} {dtype} workers={workers}", file=sys.stderr, flush=True)
        for system in systems_for(wl, workers):
            if system == "numpy" and workers != min(j[3] for j in jobs) and wl not in ("gemm", "gemv", "syrk") + tuple(ORDER) \
                    and not wl.startswith("small-"):
                continue  # numpy is single-process: measure it once per size
            rec = measure(system, wl, size, dtype, workers, runs, sys.executable)
            if rec:
                records.append(rec)
        lim = limit_record(wl, size, dtype, workers, bandwidth.get(str(workers)))
        if lim:
            records.append(lim)
    # numpy rows apply to every worker count: copy them so each table row has its peer.
    for r in [r for r in records if r["system"] == "numpy" and r["workload"] not in ("gemm", "gemv", "syrk") and not r["workload"].startswith("small-")]:
        for w in sorted({j[3] for j in jobs}):
            if w != r["workers"]:
                records.append(dict(r, workers=w))
    latest = os.path.join(a.out, "latest.json")
    if a.merge and os.path.exists(latest):
        # Records of workloads not measured now stay (a partial re-run refreshes only what it measured).
        measured = {(r["workload"], r["size"], r["dtype"], r["workers"]) for r in records}
        with open(latest) as f:
            old = json.load(f)
        kept = [dict(r, run=r.get("run", old.get("machine", {}).get("date", "earlier")))
                for r in old.get("records", []) if (r["workload"], r["size"], r["dtype"], r["workers"]) not in measured]
        records = kept + records
        bandwidth = {**old.get("bandwidth", {}), **bandwidth}
    this_machine = machine()
    records = [dict(r, run=r.get("run", this_machine["date"])) for r in records]
    results = {"machine": this_machine, "bandwidth": bandwidth, "quick": a.quick, "records": records}
    cutoff_bytes, cutoff_table = small_cutoff(records)
    if cutoff_bytes is not None or cutoff_table:
        results["small_array_cutoff_bytes"] = cutoff_bytes
        print(cutoff_table, file=sys.stderr)
    map_cutoff_bytes, map_table = small_cutoff(records, list(SMALL_MAPS), SMALL_MAPS)
    if map_cutoff_bytes is not None or map_table:
        results["small_map_cutoff_bytes"] = map_cutoff_bytes
        print(map_table, file=sys.stderr)
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(results, f, indent=1)
    md = markdown(results)
    if cutoff_table:
        md += "\nSmall arrays (caller alone vs waking the workers; below 1 the caller is faster):\n\n" + cutoff_table
    if map_table:
        md += "\nSmall maps (caller alone vs waking the workers; below 1 the caller is faster):\n\n" + map_table
    with open(os.path.join(a.out, "latest.md"), "w") as f:
        f.write(md)
    made = plots(results, a.out)
    if not a.no_readme:
        update_readme(md)
    print(f"wrote {a.out}/latest.json, latest.md, " + ", ".join(os.path.basename(m) for m in made), file=sys.stderr)


if __name__ == "__main__":
    main()
