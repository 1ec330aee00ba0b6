# The two commands of the README: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv/bin

.PHONY: install dev demo test lint typecheck pytest docs clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)  ## .venv with totalplace and its extras (no test tools)
	$(UV) sync --frozen --all-extras --no-dev

dev: $(UV)  ## .venv with the test and lint tools as well
	$(UV) sync --frozen --all-extras

demo: install  ## build the synthetic demo place in ./demo-place and serve it
	$(VENV)/totalplace demo demo-place --force
	@echo "Open http://127.0.0.1:8000/ and log in as demo / northbridge-demo (Ctrl-C stops)"
	$(VENV)/totalplace serve --place demo-place --host 127.0.0.1 --port 8000

lint:
	$(VENV)/ruff check totalplace tests benchmarks
	$(VENV)/ruff format --check totalplace tests benchmarks

typecheck:
	$(VENV)/mypy

pytest:
	$(VENV)/pytest -q

test: dev lint typecheck pytest  ## lint, type-check and run every test

docs: install  ## regenerate docs/settings.md from the settings registry
	$(VENV)/totalplace settings --markdown > docs/settings.md

clean:
	rm -rf .venv .tools demo-place .mypy_cache .ruff_cache .pytest_cache
