"""attach: detach keys as Docker parses them, and the pump between a client and the shim."""

from __future__ import annotations

import asyncio

import pytest

from dockyard import errdefs
from dockyard.containers.attach import DetachMatcher, parse_detach_keys, pump
from dockyard.containers.streams import frame
from tests.unit.containers.fakes import FakeConn


def test_detach_keys_parse_as_docker() -> None:
    assert parse_detach_keys("") == b"\x10\x11"
    assert parse_detach_keys("ctrl-a,x") == b"\x01x"
    assert parse_detach_keys("ctrl-@,ctrl-[") == b"\x00\x1b"
    for bad in ("ctrl-1", "ctrl-ab", "alt-x"):
        with pytest.raises(errdefs.InvalidArgument, match="Invalid escape keys"):
            parse_detach_keys(bad)


def test_detach_matcher_holds_back_a_prefix_and_flushes_a_broken_one() -> None:
    m = DetachMatcher(b"\x10\x11")
    assert m.feed(b"ab\x10") == (b"ab", False)
    assert m.feed(b"c") == (b"\x10c", False)
    assert m.feed(b"x\x10") == (b"x", False)
    assert m.feed(b"\x11rest") == (b"", True)


class FakeStream:
    def __init__(self, frames: list[tuple[int, bytes]], *, hold: bool = False) -> None:
        self.frames = list(frames)
        self.stdin = bytearray()
        self.stdin_closed = False
        self.closed = False
        self.hold = asyncio.Event() if hold else None

    async def read_frame(self) -> tuple[int, bytes] | None:
        if self.frames:
            return self.frames.pop(0)
        if self.hold is not None:
            await self.hold.wait()
            if self.frames:
                return self.frames.pop(0)
        return None

    async def write_stdin(self, data: bytes) -> None:
        self.stdin += data

    async def close_stdin(self) -> None:
        self.stdin_closed = True

    def close(self) -> None:
        self.closed = True


def test_pump_frames_output_without_tty_and_raw_with() -> None:
    for tty, want in ((False, frame(1, b"out") + frame(2, b"err")), (True, b"outerr")):
        stream = FakeStream([(1, b"out"), (2, b"err")])
        conn = FakeConn([])
        detached = asyncio.run(pump(conn, stream, tty=tty, stdin=False, detach_keys=None))  # type: ignore[arg-type]
        assert not detached and bytes(conn.out) == want
        assert conn.write_closed and stream.closed


def test_pump_forwards_stdin_and_detaches_on_the_keys() -> None:
    stream = FakeStream([], hold=True)
    conn = FakeConn([b"echo hi\n", b"\x10", b"\x11", b"never"])
    detached = asyncio.run(pump(conn, stream, tty=True, stdin=True, detach_keys=b"\x10\x11"))  # type: ignore[arg-type]
    assert detached
    assert bytes(stream.stdin) == b"echo hi\n"
    assert not stream.stdin_closed


def test_pump_closes_stdin_at_client_eof_and_waits_for_output() -> None:
    async def run() -> tuple[bool, FakeStream, FakeConn]:
        stream = FakeStream([], hold=True)
        conn = FakeConn([b"data"])
        task = asyncio.create_task(pump(conn, stream, tty=False, stdin=True, detach_keys=None))  # type: ignore[arg-type]
        for _ in range(20):
            await asyncio.sleep(0)
        assert not task.done()  # client EOF is not the end: output still flows
        stream.frames.append((1, b"bye"))
        assert stream.hold is not None
        stream.hold.set()
        return await task, stream, conn

    detached, stream, conn = asyncio.run(run())
    assert not detached and stream.stdin_closed and bytes(stream.stdin) == b"data"
    assert bytes(conn.out) == frame(1, b"bye")
