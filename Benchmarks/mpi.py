#!/usr/bin/env python3
"""MPI ranks against one node, in one run: the two workloads of the MPI issue, same machine, same data.

    python3 Benchmarks/mpi.py [--rounds 9] [--dir /tmp] [--keep]

Needs the release build with MPI (`make build`) and Open MPI's mpirun. Writes with `mproc gen`:

  sum     a 1 GiB float64 .npy file (2^27 values); `mproc stats FILE --ops sum --json`
  batch   64 HDF5 files of 16 MiB float64 each (1 GiB); `mproc batch DIR --out SUMMARY`

reads them once (page cache warm), then in rounds that alternate the cases runs each as

  one node      mproc ... -w 2
  2 ranks       mpirun -np 2 --bind-to none (local fast-start flags) mproc ... --mpi -w 1

and reports, per workload, the medians of the compute time mproc itself reports (`elapsed_ms` for the sum,
the closing line's time for the batch) and of the wall time (process start to exit, with mpirun's own
start and MPI_Init/MPI_Finalize), and their ratios (target: <= 1.10x). It checks that the sums have the same
bits and the summaries the same bytes, and records the CPU.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MPROC = os.path.join(ROOT, ".build", "release", "mproc")
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--mca", "pml", "ob1", "--mca", "btl", "self,vader",
          "--bind-to", "none", "-np", "2"]


def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = (time.perf_counter() - start) * 1000
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    return wall, out


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def make_data(directory):
    npy = os.path.join(directory, "mpi-bench-sum.npy")
    batch = os.path.join(directory, "mpi-bench-batch")
    if not os.path.exists(npy):
        subprocess.run([MPROC, "gen", npy, "--count", str(1 << 27), "--seed", "16", "--force"], check=True, capture_output=True)
    if not os.path.isdir(batch):
        os.makedirs(batch)
        for i in range(64):
            subprocess.run([MPROC, "gen", os.path.join(batch, f"f{i:02d}.h5") + ":/data", "--count", str(2 << 20), "--seed", str(i)],
                           check=True, capture_output=True)
    for root, _, names in os.walk(batch):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                while f.read(1 << 24):
                    pass
    with open(npy, "rb") as f:
        while f.read(1 << 24):
            pass
    return npy, batch


def closing_ms(stderr):
    """The batch's own time, from its closing line (`... in 271.3 ms · ...`)."""
    found = re.findall(r" in ([0-9.]+) (ms|s) ", stderr)
    if not found:
        sys.exit(f"no closing line in:\n{stderr}")
    value, unit = found[-1]
    return float(value) * (1000 if unit == "s" else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--dir", default="/tmp")
    p.add_argument("--keep", action="store_true")
    a = p.parse_args()
    if not os.path.exists(MPROC):
        sys.exit("build first: make build (the release build with the MPI trait)")
    if shutil.which("mpirun") is None:
        sys.exit("mpirun not found: scripts/install-deps.sh installs Open MPI")
    npy, batch = make_data(a.dir)
    one_out, two_out = os.path.join(a.dir, "mpi-bench-one.csv"), os.path.join(a.dir, "mpi-bench-two.csv")
    cases = {
        ("sum", "one node"): [MPROC, "stats", npy, "--ops", "sum", "--json", "-w", "2"],
        ("sum", "2 ranks"): MPIRUN + [MPROC, "stats", "--mpi", npy, "--ops", "sum", "--json", "-w", "1"],
        ("batch", "one node"): [MPROC, "batch", batch, "--out", one_out, "--force", "-w", "2"],
        ("batch", "2 ranks"): MPIRUN + [MPROC, "batch", "--mpi", batch, "--out", two_out, "--force", "-w", "1"],
    }
    wall = {k: [] for k in cases}
    compute = {k: [] for k in cases}
    sums = {}
    for _ in range(a.rounds):
        for key, cmd in cases.items():
            ms, out = timed(cmd)
            wall[key].append(ms)
            if key[0] == "sum":
                result = json.loads(out.stdout)
                compute[key].append(result["elapsed_ms"])
                sums[key[1]] = result["sum"]
            else:
                compute[key].append(closing_ms(out.stdout + out.stderr))
    same_sum = sums["one node"] == sums["2 ranks"]
    with open(one_out, "rb") as f1, open(two_out, "rb") as f2:
        same_summary = f1.read() == f2.read()
    print(f"{cpu_name()}, {os.cpu_count()} cores; median of {a.rounds} rounds (ms)")
    print("| workload | one node, 2 workers | 2 ranks x 1 worker | ratio | wall, one node | wall, 2 ranks | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for workload in ("sum", "batch"):
        c1, c2 = statistics.median(compute[(workload, "one node")]), statistics.median(compute[(workload, "2 ranks")])
        w1, w2 = statistics.median(wall[(workload, "one node")]), statistics.median(wall[(workload, "2 ranks")])
        print(f"| {workload} | {c1:.1f} | {c2:.1f} | {c2 / c1:.2f}x | {w1:.0f} | {w2:.0f} | {w2 / w1:.2f}x |")
    print(f"same sum bits: {same_sum}; same summary bytes: {same_summary}")
    if not a.keep:
        os.remove(npy)
        shutil.rmtree(batch)
        for path in (one_out, two_out):
            if os.path.exists(path):
                os.remove(path)
    if not (same_sum and same_summary):
        sys.exit(1)


if __name__ == "__main__":
    main()
