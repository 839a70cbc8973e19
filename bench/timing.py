"""Wall-clock timing of commands, shared by the benchmarks."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Timed:
    """One command's wall time and outcome."""

    ms: float
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error_line(self) -> str:
        return first_error_line(self.stderr, self.returncode)


def timed_run(argv: Sequence[str], *, timeout: float = 30.0, keep_stdout: bool = False) -> Timed:
    """Run `argv` to completion and measure its wall time, fork and exec included.

    A command that is missing or outlives `timeout` is a failed run (returncode -1), not an
    exception: benchmarks report failures in their table.
    """
    start = time.perf_counter_ns()
    try:
        proc = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        ms = (time.perf_counter_ns() - start) / 1e6
        return Timed(ms=ms, returncode=-1, stdout="", stderr=f"timed out after {timeout:g}s")
    except OSError as err:
        return Timed(ms=0.0, returncode=-1, stdout="", stderr=f"failed to execute {argv[0]}: {err}")
    ms = (time.perf_counter_ns() - start) / 1e6
    return Timed(
        ms=ms,
        returncode=proc.returncode,
        stdout=(proc.stdout or b"").decode(errors="replace"),
        stderr=proc.stderr.decode(errors="replace"),
    )


def first_error_line(stderr: str, returncode: int) -> str:
    """The line of `stderr` that says what went wrong.

    That is the first non-empty line, except for a Python traceback, whose first line says
    nothing and whose last line names the exception.
    """
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return f"exit status {returncode}"
    if lines[0].startswith("Traceback"):
        return lines[-1]
    return lines[0]


def spread(samples: Sequence[float]) -> dict[str, float]:
    """Median, min and max of `samples` in ms, rounded for the JSON file."""
    return {
        "median_ms": round(statistics.median(samples), 3),
        "min_ms": round(min(samples), 3),
        "max_ms": round(max(samples), 3),
    }
