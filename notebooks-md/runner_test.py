#!/usr/bin/env python3
"""Tests of the notebook runner (run.py): a broken notebook must fail, a good one pass, --update must
rewrite only what changed. Needs a debug build (mproc and libMultiprocessingDynamic.so).

    python3 notebooks-md/runner_test.py
"""
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(ROOT, "notebooks-md", "run.py")

GOOD = '''
# A notebook

```swift
import Multiprocessing
import Glibc

struct Square: ParallelTask {
    static func run(_ x: Int) throws -> Int { x * x }
}
let pool = try WorkerPool(workers: 2)
var total = try pool.map(Square.self, over: 0..<10).reduce(0, +)
print("total", total)
print("parent pid", varying(getpid()))
```
```output
total 285
parent pid «1»
```

The Swift program waits while a shell cell runs:

```sh
echo "from sh: $((6 * 7))"
```
```output
from sh: 42
```

```python
print("from python:", sum(range(4)))
```
```output
from python: 6
```

State carries over from the first Swift cell:

```swift
total += try pool.map(Square.self, over: 10..<12).reduce(0, +)
print("total", total)
```
```output
total 506
```

```sh
# expect-fail
echo "refused" >&2; exit 3
```
```output
refused
```
'''


def run(*args, timeout=300):
    proc = subprocess.run([sys.executable, RUNNER, "--build-dir", ".build/debug", *args], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return proc.returncode, proc.stdout


class RunnerTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def notebook(self, text, name="nb.md"):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def test_matching_notebook_passes(self):
        status, out = run(self.notebook(GOOD))
        self.assertEqual(status, 0, out)
        self.assertIn("notebooks: 1 passed, 0 failed", out)

    def test_changed_output_fails_naming_the_cell(self):
        path = self.notebook(GOOD.replace("total 285", "total 286"))
        status, out = run(path)
        self.assertEqual(status, 1, out)
        self.assertIn(f"{path}:5: swift cell: output differs", out)
        self.assertIn("total 285", out)

    def test_varying_marks_only_cover_their_span(self):
        path = self.notebook(GOOD.replace("parent pid «1»", "parent id «1»"))
        status, out = run(path)
        self.assertEqual(status, 1, out)

    def test_compile_error_names_the_notebook_line(self):
        path = self.notebook(GOOD.replace("print(\"total\", total)\n```\n```output\ntotal 506",
                                          "print(\"total\", totl)\n```\n```output\ntotal 506"))
        status, out = run(path)
        self.assertEqual(status, 1, out)
        self.assertRegex(out, re.escape(path) + r":\d+:\d+: error: cannot find 'totl' in scope")

    def test_crash_fails_and_later_cells_do_not_run(self):
        path = self.notebook(GOOD.replace('print("total", total)\nprint("parent pid"',
                                          'print("total", total)\nabort()\nprint("parent pid"'))
        status, out = run(path)
        self.assertEqual(status, 1, out)
        self.assertIn("the program ended in this cell: killed by signal 6 (SIGABRT)", out)
        self.assertIn("not run: the program ended in an earlier cell", out)

    def test_shell_cell_exit_status_is_checked(self):
        path = self.notebook(GOOD.replace('echo "from sh: $((6 * 7))"', 'echo "from sh: $((6 * 7))"; false'))
        status, out = run(path)
        self.assertEqual(status, 1, out)
        self.assertIn("sh cell: exit status 1", out)
        path = self.notebook(GOOD.replace("# expect-fail\n", ""), "second.md")
        status, out = run(path)
        self.assertEqual(status, 1, out)
        self.assertIn("sh cell: exit status 3", out)

    def test_missing_output_block_fails(self):
        path = self.notebook(GOOD.replace("```output\nfrom python: 6\n```\n", ""))
        status, out = run(path)
        self.assertEqual(status, 1, out)
        self.assertIn("(no output block)", out)

    def test_update_rewrites_only_stale_blocks(self):
        stale = GOOD.replace("total 506", "total 0").replace("```output\nfrom python: 6\n```\n", "")
        path = self.notebook(stale)
        status, out = run("--update", path)
        self.assertEqual(status, 0, out)
        self.assertIn("rewrote 2 output block(s)", out)
        with open(path) as f:
            text = f.read()
        self.assertIn("total 506", text)
        self.assertIn("```output\nfrom python: 6\n```", text)
        self.assertIn("parent pid «1»", text, "a matching block keeps its marks")
        status, out = run(path)
        self.assertEqual(status, 0, out)

    def test_timeout_kills_the_program(self):
        path = self.notebook('''
            ```swift
            import Glibc
            print("sleeping")
            sleep(60)
            ```
            ```output
            sleeping
            ```
            ''')
        status, out = run("--timeout", "3", path, timeout=60)
        self.assertEqual(status, 1, out)
        self.assertIn("[timed out]", out)
        leftover = subprocess.run(["pgrep", "-f", "stdbuf -oL .*notebook-"], stdout=subprocess.PIPE, text=True)
        self.assertEqual(leftover.stdout.strip(), "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
