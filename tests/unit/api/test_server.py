"""The server as a whole: version prefixes, standard headers, errors, routing, system routes."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from tests.unit.api.fakes import api

STANDARD = {"Api-Version": "1.51", "Server": "Docker/28.2.2 (linux)", "Ostype": "linux"}


def run(main: Any) -> None:
    asyncio.run(main())


def assert_standard_headers(headers: Any) -> None:
    for name, value in STANDARD.items():
        assert headers.get(name) == value, name


def test_version_prefix_is_accepted_and_reaches_handlers() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _):
            for path in ("/v1.51/images/json", "/v1.24/images/json", "/images/json"):
                async with client.get(path) as resp:
                    assert resp.status == 200, path
                    assert_standard_headers(resp.headers)
            versions = [c[1]["api_version"] for c in daemon.image_ops.calls if c[0] == "list"]
            assert versions == ["1.51", "1.24", "1.51"]

    run(main)


def test_versions_out_of_range_get_dockers_400() -> None:
    async def main() -> None:
        async with api() as (client, _, _path):
            async with client.get("/v1.12/version") as resp:
                assert resp.status == 400
                assert_standard_headers(resp.headers)
                assert await resp.json() == {
                    "message": "client version 1.12 is too old. Minimum supported API version"
                    " is 1.24, please upgrade your client to a newer version"
                }
            async with client.get("/v1.99/version") as resp:
                assert resp.status == 400
                assert await resp.json() == {
                    "message": "client version 1.99 is too new. Maximum supported API version"
                    " is 1.51"
                }
            async with client.get("/v1.9/version") as resp:  # 1.9 < 1.24, numerically
                assert resp.status == 400

    run(main)


def test_unknown_routes_and_methods_are_page_not_found() -> None:
    async def main() -> None:
        async with api() as (client, _, _path):
            for method, path in [
                ("GET", "/nothing/here"),
                ("GET", "/v1.51/nothing"),
                ("GET", "/v1.99/nothing"),  # moby's not-found route has no version check
                ("DELETE", "/version"),
                ("HEAD", "/version"),
            ]:
                async with client.request(method, path) as resp:
                    assert resp.status == 404, (method, path)
                    assert_standard_headers(resp.headers)
                    if method != "HEAD":
                        assert await resp.json() == {"message": "page not found"}

    run(main)


def test_ping_get_and_head() -> None:
    async def main() -> None:
        async with api() as (client, _, _path):
            async with client.get("/_ping") as resp:
                assert resp.status == 200
                assert await resp.read() == b"OK"
                assert resp.headers["Builder-Version"] == "1"
                assert resp.headers["Docker-Experimental"] == "false"
                assert resp.headers["Cache-Control"] == "no-cache, no-store, must-revalidate"
                assert resp.headers["API-Version"] == "1.51"
                assert resp.headers["OSType"] == "linux"
            async with client.head("/v1.41/_ping") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Length"] == "0"
            async with client.options("/anything/at/all") as resp:
                assert resp.status == 200

    run(main)


def test_errors_map_to_dockers_statuses() -> None:
    async def main() -> None:
        async with api() as (client, _, _path):
            async with client.get("/containers/nosuch/json") as resp:
                assert resp.status == 404
                assert resp.headers["Content-Type"] == "application/json"
                assert await resp.json() == {"message": "No such container: nosuch"}
            async with client.post("/auth", json={"username": "u", "password": "wrong"}) as resp:
                assert resp.status == 401
                body = await resp.json()
                assert body["message"] == "unauthorized: incorrect username or password"
            async with client.post("/auth", json={"username": "u", "password": "secret"}) as resp:
                assert resp.status == 200
                assert (await resp.json())["Status"] == "Login Succeeded"

    run(main)


def test_malformed_and_mistyped_json_bodies_are_400() -> None:
    async def main() -> None:
        async with api() as (client, _, _path):
            cases = [
                (b'{"Image": ', "invalid JSON: unexpected EOF"),
                (
                    b"{x}",
                    "invalid JSON: invalid character 'x' looking for beginning of object key"
                    " string",
                ),
                (
                    b"[1]",
                    "invalid JSON: json: cannot unmarshal array into Go value of type"
                    " container.CreateRequest",
                ),
                (b"", "invalid JSON: EOF"),
                (b'{"Image": "x"} {}', "unexpected content after JSON"),
            ]
            headers = {"Content-Type": "application/json"}
            for body, message in cases:
                async with client.post("/containers/create", data=body, headers=headers) as resp:
                    assert resp.status == 400, body
                    assert (await resp.json())["message"] == message, body
            async with client.post(
                "/containers/create", data=b"{}", headers={"Content-Type": "text/plain"}
            ) as resp:
                assert resp.status == 400
                assert (await resp.json())["message"] == (
                    "unsupported Content-Type header (text/plain): must be 'application/json'"
                )

    run(main)


def test_system_documents_and_df_types() -> None:
    async def main() -> None:
        async with api() as (client, _, _path):
            async with client.get("/version") as resp:
                assert (await resp.json())["ApiVersion"] == "1.51"
                raw = await resp.read()
                assert raw.endswith(b"}\n") and b", " not in raw  # Go's compact encoder
            async with client.get("/info") as resp:
                assert (await resp.json())["OSType"] == "linux"
            async with client.get("/system/df?type=image") as resp:
                assert await resp.json() == {"LayersSize": 1, "Images": []}
            async with client.get("/system/df?type=bogus") as resp:
                assert resp.status == 400
                assert (await resp.json())["message"] == "unknown object type: bogus"

    run(main)


def test_events_stream_until_the_client_leaves() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _path):
            filters = json.dumps({"type": {"container": True}})
            async with client.get("/events", params={"filters": filters, "since": "10"}) as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"] == "application/json"
                for n in range(2):
                    daemon.events.queue.put_nowait({"Type": "container", "Action": f"a{n}"})
                    line = await asyncio.wait_for(resp.content.readline(), 5)
                    assert json.loads(line) == {"Type": "container", "Action": f"a{n}"}
            assert daemon.events.subscriptions == [
                {"since": "10", "until": "", "filters": {"type": ["container"]}}
            ]
            for _ in range(50):  # the handler notices the client is gone and unsubscribes
                if daemon.events.closed:
                    break
                await asyncio.sleep(0.1)
            assert daemon.events.closed == 1
            async with client.get("/events?since=bad") as resp:
                assert resp.status == 400
            async with client.get("/events?filters=notjson") as resp:
                assert resp.status == 400
                assert (await resp.json())["message"] == "invalid filter"

    run(main)


def test_registry_auth_header_reaches_the_backend() -> None:
    async def main() -> None:
        async with api() as (client, daemon, _path):
            auth = (
                base64.urlsafe_b64encode(json.dumps({"username": "me", "password": "pw"}).encode())
                .decode()
                .rstrip("=")
            )
            async with client.get(
                "/distribution/localhost:5000/a/b:1/json", headers={"X-Registry-Auth": auth}
            ) as resp:
                assert resp.status == 200
            (call,) = [c for c in daemon.image_ops.calls if c[0] == "distribution"]
            assert call[1]["name"] == "localhost:5000/a/b:1"
            assert call[1]["auth"].username == "me" and call[1]["auth"].password == "pw"

    run(main)
