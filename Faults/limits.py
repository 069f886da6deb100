"""Resource limits: `ulimit -v` (address space, several values), `-n` (open files), `-u` (processes), and a small
tmpfs over /dev/shm (in a private mount namespace, where the machine allows one). Each run must end (no hang)
with a correct result or a clean one-line error ("not enough memory", "too many open files", ...), no trace,
no segment and no worker left."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess

import common
from process_faults import Case

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "datasets")


def limited(kind, value):
    def apply():
        resource.setrlimit(kind, (value, value))
    return apply


def judge(r: common.Run, want: dict | None, report_lines_ok: bool = False) -> tuple:
    if r.hung:
        return False, "hang"
    if r.crashed:
        return False, f"crash: exit {r.returncode}: {common.first_line(r.stderr)}"
    if r.leaked_segments or r.leftover_processes:
        return False, "leaked " + ",".join(r.leaked_segments + r.leftover_processes)
    if r.returncode == 0:
        if want is not None:
            try:
                got = json.loads(r.stdout)
                if got.get("count") != want["count"] or abs(got["nansum"] - want["nansum"]) > 1e-6:
                    return False, f"wrong: {got.get('count')} {got.get('nansum')}"
            except (ValueError, KeyError, TypeError):
                return False, "exit 0 without JSON"
        return True, "completed"
    if not r.clean_error and not (report_lines_ok and r.returncode > 0):
        return False, f"untidy error ({len(r.stderr.splitlines())} lines): {common.first_line(r.stderr)}"
    return True, "clean error: " + common.first_line(r.stderr, 100)


def run(ctx):
    m = ctx.mproc
    npy = os.path.join(SAMPLE, "sensors_temperature.npy")
    h5 = os.path.join(SAMPLE, "sensors.h5") + ":/readings/table"
    want_npy = {"count": 150000, "nansum": 1668667.7599999986}
    commands = [
        ("info", [m, "info"], None),
        ("stats-npy", [m, "stats", npy, "--json", "--ops", "count,nansum"], want_npy),
        ("stats-h5", [m, "stats", h5, "--json", "--ops", "count,nansum"], None),
        ("batch", [m, "batch", os.path.join(SAMPLE, "batch", "stations"), "--format", "json", "-q"], None),
    ]
    timeout = ctx.limit_timeout

    cases = []
    for kb in (100_000, 200_000, 500_000, 2_000_000):
        for name, argv, want in commands:
            r = common.run_mproc(argv, timeout=timeout, preexec=limited(resource.RLIMIT_AS, kb * 1024))
            ok, why = judge(r, want, report_lines_ok=(name == "batch"))
            cases.append(Case(f"ulimit -v {kb} {name}", ok, why, f"(ulimit -v {kb}; {' '.join(argv)})",
                              crash=r.crashed, hang=r.hung))
    yield "limits: ulimit -v", cases

    cases = []
    for n in (8, 12, 16, 24, 64):
        for name, argv, want in commands:
            r = common.run_mproc(argv, timeout=timeout, preexec=limited(resource.RLIMIT_NOFILE, n))
            ok, why = judge(r, want, report_lines_ok=(name == "batch"))
            cases.append(Case(f"ulimit -n {n} {name}", ok, why, f"(ulimit -n {n}; {' '.join(argv)})",
                              crash=r.crashed, hang=r.hung))
    yield "limits: ulimit -n", cases

    cases = []
    if os.geteuid() == 0:
        ctx.skips.append("ulimit -u: running as root, which RLIMIT_NPROC does not bind; the cases run anyway "
                         "and only show that the limit is ignored")
    used = sum(1 for p in os.listdir("/proc") if p.isdigit())
    for extra in (0, 1, 2, 8):
        for name, argv, want in commands[1:3]:
            n = used + extra
            r = common.run_mproc(argv, timeout=timeout, preexec=limited(resource.RLIMIT_NPROC, n))
            ok, why = judge(r, want, report_lines_ok=(name == "batch"))
            cases.append(Case(f"ulimit -u {n} {name}", ok, why, f"(ulimit -u {n}; {' '.join(argv)})",
                              crash=r.crashed, hang=r.hung))
    yield "limits: ulimit -u", cases

    cases = []
    if os.environ.get("FAULTS_PRIVATE_SHM") != "1" and shutil.which("unshare") is None:
        ctx.skips.append("small /dev/shm: no unshare here")
    else:
        big = os.path.join(ctx.workdir, "shm-big.npy")
        subprocess.run([m, "gen", big, "--count", "4M", "--force"], capture_output=True, timeout=120)
        for size in ("64k", "1m", "16m"):
            for name, argv in (("stats", [m, "stats", big, "--json", "--ops", "count,sum"]),
                               ("stats-h5", [m, "stats", h5, "--json", "--ops", "count,nansum"]),
                               ("cleanup", [m, "cleanup"])):
                script = (f"mount --make-rprivate / 2>/dev/null; mount -t tmpfs -o size={size} small-shm /dev/shm "
                          f"|| exit 97; " + 'exec "$@"')
                r = common.run_mproc(["unshare", "-m", "sh", "-c", script, "sh"] + argv, timeout=timeout)
                if r.returncode == 97:
                    ctx.skips.append(f"small /dev/shm: mount not permitted: {common.first_line(r.stderr)}")
                    break
                ok, why = judge(r, None)
                cases.append(Case(f"/dev/shm {size} {name}", ok, why,
                                  f"unshare -m sh -c 'mount -t tmpfs -o size={size} x /dev/shm; {' '.join(argv)}'",
                                  crash=r.crashed, hang=r.hung))
    yield "limits: small /dev/shm", cases
    yield "limits: declared sizes", declared_sizes(ctx)


def declared_sizes(ctx):
    """Sizes from a file or a flag that overflow or exceed memory: a valid 2 KB HDF5 file whose chunked dataset
    declares 2^62 (and 2^40) elements (never written), `gen --count 2^62`, `gen --shape 2^32,2^32`, and the admission bound
    (`--max-bytes`, when mproc has it). Each must be a clean error (a failed record in batch), never a trap or a
    stream of fill values."""
    import h5py
    m = ctx.mproc
    d = os.path.join(ctx.workdir, "sizes")
    os.makedirs(d, exist_ok=True)
    huge = os.path.join(d, "declared.h5")
    with h5py.File(huge, "w") as f:
        f.create_dataset("huge", shape=(2**62,), dtype="f8", chunks=(1024,))
        f.create_dataset("big", shape=(2**40,), dtype="f8", chunks=(4096,))  # 8 TiB of fill values
        f.create_dataset("small", data=[1.0, 2.0, 3.0])
    cases = []
    runs = [
        ("stats declared 2^62", [m, "stats", huge + ":/huge", "--json"], False),
        ("stats declared 2^40 float64", [m, "stats", huge + ":/big", "--json"], False),
        ("batch declared 2^62 and 2^40", [m, "batch", d, "--format", "json", "-q"], True),
        ("gen --count 2^62", [m, "gen", os.path.join(d, "g.npy"), "--count", "4611686018427387904"], False),
        ("gen --shape 2^32,2^32", [m, "gen", os.path.join(d, "g.npy"), "--shape", "4294967296,4294967296"], False),
    ]
    if common.mproc_knows(m, "stats", "--max-bytes"):
        npy = os.path.join(SAMPLE, "sensors.npy")
        runs += [("stats --max-bytes 1000", [m, "stats", npy, "--max-bytes", "1000", "--json"], False),
                 ("batch --max-bytes 1000", [m, "batch", os.path.join(SAMPLE, "batch", "misc"), "--max-bytes",
                                             "1000", "--format", "json", "-q"], True)]
    else:
        ctx.skips.append("--max-bytes: `mproc stats` has no --max-bytes (the admission-bound cases count once it "
                         "exists)")
    for name, argv, is_batch in runs:
        r = common.run_mproc(argv, timeout=ctx.limit_timeout + 7)
        ok, why = judge(r, None, report_lines_ok=is_batch)
        if ok and r.returncode == 0 and not is_batch:
            ok, why = False, "exit 0: the declared size was accepted"
        if ok and is_batch and r.returncode == 0 and "huge" in r.stdout:
            try:
                recs = {x["dataset"]: x for x in json.loads(r.stdout)["records"]}
                for big in ("/huge", "/big"):
                    if recs.get(big, {}).get("status") == "ok":
                        ok, why = False, f"batch reported the declared {big} dataset as ok"
            except (ValueError, KeyError):
                pass
        cases.append(Case(name, ok, why, " ".join(argv), crash=r.crashed, hang=r.hung))
    return cases
