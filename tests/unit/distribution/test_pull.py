"""pull() against the in-process fake registry, into a real LocalStore and OverlaySnapshotter
(whose prepare/commit need no privileges; nothing is mounted here)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.content.local import LocalStore
from dockyard.distribution import labels
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.platforms import parse_platform
from dockyard.distribution.progress import short_id
from dockyard.distribution.pull import Pulled, pull
from dockyard.images.reference import parse
from dockyard.snapshots.overlay import OverlaySnapshotter
from dockyard.snapshots.unpack import chain_ids
from tests.support.registry import layer_tar
from tests.unit.distribution.fakeregistry import OCI_INDEX, FakeRegistry, image, serving, sha256


class World:
    """A content store, a snapshotter and the progress messages of the pulls made in it."""

    def __init__(self, root: Path) -> None:
        self.content = LocalStore(str(root / "content"))
        self.sn = OverlaySnapshotter(str(root / "snapshots"))
        self.messages: list[tuple[float, dict[str, Any]]] = []

    def sink(self, message: dict[str, Any]) -> None:
        self.messages.append((time.monotonic(), message))

    def statuses(self, layer_id: str = "") -> list[str]:
        return [m["status"] for _, m in self.messages if m.get("id", "") == layer_id]

    async def pull(self, registry: FakeRegistry, name: str, **kwargs: Any) -> list[Pulled]:
        self.messages.clear()
        async with RegistryClient(backoff=0.01) as client:
            return await pull(
                parse(f"{registry.host}/{name}"),
                client=client,
                content=self.content,
                snapshotter=self.sn,
                progress=self.sink,
                **kwargs,
            )


LAYERS = [layer_tar({f"l{i}/file": bytes([i]) * 200_000}) for i in range(3)]


def test_pull_unpacks_the_chain_and_stores_the_image(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            summary = image(registry, "app", "v1", LAYERS)
            (pulled,) = await world.pull(registry, "app:v1")
            chains = chain_ids(summary["layers"])
            assert pulled.manifest_digest == summary["digest"]
            assert pulled.config_digest == summary["config"]
            assert pulled.chain_id == chains[-1]
            committed = {s.key: s.parent for s in world.sn.walk() if s.kind == "committed"}
            # Layers are extracted side by side, so walk order is creation order, not the
            # chain's; what matters is that each chain id sits on the one before it.
            assert committed == dict(zip(chains, ["", *chains[:-1]], strict=True))
            assert world.content.exists(summary["digest"])
            manifest_labels = world.content.info(summary["digest"]).labels
            assert manifest_labels[labels.GC_CONFIG] == summary["config"]
            assert world.content.info(summary["layers"][0]).labels == {
                labels.SOURCE_PREFIX + registry.host: "app",
                labels.UNCOMPRESSED: summary["layers"][0],
            }
            layer = short_id(summary["layers"][0])
            assert world.statuses(layer)[0] == "Pulling fs layer"
            assert world.statuses(layer)[-3:] == ["Extracting", "Extracting", "Pull complete"]
            assert world.statuses()[-2:] == [
                f"Digest: {summary['digest']}",
                f"Status: Downloaded newer image for {registry.host}/app:v1",
            ]

            await world.pull(registry, "app:v1")
            assert world.statuses(layer) == ["Already exists"]
            assert world.statuses()[-1] == f"Status: Image is up to date for {registry.host}/app:v1"

    asyncio.run(main())


def test_extraction_starts_before_the_last_download_ends(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            summary = image(registry, "app", "v1", LAYERS)
            registry.delays[summary["layers"][2]] = 0.5
            await world.pull(registry, "app:v1")
        first_done = next(
            t
            for t, m in world.messages
            if m.get("id") == short_id(summary["layers"][0]) and m["status"] == "Pull complete"
        )
        last_downloaded = next(
            t
            for t, m in world.messages
            if m.get("id") == short_id(summary["layers"][2]) and m["status"] == "Download complete"
        )
        assert first_done < last_downloaded

    asyncio.run(main())


def test_layers_beyond_the_download_limit_wait(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            summary = image(registry, "app", "v1", LAYERS)
            await world.pull(registry, "app:v1", max_concurrent_downloads=1)
        assert "Waiting" not in world.statuses(short_id(summary["layers"][0]))
        assert "Waiting" in world.statuses(short_id(summary["layers"][2]))

    asyncio.run(main())


def test_a_diff_id_mismatch_fails_and_leaves_no_snapshot(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            summary = image(registry, "app", "v1", LAYERS[:1])
            config = json.loads(registry.blobs[summary["config"]])
            config["rootfs"]["diff_ids"] = ["sha256:" + "0" * 64]
            bad = json.dumps(config).encode()
            registry.blobs[sha256(bad)] = bad
            manifest = json.loads(registry.manifests[("app", "v1")][1])
            manifest["config"].update(digest=sha256(bad), size=len(bad))
            registry.add_manifest("app", "bad", manifest)
            with pytest.raises(errdefs.InvalidArgument, match=r"failed to register layer.*diff_id"):
                await world.pull(registry, "app:bad")
        assert world.sn.walk() == []
        assert not world.content.exists(sha256(bad))  # no image is recorded half-pulled

    asyncio.run(main())


def test_an_index_resolves_to_the_wanted_platform(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            amd = image(registry, "multi", "amd", LAYERS[:1])
            arm = image(registry, "multi", "arm", LAYERS[1:2], architecture="arm64", variant="v8")
            index = {
                "schemaVersion": 2,
                "mediaType": OCI_INDEX,
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": s["digest"],
                        "size": s["size"],
                        "platform": {"os": "linux", "architecture": arch, **extra},
                    }
                    for s, arch, extra in ((amd, "amd64", {}), (arm, "arm64", {"variant": "v8"}))
                ],
            }
            index_digest, _ = registry.add_manifest("multi", "latest", index)
            (pulled,) = await world.pull(registry, "multi", platform=parse_platform("linux/arm64"))
            assert (pulled.manifest_digest, pulled.index_digest) == (arm["digest"], index_digest)
            assert world.statuses()[-2] == f"Digest: {index_digest}"
            with pytest.raises(errdefs.NotFound, match="no matching manifest for linux/s390x"):
                await world.pull(registry, "multi", platform=parse_platform("linux/s390x"))

    asyncio.run(main())


def test_pull_all_tags_and_by_digest(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            one = image(registry, "app", "one", LAYERS[:1])
            two = image(registry, "app", "two", LAYERS[:2])
            pulled = await world.pull(registry, "app", all_tags=True)
            assert [(p.reference.tag, p.manifest_digest) for p in pulled] == [
                ("one", one["digest"]),
                ("two", two["digest"]),
            ]
            assert world.statuses("one") == ["Pulling from app"]
            assert world.statuses()[-1] == f"Status: Downloaded newer image for {registry.host}/app"
            (by_digest,) = await world.pull(registry, f"app@{two['digest']}")
            assert by_digest.manifest_digest == two["digest"]
            assert world.statuses(two["digest"]) == ["Pulling from app"]
            with pytest.raises(errdefs.InvalidArgument, match="tag can't be used"):
                await world.pull(registry, "app:one", all_tags=True)

    asyncio.run(main())


def test_schema1_manifests_are_refused(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            registry.add_manifest(
                "old",
                "v1",
                {
                    "schemaVersion": 1,
                    "mediaType": "application/vnd.docker.distribution.manifest.v1+prettyjws",
                },
            )
            with pytest.raises(errdefs.Unimplemented, match="DEPRECATION NOTICE"):
                await world.pull(registry, "old:v1")

    asyncio.run(main())


def test_two_concurrent_pulls_download_each_blob_once(tmp_path: Path) -> None:
    world = World(tmp_path)

    async def main() -> None:
        async with serving(FakeRegistry()) as registry:
            summary = image(registry, "app", "v1", LAYERS)
            for digest in summary["layers"]:
                registry.delays[digest] = 0.1
            async with RegistryClient(backoff=0.01) as client:
                pulls = [
                    pull(
                        parse(f"{registry.host}/app:v1"),
                        client=client,
                        content=world.content,
                        snapshotter=world.sn,
                    )
                    for _ in range(2)
                ]
                first, second = await asyncio.gather(*pulls)
            assert first[0].chain_id == second[0].chain_id
            for digest in summary["layers"]:
                assert len(registry.blob_requests(digest)) == 1

    asyncio.run(main())
