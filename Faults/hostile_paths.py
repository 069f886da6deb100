"""Hostile paths: a symlink at the output and at the old predictable temporary name (`DIR/.NAME.tmp-<pid>`), a
dangling symlink, a FIFO and character devices (mknod'd copies of /dev/null and /dev/full, never the real
ones) as outputs, and a symlink owned by another user in a 1777 directory; every writer (`gen` .npy/.h5,
`map --out`, `batch --out` .json/.csv/.h5), with and without --force.

Survived when the symlink's target, the FIFO or the device is untouched (same bytes, same file type) and the
command either gives a clean one-line error or writes a regular file (not a symlink) at the output path.
A FIFO or device at the output must be refused, --force or not."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess

import common
from process_faults import Case

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE = os.path.join(HERE, "..", "datasets")


def digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def writers(m):
    pressure = os.path.join(SAMPLE, "sensors.h5") + ":/readings/pressure"
    misc = os.path.join(SAMPLE, "batch", "misc")
    return [
        ("gen-npy", "out.npy", lambda o: [m, "gen", o, "--count", "1000"]),
        ("gen-h5", "out.h5", lambda o: [m, "gen", o, "--count", "1000"]),
        ("map-out", "out.h5", lambda o: [m, "map", pressure, "--op", "sqrt", "--out", o + ":/p", "-q"]),
        ("batch-json", "out.json", lambda o: [m, "batch", misc, "--out", o, "-q"]),
        ("batch-csv", "out.csv", lambda o: [m, "batch", misc, "--out", o, "-q"]),
        ("batch-h5", "out.h5", lambda o: [m, "batch", misc, "--out", o, "-q"]),
    ]


def run_stopped(argv, plant, timeout=20.0):
    """Starts argv stopped (sh stops itself, then execs: the pid stays), lets `plant(pid)` prepare the
    directory for that pid, then continues it."""
    def during(p):
        # Wait until the shell has stopped itself.
        for _ in range(400):
            try:
                with open(f"/proc/{p.pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "T":
                        break
            except OSError:
                break
            common.time.sleep(0.005)
        plant(p.pid)
        os.kill(p.pid, common.signal.SIGCONT)

    return common.run_mproc(["sh", "-c", 'kill -STOP $$; exec "$@"', "sh"] + argv, timeout=timeout, during=during)


def run(ctx):
    m = ctx.mproc
    base = os.path.join(ctx.workdir, "paths")
    can_mknod = True
    probe = os.path.join(ctx.workdir, "mknod-probe")
    try:
        os.mknod(probe, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.unlink(probe)
    except OSError as e:
        can_mknod = False
        ctx.skips.append(f"character devices as output: mknod not permitted ({e.strerror})")
    hazards = ["symlink-at-output", "symlink-at-temporary-name", "dangling-symlink", "fifo", "sticky-dir-symlink"]
    if can_mknod:
        hazards += ["chardev-null", "chardev-full"]
    cases = []
    for hazard in hazards:
        for name, fname, make in writers(m):
            for force in (False, True):
                d = os.path.join(base, f"{hazard}-{name}-{int(force)}")
                os.makedirs(d)
                out = os.path.join(d, fname)
                victim = os.path.join(base, f"victim-{hazard}-{name}-{int(force)}")
                with open(victim, "wb") as f:
                    f.write(b"precious bytes the user had\n")
                before = digest(victim)
                argv = make(out) + (["--force"] if force else [])
                node_type = None
                missing = None
                if hazard == "symlink-at-output":
                    os.symlink(victim, out)
                elif hazard == "dangling-symlink":
                    missing = os.path.join(base, f"created-{name}-{int(force)}")
                    os.symlink(missing, out)
                elif hazard == "fifo":
                    os.mkfifo(out)
                    node_type = stat.S_ISFIFO
                elif hazard.startswith("chardev"):
                    os.mknod(out, 0o666 | stat.S_IFCHR, os.makedev(1, 3 if hazard.endswith("null") else 7))
                    node_type = stat.S_ISCHR
                if hazard in ("symlink-at-temporary-name", "sticky-dir-symlink"):
                    if hazard == "sticky-dir-symlink":
                        os.chmod(d, 0o1777)

                    def plant(pid, d=d, fname=fname, victim=victim, hazard=hazard):
                        for p in (pid, pid + 1):
                            link = os.path.join(d, f".{fname}.tmp-{p}")
                            os.symlink(victim, link)
                            if hazard == "sticky-dir-symlink":
                                os.lchown(link, 65534, 65534)

                    r = run_stopped(argv, plant)
                    shown = f"(plant {d}/.{fname}.tmp-<pid> -> victim) " + " ".join(argv)
                else:
                    r = common.run_mproc(argv, timeout=20)
                    shown = " ".join(argv)
                ok, why = True, f"exit {r.returncode}"
                is_link = os.path.islink(out)
                if r.hung:
                    ok, why = False, "hang"
                elif r.crashed:
                    ok, why = False, f"crash: exit {r.returncode}: {common.first_line(r.stderr)}"
                elif digest(victim) != before:
                    ok, why = False, "wrote through the symlink into its target"
                elif missing and os.path.exists(missing):
                    ok, why = False, "created the dangling symlink's target"
                elif node_type is not None:
                    st = os.lstat(out) if os.path.lexists(out) else None
                    if st is None or not node_type(st.st_mode):
                        ok, why = False, "replaced the FIFO/device with " + ("nothing" if st is None else "a file")
                    elif r.returncode == 0:
                        ok, why = False, "exit 0: wrote into the FIFO/device instead of refusing it"
                    elif not r.clean_error:
                        ok, why = False, f"untidy error: {common.first_line(r.stderr)}"
                    else:
                        why = "refused: " + common.first_line(r.stderr, 100)
                elif r.returncode == 0:
                    if is_link or not os.path.isfile(out):
                        ok, why = False, "exit 0 but the output is left a symlink"
                elif not r.clean_error:
                    ok, why = False, f"untidy error: {common.first_line(r.stderr)}"
                else:
                    why = "refused: " + common.first_line(r.stderr, 100)
                cases.append(Case(f"{hazard} {name}{' --force' if force else ''}", ok, why, shown,
                                  crash=r.crashed, hang=r.hung, leaked=bool(r.leaked_segments),
                                  leftover=bool(r.leftover_processes)))
                if node_type is not None and os.path.lexists(out):
                    os.unlink(out)
        yield f"paths: {hazard}", cases
        cases = []
    shutil.rmtree(base, ignore_errors=True)
