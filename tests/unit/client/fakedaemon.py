"""A canned HTTP/1.1 server on a unix socket, for testing the client's framing byte by byte.

Each connection is served by a thread: it reads requests (head plus a Content-Length or
chunked body) and answers each with what `answer(request)` returns (raw bytes, written as
they are; None closes the connection). Requests are recorded in order.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    conn_id: int

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""


@dataclass
class FakeDaemon:
    path: str
    answer: Callable[[Request], bytes | None]
    requests: list[Request] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.path)
        self._sock.listen(16)
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)
        self._accept.start()

    @property
    def host(self) -> str:
        return f"unix://{self.path}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            self._conns.append(conn)
            t = threading.Thread(target=self._handle, args=(conn, self.connections), daemon=True)
            t.start()
            self._threads.append(t)

    def _handle(self, conn: socket.socket, conn_id: int) -> None:
        f = conn.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                method, target, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (h := f.readline()) not in (b"\r\n", b"\n", b""):
                    k, _, v = h.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = b""
                if "content-length" in headers:
                    body = f.read(int(headers["content-length"]))
                elif headers.get("transfer-encoding") == "chunked":
                    while True:
                        size = int(f.readline().strip(), 16)
                        if size == 0:
                            f.readline()
                            break
                        body += f.read(size)
                        f.readline()
                req = Request(method, target, headers, body, conn_id)
                self.requests.append(req)
                out = self.answer(req)
                if out is None:
                    return
                conn.sendall(out)
                if b"\r\nConnection: close\r\n" in out.split(b"\r\n\r\n", 1)[0] + b"\r\n":
                    return
        except (OSError, ValueError):
            return
        finally:
            f.close()
            conn.close()

    def close(self) -> None:
        self._sock.close()
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)
        if os.path.exists(self.path):
            os.unlink(self.path)


def response(
    status: int = 200,
    body: bytes = b"",
    *,
    reason: str = "OK",
    headers: dict[str, str] | None = None,
    framing: str = "length",
) -> bytes:
    """Raw HTTP/1.1 answer bytes; framing is "length", "chunked" or "close"."""
    hdrs = {"Api-Version": "1.51", **(headers or {})}
    if framing == "length":
        hdrs["Content-Length"] = str(len(body))
        payload = body
    elif framing == "chunked":
        hdrs["Transfer-Encoding"] = "chunked"
        payload = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in _pieces(body)) + b"0\r\n\r\n"
    else:
        hdrs["Connection"] = "close"
        payload = body
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
    return head.encode() + b"\r\n" + payload


def _pieces(body: bytes) -> list[bytes]:
    return [body[i : i + 7] for i in range(0, len(body), 7)] if body else []


def ping_then(answer: Callable[[Request], bytes | None]) -> Callable[[Request], bytes | None]:
    """Answer /_ping with Api-Version 1.51 and everything else with `answer`."""

    def handler(req: Request) -> bytes | None:
        if req.path == "/_ping":
            return response(body=b"OK", headers={"Content-Type": "text/plain"})
        return answer(req)

    return handler
