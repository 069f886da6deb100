#!/usr/bin/env bash
# Builds the fuzz targets (libFuzzer + AddressSanitizer, coverage on every module of the package) and the
# SyncHolder helper into Faults/fuzz/.build-fuzz. Prints the bin directory on its last line.
set -euo pipefail
cd "$(dirname "$0")"
swift build --build-path .build-fuzz -c debug \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld "$@" >&2
swift build --build-path .build-fuzz -c debug --show-bin-path \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
