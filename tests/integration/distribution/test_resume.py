"""Broken downloads: a registry killed mid-blob (resume with Range), and a corrupt blob."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from dockyard import errdefs
from dockyard.content.local import LocalStore
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.pull import pull
from dockyard.images.reference import parse
from dockyard.snapshots.overlay import OverlaySnapshotter
from tests.support.registry import OCILayout, Registry, layer_tar, running_registry

pytestmark = [pytest.mark.root, pytest.mark.integration]
BIG = 48 << 20  # bytes: far more than the socket buffers hold when the registry dies


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry of its own (this test kills it), holding big/blob:v1."""
    layout = OCILayout(tmp_path / "layout")
    # gzip level 0 (stored blocks): quick to make, and skopeo copies gzip layers as they are.
    big = layout.image([layer_tar({"big.bin": os.urandom(BIG)})], compresslevel=0)
    layout.tag("big", big.manifest_digest, big.manifest_size)
    with running_registry(tmp_path / "registry") as registry:
        registry.push_layout(layout.root, "big", "big/blob:v1")
        yield registry


def _tracer(requests: list[dict[str, Any]]) -> aiohttp.TraceConfig:
    """Records each request's method, URL, Range header and status (aiohttp's tracing)."""
    trace = aiohttp.TraceConfig()

    async def on_end(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestEndParams
    ) -> None:
        requests.append(
            {
                "method": params.method,
                "url": str(params.url),
                "range": params.headers.get("Range"),
                "status": params.response.status,
            }
        )

    trace.on_request_end.append(on_end)
    return trace


def test_a_download_broken_by_a_killed_registry_resumes_with_range(
    tmp_path: Path, registry: Registry
) -> None:
    requests: list[dict[str, Any]] = []
    content = LocalStore(str(tmp_path / "content"))
    killed: list[int] = []

    def progress(message: dict[str, Any]) -> None:
        detail = message.get("progressDetail") or {}
        if message.get("status") == "Downloading" and not killed:
            assert detail["current"] < detail["total"]
            killed.append(detail["current"])
            registry.kill()  # SIGKILL by PID, mid-blob
            registry.start()  # same port, same storage

    async def main() -> None:
        async with RegistryClient(trace_configs=[_tracer(requests)]) as client:
            await pull(
                parse(f"{registry.host}/big/blob:v1"),
                client=client,
                content=content,
                snapshotter=None,
                progress=progress,
            )

    asyncio.run(main())
    assert killed
    blob_gets = [r for r in requests if r["method"] == "GET" and "/blobs/" in r["url"]]
    layer_gets = [r for r in blob_gets if r["url"] == blob_gets[-1]["url"]]
    assert len(layer_gets) >= 2
    assert layer_gets[0]["range"] is None
    resumed = [r for r in layer_gets[1:] if r["range"]]
    assert resumed, layer_gets
    offset = int(resumed[0]["range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < offset < BIG and resumed[0]["status"] == 206
    digest = blob_gets[-1]["url"].rsplit("/", 1)[1]
    assert content.info(digest).size > BIG and content.ingests() == []


def test_a_blob_with_the_wrong_digest_is_refused_leaving_nothing(
    tmp_path: Path, http_registry: Registry
) -> None:
    layout = OCILayout(tmp_path / "layout")
    image = layout.image([layer_tar({"data": os.urandom(256 << 10)})], compresslevel=0)
    layout.tag("corrupt", image.manifest_digest, image.manifest_size)
    http_registry.push_layout(layout.root, "corrupt", "corrupt/image:v1")
    (layer,) = image.layers
    data = http_registry.blob_data(layer.digest)
    body = bytearray(data.read_bytes())
    body[len(body) // 2] ^= 0xFF  # same size, other bytes (so another digest)
    data.write_bytes(bytes(body))

    content = LocalStore(str(tmp_path / "content"))
    sn = OverlaySnapshotter(str(tmp_path / "snapshots"))

    async def main() -> None:
        async with RegistryClient() as client:
            await pull(
                parse(f"{http_registry.host}/corrupt/image:v1"),
                client=client,
                content=content,
                snapshotter=sn,
            )

    try:
        with pytest.raises(errdefs.InvalidArgument) as err:
            asyncio.run(main())
        assert f"filesystem layer verification failed for digest {layer.digest}" in str(err.value)
        assert "digest mismatch" in str(err.value)
        assert not content.exists(layer.digest)
        assert content.ingests() == []
        assert sn.walk() == []
        assert not content.exists(image.manifest_digest)
        assert not content.exists(image.config_digest)
    finally:
        sn.close()
