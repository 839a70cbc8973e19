"""A container's life under its shim: create, start, output, exit, wait, delete, failures."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.shim import logs
from dockyard.shim.client import ShimClient, ShimStream
from tests.integration.shim.conftest import SHIM, Harness, run, shim_pids

pytestmark = [pytest.mark.root, pytest.mark.integration]


async def collect(stream: ShimStream) -> list[tuple[int, bytes]]:
    frames = []
    while (frame := await stream.read_frame()) is not None:
        frames.append(frame)
    return frames


def test_attach_gets_stdout_and_stderr_and_the_log_has_them(harness: Harness) -> None:
    async def go() -> None:
        client, cfg, d = await harness.spawn(["sh", "-c", "echo out; echo err >&2; exit 7"])
        state = await client.state()
        assert state.status == "created" and state.pid > 0
        stream = await client.attach(stdin=False, stdout=True, stderr=True, close_stdin=False)
        assert await client.start() == state.pid
        frames = await collect(stream)
        assert sorted(frames) == [(1, b"out\n"), (2, b"err\n")]
        assert stream.exit_status is not None and stream.exit_status.exit_code == 7
        status = await client.wait()
        assert status.exit_code == 7 and not status.oom_killed
        assert status.exited_at.endswith("Z") and status == stream.exit_status
        state = await client.state()
        assert (state.status, state.exit_code, state.exited_at) == ("stopped", 7, status.exited_at)
        lines = [json.loads(x) for x in Path(cfg.log.path).read_text().splitlines()]
        assert sorted((x["stream"], x["log"]) for x in lines) == [
            ("stderr", "err\n"),
            ("stdout", "out\n"),
        ]
        assert json.loads((d / "exit.json").read_text())["exit_code"] == 7
        await client.delete()

    run(go())


def test_attach_only_stderr_filters_stdout(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["sh", "-c", "echo out; echo err >&2"])
        stream = await client.attach(stdin=False, stdout=False, stderr=True, close_stdin=False)
        await client.start()
        assert await collect(stream) == [(2, b"err\n")]
        await client.delete()

    run(go())


def test_kill_ends_the_container_with_137_and_waiters_hear_it(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["sleep", "1000"])
        await client.start()
        waiter = asyncio.ensure_future(client.wait())
        await client.kill(9)
        status = await waiter
        assert status.exit_code == 137
        with pytest.raises(errdefs.NotFound, match="process already finished"):
            await client.kill(15)
        await client.delete()

    run(go())


def test_pause_and_resume_show_in_state(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["sleep", "1000"])
        await client.start()
        await client.pause()
        assert (await client.state()).status == "paused"
        await client.resume()
        assert (await client.state()).status == "running"
        await client.kill(9)
        await client.wait()
        await client.delete()

    run(go())


def test_a_reconnecting_client_learns_the_exit_status(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, d = await harness.spawn(["sh", "-c", "exit 3"])
        await client.start()
        await client.wait()
        later = ShimClient(str(d / "shim.sock"))  # e.g. a restarted daemon
        assert (await later.wait()).exit_code == 3
        state = await later.state()
        assert (state.status, state.exit_code) == ("stopped", 3)
        stream = await later.attach(stdin=False, stdout=True, stderr=True, close_stdin=False)
        assert await collect(stream) == []
        assert stream.exit_status is not None and stream.exit_status.exit_code == 3
        await later.delete()

    run(go())


def test_delete_removes_the_runtime_state_and_the_shim_exits(harness: Harness) -> None:
    async def go() -> None:
        client, cfg, d = await harness.spawn(["true"])
        assert (harness.runtime_root / cfg.id).exists()
        pids = shim_pids(d)
        assert len(pids) == 1
        await client.start()
        await client.wait()
        await client.delete()
        assert not (harness.runtime_root / cfg.id).exists()
        assert not (d / "shim.sock").exists()
        for _ in range(100):
            if not Path(f"/proc/{pids[0]}").exists():
                break
            time.sleep(0.05)
        assert not Path(f"/proc/{pids[0]}").exists(), "the shim did not exit (or is a zombie)"
        with pytest.raises(errdefs.Unavailable, match="shim not reachable"):
            await client.state()

    run(go())


def test_delete_of_a_created_container_that_never_ran(harness: Harness) -> None:
    async def go() -> None:
        client, cfg, _d = await harness.spawn(["true"])
        await client.delete()
        assert not (harness.runtime_root / cfg.id).exists()

    run(go())


def test_a_bad_bundle_fails_spawn_with_the_runtimes_message_and_leaves_nothing(
    harness: Harness,
) -> None:
    cfg, d = harness.new(["/no/such/binary"])

    async def go() -> None:
        from dockyard.shim.client import spawn

        with pytest.raises(errdefs.Unknown) as info:
            await spawn(shim=SHIM, dir=str(d), config=cfg)
        msg = str(info.value)
        assert msg.startswith("OCI runtime create failed: ")
        assert "/no/such/binary" in msg

    run(go())
    assert shim_pids(d) == []
    assert not (harness.runtime_root / cfg.id).exists()
    assert not (d / "shim.sock").exists()


def test_a_bad_shim_json_is_an_invalid_argument(harness: Harness) -> None:
    cfg, d = harness.new(["true"], log_driver="json-file", log_opts={"max-file": "0"})

    async def go() -> None:
        from dockyard.shim.client import spawn

        with pytest.raises(errdefs.InvalidArgument, match="max-file cannot be less than 1"):
            await spawn(shim=SHIM, dir=str(d), config=cfg)

    run(go())
    assert shim_pids(d) == []


def test_the_shim_outlives_its_spawner_and_keeps_logging(harness: Harness) -> None:
    cfg, d = harness.new(["sh", "-c", "while true; do echo tick; sleep 0.1; done"])
    script = (
        "import asyncio, json, sys\n"
        "from dockyard.shim.client import spawn, ShimConfig\n"
        "cfg = ShimConfig.from_json(json.loads(sys.argv[1]))\n"
        f"asyncio.run(spawn(shim={SHIM!r}, dir={str(d)!r}, config=cfg))\n"
    )
    spawner = subprocess.run(
        [sys.executable, "-c", script, json.dumps(cfg.to_json())],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert spawner.returncode == 0, spawner.stderr
    [pid] = shim_pids(d)
    # the spawner is gone; the shim was never its child's child in a way that needs it
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "dockyard-shim"
    ps = subprocess.run(
        ["ps", "-ww", "-o", "comm=,args=", "-p", str(pid)], capture_output=True, text=True
    )
    assert ps.stdout.startswith("dockyard-shim") and f"dockyard-shim --id {cfg.id}" in ps.stdout
    status = Path(f"/proc/{pid}/status").read_text()
    assert os.getsid(pid) == pid  # its own session
    assert "State:\tS" in status or "State:\tR" in status

    async def go() -> None:
        client = ShimClient(str(d / "shim.sock"))
        await client.start()
        reader = logs.open_reader("json-file", cfg.log.path)
        time.sleep(0.5)
        first, cursor = reader.read()
        time.sleep(0.5)
        more, _ = reader.poll(cursor)
        assert first and more and {e.data for e in first + more} == {b"tick\n"}
        await client.kill(9)
        assert (await client.wait()).exit_code == 137
        await client.delete()

    run(go())


def test_a_socket_path_longer_than_sun_path_still_works(harness: Harness) -> None:
    deep = harness.tmp / ("d" * 60) / ("e" * 60)

    async def go() -> None:
        client, _cfg, d = await harness.spawn(["sh", "-c", "echo deep"], directory=deep)
        assert len(str(d / "shim.sock")) > 108
        stream = await client.attach(stdin=False, stdout=True, stderr=True, close_stdin=False)
        await client.start()
        assert await collect(stream) == [(1, b"deep\n")]
        await client.delete()

    run(go())


def test_the_local_driver_logs_and_reads_back(harness: Harness) -> None:
    async def go() -> None:
        client, cfg, _d = await harness.spawn(
            ["sh", "-c", "echo a; echo b >&2"], log_driver="local"
        )
        await client.start()
        await client.wait()
        entries, _ = logs.open_reader("local", cfg.log.path).read()
        assert sorted((e.stream, e.data) for e in entries) == [
            ("stderr", b"b\n"),
            ("stdout", b"a\n"),
        ]
        await client.delete()

    run(go())
