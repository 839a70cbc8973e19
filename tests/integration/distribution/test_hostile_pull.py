"""A pull of an image with a hostile layer fails with a clear error and touches nothing
outside the snapshot: the layer is served by a real registry, as an attacker would."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.images.service import ImageService
from dockyard.images.transfer import pull_image
from tests.support.registry import OCILayout, Registry, with_client

pytestmark = [pytest.mark.root, pytest.mark.integration]

Build = Callable[[tarfile.TarFile, str], None]


def _file(tar: tarfile.TarFile, name: str, data: bytes = b"pwned\n") -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _link(tar: tarfile.TarFile, name: str, target: str, *, hard: bool = False) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    tar.addfile(info)


def _traversal(tar: tarfile.TarFile, canary: str) -> None:
    _file(tar, "../../../../../../" + canary.lstrip("/"))


def _symlink_escape(tar: tarfile.TarFile, canary: str) -> None:
    _link(tar, "escape", os.path.dirname(canary))
    _file(tar, "escape/" + os.path.basename(canary))


def _hardlink_outside(tar: tarfile.TarFile, canary: str) -> None:
    _link(tar, "stolen", canary, hard=True)
    _file(tar, "stolen")  # rewriting the link would rewrite the host file


def _symlinked_parent(tar: tarfile.TarFile, canary: str) -> None:
    _link(tar, "a", "../../../../../../../" + os.path.dirname(canary).lstrip("/"))
    _file(tar, "a/" + os.path.basename(canary))


@pytest.mark.parametrize(
    "build", [_traversal, _symlink_escape, _hardlink_outside, _symlinked_parent],
    ids=["path-traversal", "symlink-escape", "hardlink-outside", "symlinked-parent"],
)  # fmt: skip
def test_hostile_layer_fails_the_pull_and_leaves_the_host_alone(
    service: ImageService,
    http_registry: Registry,
    tmp_path: Path,
    build: Build,
) -> None:
    canary_dir = tmp_path / "host"
    canary_dir.mkdir()
    canary = canary_dir / "canary"
    canary.write_bytes(b"original\n")
    before = sorted(p.name for p in canary_dir.iterdir())

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _file(tar, "ok.txt", b"fine\n")
        build(tar, str(canary))
    layout = OCILayout(tmp_path / "layout")
    image = layout.image([buf.getvalue()])
    layout.tag("evil", image.manifest_digest, image.manifest_size)
    repo = f"evil/{build.__name__.strip('_')}:v1"
    http_registry.push_layout(layout.root, "evil", repo)

    with pytest.raises(errdefs.InvalidArgument, match=r"layer entry|escapes|symlink|outside"):
        with_client(lambda c: pull_image(service, f"{http_registry.host}/{repo}", client=c))
    assert canary.read_bytes() == b"original\n"
    assert canary.stat().st_nlink == 1
    assert sorted(p.name for p in canary_dir.iterdir()) == before
    assert service.list() == []  # no image recorded
    assert [s.key for s in service.snapshotter.walk()] == []  # no snapshot left behind
