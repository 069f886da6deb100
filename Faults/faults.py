#!/usr/bin/env python3
"""The fault suite: mutation fuzzing, coverage-guided fuzzing, process faults, resource limits and hostile
paths against a built `mproc`, counted into one table (printed, and written as Markdown to Faults/RESULTS.md).

    make faults                                   # builds release mproc, runs everything, strict
    python3 Faults/faults.py --mproc .build/release/mproc [--seed 1] [--mutants 5000] [--fuzz-seconds 60]
                             [--sections mutation,fuzz,process,limits,paths] [--report-only]

Exit status: 0 when every bad column (crashes, hangs, wrong answers, untidy errors, leaked segments, leftover
processes, faults not survived) is 0; 1 otherwise, unless --report-only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402

SECTIONS = ["mutation", "fuzz", "process", "limits", "paths"]


class Row:
    """One line of the table. Mutation rows fill the outcome columns; fault rows fill survived/total."""

    def __init__(self, name, tried=0, clean=None, correct=None, crash=0, hang=0, wrong=0, untidy=0, leaked=0,
                 leftover=0, survived=None, total=None, note=""):
        self.name, self.tried, self.clean, self.correct = name, tried, clean, correct
        self.crash, self.hang, self.wrong, self.untidy = crash, hang, wrong, untidy
        self.leaked, self.leftover, self.survived, self.total, self.note = leaked, leftover, survived, total, note

    @property
    def bad(self) -> int:
        failed = (self.total - self.survived) if self.total is not None else 0
        return self.crash + self.hang + self.wrong + self.untidy + self.leaked + self.leftover + failed


HEAD = ["category", "inputs / faults", "clean errors", "correct", "crashes", "hangs", "wrong answers",
        "untidy errors", "leaked segments", "leftover processes", "survived"]


def cells(r: Row):
    surv = (f"{r.survived}/{r.total}" if r.total else "skipped") if r.total is not None else "-"
    def n(x):
        return "-" if x is None else str(x)
    return [r.name, n(r.tried), n(r.clean), n(r.correct), n(r.crash), n(r.hang), n(r.wrong), n(r.untidy),
            n(r.leaked), n(r.leftover), surv]


def render(rows, markdown: bool) -> str:
    table = [HEAD] + [cells(r) for r in rows]
    if markdown:
        out = ["| " + " | ".join(table[0]) + " |", "|" + "|".join(["---"] + ["---:"] * (len(HEAD) - 1)) + "|"]
        out += ["| " + " | ".join(c) + " |" for c in table[1:]]
        return "\n".join(out)
    widths = [max(len(row[i]) for row in table) for i in range(len(HEAD))]
    lines = ["  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row))
             for row in table]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def private_shm() -> bool:
    """Re-runs this script in a private mount namespace with its own /dev/shm (tmpfs), so segments other
    programs on the machine create cannot be mistaken for leaks. Returns False when that is not possible."""
    if os.environ.get("FAULTS_PRIVATE_SHM") == "1":
        return True
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --make-rprivate / 2>/dev/null; "
                            "mount -t tmpfs -o size=4g,mode=1777 faults-shm /dev/shm"], capture_output=True)
    if probe.returncode != 0:
        return False
    env = dict(os.environ, FAULTS_PRIVATE_SHM="1")
    cmd = ("mount --make-rprivate / 2>/dev/null; mount -t tmpfs -o size=4g,mode=1777 faults-shm /dev/shm && "
           'exec "$0" "$@"')
    rc = subprocess.call(["unshare", "-m", "sh", "-c", cmd, sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                         env=env)
    sys.exit(rc)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mproc", default=os.path.join(HERE, "..", ".build", "release", "mproc"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mutants", type=int, default=5000)
    ap.add_argument("--batch-every", type=int, default=10, help="every Nth HDF5 mutant also goes through batch")
    ap.add_argument("--jobs", type=int, default=4, help="mutants in flight (each mproc run idles part of its time)")
    ap.add_argument("--timeout", type=float, default=10.0, help="hang guard per stats run, seconds")
    ap.add_argument("--batch-timeout", type=float, default=20.0)
    ap.add_argument("--fuzz-seconds", type=int, default=60, help="per libFuzzer target")
    ap.add_argument("--fuzz-jobs", type=int, default=2, help="fuzz targets run at the same time")
    ap.add_argument("--process-repeats", type=int, default=4, help="runs per process-fault case")
    ap.add_argument("--limit-timeout", type=float, default=8.0, help="hang guard under resource limits, seconds")
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--report-only", action="store_true", help="print the table but exit 0 whatever it shows")
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--no-private-shm", action="store_true")
    ctx = ap.parse_args()
    if not ctx.no_private_shm and not private_shm():
        print("note: no private /dev/shm (unshare -m not permitted): leaks are attributed by owner pid",
              file=sys.stderr)
    ctx.mproc = os.path.abspath(ctx.mproc)
    if not os.access(ctx.mproc, os.X_OK):
        sys.exit(f"faults: no mproc at {ctx.mproc} (make faults builds it)")
    ctx.progress = True
    ctx.batch_extra = []
    ctx.workdir = ctx.workdir or tempfile.mkdtemp(prefix="mproc-faults-")
    ctx.reproducers = os.path.join(HERE, "out", "reproducers")
    wanted = [s.strip() for s in ctx.sections.split(",") if s.strip()]
    for section in wanted:  # only the sections this run repeats lose their old reproducers
        shutil.rmtree(os.path.join(ctx.reproducers, section), ignore_errors=True)
    os.makedirs(ctx.reproducers, exist_ok=True)
    if os.path.exists(os.path.join(HERE, "out", "cases.txt")):
        os.unlink(os.path.join(HERE, "out", "cases.txt"))
    ctx.skips = []
    import fuzzing
    ctx.fuzz_bin = fuzzing.bin_dir(ctx)
    rows = []
    started = time.monotonic()
    examples = {}
    shm_before = common.shm_entries()

    if "mutation" in wanted:
        import mutation
        t0 = time.monotonic()
        # The samples are all under 3 MB: with the admission bound at 256 MiB, a mutant that declares more must be
        # refused at once rather than read (which the hang guard would count). Without the option such a
        # mutant is read or streamed, and counted as whatever it does.
        ctx.stats_extra = []
        for command in ("stats", "batch"):
            if common.mproc_knows(ctx.mproc, command, "--max-bytes"):
                setattr(ctx, command + "_extra", ["--max-bytes", str(256 << 20)])
            else:
                ctx.skips.append(f"mutation: `mproc {command}` has no --max-bytes; mutants declaring gigabytes are "
                                 "read as declared")
        # The reference is h5py, which reads the stored values; mproc applies CF attributes (scale_factor,
        # add_offset, fill values) unless told --raw. The decoding has its own tests against netCDF4-python's rules
        # (Tests/HDF5ArraysTests/CFDecodingTests); here the reader itself is under test, so compare stored values.
        for command in ("stats", "batch"):
            if common.mproc_knows(ctx.mproc, command, "--raw"):
                getattr(ctx, command + "_extra").append("--raw")
        tallies = mutation.run(ctx)
        for name, t in (("sample files via stats (control)", tallies["control"]), ("mutants via stats", tallies["stats"]),
                        ("mutants via batch (sample)", tallies["batch"])):
            rows.append(Row(name, t.tried, t.clean, t.correct, t.crash, t.hang, t.wrong, t.untidy, t.leaked,
                            t.leftover))
            for k, v in t.examples.items():
                examples.setdefault(f"{name}: {k}", []).extend(v)
        print(f"  mutation: {time.monotonic() - t0:.0f} s", file=sys.stderr)

    if "fuzz" in wanted:
        t0 = time.monotonic()
        for row, ex in fuzzing.run(ctx, Row):
            rows.append(row)
            if ex:
                examples.setdefault(row.name, []).extend(ex)
        print(f"  fuzz: {time.monotonic() - t0:.0f} s", file=sys.stderr)

    for section in ("process", "limits", "paths"):
        if section not in wanted:
            continue
        mod = __import__({"process": "process_faults", "limits": "limits", "paths": "hostile_paths"}[section])
        t0 = time.monotonic()
        for name, all_cases in mod.run(ctx):
            cases = [c for c in all_cases if getattr(c, "injected", True)]
            if len(cases) < len(all_cases):
                ctx.skips.append(f"{name}: {len(all_cases) - len(cases)} of {len(all_cases)} runs ended before "
                                 "the fault arrived (not counted)")
            survived = sum(1 for c in cases if c.survived)
            with open(os.path.join(HERE, "out", "cases.txt"), "a") as log:
                for c in all_cases:
                    log.write(f"{name}: {c.name}: {'survived' if c.survived else 'FAILED'}: {c.why}\n    {c.reproducer}\n")
            rows.append(Row(name, len(cases), survived=survived, total=len(cases),
                            crash=sum(1 for c in cases if c.crash), hang=sum(1 for c in cases if c.hang),
                            leaked=sum(1 for c in cases if c.leaked), leftover=sum(1 for c in cases if c.leftover)))
            bad = [(c.reproducer, c.why) for c in cases if not c.survived]
            if bad:
                examples.setdefault(name, []).extend(bad)
        print(f"  {section}: {time.monotonic() - t0:.0f} s", file=sys.stderr)

    # Segments no single run could be blamed for (created by workers, or by a run whose pid was reused).
    stray = sorted(common.shm_entries() - shm_before)
    if stray and os.environ.get("FAULTS_PRIVATE_SHM") == "1":
        rows.append(Row("segments left at the end", leaked=len(stray), note=", ".join(stray[:5])))

    elapsed = time.monotonic() - started
    bad = sum(r.bad for r in rows)
    command = "make faults   # or: python3 Faults/faults.py --mproc .build/release/mproc --seed %d" % ctx.seed
    print()
    print(render(rows, markdown=False))
    notes = [f"{r.name}: {r.note}" for r in rows if r.note]
    for note in notes:  # not bad outcomes (e.g. isolated HDF5 library crashes): said, not counted
        print("note: " + note)
    for s in ctx.skips:
        print("skipped: " + s)
    print(f"\nseed {ctx.seed}, {elapsed:.0f} s; bad outcomes: {bad}; reproducers under {ctx.reproducers}")
    for k, v in sorted(examples.items()):
        print(f"\n{k} ({len(v)}):")
        for path, why in v[:5]:
            print(f"  {path}\n      {why}")
    with open(ctx.results, "w") as f:
        f.write("# Fault suite results\n\n")
        f.write(f"Regenerate with `{command}` (seed {ctx.seed}, {ctx.mutants} mutants, "
                f"{ctx.fuzz_seconds} s per fuzz target; took {elapsed:.0f} s).\n\n")
        f.write(render(rows, markdown=True) + "\n")
        if notes:
            f.write("\nNotes (not bad outcomes):\n\n" + "".join(f"- {n}\n" for n in notes))
        if ctx.skips:
            f.write("\nSkipped:\n\n" + "".join(f"- {s}\n" for s in ctx.skips))
        if examples:
            f.write("\nExamples of failures (reproducers are kept under `Faults/out/reproducers/`, not committed):\n\n")
            for k, v in sorted(examples.items()):
                for path, why in v[:3]:
                    f.write(f"- {k}: `{os.path.relpath(path, os.path.join(HERE, '..')) if path else '-'}`: {why}\n")
    shutil.rmtree(ctx.workdir, ignore_errors=True)
    # One closing line in the form test runners use: every counted run or case that ended well, and every
    # bad outcome (a fuzz target counts as one case).
    cases = sum(max(r.total if r.total is not None else (r.tried if r.clean is not None else 1), 0) for r in rows)
    if bad and not ctx.report_only:
        print("faults: FAILED (bad outcomes above; --report-only prints the table without failing)")
        print(f"faults: {max(cases - bad, 0)} passed, {bad} failed")
        sys.exit(1)
    print("faults: " + ("ok" if not bad else "bad outcomes reported (--report-only)"))
    print(f"faults: {max(cases - bad, 0)} passed, {bad} failed")


if __name__ == "__main__":
    main()
