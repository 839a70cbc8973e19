"""The API over the real daemon objects (daemon/wiring.py), no HTTP fakes: the documents of
the system routes and an image's life (import, tag, inspect, events, save, rmi). Containers
are left to the compat tests; this checks that the real backends fit the routers."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

import aiohttp
import pytest

from dockyard.api.server import make_app
from dockyard.daemon import wiring
from dockyard.daemon.config import DaemonConfig
from tests.unit.api.fakes import serving

pytestmark = [pytest.mark.root, pytest.mark.integration]


def rootfs_tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("etc/hostname")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"x\n"))
    return out.getvalue()


def test_system_and_image_routes_over_the_real_daemon(tmp_path: Path) -> None:
    exec_root = tempfile.mkdtemp(prefix="dyexec")
    config = DaemonConfig(data_root=str(tmp_path / "data"), exec_root=exec_root)
    daemon = wiring.build(config)

    async def main() -> None:
        async with serving(make_app(daemon)) as path:
            connector = aiohttp.UnixConnector(path=path)
            async with aiohttp.ClientSession(connector=connector, base_url="http://d") as client:
                for route in ("/_ping", "/version", "/info", "/system/df", "/containers/json"):
                    async with client.get(route) as resp:
                        assert resp.status == 200, (route, await resp.text())
                async with client.get("/version") as resp:
                    assert (await resp.json())["ApiVersion"] == "1.51"
                async with client.post(
                    "/images/create?fromSrc=-&repo=base&tag=1", data=rootfs_tar()
                ) as resp:
                    image_id = json.loads(await resp.read())["status"]
                async with client.post("/images/base:1/tag?repo=other") as resp:
                    assert resp.status == 201
                async with client.get("/images/other:latest/json") as resp:
                    assert (await resp.json())["Id"] == image_id
                async with client.get("/images/get?names=base:1") as resp:
                    assert len(await resp.read()) > 0
                async with client.delete(f"/images/{image_id}?force=1") as resp:
                    assert resp.status == 200
                async with client.get("/events", params={"since": "0", "until": "1"}) as resp:
                    assert resp.status == 200
                    await asyncio.wait_for(resp.read(), 10)
                filters = json.dumps({"type": ["image"]})
                until = str(int(time.time()) + 1)
                async with client.get(
                    "/events", params={"since": "0", "until": until, "filters": filters}
                ) as resp:
                    actions = [json.loads(x)["Action"] for x in (await resp.read()).splitlines()]
                assert actions[:3] == ["import", "tag", "save"]
                assert "untag" in actions and "delete" in actions

    try:
        asyncio.run(main())
    finally:
        asyncio.run(daemon.close())
        shutil.rmtree(exec_root, ignore_errors=True)
