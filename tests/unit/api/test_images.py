"""Image routes over a fake backend: names with slashes, progress streams and their errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tests.unit.api.fakes import api

from dockyard import errdefs


def run(main: Any) -> None:
    asyncio.run(main())


def test_names_with_registry_ports_and_slashes_route() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            name = "localhost:5000/a/b:tag"
            for path in (f"/images/{name}/json", f"/v1.41/images/{name}/history"):
                async with client.get(path) as resp:
                    assert resp.status == 200, path
            async with client.post(f"/images/{name}/tag?repo=me/x&tag=1") as resp:
                assert resp.status == 201
            async with client.delete(f"/images/{name}?force=1") as resp:
                assert await resp.json() == [{"Untagged": name}]
            async with client.get("/images/json") as resp:  # the fixed path, not {name}/json
                assert await resp.json() == []
            async with client.get("/images/missing:1/json") as resp:
                assert resp.status == 404
                assert await resp.json() == {"message": "No such image: missing:1"}
            calls = daemon.image_ops.calls
            assert ("inspect", name) in calls and ("history", name) in calls
            assert ("tag", (name, "me/x", "1")) in calls
            assert ("remove", (name, True, False)) in calls

    run(main)


def test_pull_streams_progress_as_it_happens() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            gate = daemon.image_ops.pull_gate = asyncio.Event()
            params = {"fromImage": "busybox", "tag": "latest"}
            async with client.post("/images/create", params=params) as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"] == "application/json"
                first = await asyncio.wait_for(resp.content.readline(), 5)
                assert json.loads(first) == {
                    "status": "Pulling from library/busybox",
                    "id": "latest",
                }
                gate.set()  # the backend goes on only after the client saw the first line
                for _ in range(3):
                    await asyncio.wait_for(resp.content.readline(), 5)
                    gate.set()
                assert await resp.read() == b""
            assert daemon.image_ops.calls[-1] == (
                "pull",
                {"name": "busybox", "tag": "latest", "auth": None},
            )

    run(main)


def test_pull_errors_before_and_after_the_first_message() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            ops = daemon.image_ops
            ops.pull_messages = []
            ops.pull_error = errdefs.NotFound("manifest for busybox:nosuch not found")
            async with client.post("/images/create?fromImage=busybox&tag=nosuch") as resp:
                assert resp.status == 404  # nothing streamed yet: an ordinary HTTP error
                assert await resp.json() == {"message": "manifest for busybox:nosuch not found"}
            ops.pull_messages = [{"status": "Pulling fs layer", "progressDetail": {}, "id": "a"}]
            ops.pull_error = errdefs.Unavailable("connection reset")
            async with client.post("/images/create?fromImage=busybox&tag=1") as resp:
                assert resp.status == 200
                lines = (await resp.read()).splitlines()
            assert json.loads(lines[-1]) == {
                "errorDetail": {"message": "connection reset"},
                "error": "connection reset",
            }

    run(main)


def test_import_from_the_body_and_load_errors_in_the_stream() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            params = [("fromSrc", "-"), ("repo", "me/rootfs"), ("changes", 'CMD ["sh"]')]
            async with client.post("/images/create", params=params, data=b"rootfs-tar") as resp:
                assert resp.status == 200
                assert json.loads(await resp.read()) == {"status": "sha256:" + "e" * 64}
            (call,) = [c[1] for c in daemon.image_ops.calls if c[0] == "import"]
            assert call == {"data": b"rootfs-tar", "repo": "me/rootfs", "changes": ['CMD ["sh"]']}
            async with client.post("/images/load?quiet=0", data=b"not-a-tar") as resp:
                assert resp.status == 200  # moby: load errors always go into the stream
                assert json.loads(await resp.read())["error"] == "unexpected EOF"

    run(main)


def test_save_and_push_and_prune() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            async with client.get("/images/get", params=[("names", "a"), ("names", "b:1")]) as resp:
                assert resp.headers["Content-Type"] == "application/x-tar"
                assert await resp.read() == b"saved:a,b:1"
            async with client.get("/images/localhost:5000/x:1/get") as resp:
                assert await resp.read() == b"saved:localhost:5000/x:1"
            async with client.get("/images/get?names=missing") as resp:
                assert resp.status == 404
            async with client.post("/images/localhost:5000/app/push?tag=v1") as resp:
                assert json.loads(await resp.read()) == {
                    "status": "The push refers to repository [localhost:5000/app]"
                }
            async with client.post(
                "/images/prune", params={"filters": '{"dangling":["false"]}'}
            ) as resp:
                assert resp.status == 200
            assert ("prune", {"dangling": ["false"]}) in daemon.image_ops.calls
            async with client.get("/images/search?term=x") as resp:
                assert resp.status == 501

    run(main)
