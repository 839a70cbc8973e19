"""The Engine API client: HTTP/1.1 over unix://, tcp:// and tcp:// with TLS.

Start-up time is a feature (issue 5), so this module imports only `_socket`, `_json`, `os`
and our own small modules: no http.client (it imports email.*), no `socket` (enum), no
urllib. `ssl` and `socket` are imported for TLS only, when the first connection is made.

    c = Client("unix:///run/dockyard.sock")
    c.get("/containers/json", query={"all": True}).json()
    with c.get("/events", query={"filters": {"type": ["container"]}}) as r:
        for event in r.json_stream(): ...
    h = c.hijack("POST", "/containers/x/attach", query={"stream": True, "stdout": True})

The API version is negotiated lazily, as the docker CLI does: the first versioned request pings
`/_ping` once and uses min(server Api-Version, API_VERSION) as its `/vX.Y` prefix;
`DOCKYARD_API_VERSION` (docker's DOCKER_API_VERSION) pins it instead. An idle connection is kept
for the next request when the daemon allows (HTTP/1.1 keep-alive), so the ping and the first
request share one connection.
"""

from __future__ import annotations

import _socket
import _thread
import os

from dockyard import errdefs
from dockyard.client import errors
from dockyard.client.http import Conn, Hijacked, Response, read_head
from dockyard.client.query import dumps, encode_query, quote
from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from types import TracebackType
    from typing import Any, BinaryIO

    from dockyard.client.query import Query

    Payload = bytes | Iterable[bytes] | BinaryIO | None

API_VERSION = "1.51"  # the newest this client speaks (Docker 28)
FALLBACK_API_VERSION = "1.24"  # a daemon that sends no Api-Version header (docker's default)
UNIX_HOST_HEADER = "api.moby.localhost"  # the Host docker sends over a unix socket

__all__ = ["API_VERSION", "Client", "Hijacked", "Response", "TLSConfig", "encode_query", "quote"]


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (0,)


def _user_agent() -> str:
    import dockyard

    return f"dockyard-cli/{getattr(dockyard, '__version__', '0.1.0')}"


@record(frozen=True)
class TLSConfig:
    """Client TLS: `verify` checks the daemon against `ca` (--tlsverify); `cert`/`key` are
    the client's certificate and key files (either may be "")."""

    ca: str = ""
    cert: str = ""
    key: str = ""
    verify: bool = True


class Client:
    """Engine API over unix://, tcp:// (optionally TLS); see the module docstring."""

    def __init__(
        self,
        host: str,
        *,
        tls: TLSConfig | None = None,
        version: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.host = host
        self.tls = tls
        scheme, _, rest = host.partition("://")
        self._base = ""
        if scheme == "unix":
            self._unix = rest
            self._addr = ("", 0)
            self._host_header = UNIX_HOST_HEADER
        elif scheme == "tcp":
            self._unix = ""
            hostport, slash, path = rest.partition("/")
            self._base = (slash + path).rstrip("/")
            name, _, port = hostport.rpartition(":")
            if not name or not port.isdigit():
                raise errdefs.InvalidArgument(f"unable to parse docker host `{host}`")
            self._addr = (name.strip("[]"), int(port))
            self._host_header = hostport
        else:
            raise errdefs.InvalidArgument(f"protocol not available: {scheme}")
        self._version = version or os.environ.get("DOCKYARD_API_VERSION", "")
        self._extra = dict(headers or {})
        self._idle: Conn | None = None
        self._lock = _thread.allocate_lock()
        self._ssl: Any = None

    # -- version -------------------------------------------------------------------------

    @property
    def api_version(self) -> str:
        """The /vX.Y this client uses (negotiated on first use)."""
        if not self._version:
            self._version = self._negotiate()
        return self._version

    def _negotiate(self) -> str:
        resp = self._send("GET", "/_ping", None, {}, None)
        resp.read()
        server = resp.headers.get("api-version", "")
        if not server:
            if resp.status >= 400:
                return API_VERSION
            return FALLBACK_API_VERSION
        return min(server, API_VERSION, key=_version_key)

    # -- requests ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: Payload = None,
        json: object = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        versioned: bool = True,
    ) -> Response:
        """Send one request; the answer, or the daemon's error as a client.errors kind."""
        target = self._target(path, query, versioned)
        hdrs = dict(headers or {})
        if json is not None:
            body = dumps(json).encode()
            hdrs.setdefault("Content-Type", "application/json")
        resp = self._send(method, target, body, hdrs, timeout)
        if resp.status >= 400:
            raise resp.error()
        return resp

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> Response:
        return self.request("DELETE", path, **kw)

    def head(self, path: str, **kw: Any) -> Response:
        return self.request("HEAD", path, **kw)

    def hijack(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        json: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> Hijacked:
        """Upgrade the connection to a raw stream (101, or 200 from old daemons)."""
        target = self._target(path, query, True)
        hdrs = {"Connection": "Upgrade", "Upgrade": "tcp", **(headers or {})}
        body = None
        if json is not None:
            body = dumps(json).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn = self._connect(method, target)
        try:
            self._write(conn, method, target, body, hdrs)
            status, reason, rh = read_head(conn)
        except OSError as err:
            conn.close()
            raise self._io_error(err, method, target) from err
        if status in (101, 200):
            leftover, conn.buf = conn.buf, b""
            return Hijacked(conn.sock, leftover, tls=self.tls is not None)
        resp = Response(
            conn,
            status=status,
            reason=reason,
            headers=rh,
            method=method,
            url=self._url(target),
        )
        raise resp.error()

    def close(self) -> None:
        with self._lock:
            conn, self._idle = self._idle, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------

    def _target(self, path: str, query: Query | None, versioned: bool) -> str:
        target = f"{self._base}/v{self.api_version}{path}" if versioned else self._base + path
        if query:
            qs = encode_query(query)
            if qs:
                target = f"{target}?{qs}"
        return target

    def _url(self, target: str) -> str:
        if self._unix:
            return f"http://{quote(self._unix)}{target}"
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self._host_header}{target}"

    def _put_idle(self, conn: Conn) -> None:
        with self._lock:
            old, self._idle = self._idle, conn
        if old is not None:
            old.close()

    def _send(
        self,
        method: str,
        target: str,
        body: Payload,
        headers: dict[str, str],
        timeout: float | None,
    ) -> Response:
        replayable = body is None or isinstance(body, bytes | bytearray | memoryview)
        with self._lock:
            conn, self._idle = self._idle, None
        if conn is not None:
            try:
                conn.sock.settimeout(timeout)
                self._write(conn, method, target, body, headers)
                status, reason, rh = read_head(conn)
            except OSError as err:
                # The daemon closed the idle connection (keep-alive timeout): a fresh one.
                conn.close()
                if not replayable:
                    raise self._io_error(err, method, target) from err
                conn = None
        if conn is None:
            conn = self._connect(method, target, timeout)
            try:
                try:
                    self._write(conn, method, target, body, headers)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the daemon answered early (a refused build): read its answer
                status, reason, rh = read_head(conn)
            except OSError as err:
                conn.close()
                raise self._io_error(err, method, target) from err
        return Response(
            conn,
            status=status,
            reason=reason,
            headers=rh,
            method=method,
            url=self._url(target),
            release=self._put_idle,
        )

    def _write(
        self, conn: Conn, method: str, target: str, body: Payload, headers: Mapping[str, str]
    ) -> None:
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {self._host_header}",
            f"User-Agent: {_user_agent()}",
        ]
        lines.extend(f"{k}: {v}" for k, v in self._extra.items())
        lines.extend(f"{k}: {v}" for k, v in headers.items())
        sock = conn.sock
        if body is None:
            if method in ("POST", "PUT", "PATCH"):
                lines.append("Content-Length: 0")
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            return
        if isinstance(body, bytes | bytearray | memoryview):
            lines.append(f"Content-Length: {len(body)}")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            if len(body) < 65536:
                sock.sendall(head + bytes(body))
            else:
                sock.sendall(head)
                sock.sendall(bytes(body))
            return
        size = _file_size(body)
        if size is not None:
            lines.append(f"Content-Length: {size}")
        else:
            lines.append("Transfer-Encoding: chunked")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for piece in _pieces(body):
            if not piece:
                continue
            if size is None:
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                sock.sendall(piece)
        if size is None:
            sock.sendall(b"0\r\n\r\n")

    def _connect(self, method: str, target: str, timeout: float | None = None) -> Conn:
        try:
            if self._unix:
                sock: Any = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
                try:
                    sock.settimeout(timeout)
                    sock.connect(self._unix)
                except BaseException:
                    sock.close()
                    raise
            elif self.tls is not None:
                sock = self._connect_tls(timeout)
            else:
                sock = _connect_tcp(self._addr, timeout)
        except OSError as err:
            raise self._io_error(err, method, target, connecting=True) from err
        return Conn(sock)

    def _connect_tls(self, timeout: float | None) -> Any:
        from dockyard.client import tls

        if self._ssl is None:
            assert self.tls is not None
            self._ssl = tls.context(self.tls)
        return tls.connect(self._ssl, self._addr, timeout=timeout)

    def _io_error(
        self, err: OSError, method: str, target: str, *, connecting: bool = False
    ) -> errdefs.DockyardError:
        url = self._url(target)
        if isinstance(err, PermissionError) and self._unix:
            return errors.permission_denied(
                self.host,
                f'{method.capitalize()} "{url}": dial unix {self._unix}: '
                "connect: permission denied",
            )
        if connecting and isinstance(
            err, FileNotFoundError | ConnectionRefusedError | TimeoutError
        ):
            return errors.cannot_connect(self.host)
        if connecting and type(err).__name__ in ("SSLError", "SSLCertVerificationError"):
            return errors.during_connect(self.host, f'{method.capitalize()} "{url}": {err}')
        if isinstance(err, _socket.gaierror):
            return errors.during_connect(
                self.host,
                f'{method.capitalize()} "{url}": dial tcp: lookup {self._addr[0]}: {err.strerror}',
            )
        detail = err.strerror or str(err) or type(err).__name__
        if not connecting:
            return errdefs.Unavailable(
                f"error reading the daemon's answer to {method} {url}: {detail}"
            )
        return errors.during_connect(self.host, f'{method.capitalize()} "{url}": {detail}')


def _connect_tcp(addr: tuple[str, int], timeout: float | None) -> Any:
    last: OSError | None = None
    for family, kind, proto, _, sockaddr in _socket.getaddrinfo(
        addr[0], addr[1], 0, _socket.SOCK_STREAM
    ):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as err:
            sock.close()
            last = err
            continue
        sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        return sock
    raise last if last is not None else ConnectionRefusedError(f"no address for {addr[0]}")


def _file_size(body: object) -> int | None:
    """The bytes left in a regular file body (a Content-Length), else None (chunked)."""
    if not hasattr(body, "read") or not hasattr(body, "fileno"):
        return None
    try:
        st = os.fstat(body.fileno())
        if st.st_mode & 0o170000 != 0o100000:
            return None
        return int(st.st_size - body.tell())  # type: ignore[attr-defined]
    except (OSError, ValueError, AttributeError):
        return None


def _pieces(body: object) -> Iterator[bytes]:
    read = getattr(body, "read", None)
    if read is not None:
        while data := read(65536):
            yield bytes(data)
        return
    for piece in body:  # type: ignore[attr-defined]
        yield bytes(piece)
