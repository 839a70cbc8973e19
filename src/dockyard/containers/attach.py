"""`docker attach` (and the attach of `docker run` / `docker start -a`): a client connection
joined to PID 1's stdio through the shim.

An attach to a container that is not running waits for its next start and joins between
`runtime create` and `start`, so `docker run` sees the first byte. Detach keys (default
ctrl-p ctrl-q) are matched in the client's stdin as moby's escape proxy does: bytes that
start the sequence are held back and sent on only if the sequence breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from dockyard import errdefs
from dockyard.containers.streams import Conn, wire

if TYPE_CHECKING:
    from typing import Any

    from dockyard.containers.container import Container
    from dockyard.containers.lifecycle import Lifecycle
    from dockyard.shim.client import ShimClient, ShimStream

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"
_CTRL_SPECIAL = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}


def parse_detach_keys(text: str) -> bytes:
    """ "ctrl-p,ctrl-q" -> b"\\x10\\x11"; InvalidArgument for what Docker refuses."""
    keys = bytearray()
    for key in (text or DEFAULT_DETACH_KEYS).split(","):
        if len(key) == 1:
            keys.append(ord(key))
        elif key.startswith("ctrl-") and len(key) == 6:
            ch = key[5].lower()
            if "a" <= ch <= "z":
                keys.append(ord(ch) - ord("a") + 1)
            elif ch in _CTRL_SPECIAL:
                keys.append(_CTRL_SPECIAL[ch])
            else:
                raise errdefs.InvalidArgument(f"Invalid escape keys ({text}) provided")
        else:
            raise errdefs.InvalidArgument(f"Invalid escape keys ({text}) provided")
    return bytes(keys)


class DetachMatcher:
    """Feed stdin bytes; get back what to forward and whether the client detached."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.held = b""

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        out = bytearray()
        for byte in data:
            candidate = self.held + bytes([byte])
            if self.keys.startswith(candidate):
                self.held = candidate
                if candidate == self.keys:
                    self.held = b""
                    return bytes(out), True
            else:
                out += candidate
                self.held = b""
        return bytes(out), False


async def pump(
    conn: Conn,
    stream: ShimStream,
    *,
    tty: bool,
    stdin: bool,
    detach_keys: bytes | None,
) -> bool:
    """Copy output to the client and the client's stdin to the container until the output
    ends or the client detaches. True when the client detached."""
    detached = asyncio.Event()

    async def output() -> None:
        while (item := await stream.read_frame()) is not None:
            kind, data = item
            with contextlib.suppress(ConnectionError):
                await conn.write(wire(kind, data, tty=tty))

    async def input_() -> None:
        matcher = DetachMatcher(detach_keys) if detach_keys else None
        while data := await conn.read():
            if matcher is not None:
                data, gone = matcher.feed(data)
                if data:
                    await stream.write_stdin(data)
                if gone:
                    detached.set()
                    return
            else:
                await stream.write_stdin(data)
        await stream.close_stdin()  # the shim closes PID 1's stdin only for StdinOnce

    out_task = asyncio.create_task(output())
    in_task = asyncio.create_task(input_()) if stdin else None
    waiting: set[asyncio.Task[None]] = {out_task}
    if in_task is not None:
        waiting.add(in_task)
    try:
        while waiting:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if out_task in done or detached.is_set():
                break
            if in_task in done and in_task.exception() is not None:
                break  # the client has gone
    finally:
        for task in (out_task, in_task):
            if task is not None and not task.done():
                task.cancel()
        await asyncio.gather(*(t for t in (out_task, in_task) if t), return_exceptions=True)
        stream.close()
    with contextlib.suppress(ConnectionError, OSError):
        await conn.close_write()
    return detached.is_set()


async def join(
    c: Container,
    lifecycle: Lifecycle,
    removed: asyncio.Future[int],
    *,
    stdin: bool,
    stdout: bool,
    stderr: bool,
) -> ShimStream | None:
    """The container's stdio from its shim: now if it runs, else at its next start (between
    `runtime create` and `start`); None if it is removed (`removed` resolves) first."""
    # moby closes the container's stdin when the client's ends only without a TTY
    # (container/stream/attach.go: CloseStdin && !TTY): a detached `run -it` keeps its shell.
    once = stdin and bool(c.config.get("StdinOnce")) and not c.config.get("Tty")
    want = {"stdin": stdin, "stdout": stdout, "stderr": stderr, "close_stdin": once}
    async with c.lock:
        if c.running:
            return await lifecycle.shim(c).attach(**want)
        joined: asyncio.Future[ShimStream] = asyncio.get_running_loop().create_future()

        async def hook(client: ShimClient) -> None:
            joined.set_result(await client.attach(**want))

        unregister = lifecycle.before_start(c, hook)
    try:
        either: set[asyncio.Future[Any]] = {joined, removed}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        unregister()
    return joined.result() if joined.done() and not joined.cancelled() else None
