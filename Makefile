# Quick start:   make demo   (statistics of the bundled sample)      make test   (the test suite)
SWIFT ?= swift
MPROC := .build/release/mproc

.PHONY: deps build demo test notebooks bench bench-quick bench-env clean

deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product mproc

demo: build
	$(MPROC) info
	@echo
	$(MPROC) stats datasets/sensors.h5:/readings/temperature --ops count,nancount,nanmean,nanstd,nanmin,nanmax,nanargmax
	@echo
	$(MPROC) stats datasets/sensors.npy --axis 0 --ops mean,std,min,max

test: deps
	@bash scripts/run-tests.sh

notebooks: build
	python3 notebooks-md/run.py --mproc $(MPROC) notebooks-md/*.md

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
