"""Session registries (one per variant) with test images pushed into them by skopeo.

    http_registry    plain HTTP: app/multi:v1 (3 gzip layers), app/index (linux/amd64 and
                     linux/arm64 manifests with different layers), app/docker:v1 (Docker
                     schema 2 media types), app/tags:{a,b,c} (for pull -a)
    basic_registry   TLS + htpasswd (alice/wonderland): secure/app:v1
    token_registry   token auth through tests.support.registry.TokenServer: tok/app:v1

Every registry stops (by PID) at the end of the session and its directory is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockyard.content.local import LocalStore
from dockyard.images.service import ImageService
from dockyard.images.store import ImageStore
from dockyard.snapshots.overlay import OverlaySnapshotter
from tests.support.registry import (
    OCI_INDEX,
    SKOPEO,
    Image,
    OCILayout,
    Registry,
    running_registry,
)

USERS = {"alice": "wonderland"}


@dataclass(frozen=True)
class Images:
    """What the session registries hold."""

    multi: Image
    amd64: Image
    arm64: Image
    index_digest: str
    docker_v1: Image
    tags: dict[str, Image]


def _skip_without_tools() -> None:
    for tool in ("/usr/bin/docker-registry", SKOPEO, "/usr/bin/htpasswd"):
        if not os.access(tool, os.X_OK):
            pytest.skip(f"{tool} is not installed")


@pytest.fixture(scope="session")
def registry_base() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="dockyard-registry-"))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def layout(registry_base: Path) -> tuple[OCILayout, Images]:
    """The test images, written once into an OCI layout."""
    layout = OCILayout(registry_base / "layout")
    multi = layout.image(
        [
            {"etc/hostname": b"multi\n", "etc/os-release": b"ID=dockyard-test\n"},
            {"usr/share/data.bin": os.urandom(1 << 20)},
            {"usr/share/text.txt": b"compressible " * 100_000, "etc/hostname": b"top\n"},
        ]
    )
    layout.tag("multi", multi.manifest_digest, multi.manifest_size)
    amd64 = layout.image([{"arch": b"amd64\n"}], platform=("linux", "amd64", ""))
    arm64 = layout.image([{"arch": b"arm64\n"}], platform=("linux", "arm64", "v8"))
    index_digest, index_size = layout.index([amd64, arm64])
    layout.tag("index", index_digest, index_size, media_type=OCI_INDEX)
    docker_v1 = layout.image([{"docker": b"schema 2\n"}])
    layout.tag("docker", docker_v1.manifest_digest, docker_v1.manifest_size)
    tags = {}
    for name in ("a", "b", "c"):
        tags[name] = layout.image([{"tag": name.encode()}])
        layout.tag(f"tag-{name}", tags[name].manifest_digest, tags[name].manifest_size)
    return layout, Images(multi, amd64, arm64, index_digest, docker_v1, tags)


@pytest.fixture(scope="session")
def images(layout: tuple[OCILayout, Images]) -> Images:
    return layout[1]


@pytest.fixture(scope="session")
def http_registry(registry_base: Path, layout: tuple[OCILayout, Images]) -> Iterator[Registry]:
    _skip_without_tools()
    oci, _ = layout
    with running_registry(registry_base / "http") as registry:
        registry.push_layout(oci.root, "multi", "app/multi:v1")
        registry.push_layout(oci.root, "index", "app/index:latest", all_platforms=True)
        registry.push_layout(oci.root, "docker", "app/docker:v1", docker_format=True)
        for name in ("a", "b", "c"):
            registry.push_layout(oci.root, f"tag-{name}", f"app/tags:{name}")
        yield registry


@pytest.fixture(scope="session")
def basic_registry(registry_base: Path, layout: tuple[OCILayout, Images]) -> Iterator[Registry]:
    _skip_without_tools()
    with running_registry(registry_base / "basic", tls=True, users=USERS) as registry:
        registry.push_layout(layout[0].root, "multi", "secure/app:v1")
        yield registry


@pytest.fixture(scope="session")
def token_registry(registry_base: Path, layout: tuple[OCILayout, Images]) -> Iterator[Registry]:
    _skip_without_tools()
    with running_registry(registry_base / "token", token_users=USERS) as registry:
        registry.push_layout(layout[0].root, "multi", "tok/app:v1")
        yield registry


@pytest.fixture
def service(tmp_path: Path) -> Iterator[ImageService]:
    """An image service on real stores (LocalStore, OverlaySnapshotter, SQLite) in tmp_path."""
    sn = OverlaySnapshotter(str(tmp_path / "snapshots"))
    yield ImageService(
        store=ImageStore(str(tmp_path / "metadata.db")),
        content=LocalStore(str(tmp_path / "content")),
        snapshotter=sn,
    )
    sn.close()
