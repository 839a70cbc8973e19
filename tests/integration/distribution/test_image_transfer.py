"""docker pull / push at the image level: distribution + image store + snapshots together.

Real parts only: Debian's docker-registry, LocalStore, OverlaySnapshotter, the SQLite image
store; skopeo as the independent reader of what we push.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest

from dockyard.content.local import LocalStore
from dockyard.images.service import ImageService
from dockyard.images.store import ImageStore
from dockyard.images.transfer import pull_image, push_image
from dockyard.snapshots.overlay import OverlaySnapshotter
from tests.integration.distribution.conftest import Images
from tests.support.registry import Registry, with_client

pytestmark = [pytest.mark.root, pytest.mark.integration]


def test_pull_records_a_tagged_image_and_a_second_pull_is_up_to_date(
    service: ImageService, http_registry: Registry, images: Images
) -> None:
    name = f"{http_registry.host}/app/multi:v1"
    messages: list[dict[str, Any]] = []
    pulled = with_client(lambda c: pull_image(service, name, client=c, progress=messages.append))
    assert messages[-1] == {"status": f"Status: Downloaded newer image for {name}"}
    doc = service.inspect(name)
    assert doc["Id"] == images.multi.config_digest
    assert doc["RepoTags"] == [name]
    assert doc["RepoDigests"] == [f"{http_registry.host}/app/multi@{images.multi.manifest_digest}"]
    assert len(doc["RootFS"]["Layers"]) == len(images.multi.layers) == len(pulled[0].diff_ids)
    messages.clear()
    with_client(lambda c: pull_image(service, name, client=c, progress=messages.append))
    assert messages[-1] == {"status": f"Status: Image is up to date for {name}"}


def test_a_pull_without_tag_means_latest_and_a_missing_one_is_not_found(
    service: ImageService, http_registry: Registry
) -> None:
    from dockyard import errdefs

    with pytest.raises(errdefs.NotFound, match=r"manifest for .*/app/multi:latest not found"):
        with_client(lambda c: pull_image(service, f"{http_registry.host}/app/multi", client=c))
    assert service.list() == []  # nothing recorded for a failed pull


def test_imported_image_pushes_and_pulls_back_with_the_same_id(
    service: ImageService, http_registry: Registry, rootfs: Path, tmp_path: Path
) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(rootfs, arcname=".")
    buf.seek(0)
    name = f"{http_registry.host}/roundtrip/busybox:v1"
    image_id = service.import_image(buf, repo_tag=name, changes=['CMD ["sh"]'])
    digest = with_client(lambda c: push_image(service, name, client=c))
    assert http_registry.inspect("roundtrip/busybox:v1")["Digest"] == digest  # skopeo's view
    assert (
        f"{http_registry.host}/roundtrip/busybox@{digest}" in service.inspect(name)["RepoDigests"]
    )

    other = ImageService(
        store=ImageStore(str(tmp_path / "other.db")),
        content=LocalStore(str(tmp_path / "other-content")),
        snapshotter=OverlaySnapshotter(str(tmp_path / "other-snapshots")),
    )
    try:
        with_client(lambda c: pull_image(other, name, client=c))
        assert other.inspect(name)["Id"] == image_id
        assert other.inspect(name)["Config"]["Cmd"] == ["sh"]
    finally:
        other.snapshotter.close()  # type: ignore[attr-defined]
