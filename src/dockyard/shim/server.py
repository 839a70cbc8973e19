"""The shim's socket: one request line per connection, one answer line, then maybe a stream.

A connection is a small state machine: `request` (reading the line) -> `pending` (the op is
running: runtime commands and `wait` answer later) -> closed after the answer, or `stream`
(attach / exec): output frames out, stdin bytes in, and the exit frame last. Output to a
client that does not keep up is dropped beyond OUT_LIMIT rather than stalling the container.
"""

from __future__ import annotations

import _socket
import os

from dockyard import errdefs
from dockyard.shim import protocol
from dockyard.shim.loop import HUP, IN, OUT, Loop

TYPE_CHECKING = False  # true for mypy; typing costs the shim start-up time and memory
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dockyard.shim.process import Process
    from dockyard.shim.stdio import Writer

    Handler = Callable[["Conn", dict[str, Any]], None]

OUT_LIMIT = 1 << 20  # bytes of output queued for one client before we drop for it
RECV_SIZE = 64 * 1024


class Conn:
    """One client connection (see the module docstring)."""

    def __init__(self, server: Server, sock: _socket.socket) -> None:
        self.server = server
        self.loop = server.loop
        self.sock = sock
        self.fd = sock.fileno()
        self.mode = "request"
        self._in = bytearray()
        self._out = bytearray()
        self._mask = IN
        self._closing = False  # close once the output is flushed
        self.process: Process | None = None
        self.stdout = self.stderr = False
        self.stdin: Writer | None = None
        self.close_stdin = False
        self.dropped = 0
        sock.setblocking(False)
        self.loop.add(self.fd, IN, self._ready)

    # reading -----------------------------------------------------------------------------

    def _ready(self, events: int) -> None:
        if events & OUT:
            self._flush()
        if self.fd >= 0 and events & (IN | HUP):
            self._read(hangup=bool(events & HUP))

    def _read(self, *, hangup: bool) -> None:
        for _ in range(16 if hangup else 1):  # after a hang-up, take what is left, then go
            try:
                data = self.sock.recv(RECV_SIZE)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self._eof()
                break
            self._received(data)
        if hangup and self.fd >= 0:
            self.close()

    def _received(self, data: bytes) -> None:
        if self.mode == "request":
            self._in += data
            line, sep, rest = self._in.partition(b"\n")
            if sep:
                self._in = bytearray(rest)  # stdin sent right behind the request
                self.mode = "pending"
                self.server.dispatch(self, bytes(line))
            elif len(self._in) > protocol.MAX_LINE:
                self.close()
        elif self.mode == "stream" and self.stdin is not None:
            self.stdin.write(data)
            if self.stdin.full:
                self._set_mask(self._mask & ~IN)
                self.stdin.when_drained(lambda: self._set_mask(self._mask | IN))
        elif self.mode == "pending" and len(self._in) < protocol.MAX_LINE:
            self._in += data

    def _eof(self) -> None:
        """The client shut down its write side (or went away)."""
        self._set_mask(self._mask & ~IN)
        if self.mode == "request":
            self.close()
        elif self.mode == "stream" and self.stdin is not None and self.close_stdin:
            self.stdin.close()
            self.stdin = None

    # writing -----------------------------------------------------------------------------

    def answer(self, msg: dict[str, Any], *, then_stream: bool = False) -> None:
        """Send the one answer line, then close (unless stream() follows at once)."""
        if self.mode != "pending" or self.fd < 0:
            return
        self.mode = "answered"
        self._closing = not then_stream
        self._send(protocol.encode(msg))

    def stream(
        self,
        process: Process,
        *,
        stdout: bool,
        stderr: bool,
        stdin: Writer | None,
        close_stdin: bool,
    ) -> None:
        """After answer(): carry `process`'s output (and the client's stdin) until it exits."""
        if self.fd < 0:
            return
        self.mode = "stream"
        self.process = process
        self.stdout, self.stderr = stdout, stderr
        self.stdin, self.close_stdin = stdin, close_stdin
        if process.done:
            self.send_exit(process.exit_status())
            return
        process.subscribers.append(self)
        if self._in:
            pending, self._in = bytes(self._in), bytearray()
            self._received(pending)

    def send_output(self, stream: int, data: bytes) -> None:
        if not (self.stdout if stream == protocol.STDOUT else self.stderr) or self.fd < 0:
            return
        if len(self._out) > OUT_LIMIT:
            self.dropped += len(data)  # a slow client loses output; the container never waits
            return
        self._send(protocol.frame(stream, data))

    def send_exit(self, status: dict[str, Any]) -> None:
        if self.fd < 0:
            return
        self.process = None
        self._closing = True
        self._send(protocol.frame(protocol.EXIT, protocol.encode(status)[:-1]))

    def _send(self, data: bytes) -> None:
        self._out += data
        self._flush()

    def _flush(self) -> None:
        try:
            while self._out:
                del self._out[: self.sock.send(self._out)]
        except BlockingIOError:
            pass
        except OSError:
            self.close()  # the client is gone
            return
        if self._out:
            self._set_mask(self._mask | OUT)
        else:
            self._set_mask(self._mask & ~OUT)
            if self._closing:
                self.close()

    def _set_mask(self, mask: int) -> None:
        if self.fd >= 0 and mask != self._mask:
            self._mask = mask
            self.loop.modify(self.fd, mask)

    def close(self) -> None:
        if self.fd < 0:
            return
        if self.process is not None and self in self.process.subscribers:
            self.process.subscribers.remove(self)
        self.process = None
        self.loop.remove(self.fd)
        self.sock.close()
        self.fd = -1
        self.server.closed(self)


class Server:
    """The listening socket `<dir>/shim.sock` and the op table it dispatches to."""

    def __init__(self, loop: Loop, path: str, ops: dict[str, Handler]) -> None:
        self.loop = loop
        self.path = path
        self.ops = ops
        self.conns: set[Conn] = set()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o600)
        self.sock.listen(64)
        self.sock.setblocking(False)
        loop.add(self.sock.fileno(), IN, self._accept)

    def _accept(self, events: int) -> None:
        while True:
            try:
                fd, _addr = self.sock._accept()  # type: ignore[attr-defined]  # see stdio.py
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # EMFILE and friends: the client will see its connection fail
            self.conns.add(Conn(self, _socket.socket(fileno=fd)))

    def closed(self, conn: Conn) -> None:
        self.conns.discard(conn)

    def dispatch(self, conn: Conn, line: bytes) -> None:
        try:
            req = protocol.decode(line)
            handler = self.ops.get(str(req.get("op")))
            if handler is None:
                raise errdefs.InvalidArgument(f"unknown shim op: {req.get('op')!r}")
            handler(conn, req)
        except errdefs.DockyardError as err:
            conn.answer(protocol.failure(err))
        except Exception as err:  # a bug of ours: the client must not hang on it
            conn.answer(protocol.failure(errdefs.Unknown(f"shim failed: {err!r}")))
            raise  # the loop logs the traceback to shim.log

    def close(self) -> None:
        self.loop.remove(self.sock.fileno())
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
