"""What every section shares: running mproc in its own process group with a hang guard, telling a clean error
from a crash, and finding what a run left behind (segments in /dev/shm, worker processes)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field

# Text that means a crash reached the user's terminal (Swift runtime traps, backtraces, sanitizer reports).
TRACE = re.compile(
    r"Fatal error|Stack dump|Current stack trace|Backtrace|backtrace|Crashed Thread|Program crashed|"
    r"Illegal instruction|Segmentation fault|core dumped|Bus error|AddressSanitizer|^\s*#\d+ 0x|"
    r"^\s*\d+ .* in .* at /|\*\*\* Signal|Thread \d+ crashed", re.M)


@dataclass
class Run:
    argv: list
    returncode: int | None      # None: killed by the hang guard
    stdout: str
    stderr: str
    seconds: float
    pid: int
    leaked_segments: list = field(default_factory=list)
    leftover_processes: list = field(default_factory=list)

    @property
    def hung(self) -> bool:
        return self.returncode is None

    @property
    def signalled(self) -> bool:
        return self.returncode is not None and self.returncode < 0

    @property
    def trace(self) -> bool:
        return bool(TRACE.search(self.stderr))

    @property
    def crashed(self) -> bool:
        return self.signalled or self.trace or (self.returncode is not None and self.returncode >= 128)

    @property
    def clean_error(self) -> bool:
        """Non-zero exit, one line on stderr, no trace."""
        lines = [l for l in self.stderr.splitlines() if l.strip()]
        return (self.returncode is not None and self.returncode > 0 and not self.crashed and len(lines) == 1)


def shm_entries() -> set:
    try:
        return {n for n in os.listdir("/dev/shm") if n.startswith("mproc-")}
    except FileNotFoundError:
        return set()


def owner_pid(name: str) -> int | None:
    m = re.match(r"mproc-(\d+)-", name)
    return int(m.group(1)) if m else None


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def group_members(pgid: int) -> list:
    """Live (non-zombie) processes of a process group."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if rest[0] != "Z" and int(rest[2]) == pgid:
                out.append(int(entry))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return out


def process_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def kill_group(pgid: int, sig=signal.SIGKILL):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def run_mproc(argv, timeout: float, env=None, preexec=None, stdin=subprocess.DEVNULL, cwd=None,
              during=None, settle: float = 1.0) -> Run:
    """Runs argv in a new session (its own process group), kills the whole group on timeout.

    `during(proc)` is called once the process started (for process faults); it may send signals.
    Afterwards the group is checked for survivors (leftover workers) for up to `settle` seconds, and
    /dev/shm for segments named after this run's pid.
    """
    start = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=stdin, env=env, cwd=cwd,
                         start_new_session=True, preexec_fn=preexec, text=True, errors="replace")
    if during is not None:
        try:
            during(p)
        except Exception as e:  # a fault injector's own failure must not count as mproc's
            p.kill()
            raise e
    try:
        out, err = p.communicate(timeout=max(0.1, timeout - (time.monotonic() - start)))
        rc = p.returncode
    except subprocess.TimeoutExpired:
        kill_group(p.pid)
        out, err = p.communicate()
        rc = None
    seconds = time.monotonic() - start
    run = Run(list(argv), rc, out, err, seconds, p.pid)
    # After the hang guard's SIGKILL the group may take a moment to die (large mappings): that is our doing,
    # not a leftover; wait longer and do not count it.
    deadline = time.monotonic() + (settle if rc is not None else 10.0)
    members = group_members(p.pid)
    while members and time.monotonic() < deadline:
        time.sleep(0.05)
        members = group_members(p.pid)
    if members:
        if rc is not None:
            run.leftover_processes = [f"{m}:{process_name(m)}" for m in members]
        kill_group(p.pid)
    run.leaked_segments = sorted(n for n in shm_entries() if owner_pid(n) == p.pid)
    for n in run.leaked_segments:
        try:
            os.unlink(os.path.join("/dev/shm", n))
        except OSError:
            pass
    return run


def first_line(text: str, limit: int = 160) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def mproc_knows(mproc: str, command: str, flag: str) -> bool:
    """Whether `mproc COMMAND --help` lists `flag` (checks written against flags other branches add)."""
    try:
        r = subprocess.run([mproc, command, "--help"], capture_output=True, text=True, timeout=20)
        return flag in r.stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
