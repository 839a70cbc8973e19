"""Pulls from Debian's docker-registry into the content store and real overlay snapshots."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dockyard.content.local import LocalStore
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.platforms import host_platform, parse_platform
from dockyard.distribution.progress import short_id
from dockyard.distribution.pull import Pulled, pull
from dockyard.images.reference import parse
from dockyard.snapshots.mount import mount_all, unmount
from dockyard.snapshots.overlay import OverlaySnapshotter
from dockyard.snapshots.unpack import chain_ids
from tests.integration.distribution.conftest import Images
from tests.support.registry import Registry

pytestmark = [pytest.mark.root, pytest.mark.integration]


class Puller:
    """A content store and an overlay snapshotter under a temp dir, and the progress seen."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.content = LocalStore(str(root / "content"))
        self.sn = OverlaySnapshotter(str(root / "snapshots"))
        self.messages: list[dict[str, Any]] = []

    def pull(self, ref: str, **kwargs: Any) -> list[Pulled]:
        self.messages.clear()

        async def main() -> list[Pulled]:
            async with RegistryClient() as client:
                return await pull(
                    parse(ref),
                    client=client,
                    content=self.content,
                    snapshotter=self.sn,
                    progress=self.messages.append,
                    **kwargs,
                )

        return asyncio.run(main())

    def read(self, chain_id: str, path: str) -> bytes:
        """A file of the unpacked image, through a real overlay mount of a view."""
        key = f"view-{os.urandom(4).hex()}"
        target = tempfile.mkdtemp(dir=self.root)
        try:
            mount_all(self.sn.view(key, parent=chain_id), target)
            try:
                return (Path(target) / path).read_bytes()
            finally:
                unmount(target)
        finally:
            self.sn.remove(key)
            os.rmdir(target)

    def statuses(self, id_: str = "") -> list[str]:
        return [m["status"] for m in self.messages if m.get("id", "") == id_]


@pytest.fixture
def puller(tmp_path: Path) -> Iterator[Puller]:
    p = Puller(tmp_path)
    yield p
    p.sn.close()


def test_pull_by_tag_unpacks_every_layer(
    puller: Puller, http_registry: Registry, images: Images
) -> None:
    (pulled,) = puller.pull(f"{http_registry.host}/app/multi:v1")
    diff_ids = [layer.diff_id for layer in images.multi.layers]
    assert pulled.manifest_digest == images.multi.manifest_digest
    assert pulled.config_digest == images.multi.config_digest
    assert list(pulled.diff_ids) == diff_ids
    assert pulled.chain_id == chain_ids(diff_ids)[-1]
    assert puller.read(pulled.chain_id, "etc/hostname") == b"top\n"  # the top layer wins
    assert puller.read(pulled.chain_id, "etc/os-release") == b"ID=dockyard-test\n"
    assert puller.read(pulled.chain_id, "usr/share/text.txt") == b"compressible " * 100_000


def test_progress_follows_dockers_sequence(puller: Puller, http_registry: Registry) -> None:
    ref = f"{http_registry.host}/app/multi:v1"
    (pulled,) = puller.pull(ref)
    assert puller.messages[0] == {"status": "Pulling from app/multi", "id": "v1"}
    layers = [m["id"] for m in puller.messages if m.get("status") == "Pulling fs layer"]
    assert len(layers) == 3
    for layer in layers:
        seen = [s for s in puller.statuses(layer) if s not in ("Downloading", "Extracting")]
        assert seen == [
            "Pulling fs layer",
            "Verifying Checksum",
            "Download complete",
            "Pull complete",
        ], layer
        statuses = puller.statuses(layer)
        assert statuses.index("Downloading") < statuses.index("Download complete")
        assert statuses.index("Download complete") < statuses.index("Extracting")
        done = [
            m for m in puller.messages if m.get("id") == layer and m["status"] == "Downloading"
        ][-1]
        assert done["progressDetail"]["current"] == done["progressDetail"]["total"]
        assert done["progress"].startswith("[" + "=" * 50 + ">]")
    assert puller.messages[-2:] == [
        {"status": f"Digest: {pulled.manifest_digest}"},
        {"status": f"Status: Downloaded newer image for {ref}"},
    ]
    puller.pull(ref)
    assert all(puller.statuses(layer) == ["Already exists"] for layer in layers)
    assert puller.messages[-1] == {"status": f"Status: Image is up to date for {ref}"}


def test_pull_by_digest(puller: Puller, http_registry: Registry, images: Images) -> None:
    digest = images.docker_v1.manifest_digest
    # skopeo converted it to Docker's media types, so the registry holds another digest:
    served = http_registry.inspect("app/docker:v1")["Digest"]
    assert served != digest
    (pulled,) = puller.pull(f"{http_registry.host}/app/docker@{served}")
    assert pulled.manifest_digest == served
    assert puller.messages[0] == {"status": "Pulling from app/docker", "id": served}
    assert puller.read(pulled.chain_id, "docker") == b"schema 2\n"


def test_an_index_gives_the_host_platform_unless_told_otherwise(
    puller: Puller, http_registry: Registry, images: Images
) -> None:
    ref = f"{http_registry.host}/app/index"
    if host_platform().architecture not in ("amd64", "arm64"):
        pytest.skip(f"the test index has no {host_platform()} manifest")
    native = images.amd64 if host_platform().architecture == "amd64" else images.arm64
    other = images.arm64 if native is images.amd64 else images.amd64
    (pulled,) = puller.pull(ref)
    assert (pulled.manifest_digest, pulled.index_digest) == (
        native.manifest_digest,
        images.index_digest,
    )
    assert puller.read(pulled.chain_id, "arch") == f"{host_platform().architecture}\n".encode()
    (foreign,) = puller.pull(ref, platform=parse_platform(f"linux/{other.platform[1]}"))
    assert foreign.manifest_digest == other.manifest_digest
    assert puller.content.exists(images.index_digest)


def test_pull_all_tags(puller: Puller, http_registry: Registry, images: Images) -> None:
    pulled = puller.pull(f"{http_registry.host}/app/tags", all_tags=True)
    assert {p.reference.tag: p.manifest_digest for p in pulled} == {
        name: image.manifest_digest for name, image in images.tags.items()
    }
    # One "Pulling from" per tag, in the order the registry lists them.
    pulling = [m["id"] for m in puller.messages if m["status"] == "Pulling from app/tags"]
    assert pulling == [p.reference.tag for p in pulled] and sorted(pulling) == ["a", "b", "c"]
    assert puller.messages[-1] == {
        "status": f"Status: Downloaded newer image for {http_registry.host}/app/tags"
    }
    layer = short_id(images.tags["a"].layers[0].digest)
    assert "Pull complete" in puller.statuses(layer)
