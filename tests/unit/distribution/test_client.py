"""RegistryClient against the in-process fake registry: resume, retries, errors, uploads."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.content.local import LocalStore
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.manifests import OCI_LAYER, Descriptor
from dockyard.images.reference import parse
from tests.support.registry import free_port
from tests.unit.distribution.fakeregistry import FakeRegistry, image, serving, sha256

BLOB = os.urandom(3 << 20)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def client() -> RegistryClient:
    return RegistryClient(backoff=0.01)


async def _download(registry: FakeRegistry, store: LocalStore, data: bytes = BLOB) -> str:
    digest = registry.add_blob(data)
    desc = Descriptor(media_type=OCI_LAYER, digest=digest, size=len(data))
    async with client() as c:
        with store.writer(digest, expected=digest, size=len(data)) as writer:
            return await c.fetch_blob(parse(f"{registry.host}/repo"), desc, writer)


def test_fetch_blob_resumes_with_range_after_a_broken_stream(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            registry.cut_after[sha256(BLOB)] = 1 << 20
            assert await _download(registry, store) == sha256(BLOB)
            gets = registry.blob_requests(sha256(BLOB))
            assert len(gets) == 2
            assert "Range" not in gets[0].headers
            resumed_at = int(gets[1].headers["Range"].removeprefix("bytes=").rstrip("-"))
            assert 0 < resumed_at < len(BLOB)

    run(main())
    assert store.read(sha256(BLOB)) == BLOB
    assert store.ingests() == []


def test_fetch_blob_restarts_when_the_server_ignores_range(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))

    async def main() -> None:
        async with serving(FakeRegistry(ignore_range=True)) as registry:
            registry.cut_after[sha256(BLOB)] = 1 << 20
            await _download(registry, store)
            assert len(registry.blob_requests(sha256(BLOB))) == 2

    run(main())
    assert store.read(sha256(BLOB)) == BLOB


def test_fetch_blob_resumes_an_ingest_left_by_an_earlier_writer(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))
    digest = sha256(BLOB)
    with store.writer(digest, expected=digest, size=len(BLOB)) as writer:
        writer.write(BLOB[:12345])

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            await _download(registry, store)
            (get,) = registry.blob_requests(digest)
            assert get.headers["Range"] == "bytes=12345-"

    run(main())
    assert store.read(digest) == BLOB


def test_fetch_blob_refuses_bytes_that_do_not_match_the_digest(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            digest = registry.add_blob(BLOB)
            registry.blobs[digest] = b"X" + BLOB[1:]  # same size, other bytes
            desc = Descriptor(media_type=OCI_LAYER, digest=digest, size=len(BLOB))
            async with client() as c:
                with (
                    store.writer(digest, expected=digest, size=len(BLOB)) as writer,
                    pytest.raises(errdefs.InvalidArgument, match="digest mismatch"),
                ):
                    await c.fetch_blob(parse(f"{registry.host}/repo"), desc, writer)

    run(main())
    assert store.walk() == [] and store.ingests() == []


def test_server_errors_are_retried_with_backoff(tmp_path: Path) -> None:
    async def main() -> None:
        async with serving(FakeRegistry(unavailable=2)) as registry:
            summary = image(registry, "repo", "v1", [b"layer"])
            async with client() as c:
                desc, data = await c.fetch_manifest(parse(f"{registry.host}/repo:v1"))
            assert desc.digest == summary["digest"] and sha256(data) == desc.digest

    run(main())


def test_missing_manifest_is_not_found_with_dockers_words() -> None:
    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            async with client() as c:
                with pytest.raises(errdefs.NotFound) as err:
                    await c.resolve(parse(f"{registry.host}/repo:nope"))
            assert str(err.value) == (
                f"manifest for {registry.host}/repo:nope not found: manifest unknown:"
                " manifest unknown"
            )

    run(main())


def test_unreachable_registry_is_unavailable() -> None:
    port = free_port()

    async def main() -> None:
        async with RegistryClient(retries=1, backoff=0.01) as c:
            with pytest.raises(errdefs.Unavailable, match="connect: connection refused"):
                await c.resolve(parse(f"127.0.0.1:{port}/repo:v1"))

    run(main())


def test_manifest_digest_is_verified() -> None:
    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            summary = image(registry, "repo", "v1", [b"layer"])
            media_type, data = registry.manifests[("repo", summary["digest"])]
            registry.manifests[("repo", summary["digest"])] = (media_type, data + b" ")
            ref = parse(f"{registry.host}/repo@{summary['digest']}")
            async with client() as c:
                with pytest.raises(errdefs.InvalidArgument, match="verification failed"):
                    await c.fetch_manifest(ref)

    run(main())


def test_tags_follow_link_pagination() -> None:
    async def main() -> None:
        async with serving(FakeRegistry(tag_page=2)) as registry:
            for tag in ("a", "b", "c", "d", "e"):
                image(registry, "repo", tag, [tag.encode()])
            async with client() as c:
                assert await c.tags(parse(f"{registry.host}/repo")) == ["a", "b", "c", "d", "e"]
            pages = [r for r in registry.requests if r.path.endswith("/tags/list")]
            assert len(pages) == 3

    run(main())


def test_upload_in_chunks_follows_location_and_range() -> None:
    data = os.urandom(5 << 20)
    digest = sha256(data)

    async def main() -> None:
        # The registry keeps only part of each PATCH: the client must continue from the
        # Range it answers, not from what it sent.
        async with serving(FakeRegistry(upload_keep=1 << 20)) as registry:
            async with RegistryClient(backoff=0.01, upload_chunk_size=2 << 20) as c:
                outcome = await c.upload_blob(
                    parse(f"{registry.host}/repo"), digest, len(data), lambda: io.BytesIO(data)
                )
            assert outcome == "pushed"
            assert registry.blobs[digest] == data
            patches = [r for r in registry.requests if r.method == "PATCH"]
            assert len(patches) == 5
            assert [p.headers["Content-Range"].split("-")[0] for p in patches] == [
                str(n << 20) for n in range(5)
            ]

    run(main())


def test_small_upload_is_one_put_and_mount_skips_it() -> None:
    data = b"small blob"
    digest = sha256(data)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            repo = parse(f"{registry.host}/repo")
            async with client() as c:
                assert await c.upload_blob(repo, digest, len(data), lambda: io.BytesIO(data)) == (
                    "pushed"
                )
                assert not [r for r in registry.requests if r.method == "PATCH"]
                assert await c.blob_exists(repo, digest)
                assert await c.mount_blob(parse(f"{registry.host}/other"), digest, "repo")
                assert not await c.blob_exists(repo, sha256(b"absent"))

    run(main())


def test_concurrent_fetches_of_one_blob_download_it_once(tmp_path: Path) -> None:
    store = LocalStore(str(tmp_path))

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            digest = registry.add_blob(BLOB)
            registry.delays[digest] = 0.1
            desc = Descriptor(media_type=OCI_LAYER, digest=digest, size=len(BLOB))
            repo = parse(f"{registry.host}/repo")
            seen: list[list[int]] = [[], []]
            async with client() as c:
                results = await asyncio.gather(
                    c.downloads.fetch(repo, desc, store, progress=seen[0].append),
                    c.downloads.fetch(repo, desc, store, progress=seen[1].append),
                )
                assert results == [True, True]
                assert not await c.downloads.fetch(repo, desc, store)  # present now
            assert len(registry.blob_requests(digest)) == 1
            assert seen[0][-1] == seen[1][-1] == len(BLOB)

    run(main())
    assert store.read(sha256(BLOB)) == BLOB
