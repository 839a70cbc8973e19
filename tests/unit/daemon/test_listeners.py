"""The API sockets: unix socket permissions and stale files, TCP with mutual TLS."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import socket
import ssl
import stat
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from dockyard import errdefs
from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.listeners import close_listeners, open_listeners, unix_socket


def test_unix_socket_is_0660_and_replaces_a_stale_one(tmp_path: Path) -> None:
    path = str(tmp_path / "d.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()  # the file stays: a previous daemon's socket
    sock = unix_socket(path, "dockyard")
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
        client = socket.socket(socket.AF_UNIX)
        client.connect(path)
        client.close()
    finally:
        sock.close()


def test_unix_socket_refuses_to_replace_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "d.sock"
    path.write_text("not a socket")
    with pytest.raises(errdefs.FailedPrecondition, match="not a socket"):
        unix_socket(str(path), "dockyard")
    assert path.read_text() == "not a socket"


def test_a_group_named_on_purpose_must_exist(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="group no-such-group-x not found"):
        unix_socket(str(tmp_path / "d.sock"), "no-such-group-x")


def test_close_removes_socket_files(tmp_path: Path) -> None:
    path = tmp_path / "d.sock"
    listeners = open_listeners(DaemonConfig(hosts=(f"unix://{path}",)))
    assert path.exists()
    close_listeners(listeners)
    assert not path.exists()


# -- mutual TLS --------------------------------------------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey, usage: x509.ObjectIdentifier | None,
) -> x509.Certificate:  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    else:
        san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(san), False)
        assert usage is not None
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("test CA", ca_key, None, ca_key, None)
    base.joinpath("ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name, usage in (("server", ExtendedKeyUsageOID.SERVER_AUTH),
                        ("client", ExtendedKeyUsageOID.CLIENT_AUTH)):  # fmt: skip
        key = ec.generate_private_key(ec.SECP256R1())
        _write(base / name, _cert(name, key, ca, ca_key, usage), key)
    return base


async def _ping(request: web.Request) -> web.Response:
    return web.Response(text="OK")


async def _serve_and_get(config: DaemonConfig, client_ssl: ssl.SSLContext) -> int:
    listeners = open_listeners(config)
    app = web.Application()
    app.router.add_get("/_ping", _ping)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        for listener in listeners:
            await web.SockSite(runner, listener.sock, ssl_context=listener.ssl_context).start()
        port = listeners[0].sock.getsockname()[1]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"https://127.0.0.1:{port}/_ping", ssl=client_ssl) as resp,
        ):
            return resp.status
    finally:
        await runner.cleanup()
        close_listeners(listeners)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _tls_config(pki: Path) -> DaemonConfig:
    return DaemonConfig(
        hosts=(f"tcp://127.0.0.1:{_free_port()}",),
        tlsverify=True,
        tlscacert=str(pki / "ca.pem"),
        tlscert=str(pki / "server.pem"),
        tlskey=str(pki / "server.key"),
    )


def _client(pki: Path, *, with_cert: bool) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if with_cert:
        context.load_cert_chain(str(pki / "client.pem"), str(pki / "client.key"))
    return context


def test_tlsverify_accepts_a_client_certificate_from_the_ca(pki: Path) -> None:
    status = asyncio.run(_serve_and_get(_tls_config(pki), _client(pki, with_cert=True)))
    assert status == 200


def test_tlsverify_refuses_a_client_without_certificate(pki: Path) -> None:
    with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
        asyncio.run(_serve_and_get(_tls_config(pki), _client(pki, with_cert=False)))
