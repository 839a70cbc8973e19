"""HTTP/1.1 framing for the Engine API client: connection, response, upgraded stream.

Private to `client/`: the stdlib's http.client imports email.* (about 37 ms here), so the
CLI speaks the small part of HTTP/1.1 it needs itself. Requests are written whole by
`transport.py`; this module reads status lines, headers and bodies framed by Content-Length,
chunked transfer-encoding or the end of the connection (RFC 9112 §6.3). `Response` and
`Hijacked` are re-exported by transport.py, the public surface.
"""

from __future__ import annotations

import _socket

from dockyard import errdefs
from dockyard.client import errors
from dockyard.utils import jsonfast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType
    from typing import Any, Protocol

    class Sock(Protocol):
        """What a connection needs of a socket (_socket.socket or ssl.SSLSocket)."""

        def recv(self, n: int, /) -> bytes: ...
        def sendall(self, data: bytes, /) -> None: ...
        def close(self) -> None: ...
        def fileno(self) -> int: ...
        def settimeout(self, t: float | None, /) -> None: ...
        def shutdown(self, how: int, /) -> None: ...


_RECV = 65536
_MAX_HEAD = 1 << 20


class ProtocolError(errdefs.Unknown):
    """The daemon's answer is not HTTP/1.1 as we read it."""


class Conn:
    """One socket plus what has been received but not consumed yet."""

    __slots__ = ("buf", "sock")

    def __init__(self, sock: Sock) -> None:
        self.sock = sock
        self.buf = b""

    def fill(self) -> bool:
        """Receive once more into the buffer; False at end of stream."""
        data = self.sock.recv(_RECV)
        if not data:
            return False
        self.buf = self.buf + data if self.buf else data
        return True

    def readline(self) -> bytes:
        """One CRLF- (or LF-) terminated line without its terminator; b"" at EOF."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1 :]
                return line[:-1] if line.endswith(b"\r") else line
            if len(self.buf) > _MAX_HEAD:
                raise ProtocolError("the daemon sent a header line over 1 MiB")
            if not self.fill():
                line, self.buf = self.buf, b""
                return line

    def take(self, n: int) -> bytes:
        """Up to n bytes: the buffer first, else one recv (b"" at EOF)."""
        if not self.buf and not self.fill():
            return b""
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def close(self) -> None:
        self.sock.close()


def read_head(conn: Conn) -> tuple[int, str, dict[str, str]]:
    """The status line and headers of a response (1xx other than 101 skipped)."""
    while True:
        line = conn.readline()
        if not line:
            raise ConnectionResetError("the daemon closed the connection without answering")
        parts = line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise ProtocolError(f"malformed HTTP response {line[:80]!r}")
        status = int(parts[1])
        reason = parts[2].strip() if len(parts) > 2 else ""
        headers: dict[str, str] = {}
        while True:
            h = conn.readline()
            if not h:
                break
            name, sep, value = h.decode("latin-1").partition(":")
            if not sep:
                raise ProtocolError(f"malformed HTTP header {h[:80]!r}")
            key = name.strip().lower()
            value = value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if 100 <= status < 200 and status != 101:
            continue
        return status, reason, headers


class Body:
    """The body of one response, read in pieces; `done` once its framing says it ended."""

    __slots__ = ("_chunk_left", "_conn", "_left", "_mode", "done", "reusable")

    def __init__(self, conn: Conn, *, status: int, method: str, headers: dict[str, str]) -> None:
        self._conn = conn
        self._left = 0
        self._chunk_left = 0
        self.done = False
        self.reusable = headers.get("connection", "").lower() != "close"
        te = headers.get("transfer-encoding", "").lower()
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            self._mode = "none"
            self.done = True
        elif "chunked" in te:
            self._mode = "chunked"
        elif "content-length" in headers:
            self._mode = "length"
            try:
                self._left = int(headers["content-length"])
            except ValueError:
                raise ProtocolError(f"bad Content-Length {headers['content-length']!r}") from None
            self.done = self._left == 0
        else:
            self._mode = "close"
            self.reusable = False

    def read_some(self, n: int = _RECV) -> bytes:
        """Up to n bytes of the body as soon as any are there; b"" at its end."""
        if self.done:
            return b""
        conn = self._conn
        if self._mode == "length":
            data = conn.take(min(n, self._left))
            if not data:
                raise ProtocolError(f"the daemon closed the connection {self._left} bytes early")
            self._left -= len(data)
            self.done = self._left == 0
            return data
        if self._mode == "close":
            data = conn.take(n)
            self.done = not data
            return data
        return self._read_chunked(n)

    def _read_chunked(self, n: int) -> bytes:
        conn = self._conn
        if self._chunk_left == 0:
            line = conn.readline()
            size = line.split(b";", 1)[0].strip()
            try:
                self._chunk_left = int(size, 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size line {line[:80]!r}") from None
            if self._chunk_left == 0:
                while conn.readline():  # trailers, up to the empty line
                    pass
                self.done = True
                return b""
        data = conn.take(min(n, self._chunk_left))
        if not data:
            raise ProtocolError("the daemon closed the connection inside a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            conn.readline()  # the CRLF after the chunk data
        return data


class Response:
    """A daemon answer whose status is below 400: headers now, the body as it is read.

    The body must be read to its end or the response closed (a context manager does it);
    a body read to its end hands the connection to `release` (the client keeps it for its next
    request) when the daemon allows keep-alive."""

    def __init__(
        self,
        conn: Conn,
        *,
        status: int,
        reason: str,
        headers: dict[str, str],
        method: str,
        url: str,
        release: Callable[[Conn], None] | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.method = method
        self.url = url
        self.release = release
        self._conn: Conn | None = conn
        self._body = Body(conn, status=status, method=method, headers=headers)
        if self._body.done:
            self._release()

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._body.done and self._body.reusable and self.release is not None:
            self.release(conn)
        else:
            conn.close()

    def read_some(self, n: int = 65536) -> bytes:
        """Up to n bytes of the body as soon as any arrive; b"" at its end."""
        if self._conn is None:
            return b""
        try:
            data = self._body.read_some(n)
        except OSError as err:
            self.close()
            raise errdefs.Unavailable(
                f"error reading the daemon's answer: {err.strerror or err}"
            ) from err
        except ProtocolError:
            self.close()
            raise
        if self._body.done:
            self._release()
        return data

    def read(self, n: int = -1) -> bytes:
        """The rest of the body (n < 0), or n bytes (fewer only at its end)."""
        parts = []
        got = 0
        while n < 0 or got < n:
            data = self.read_some(65536 if n < 0 else min(65536, n - got))
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def chunks(self) -> Iterator[bytes]:
        """The body in pieces as they arrive (logs -f, a raw TTY stream, export)."""
        while data := self.read_some():
            yield data

    def json(self) -> Any:
        """The body decoded as one JSON value (None for an empty body)."""
        data = self.read()
        return jsonfast.loads(data) if data.strip() else None

    def json_stream(self) -> Iterator[Any]:
        """Each JSON value of a streamed body (pull, push, build, events, stats)."""
        from dockyard.client.streams import json_values

        return json_values(self.chunks())

    def close(self) -> None:
        """Drop what is left of the body (and the connection, if some is)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def error(self) -> errors.APIError:
        """The error this answer stands for (docker's checkResponseErr wording)."""
        body = self.read(1 << 20) if self.method != "HEAD" else b""
        self.close()
        status = f"{self.status} {self.reason}".strip()
        text = body.decode("utf-8", "replace").strip()
        if not text:
            return errors.from_status(
                self.status,
                f"request returned {status} for API route and version {self.url}, "
                "check if the server supports the requested API version",
            )
        message = text
        if self.headers.get("content-type", "").startswith("application/json"):
            try:
                decoded = jsonfast.loads(text)
            except ValueError:
                decoded = None
            found = decoded.get("message") if isinstance(decoded, dict) else None
            if isinstance(found, str) and found.strip():
                message = found.strip()
            elif decoded is not None:
                message = f"API returned a {status} but provided no error-message"
        return errors.from_status(self.status, message)

    def __enter__(self) -> Response:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Hijacked:
    """The raw bidirectional stream after `Upgrade: tcp` (attach, exec start).

    Bytes the daemon sent right behind its 101 answer are returned by `recv` first, so check
    `pending()` before waiting on `fileno()` with select/poll."""

    def __init__(self, sock: Sock, leftover: bytes, *, tls: bool = False) -> None:
        self._sock = sock
        self._leftover = leftover
        self._tls = tls

    def recv(self, n: int = 32768) -> bytes:
        """Up to n bytes as soon as any arrive; b"" at the end of the stream."""
        if self._leftover:
            data, self._leftover = self._leftover[:n], self._leftover[n:]
            return data
        try:
            return self._sock.recv(n)
        except ConnectionResetError:
            return b""

    def read(self, n: int) -> bytes:
        """n bytes (fewer only at the end of the stream), for `streams.demux`."""
        parts = []
        got = 0
        while got < n:
            data = self.recv(n - got)
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def pending(self) -> int:
        """Bytes readable without waiting (the leftover, TLS records already decrypted)."""
        extra = self._sock.pending() if self._tls else 0  # type: ignore[attr-defined]
        return len(self._leftover) + int(extra)

    def sendall(self, data: bytes) -> None:
        self._sock.sendall(data)

    def close_write(self) -> None:
        """Half-close: tell the daemon stdin ended while still reading its output."""
        try:
            if self._tls:
                import socket

                # SSLSocket.shutdown would drop the TLS session and with it our reading side;
                # shut the TCP write side only, as Go's CloseWrite on the underlying conn.
                socket.socket.shutdown(self._sock, _socket.SHUT_WR)  # type: ignore[arg-type]
            else:
                self._sock.shutdown(_socket.SHUT_WR)
        except OSError:
            pass  # already closed by the daemon

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Hijacked:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
