"""Basic auth over TLS (htpasswd), certificate trust from certs.d, and token auth."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.content.local import LocalStore
from dockyard.distribution.auth import logout
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.credentials import DockerConfig
from dockyard.distribution.hosts import RegistryHosts
from dockyard.distribution.pull import Pulled, pull
from dockyard.distribution.push import push
from dockyard.images.reference import parse
from tests.integration.distribution.conftest import USERS, Images
from tests.support.registry import (
    OCI_CONFIG,
    OCI_LAYER_GZIP,
    OCI_MANIFEST,
    Registry,
    layer_tar,
)

pytestmark = [pytest.mark.root, pytest.mark.integration]
USER, PASSWORD = next(iter(USERS.items()))


def _config(directory: Path, host: str, password: str) -> DockerConfig:
    directory.mkdir(parents=True, exist_ok=True)
    auth = base64.b64encode(f"{USER}:{password}".encode()).decode()
    (directory / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return DockerConfig(str(directory))


def _pull(tmp_path: Path, ref: str, **client_options: Any) -> Pulled:
    async def main() -> Pulled:
        async with RegistryClient(**client_options) as client:
            (pulled,) = await pull(
                parse(ref),
                client=client,
                content=LocalStore(str(tmp_path / "content")),
                snapshotter=None,
            )
            return pulled

    return asyncio.run(main())


def test_basic_auth_over_tls(
    tmp_path: Path,
    basic_registry: Registry,
    images: Images,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ref = f"{basic_registry.host}/secure/app:v1"
    with pytest.raises(errdefs.FailedPrecondition, match="unauthorized: authentication required"):
        _pull(tmp_path, ref)
    wrong = _config(tmp_path / "wrong", basic_registry.host, "not-it")
    with pytest.raises(errdefs.FailedPrecondition, match="unauthorized: authentication required"):
        _pull(tmp_path, ref, credentials=wrong.get)
    # The right password, from the config.json that $DOCKER_CONFIG names.
    _config(tmp_path / "right", basic_registry.host, PASSWORD)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "right"))
    pulled = _pull(tmp_path, ref, credentials=DockerConfig().get)
    assert pulled.manifest_digest == images.multi.manifest_digest


def test_login_checks_the_password_before_storing_it(
    tmp_path: Path, basic_registry: Registry
) -> None:
    config = DockerConfig(str(tmp_path / "cfg"))

    async def login(password: str) -> str:
        async with RegistryClient() as client:
            result = await client.login(basic_registry.host, USER, password, config=config)
            return result.status

    with pytest.raises(errdefs.FailedPrecondition, match="401 Unauthorized"):
        asyncio.run(login("nope"))
    assert not Path(config.path).exists()
    assert asyncio.run(login(PASSWORD)) == "Login Succeeded"
    stored = json.loads(Path(config.path).read_text())["auths"][basic_registry.host]["auth"]
    assert base64.b64decode(stored).decode() == f"{USER}:{PASSWORD}"
    assert _pull(tmp_path, f"{basic_registry.host}/secure/app:v1", credentials=config.get)
    assert asyncio.run(logout(basic_registry.host, config=config)) == (
        f"Removing login credentials for {basic_registry.host}"
    )
    assert asyncio.run(logout(basic_registry.host, config=config)).startswith("Not logged in")
    with pytest.raises(errdefs.FailedPrecondition, match="unauthorized"):
        _pull(tmp_path / "again", f"{basic_registry.host}/secure/app:v1", credentials=config.get)


def test_tls_is_verified_against_the_certs_d_ca(
    tmp_path: Path, basic_registry: Registry, images: Images
) -> None:
    assert basic_registry.tls is not None
    config = _config(tmp_path / "cfg", basic_registry.host, PASSWORD)
    ref = f"{basic_registry.host}/secure/app:v1"
    strict = RegistryHosts(loopback_insecure=False, certs_dirs=[str(tmp_path / "empty")])
    with pytest.raises(errdefs.Unavailable, match="certificate verify failed"):
        _pull(tmp_path, ref, hosts=strict, credentials=config.get, retries=0)
    certs = basic_registry.tls.certs_dir(tmp_path / "certs.d", basic_registry.host)
    trusted = RegistryHosts(loopback_insecure=False, certs_dirs=[str(certs)])
    (endpoint,) = trusted.endpoints(basic_registry.host)
    assert endpoint.verifies_certificates
    pulled = _pull(tmp_path, ref, hosts=trusted, credentials=config.get)
    assert pulled.manifest_digest == images.multi.manifest_digest


def test_token_auth(tmp_path: Path, token_registry: Registry, images: Images) -> None:
    assert token_registry.token is not None
    ref = f"{token_registry.host}/tok/app:v1"
    wrong = _config(tmp_path / "wrong", token_registry.host, "not-it")
    with pytest.raises(errdefs.FailedPrecondition, match="incorrect username or password"):
        _pull(tmp_path, ref, credentials=wrong.get)
    config = _config(tmp_path / "cfg", token_registry.host, PASSWORD)
    token_registry.token.requests.clear()
    pulled = _pull(tmp_path, ref, credentials=config.get)
    assert pulled.manifest_digest == images.multi.manifest_digest
    # One token for the whole pull: cached per scope, sent up front after the challenge.
    assert token_registry.token.requests == [
        {"user": USER, "scopes": ["repository:tok/app:pull"], "service": "dockyard-test-registry"}
    ]

    async def push_copy() -> str:
        async with RegistryClient(credentials=config.get) as client:
            return await push(
                parse(f"{token_registry.host}/tok/copy:v1"),
                client=client,
                content=LocalStore(str(tmp_path / "content")),
                manifest_digest=pulled.manifest_digest,
            )

    assert asyncio.run(push_copy()) == pulled.manifest_digest
    scopes = [sorted(r["scopes"]) for r in token_registry.token.requests[1:]]
    assert ["repository:tok/app:pull", "repository:tok/copy:pull,push"] in scopes  # mounts


def test_token_auth_uploads(tmp_path: Path, token_registry: Registry) -> None:
    """A locally made image (no source labels, so nothing to mount) goes up blob by blob."""
    content = LocalStore(str(tmp_path / "content"))
    layer = content.put(gzip.compress(layer_tar({"hello": os.urandom(300_000)}), mtime=0))
    config_bytes = json.dumps({"os": "linux", "architecture": "amd64"}).encode()
    config = content.put(config_bytes)
    manifest = content.put(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config, "size": len(config_bytes)},
                "layers": [
                    {
                        "mediaType": OCI_LAYER_GZIP,
                        "digest": layer,
                        "size": content.info(layer).size,
                    }
                ],
            }
        ).encode()
    )
    config_doc = _config(tmp_path / "cfg", token_registry.host, PASSWORD)

    async def push_fresh() -> str:
        async with RegistryClient(credentials=config_doc.get, upload_chunk_size=100_000) as c:
            return await push(
                parse(f"{token_registry.host}/tok/fresh:v1"),
                client=c,
                content=content,
                manifest_digest=manifest,
            )

    assert asyncio.run(push_fresh()) == manifest
    assert token_registry.inspect("tok/fresh:v1")["Layers"] == [layer]


def test_per_request_credentials_share_the_connections(
    tmp_path: Path, basic_registry: Registry, images: Images
) -> None:
    """The daemon's case: one client, each pull with its own X-Registry-Auth."""
    right = _config(tmp_path / "cfg", basic_registry.host, PASSWORD)
    ref = parse(f"{basic_registry.host}/secure/app:v1")

    async def main() -> None:
        async with RegistryClient() as shared:
            with_auth = shared.with_credentials(right.get)
            assert (await with_auth.resolve(ref)).digest == images.multi.manifest_digest
            await with_auth.close()
            assert with_auth.transport.session is shared.transport.session
            assert not shared.transport.session.closed
            with pytest.raises(errdefs.FailedPrecondition, match="unauthorized"):
                await shared.resolve(ref)

    asyncio.run(main())
