"""A process's stdio as the shim sees it: non-blocking readers, a buffered stdin writer, and
the console socket that receives a pty master from the runtime (runc's --console-socket)."""

from __future__ import annotations

import _socket
import errno
import os
import sys

from dockyard import errdefs
from dockyard.shim.loop import IN, OUT, Loop

TYPE_CHECKING = False  # true for mypy; typing costs the shim start-up time and memory
if TYPE_CHECKING:
    from collections.abc import Callable

READ_SIZE = 64 * 1024
STDIN_HIGH_WATER = 1 << 20  # stop reading clients' stdin while this much waits to be written


class Reader:
    """Reads a pipe or pty master until EOF (or EIO: the pty's last slave closed)."""

    def __init__(
        self,
        loop: Loop,
        fd: int,
        *,
        on_data: Callable[[bytes], None],
        on_eof: Callable[[], None],
    ) -> None:
        self.loop = loop
        self.fd = fd
        self._on_data = on_data
        self._on_eof = on_eof
        os.set_blocking(fd, False)
        loop.add(fd, IN, self._ready)

    def _ready(self, events: int) -> None:
        self.read_once()

    def read_once(self) -> bool:
        """Read what is there; False once at EOF (or when nothing was there to read)."""
        if self.fd < 0:
            return False
        try:
            data = os.read(self.fd, READ_SIZE)
        except BlockingIOError:
            return False
        except OSError:
            data = b""  # EIO from a pty master whose slave side is gone: that is EOF
        if not data:
            self.close()
            self._on_eof()
            return False
        self._on_data(data)
        return True

    def drain(self) -> None:
        """Read everything available now (the process has exited; whatever remains is due)."""
        for _ in range(256):  # bounded: a writer that keeps going must not stall the loop
            if not self.read_once():
                return

    def close(self) -> None:
        if self.fd >= 0:
            self.loop.remove(self.fd)
            os.close(self.fd)
            self.fd = -1


class Writer:
    """A process's stdin: writes never block the loop; bytes wait in a buffer instead.

    With a pty the writer holds its own dup of the master, so the Reader closing the master
    at EOF can never leave this writer with a stale descriptor number.
    """

    def __init__(self, loop: Loop, fd: int, *, eot: bool = False) -> None:
        self.loop = loop
        self.fd = fd
        self._eot = eot  # with a pty, "close stdin" is an end-of-transmission byte (^D)
        self._buf = bytearray()
        self._closing = False
        self._registered = False
        self._waiting: list[Callable[[], None]] = []  # resumed when the buffer drains
        os.set_blocking(fd, False)

    @property
    def full(self) -> bool:
        return len(self._buf) >= STDIN_HIGH_WATER

    def when_drained(self, fn: Callable[[], None]) -> None:
        self._waiting.append(fn)

    def write(self, data: bytes) -> None:
        if self.fd >= 0 and not self._closing:
            self._buf += data
            self._pump()

    def close(self) -> None:
        """Close once everything buffered has been written."""
        if self.fd >= 0 and not self._closing:
            if self._eot:
                self._buf += b"\x04"
            self._closing = True
            self._pump()

    def abandon(self) -> None:
        """The process is gone: drop what is buffered and close now."""
        self._buf.clear()
        self._closing = True
        self._pump()

    def _ready(self, events: int) -> None:
        self._pump()

    def _pump(self) -> None:
        if self.fd < 0:
            return
        try:
            while self._buf:
                del self._buf[: os.write(self.fd, self._buf)]
        except BlockingIOError:
            pass
        except OSError:
            self._buf.clear()  # the reading end is gone (EPIPE): nothing will read this
        if self._buf and not self._registered:
            self.loop.add(self.fd, OUT, self._ready)
            self._registered = True
        elif not self._buf:
            if self._registered:
                self.loop.remove(self.fd)
                self._registered = False
            if self._closing:
                os.close(self.fd)
                self.fd = -1
            waiting, self._waiting = self._waiting, []
            for fn in waiting:
                fn()


# console socket ----------------------------------------------------------------------------


def listen_console(path: str) -> _socket.socket:
    """A unix socket the runtime connects to, to hand over the pty master it opens; `path`
    is relative to our cwd (the runtime is given Shim.reachable(path))."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(4)
    return sock


def receive_master(sock: _socket.socket) -> int:
    """Accept the runtime's connection (already queued: the runtime has returned) and take
    the descriptor it sent as SCM_RIGHTS."""
    sock.setblocking(False)
    try:
        fd, _addr = sock._accept()  # type: ignore[attr-defined]  # accept() lives in socket.py
    except BlockingIOError:
        raise errdefs.Unknown("the runtime did not send a console (pty master)") from None
    conn = _socket.socket(fileno=fd)
    try:
        conn.settimeout(5.0)
        _msg, ancdata, _flags, _addr = conn.recvmsg(4096, _socket.CMSG_LEN(4))
    except OSError as err:
        raise errdefs.Unknown(f"failed to receive the console: {err}") from None
    finally:
        conn.close()
    for level, kind, data in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS and len(data) >= 4:
            master = int.from_bytes(data[:4], sys.byteorder)
            os.set_inheritable(master, False)
            return master
    raise errdefs.Unknown("no pty master received over the console socket")


def resize(master: int, height: int, width: int) -> None:
    import termios

    try:
        termios.tcsetwinsize(master, (height, width))
    except termios.error as err:
        if err.args and err.args[0] == errno.EBADF:
            raise errdefs.NotFound("the console is closed") from None
        raise errdefs.Unknown(f"failed to resize the console: {err}") from None
