"""The benchmark runner: `python -m bench.run [names...] [--json PATH] [--runs N]`.

A benchmark is a module of this package with a `measure(*, runs, warmup)` function returning
`Row`s; the runner finds them, runs the chosen ones (all by default), prints one table and
writes every row to a JSON file (bench/results/<UTC timestamp>.json unless --json is given).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import bench
from bench.row import Row

RESULTS = Path(__file__).resolve().parent / "results"
Measure = Callable[..., list[Row]]


def discover() -> dict[str, Measure]:
    """Every module of the bench package that has a `measure` function, by module name."""
    found = {}
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name == "run":
            continue
        module = importlib.import_module(f"bench.{info.name}")
        measure = getattr(module, "measure", None)
        if callable(measure):
            found[info.name] = measure
    return dict(sorted(found.items()))


def render(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table, one line per subject."""
    header = ("benchmark", "subject", "median ms", "runs", "ratio", "note")
    lines = [
        (
            r.benchmark,
            r.subject,
            "-" if r.median_ms is None else f"{r.median_ms:.2f}",
            str(r.runs),
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            f"FAILED: {r.error}" if r.failed else r.note,
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header) - 1)]
    out = []
    for row in [header, *lines]:
        cells = [
            cell.rjust(w) if i in (2, 3, 4) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        out.append("  ".join([*cells, row[-1]]).rstrip())
    out.insert(1, "-" * max(len(line) for line in out))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    benchmarks = discover()
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run: {', '.join(benchmarks)}")
    parser.add_argument("--json", type=Path, help="where to write the results")
    parser.add_argument("--runs", type=int, help="timed runs per subject (default: per benchmark)")
    parser.add_argument("--warmup", type=int, help="untimed runs first (default: per benchmark)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in benchmarks]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(benchmarks)}")
    started = datetime.now(UTC)
    rows: list[Row] = []
    for name in args.names or list(benchmarks):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += benchmarks[name](runs=args.runs, warmup=args.warmup)
    print(render(rows))
    path = args.json or RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "host": {
            "kernel": platform.release(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "results": [row.as_json() for row in rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"results written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
