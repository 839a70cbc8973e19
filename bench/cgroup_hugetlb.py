"""Benchmark set-up only: mount the hugetlb controller as cgroup v1 so crun 1.8 accepts the host.

On a hybrid host (v1 controllers under /sys/fs/cgroup, cgroup2 at /sys/fs/cgroup/unified)
crun 1.8.1 refuses to run ("cgroups in hybrid mode not supported, drop all controllers from
cgroupv2") while any controller is still attached to cgroup2; on this machine that is hugetlb.
Mounting hugetlb as a v1 hierarchy takes it away from cgroup2 (it disappears from
unified/cgroup.controllers). Undoing it: remove the child cgroups, unmount, and wait, because
the kernel destroys the v1 hierarchy asynchronously and only then hands hugetlb back to cgroup2.

The product never does this; it is here so the benchmark can put crun beside runc.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.support.mounts import mountinfo

CGROUP_ROOT = Path("/sys/fs/cgroup")
MOUNTPOINT = CGROUP_ROOT / "hugetlb"
UNIFIED = CGROUP_ROOT / "unified"


def _hugetlb_line() -> tuple[int, int] | None:
    """hugetlb's (hierarchy id, number of cgroups) from /proc/cgroups; None if absent.

    Hierarchy 0 means the controller is bound to cgroup2.
    """
    for line in Path("/proc/cgroups").read_text().splitlines()[1:]:
        name, hierarchy, count, enabled = line.split()
        if name == "hugetlb":
            return (int(hierarchy), int(count)) if enabled == "1" else None
    return None


def _hugetlb_hierarchy() -> int | None:
    line = _hugetlb_line()
    return None if line is None else line[0]


def _unified_controllers() -> set[str]:
    try:
        return set((UNIFIED / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


def _needs_mount() -> bool:
    mounts = mountinfo()
    root = next((m for m in mounts if m.mountpoint == str(CGROUP_ROOT)), None)
    if root is None or root.fstype == "cgroup2":
        return False  # no cgroups mounted, or pure cgroup2: not the hybrid layout
    if any(m.fstype == "cgroup" and "hugetlb" in m.super_options for m in mounts):
        return False  # already a v1 hierarchy
    return _hugetlb_hierarchy() == 0


def _remove_child_cgroups() -> None:
    children = sorted(
        (p for p in MOUNTPOINT.rglob("*") if p.is_dir()),
        key=lambda p: len(p.parts),
        reverse=True,
    )
    for child in children:
        with suppress(OSError):
            child.rmdir()


@contextmanager
def hugetlb_on_v1(notes: list[str]) -> Iterator[None]:
    """Within the block, hugetlb is a cgroup v1 hierarchy if it was not already.

    What was done, and anything that could not be undone, is appended to `notes`.
    """
    if os.geteuid() != 0 or not _needs_mount():
        yield
        return
    controllers_before = _unified_controllers()
    created = not MOUNTPOINT.exists()
    MOUNTPOINT.mkdir(exist_ok=True)
    proc = subprocess.run(
        ["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", str(MOUNTPOINT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        if created:
            MOUNTPOINT.rmdir()
        notes.append(f"failed to mount hugetlb as cgroup v1: {proc.stderr.strip()}")
        yield
        return
    notes.append("hugetlb mounted as cgroup v1 for the run, then restored")
    try:
        yield
    finally:
        _unmount(controllers_before, notes)
        if created:
            try:
                MOUNTPOINT.rmdir()
            except OSError as err:
                notes.append(f"failed to remove {MOUNTPOINT}: {err}")


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _unmount(controllers_before: set[str], notes: list[str]) -> None:
    def only_root_left() -> bool:
        line = _hugetlb_line()
        return line is not None and line[1] <= 1

    def back_on_cgroup2() -> bool:
        return _hugetlb_hierarchy() == 0 and controllers_before <= _unified_controllers()

    for _ in range(3):
        _remove_child_cgroups()
        # A removed cgroup lingers while it dies; unmount before it is gone and the kernel
        # keeps the hierarchy alive, unmounted, with hugetlb still bound to it
        # (cgroup_kill_sb only kills a root without children).
        _wait(only_root_left, 5.0)
        subprocess.run(["umount", str(MOUNTPOINT)], check=False, capture_output=True)
        # The root itself is destroyed after an RCU grace period or so: give it a moment.
        if _wait(back_on_cgroup2, 5.0):
            return
        # Still bound: mount the lingering hierarchy again (same options reuse it), retry.
        subprocess.run(
            ["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", str(MOUNTPOINT)],
            check=False,
            capture_output=True,
        )
    subprocess.run(["umount", str(MOUNTPOINT)], check=False, capture_output=True)
    notes.append(
        "WARNING: hugetlb did not return to cgroup2 "
        f"(/proc/cgroups: {_hugetlb_line()}, unified has {sorted(_unified_controllers())}); "
        "to fix: mount it as v1 again, remove its child cgroups, unmount"
    )
