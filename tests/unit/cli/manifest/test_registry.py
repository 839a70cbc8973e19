"""The registry client's pieces that need no registry: references, challenges, errors, and
token auth against a small canned registry on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dockyard import errdefs
from dockyard.client import registry, registryauth, registryhttp
from dockyard.client.reference import normalize, parse_named
from dockyard.client.registry import RegistryClient
from dockyard.client.registryauth import AuthConfig


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("busybox", "docker.io/library/busybox:latest"),
        ("user/repo:1", "docker.io/user/repo:1"),
        ("localhost/x", "localhost/x:latest"),
        ("127.0.0.1:5000/a/b@sha256:" + "0" * 64, "127.0.0.1:5000/a/b@sha256:" + "0" * 64),
    ],
)
def test_normalize_like_docker(text: str, full: str) -> None:
    assert str(normalize(text)) == full


def test_bad_references_carry_dockers_words() -> None:
    with pytest.raises(errdefs.InvalidArgument, match=r"repository name \(library/Bad\) must"):
        parse_named("Bad")
    with pytest.raises(errdefs.InvalidArgument, match=r"^invalid reference format$"):
        parse_named("a:b:c")


def test_challenges_and_error_wording() -> None:
    got = registryauth.parse_challenges(
        ['Bearer realm="http://h/token",service="reg",scope="repository:x:pull"']
    )
    assert got == {
        "bearer": {"realm": "http://h/token", "service": "reg", "scope": "repository:x:pull"}
    }
    body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
    err = registryhttp.registry_error(404, body)
    assert str(err) == "manifest unknown: manifest unknown" and err.continuable
    denied = registryhttp.registry_error(403, b'{"errors":[{"code":"DENIED","message":"no"}]}')
    assert not denied.continuable


def test_loopback_registries_are_insecure_by_default() -> None:
    assert registry.is_insecure_domain("127.0.0.1:5000")
    assert registry.is_insecure_domain("localhost:5000")
    assert not registry.is_insecure_domain("registry.example.com")


MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 0, "digest": ""},
    "layers": [],
}
CONFIG = json.dumps({"architecture": "riscv64", "os": "linux"}).encode()
MANIFEST["config"]["digest"] = "sha256:" + hashlib.sha256(CONFIG).hexdigest()  # type: ignore[index]
RAW = json.dumps(MANIFEST).encode()


class Canned:
    """A registry that wants a Bearer token from its own /token, for user "u" / "p"."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Authorization", "")))
                realm = f"http://127.0.0.1:{outer.port}/token"
                if self.path.startswith("/token"):
                    expected = "Basic " + base64.b64encode(b"u:p").decode()
                    if self.headers.get("Authorization") != expected:
                        return self.answer(401, b"{}")
                    return self.answer(200, b'{"token": "T"}')
                if self.headers.get("Authorization") != "Bearer T":
                    challenge = f'Bearer realm="{realm}",service="canned"'
                    return self.answer(401, b"", {"WWW-Authenticate": challenge})
                if self.path == "/v2/":
                    return self.answer(200, b"{}")
                if self.path == "/v2/r/manifests/t":
                    ctype = MANIFEST["mediaType"]
                    return self.answer(200, RAW, {"Content-Type": str(ctype)})
                if self.path.startswith("/v2/r/blobs/"):
                    return self.answer(200, CONFIG)
                body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'
                return self.answer(404, body)

            def answer(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]


@pytest.fixture
def canned() -> Iterator[Canned]:
    c = Canned()
    thread = threading.Thread(target=c.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield c
    finally:
        c.server.shutdown()
        c.server.server_close()
        thread.join(timeout=5)


def test_token_auth_then_manifest_and_platform_from_config(canned: Canned) -> None:
    client = RegistryClient(
        auth=lambda domain: AuthConfig(username="u", password="p"), insecure=True
    )
    image = client.get_manifest(normalize(f"127.0.0.1:{canned.port}/r:t"))
    assert image.raw == RAW and image.kind == "OCIManifest"
    assert image.descriptor["platform"] == {"architecture": "riscv64", "os": "linux"}
    tokens = [path for path, _ in canned.seen if path.startswith("/token")]
    assert tokens and "scope=repository%3Ar%3Apull" in tokens[0]


def test_wrong_credentials_fail_with_the_token_servers_status(canned: Canned) -> None:
    client = RegistryClient(
        auth=lambda domain: AuthConfig(username="u", password="x"), insecure=True
    )
    with pytest.raises(errdefs.DockyardError):
        client.get_manifest(normalize(f"127.0.0.1:{canned.port}/r:t"))


def test_unknown_manifest_is_no_such_manifest(canned: Canned) -> None:
    client = RegistryClient(
        auth=lambda domain: AuthConfig(username="u", password="p"), insecure=True
    )
    ref = normalize(f"127.0.0.1:{canned.port}/r:nope")
    with pytest.raises(errdefs.NotFound, match=f"^no such manifest: {ref}$"):
        client.get_manifest(ref)
