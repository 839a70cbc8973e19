"""Container and exec routes over fakes: statuses, parameters, wait ordering, hijacked streams."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from tests.unit.api.fakes import api, half_close, raw_request, read_head

from dockyard.containers.streams import frame


def run(main: Any) -> None:
    asyncio.run(main())


async def create(client: Any, name: str = "web", **body: Any) -> str:
    async with client.post(
        f"/containers/create?name={name}", json={"Image": "busybox", **body}
    ) as resp:
        assert resp.status == 201
        document = await resp.json()
        assert document["Warnings"] == []
        return str(document["Id"])


def test_lifecycle_statuses() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            cid = await create(client)
            create_call = daemon.containers.calls[0][1]
            assert create_call == {
                "name": "web",
                "body": {"Image": "busybox"},
                "api_version": "1.51",
            }
            async with client.post("/v1.41/containers/web/start") as resp:
                assert resp.status == 204
            async with client.post("/containers/web/start") as resp:
                assert resp.status == 304  # already started
            async with client.post(
                "/containers/web/start",
                data=b'{"Binds": ["/a:/b"]}',
                headers={"Content-Type": "application/json"},
            ) as resp:
                assert resp.status == 400
                assert "removed in v1.24" in (await resp.json())["message"]
            async with client.post("/containers/web/kill?signal=HUP") as resp:
                assert resp.status == 204
            async with client.post("/containers/web/stop?t=3&signal=TERM") as resp:
                assert resp.status == 204
            assert ("stop", {"signal": "TERM", "timeout": 3}) in daemon.containers.calls
            async with client.post("/containers/web/stop") as resp:
                assert resp.status == 304
            async with client.post("/containers/web/stop?t=abc") as resp:
                assert resp.status == 400
                assert (await resp.json())["message"] == (
                    'strconv.Atoi: parsing "abc": invalid syntax'
                )
            async with client.post("/containers/web/kill") as resp:
                assert resp.status == 409
                assert (await resp.json())["message"] == (
                    f"cannot kill container: web: container {cid} is not running"
                )
            async with client.post("/containers/nosuch/kill") as resp:
                assert resp.status == 404
                assert (await resp.json())["message"] == (
                    "cannot kill container: nosuch: No such container: nosuch"
                )
            async with client.delete("/containers/web?force=1&v=true") as resp:
                assert resp.status == 204
            async with client.get("/containers/web/json") as resp:
                assert resp.status == 404

    run(main)


def test_list_parameters_and_filters() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            legacy = json.dumps({"status": {"exited": True}, "label": {"a=b": True}})
            async with client.get(
                "/containers/json", params={"all": "True", "filters": legacy, "limit": "2"}
            ) as resp:
                assert resp.status == 200
            modern = json.dumps({"status": ["exited", "exited"]})
            async with client.get(
                "/containers/json", params={"all": "0", "filters": modern}
            ) as resp:
                assert resp.status == 200
            async with client.get("/containers/json?limit=x") as resp:
                assert resp.status == 400
            calls = [c[1] for c in daemon.containers.calls if c[0] == "list"]
            assert calls == [
                {
                    "all": True,
                    "limit": 2,
                    "size": False,
                    "filters": {"status": ["exited"], "label": ["a=b"]},
                },
                {"all": False, "limit": -1, "size": False, "filters": {"status": ["exited"]}},
            ]

    run(main)


def test_wait_answers_headers_before_the_container_starts() -> None:
    """The docker CLI posts wait, reads the headers, and only then starts the container."""

    async def main() -> None:
        async with api() as (client, daemon, _):
            await create(client)
            async with client.post("/containers/web/wait?condition=next-exit") as waiting:
                assert waiting.status == 200  # headers arrived while the container is created
                assert waiting.headers["Content-Type"] == "application/json"
                assert ("wait", "next-exit") in daemon.containers.calls
                async with client.post("/containers/web/start") as resp:
                    assert resp.status == 204
                container = daemon.containers.get("web")
                container.exit_code = 3
                container.exit.set()
                body = await asyncio.wait_for(waiting.read(), 5)
            assert body == b'{"StatusCode":3}\n'
            async with client.post("/containers/web/wait?condition=bogus") as resp:
                assert resp.status == 400
                assert (await resp.json())["message"] == 'invalid condition: "bogus"'

    run(main)


def test_logs_content_type_follows_tty() -> None:
    async def main() -> None:
        async with api() as (client, _, _path):
            await create(client, "plain")
            await create(client, "term", Tty=True)
            async with client.get("/containers/plain/logs?stdout=1") as resp:
                assert resp.headers["Content-Type"] == "application/vnd.docker.multiplexed-stream"
                assert await resp.read() == frame(1, b"one\n") + frame(1, b"two\n")
            async with client.get("/v1.41/containers/plain/logs?stdout=1") as resp:
                assert resp.headers["Content-Type"] == "application/vnd.docker.raw-stream"
            async with client.get("/containers/term/logs?stderr=1") as resp:
                assert resp.headers["Content-Type"] == "application/vnd.docker.raw-stream"
                assert await resp.read() == b"one\ntwo\n"
            async with client.get("/containers/term/logs") as resp:
                assert resp.status == 400
                assert (await resp.json())["message"] == (
                    "must specify at least one of 'stdout' or 'stderr'"
                )

    run(main)


def test_stats_top_changes_export() -> None:
    async def main() -> None:
        async with api() as (client, _, _path):
            await create(client)
            async with client.get("/containers/web/stats?stream=0") as resp:
                assert await resp.read() == b'{"read":"0"}\n'
            async with client.get("/containers/web/stats") as resp:
                lines = (await resp.read()).splitlines()
                assert [json.loads(x)["read"] for x in lines] == ["0", "1", "2"]
            async with client.get("/containers/web/top") as resp:
                assert (await resp.json())["ps_args"] == "-ef"
            async with client.get("/containers/web/changes") as resp:
                assert await resp.json() == [{"Path": "/tmp", "Kind": 0}]
            async with client.get("/containers/web/export") as resp:
                assert resp.headers["Content-Type"] == "application/x-tar"
                assert await resp.read() == b"tar"
            async with client.get("/containers/nosuch/export") as resp:
                assert resp.status == 404

    run(main)


def test_archive_head_get_put() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            await create(client)
            async with client.head("/containers/web/archive?path=/etc") as resp:
                assert resp.status == 200
                stat = json.loads(base64.b64decode(resp.headers["X-Docker-Container-Path-Stat"]))
                assert stat["name"] == "etc"
            async with client.head("/containers/web/archive?path=/nope") as resp:
                assert resp.status == 404
            async with client.get("/containers/web/archive") as resp:
                assert resp.status == 400
                assert (await resp.json())["message"] == "bad parameter: path cannot be empty"
            async with client.get("/containers/web/archive?path=/etc") as resp:
                assert resp.headers["Content-Type"] == "application/x-tar"
                assert "X-Docker-Container-Path-Stat" in resp.headers
                assert await resp.read() == b"tar-of-etc"
            async with client.put(
                "/containers/web/archive?path=/tmp&noOverwriteDirNonDir=true&copyUIDGID=1",
                data=b"x" * 100_000,
            ) as resp:
                assert resp.status == 200
            (call,) = [c[1] for c in daemon.containers.calls if c[0] == "archive_put"]
            assert call == ("/tmp", b"x" * 100_000, True, True)

    run(main)


def test_resize_update_rename_commit_prune() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            await create(client)
            async with client.post("/containers/web/resize?h=40&w=100") as resp:
                assert resp.status == 200
            async with client.post("/containers/web/resize?h=-1&w=100") as resp:
                assert resp.status == 400
                assert (await resp.json())[
                    "message"
                ] == 'invalid resize height "-1": value out of range'
            async with client.post("/containers/web/update", json={"Memory": 1 << 20}) as resp:
                assert await resp.json() == {"Warnings": []}
            async with client.post("/containers/web/rename?name=db") as resp:
                assert resp.status == 204
            params = [
                ("container", "db"),
                ("repo", "me/img"),
                ("pause", "0"),
                ("changes", "CMD x"),
                ("changes", "ENV a=b"),
            ]
            async with client.post("/commit", params=params, json={"Cmd": ["sh"]}) as resp:
                assert resp.status == 201
                assert (await resp.json())["Id"].startswith("sha256:")
            (commit,) = [c[1] for c in daemon.containers.calls if c[0] == "commit"]
            assert commit == {
                "repo": "me/img",
                "tag": "",
                "pause": False,
                "changes": ["CMD x", "ENV a=b"],
            }
            async with client.post(
                "/containers/prune", params={"filters": '{"until":["1h"]}'}
            ) as resp:
                assert await resp.json() == {"ContainersDeleted": None, "SpaceReclaimed": 0}

    run(main)


def attach_request(name: str, *, upgrade: bool = True) -> bytes:
    query = "stream=1&stdin=1&stdout=1"
    head = f"POST /v1.51/containers/{name}/attach?{query} HTTP/1.1\r\nHost: docker\r\n"
    if upgrade:
        head += "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    return (head + "Content-Length: 0\r\n\r\n").encode()


def test_attach_hijacks_and_survives_the_clients_half_close() -> None:
    """`echo hi | docker run -i`: stdin ends (half-close) and the output still arrives."""

    async def main() -> None:
        async with api() as (client, _, path):
            await create(client, "plain")
            await create(client, "term", Tty=True)
            reader, writer = await raw_request(path, attach_request("plain"))
            status, headers = await read_head(reader)
            assert status == "HTTP/1.1 101 UPGRADED"
            assert headers["content-type"] == "application/vnd.docker.multiplexed-stream"
            assert headers["upgrade"] == "tcp" and headers["connection"] == "Upgrade"
            assert headers["api-version"] == "1.51"
            writer.write(b"hello")
            await writer.drain()
            assert await reader.readexactly(13) == frame(1, b"hello")
            half_close(writer)
            rest = await asyncio.wait_for(reader.read(), 5)  # until the server closes
            assert rest == frame(1, b"bye")
            writer.close()

            # Without Upgrade headers: 200 and a raw stream (moby's plain hijack answer).
            # (Clients send stdin only after the answer's head: aiohttp's C parser would read
            # bytes pipelined behind the request as a malformed next request.)
            reader, writer = await raw_request(path, attach_request("term", upgrade=False))
            status, headers = await read_head(reader)
            assert status == "HTTP/1.1 200 OK"
            assert headers["content-type"] == "application/vnd.docker.raw-stream"
            writer.write(b"typed")
            half_close(writer)
            assert await asyncio.wait_for(reader.read(), 5) == b"typedbye"
            writer.close()

            # The server is still fine afterwards.
            async with client.get("/containers/json") as resp:
                assert resp.status == 200

    run(main)


def test_attach_errors_before_the_hijack_are_http_answers() -> None:
    async def main() -> None:
        async with api() as (client, daemon, path):
            reader, writer = await raw_request(path, attach_request("nosuch"))
            status, _ = await read_head(reader)
            assert status.startswith("HTTP/1.1 404")
            writer.close()
            await create(client)
            daemon.containers.get("web").paused = True
            async with client.post("/containers/web/attach?stream=1") as resp:
                assert resp.status == 409
                assert (await resp.json())["message"] == (
                    "You cannot attach to a paused container, unpause it first"
                )

    run(main)


def test_exec_create_start_inspect() -> None:
    async def main() -> None:
        async with api() as (client, daemon, path):
            await create(client)
            async with client.post("/containers/web/exec", json={"AttachStdout": True}) as resp:
                assert resp.status == 400
                assert (await resp.json())["message"] == "No exec command specified"
            async with client.post("/containers/web/exec", json={"Cmd": ["cat"]}) as resp:
                assert resp.status == 201
                exec_id = (await resp.json())["Id"]
            async with client.get(f"/exec/{exec_id}/json") as resp:
                assert (await resp.json())["Cmd"] == ["cat"]
            async with client.get("/exec/nosuch/json") as resp:
                assert resp.status == 404

            body = b'{"Detach":false,"Tty":false}'
            request = (
                f"POST /exec/{exec_id}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\n"
                "Upgrade: tcp\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            reader, writer = await raw_request(path, request)
            status, headers = await read_head(reader)
            assert status == "HTTP/1.1 101 UPGRADED"
            assert headers["content-type"] == "application/vnd.docker.multiplexed-stream"
            writer.write(b"abc")
            half_close(writer)
            assert await asyncio.wait_for(reader.read(), 5) == frame(1, b"ABC")
            writer.close()

            async with client.post("/exec/nosuch/start", json={"Detach": False}) as resp:
                assert resp.status == 404
            async with client.post(f"/exec/{exec_id}/start", json={"Detach": True}) as resp:
                assert resp.status == 200
            assert daemon.containers.calls[-1] == ("exec_start", {"detach": True, "tty": None})

            # An error once hijacked is written into the stream.
            async with client.post("/containers/web/exec", json={"Cmd": ["fail"]}) as resp:
                failing = (await resp.json())["Id"]
            body = b'{"Tty":true}'
            request = (
                f"POST /exec/{failing}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\n"
                "Upgrade: tcp\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            reader, writer = await raw_request(path, request)
            status, headers = await read_head(reader)
            assert headers["content-type"] == "application/vnd.docker.raw-stream"
            output = await asyncio.wait_for(reader.read(), 5)
            assert output == b'OCI runtime exec failed: exec: "fail": not found\r\n'
            writer.close()

    run(main)
