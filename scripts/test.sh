#!/usr/bin/env bash
# The whole test suite, from nothing: install, then lint, types, unit tests, then the root
# tests (integration against runc and the real kernel, compat against dockerd).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh

echo "== ruff";   .venv/bin/ruff check src tests bench && .venv/bin/ruff format --check src tests bench
echo "== mypy";   .venv/bin/mypy
# `timeout` as a last guard: a run that cannot exit (a stuck non-daemon thread) fails.
echo "== unit";   timeout 900 .venv/bin/pytest -q -p no:cacheprovider tests/unit
if [ "$(id -u)" != 0 ]; then
  echo "integration and compat tests need root; skipped"
  exit 0
fi
echo "== integration + compat"
timeout 3000 .venv/bin/pytest -q -p no:cacheprovider tests/integration tests/compat
