"""Mutation fuzzing: mutants of the sample files through `mproc stats` (every one) and `mproc batch` (a sample),
each compared with numpy / h5py reading the same mutant.

Rules (see Faults/README.md):
- where the reference reads the mutant, mproc must give the same values (within the tolerances below) or refuse;
- where the reference refuses, mproc must refuse or give exactly the original file's values;
- a refusal is a *clean error*: non-zero exit, one line on stderr, no trace.
Tolerances: count, nancount, shape, nanmin, nanmax exact (compared in the compute type: float32 results as
float32); nansum within 1e-10 x sum(|x|) in float64, 2e-5 x sum(|x|) in float32, exact for integers (as the
double mproc prints); a non-finite sum (inf, nan) must be non-finite in mproc too (printed as null).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

import common
import mutate

OPS = "count,nancount,nansum,nanmin,nanmax"
HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Tally:
    tried: int = 0
    clean: int = 0
    correct: int = 0
    crash: int = 0
    hang: int = 0
    wrong: int = 0
    untidy: int = 0
    leaked: int = 0
    leftover: int = 0
    examples: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: str, leaked: bool, leftover: bool, example=None):
        with self.lock:
            self.tried += 1
            setattr(self, outcome, getattr(self, outcome) + 1)
            self.leaked += int(leaked)
            self.leftover += int(leftover)
            for bad in [outcome] + (["leaked"] if leaked else []) + (["leftover"] if leftover else []):
                if bad in ("crash", "hang", "wrong", "untidy", "leaked", "leftover") and example:
                    self.examples.setdefault(bad, []).append(example)


class Reference:
    """One reference server per thread; restarted when a mutant kills or stalls it."""

    def __init__(self):
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "reference.py")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def ask(self, path, kind, dataset, timeout=20.0):
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        result = {}

        def talk():
            try:
                self.proc.stdin.write(json.dumps({"path": path, "kind": kind, "dataset": dataset}) + "\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
                result["answer"] = json.loads(line) if line else None
            except (OSError, ValueError):
                result["answer"] = None

        t = threading.Thread(target=talk, daemon=True)
        t.start()
        t.join(timeout)
        answer = result.get("answer")
        if answer is None:  # the reference crashed or hung on this file: it refused it
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            return {"ok": False, "error": "reference reader crashed or hung"}
        return answer

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def _f(x):
    return None if x is None else float(x)


def same_values(got: dict, ref: dict, compute: str) -> tuple:
    """(equal, why) for mproc's JSON statistics against the reference's."""
    shape = list(got.get("shape", []))
    rshape = list(ref["shape"])
    # mproc reports arrays of rank > 2 as 2-D (rows, rest): the element count and row count must agree.
    if int(np.prod(shape)) != int(np.prod(rshape)) or (len(rshape) > 1 and shape[:1] != rshape[:1]):
        return False, f"shape {shape} != {rshape}"
    if got.get("count") != ref["count"]:
        return False, f"count {got.get('count')} != {ref['count']}"
    if got.get("nancount") != ref["nancount"]:
        return False, f"nancount {got.get('nancount')} != {ref['nancount']}"
    single = compute == "float32"
    for key in ("nanmin", "nanmax"):
        g, r = got.get(key), ref[key]
        if (g is None) != (r is None):
            if r is not None and not np.isfinite(float(r)):
                continue  # printed as null
            return False, f"{key} {g} != {r}"
        if g is None:
            continue
        if single:
            if np.float32(g) != np.float32(float(r)):
                return False, f"{key} {g} != {r}"
        elif float(g) != float(r):
            return False, f"{key} {g} != {r}"
    g, r = got.get("nansum"), ref["nansum"]
    if ref["integer"]:
        if ref["overflow"]:
            return True, ""
        if g is None or float(g) != float(int(r)):
            return False, f"nansum {g} != {r}"
        return True, ""
    rv, sumabs = float(r), float(ref["sumabs"])
    if not np.isfinite(rv) or not np.isfinite(sumabs):
        if single or g is None:
            return True, ""
        return False, f"nansum {g} finite, reference {r}"
    if g is None:
        if single and sumabs > 1e37:
            return True, ""
        return False, f"nansum null, reference {r}"
    tol = (2e-5 if single else 1e-10) * sumabs + 1e-300
    if abs(float(g) - rv) > tol:
        return False, f"nansum {g} != {r} (tolerance {tol:.3g})"
    return True, ""


def judge(run: common.Run, ref: dict, original: dict) -> tuple:
    """(outcome, why) of one stats run."""
    if run.hung:
        return "hang", f"no exit within {run.seconds:.1f} s"
    if run.crashed:
        return "crash", f"exit {run.returncode}: {common.first_line(run.stderr)}"
    if run.returncode != 0:
        if run.clean_error:
            return "clean", ""
        return "untidy", f"exit {run.returncode}, {len(run.stderr.splitlines())} stderr lines"
    try:
        got = json.loads(run.stdout)
    except ValueError:
        return "wrong", "exit 0 without JSON"
    compute = got.get("dtype", "float64")
    if ref.get("ok"):
        ok, why = same_values(got, ref, compute)
        return ("correct", "") if ok else ("wrong", why + " (reference reads the file)")
    if original.get("ok"):
        ok, why = same_values(got, original, compute)
        return ("correct", "") if ok else ("wrong", why + f" (reference refuses: {ref.get('error', '')[:80]})")
    return "wrong", "exit 0 on a file neither reference nor original reads"


def judge_batch(run: common.Run, refs: dict) -> tuple:
    """(outcome, why) of one batch run: every ok record must match its reference (or the original's)."""
    if run.hung:
        return "hang", f"no exit within {run.seconds:.1f} s"
    if run.crashed:
        return "crash", f"exit {run.returncode}: {common.first_line(TRACE_LINE(run.stderr))}"
    try:
        doc = json.loads(run.stdout)
    except ValueError:
        if run.returncode != 0 and run.clean_error:
            return "clean", ""
        return "untidy", f"exit {run.returncode} without JSON: {common.first_line(run.stderr)}"
    oks = 0
    for rec in doc.get("records", []):
        if rec.get("status") != "ok":
            continue
        oks += 1
        ref, original = refs(rec["dataset"])
        compute = rec.get("dtype", "float64")
        target = ref if ref.get("ok") else original
        if not target.get("ok"):
            return "wrong", f"{rec['dataset']}: status ok on a dataset neither reference nor original reads"
        ok, why = same_values(rec, target, compute)
        if not ok:
            return "wrong", f"{rec['dataset']}: {why}"
    return ("correct", "") if oks else ("clean", "")


def TRACE_LINE(text):
    m = common.TRACE.search(text)
    return text[m.start():] if m else text


def load_seeds(workdir: str) -> list:
    """The sample files (and small .npy derivatives of sensors.npy in every dtype the reader takes)."""
    seeds = []
    root = os.path.join(HERE, "..", "datasets")
    derived = os.path.join(workdir, "seeds")
    os.makedirs(derived, exist_ok=True)
    table = np.load(os.path.join(root, "sensors.npy"))
    for name, arr in [("small-f8-2d.npy", table[:300]), ("small-f4.npy", table[:500, 0].astype("<f4")),
                      ("small-i4.npy", (table[:400, 2] * 100).astype("<i4")), ("small-i2.npy", (table[:400, 1] * 10).astype("<i2")),
                      ("small-u1.npy", table[:300, 1].astype("|u1")), ("small-i8.npy", (table[:300, 4] * 1000).astype("<i8")),
                      ("small-be-f8.npy", table[:200, 3].astype(">f8")), ("small-fortran.npy", np.asfortranarray(table[:100]))]:
        np.save(os.path.join(derived, name), arr)
    for path in [os.path.join(root, "sensors.npy"), os.path.join(root, "sensors_temperature.npy")] + \
            sorted(os.path.join(derived, n) for n in os.listdir(derived)):
        with open(path, "rb") as f:
            data = f.read()
        h = mutate.npy_header(data)
        seeds.append(mutate.Seed(path=path, kind="npy", data=data, header_end=h[2] if h else 0))
    batch = os.path.join(root, "batch")
    h5 = [os.path.join(root, "sensors.h5")] + sorted(
        os.path.join(d, n) for d, _, files in os.walk(batch) for n in files if n.endswith((".h5", ".nc", ".mat")))
    for path in h5:
        with open(path, "rb") as f:
            data = f.read()
        try:
            spots = mutate.describe_hdf5(path)
        except Exception:
            spots = []  # the deliberately truncated sample: mutated anyway, against no dataset
        seeds.append(mutate.Seed(path=path, kind="hdf5", data=data, datasets=spots))
    return seeds


def run(ctx) -> dict:
    """Runs ctx.mutants mutants; returns {'stats': Tally, 'batch': Tally}."""
    seeds = load_seeds(ctx.workdir)
    npy_seeds = [s for s in seeds if s.kind == "npy"]
    h5_seeds = [s for s in seeds if s.kind == "hdf5" and s.datasets]
    stats_t, batch_t = Tally(), Tally()
    local = threading.local()
    refs_all = []
    original_cache = {}
    cache_lock = threading.Lock()

    def reference():
        if not hasattr(local, "ref"):
            local.ref = Reference()
            refs_all.append(local.ref)
        return local.ref

    def original(seed, dataset):
        key = (seed.path, dataset)
        with cache_lock:
            if key in original_cache:
                return original_cache[key]
        value = reference().ask(seed.path, seed.kind, dataset)
        with cache_lock:
            original_cache[key] = value
        return value

    def save(category, i, label, path, argv, why, run_):
        d = os.path.join(ctx.reproducers, "mutation", category)
        os.makedirs(d, exist_ok=True)
        base = os.path.join(d, f"{i:05d}-{label.replace('/', '_').replace(' ', '')[:40]}{os.path.splitext(path)[1]}")
        shutil.copyfile(path, base)
        with open(base + ".txt", "w") as f:
            # The command as it would be typed on the kept copy (batch took the mutant's directory).
            shown = [base if a in (path, os.path.dirname(path)) else a.replace(path, base) for a in argv]
            f.write("command: " + " ".join(shown) + "\n")
            f.write(f"why: {why}\nexit: {run_.returncode}\nstderr:\n{run_.stderr[-4000:]}\n")
        return base

    def one(i):
        rng = random.Random(f"{ctx.seed}-{i}")
        seed = rng.choice(npy_seeds) if rng.random() < 0.4 else rng.choice(h5_seeds)
        data, label = mutate.mutate(seed, rng)
        d = os.path.join(ctx.workdir, "mutants", str(threading.get_ident()))
        os.makedirs(d, exist_ok=True)
        ext = ".npy" if seed.kind == "npy" else ".h5"
        path = os.path.join(d, f"m{ext}")
        with open(path, "wb") as f:
            f.write(data)
        dataset = rng.choice(seed.datasets).name if seed.kind == "hdf5" else None
        target = path if dataset is None else f"{path}:{dataset}"
        argv = [ctx.mproc, "stats", target, "--json", "--ops", OPS] + ctx.stats_extra
        r = common.run_mproc(argv, timeout=ctx.timeout)
        ref = reference().ask(path, seed.kind, dataset)
        outcome, why = judge(r, ref, original(seed, dataset))
        example = None
        if outcome not in ("clean", "correct") or r.leaked_segments or r.leftover_processes:
            what = why or ("leaked " + ",".join(r.leaked_segments)) or ("left " + ",".join(r.leftover_processes))
            example = (save(outcome if outcome not in ("clean", "correct") else "leak", i,
                            f"{os.path.basename(seed.path)}-{label}", path, argv, what, r), what)
        stats_t.add(outcome, bool(r.leaked_segments), bool(r.leftover_processes), example)
        if seed.kind == "hdf5" and i % ctx.batch_every == 0:
            bdir = os.path.join(d, "batch")
            os.makedirs(bdir, exist_ok=True)
            bpath = os.path.join(bdir, "m.h5")
            shutil.copyfile(path, bpath)
            bargv = [ctx.mproc, "batch", bdir, "--format", "json", "--ops", OPS, "-q"]
            if ctx.batch_extra:
                bargv += ctx.batch_extra
            br = common.run_mproc(bargv, timeout=ctx.batch_timeout)

            def refs(ds):
                return reference().ask(bpath, "hdf5", ds), original(seed, ds)

            outcome, why = judge_batch(br, refs)
            example = None
            if outcome not in ("clean", "correct") or br.leaked_segments or br.leftover_processes:
                what = why or ("leaked " + ",".join(br.leaked_segments)) or ("left " + ",".join(br.leftover_processes))
                example = (save("batch-" + outcome, i, f"{os.path.basename(seed.path)}-{label}", bpath, bargv,
                                what, br), what)
            batch_t.add(outcome, bool(br.leaked_segments), bool(br.leftover_processes), example)
        if ctx.progress and (i + 1) % 500 == 0:
            print(f"  mutation: {i + 1}/{ctx.mutants}", file=sys.stderr, flush=True)

    def control(item):
        # The unmutated files must all give correct results: if they do not, the comparison (or the options
        # passed) is broken and the mutant counts would mean nothing.
        seed, dataset = item
        target = seed.path if dataset is None else f"{seed.path}:{dataset}"
        argv = [ctx.mproc, "stats", target, "--json", "--ops", OPS] + ctx.stats_extra
        r = common.run_mproc(argv, timeout=ctx.timeout)
        ref = original(seed, dataset)
        outcome, why = judge(r, ref, ref)
        # A clean refusal of a valid sample is a documented limit (e.g. Fortran order), not a failure.
        control_t.add(outcome, bool(r.leaked_segments), bool(r.leftover_processes),
                      (seed.path, why) if outcome not in ("correct", "clean") else None)

    control_t = Tally()
    items = [(s, None) for s in npy_seeds] + [(s, d.name) for s in h5_seeds for d in s.datasets]
    with ThreadPoolExecutor(max_workers=ctx.jobs) as ex:
        for f in [ex.submit(control, it) for it in items]:
            f.result()
        if control_t.correct < 0.8 * control_t.tried:
            raise SystemExit(f"faults: only {control_t.correct} of {control_t.tried} unmutated samples gave the "
                             "reference's values: the comparison or the options are broken; not counting mutants")
        for f in [ex.submit(one, i) for i in range(ctx.mutants)]:
            f.result()
    for r in refs_all:
        r.close()
    return {"control": control_t, "stats": stats_t, "batch": batch_t}
