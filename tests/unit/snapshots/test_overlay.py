"""OverlaySnapshotter without mounting: the conformance suite, mount shapes, crash leftovers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.snapshots import testsuite
from dockyard.snapshots.mount import PAGE_SIZE, mount_all, parse_options
from dockyard.snapshots.overlay import OverlaySnapshotter
from dockyard.snapshots.snapshotter import Mount


@pytest.fixture
def make() -> Iterator[testsuite.Factory]:
    opened: list[OverlaySnapshotter] = []

    def factory(root: str) -> OverlaySnapshotter:
        sn = OverlaySnapshotter(root)
        opened.append(sn)
        return sn

    yield factory
    for sn in opened:
        sn.close()


@pytest.fixture
def sn(make: testsuite.Factory, tmp_path: Path) -> OverlaySnapshotter:
    made = make(str(tmp_path / "overlay"))
    assert isinstance(made, OverlaySnapshotter)
    return made


@pytest.mark.parametrize("check", testsuite.checks(), ids=testsuite.name)
def test_conformance(check: testsuite.Check, make: testsuite.Factory, tmp_path: Path) -> None:
    check(make, str(tmp_path))


def _layer(sn: OverlaySnapshotter, name: str, parent: str = "") -> None:
    sn.prepare(f"x-{name}", parent=parent)
    sn.commit(name, f"x-{name}")


def test_layout_is_root_id_fs_and_work(sn: OverlaySnapshotter) -> None:
    sn.prepare("k")
    upper = sn.upper_dir("k")
    assert os.path.dirname(os.path.dirname(upper)) == sn.root
    assert os.path.basename(upper) == "fs"
    assert os.path.isdir(os.path.join(os.path.dirname(upper), "work"))
    assert os.path.basename(os.path.dirname(upper)).isdigit()
    assert os.path.exists(os.path.join(sn.root, "metadata.db"))


def test_mounts_follow_containerd(sn: OverlaySnapshotter) -> None:
    base = sn.prepare("base-rw")
    assert base == [Mount("bind", sn.upper_dir("base-rw"), ("rw", "rbind"))]
    sn.commit("l1", "base-rw")
    _layer(sn, "l2", "l1")

    (active,) = sn.prepare("rw", parent="l2")
    assert active.type == "overlay"
    options = dict(o.split("=", 1) for o in active.options if "=" in o)
    assert options["upperdir"] == sn.upper_dir("rw")
    assert options["workdir"] == os.path.join(os.path.dirname(sn.upper_dir("rw")), "work")
    assert options["lowerdir"] == f"{sn.upper_dir('l2')}:{sn.upper_dir('l1')}", "nearest first"

    assert sn.view("v1", parent="l1") == [Mount("bind", sn.upper_dir("l1"), ("ro", "rbind"))]
    (v2,) = sn.view("v2", parent="l2")
    assert v2.type == "overlay"
    assert not any(o.startswith(("upperdir=", "workdir=")) for o in v2.options)
    assert sn.view("v0") == [Mount("bind", sn.upper_dir("v0"), ("ro", "rbind"))]


def test_cleanup_removes_directories_no_snapshot_owns(sn: OverlaySnapshotter) -> None:
    sn.prepare("kept")
    orphan = os.path.join(sn.root, "999")
    os.makedirs(os.path.join(orphan, "fs", "junk"))
    assert sn.cleanup() == [orphan]
    assert not os.path.exists(orphan)
    assert os.path.isdir(sn.upper_dir("kept"))


def test_prepare_reuses_an_id_a_crashed_prepare_left_behind(sn: OverlaySnapshotter) -> None:
    sn.prepare("a")
    next_id = int(os.path.basename(os.path.dirname(sn.upper_dir("a")))) + 1
    stale = os.path.join(sn.root, str(next_id), "fs")
    os.makedirs(stale)
    open(os.path.join(stale, "leftover"), "w").close()
    sn.prepare("b")
    assert sn.upper_dir("b") == stale
    assert os.listdir(stale) == [], "the new snapshot starts empty"


def test_failed_prepare_leaves_no_row(sn: OverlaySnapshotter) -> None:
    with pytest.raises(errdefs.NotFound):
        sn.prepare("k", parent="missing")
    assert sn.walk() == []
    assert not [n for n in os.listdir(sn.root) if n.isdigit()], "and no directory"


def test_empty_key_is_invalid(sn: OverlaySnapshotter) -> None:
    with pytest.raises(errdefs.InvalidArgument):
        sn.prepare("")


def test_usage_of_committed_is_remembered(sn: OverlaySnapshotter) -> None:
    sn.prepare("k")
    with open(os.path.join(sn.upper_dir("k"), "f"), "wb") as f:
        f.write(b"x" * 10)
    sn.commit("c", "k")
    assert sn.usage("c").size == 10
    os.unlink(os.path.join(sn.upper_dir("c"), "f"))  # nobody does this; shows the cache
    assert sn.usage("c").size == 10


def test_option_parsing_splits_flags_from_data() -> None:
    flags, data = parse_options(("ro", "rbind", "nosuid", "index=off", "lowerdir=/a:/b"))
    assert data == "index=off,lowerdir=/a:/b"
    from dockyard.runtime import syscalls as sc

    assert flags == sc.MS_RDONLY | sc.MS_BIND | sc.MS_REC | sc.MS_NOSUID


def test_too_many_layers_for_one_page_is_a_clear_error(tmp_path: Path) -> None:
    lowers = ":".join(f"/var/lib/dockyard/snapshots/overlay/{i}/fs" for i in range(200))
    mount = Mount("overlay", "overlay", (f"lowerdir={lowers}",))
    assert len(lowers) > PAGE_SIZE
    with pytest.raises(errdefs.FailedPrecondition, match=r"200 lower layers.*one page"):
        mount_all([mount], str(tmp_path))
