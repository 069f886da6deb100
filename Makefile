# Quick start:   make demo   (statistics of the bundled sample)      make test   (the test suite)
SWIFT ?= swift
MPROC := .build/release/mproc

.PHONY: deps build demo test notebooks clean

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

clean:
	rm -rf .build
