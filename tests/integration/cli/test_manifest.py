"""`dockyard manifest` against a local docker-registry, side by side with docker 28's own.

The registry (Debian's docker-registry on 127.0.0.1, tests/support/registry.py) holds two
single-platform images pushed by skopeo from a hand-made OCI layout, in docker's schema2
format (img:amd64, img:arm64) and as OCI (oci:amd64), plus a two-platform OCI index and
docker manifest list. Both CLIs talk to the registry directly (the daemon is not involved),
each with its own config dir; their outputs, exit statuses, error messages and local
manifest stores must be byte for byte the same. The lists we push are read back with skopeo.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.registry import SKOPEO, OCILayout, Registry, running_registry

pytestmark = [pytest.mark.root, pytest.mark.integration]

DOCKER = "/usr/local/bin/docker"  # docker 28: the manifest commands we follow
UNUSED_HOST = "unix:///nonexistent.sock"  # manifest commands never talk to a daemon


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    if not os.access(DOCKER, os.X_OK) or not os.access(SKOPEO, os.X_OK):
        pytest.skip(f"needs {DOCKER} and {SKOPEO}")
    base = tmp_path_factory.mktemp("registry")
    with running_registry(base) as reg:
        layout = OCILayout(base / "layout")
        amd = layout.image([{"bin/hello": b"amd64\n"}], platform=("linux", "amd64", ""))
        arm = layout.image([{"bin/hello": b"arm64\n"}], platform=("linux", "arm64", "v8"))
        layout.tag("amd", amd.manifest_digest, amd.manifest_size)
        layout.tag("arm", arm.manifest_digest, arm.manifest_size)
        digest, size = layout.index([amd, arm])
        layout.tag("idx", digest, size, media_type="application/vnd.oci.image.index.v1+json")
        reg.push_layout(layout.root, "amd", "img:amd64", docker_format=True)
        reg.push_layout(layout.root, "arm", "img:arm64", docker_format=True)
        reg.push_layout(layout.root, "amd", "oci:amd64")
        reg.push_layout(layout.root, "idx", "multi:latest", all_platforms=True)
        reg.push_layout(layout.root, "idx", "mlist:latest", all_platforms=True, docker_format=True)
        yield reg


class Pair:
    """Our CLI and docker's, each with its own config dir (so its own manifest store)."""

    def __init__(self, tmp: Path) -> None:
        self.ours = tmp / "dockyard"
        self.theirs = tmp / "docker"
        self.ours.mkdir()
        self.theirs.mkdir()

    def dockyard(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(UNUSED_HOST, *args, config_dir=self.ours)

    def docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["DOCKER_CONFIG"] = str(self.theirs)
        return subprocess.run(
            [DOCKER, *args], env=env, capture_output=True, text=True, timeout=60, check=False
        )

    def both(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run both; assert the same stdout, stderr and exit status; ours is returned."""
        ours, theirs = self.dockyard(*args), self.docker(*args)
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), args
        assert ours.stderr == theirs.stderr, args
        return ours

    def stores(self) -> tuple[dict[str, str], dict[str, str]]:
        def read(root: Path) -> dict[str, str]:
            top = root / "manifests"
            if not top.is_dir():
                return {}
            return {str(p.relative_to(top)): p.read_text() for p in top.rglob("*") if p.is_file()}

        return read(self.ours), read(self.theirs)


@pytest.fixture
def pair(tmp_path: Path) -> Pair:
    return Pair(tmp_path)


@pytest.mark.parametrize("name", ["img:amd64", "oci:amd64", "multi:latest", "mlist", "nope:1"])
@pytest.mark.parametrize("verbose", [[], ["-v"]])
def test_inspect_remote_matches_docker(
    registry: Registry, pair: Pair, name: str, verbose: list[str]
) -> None:
    result = pair.both("manifest", "inspect", "--insecure", *verbose, f"{registry.host}/{name}")
    assert result.returncode == (1 if name.startswith("nope") else 0)


def test_inspect_by_digest_matches_docker(registry: Registry, pair: Pair) -> None:
    digest = registry.inspect("img:amd64")["Digest"]
    pair.both("manifest", "inspect", "--insecure", f"{registry.host}/img@{digest}")
    pair.both("manifest", "inspect", "--insecure", f"{registry.host}/img@sha256:{'0' * 64}")


def test_plain_http_registry_needs_insecure_for_reads(registry: Registry, pair: Pair) -> None:
    result = pair.both("manifest", "inspect", f"{registry.host}/img:amd64")
    assert result.returncode == 1
    assert result.stderr == f"no such manifest: {registry.host}/img:amd64\n"


def test_create_annotate_push_matches_docker_and_skopeo_reads_it(
    registry: Registry, pair: Pair
) -> None:
    host = registry.host
    target = f"{host}/list-{secrets.token_hex(3)}:v1"
    pair.both("manifest", "create", target, f"{host}/img:amd64")  # no --insecure: refused
    created = pair.both("manifest", "create", "--insecure", target, f"{host}/img:amd64")
    assert created.stdout == f"Created manifest list {target}\n"
    refused = pair.both("manifest", "create", "--insecure", target, f"{host}/img:arm64")
    assert refused.stderr == "refusing to amend an existing manifest list with no --amend flag\n"
    pair.both("manifest", "create", "--insecure", "--amend", target, f"{host}/img:arm64")
    pair.both(
        "manifest", "annotate", target, f"{host}/img:arm64",
        "--os-features", "a,b", "--os-features", "c", "--os-version", "1.2", "--variant", "v9",
    )  # fmt: skip
    pair.both("manifest", "annotate", target, f"{host}/img:arm64", "--arch", "nonsense")
    pair.both("manifest", "annotate", target, f"{host}/img:nope", "--arch", "arm")
    ours, theirs = pair.stores()
    assert ours == theirs and len(ours) == 2
    pair.both("manifest", "inspect", target)
    pair.both("manifest", "inspect", "-v", target)
    pair.both("manifest", "inspect", target, f"{host}/img:arm64")

    pushed = pair.both("manifest", "push", target)
    lines = pushed.stdout.splitlines()
    assert len(lines) == 3 and lines[0].startswith(f"Pushed ref {target.split(':v1')[0]}@")
    listed = json.loads(
        subprocess.run(
            [SKOPEO, "inspect", "--raw", "--tls-verify=false", f"docker://{target}"],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout
    )  # fmt: skip
    assert listed["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json"
    platforms = [m["platform"] for m in listed["manifests"]]
    assert platforms == [
        {"architecture": "amd64", "os": "linux"},
        {
            "architecture": "arm64", "os": "linux", "os.version": "1.2",
            "os.features": ["a", "b", "c"], "variant": "v9",
        },
    ]  # fmt: skip
    # What the registry now serves under the list's name, docker and we read alike.
    pair.both("manifest", "inspect", "--insecure", target)

    pair.both("manifest", "push", "--purge", target)
    assert pair.stores() == ({}, {})
    pair.both("manifest", "push", target)  # gone: No such manifest


def test_push_into_the_same_repository_puts_only_the_list(registry: Registry, pair: Pair) -> None:
    target = f"{registry.host}/img:multi-{secrets.token_hex(3)}"
    pair.both("manifest", "create", "--insecure", target, f"{registry.host}/img:amd64")
    result = pair.both("manifest", "push", target)
    assert result.stdout.startswith("sha256:") and len(result.stdout.splitlines()) == 1


def test_rm_reports_each_missing_list(registry: Registry, pair: Pair) -> None:
    target = f"{registry.host}/rm-{secrets.token_hex(3)}:v1"
    pair.both("manifest", "create", "--insecure", target, f"{registry.host}/img:amd64")
    result = pair.both("manifest", "rm", target, f"{registry.host}/nope:1", "Bad/Name")
    assert result.returncode == 1
    assert pair.stores() == ({}, {})


@pytest.mark.parametrize("kind", ["token", "basic-tls"])
def test_registry_client_authenticates_like_docker(
    tmp_path_factory: pytest.TempPathFactory, kind: str
) -> None:
    """The client alone against distribution's own auth: a Bearer token from the realm, or
    Basic credentials over TLS (certificate unchecked with --insecure)."""
    from dockyard import errdefs
    from dockyard.cli.commands.manifest import store
    from dockyard.client.reference import normalize
    from dockyard.client.registry import RegistryClient
    from dockyard.client.registryauth import AuthConfig

    users = {"alice": "s3cret"}
    options = {"token_users": users} if kind == "token" else {"users": users, "tls": True}
    base = tmp_path_factory.mktemp(f"registry-{kind}")
    with running_registry(base, **options) as reg:  # type: ignore[arg-type]
        layout = OCILayout(base / "layout")
        amd = layout.image([{"f": b"x\n"}], platform=("linux", "amd64", ""))
        layout.tag("amd", amd.manifest_digest, amd.manifest_size)
        reg.push_layout(layout.root, "amd", "private/img:1")
        ref = normalize(f"{reg.host}/private/img:1")
        good = RegistryClient(
            auth=lambda _: AuthConfig(username="alice", password="s3cret"), insecure=True
        )
        image = good.get_manifest(ref)
        assert image.descriptor["digest"] == amd.manifest_digest
        if kind == "token":
            # (docker pushes to a loopback registry over plain http, so not to the TLS one)
            media_type, body = store.build_list(ref.trim(), [image])
            target = normalize(f"{reg.host}/private/img:list")
            assert good.put_manifest(target, media_type, body).startswith("sha256:")
            listed = reg.inspect("private/img:list", raw=True)
            assert listed["manifests"][0]["digest"] == amd.manifest_digest
        # Through both CLIs, with the credentials in config.json as `docker login` writes them.
        (base / "clis").mkdir()
        pair = Pair(base / "clis")
        auth = base64.b64encode(b"alice:s3cret").decode()
        for directory in (pair.ours, pair.theirs):
            (directory / "config.json").write_text(
                json.dumps({"auths": {reg.host: {"auth": auth}}})
            )
        shown = pair.both("manifest", "inspect", "--insecure", f"{reg.host}/private/img:1")
        assert shown.returncode == 0, shown.stderr
        anonymous = RegistryClient(insecure=True)
        with pytest.raises(errdefs.DockyardError):
            anonymous.get_manifest(ref)
