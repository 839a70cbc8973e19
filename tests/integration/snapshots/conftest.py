"""Fixtures for snapshot tests that mount: every mount under the test's tmp_path is gone after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockyard.runtime import syscalls as sc
from dockyard.snapshots.mount import mount_all, unmount
from dockyard.snapshots.overlay import OverlaySnapshotter
from dockyard.snapshots.snapshotter import Mount


def _mounted_under(top: Path) -> list[str]:
    prefix = str(top) + "/"
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p.startswith(prefix)]


@pytest.fixture
def no_leftover_mounts(tmp_path: Path) -> Iterator[None]:
    yield
    left = _mounted_under(tmp_path)
    for point in reversed(left):  # belt and braces: never leave a mount behind
        sc.umount2(point, sc.MNT_DETACH)
    assert not left, f"mounts left behind: {left}"


Mounter = Callable[[list[Mount], Path], Path]


@pytest.fixture
def mounted(tmp_path: Path, no_leftover_mounts: None) -> Iterator[Mounter]:
    """mounted(mounts, target) mounts and returns target; all unmounted at teardown."""
    targets: list[Path] = []

    def mount(mounts: list[Mount], target: Path) -> Path:
        target.mkdir(parents=True, exist_ok=True)
        mount_all(mounts, str(target))
        targets.append(target)
        return target

    yield mount
    for target in reversed(targets):
        unmount(str(target))


@pytest.fixture
def sn(tmp_path: Path) -> Iterator[OverlaySnapshotter]:
    snapshotter = OverlaySnapshotter(str(tmp_path / "overlay"))
    yield snapshotter
    snapshotter.close()
