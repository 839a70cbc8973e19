"""Connection hijack for attach and exec: after the answer's head, the socket is a raw pipe.

The docker CLI and docker-py send `Connection: Upgrade` and `Upgrade: tcp`; Docker answers
`101 UPGRADED` (or `200 OK` to a client that did not ask for an upgrade) and from then on the
bytes are the container's stdin one way and its output the other. The client half-closes
(shutdown SHUT_WR) at the end of its stdin and goes on reading the output.

aiohttp has no hijack, so the transport changes protocol: `transport.set_protocol()` hands
the socket's events to `_RawProtocol`, which keeps the write side open when the client's
EOF arrives (aiohttp's own protocol closes the connection on EOF, which would cut the output
of `echo hi | docker run -i busybox cat`). Bytes aiohttp had read past the request head are
taken over through `set_parser()`, the hook aiohttp's websocket upgrade uses. aiohttp's
protocol still hears of the connection's end, so its server's bookkeeping stays right.
Over TLS, asyncio cannot keep a half-closed connection open: the client's EOF ends it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

RAW_STREAM = "application/vnd.docker.raw-stream"
MULTIPLEXED_STREAM = "application/vnd.docker.multiplexed-stream"
_HIGH_WATER = 1 << 20  # pause reading the client past this much unread stdin
_LOW_WATER = 1 << 16


class _Tail:
    """Receives what aiohttp buffered after the request head (its set_parser hook)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        self.data += data
        return False, b""

    def feed_eof(self) -> None:
        return None


class _RawProtocol(asyncio.Protocol):
    """The socket's events once hijacked: buffered reads, flow-controlled writes."""

    def __init__(self, previous: asyncio.BaseProtocol, initial: bytes) -> None:
        self.buffer = bytearray(initial)
        self.eof = False
        self.lost = False
        self.changed = asyncio.Event()
        self._previous: asyncio.BaseProtocol | None = previous
        self._paused = False
        self._drained: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self.changed.set()

    def eof_received(self) -> bool:
        self.eof = True
        self.changed.set()
        return True  # keep the write side open: the output is still to come

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = self.lost = True
        self.changed.set()
        self.resume_writing()
        previous, self._previous = self._previous, None
        if previous is not None:
            previous.connection_lost(exc)  # aiohttp's server forgets the connection

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    async def drain(self) -> None:
        if self._paused and not self.lost:
            self._drained = asyncio.get_running_loop().create_future()
            await self._drained


class HijackedConn:
    """containers.streams.Conn over a hijacked client connection."""

    def __init__(self, transport: asyncio.Transport, protocol: _RawProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, n: int = 65536) -> bytes:
        """Up to n bytes from the client; b"" once it half-closed or went away."""
        protocol = self._protocol
        while not protocol.buffer and not protocol.eof:
            protocol.changed.clear()
            await protocol.changed.wait()
        data = bytes(protocol.buffer[:n])
        del protocol.buffer[:n]
        if len(protocol.buffer) < _LOW_WATER and not protocol.lost:
            self._transport.resume_reading()
        return data

    async def write(self, data: bytes) -> None:
        if self._protocol.lost or self._transport.is_closing():
            raise ConnectionResetError("the client closed the connection")
        self._transport.write(data)
        await self._protocol.drain()

    async def close_write(self) -> None:
        if not self._transport.is_closing() and self._transport.can_write_eof():
            self._transport.write_eof()

    def close(self) -> None:
        """End the connection (Docker closes it when the attach or exec returns)."""
        self._transport.close()

    @property
    def client_gone(self) -> bool:
        return self._protocol.lost


def head(*, upgrade: bool, content_type: str, headers: dict[str, str]) -> bytes:
    """The answer's head as moby writes it on the hijacked connection."""
    if upgrade:
        lines = [
            "HTTP/1.1 101 UPGRADED",
            f"Content-Type: {content_type}",
            "Connection: Upgrade",
            "Upgrade: tcp",
        ]
    else:
        lines = ["HTTP/1.1 200 OK", f"Content-Type: {RAW_STREAM}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def hijack(request: web.Request, *, content_type: str, headers: dict[str, str]) -> HijackedConn:
    """Take the connection over from aiohttp and send the answer's head. The handler must
    close the connection (HijackedConn.close) before it returns its (unsent) response."""
    transport = request.transport
    protocol: Any = request.protocol
    if not isinstance(transport, asyncio.Transport):
        raise ConnectionResetError("the client closed the connection")
    tail = _Tail()
    protocol.set_parser(tail)  # aiohttp types it as its WebSocketReader; duck-typed
    raw = _RawProtocol(protocol, bytes(tail.data))
    raw.transport = transport
    transport.set_protocol(raw)
    transport.resume_reading()  # in case aiohttp paused it while reading the request body
    upgrade = "Upgrade" in request.headers
    transport.write(head(upgrade=upgrade, content_type=content_type, headers=headers))
    return HijackedConn(transport, raw)


def unsent() -> web.StreamResponse:
    """What a hijacking handler returns: aiohttp finds the transport closing and writes
    nothing of it."""
    response = web.StreamResponse()
    response.force_close()
    return response
