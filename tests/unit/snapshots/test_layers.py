"""unpack_chain / unpack_layer on OverlaySnapshotter, without mounting."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.snapshots.layers import unpack_chain, unpack_layer
from dockyard.snapshots.overlay import OverlaySnapshotter
from dockyard.snapshots.snapshotter import Kind
from dockyard.snapshots.unpack import chain_ids
from tests.unit.snapshots import tars
from tests.unit.snapshots.tars import file, symlink


@pytest.fixture
def sn(tmp_path: Path) -> Iterator[OverlaySnapshotter]:
    snapshotter = OverlaySnapshotter(str(tmp_path / "overlay"))
    yield snapshotter
    snapshotter.close()


def _blobs(tmp_path: Path, layers: list[list[tars.Member]]) -> tuple[list[str], list[str]]:
    """Blob paths (gzip) and diff_ids of `layers`."""
    paths, diff_ids = [], []
    for i, members in enumerate(layers):
        path = tmp_path / f"layer{i}.tar.gz"
        path.write_bytes(tars.layer(members, compression="gzip"))
        paths.append(str(path))
        diff_ids.append(tars.sha256(tars.layer(members)))
    return paths, diff_ids


LAYERS = [
    [file("etc/os-release", b"ID=base\n"), file("bin/sh", b"sh")],
    [file("etc/app.conf", b"v=1\n")],
    [file("srv/data", b"d" * 10_000)],
]


def test_unpack_chain_commits_each_layer_as_its_chain_id(
    sn: OverlaySnapshotter, tmp_path: Path
) -> None:
    paths, diff_ids = _blobs(tmp_path, LAYERS)
    chain = unpack_chain(sn, paths, diff_ids)
    assert chain == chain_ids(diff_ids)
    assert [(i.key, i.kind, i.parent) for i in sn.walk()] == [
        (chain[0], Kind.COMMITTED, ""),
        (chain[1], Kind.COMMITTED, chain[0]),
        (chain[2], Kind.COMMITTED, chain[1]),
    ]
    with open(f"{sn.upper_dir(chain[1])}/etc/app.conf", "rb") as f:
        assert f.read() == b"v=1\n"


def test_without_diff_ids_the_chain_comes_from_the_blobs(
    sn: OverlaySnapshotter, tmp_path: Path
) -> None:
    paths, diff_ids = _blobs(tmp_path, LAYERS)
    assert unpack_chain(sn, paths) == chain_ids(diff_ids)


def test_shared_layers_are_unpacked_once_without_opening_the_blob(
    sn: OverlaySnapshotter, tmp_path: Path
) -> None:
    paths, diff_ids = _blobs(tmp_path, LAYERS)
    unpack_chain(sn, paths[:2], diff_ids[:2])
    missing = [str(tmp_path / "gone-0"), str(tmp_path / "gone-1"), paths[2]]
    chain = unpack_chain(sn, missing, diff_ids)  # the first two exist: never opened
    assert chain == chain_ids(diff_ids)
    done = unpack_layer(sn, paths[2], parent=chain[1], diff_id=diff_ids[2])
    assert (done.chain_id, done.created, done.size) == (chain[2], False, 0)


def test_diff_id_mismatch_is_refused_and_leaves_nothing(
    sn: OverlaySnapshotter, tmp_path: Path
) -> None:
    paths, diff_ids = _blobs(tmp_path, LAYERS)
    wrong = [diff_ids[0], diff_ids[2], diff_ids[1]]
    with pytest.raises(errdefs.InvalidArgument, match="diff_id mismatch"):
        unpack_chain(sn, paths, wrong)
    assert [i.key for i in sn.walk()] == [diff_ids[0]]


def test_hostile_layer_fails_and_its_snapshot_is_removed(
    sn: OverlaySnapshotter, tmp_path: Path
) -> None:
    paths, diff_ids = _blobs(
        tmp_path, [LAYERS[0], [symlink("etc", "/etc"), file("etc/evil", b"x")]]
    )
    with pytest.raises(errdefs.InvalidArgument, match='parent "etc" is a symlink'):
        unpack_chain(sn, paths, diff_ids)
    assert [i.key for i in sn.walk()] == [diff_ids[0]]


def test_mismatched_lengths_are_invalid(sn: OverlaySnapshotter, tmp_path: Path) -> None:
    paths, diff_ids = _blobs(tmp_path, LAYERS)
    with pytest.raises(errdefs.InvalidArgument, match="3 layers but 2 diff_ids"):
        unpack_chain(sn, paths, diff_ids[:2])


@pytest.mark.parametrize("with_diff_ids", [True, False])
def test_concurrent_unpackers_of_one_chain_commit_once(tmp_path: Path, with_diff_ids: bool) -> None:
    paths, diff_ids = _blobs(tmp_path, LAYERS)
    root = str(tmp_path / "overlay")
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def unpack() -> None:
        sn = None
        try:
            sn = OverlaySnapshotter(root)  # one per thread: as separate processes would
            barrier.wait(timeout=60)
            results.append(unpack_chain(sn, paths, diff_ids if with_diff_ids else None))
        except BaseException as err:
            errors.append(err)
            barrier.abort()  # never leave the others waiting for a thread that died
        finally:
            if sn is not None:
                sn.close()

    threads = [threading.Thread(target=unpack) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results == [chain_ids(diff_ids)] * 4
    with OverlaySnapshotter(root) as sn:
        assert [i.key for i in sn.walk()] == chain_ids(diff_ids), "no extract-* left over"
        assert sn.cleanup() == []
