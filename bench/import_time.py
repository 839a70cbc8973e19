"""The import-time budget of the quick-to-start programs (DESIGN.md §4, STYLE.md "Habits").

For the runtime's, the shim's and the CLI's main modules: what `python -X importtime -c
"import MODULE"` adds on top of the bare interpreter (the sum of the "self" column over the
modules the import brought in), and which of those modules are neither stdlib nor dockyard:
that list is the import-discipline check and should stay empty. Plus the wall time of
`dockyard-runtime --version`, against `python -c pass` as the reference. Nothing is asserted.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from bench.row import Row
from bench.timing import first_error_line, spread, timed_run

NAME = "import_time"
MODULES = ("dockyard.runtime.main", "dockyard.shim.main", "dockyard.cli.main")
RUNTIME = str(Path(sys.executable).parent / "dockyard-runtime")
DEFAULT_RUNS = 20
DEFAULT_WARMUP = 3


@dataclass(frozen=True, kw_only=True)
class _ImportTimes:
    """One `-X importtime` report: microseconds spent in each module's own body."""

    self_us: dict[str, int]
    loaded: frozenset[str] = frozenset()
    error: str | None = None


def _importtime(code: str) -> _ImportTimes:
    proc = subprocess.run(
        # sys.modules at the end tells real imports from attempts that failed on purpose
        # (copy.py tries `org.python.core`, Jython's); importtime reports both.
        [sys.executable, "-X", "importtime", "-c", f"{code}\nimport sys; print(*sys.modules)"],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    self_us = {}
    for line in proc.stderr.splitlines():
        # "import time:       309 |        767 | _frozen_importlib_external"
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, _cumulative, module = line.removeprefix("import time:").split("|")
        self_us[module.strip()] = int(own)
    other = "\n".join(
        line for line in proc.stderr.splitlines() if not line.startswith("import time:")
    )
    error = None if proc.returncode == 0 else first_error_line(other, proc.returncode)
    return _ImportTimes(self_us=self_us, loaded=frozenset(proc.stdout.split()), error=error)


def _is_ours_or_stdlib(module: str) -> bool:
    top = module.split(".")[0]
    return top == "dockyard" or top in sys.stdlib_module_names


def _import_row(module: str, *, runs: int, startup: set[str]) -> Row:
    samples: list[float] = []
    totals: list[int] = []
    report = _ImportTimes(self_us={})
    for _ in range(runs):
        report = _importtime(f"import {module}")
        if report.error is not None:
            return Row(
                benchmark=NAME,
                subject=f"import {module}",
                median_ms=None,
                runs=0,
                error=report.error,
            )
        added = {m: us for m, us in report.self_us.items() if m not in startup}
        samples.append(sum(added.values()) / 1000)
        totals.append(sum(report.self_us.values()))
    added_modules = sorted(m for m in report.self_us if m not in startup and m in report.loaded)
    foreign = [m for m in added_modules if not _is_ours_or_stdlib(m)]
    note = f"{len(added_modules)} modules; non-stdlib: {', '.join(foreign) or 'none'}"
    return Row(
        benchmark=NAME,
        subject=f"import {module}",
        median_ms=round(statistics.median(samples), 3),
        runs=runs,
        note=note,
        extra={
            "modules": added_modules,
            "non_stdlib": foreign,
            "total_us_with_startup": int(statistics.median(totals)),
            **spread(samples),
        },
    )


def _wall_row(subject: str, argv: list[str], *, runs: int, warmup: int) -> Row:
    samples = []
    for n in range(warmup + runs):
        timed = timed_run(argv)
        if not timed.ok:
            return Row(
                benchmark=NAME, subject=subject, median_ms=None, runs=0, error=timed.error_line()
            )
        if n >= warmup:
            samples.append(timed.ms)
    return Row(
        benchmark=NAME,
        subject=subject,
        median_ms=round(statistics.median(samples), 3),
        runs=runs,
        note=f"min {min(samples):.1f} max {max(samples):.1f}",
        extra=spread(samples),
    )


def measure(*, runs: int | None = None, warmup: int | None = None) -> list[Row]:
    """Import cost of each main module, and `dockyard-runtime --version` against bare Python."""
    runs = DEFAULT_RUNS if runs is None else runs
    warmup = DEFAULT_WARMUP if warmup is None else warmup
    baseline = _importtime("pass")
    startup = set(baseline.self_us)
    site_foreign = sorted(m for m in baseline.loaded if m in startup and not _is_ours_or_stdlib(m))
    rows = [_import_row(module, runs=runs, startup=startup) for module in MODULES]
    reference = _wall_row(
        "python -c pass (wall)", [sys.executable, "-c", "pass"], runs=runs, warmup=warmup
    )
    version = _wall_row(
        "dockyard-runtime --version (wall)", [RUNTIME, "--version"], runs=runs, warmup=warmup
    )
    if reference.median_ms:
        # Modules that site.py imports before any of ours (.pth hooks, sitecustomize): every
        # start pays for them, but they are the environment's, not the discipline check's.
        site_note = f"; site imports {', '.join(site_foreign)}" if site_foreign else ""
        reference = replace(reference, ratio=1.0, note=reference.note + site_note)
        if version.median_ms is not None:
            version = replace(version, ratio=round(version.median_ms / reference.median_ms, 3))
    return [*rows, reference, version]
