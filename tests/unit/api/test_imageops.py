"""ImageOps (daemon/imageops.py) behind the real API: a real ImageService (SQLite store,
content store, overlay snapshotter without mounts) and the in-process fake registry."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from tests.support.registry import layer_tar
from tests.unit.api.fakes import FakeDaemon, serving
from tests.unit.distribution.fakeregistry import FakeRegistry, image
from tests.unit.distribution.fakeregistry import serving as registry_serving

from dockyard.api.server import make_app
from dockyard.content.local import LocalStore
from dockyard.daemon.imageops import ImageOps
from dockyard.distribution.client import RegistryClient
from dockyard.images.service import ImageService, ImageUser
from dockyard.images.store import ImageStore
from dockyard.snapshots.overlay import OverlaySnapshotter


class RecordedEvents:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, dict[str, str]]] = []

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        self.events.append((type, action, actor_id, dict(attributes or {})))

    def actions(self) -> list[str]:
        return [action for _, action, _, _ in self.events]


class World:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.images = ImageService(
            store=ImageStore(str(root / "metadata.db")),
            content=LocalStore(str(root / "content")),
            snapshotter=OverlaySnapshotter(str(root / "snapshots")),
        )
        self.events = RecordedEvents()
        self.users: list[ImageUser] = []


@asynccontextmanager
async def world_api(root: Path) -> AsyncIterator[tuple[aiohttp.ClientSession, World]]:
    world = World(root)
    async with RegistryClient(backoff=0.01) as registry:
        daemon = FakeDaemon()
        daemon.image_ops = ImageOps(  # type: ignore[assignment]  # the real backend
            images=world.images,
            events=world.events,
            registry=registry,
            in_use=lambda image_id: world.users,
        )
        async with serving(make_app(daemon)) as path:
            connector = aiohttp.UnixConnector(path=path)
            async with aiohttp.ClientSession(connector=connector, base_url="http://d") as client:
                yield client, world


async def messages(resp: aiohttp.ClientResponse) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (await resp.read()).splitlines()]


def rootfs_tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_pull_streams_dockers_progress_and_logs_a_pull_event(tmp_path: Path) -> None:
    async def main() -> None:
        async with (
            registry_serving(FakeRegistry()) as registry,
            world_api(tmp_path) as (client, world),
        ):
            summary = image(registry, "app", "v1", [layer_tar({"f": b"x" * 50_000})])
            repo = f"{registry.host}/app"
            async with client.post(
                "/images/create", params={"fromImage": repo, "tag": "v1"}
            ) as resp:
                assert resp.status == 200
                pulled = await messages(resp)
            statuses = [m.get("status") for m in pulled]
            assert statuses[0] == "Pulling from app"
            assert "Pull complete" in statuses
            assert f"Digest: {summary['digest']}" in statuses
            assert statuses[-1] == f"Status: Downloaded newer image for {repo}:v1"
            assert world.events.events == [("image", "pull", f"{repo}:v1", {"name": repo})]

            async with client.post(
                "/images/create", params={"fromImage": repo, "tag": "v1"}
            ) as resp:
                again = await messages(resp)
            assert again[-1] == {"status": f"Status: Image is up to date for {repo}:v1"}

            async with client.get(f"/images/{repo}:v1/json") as resp:
                assert resp.status == 200
                assert (await resp.json())["RepoTags"] == [f"{repo}:v1"]

            # No such tag: the error comes before any progress, so it is an HTTP error.
            async with client.post(
                "/images/create", params={"fromImage": repo, "tag": "nope"}
            ) as resp:
                assert resp.status == 404
                assert "not found" in (await resp.json())["message"]

    asyncio.run(main())


def test_tag_and_rmi_log_tag_untag_delete(tmp_path: Path) -> None:
    async def main() -> None:
        async with world_api(tmp_path) as (client, world):
            tar = rootfs_tar({"etc/hostname": b"x\n"})
            params = [("fromSrc", "-"), ("repo", "base"), ("tag", "1"), ("changes", "LABEL a=b")]
            async with client.post("/images/create", params=params, data=tar) as resp:
                (status,) = await messages(resp)
            image_id = status["status"]
            assert image_id.startswith("sha256:")
            assert world.events.events[-1] == (
                "image",
                "import",
                image_id,
                {"a": "b", "name": image_id},
            )

            async with client.post("/images/base:1/tag?repo=me/base&tag=2") as resp:
                assert resp.status == 201
            assert world.events.events[-1] == (
                "image",
                "tag",
                image_id,
                {"a": "b", "name": "me/base:2"},
            )

            async with client.delete("/images/me/base:2") as resp:
                assert await resp.json() == [{"Untagged": "me/base:2"}]
            assert world.events.events[-1] == (
                "image",
                "untag",
                image_id,
                {"a": "b", "name": image_id},
            )

            world.users = [ImageUser(id="f" * 64, running=True)]
            async with client.delete(f"/images/{image_id}?force=1") as resp:
                assert resp.status == 409  # a running container: cannot be forced
            world.users = []
            before = len(world.events.events)
            async with client.delete("/images/base:1") as resp:
                records = await resp.json()
            assert records[0] == {"Untagged": "base:1"}
            assert records[1] == {"Deleted": image_id}
            assert [e[1] for e in world.events.events[before:]] == ["untag", "delete"]
            assert world.events.events[-1] == ("image", "delete", image_id, {"name": image_id})

            async with client.post("/images/prune") as resp:
                assert await resp.json() == {"ImagesDeleted": None, "SpaceReclaimed": 0}
            assert world.events.events[-1] == ("image", "prune", "", {"reclaimed": "0"})

    asyncio.run(main())


def test_save_then_load_round_trip(tmp_path: Path) -> None:
    async def main() -> None:
        async with world_api(tmp_path / "one") as (client, world):
            tar = rootfs_tar({"bin/sh": b"#!", "etc/os-release": b"ID=test\n"})
            async with client.post("/images/create?fromSrc=-&repo=saved&tag=1", data=tar) as resp:
                assert resp.status == 200
            async with client.get("/images/get?names=saved:1") as resp:
                assert resp.headers["Content-Type"] == "application/x-tar"
                archive = await resp.read()
            assert world.events.actions()[-1] == "save"
            async with client.get("/images/get?names=nosuch") as resp:
                assert resp.status == 404
        with tarfile.open(fileobj=io.BytesIO(archive)) as saved:
            assert "manifest.json" in saved.getnames()

        async with world_api(tmp_path / "two") as (client, world):
            async with client.post("/images/load?quiet=1", data=archive) as resp:
                assert await messages(resp) == [{"stream": "Loaded image: saved:1\n"}]
            assert world.events.actions() == ["load"]
            async with client.get("/images/saved:1/json") as resp:
                assert resp.status == 200

    asyncio.run(main())
