"""The hijacked client connection of attach and exec, and Docker's stream multiplexing.

Without a TTY Docker multiplexes stdout and stderr on one connection: each frame is an 8-byte
header (byte 0 the stream: 0 stdin, 1 stdout, 2 stderr, 3 systemerr; bytes 4..7 the payload
length, big endian) then the payload. With a TTY the bytes go raw.
"""

from __future__ import annotations

import struct
from typing import Protocol

STDIN, STDOUT, STDERR, SYSTEMERR = 0, 1, 2, 3
_HEADER = struct.Struct(">BxxxL")


class Conn(Protocol):
    """The client's connection after the HTTP upgrade (the API layer implements it)."""

    async def read(self, n: int = 65536) -> bytes:
        """Up to n bytes of the client's stdin; b"" once the client closed its write side."""
        ...

    async def write(self, data: bytes) -> None:
        """Send wire bytes; raises ConnectionError once the client has gone."""
        ...

    async def close_write(self) -> None:
        """Half-close: the client sees EOF on its read side."""
        ...


def frame(stream: int, data: bytes) -> bytes:
    """One multiplexed frame (stdcopy's format)."""
    return _HEADER.pack(stream, len(data)) + data


def wire(stream: int, data: bytes, *, tty: bool) -> bytes:
    """What goes on the wire for output `data` of `stream`: raw with a TTY, else a frame."""
    return data if tty else frame(stream, data)
