"""-H parsing (docker's opts.ParseHost) and which daemon the flags, env and contexts pick."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.client import contexts
from dockyard.client.configfile import ConfigFile
from dockyard.client.hosts import DEFAULT_HOST, connect, parse_host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", DEFAULT_HOST),
        ("  ", DEFAULT_HOST),
        ("unix://", DEFAULT_HOST),
        ("unix:///tmp/d.sock", "unix:///tmp/d.sock"),
        ("tcp://", "tcp://localhost:2375"),
        ("tcp://host", "tcp://host:2375"),
        ("tcp://host:", "tcp://host:2375"),
        ("tcp://:2376", "tcp://localhost:2376"),
        ("tcp://192.168.1.2:4243", "tcp://192.168.1.2:4243"),
        ("tcp://host:2375/path", "tcp://host:2375/path"),
        ("tcp://[::1]:5555", "tcp://[::1]:5555"),
        ("tcp://[::1]", "tcp://[::1]:2375"),
        ("127.0.0.1:1", "tcp://127.0.0.1:1"),
        (":1", "tcp://localhost:1"),
        ("host", "tcp://host:2375"),
    ],
)
def test_parse_host_as_docker(value: str, expected: str) -> None:
    assert parse_host(value) == expected


def test_parse_host_defaults_to_tls_port_only_when_empty() -> None:
    assert parse_host("", default_to_tls=True) == "tcp://localhost:2376"
    assert parse_host("tcp://h", default_to_tls=True) == "tcp://h:2375"  # as docker


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("foo://x", "invalid bind address format: foo://x"),
        ("unix://tcp://x", "invalid proto, expected unix: tcp://x"),
        ("tcp://h:x", 'parse "tcp://h:x": invalid port ":x" after host'),
        ("tcp://a b", 'parse "tcp://a b": invalid character " " in host name'),
        ("fd://", "unable to parse docker host `fd://`"),
    ],
)
def test_parse_host_refuses_with_dockers_message(value: str, message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument) as info:
        parse_host(value)
    assert str(info.value) == message


def _connect(tmp_path: Path, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = dict(
        hosts=(),
        context="",
        config=ConfigFile.load(str(tmp_path)),
        config_dir=str(tmp_path),
        tls=False,
        tlsverify=False,
        tlscacert="",
        tlscert="",
        tlskey="",
    )
    args.update(kw)
    return connect(**args)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DOCKYARD_HOST", "DOCKYARD_CONTEXT", "DOCKYARD_TLS_VERIFY", "DOCKYARD_CERT_PATH"):
        monkeypatch.delenv(name, raising=False)


def test_resolution_order_flag_env_context_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contexts.create(str(tmp_path), "remote", host="tcp://ctx:2375")
    contexts.create(str(tmp_path), "other", host="unix:///other.sock")
    assert _connect(tmp_path).host == DEFAULT_HOST
    config = ConfigFile.load(str(tmp_path))
    config.current_context = "remote"
    assert _connect(tmp_path, config=config).host == "tcp://ctx:2375"
    monkeypatch.setenv("DOCKYARD_CONTEXT", "other")
    assert _connect(tmp_path, config=config).host == "unix:///other.sock"
    assert _connect(tmp_path, config=config, context="remote").host == "tcp://ctx:2375"
    monkeypatch.setenv("DOCKYARD_HOST", "tcp://env:1")
    assert _connect(tmp_path, config=config).host == "tcp://env:1"
    assert (
        _connect(tmp_path, config=config, hosts=("unix:///flag.sock",)).host == "unix:///flag.sock"
    )


def test_host_and_context_conflict(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="cannot specify both --host and --context"):
        _connect(tmp_path, hosts=("tcp://h:1",), context="x")
    with pytest.raises(errdefs.InvalidArgument, match="specify only one -H"):
        _connect(tmp_path, hosts=("tcp://h:1", "tcp://h:2"))


def test_unknown_context_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(
        errdefs.NotFound,
        match='unable to resolve docker endpoint: context "nope": context not found',
    ):
        _connect(tmp_path, context="nope")


def test_tls_flags_use_cert_path_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=f"open {tmp_path}/ca.pem: no such file"):
        _connect(tmp_path, tls=True, hosts=("tcp://h:2376",))
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "ca.pem").write_text("ca")
    (certs / "cert.pem").write_text("cert")
    monkeypatch.setenv("DOCKYARD_CERT_PATH", str(certs))
    monkeypatch.setenv("DOCKYARD_TLS_VERIFY", "1")
    c = _connect(tmp_path)
    assert c.host == "tcp://localhost:2376"  # TLS and no host: docker's default TLS host
    assert c.tls is not None and c.tls.verify
    assert (c.tls.ca, c.tls.cert, c.tls.key) == (str(certs / "ca.pem"), str(certs / "cert.pem"), "")
    monkeypatch.delenv("DOCKYARD_TLS_VERIFY")
    c = _connect(tmp_path, tls=True, hosts=("tcp://h:1",))
    assert c.tls is not None and not c.tls.verify


def test_context_tls_and_skip_verify(tmp_path: Path) -> None:
    contexts.create(str(tmp_path), "sec", host="tcp://s:2376", tls={"ca.pem": b"CA"})
    contexts.create(str(tmp_path), "skip", host="tcp://k:2376", skip_tls_verify=True)
    contexts.create(str(tmp_path), "plain", host="tcp://p:2375")
    sec = _connect(tmp_path, context="sec")
    assert sec.tls is not None and sec.tls.verify and sec.tls.ca.endswith("/docker/ca.pem")
    skip = _connect(tmp_path, context="skip")
    assert skip.tls is not None and not skip.tls.verify
    assert _connect(tmp_path, context="plain").tls is None
