#!/usr/bin/env python3
"""Runs executable Markdown notebooks and checks their recorded outputs.

A notebook is ordinary Markdown. Every ```sh block is run with bash from the repository root, in order,
with `mproc` on PATH (the binary given by --mproc). When a ```output block follows a ```sh block, the
command's stdout (and stderr) must match it line by line, where an expected line ending in `...` matches
any line that starts with the text before the `...`, and a line that is exactly `...` matches any number
of lines. A ```sh block whose first line is `# expect-fail` must exit non-zero; others must exit 0.

    python3 notebooks-md/run.py --mproc .build/release/mproc notebooks-md/*.md
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\w[\w-]*)?\s*$")


def blocks(text):
    """Yields (kind, body) for each fenced block."""
    kind, lines = None, None
    for line in text.splitlines():
        m = FENCE.match(line)
        if m and lines is None:
            kind, lines = (m.group(1) or ""), []
        elif line.strip() == "```" and lines is not None:
            yield kind, "\n".join(lines)
            kind, lines = None, None
        elif lines is not None:
            lines.append(line)


def matches(expected, actual):
    """Line-by-line match with `...` wildcards (prefix and multi-line)."""
    exp, act = expected.splitlines(), actual.rstrip("\n").splitlines()

    def go(i, j):
        while i < len(exp):
            e = exp[i]
            if e.strip() == "...":
                return any(go(i + 1, k) for k in range(j, len(act) + 1))
            if j >= len(act):
                return False
            a = act[j].rstrip()
            if e.endswith("...") and a.startswith(e[:-3].rstrip()):
                pass
            elif e.rstrip() != a:
                return False
            i, j = i + 1, j + 1
        return j == len(act)

    return go(0, 0)


def run_notebook(path, env, root):
    failures = 0
    pending = None
    for kind, body in list(blocks(open(path).read())) + [("end", "")]:
        if kind == "output" and pending is not None:
            command, out = pending
            if not matches(body, out):
                failures += 1
                print(f"FAIL {path}: output of\n  {command}\nexpected:\n{body}\ngot:\n{out}", file=sys.stderr)
            pending = None
            continue
        pending = None
        if kind != "sh":
            continue
        expect_fail = body.lstrip().startswith("# expect-fail")
        proc = subprocess.run(["bash", "-c", "set -o pipefail\n" + body], cwd=root, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        ok = (proc.returncode != 0) if expect_fail else (proc.returncode == 0)
        if not ok:
            failures += 1
            print(f"FAIL {path}: exit {proc.returncode} from\n  {body}\n{proc.stdout}", file=sys.stderr)
        pending = (body, proc.stdout)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mproc", required=True, help="the mproc executable to put on PATH")
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    mproc = os.path.abspath(args.mproc)
    with tempfile.TemporaryDirectory() as bindir:
        os.symlink(mproc, os.path.join(bindir, "mproc"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], NOTEBOOK_TMP=bindir)
        failures = 0
        for notebook in args.notebooks:
            failures += run_notebook(notebook, env, root)
    total = len(args.notebooks)
    print(f"notebooks: {total - min(failures, total)} passed, {min(failures, total)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
