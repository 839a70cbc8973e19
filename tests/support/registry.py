"""Debian's docker-registry (distribution v2.8) on 127.0.0.1, and images pushed into it by skopeo.

Registry variants (each a `Registry`, started by `start_registry`):

- plain HTTP;
- TLS, with a CA and a server certificate for 127.0.0.1/localhost made here (`make_tls`);
- TLS + htpasswd basic auth (`htpasswd -Bbn`);
- token auth: `TokenServer` is a small http.server on 127.0.0.1 issuing RS256 JWTs whose
  header carries the signing certificate (x5c); that certificate is the registry's
  `auth.token.rootcertbundle`, which is how distribution decides to trust a token.

Images are built by hand (tarfile + json) into an OCI layout (`OCILayout`) and copied into a
registry with `skopeo copy`, so the registry's content never depends on the code under test.
Every registry is stopped by its PID; its temporary directory is the caller's to remove.
"""

from __future__ import annotations

import base64
import datetime
import gzip
import hashlib
import io
import ipaddress
import json
import os
import secrets
import signal
import socket
import subprocess
import tarfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from dockyard.distribution.client import RegistryClient

T = TypeVar("T")

REGISTRY = "/usr/bin/docker-registry"
SKOPEO = "/usr/bin/skopeo"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- TLS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TLSFiles:
    """A test CA and a server certificate it signed, for 127.0.0.1 and localhost."""

    ca_cert: Path
    server_cert: Path
    server_key: Path

    def certs_dir(self, base: Path, host: str) -> Path:
        """A certs.d-style directory: base/<host>/ca.crt (also skopeo's --cert-dir)."""
        directory = base / host
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "ca.crt").write_bytes(self.ca_cert.read_bytes())
        return base


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
    key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
    decipher_only=False,
)  # fmt: skip


def make_tls(directory: Path) -> TLSFiles:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("dockyard test CA"))
        .issuer_name(_name("dockyard test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(san, critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TLSFiles(
        ca_cert=directory / "ca.crt",
        server_cert=directory / "server.crt",
        server_key=directory / "server.key",
    )
    files.ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.server_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


# -- token server ---------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """A distribution token server (docs/spec/auth/token.md) for tests.

    GET /token?service=&scope=...&account= with Basic credentials of a known user answers
    {"token", "access_token", "expires_in", "issued_at"}: an RS256 JWT granting every action
    asked for. Unknown or missing credentials get 401. `requests` records what was asked.
    """

    SERVICE = "dockyard-test-registry"
    ISSUER = "dockyard-test-issuer"

    def __init__(self, directory: Path, users: Mapping[str, str]) -> None:
        self.users = dict(users)
        self.requests: list[dict[str, Any]] = []
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.UTC)
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(_name("dockyard test token signer"))
            .issuer_name(_name("dockyard test token signer"))
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.bundle = directory / "token-signer.crt"
        self.bundle.write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> TokenServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        user = self._user(handler.headers.get("Authorization", ""))
        scopes = query.get("scope", [])
        self.requests.append(
            {"user": user, "scopes": scopes, "service": query.get("service", [""])[0]}
        )
        if user is None:
            body = json.dumps({"details": "incorrect username or password"}).encode()
            handler.send_response(401)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        token = self.sign(user, scopes)
        body = json.dumps(
            {
                "token": token,
                "access_token": token,
                "expires_in": 300,
                "issued_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        ).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _user(self, header: str) -> str | None:
        if not header.startswith("Basic "):
            return None
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return username if self.users.get(username) == password else None

    def sign(self, subject: str, scopes: Sequence[str]) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {
            "typ": "JWT",
            "alg": "RS256",
            "x5c": [base64.b64encode(self._cert.public_bytes(serialization.Encoding.DER)).decode()],
        }
        claims = {
            "iss": self.ISSUER,
            "sub": subject,
            "aud": self.SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = (
            _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        )
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64url(signature)


# -- the registry ---------------------------------------------------------------------------


@dataclass
class Registry:
    """One docker-registry process and its storage; restartable on the same port."""

    base: Path
    port: int
    tls: TLSFiles | None = None
    users: dict[str, str] = field(default_factory=dict)
    token: TokenServer | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def storage(self) -> Path:
        return self.base / "storage"

    @property
    def log(self) -> Path:
        return self.base / "registry.log"

    def blob_data(self, digest: str) -> Path:
        """Where the filesystem driver keeps a blob's bytes."""
        hex_ = digest.split(":", 1)[1]
        return self.storage / "docker/registry/v2/blobs/sha256" / hex_[:2] / hex_ / "data"

    def write_config(self) -> Path:
        lines = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.storage}",
            "  delete:",
            "    enabled: true",
            "  maintenance:",
            "    uploadpurging:",
            "      enabled: false",
            "http:",
            f"  addr: 127.0.0.1:{self.port}",
            f"  secret: {secrets.token_hex(16)}",
        ]
        if self.tls is not None:
            lines += [
                "  tls:",
                f"    certificate: {self.tls.server_cert}",
                f"    key: {self.tls.server_key}",
            ]
        if self.token is not None:
            lines += [
                "auth:",
                "  token:",
                f"    realm: {self.token.realm}",
                f"    service: {TokenServer.SERVICE}",
                f"    issuer: {TokenServer.ISSUER}",
                f"    rootcertbundle: {self.token.bundle}",
            ]
        elif self.users:
            htpasswd = self.base / "htpasswd"
            htpasswd.write_text(
                "".join(
                    subprocess.run(
                        ["htpasswd", "-Bbn", user, password],
                        check=True, capture_output=True, text=True,
                    ).stdout.strip() + "\n"
                    for user, password in self.users.items()
                )
            )  # fmt: skip
            lines += ["auth:", "  htpasswd:", "    realm: basic-realm", f"    path: {htpasswd}"]
        config = self.base / "config.yml"
        config.write_text("\n".join(lines) + "\n")
        return config

    def start(self) -> Registry:
        config = self.write_config()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [REGISTRY, "serve", str(config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        assert self.proc is not None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited {self.proc.returncode}:\n{self.tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"docker-registry did not listen on {self.host}:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the registry by its PID (mid-transfer, for resume tests)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def skopeo_dest(self, *, creds: tuple[str, str] | None = None) -> list[str]:
        args = ["--dest-tls-verify=false"]
        if creds is None and self.users:
            creds = next(iter(self.users.items()))
        if creds is not None:
            args.append(f"--dest-creds={creds[0]}:{creds[1]}")
        return args

    def skopeo_src(self) -> list[str]:
        args = ["--tls-verify=false"]
        if self.users:
            user, password = next(iter(self.users.items()))
            args.append(f"--creds={user}:{password}")
        return args

    def push_layout(
        self, layout: Path, name: str, repo_tag: str, *, all_platforms: bool = False,
        docker_format: bool = False,
    ) -> None:  # fmt: skip
        """skopeo copy oci:<layout>:<name> docker://<host>/<repo_tag>."""
        argv = [SKOPEO, "--insecure-policy", "copy", "--quiet", *self.skopeo_dest()]
        if all_platforms:
            argv.append("--all")
        if docker_format:
            argv.append("--format=v2s2")
        argv += [f"oci:{layout}:{name}", f"docker://{self.host}/{repo_tag}"]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"skopeo copy failed: {proc.stderr}\nregistry: {self.tail()}")

    def inspect(self, repo_tag: str, *, raw: bool = False) -> Any:
        """skopeo inspect [--raw] docker://<host>/<repo_tag>, parsed."""
        argv = [SKOPEO, "inspect", *self.skopeo_src()]
        if raw:
            argv.append("--raw")
        argv.append(f"docker://{self.host}/{repo_tag}")
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError(f"skopeo inspect failed: {proc.stderr}")
        return json.loads(proc.stdout)

    def catalog_get(self, path: str) -> bytes:
        """A GET against an unauthenticated plain-HTTP registry (test assertions)."""
        with urllib.request.urlopen(f"http://{self.host}{path}", timeout=10) as resp:
            data: bytes = resp.read()
            return data


@contextmanager
def running_registry(
    base: Path,
    *,
    tls: bool = False,
    users: Mapping[str, str] | None = None,
    token_users: Mapping[str, str] | None = None,
) -> Iterator[Registry]:
    """A started registry under `base`; stopped (by PID) on exit, even after a failure."""
    base.mkdir(parents=True, exist_ok=True)
    token = TokenServer(base, token_users).start() if token_users else None
    registry = Registry(
        base=base,
        port=free_port(),
        tls=make_tls(base / "tls") if tls else None,
        users=dict(users or token_users or {}),
        token=token,
    )
    try:
        registry.start()
        yield registry
    finally:
        registry.stop()
        if token is not None:
            token.stop()


# -- images ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    digest: str
    size: int
    diff_id: str
    media_type: str


@dataclass(frozen=True)
class Image:
    """An image written into a layout: its manifest and what it points at."""

    manifest_digest: str
    manifest_size: int
    config_digest: str
    layers: tuple[Layer, ...]
    platform: tuple[str, str, str]


Files = Mapping[str, bytes]


def layer_tar(files: Files) -> bytes:
    """An uncompressed layer tar of regular files (parents added as directories)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        seen: set[str] = set()
        for name in sorted(files):
            parts = name.split("/")
            for i in range(1, len(parts)):
                directory = "/".join(parts[:i])
                if directory not in seen:
                    seen.add(directory)
                    info = tarfile.TarInfo(directory)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_700_000_000
                    tar.addfile(info)
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class OCILayout:
    """An OCI image layout directory, written by hand."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self._refs: list[dict[str, Any]] = []

    def blob(self, data: bytes) -> str:
        digest = sha256(data)
        path = self.root / "blobs" / "sha256" / digest.split(":")[1]
        if not path.exists():
            path.write_bytes(data)
        return digest

    def image(
        self,
        layers: Sequence[Files | bytes],
        *,
        platform: tuple[str, str, str] = ("linux", "amd64", ""),
        compress: bool = True,
        compresslevel: int = 1,
        config_extra: Mapping[str, Any] | None = None,
    ) -> Image:
        """An image of `layers` (file maps, or ready tar bytes); gzip unless not `compress`."""
        written = []
        for files in layers:
            tar = files if isinstance(files, bytes) else layer_tar(files)
            blob = gzip.compress(tar, compresslevel=compresslevel, mtime=0) if compress else tar
            written.append(
                Layer(
                    digest=self.blob(blob),
                    size=len(blob),
                    diff_id=sha256(tar),
                    media_type=OCI_LAYER_GZIP if compress else OCI_LAYER,
                )
            )
        os_name, arch, variant = platform
        config: dict[str, Any] = {
            "architecture": arch,
            "os": os_name,
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in written]},
            "history": [{"created_by": f"layer {i}"} for i in range(len(written))],
        }
        if variant:
            config["variant"] = variant
        config.update(config_extra or {})
        config_bytes = json.dumps(config).encode()
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": OCI_CONFIG,
                "digest": self.blob(config_bytes),
                "size": len(config_bytes),
            },
            "layers": [
                {"mediaType": layer.media_type, "digest": layer.digest, "size": layer.size}
                for layer in written
            ],
        }
        manifest_bytes = json.dumps(manifest).encode()
        return Image(
            manifest_digest=self.blob(manifest_bytes),
            manifest_size=len(manifest_bytes),
            config_digest=sha256(config_bytes),
            layers=tuple(written),
            platform=platform,
        )

    def index(self, images: Sequence[Image]) -> tuple[str, int]:
        """An image index over `images` (their platforms in the entries)."""
        entries = []
        for image in images:
            os_name, arch, variant = image.platform
            platform = {"architecture": arch, "os": os_name}
            if variant:
                platform["variant"] = variant
            entries.append(
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": image.manifest_digest,
                    "size": image.manifest_size,
                    "platform": platform,
                }
            )
        data = json.dumps(
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        ).encode()
        return self.blob(data), len(data)

    def tag(self, name: str, digest: str, size: int, *, media_type: str = OCI_MANIFEST) -> None:
        """Name a manifest or index in index.json (what oci:<dir>:<name> refers to)."""
        self._refs = [
            r for r in self._refs if r["annotations"]["org.opencontainers.image.ref.name"] != name
        ]
        self._refs.append(
            {
                "mediaType": media_type,
                "digest": digest,
                "size": size,
                "annotations": {"org.opencontainers.image.ref.name": name},
            }
        )
        (self.root / "index.json").write_text(
            json.dumps({"schemaVersion": 2, "manifests": self._refs})
        )


def with_client(fn: Callable[[RegistryClient], Awaitable[T]]) -> T:
    """Run `fn(client)` with a fresh RegistryClient in a fresh event loop (sync tests)."""
    import asyncio

    async def main() -> T:
        async with RegistryClient() as client:
            return await fn(client)

    return asyncio.run(main())
