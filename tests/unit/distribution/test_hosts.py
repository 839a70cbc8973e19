"""Which scheme and TLS settings a registry gets (Docker's insecure-registry rules)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.distribution.hosts import RegistryHosts
from tests.support.registry import make_tls


def test_registries_are_https_with_verified_certificates_by_default() -> None:
    (endpoint,) = RegistryHosts().endpoints("registry.example.com:5000")
    assert endpoint.base_url == "https://registry.example.com:5000/v2/"
    assert endpoint.verifies_certificates


def test_docker_hub_is_served_by_registry_1() -> None:
    (endpoint,) = RegistryHosts().endpoints("docker.io")
    assert endpoint.host == "registry-1.docker.io"


@pytest.mark.parametrize("host", ["127.0.0.1:5000", "127.8.9.10", "localhost:5000", "[::1]:5000"])
def test_loopback_registries_are_insecure_as_in_docker(host: str) -> None:
    hosts = RegistryHosts()
    assert hosts.is_insecure(host)
    https, http = hosts.endpoints(host)
    assert (https.scheme, https.verifies_certificates) == ("https", False)
    assert http.base_url == f"http://{host}/v2/"


def test_insecure_registries_by_name_and_by_cidr() -> None:
    hosts = RegistryHosts(insecure_registries=["reg.lan:5000", "10.1.0.0/16"])
    assert hosts.is_insecure("reg.lan:5000")
    assert not hosts.is_insecure("reg.lan:5001")
    assert hosts.is_insecure("10.1.2.3:443")
    assert not hosts.is_insecure("10.2.0.1")
    assert not RegistryHosts(loopback_insecure=False).is_insecure("127.0.0.1:5000")


def test_an_insecure_registry_with_a_scheme_is_refused() -> None:
    with pytest.raises(errdefs.InvalidArgument, match="should not contain"):
        RegistryHosts(insecure_registries=["http://reg.lan"])


def test_mirrors_come_first_for_docker_hub_pulls_only() -> None:
    hosts = RegistryHosts(mirrors=["https://mirror.example/prefix/"])
    mirror, hub = hosts.endpoints("docker.io")
    assert mirror.mirror and mirror.base_url == "https://mirror.example/prefix/v2/"
    assert hub.host == "registry-1.docker.io"
    assert [e.host for e in hosts.endpoints("docker.io", push=True)] == ["registry-1.docker.io"]
    assert [e.host for e in hosts.endpoints("quay.io")] == ["quay.io"]


def test_certs_dir_adds_a_ca_and_a_client_certificate(tmp_path: Path) -> None:
    tls = make_tls(tmp_path / "tls")
    host_dir = tmp_path / "certs.d" / "reg.lan:5000"
    host_dir.mkdir(parents=True)
    (host_dir / "ca.crt").write_bytes(tls.ca_cert.read_bytes())
    (host_dir / "client.cert").write_bytes(tls.server_cert.read_bytes())
    (host_dir / "client.key").write_bytes(tls.server_key.read_bytes())
    hosts = RegistryHosts(certs_dirs=[str(tmp_path / "certs.d")])
    context = hosts.ssl_context("reg.lan:5000", True)
    subjects = [dict(x[0] for x in c["subject"]) for c in context.get_ca_certs()]
    assert {"commonName": "dockyard test CA"} in subjects
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert hosts.ssl_context("reg.lan:5000", True) is context  # made once


def test_a_client_certificate_without_its_key_is_refused(tmp_path: Path) -> None:
    tls = make_tls(tmp_path / "tls")
    host_dir = tmp_path / "certs.d" / "reg.lan"
    host_dir.mkdir(parents=True)
    (host_dir / "client.cert").write_bytes(tls.server_cert.read_bytes())
    hosts = RegistryHosts(certs_dirs=[str(tmp_path / "certs.d")])
    with pytest.raises(errdefs.InvalidArgument, match=r"missing key client\.key"):
        hosts.endpoints("reg.lan")
