"""A container's stdio through the shim: stdin, a tty with resize, and output that never
waits for a slow client."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from dockyard.shim import logs
from tests.integration.shim.conftest import Harness, run
from tests.integration.shim.test_lifecycle import collect

pytestmark = [pytest.mark.root, pytest.mark.integration]


def test_stdin_reaches_cat_and_closing_it_ends_the_container(harness: Harness) -> None:
    async def go() -> None:
        client, cfg, _d = await harness.spawn(["cat"], open_stdin=True)
        stream = await client.attach(stdin=True, stdout=True, stderr=True, close_stdin=True)
        await client.start()
        await stream.write_stdin(b"hello ")
        await stream.write_stdin(b"cat\nsecond line\n")
        await stream.close_stdin()
        frames = await collect(stream)
        assert b"".join(data for _, data in frames) == b"hello cat\nsecond line\n"
        assert stream.exit_status is not None and stream.exit_status.exit_code == 0
        logged = [json.loads(x)["log"] for x in Path(cfg.log.path).read_text().splitlines()]
        assert logged == ["hello cat\n", "second line\n"]
        await client.delete()

    run(go())


def test_detaching_without_close_stdin_keeps_the_container_running(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["cat"], open_stdin=True)
        first = await client.attach(stdin=True, stdout=True, stderr=True, close_stdin=False)
        await client.start()
        await first.write_stdin(b"one\n")
        assert await first.read_frame() == (1, b"one\n")
        first.close()  # `docker attach` then ctrl-p ctrl-q: stdin stays open
        await asyncio.sleep(0.2)
        assert (await client.state()).status == "running"
        second = await client.attach(stdin=True, stdout=True, stderr=False, close_stdin=True)
        await second.write_stdin(b"two\n")
        await second.close_stdin()
        assert await collect(second) == [(1, b"two\n")]
        await client.delete()

    run(go())


def test_a_tty_container_sees_its_size_and_resizes(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(
            ["sh", "-c", "stty size; read x; stty size"],
            tty=True,
            open_stdin=True,
            console_size=(30, 100),
        )
        stream = await client.attach(stdin=True, stdout=True, stderr=True, close_stdin=False)
        await client.start()
        out = b""
        while b"30 100\r\n" not in out:
            frame = await stream.read_frame()
            assert frame is not None, out
            assert frame[0] == 1  # a tty has one stream
            out += frame[1]
        await client.resize(height=40, width=120)
        await stream.write_stdin(b"go\n")
        rest = b"".join(data for _, data in await collect(stream))
        assert rest.endswith(b"40 120\r\n")
        await client.delete()

    run(go())


def test_closing_stdin_of_a_tty_is_end_of_file(harness: Harness) -> None:
    async def go() -> None:
        client, _cfg, _d = await harness.spawn(["cat"], tty=True, open_stdin=True)
        stream = await client.attach(stdin=True, stdout=True, stderr=True, close_stdin=True)
        await client.start()
        await stream.write_stdin(b"typed\n")
        await stream.close_stdin()
        await collect(stream)
        assert stream.exit_status is not None and stream.exit_status.exit_code == 0
        await client.delete()

    run(go())


def test_a_client_that_never_reads_does_not_stall_the_container(harness: Harness) -> None:
    # 8 MB without a newline: more than the socket buffers plus the shim's per-client queue,
    # logged as 16 KiB partial messages
    total = 8_000_000
    script = f"dd if=/dev/zero bs=1000 count={total // 1000} 2>/dev/null | tr '\\0' a"

    async def go() -> None:
        client, cfg, _d = await harness.spawn(["sh", "-c", script])
        lazy = await client.attach(stdin=False, stdout=True, stderr=True, close_stdin=False)
        await client.start()
        status = await asyncio.wait_for(client.wait(), 60)
        assert status.exit_code == 0
        entries, _ = logs.open_reader("json-file", cfg.log.path).read()
        assert sum(len(e.data) for e in entries) == total  # the log has it all
        assert {len(e.data) for e in entries[:-1]} == {16 * 1024}
        assert len({e.time_ns for e in entries}) == 1  # one line in pieces: one timestamp
        got = 0
        while (frame := await lazy.read_frame()) is not None:
            got += len(frame[1])
        assert 0 < got < total  # the slow client lost some; nobody waited for it
        assert lazy.exit_status is not None and lazy.exit_status.exit_code == 0
        await client.delete()

    run(go(), timeout=90)
