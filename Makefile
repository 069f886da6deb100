# Quick start:   make demo   (statistics of the bundled sample)      make test   (the test suite)
SWIFT ?= swift
MPROC := .build/release/mproc
# Open MPI support (`mproc stats --mpi`): every build here uses the same traits, so nothing is built twice.
TRAITS ?= --traits MPI

.PHONY: deps build demo test faults notebooks notebooks-update bench bench-quick bench-env clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release $(TRAITS) --product mproc

demo: build
	$(MPROC) info
	@echo
	$(MPROC) stats datasets/sensors.h5:/readings/temperature --ops count,nancount,nanmean,nanstd,nanmin,nanmax,nanargmax
	@echo
	$(MPROC) stats datasets/sensors.npy --axis 0 --ops mean,std,min,max

test: deps
	@bash scripts/run-tests.sh

# The fault suite (Faults/README.md): mutated inputs, libFuzzer targets, killed and stopped processes, resource
# limits, hostile output paths. Strict: fails on any crash, hang, wrong answer, leak or fault not survived.
# FAULTS_ARGS=--report-only prints the table without failing; FAULTS_ARGS="--mutants 500 --fuzz-seconds 10" is quick.
FAULTS_ARGS ?=
faults: build
	@bash Faults/fuzz/build.sh >/dev/null
	python3 Faults/faults.py --mproc $(MPROC) $(FAULTS_ARGS)

NOTEBOOKS := notebooks-md/[0-9]*.md

# Runs every notebook against a release build and checks its recorded outputs.
notebooks: build
	$(SWIFT) build -c release $(TRAITS) --product MultiprocessingDynamic
	python3 notebooks-md/run.py --build-dir .build/release $(NOTEBOOKS)

# Runs them and rewrites the output blocks that changed (after editing a notebook or the library).
notebooks-update: build
	$(SWIFT) build -c release $(TRAITS) --product MultiprocessingDynamic
	python3 notebooks-md/run.py --build-dir .build/release --update $(NOTEBOOKS)

BENCH_PY := Benchmarks/.venv/bin/python

# The peers' packages (numpy, joblib, dask, h5py, matplotlib) from PyPI, in a virtual environment.
bench-env:
	@test -x $(BENCH_PY) || python3 -m venv Benchmarks/.venv
	@$(BENCH_PY) -c "import numpy, joblib, dask.array, h5py, matplotlib" 2>/dev/null || \
		$(BENCH_PY) -m pip install --quiet --disable-pip-version-check numpy joblib "dask[array]" h5py matplotlib

bench: build bench-env
	$(BENCH_PY) Benchmarks/run.py

bench-quick: build bench-env
	$(BENCH_PY) Benchmarks/run.py --quick

clean:
	rm -rf .build
