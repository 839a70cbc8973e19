"""Manifest inspection (GET /distribution/{name}/json, docker manifest inspect) of real images."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from dockyard.distribution.client import RegistryClient
from dockyard.distribution.inspect import distribution_inspect, manifest_inspect
from dockyard.images.reference import parse
from tests.integration.distribution.conftest import Images
from tests.support.registry import OCI_INDEX, OCI_MANIFEST, Registry

pytestmark = [pytest.mark.root, pytest.mark.integration]


def _run(coro_factory: Any) -> Any:
    async def main() -> Any:
        async with RegistryClient() as client:
            return await coro_factory(client)

    return asyncio.run(main())


def test_distribution_inspect_of_an_index_lists_its_platforms(
    http_registry: Registry, images: Images
) -> None:
    ref = parse(f"{http_registry.host}/app/index")
    answer = _run(lambda c: distribution_inspect(ref, client=c))
    assert answer["Descriptor"]["mediaType"] == OCI_INDEX
    assert answer["Descriptor"]["digest"] == images.index_digest
    assert answer["Platforms"] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux", "variant": "v8"},
    ]


def test_distribution_inspect_of_one_manifest_reads_its_config(
    http_registry: Registry, images: Images
) -> None:
    ref = parse(f"{http_registry.host}/app/multi:v1")
    answer = _run(lambda c: distribution_inspect(ref, client=c))
    assert answer == {
        "Descriptor": {
            "mediaType": OCI_MANIFEST,
            "digest": images.multi.manifest_digest,
            "size": images.multi.manifest_size,
        },
        "Platforms": [{"architecture": "amd64", "os": "linux"}],
    }


def test_manifest_inspect_plain_and_verbose(http_registry: Registry, images: Images) -> None:
    ref = parse(f"{http_registry.host}/app/index")
    plain = _run(lambda c: manifest_inspect(ref, client=c))
    assert plain == http_registry.inspect("app/index:latest", raw=True)
    verbose = _run(lambda c: manifest_inspect(ref, client=c, verbose=True))
    assert [v["Descriptor"]["platform"]["architecture"] for v in verbose] == ["amd64", "arm64"]
    first = verbose[0]
    assert first["Ref"] == f"{http_registry.host}/app/index@{images.amd64.manifest_digest}"
    assert json.loads(base64.b64decode(first["Raw"])) == first["OCIManifest"]
