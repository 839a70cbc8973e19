"""Pushes read back by skopeo (the independent reader): uploads, existing layers, mounts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.content.local import LocalStore
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.credentials import AuthConfig
from dockyard.distribution.platforms import parse_platform
from dockyard.distribution.progress import short_id
from dockyard.distribution.pull import pull
from dockyard.distribution.push import push
from dockyard.images.reference import parse
from tests.integration.distribution.conftest import USERS, Images
from tests.support.registry import Registry

pytestmark = [pytest.mark.root, pytest.mark.integration]


async def _alice(domain: str) -> AuthConfig | None:
    user, password = next(iter(USERS.items()))
    return AuthConfig(username=user, password=password)


def _push(content: LocalStore, ref: str, digest: str, **client_options: Any) -> tuple[str, list]:
    messages: list[dict[str, Any]] = []

    async def main() -> str:
        async with RegistryClient(credentials=_alice, **client_options) as client:
            return await push(
                parse(ref),
                client=client,
                content=content,
                manifest_digest=digest,
                progress=messages.append,
            )

    return asyncio.run(main()), messages


@pytest.fixture
def pulled_multi(tmp_path: Path, http_registry: Registry) -> tuple[LocalStore, str]:
    """app/multi:v1 pulled into a fresh content store (blobs only)."""
    content = LocalStore(str(tmp_path / "content"))

    async def main() -> str:
        async with RegistryClient() as client:
            (pulled,) = await pull(
                parse(f"{http_registry.host}/app/multi:v1"),
                client=client,
                content=content,
                snapshotter=None,
            )
            return pulled.manifest_digest

    return content, asyncio.run(main())


def test_push_uploads_in_chunks_and_skopeo_reads_it_back(
    pulled_multi: tuple[LocalStore, str], basic_registry: Registry, images: Images
) -> None:
    content, digest = pulled_multi
    ref = f"{basic_registry.host}/pushed/app:v7"
    pushed, messages = _push(content, ref, digest, upload_chunk_size=256 << 10)
    assert pushed == digest
    seen = basic_registry.inspect("pushed/app:v7")
    assert seen["Digest"] == digest
    assert seen["Layers"] == [layer.digest for layer in images.multi.layers]
    assert basic_registry.inspect("pushed/app:v7", raw=True) == json.loads(content.read(digest))
    assert messages[0] == {
        "status": f"The push refers to repository [{basic_registry.host}/pushed/app]"
    }
    for layer in images.multi.layers:
        statuses = [m["status"] for m in messages if m.get("id") == short_id(layer.digest)]
        assert statuses[0] == "Preparing" and statuses[-1] == "Pushed", statuses
        assert "Pushing" in statuses
    size = len(content.read(digest))
    assert messages[-2:] == [
        {"status": f"v7: digest: {digest} size: {size}"},
        {"progressDetail": {}, "aux": {"Tag": "v7", "Digest": digest, "Size": size}},
    ]

    _, again = _push(content, ref, digest)
    layer_ids = {short_id(layer.digest) for layer in images.multi.layers}
    assert {m["id"]: m["status"] for m in again if m.get("id") in layer_ids} == {
        layer_id: "Layer already exists" for layer_id in layer_ids
    }


def test_push_mounts_blobs_from_the_repository_they_came_from(
    pulled_multi: tuple[LocalStore, str], http_registry: Registry, images: Images
) -> None:
    content, digest = pulled_multi
    pushed, messages = _push(content, f"{http_registry.host}/mounted/copy", digest)
    layer_ids = {short_id(layer.digest) for layer in images.multi.layers}
    assert {m["id"]: m["status"] for m in messages if m.get("id") in layer_ids} == {
        layer_id: "Mounted from app/multi" for layer_id in layer_ids
    }
    assert http_registry.inspect("mounted/copy:latest")["Digest"] == pushed


def test_push_of_an_index_pushes_every_platform_first(
    tmp_path: Path, http_registry: Registry, basic_registry: Registry, images: Images
) -> None:
    content = LocalStore(str(tmp_path / "content"))

    async def pull_both() -> str:
        async with RegistryClient() as client:
            for platform in ("linux/amd64", "linux/arm64"):
                (pulled,) = await pull(
                    parse(f"{http_registry.host}/app/index"),
                    client=client,
                    content=content,
                    snapshotter=None,
                    platform=parse_platform(platform),
                )
            return pulled.index_digest

    index_digest = asyncio.run(pull_both())
    assert index_digest == images.index_digest
    pushed, _ = _push(content, f"{basic_registry.host}/multi/arch:v1", index_digest)
    assert pushed == index_digest
    raw = basic_registry.inspect("multi/arch:v1", raw=True)
    assert [m["digest"] for m in raw["manifests"]] == [
        images.amd64.manifest_digest,
        images.arm64.manifest_digest,
    ]
