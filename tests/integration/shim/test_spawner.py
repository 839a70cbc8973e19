"""The warm spawner: shims forked from it behave as started ones, show their own command line,
report create failures, and outlive it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.shim.client import Spawner
from tests.integration.shim.conftest import SHIM, Harness, run, shim_pids

pytestmark = [pytest.mark.root, pytest.mark.integration]


def cmdline(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0")
    return [a.decode() for a in raw.split(b"\0")]


def test_spawned_shims_run_containers_and_show_their_id(harness: Harness) -> None:
    async def go() -> None:
        spawner = Spawner(SHIM)
        try:
            cfgs = [harness.new(["sh", "-c", f"echo {i}; exit {i}"]) for i in (3, 4)]
            clients = [await spawner.spawn(dir=str(d), config=cfg) for cfg, d in cfgs]
            for (cfg, d), client in zip(cfgs, clients, strict=True):
                (pid,) = shim_pids(d)
                argv = cmdline(pid)
                assert argv[-4:] == ["--id", cfg.id, "--dir", str(d)]
                assert argv[1].endswith("dockyard-shim")
                await client.start()
            codes = [(await client.wait()).exit_code for client in clients]
            assert codes == [3, 4]
        finally:
            await spawner.close()
        for client in clients:  # the shims outlive the spawner
            assert (await client.state()).exit_code in (3, 4)
            await client.delete()

    run(go())


def test_a_failed_create_comes_back_with_the_runtime_message(harness: Harness) -> None:
    async def go() -> None:
        spawner = Spawner(SHIM)
        try:
            cfg, d = harness.new(["/no/such/program"])
            with pytest.raises(errdefs.DockyardError, match="no such file or directory"):
                await spawner.spawn(dir=str(d), config=cfg)
            assert shim_pids(d) == []
            assert not (d / "shim.sock").exists()
        finally:
            await spawner.close()

    run(go())


def test_the_spawner_ends_with_its_daemon(harness: Harness) -> None:
    async def go() -> int:
        spawner = Spawner(SHIM)
        cfg, d = harness.new(["true"])
        client = await spawner.spawn(dir=str(d), config=cfg)
        await client.start()
        await client.wait()
        await client.delete()
        pid = spawner.pid
        assert pid is not None
        await spawner.close()
        assert spawner.pid is None
        return pid

    pid = run(go())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
