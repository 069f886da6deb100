"""Coverage-guided fuzzing: the libFuzzer targets of Faults/fuzz (built by Faults/fuzz/build.sh with
`-sanitize=fuzzer,address`), each seeded from Faults/fuzz/corpus/<target>, run for a bounded time.

Every crashing input ever found is kept in Faults/fuzz/crashes/<target>/ (commit it) and replayed first on
every run, so a crash stays counted until it is fixed. New crashes of this run are written there too.

FuzzHDF5Info fuzzes the in-process HDF5 metadata functions, but mproc runs them in a forked child
(CrashIsolation), so a crash inside libhdf5 is not mproc's as long as mproc survives that input: each of its
crash inputs is replayed through the real CLI (`mproc stats FILE`, `mproc stats FILE:/x`, `mproc batch FILE`) and
counts as a crash only if one of those crashes, hangs or prints a trace; otherwise it is an "isolated HDF5
library crash" (a note on the row, not a bad outcome)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time

from common import run_mproc

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.join(HERE, "fuzz")

TARGETS = [  # (binary, corpus, max input length); a dictionary Faults/fuzz/<corpus>.dict is used when present
    ("FuzzNpyHeader", "npy", 4096),
    ("FuzzHDF5Info", "hdf5", 32768),
    ("FuzzCodec", "codec", 4096),
    ("FuzzFrames", "frames", 4096),
]

# A huge malloc that fails is an answer (HDF5 turns NULL into an error), as it is outside the sanitizer: let it
# return NULL instead of counting it as a crash (allocator_may_return_null, and libFuzzer's malloc limit far
# above the RSS limit). Memory really used beyond 2 GiB is still reported (-rss_limit_mb).
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:symbolize=0:handle_abort=1:"
                                   "allocator_may_return_null=1")
LIMITS = ["-rss_limit_mb=2048", "-malloc_limit_mb=1000000000"]


def bin_dir(ctx) -> str | None:
    path = os.path.join(FUZZ, ".build-fuzz", "x86_64-unknown-linux-gnu", "debug")
    if not os.path.isdir(path):
        path = os.path.join(FUZZ, ".build-fuzz", "debug")
    return path if os.path.isdir(path) else None


def replay(exe: str, path: str) -> bool:
    """Whether the input still crashes the target."""
    try:
        r = subprocess.run([exe, "-timeout=20"] + LIMITS + [path], capture_output=True, env=ENV,
                           timeout=120, cwd=tempfile.gettempdir())
        return r.returncode != 0
    except subprocess.TimeoutExpired:
        return True


# Targets whose crash inputs are replayed through the CLI: a crash in the C library the CLI isolates is not one.
ISOLATED_BY_CLI = {"FuzzHDF5Info"}


def cli_survives(ctx, path: str) -> bool:
    """Whether mproc survives the input: `stats FILE`, `stats FILE:/x` and `batch FILE` each end without a
    signal, a hang or a trace (an error is the right answer to a damaged file)."""
    directory = tempfile.mkdtemp(prefix="isolated-", dir=ctx.workdir)
    try:
        file = os.path.join(directory, "input.h5")  # the suffix makes stats read it as HDF5
        shutil.copyfile(path, file)
        for argv in ([ctx.mproc, "stats", file], [ctx.mproc, "stats", file + ":/x"], [ctx.mproc, "batch", file]):
            r = run_mproc(argv, timeout=120)
            if r.hung or r.crashed:
                return False
        return True
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def fuzz_one(ctx, exe, corpus, max_len, seconds, out):
    """Runs libFuzzer for `seconds`, restarting after each crash (at most 5). Returns (executions, artifacts)."""
    work = tempfile.mkdtemp(prefix="corpus-", dir=ctx.workdir)
    executions, artifacts = 0, []
    deadline = time.monotonic() + seconds
    restarts = 0
    while restarts < 6:
        left = int(deadline - time.monotonic())
        if left < 2:
            break
        argv = [exe, work, corpus, f"-max_total_time={left}", f"-max_len={max_len}", f"-seed={ctx.seed + restarts}",
                "-timeout=10", *LIMITS, "-print_final_stats=1", f"-artifact_prefix={out}/",
                "-close_fd_mask=3"]
        dictionary = os.path.join(FUZZ, os.path.basename(corpus) + ".dict")
        if os.path.exists(dictionary):
            argv.append(f"-dict={dictionary}")
        r = subprocess.run(argv, capture_output=True, text=True, errors="replace", env=ENV, cwd=ctx.workdir,
                           timeout=left + 120)
        m = re.findall(r"stat::number_of_executed_units:\s*(\d+)", r.stderr)
        if m:
            executions += int(m[-1])
        else:
            done = re.findall(r"#(\d+)\s", r.stderr)
            executions += int(done[-1]) if done else 0
        new = [os.path.join(out, n) for n in os.listdir(out) if os.path.join(out, n) not in artifacts]
        artifacts += new
        if r.returncode == 0 or not new:
            break
        restarts += 1
    shutil.rmtree(work, ignore_errors=True)
    return executions, artifacts


def run(ctx, Row):
    bins = bin_dir(ctx)
    if bins is None:
        ctx.skips.append("coverage-guided fuzzing: the fuzz targets are not built (Faults/fuzz/build.sh)")
        return []
    def one(target):
        name, corpus_name, max_len = target
        exe = os.path.join(bins, name)
        if not os.access(exe, os.X_OK):
            ctx.skips.append(f"{name}: not built")
            return None
        corpus = os.path.join(FUZZ, "corpus", corpus_name)
        kept = os.path.join(FUZZ, "crashes", name)
        examples = []
        still = []
        isolated = []
        def library_crash_isolated(p):
            return name in ISOLATED_BY_CLI and cli_survives(ctx, p)
        for n in sorted(os.listdir(kept)) if os.path.isdir(kept) else []:
            p = os.path.join(kept, n)
            if replay(exe, p):
                if library_crash_isolated(p):
                    isolated.append(p)
                    continue
                still.append(p)
                examples.append((p, f"kept crash input still crashes: {exe} {p}"))
        out = os.path.join(ctx.reproducers, "fuzz", name)
        os.makedirs(out, exist_ok=True)
        executions, artifacts = fuzz_one(ctx, exe, corpus, max_len, ctx.fuzz_seconds, out)
        crashes = hangs = 0
        for a in artifacts:
            kind = os.path.basename(a).split("-")[0]
            with open(a, "rb") as f:
                h = hashlib.sha1(f.read()).hexdigest()[:16]
            os.makedirs(kept, exist_ok=True)
            keep = os.path.join(kept, f"{kind}-{h}")
            if not os.path.exists(keep):
                shutil.copyfile(a, keep)
            if kind == "timeout":
                hangs += 1
            elif kind == "crash" and library_crash_isolated(keep):
                isolated.append(keep)
                continue
            else:
                crashes += 1
            examples.append((keep, f"new {kind}: {exe} {keep}"))
        note = ""
        if isolated:
            note = (f"{len(isolated)} isolated HDF5 library crash{'es' if len(isolated) > 1 else ''} "
                    f"(mproc survives: stats, stats :/x, batch)")
        return (Row(f"fuzz: {name} ({ctx.fuzz_seconds} s)", tried=executions + len(still) + len(isolated),
                    crash=crashes + len(still), hang=hangs, note=note), examples)

    # Two targets at a time: one per core.
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=ctx.fuzz_jobs) as ex:
        rows = [r for r in ex.map(one, TARGETS) if r is not None]
    return rows
