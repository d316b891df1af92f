# The two commands: `make run` (demo) and `make test` (every test). Both install what
# they need on a fresh Debian 12 machine as root.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
# The Horizon release `make run` serves (2025.1, 2025.2, 2026.1, 2026.2); default the newest,
# from .venv. An older one gets its own venv, .venvs/horizon-RELEASE (scripts/ensure-release-venv).
HORIZON ?= 2026.2

.PHONY: help run test unit unit-matrix lint venv wheel cloud-up cloud-status cloud-down cloud-reset clean reconcile soak bench

help:
	@echo "make run           dev cloud + Horizon with Experiment Desktops on http://127.0.0.1:$(PORT)"
	@echo "make test          every test: lint, unit, integration (dev cloud), browser"
	@echo "make unit          lint + unit/view tests only (no cloud)"
	@echo "make run HORIZON=2025.1   the same on another Horizon release (2025.1 2025.2 2026.1 2026.2)"
	@echo "make unit-matrix   unit/view tests on every supported Horizon release"
	@echo "make cloud-up | cloud-status | cloud-down | cloud-reset"
	@echo "make reconcile ARGS=\"--dry-run\"   one reconciler pass against the dev cloud"
	@echo "make soak          the long repetition tests (100 cycles, 20 two-browser rounds, ...)"
	@echo "make bench         every benchmark against the dev cloud: bench-results/ (ARGS=\"--help\")"

venv:
	@scripts/ensure-venv

run:
	@HEPS_HORIZON_RELEASE=$(HORIZON) scripts/run-demo $(PORT)

test:
	@scripts/test-all

unit: venv
	@scripts/test-all --unit-only

unit-matrix:
	@scripts/test-matrix

lint: venv
	@.venv/bin/ruff check .

wheel: venv
	@rm -rf dist && .venv/bin/python -m build --wheel --no-isolation --outdir dist . >/dev/null && ls dist

cloud-up:
	@devcloud/cloud up

cloud-status:
	@devcloud/cloud status
	@scripts/reconciler-daemon status

cloud-down:
	@scripts/reconciler-daemon stop
	@devcloud/cloud down

cloud-reset:
	@scripts/reconciler-daemon stop
	@devcloud/cloud reset

soak: venv
	@.venv/bin/pytest tests/integration tests/browser -m soak -v -W ignore::DeprecationWarning

bench:
	@scripts/bench $(ARGS)

reconcile:
	@scripts/reconciler $(ARGS)

clean:
	rm -rf build dist *.egg-info test-artifacts .horizon .horizon-*
