"""tcp:// with TLS: --tlsverify checks the daemon against ca.pem, --tls trusts any; the
client's certificate is presented when the daemon asks for one."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from dockyard.client import errors
from dockyard.client.transport import Client, TLSConfig
from tests.unit.client.fakedaemon import response

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def _self_signed(d: Path, name: str) -> tuple[Path, Path]:
    cert, key = d / f"{name}.pem", d / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def _tls_daemon(cert: Path, key: Path, client_ca: Path | None) -> tuple[int, list[str]]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    seen: list[str] = []

    def serve() -> None:
        while True:
            conn, _ = srv.accept()
            try:
                with ctx.wrap_socket(conn, server_side=True) as s:
                    peer = s.getpeercert()
                    seen.append(str(peer.get("subject")) if peer else "")
                    s.recv(65536)
                    s.sendall(response(body=b'{"ok":true}', framing="close"))
            except (ssl.SSLError, OSError):
                seen.append("handshake failed")

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1], seen


def test_tlsverify_with_ca_and_client_cert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_API_VERSION", "1.51")
    server_cert, server_key = _self_signed(tmp_path, "localhost")
    client_cert, client_key = _self_signed(tmp_path, "client")
    port, seen = _tls_daemon(server_cert, server_key, client_ca=client_cert)
    tls = TLSConfig(ca=str(server_cert), cert=str(client_cert), key=str(client_key), verify=True)
    assert Client(f"tcp://127.0.0.1:{port}", tls=tls).get("/version").json() == {"ok": True}
    assert "client" in seen[-1]


def test_tlsverify_refuses_an_unknown_daemon_and_tls_alone_accepts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKYARD_API_VERSION", "1.51")
    server_cert, server_key = _self_signed(tmp_path, "localhost")
    other_ca, _ = _self_signed(tmp_path, "other")
    port, _ = _tls_daemon(server_cert, server_key, client_ca=None)
    strict = Client(f"tcp://127.0.0.1:{port}", tls=TLSConfig(ca=str(other_ca), verify=True))
    with pytest.raises(
        errors.ConnectionFailed, match=r"^error during connect: .*certificate verify"
    ):
        strict.get("/version")
    loose = Client(f"tcp://127.0.0.1:{port}", tls=TLSConfig(ca=str(other_ca), verify=False))
    assert loose.get("/version").json() == {"ok": True}
