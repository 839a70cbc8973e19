"""Fixtures for the image service's unit tests: fakes for content and snapshots, the real
SQLite image store, and the busybox rootfs as the tar `docker import` would be given."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from dockyard.images.service import ImageService
from dockyard.images.store import ImageStore
from tests.unit.images.fakes import DirSnapshotter, MemoryContent


def make_service(base: Path) -> ImageService:
    base.mkdir(parents=True, exist_ok=True)
    return ImageService(
        store=ImageStore(str(base / "metadata.db")),
        content=MemoryContent(),
        snapshotter=DirSnapshotter(base / "snapshots"),
    )


@pytest.fixture
def service(tmp_path: Path) -> ImageService:
    return make_service(tmp_path / "daemon")


def tar_of(files: dict[str, bytes]) -> bytes:
    """A small rootfs tar of regular files."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()
