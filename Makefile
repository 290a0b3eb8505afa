# Assay — `make demo` and `make test` work on a fresh Debian 12 machine (as root).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
ASSAY := $(VENV)/bin/assay
DEMO_IMAGE := data/firmware/openwrt-12.09-tl-wr703n-v1-squashfs-factory.bin.xz
DEMO_OUT ?= demo-out
DEMO_DECLARATION := data/declarations/openwrt-wr703n.sample.yaml
DEMO_REGISTRY ?= sqlite:///$(abspath $(DEMO_OUT))/registry.sqlite

# Extractors unblob calls (Debian names; jefferson and ubireader come from PyPI with unblob),
# libmagic for unblob, cairo with a font for the label's PNG, and gpgv (OpenPGP signatures of
# Debian Release files in `assay verify`).
APT_EXTRACTORS := squashfs-tools p7zip-full unar lzop lziprecover zstd lz4 xz-utils cpio \
	android-sdk-libsparse-utils e2fsprogs erofs-utils partclone cabextract mtd-utils \
	libmagic1 libcairo2 fonts-dejavu-core gpgv
# Only the test suite needs these: a real PostgreSQL server and a real headless browser.
APT_TEST := postgresql chromium u-boot-tools

.PHONY: help setup system-deps test-system-deps venv demo test lint typecheck unit bench clean fuzz

help:
	@echo "make demo   - set up and scan the bundled OpenWrt image"
	@echo "make test   - set up, lint, type-check and run the test suite"
	@echo "make fuzz   - fuzz every parser of outside input (FUZZ_SECONDS per atheris target)"

system-deps:
	@bash scripts/apt-ensure.sh $(APT_EXTRACTORS)

test-system-deps:
	@bash scripts/apt-ensure.sh $(APT_TEST)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# bytecode for every installed module now: the sandboxed extraction worker cannot write
	# it, and would otherwise compile unblob's modules again on every scan (~0.6 s of CPU)
	$(PY) -m compileall -q -j 0 $(VENV)/lib >/dev/null || true
	touch $@

venv: $(VENV)/.installed

setup: system-deps venv

DEMO_DECLARATION := data/declarations/openwrt-wr703n.sample.yaml

demo: setup
	$(ASSAY) scan $(DEMO_IMAGE) --declaration $(DEMO_DECLARATION) --out $(DEMO_OUT) \
		--registry-url http://127.0.0.1:8000
	$(ASSAY) registry add $(DEMO_IMAGE) --declaration $(DEMO_DECLARATION) \
		--registry $(DEMO_REGISTRY)
	@echo
	@echo "Outputs are in $(DEMO_OUT)/: sbom.cdx.json, assessment.json, report.html, report.md,"
	@echo "label.svg, label.png, label.json. The product is in the demo registry; browse it with:"
	@echo "  $(ASSAY) serve --registry $(DEMO_REGISTRY)   # then open http://127.0.0.1:8000/"

lint: venv
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: venv
	$(VENV)/bin/mypy

unit: setup test-system-deps
	@bash scripts/pg-ensure.sh >/dev/null
	$(VENV)/bin/pytest -q

test: setup test-system-deps lint typecheck unit

# The short fuzz run is part of `make test` (tests/fuzz, Hypothesis profile "ci"); this is the
# long one: thousands of Hypothesis examples per parser, then each coverage-guided atheris target.
FUZZ_SECONDS ?= 60
FUZZ_EXAMPLES ?= 2000
FUZZ_TARGETS := yaml json declaration assessment feed vex header tar

fuzz: venv
	$(PY) -m pip install -q -e '.[dev,fuzz]'
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -q tests/fuzz
	@for target in $(FUZZ_TARGETS); do \
		echo "atheris: $$target ($(FUZZ_SECONDS) s)"; \
		$(PY) tests/fuzz/atheris_targets.py $$target -max_total_time=$(FUZZ_SECONDS) \
			2>.fuzz-$$target.log || { tail -40 .fuzz-$$target.log; exit 1; }; \
	done

bench: setup
	$(PY) benchmarks/bench_scan.py

clean:
	rm -rf $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache .fuzz-*.log
