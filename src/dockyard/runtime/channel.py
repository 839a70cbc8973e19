"""The message channel between the runtime and the init it forks.

Two pipes (one each way) carrying one JSON object per line; pipes rather than a socketpair
because importing `socket` costs milliseconds the runtime's start-up does not have. The message
set is tiny (youki's "sync" messages): the init asks for `userns` maps, reports its `pid`, asks
for `hooks` (cgroup limits and host-side hooks), says `ready`, or `error`; the runtime answers
`ok`. A pty master travels separately, over a unix socket with SCM_RIGHTS (send_fd/recv_fd).
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.utils import jsonfast as json

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from typing import Any


class ChannelClosed(errdefs.Unavailable):
    """The other end went away (the runtime failed, or the init died)."""


class Channel:
    """One end: read from `rfd`, write to `wfd`. Both ends are close-on-exec."""

    def __init__(self, rfd: int, wfd: int) -> None:
        self.rfd = rfd
        self.wfd = wfd
        self._buf = b""

    @classmethod
    def pair(cls) -> tuple[Channel, Channel]:
        """(parent end, child end); after fork each side closes the end it does not use."""
        a_r, b_w = os.pipe()
        b_r, a_w = os.pipe()
        return cls(a_r, a_w), cls(b_r, b_w)

    def send(self, kind: str, **fields: Any) -> None:
        data = json.dumps({"type": kind, **fields}).encode() + b"\n"
        while data:
            data = data[os.write(self.wfd, data) :]

    def recv(self) -> dict[str, Any] | None:
        """The next message, or None when the other end closed."""
        while b"\n" not in self._buf:
            chunk = os.read(self.rfd, 65536)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        msg = json.loads(line)
        if not isinstance(msg, dict):
            raise errdefs.Unknown(f"malformed message from init: {line!r}")
        return msg

    def expect(self, kind: str) -> dict[str, Any]:
        msg = self.recv()
        if msg is None:
            raise ChannelClosed(f"init channel closed while waiting for {kind!r}")
        if msg["type"] == "error":
            raise errdefs.DockyardError(msg.get("message", "unknown error"))
        if msg["type"] != kind:
            raise errdefs.Unknown(f"expected {kind!r} from the channel, got {msg['type']!r}")
        return msg

    def close(self) -> None:
        for fd in (self.rfd, self.wfd):
            try:
                os.close(fd)
            except OSError:
                pass


def preload_fd_passing() -> None:
    """Import what send_fd and the console set-up need while the host's library is still
    reachable (before the fork; after pivot_root an import would fail)."""
    import array  # noqa: F401
    import fcntl  # noqa: F401
    import socket  # noqa: F401
    import termios  # noqa: F401


def send_fd(sock_fd: int, fd: int, name: str) -> None:
    """Send `fd` over a connected unix socket as runc sends a console master: the name as
    data, the descriptor as SCM_RIGHTS (what containerd's console receiver expects)."""
    import array
    import socket

    sock = socket.socket(fileno=sock_fd)
    try:
        rights = array.array("i", [fd])
        sock.sendmsg([name.encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)])
    finally:
        sock.detach()


def recv_fd(sock_fd: int) -> int:
    import array
    import socket

    sock = socket.socket(fileno=sock_fd)
    try:
        fds = array.array("i")
        _msg, ancdata, _flags, _addr = sock.recvmsg(4096, socket.CMSG_LEN(fds.itemsize))
    finally:
        sock.detach()
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
            return fds[0]
    raise errdefs.Unknown("no file descriptor received over the console socket")
