"""Fakes shared by the container unit tests."""

from __future__ import annotations

import asyncio


class FakeConn:
    """A hijacked client connection (containers.streams.Conn): scripted stdin, kept output."""

    def __init__(self, incoming: list[bytes]) -> None:
        self.incoming = list(incoming)
        self.out = bytearray()
        self.write_closed = False

    async def read(self, n: int = 65536) -> bytes:
        await asyncio.sleep(0)
        return self.incoming.pop(0) if self.incoming else b""

    async def write(self, data: bytes) -> None:
        self.out += data

    async def close_write(self) -> None:
        self.write_closed = True
