"""The CLI's wall time against the Go docker CLIs, on the same private dockyardd.

One private dockyardd (tests/support/dockyardd.py) with busybox imported and 200 created
containers. Measured, each CLI process end to end (fork, exec, start-up, request, render):

- `version`: `dockyard version` vs `docker version`;
- `ps_a_200`: `ps -a` listing the 200 containers.

Subjects: `dockyard` (.venv/bin/dockyard), `docker28` (/usr/local/bin/docker, the reference)
and `docker20` (/usr/bin/docker); runs interleaved with the order rotating, 3 warm-ups then
20 timed runs each. A last row, `import_cost`, is `python -X importtime` of `dockyard version`
(the CLI's whole path to its first request): the sum of the "self" column, with the costliest
modules in the note and all of them in the JSON.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support import dockyardd as dockyardd_support
from tests.support.bundles import busybox_rootfs

from bench.row import Row
from bench.timing import first_error_line, spread

NAME = "cli"
REFERENCE = "docker28"
DOCKYARD = str(Path(sys.executable).parent / "dockyard")
SUBJECTS = {
    "dockyard": DOCKYARD,
    "docker28": "/usr/local/bin/docker",
    "docker20": "/usr/bin/docker",
}
COMMANDS = {"version": ("version",), "ps_a_200": ("ps", "-a")}
CONTAINERS = 200
DEFAULT_RUNS = 20
DEFAULT_WARMUP = 3


def _env(host: str, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "DOCKYARD_"))}
    env |= {
        "DOCKER_HOST": host,
        "DOCKYARD_HOST": host,
        "DOCKER_CONFIG": str(config),
        "DOCKYARD_CONFIG": str(config),
    }
    return env


def _timed(
    argv: list[str], env: dict[str, str]
) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter_ns()
    proc = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False
    )
    return (time.perf_counter_ns() - start) / 1e6, proc


def _measure_commands(
    env: dict[str, str], *, runs: int, warmup: int
) -> dict[str, dict[str, list[float] | str]]:
    """{command: {subject: samples or error}}, runs interleaved between the subjects."""
    results: dict[str, dict[str, list[float] | str]] = {}
    subjects = [s for s, path in SUBJECTS.items() if os.access(path, os.X_OK)]
    for command, args in COMMANDS.items():
        per: dict[str, list[float] | str] = {s: [] for s in subjects}
        for n in range(warmup + runs):
            order = subjects[n % len(subjects) :] + subjects[: n % len(subjects)]
            for subject in order:
                if isinstance(per[subject], str):
                    continue
                ms, proc = _timed([SUBJECTS[subject], *args], env)
                if proc.returncode != 0:
                    per[subject] = first_error_line(
                        proc.stderr.decode(errors="replace"), proc.returncode
                    )
                elif n >= warmup:
                    samples = per[subject]
                    assert isinstance(samples, list)
                    samples.append(ms)
        for subject in SUBJECTS:
            per.setdefault(subject, f"{SUBJECTS[subject]} is not installed")
        results[command] = per
    return results


def _import_cost(env: dict[str, str]) -> Row:
    """`python -X importtime` of `dockyard version`: total self time, top modules."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dockyard.cli.main", "version"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        error = first_error_line(proc.stderr, proc.returncode)
        return Row(
            benchmark=f"{NAME}.import_cost", subject="dockyard", median_ms=None, runs=0, error=error
        )
    costs: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|", 2)
        costs[name.strip()] = costs.get(name.strip(), 0) + int(self_us)
    top = sorted(costs.items(), key=lambda kv: kv[1], reverse=True)
    note = ", ".join(f"{name} {us / 1000:.1f}" for name, us in top[:6])
    return Row(
        benchmark=f"{NAME}.import_cost",
        subject="dockyard",
        median_ms=sum(costs.values()) / 1000,
        runs=1,
        note=f"{len(costs)} modules; top ms: {note}",
        extra={"modules_self_us": dict(top)},
    )


def _rows(results: dict[str, dict[str, list[float] | str]]) -> list[Row]:
    rows = []
    for command, per in results.items():
        ref = per.get(REFERENCE)
        ref_median = statistics.median(ref) if isinstance(ref, list) and ref else None
        for subject, value in per.items():
            if isinstance(value, str) or not value:
                error = value if isinstance(value, str) else "no samples"
                rows.append(
                    Row(
                        benchmark=f"{NAME}.{command}",
                        subject=subject,
                        median_ms=None,
                        runs=0,
                        error=error,
                    )
                )
                continue
            median = statistics.median(value)
            rows.append(
                Row(
                    benchmark=f"{NAME}.{command}",
                    subject=subject,
                    median_ms=median,
                    runs=len(value),
                    ratio=None if ref_median is None else median / ref_median,
                    extra=dict(spread(value)),
                )
            )
    return rows


def _failed(error: str) -> list[Row]:
    return [
        Row(benchmark=f"{NAME}.{command}", subject=subject, median_ms=None, runs=0, error=error)
        for command in COMMANDS
        for subject in SUBJECTS
    ]


def measure(*, runs: int | None = None, warmup: int | None = None) -> list[Row]:
    """`version` and `ps -a` (200 containers) for dockyard and both docker CLIs; ratios
    against docker 28; then the import cost of dockyard's path to its first request."""
    runs = DEFAULT_RUNS if runs is None else runs
    warmup = DEFAULT_WARMUP if warmup is None else warmup
    if os.geteuid() != 0:
        return _failed("needs root")
    why = dockyardd_support.unavailable()
    if why is not None:
        return _failed(why)
    tmp = Path(tempfile.mkdtemp(prefix="dockyard-bench-cli-"))
    try:
        rootfs = busybox_rootfs(tmp / "busybox")
        with dockyardd_support.private_dockyardd(
            dockyardd_support.short_base("dyc"), busybox=rootfs, log=tmp / "dockyardd.log"
        ) as daemon:
            body = {"Image": "busybox:latest", "Cmd": ["true"], "Labels": {"dockyard.bench": NAME}}
            for _ in range(CONTAINERS):
                daemon.api_json("POST", "/containers/create", body)
            config = tmp / "config"
            config.mkdir()
            env = _env(daemon.host, config)
            rows = _rows(_measure_commands(env, runs=runs, warmup=warmup))
            rows.append(_import_cost(env))
            return rows
    except Exception as err:  # a failing benchmark is rows with the error, never a crash
        return _failed(str(err).splitlines()[0][:300] if str(err) else repr(err))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
