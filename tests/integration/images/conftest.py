"""A data-root with the real stores for the image integration tests (root: overlayfs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.content.local import LocalStore
from dockyard.images.service import ImageService
from dockyard.images.store import ImageStore
from dockyard.snapshots.overlay import OverlaySnapshotter


def open_service(data_root: Path) -> ImageService:
    """The image service of one daemon's data-root (DESIGN.md §3 layout)."""
    data_root.mkdir(parents=True, exist_ok=True)
    return ImageService(
        store=ImageStore(str(data_root / "metadata.db")),
        content=LocalStore(str(data_root / "content")),
        snapshotter=OverlaySnapshotter(str(data_root / "snapshots" / "overlay")),
    )


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[ImageService]:
    service = open_service(tmp_path / "data")
    yield service
    service.store.close()
