"""Benchmarks for dockyard, with their own runner (`python -m bench.run`); see bench/README.md."""
