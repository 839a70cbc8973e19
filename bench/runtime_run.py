"""`RUNTIME run --bundle B ID` of a busybox `true` bundle: dockyard-runtime, runc and crun.

Each runtime gets its own --root and its own bundle (hard-linked from one rootfs) in a temp
dir. Runs are interleaved round by round, the order rotating each round, so that drift on the
machine (page cache, another job) lands on every runtime alike; warm-ups are not counted.
A runtime's first failure ends its runs and is reported in its row.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.bundles import base_config, busybox_rootfs, make_bundle
from tests.support.mounts import unmount_under
from tests.support.runtimes import CRUN, DOCKYARD_RUNTIME, RUNC

from bench.cgroup_hugetlb import hugetlb_on_v1
from bench.row import Row
from bench.timing import spread, timed_run

NAME = "runtime_run"
RUNTIMES = (("dockyard-runtime", DOCKYARD_RUNTIME), ("runc", RUNC), ("crun", CRUN))
REFERENCE = "runc"
DEFAULT_RUNS = 30
DEFAULT_WARMUP = 3


@dataclass(kw_only=True)
class _Subject:
    """One runtime under measurement: its paths, its timings so far, its first error."""

    name: str
    binary: str
    root: Path
    bundle: Path
    samples: list[float] = field(default_factory=list)
    error: str | None = None

    def run_once(self, *, n: int, counted: bool) -> None:
        cid = f"bench-{os.getpid()}-{self.name}-{n}"
        argv = [self.binary, "--root", str(self.root), "run", "--bundle", str(self.bundle), cid]
        timed = timed_run(argv)
        if not timed.ok:
            self.error = timed.error_line()
            # A failed run may leave state (and a process) behind; delete it, quietly.
            subprocess.run(
                [self.binary, "--root", str(self.root), "delete", "--force", cid],
                capture_output=True,
                check=False,
                timeout=30,
            )
        elif counted:
            self.samples.append(timed.ms)

    def version(self) -> str:
        timed = timed_run([self.binary, "--version"], keep_stdout=True)
        lines = timed.stdout.strip().splitlines()
        return lines[0] if timed.ok and lines else ""


def measure(*, runs: int | None = None, warmup: int | None = None) -> list[Row]:
    """Median wall time of `run` for each runtime, with ratios against runc."""
    runs = DEFAULT_RUNS if runs is None else runs
    warmup = DEFAULT_WARMUP if warmup is None else warmup
    if os.geteuid() != 0:
        return [
            Row(benchmark=NAME, subject=name, median_ms=None, runs=0, error="needs root")
            for name, _ in RUNTIMES
        ]
    setup_notes: list[str] = []
    cleanup_notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="dockyard-bench-"))
    try:
        rootfs = busybox_rootfs(tmp / "busybox")
        subjects = [
            _Subject(
                name=name,
                binary=binary,
                root=_mkdir(tmp / name / "state"),
                bundle=make_bundle(tmp / name, rootfs, base_config(["true"])),
            )
            for name, binary in RUNTIMES
        ]
        with hugetlb_on_v1(setup_notes):
            for n in range(warmup + runs):
                shift = n % len(subjects)
                for subject in subjects[shift:] + subjects[:shift]:
                    if subject.error is None:
                        subject.run_once(n=n, counted=n >= warmup)
    finally:
        if left := unmount_under(tmp):
            cleanup_notes.append(f"unmounted {len(left)} leftover mounts under {tmp}")
        shutil.rmtree(tmp, ignore_errors=True)
    return _rows(subjects, setup_notes=setup_notes, cleanup_notes=cleanup_notes)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def _rows(
    subjects: list[_Subject], *, setup_notes: list[str], cleanup_notes: list[str]
) -> list[Row]:
    medians = {
        s.name: statistics.median(s.samples) for s in subjects if s.error is None and s.samples
    }
    reference = medians.get(REFERENCE)
    rows = []
    for s in subjects:
        median = medians.get(s.name)
        extra: dict[str, object] = {"binary": s.binary, "version": s.version()}
        if s.samples:
            extra |= spread(s.samples)
        # The hugetlb mount is there for crun alone, so its story goes in crun's row.
        notes = (setup_notes if s.name == "crun" else []) + cleanup_notes
        if notes:
            extra["notes"] = notes
        if median is not None:
            notes = [f"min {min(s.samples):.1f} max {max(s.samples):.1f}", *notes]
        rows.append(
            Row(
                benchmark=NAME,
                subject=s.name,
                median_ms=None if median is None else round(median, 3),
                runs=len(s.samples),
                ratio=None if median is None or not reference else round(median / reference, 3),
                error=s.error,
                note="; ".join(notes),
                extra=extra,
            )
        )
    return rows
