# Shortcuts over scripts/; the README's two commands are the source of truth.
.PHONY: install check unit integration compat test bench

install:
	./scripts/install.sh

check:
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy

unit:
	.venv/bin/pytest -q tests/unit

integration:
	.venv/bin/pytest -q tests/integration

compat:
	.venv/bin/pytest -q tests/compat

test:
	./scripts/test.sh

bench:
	.venv/bin/python -m bench.run
