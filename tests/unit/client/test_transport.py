"""The Engine API client's HTTP/1.1: framing, errors, version negotiation, queries, hijack."""

from __future__ import annotations

import io
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.client import errors
from dockyard.client.streams import demux, frame
from dockyard.client.transport import Client, encode_query, quote
from tests.unit.client.fakedaemon import FakeDaemon, Request, ping_then, response

Answer = Callable[[Request], bytes | None]


@pytest.fixture
def sock_path(tmp_path: Path) -> Iterator[str]:
    # AF_UNIX paths hold 108 bytes; pytest's tmp_path can be longer
    d = Path(os.environ.get("TMPDIR", "/tmp")) / f"dyc-{os.getpid()}-{id(tmp_path)}"
    d.mkdir()
    yield str(d / "d.sock")
    for p in d.iterdir():
        p.unlink()
    d.rmdir()


@pytest.fixture
def serve(
    sock_path: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Answer], FakeDaemon]]:
    monkeypatch.delenv("DOCKYARD_API_VERSION", raising=False)
    daemons: list[FakeDaemon] = []

    def start(answer: Answer) -> FakeDaemon:
        d = FakeDaemon(sock_path, answer)
        daemons.append(d)
        return d

    yield start
    for d in daemons:
        d.close()


def test_content_length_body_and_keepalive_reuses_one_connection(serve) -> None:  # type: ignore[no-untyped-def]
    d = serve(
        ping_then(
            lambda r: response(body=b'{"Id":"abc"}', headers={"Content-Type": "application/json"})
        )
    )
    c = Client(d.host)
    assert c.get("/containers/x/json").json() == {"Id": "abc"}
    assert c.get("/containers/y/json").json() == {"Id": "abc"}
    assert [r.target for r in d.requests] == [
        "/_ping",
        "/v1.51/containers/x/json",
        "/v1.51/containers/y/json",
    ]
    assert d.connections == 1
    assert d.requests[1].headers["user-agent"] == "dockyard-cli/0.1.0"
    assert d.requests[1].headers["host"] == "api.moby.localhost"
    c.close()


def test_chunked_body_is_reassembled_and_streamed(serve) -> None:  # type: ignore[no-untyped-def]
    payload = b"".join(b'{"status":"%d"}\n' % i for i in range(20))
    d = serve(ping_then(lambda r: response(body=payload, framing="chunked")))
    c = Client(d.host)
    assert c.get("/a").read() == payload
    with c.get("/b") as r:
        assert [v["status"] for v in r.json_stream()] == [str(i) for i in range(20)]
    with c.get("/c") as r:
        assert b"".join(r.chunks()) == payload
    assert d.connections == 1  # chunked answers keep the connection


def test_close_delimited_body_reads_to_eof(serve) -> None:  # type: ignore[no-untyped-def]
    d = serve(ping_then(lambda r: response(body=b"x" * 100_000, framing="close")))
    c = Client(d.host)
    assert c.get("/export").read() == b"x" * 100_000
    assert c.get("/export").read(10) == b"x" * 10
    # the ping's connection served the first export, which ended it; the second needs another
    assert [r.conn_id for r in d.requests] == [1, 1, 2]


def test_read_n_reads_exactly_for_demux(serve) -> None:  # type: ignore[no-untyped-def]
    mux = frame(1, b"out\n") + frame(2, b"err\n") + frame(1, b"x" * 70_000)
    d = serve(ping_then(lambda r: response(body=mux, framing="chunked")))
    r = Client(d.host).get("/containers/x/logs")
    got = list(demux(r.read))
    assert got == [(1, b"out\n"), (2, b"err\n"), (1, b"x" * 70_000)]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (404, errdefs.NotFound),
        (409, errdefs.Conflict),
        (400, errdefs.InvalidArgument),
        (501, errdefs.Unimplemented),
        (503, errdefs.Unavailable),
        (500, errdefs.Unknown),
        (401, errdefs.Unknown),
        (403, errdefs.Unknown),
    ],
)
def test_error_statuses_become_kinds_with_the_daemons_message(serve, status, kind) -> None:  # type: ignore[no-untyped-def]
    body = b'{"message":"No such container: nope"}'
    d = serve(
        ping_then(
            lambda r: response(
                status, body, reason="X", headers={"Content-Type": "application/json"}
            )
        )
    )
    with pytest.raises(kind) as info:
        Client(d.host).get("/containers/nope/json")
    assert isinstance(info.value, errors.APIError)
    assert info.value.status == status
    assert str(info.value) == "No such container: nope"


def test_error_without_json_uses_the_text_or_dockers_fallback(serve) -> None:  # type: ignore[no-untyped-def]
    answers = iter(
        [
            response(500, b"  plain failure\n", reason="Internal Server Error"),
            response(404, b"", reason="Not Found"),
        ]
    )
    d = serve(ping_then(lambda r: next(answers)))
    c = Client(d.host)
    with pytest.raises(errdefs.Unknown, match=r"^plain failure$"):
        c.get("/a")
    with pytest.raises(errdefs.NotFound) as info:
        c.get("/b")
    assert str(info.value) == (
        f"request returned 404 Not Found for API route and version http://{quote(d.path)}/v1.51/b, "
        "check if the server supports the requested API version"
    )


def test_version_is_the_lower_of_server_and_ours(serve) -> None:  # type: ignore[no-untyped-def]
    def answer(r: Request) -> bytes:
        return response(body=b"OK", headers={"Api-Version": "1.43"})

    d = serve(answer)
    c = Client(d.host)
    c.get("/info")
    assert c.api_version == "1.43"
    assert d.requests[-1].target == "/v1.43/info"
    assert sum(r.path == "/_ping" for r in d.requests) == 1


def test_server_newer_than_us_gets_our_version(serve) -> None:  # type: ignore[no-untyped-def]
    d = serve(lambda r: response(body=b"OK", headers={"Api-Version": "1.99"}))
    assert Client(d.host).api_version == "1.51"


def test_env_pins_the_version_without_a_ping(serve, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DOCKYARD_API_VERSION", "1.41")
    d = serve(lambda r: response(body=b"{}"))
    Client(d.host).get("/version").json()
    assert [r.target for r in d.requests] == ["/v1.41/version"]


def test_unversioned_requests_skip_negotiation(serve) -> None:  # type: ignore[no-untyped-def]
    d = serve(lambda r: response(body=b"OK"))
    assert Client(d.host).get("/_ping", versioned=False).read() == b"OK"
    assert [r.target for r in d.requests] == ["/_ping"]


def test_query_encoding_matches_the_docker_cli() -> None:
    q = {
        "all": True,
        "size": False,
        "limit": 5,
        "since": None,
        "filters": {"label": {"a=b c": True}},
    }
    assert encode_query(q) == (
        "all=1&filters=%7B%22label%22%3A%7B%22a%3Db+c%22%3Atrue%7D%7D&limit=5&size=0"
    )
    assert encode_query({"t": ("a:1", "b:2"), "q": "x/y~z"}) == "q=x%2Fy~z&t=a%3A1&t=b%3A2"
    assert encode_query([("z", 1), ("a", "é")]) == "z=1&a=%C3%A9"


def test_query_encoding_agrees_with_urllib() -> None:
    from urllib.parse import urlencode

    q = {"a": "sp ace&=+/?#%é✓", "b": "-_.~AZaz09"}
    assert encode_query(q) == urlencode(q, safe="~")


def test_json_body_and_posts_without_body(serve) -> None:  # type: ignore[no-untyped-def]
    d = serve(ping_then(lambda r: response(201, b'{"Id":"1"}', reason="Created")))
    c = Client(d.host)
    assert c.post(
        "/containers/create", query={"name": "x"}, json={"Image": "busybox", "Cmd": ["ls"]}
    ).json() == {"Id": "1"}
    c.post("/containers/1/start").read()
    create, start = d.requests[1], d.requests[2]
    assert create.target == "/v1.51/containers/create?name=x"
    assert create.body == b'{"Image":"busybox","Cmd":["ls"]}'
    assert create.headers["content-type"] == "application/json"
    assert start.headers["content-length"] == "0"


def test_iterable_body_is_sent_chunked_and_file_body_with_length(serve, tmp_path) -> None:  # type: ignore[no-untyped-def]
    d = serve(ping_then(lambda r: response(body=b"{}")))
    c = Client(d.host)
    c.post(
        "/build", body=iter([b"abc", b"", b"defg"]), headers={"Content-Type": "application/x-tar"}
    ).read()
    f = tmp_path / "ctx.tar"
    f.write_bytes(b"0123456789" * 10_000)
    with open(f, "rb") as fh:
        fh.read(10)
        c.post("/images/load", body=fh).read()
    c.post("/images/load", body=io.BytesIO(b"pipe-like")).read()
    build, load, load2 = d.requests[1:]
    assert build.headers["transfer-encoding"] == "chunked" and build.body == b"abcdefg"
    assert (
        load.headers["content-length"] == str(99_990) and load.body == (b"0123456789" * 10_000)[10:]
    )
    assert load2.headers["transfer-encoding"] == "chunked" and load2.body == b"pipe-like"


def test_stale_keepalive_connection_is_replaced(serve) -> None:  # type: ignore[no-untyped-def]
    def answer(r: Request) -> bytes | None:
        return response(body=b"{}")

    d = serve(ping_then(answer))
    c = Client(d.host)
    c.get("/a").read()
    assert c._idle is not None
    c._idle.sock.shutdown(socket.SHUT_RDWR)  # as if the daemon had timed it out
    assert c.get("/b").json() == {}
    assert d.connections == 2


def test_hijack_returns_the_bytes_behind_the_101(serve) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, bytes] = {}

    def answer(r: Request) -> bytes | None:
        seen["headers"] = repr(r.headers).encode()
        return (
            b"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
            b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n" + frame(1, b"hello\n")
        )

    d = serve(ping_then(answer))
    h = Client(d.host).hijack(
        "POST", "/containers/x/attach", query={"stream": True, "stdout": True}
    )
    assert h.pending() == len(frame(1, b"hello\n"))
    assert next(demux(h.read)) == (1, b"hello\n")
    req = d.requests[-1]
    assert req.target == "/v1.51/containers/x/attach?stdout=1&stream=1"
    assert req.headers["upgrade"] == "tcp" and req.headers["connection"] == "Upgrade"
    h.close()


def test_hijack_is_a_raw_two_way_stream(sock_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_API_VERSION", "1.51")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)

    def echo() -> None:
        conn, _ = srv.accept()
        f = conn.makefile("rb")
        while f.readline() not in (b"\r\n", b""):
            pass
        conn.sendall(b"HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n")
        data = b""
        while chunk := conn.recv(100):  # until the client's half-close
            data += chunk
        conn.sendall(data.upper())
        conn.close()

    t = threading.Thread(target=echo)
    t.start()
    h = Client(f"unix://{sock_path}").hijack(
        "POST", "/exec/1/start", json={"Detach": False, "Tty": True}
    )
    h.sendall(b"echo hi\n")
    h.close_write()
    out = b""
    while chunk := h.recv():
        out += chunk
    assert out == b"ECHO HI\n"
    h.close()
    t.join(5)
    srv.close()


def test_hijack_error_raises_the_kind(serve) -> None:  # type: ignore[no-untyped-def]
    d = serve(
        ping_then(
            lambda r: response(
                409,
                b'{"message":"container x is not running"}',
                headers={"Content-Type": "application/json"},
            )
        )
    )
    with pytest.raises(errdefs.Conflict, match="container x is not running"):
        Client(d.host).hijack("POST", "/containers/x/attach")


def test_missing_socket_is_dockers_cannot_connect(tmp_path: Path) -> None:
    c = Client(f"unix://{tmp_path}/nope.sock")
    with pytest.raises(errors.ConnectionFailed) as info:
        c.get("/version")
    assert str(info.value) == (
        f"Cannot connect to the dockyard daemon at unix://{tmp_path}/nope.sock. "
        "Is the daemon running?"
    )
    assert isinstance(info.value, errdefs.Unavailable)


def test_refused_tcp_is_dockers_cannot_connect() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(
        errors.ConnectionFailed,
        match=f"^Cannot connect to the dockyard daemon at tcp://127.0.0.1:{port}\\.",
    ):
        Client(f"tcp://127.0.0.1:{port}").get("/version")


def test_permission_denied_uses_dockers_wording(tmp_path: Path) -> None:
    c = Client("unix:///run/x.sock")
    err = c._io_error(
        PermissionError(13, "Permission denied"), "GET", "/v1.51/version", connecting=True
    )
    assert str(err) == (
        "permission denied while trying to connect to the dockyard daemon socket at "
        'unix:///run/x.sock: Get "http://%2Frun%2Fx.sock/v1.51/version": dial unix /run/x.sock: '
        "connect: permission denied"
    )


def test_tcp_client_speaks_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_API_VERSION", "1.51")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got: list[bytes] = []

    def one() -> None:
        conn, _ = srv.accept()
        got.append(conn.recv(4096))
        conn.sendall(response(body=b'{"Version":"x"}'))
        conn.close()

    t = threading.Thread(target=one)
    t.start()
    assert Client(f"tcp://127.0.0.1:{port}").get("/version").json() == {"Version": "x"}
    t.join(5)
    srv.close()
    assert got[0].startswith(b"GET /v1.51/version HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % port)
