"""execs against a real container: the real shim, dockyard-runtime, a busybox bundle.

`live_container` (also used by the top/stats/logs/health tests here) spawns one container
through dockyard.shim.client.spawn with cgroupsPath /dockyard-test-<random>/<id> and removes
the container, the shim and the cgroups afterwards, even when the test fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from tests.support.bundles import base_config, make_bundle

from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps, Defaults
from dockyard.containers.execs import Execs
from dockyard.shim.client import ShimClient, spawn
from dockyard.shim.config import LogConfig, ShimConfig

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.timeout(60)]

BIN = Path(sys.executable).parent


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        self.seen.append((action, dict(attributes or {})))


def deps_for(defaults: Defaults, events: Events) -> ContainerDeps:
    return ContainerDeps(
        data_root="/nonexistent",
        exec_root="/nonexistent",
        images=None,  # type: ignore[arg-type]  # not used by these operations
        snapshotter=None,  # type: ignore[arg-type]
        events=events,
        runtimes={},
        default_runtime="dockyard",
        shim=(str(BIN / "dockyard-shim"),),
        defaults=defaults,
    )


@contextlib.asynccontextmanager
async def live_container(
    rootfs: Path, args: list[str], *, config: dict[str, Any] | None = None
) -> AsyncIterator[tuple[Container, ShimClient, Defaults]]:
    """A running busybox container, its shim client and the Defaults naming its cgroup."""
    base = Path(tempfile.mkdtemp(prefix="dy", dir="/tmp"))  # short: shim.sock paths
    parent = f"/dockyard-test-{secrets.token_hex(4)}"
    cid = secrets.token_hex(32)
    spec = base_config(args)
    spec["root"]["readonly"] = False
    spec["linux"]["cgroupsPath"] = f"{parent}/{cid}"
    bundle = make_bundle(base, rootfs, spec)
    shim_dir = base / "shim"
    log_path = base / f"{cid}-json.log"
    c = Container(
        id=cid,
        name="it",
        created="2026-01-01T00:00:00Z",
        image_id="sha256:" + "0" * 64,
        config={"Image": "busybox", "Env": [], **(config or {})},
        host_config={"NetworkMode": "none", "LogConfig": {"Type": "json-file", "Config": {}}},
        data_dir=str(base),
        exec_dir=str(shim_dir),
    )
    c.rootfs = str(bundle / "rootfs")
    client: ShimClient | None = None
    try:
        client = await spawn(
            shim=[str(BIN / "dockyard-shim")],
            dir=str(shim_dir),
            config=ShimConfig(
                id=cid,
                bundle=str(bundle),
                runtime=str(BIN / "dockyard-runtime"),
                runtime_root=str(base / "state"),
                log=LogConfig(driver="json-file", path=str(log_path)),
            ),
        )
        pid = await client.start()
        c.state.set_running(pid=pid, started_at="2026-01-01T00:00:00Z")
        yield c, client, Defaults(cgroup_parent=parent)
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                await client.kill(9, all=True)
                await asyncio.wait_for(client.wait(), 10)
            with contextlib.suppress(Exception):
                await client.delete()
        for controller in os.listdir("/sys/fs/cgroup"):
            top = Path("/sys/fs/cgroup", controller, parent.lstrip("/"))
            if top.is_dir():
                for child in sorted(top.rglob("*"), reverse=True):
                    if child.is_dir():
                        with contextlib.suppress(OSError):
                            child.rmdir()
                with contextlib.suppress(OSError):
                    top.rmdir()
        shutil.rmtree(base, ignore_errors=True)


class Conn:
    def __init__(self, incoming: list[bytes] | None = None) -> None:
        self.incoming = list(incoming or [])
        self.out = bytearray()

    async def read(self, n: int = 65536) -> bytes:
        await asyncio.sleep(0.05)
        return self.incoming.pop(0) if self.incoming else b""

    async def write(self, data: bytes) -> None:
        self.out += data

    async def close_write(self) -> None:
        pass


def demux(wire: bytes) -> dict[int, bytes]:
    """stdcopy: the bytes of each stream in a multiplexed wire stream."""
    out: dict[int, bytes] = {}
    while wire:
        stream, size = wire[0], int.from_bytes(wire[4:8], "big")
        out[stream] = out.get(stream, b"") + wire[8 : 8 + size]
        wire = wire[8 + size :]
    return out


def test_exec_runs_in_the_container_and_reports_its_exit(rootfs: Path) -> None:
    async def scenario() -> None:
        async with live_container(rootfs, ["sleep", "1000"]) as (c, _client, defaults):
            events = Events()
            execs = Execs(deps_for(defaults, events))
            exec_id = execs.create(
                c,
                {
                    "Cmd": ["sh", "-c", "echo out; echo err >&2; cat /etc/hostname; exit 7"],
                    "AttachStdout": True,
                    "AttachStderr": True,
                },
            )
            conn = Conn()
            await execs.start(exec_id, container=c, detach=False, tty=None, conn=conn)
            assert demux(bytes(conn.out)) == {1: b"out\nbusybox\n", 2: b"err\n"}
            info = execs.inspect(exec_id)
            assert info["ExitCode"] == 7 and not info["Running"] and info["Pid"] > 0
            actions = [a for a, _ in events.seen]
            assert actions[0].startswith("exec_create: sh -c") and actions[-1] == "exec_die"
            assert events.seen[-1][1]["exitCode"] == "7"

            # stdin reaches the process; EOF closes it
            exec_id = execs.create(c, {"Cmd": ["cat"], "AttachStdin": True, "AttachStdout": True})
            conn = Conn([b"piped\n"])
            await execs.start(exec_id, container=c, detach=False, tty=None, conn=conn)
            assert demux(bytes(conn.out)) == {1: b"piped\n"}
            assert execs.inspect(exec_id)["ExitCode"] == 0

            # a missing command: Docker's 127, the runtime's message on the stream
            exec_id = execs.create(c, {"Cmd": ["nope"], "AttachStdout": True})
            conn = Conn()
            await execs.start(exec_id, container=c, detach=False, tty=None, conn=conn)
            assert execs.inspect(exec_id)["ExitCode"] == 127 and conn.out

    asyncio.run(scenario())


def test_detached_exec_and_probe_timeout(rootfs: Path) -> None:
    async def scenario() -> None:
        async with live_container(rootfs, ["sleep", "1000"]) as (c, _client, defaults):
            execs = Execs(deps_for(defaults, Events()))
            exec_id = execs.create(c, {"Cmd": ["sh", "-c", "sleep 0.3; exit 4"]})
            await execs.start(exec_id, container=c, detach=True, tty=None, conn=None)
            assert execs.inspect(exec_id)["Running"]
            for _ in range(100):
                if not execs.inspect(exec_id)["Running"]:
                    break
                await asyncio.sleep(0.05)
            assert execs.inspect(exec_id)["ExitCode"] == 4

            code, output = await execs.run(c, ["sh", "-c", "echo fine"], timeout=5)
            assert (code, output) == (0, b"fine\n")
            code, output = await execs.run(c, ["sh", "-c", "echo slow; sleep 30"], timeout=0.5)
            assert code == -1
            assert output == b"Health check exceeded timeout (500ms): slow\n"
            await execs.close()

    asyncio.run(scenario())
