#!/usr/bin/env bash
# Builds the fuzz targets (libFuzzer + AddressSanitizer, coverage on every module of the package, linked with
# lld: gold fails on this toolchain's sanitizer objects) and the SyncHolder helper into
# Faults/fuzz/.build-fuzz. Prints the bin directory on its last line.
set -uo pipefail
cd "$(dirname "$0")"
flags=(--build-path .build-fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The linker warns once per sanitizer symbol ("Cannot export local symbol"): noise, filtered out.
if ! swift build "${flags[@]}" "$@" >"$log" 2>&1; then
    grep -v "Cannot export local symbol" "$log" >&2
    echo "Faults/fuzz/build.sh: the fuzz targets did not build" >&2
    exit 1
fi
grep -E "warning:|error:" "$log" | grep -v "Cannot export local symbol" >&2
swift build "${flags[@]}" --show-bin-path
