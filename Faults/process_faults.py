"""Process faults: a worker SIGKILLed or SIGSTOPped at a random (seeded) moment of a reduction, a map and a
batch; the parent SIGKILLed; SIGINT/SIGTERM during every writing command; a lock/semaphore/barrier holder
killed. Each case is survived or not:
- worker killed: the command ends (no hang) with a correct result or a clean one-line error, no trace, no
  segment or worker left;
- worker stopped (needs --timeout): the command fails within the timeout plus a few seconds, naming the pid;
- parent killed: no worker outlives it (2 s grace) and no segment of it is left after `mproc cleanup`;
- SIGINT/SIGTERM on a writer: exit 130/143 (or 0 if it had finished), no trace, the previous output intact or
  a complete new one, and no other file (temporary) left in the output directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

import numpy as np

import common


@dataclass
class Case:
    name: str
    survived: bool
    why: str = ""
    reproducer: str = ""
    crash: bool = False
    hang: bool = False
    leaked: bool = False
    leftover: bool = False
    injected: bool = True       # False: the command had finished before the fault arrived (not counted)


def workers_of(pid: int) -> list:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return [p for p in out if common.process_name(p).startswith("mproc-worker")]


def wait_for_workers(pid: int, deadline: float) -> list:
    while time.monotonic() < deadline:
        w = workers_of(pid)
        if w:
            return w
        time.sleep(0.005)
    return []


def sha(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def prepare(ctx) -> dict:
    d = os.path.join(ctx.workdir, "process")
    os.makedirs(d, exist_ok=True)
    big_npy = os.path.join(d, "big.npy")
    big_h5 = os.path.join(d, "big.h5")
    rng = np.random.default_rng(ctx.seed)
    arr = rng.standard_normal(1 << 22)
    np.save(big_npy, arr)
    import h5py
    with h5py.File(big_h5, "w") as f:
        f.create_dataset("data", data=arr, chunks=(1 << 16,))
    batch = os.path.join(d, "batch")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "datasets", "batch", "stations")
    for k in range(12):
        for n in sorted(os.listdir(src)):
            if n.endswith(".h5") and n != "aws-05.h5":
                shutil.copyfile(os.path.join(src, n), os.path.join(batch if os.path.isdir(batch) else
                                                                   (os.makedirs(batch) or batch), f"{k:02d}-{n}"))
    return {"dir": d, "npy": big_npy, "h5": big_h5, "batch": batch, "sum": float(np.sum(arr)),
            "sumabs": float(np.sum(np.abs(arr)))}


def judge_end(r: common.Run, want_sum=None, data=None, report_lines_ok=False) -> tuple:
    """(survived, why) for a command that had a worker killed under it."""
    if r.hung:
        return False, "hang"
    if r.crashed:
        return False, f"crash: exit {r.returncode}: {common.first_line(r.stderr)}"
    if r.leaked_segments:
        return False, "leaked " + ",".join(r.leaked_segments)
    if r.leftover_processes:
        return False, "left " + ",".join(r.leftover_processes)
    if r.returncode == 0:
        if want_sum is not None:
            try:
                got = json.loads(r.stdout)["sum"]
                if abs(got - want_sum) > 1e-9 * data["sumabs"]:
                    return False, f"wrong sum {got} != {want_sum}"
            except (ValueError, KeyError, TypeError):
                return False, "exit 0 without a sum"
        return True, "completed"
    if not r.clean_error and not (report_lines_ok and r.returncode > 0):
        return False, f"untidy error: {len(r.stderr.splitlines())} lines: {common.first_line(r.stderr)}"
    return True, "clean error: " + common.first_line(r.stderr, 100)


def run_with_fault(ctx, argv, rng, sig, target, window, timeout, settle=1.5):
    """Runs argv; after a random delay in `window`, sends `sig` to a random worker ("worker") or to the
    parent ("parent"). Returns (run, injected pid or None)."""
    info = {}

    def during(p):
        start = time.monotonic()
        delay = rng.uniform(*window)
        workers = wait_for_workers(p.pid, start + 3)
        time.sleep(max(0.0, delay - (time.monotonic() - start)))
        if target == "parent":
            victim = p.pid
        else:
            workers = workers_of(p.pid) or workers
            victim = rng.choice(sorted(workers)) if workers else None
        if victim is not None and p.poll() is None:
            try:
                os.kill(victim, sig)
                info["victim"] = victim
            except ProcessLookupError:
                pass

    r = common.run_mproc(argv, timeout=timeout, during=during, settle=settle)
    if "victim" in info and sig == signal.SIGSTOP:
        try:
            os.kill(info["victim"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    return r, info.get("victim")


def worker_kills(ctx, data) -> list:
    cases = []
    m = ctx.mproc
    plans = [
        ("stats", [m, "stats", data["npy"], "--repeat", "300", "--json", "--ops", "sum"], (0.05, 1.0), data["sum"]),
        ("map", [m, "map", data["h5"] + ":/data", "--op", "sqrt", "--out", os.path.join(data["dir"], "kmap.h5"),
                 "--force", "-q"], (0.0, 0.25), None),
        ("batch", [m, "batch", data["batch"], "--format", "json", "-q"], (0.05, 0.8), None),
    ]
    for name, argv, window, want in plans:
        for k in range(ctx.process_repeats):
            rng = random.Random(f"{ctx.seed}-kill-{name}-{k}")
            r, victim = run_with_fault(ctx, argv, rng, signal.SIGKILL, "worker", window, timeout=60)
            # batch reports its failed files one per line after a count: several lines, none a trace.
            ok, why = judge_end(r, want, data, report_lines_ok=(name == "batch"))
            if victim is None:
                ok, why = ok, why + " (finished before the kill)"
            cases.append(Case(f"kill-worker-{name}", ok, why, " ".join(argv), crash=r.crashed, hang=r.hung,
                              leaked=bool(r.leaked_segments), leftover=bool(r.leftover_processes),
                              injected=victim is not None))
    return cases


def worker_stops(ctx, data) -> list:
    cases = []
    m = ctx.mproc
    plans = [
        ("stats", [m, "stats", data["npy"], "--repeat", "2000", "--json", "--ops", "sum"], (0.05, 1.0)),
        ("map", [m, "map", data["h5"] + ":/data", "--op", "sqrt", "--out", os.path.join(data["dir"], "smap.h5"),
                 "--force", "-q"], (0.0, 0.2)),
        ("batch", [m, "batch", data["batch"], "--format", "json", "-q"], (0.05, 0.8)),
    ]
    for name, argv, window in plans:
        if not common.mproc_knows(m, name, "--timeout"):
            ctx.skips.append(f"stop-worker-{name}: `mproc {name}` has no --timeout (a stopped worker would hang "
                             "it forever; counted once the option exists)")
            continue
        for k in range(ctx.process_repeats):
            rng = random.Random(f"{ctx.seed}-stop-{name}-{k}")
            limit = 3
            r, victim = run_with_fault(ctx, argv + ["--timeout", str(limit)], rng, signal.SIGSTOP, "worker",
                                       window, timeout=limit + 15)
            ok, why = judge_end(r, report_lines_ok=(name == "batch"))
            if ok and victim is not None and r.returncode != 0:
                # The error must come within the timeout plus a second (plus the wait for the worker to appear)
                # and name the stuck worker.
                if r.seconds > limit + 1 + window[1] + 1:
                    ok, why = False, f"took {r.seconds:.1f} s with --timeout {limit}"
                elif str(victim) not in r.stderr:
                    ok, why = False, f"error does not name the stopped worker {victim}: {common.first_line(r.stderr)}"
            cases.append(Case(f"stop-worker-{name}", ok, why, " ".join(argv), crash=r.crashed, hang=r.hung,
                              leaked=bool(r.leaked_segments), leftover=bool(r.leftover_processes),
                              injected=victim is not None))
    return cases


def parent_kills(ctx, data) -> list:
    cases = []
    m = ctx.mproc
    has_cleanup = common.mproc_knows(m, "cleanup", "cleanup")
    plans = [
        ("stats", [m, "stats", data["npy"], "--repeat", "300", "--json"], (0.05, 0.8)),
        ("map", [m, "map", data["h5"] + ":/data", "--op", "sqrt", "--out", os.path.join(data["dir"], "pmap.h5"),
                 "--force", "-q"], (0.0, 0.2)),
        ("batch", [m, "batch", data["batch"], "--format", "json", "-q"], (0.05, 0.6)),
    ]
    for name, argv, window in plans:
        for k in range(ctx.process_repeats):
            rng = random.Random(f"{ctx.seed}-parent-{name}-{k}")
            r, victim = run_with_fault(ctx, argv, rng, signal.SIGKILL, "parent", window, timeout=30, settle=2.0)
            ok, why = True, "workers gone, no segment left"
            if r.leftover_processes:
                ok, why = False, "workers outlived the parent: " + ",".join(r.leftover_processes)
            if has_cleanup:
                subprocess.run([m, "cleanup"], capture_output=True, timeout=30)
            left = [n for n in common.shm_entries() if common.owner_pid(n) == r.pid]
            if left:
                ok, why = False, "segments left after cleanup: " + ",".join(left)
            if victim is None:
                why += " (finished before the kill)"
            cases.append(Case(f"kill-parent-{name}", ok, why, " ".join(argv), hang=r.hung,
                              leaked=bool(left), leftover=bool(r.leftover_processes), injected=victim is not None))
    return cases


def writer_signals(ctx, data) -> list:
    """SIGINT / SIGTERM while gen, map --out and batch --out replace an existing output."""
    import h5py
    cases = []
    m = ctx.mproc
    base = os.path.join(data["dir"], "writers")

    def valid(path, kind):
        try:
            if kind == "npy":
                return np.load(path).size > 0
            if kind == "h5":
                with h5py.File(path, "r") as f:
                    return len(f.keys()) > 0
            if kind == "json":
                with open(path) as f:
                    return "records" in json.load(f)
        except Exception:
            return False
        return False

    plans = [
        ("gen-npy", "out.npy", "npy", lambda out: [m, "gen", out, "--count", "8M", "--force"], (0.0, 0.3)),
        ("gen-h5", "out.h5", "h5", lambda out: [m, "gen", out, "--count", "8M", "--force"], (0.0, 0.3)),
        ("map-out", "out.h5", "h5", lambda out: [m, "map", data["h5"] + ":/data", "--op", "sqrt", "--out",
                                                 out + ":/data", "--force", "-q"], (0.0, 0.2)),
        ("batch-out-json", "summary.json", "json", lambda out: [m, "batch", data["batch"], "--out", out, "--force",
                                                                "-q"], (0.0, 0.6)),
        ("batch-out-h5", "summary.h5", "h5", lambda out: [m, "batch", data["batch"], "--out", out, "--force", "-q"],
         (0.0, 0.6)),
    ]
    for name, fname, kind, make, window in plans:
        for sig in (signal.SIGINT, signal.SIGTERM):
            for k in range(max(1, ctx.process_repeats // 2)):
                d = os.path.join(base, f"{name}-{sig.name}-{k}")
                os.makedirs(d, exist_ok=True)
                out = os.path.join(d, fname)
                # The previous output: a complete run of the same command.
                prev = common.run_mproc(make(out), timeout=120)
                if prev.returncode != 0 or not os.path.exists(out):
                    cases.append(Case(f"{sig.name.lower()}-{name}", False, "could not write the previous output: "
                                      + common.first_line(prev.stderr), " ".join(make(out))))
                    continue
                before = sha(out)
                rng = random.Random(f"{ctx.seed}-writer-{name}-{sig.name}-{k}")

                sent = {}

                def during(p, rng=rng, sig=sig, window=window, sent=sent):
                    time.sleep(rng.uniform(*window))
                    if p.poll() is None:
                        p.send_signal(sig)
                        sent["at"] = True

                r = common.run_mproc(make(out), timeout=60, during=during)
                extra = sorted(set(os.listdir(d)) - {fname})
                ok, why = True, f"exit {r.returncode}"
                if r.hung:
                    ok, why = False, "hang"
                elif r.crashed and r.returncode not in (130, 143, -signal.SIGINT, -signal.SIGTERM):
                    ok, why = False, f"crash: exit {r.returncode}: {common.first_line(r.stderr)}"
                elif common.TRACE.search(r.stderr):
                    ok, why = False, "trace on stderr: " + common.first_line(common.TRACE.search(r.stderr).group(0))
                elif r.returncode not in (0, 130, 143, -signal.SIGINT, -signal.SIGTERM) and \
                        not (r.returncode == 1 and r.clean_error):
                    ok, why = False, f"exit {r.returncode}: {common.first_line(r.stderr)}"
                elif sha(out) != before and not valid(out, kind):
                    ok, why = False, "the previous output was damaged and no complete new one replaced it"
                elif extra:
                    ok, why = False, "left in the output directory: " + ", ".join(extra)
                elif r.leaked_segments or r.leftover_processes:
                    ok, why = False, "leaked " + ",".join(r.leaked_segments + r.leftover_processes)
                cases.append(Case(f"{sig.name.lower()}-{name}", ok, why, " ".join(make(out)),
                                  hang=r.hung, leaked=bool(r.leaked_segments), leftover=bool(r.leftover_processes),
                                  injected=bool(sent) and r.returncode != 0))
                for n in extra:
                    p = os.path.join(d, n)
                    os.unlink(p) if not os.path.isdir(p) else shutil.rmtree(p)
    return cases


def sync_holders(ctx) -> list:
    exe = os.path.join(ctx.fuzz_bin or "", "SyncHolder")
    if not ctx.fuzz_bin or not os.access(exe, os.X_OK):
        ctx.skips.append("sync holders: Faults/fuzz/build.sh did not build SyncHolder")
        return []
    cases = []
    for k in range(2):
        hold = random.Random(f"{ctx.seed}-sync-{k}").randrange(1, 50)
        r = common.run_mproc([exe, str(hold)], timeout=60,
                             env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
        seen = set()
        for line in r.stdout.splitlines():
            parts = line.split(" ", 2)
            if len(parts) >= 2 and parts[1] in ("survived", "FAILED"):
                seen.add(parts[0])
                cases.append(Case(parts[0], parts[1] == "survived", parts[2] if len(parts) > 2 else "",
                                  f"{exe} {hold}"))
        for name in {"lock-holder-killed", "semaphore-holder-killed", "barrier-party-killed"} - seen:
            cases.append(Case(name, False, "hang" if r.hung else f"no report (exit {r.returncode}): "
                              + common.first_line(r.stderr), f"{exe} {hold}", hang=r.hung, crash=r.crashed))
    return cases


def run(ctx):
    data = prepare(ctx)
    yield "process: worker SIGKILL", worker_kills(ctx, data)
    yield "process: worker SIGSTOP", worker_stops(ctx, data)
    yield "process: parent SIGKILL", parent_kills(ctx, data)
    yield "process: SIGINT/SIGTERM on writers", writer_signals(ctx, data)
    sync = sync_holders(ctx)
    if sync:
        yield "process: sync holder killed", sync
