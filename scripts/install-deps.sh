#!/usr/bin/env bash
# Installs what building and testing need, only when it is missing: the C libraries (OpenBLAS, HDF5, Open MPI)
# from Debian's packages, a few standard tools, and numpy + h5py for the reference values the tests and
# notebooks compare against.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

if ! pkg-config --exists openblas hdf5-serial 2>/dev/null || ! ldconfig -p | grep -q libdeflate.so.0; then
    echo "installing libopenblas-dev libhdf5-dev pkg-config libdeflate0 ..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libopenblas-dev libhdf5-dev pkg-config libdeflate0 >/dev/null
fi

# SLEEF, the vectorised math library behind exp, log, sin, ... and the normal random fill (libsleef3).
if ! dpkg -s libsleef-dev >/dev/null 2>&1; then
    echo "installing libsleef-dev ..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libsleef-dev >/dev/null
fi

# HDF5 filter plugins for Debian's serial HDF5: LZ4 and BZip2 (hdf5-filter-plugin), blosc
# (hdf5-filter-plugin-blosc-serial), bitshuffle and h5py's LZF (bitshuffle). They go to
# /usr/lib/<arch>/hdf5/serial/plugins, the directory the library searches by default (HDF5_PLUGIN_PATH unset).
if ! dpkg -s hdf5-filter-plugin hdf5-filter-plugin-blosc-serial bitshuffle >/dev/null 2>&1; then
    echo "installing hdf5-filter-plugin hdf5-filter-plugin-blosc-serial bitshuffle ..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq hdf5-filter-plugin hdf5-filter-plugin-blosc-serial bitshuffle >/dev/null
fi

# Open MPI (headers, pkg-config `ompi`, mpirun) for the MPI trait the Makefile builds with (`mproc stats --mpi`).
if ! pkg-config --exists ompi 2>/dev/null || ! command -v mpirun >/dev/null 2>&1; then
    echo "installing libopenmpi-dev openmpi-bin ..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libopenmpi-dev openmpi-bin >/dev/null
fi

# Tools the notebooks' shell cells and runner use: ps/pgrep (procps), ss (iproute2), taskset (util-linux),
# stdbuf (coreutils).
missing=""
for tool in ps:procps pgrep:procps ss:iproute2 taskset:util-linux stdbuf:coreutils; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing="$missing ${tool##*:}"
done
if [ -n "$missing" ]; then
    echo "installing$missing ..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if ! python3 -c "import numpy, h5py" 2>/dev/null; then
    echo "installing numpy h5py (PyPI) ..."
    python3 -m pip install --quiet --disable-pip-version-check numpy h5py
fi
# hdf5plugin: h5py writes the blosc, lz4, bitshuffle, zstd and blosc2 test files with it.
if ! python3 -c "import hdf5plugin" 2>/dev/null; then
    echo "installing hdf5plugin (PyPI) ..."
    python3 -m pip install --quiet --disable-pip-version-check hdf5plugin
fi
