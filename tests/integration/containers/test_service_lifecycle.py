"""ContainerService end to end below the API: create, start, exits, restart policies, attach,
stop, rm, and live restore, with the real shim, runtime, overlayfs and cgroups."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from tests.integration.containers.conftest import Env, shim_pids

from dockyard import errdefs
from dockyard.containers.service import ContainerService

pytestmark = [pytest.mark.root, pytest.mark.integration, pytest.mark.timeout(120)]


def body(*cmd: str, **host_config: Any) -> dict[str, Any]:
    return {
        "Image": "busybox",
        "Cmd": list(cmd),
        "HostConfig": {"NetworkMode": "none", **host_config},
    }


async def read_logs(svc: ContainerService, ref: str) -> bytes:
    out = b""
    async for chunk in svc.logs(ref):
        out += chunk
    return out


def test_run_to_exit_records_state_logs_and_events(env: Env) -> None:
    async def scenario() -> None:
        svc = env.service()
        await svc.restore()
        cid, warnings = await svc.create(name="first", body=body("sh", "-c", "echo hello; exit 3"))
        assert warnings == []
        wait = await svc.waiter(cid, condition="next-exit")
        assert await svc.start("first")
        assert await wait() == {"StatusCode": 3, "Error": None}
        doc = svc.inspect(cid)
        assert doc["State"]["Status"] == "exited" and doc["State"]["ExitCode"] == 3
        assert doc["Name"] == "/first" and doc["Path"] == "sh"
        assert b"hello\n" in await read_logs(svc, cid)
        assert env.events.actions(cid) == ["create", "start", "die"]
        rows = svc.list(all=True)
        assert [r["Id"] for r in rows] == [cid] and rows[0]["Status"].startswith("Exited (3)")
        assert svc.list() == []
        await svc.remove(cid)
        with pytest.raises(errdefs.NotFound):
            svc.get(cid)
        assert not (env.data_root / "containers" / cid).exists()
        assert not (env.exec_root / "containers" / cid).exists()
        await svc.shutdown()

    asyncio.run(scenario())


def test_bad_input_leaves_nothing(env: Env) -> None:
    async def scenario() -> None:
        svc = env.service()
        await svc.restore()
        with pytest.raises(errdefs.NotFound, match="No such image"):
            await svc.create(name="", body={"Image": "nope:latest"})
        with pytest.raises(errdefs.InvalidArgument, match="Invalid container name"):
            await svc.create(name="bad name", body=body("true"))
        await svc.create(name="taken", body=body("true"))
        with pytest.raises(errdefs.Conflict, match='"/taken" is already in use'):
            await svc.create(name="taken", body=body("true"))
        assert len(svc.list(all=True)) == 1
        cid = svc.get("taken").id
        with pytest.raises(errdefs.DockyardError):
            await svc.create(name="", body=body("true", Memory=1024))  # below Docker's 6 MB
        assert len(os.listdir(env.data_root / "containers")) == 1
        await svc.remove(cid)
        await svc.shutdown()

    asyncio.run(scenario())


def test_start_of_a_missing_command_fails_like_docker(env: Env) -> None:
    async def scenario() -> None:
        svc = env.service()
        await svc.restore()
        cid, _ = await svc.create(name="", body=body("/no/such/thing"))
        with pytest.raises(errdefs.DockyardError):
            await svc.start(cid)
        state = svc.inspect(cid)["State"]
        assert state["Status"] == "created" and state["ExitCode"] == 127 and state["Error"]
        assert not os.path.ismount(svc.lifecycle.rootfs_path(svc.get(cid)))
        assert shim_pids(env.exec_root) == []
        await svc.remove(cid)
        await svc.shutdown()

    asyncio.run(scenario())


def test_on_failure_restarts_up_to_the_limit(env: Env) -> None:
    async def scenario() -> None:
        svc = env.service()
        await svc.restore()
        policy = {"Name": "on-failure", "MaximumRetryCount": 2}
        cid, _ = await svc.create(name="", body=body("sh", "-c", "exit 1", RestartPolicy=policy))
        await svc.start(cid)
        for _ in range(100):
            doc = svc.inspect(cid)
            if doc["RestartCount"] == 2 and doc["State"]["Status"] == "exited":
                break
            await asyncio.sleep(0.1)
        assert doc["RestartCount"] == 2 and doc["State"]["Status"] == "exited"
        assert env.events.actions(cid).count("start") == 3
        await svc.remove(cid)
        await svc.shutdown()

    asyncio.run(scenario())


def test_stop_kills_after_the_timeout_and_cancels_always(env: Env) -> None:
    async def scenario() -> None:
        svc = env.service()
        await svc.restore()
        cid, _ = await svc.create(
            name="", body=body("sleep", "1000", RestartPolicy={"Name": "always"})
        )
        await svc.start(cid)
        assert svc.inspect(cid)["State"]["Running"]
        # PID 1 without a SIGTERM handler ignores it: SIGKILL after the 1 s timeout
        assert await svc.stop(cid, timeout=1)
        state = svc.inspect(cid)["State"]
        assert state["Status"] == "exited" and state["ExitCode"] == 137
        await asyncio.sleep(0.3)
        assert svc.inspect(cid)["State"]["Status"] == "exited"  # stop cancels `always`
        assert not await svc.stop(cid)
        assert shim_pids(env.exec_root) == []
        await svc.remove(cid)
        await svc.shutdown()

    asyncio.run(scenario())


def test_attach_before_start_sees_the_first_byte(env: Env) -> None:
    class Conn:
        def __init__(self) -> None:
            self.out = bytearray()

        async def read(self, n: int = 65536) -> bytes:
            await asyncio.sleep(3600)
            return b""

        async def write(self, data: bytes) -> None:
            self.out += data

        async def close_write(self) -> None:
            return None

    async def scenario() -> None:
        svc = env.service()
        await svc.restore()
        cid, _ = await svc.create(name="", body=body("echo", "first"))
        conn = Conn()
        attach = asyncio.create_task(
            svc.attach(cid, conn, stdin=False, stdout=True, stderr=True, stream=True, logs=False)
        )
        await asyncio.sleep(0.2)
        await svc.start(cid)
        await asyncio.wait_for(attach, 20)
        assert bytes(conn.out) == b"\x01\x00\x00\x00\x00\x00\x00\x06first\n"
        await svc.remove(cid, force=True)
        await svc.shutdown()

    asyncio.run(scenario())


def test_live_restore_reattaches_and_records_exits_while_down(env: Env) -> None:
    async def first() -> tuple[str, str, int]:
        svc = env.service()
        await svc.restore()
        long, _ = await svc.create(name="long", body=body("sleep", "1000"))
        short, _ = await svc.create(name="short", body=body("sh", "-c", "sleep 1; exit 7"))
        await svc.start(long)
        await svc.start(short)
        pid = svc.inspect(long)["State"]["Pid"]
        await svc.shutdown()  # live restore: nothing stops
        return long, short, pid

    long, short, pid = asyncio.run(first())
    os.kill(pid, 0)  # still running without a daemon
    asyncio.run(asyncio.sleep(1.5))

    async def second() -> None:
        svc = env.service()
        await svc.restore()
        state = svc.inspect(long)["State"]
        assert state["Status"] == "running" and state["Pid"] == pid
        short_state = svc.inspect(short)["State"]
        assert short_state["Status"] == "exited" and short_state["ExitCode"] == 7
        assert await svc.stop(long, timeout=1)
        assert svc.inspect(long)["State"]["ExitCode"] == 137
        await svc.remove(long)
        await svc.remove(short)
        await svc.shutdown()

    asyncio.run(second())
    assert shim_pids(env.exec_root) == []
    assert not any(Path(env.data_root, "containers").iterdir())
