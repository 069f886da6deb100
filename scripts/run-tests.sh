#!/usr/bin/env bash
# The test suite: XCTest (every module), the executable notebooks, and a check that no shared-memory
# segment was left in /dev/shm. Ends with one summary line: "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

# Open MPI support (the MPI tests run mproc under mpirun); the same traits for every build, or all is rebuilt.
traits=(--traits "${MPROC_TRAITS:-MPI}")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build "${traits[@]}" --product mproc || exit 1
swift build "${traits[@]}" --product MultiprocessingDynamic || exit 1   # the notebooks' Swift cells link against it
swift test "${traits[@]}" --disable-swift-testing 2>&1 | tee "$log"
swift_status=${PIPESTATUS[0]}
summary=$(grep -E "^\s*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -1)
executed=$(echo "$summary" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
executed=${executed:-0}
failed=${failed:-0}
if [ "$swift_status" != "0" ] && [ "$failed" = "0" ]; then failed=1; fi

# The notebook runner's own tests (a broken notebook must fail), then the notebooks.
python3 notebooks-md/runner_test.py 2>&1 | tee "$log"
runner_status=${PIPESTATUS[0]}
runner_tests=$(sed -nE 's/^Ran ([0-9]+) tests? in .*/\1/p' "$log")
runner_tests=${runner_tests:-0}
if [ "$runner_status" != "0" ]; then failed=$((failed + 1)); runner_tests=0; fi

python3 notebooks-md/run.py --build-dir .build/debug notebooks-md/[0-9]*.md 2>&1 | tee "$log"
notebook_status=${PIPESTATUS[0]}
notebooks_passed=$(sed -nE 's/^notebooks: ([0-9]+) passed, ([0-9]+) failed$/\1/p' "$log")
notebooks_failed=$(sed -nE 's/^notebooks: ([0-9]+) passed, ([0-9]+) failed$/\2/p' "$log")
notebooks_passed=${notebooks_passed:-0}
notebooks_failed=${notebooks_failed:-0}
if [ "$notebook_status" != "0" ] && [ "$notebooks_failed" = "0" ]; then notebooks_failed=1; fi
failed=$((failed + notebooks_failed))

# A user's package (Tests/UserPackage, depending on this one by path) that imports Foundation and
# Multiprocessing, in both orders, and uses the Python-named types unqualified; it must build and run.
user_package_passed=0
if swift build --package-path Tests/UserPackage 2>&1 | tee "$log" | tail -3 \
    && Tests/UserPackage/.build/debug/UserProgram 2>&1 | tee "$log" && grep -q "^user program: ok$" "$log"; then
    user_package_passed=1
else
    echo "FAIL Tests/UserPackage: $(tail -5 "$log")"
    failed=$((failed + 1))
fi

leftover=$(ls /dev/shm | grep -E '^(mproc-|psm_)' || true)
if [ -n "$leftover" ]; then
    echo "segments left in /dev/shm: $leftover"
    failed=$((failed + 1))
fi

# No worker process may outlive the test run (they die with their parent; allow a moment for it).
for _ in 1 2 3 4 5 6; do
    stray=$(pgrep '^mproc-worker-' || true)
    [ -z "$stray" ] && break
    sleep 0.5
done
if [ -n "$stray" ]; then
    echo "worker processes left running: $stray"
    failed=$((failed + 1))
fi

passed=$((executed - $(echo "$summary" | sed -E 's/.*with ([0-9]+) failures?.*/\1/' | grep -E '^[0-9]+$' || echo 0) + runner_tests + notebooks_passed + user_package_passed))
echo "tests: $passed passed, $failed failed"
[ "$failed" = "0" ]
