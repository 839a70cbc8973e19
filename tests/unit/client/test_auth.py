"""X-Registry-Auth and credential storage, byte for byte against the docker CLI."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import docker.auth
import pytest

from dockyard.client import auth
from dockyard.client.configfile import ConfigFile
from tests.unit.client.fakedaemon import FakeDaemon, Request, response

DOCKER = "/usr/local/bin/docker"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _config(tmp_path: Path, data: dict[str, object]) -> ConfigFile:
    (tmp_path / "config.json").write_text(json.dumps(data))
    return ConfigFile.load(str(tmp_path))


@pytest.mark.parametrize(
    ("ref", "key"),
    [
        ("busybox", "https://index.docker.io/v1/"),
        ("busybox:1.36", "https://index.docker.io/v1/"),
        ("user/app", "https://index.docker.io/v1/"),
        ("docker.io/library/busybox", "https://index.docker.io/v1/"),
        ("index.docker.io/user/app", "https://index.docker.io/v1/"),
        ("localhost/app", "localhost"),
        ("localhost:5000/app@sha256:" + "a" * 64, "localhost:5000"),
        ("registry.example.com/team/app:1", "registry.example.com"),
        ("Upper/app", "Upper"),
    ],
)
def test_server_key_of_a_reference(ref: str, key: str) -> None:
    assert auth.server_key(ref) == key


def test_header_equals_docker_py_for_the_same_auth(tmp_path: Path) -> None:
    config = _config(
        tmp_path, {"auths": {"https://index.docker.io/v1/": {"auth": _b64("me:s3cr<t>&")}}}
    )
    header = auth.registry_auth_header(config, "busybox")
    ours = json.loads(base64.urlsafe_b64decode(header))
    theirs_cfg = docker.auth.load_config(str(tmp_path / "config.json"))
    theirs = docker.auth.resolve_authconfig(theirs_cfg, "docker.io")
    present = {k.lower(): v for k, v in theirs.items() if v is not None}  # Go omits empties
    assert ours == present
    decoded_py = json.loads(base64.urlsafe_b64decode(docker.auth.encode_header(theirs)))
    assert ours == {k.lower(): v for k, v in decoded_py.items() if v is not None}
    assert b"\\u003c" in base64.urlsafe_b64decode(header)  # Go's HTML escaping


def test_no_credentials_no_header(tmp_path: Path) -> None:
    assert auth.registry_auth_header(_config(tmp_path, {}), "busybox") == ""


def test_legacy_key_by_hostname(tmp_path: Path) -> None:
    config = _config(tmp_path, {"auths": {"https://reg.example:5000/v2/": {"auth": _b64("u:p")}}})
    creds = auth.get_credentials(config, "reg.example:5000")
    assert (creds["username"], creds["password"]) == ("u", "p")


def test_store_and_erase_in_config_json(tmp_path: Path) -> None:
    config = _config(tmp_path, {"psFormat": "x"})
    auth.store_credentials(config, auth.login_server(""), "me", "pw")
    auth.store_credentials(config, auth.login_server("https://reg:5000/v2/"), identitytoken="tok")
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved == {
        "psFormat": "x",
        "auths": {
            "https://index.docker.io/v1/": {"auth": _b64("me:pw")},
            "reg:5000": {"identitytoken": "tok"},
        },
    }
    assert stat.S_IMODE((tmp_path / "config.json").stat().st_mode) == 0o600
    assert auth.erase_credentials(config, "reg:5000") is True
    assert auth.erase_credentials(config, "reg:5000") is False
    assert list(json.loads((tmp_path / "config.json").read_text())["auths"]) == [
        "https://index.docker.io/v1/"
    ]


HELPER = """#!{python}
# a docker-credential-helpers program keeping one JSON file per server URL under $STORE
import json, os, sys

data = sys.stdin.read()
action = sys.argv[1]
url = json.loads(data)["ServerURL"] if action == "store" else data.strip()
path = os.path.join(os.environ["STORE"], url.encode().hex())
if action == "store":
    with open(path, "w") as f:
        f.write(data)
elif not os.path.exists(path):
    print("credentials not found in native keychain")
    sys.exit(1)
elif action == "get":
    print(open(path).read())
else:
    os.unlink(path)
"""


@pytest.fixture
def helper(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    prog = bindir / "docker-credential-fake"
    prog.write_text(HELPER.format(python=sys.executable))
    prog.chmod(0o755)
    store = tmp_path / "store"
    store.mkdir()
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    monkeypatch.setenv("STORE", str(store))
    return store


def test_credential_helper_round_trip(tmp_path: Path, helper: Path) -> None:
    config = _config(tmp_path, {"credsStore": "fake"})
    assert auth.registry_auth_header(config, "busybox") == ""
    auth.store_credentials(config, auth.INDEX_SERVER, "me", "pw")
    assert json.loads((tmp_path / "config.json").read_text())["auths"] == {auth.INDEX_SERVER: {}}
    creds = json.loads(base64.urlsafe_b64decode(auth.registry_auth_header(config, "busybox")))
    assert creds == {"username": "me", "password": "pw", "serveraddress": auth.INDEX_SERVER}
    auth.store_credentials(config, "reg:5000", identitytoken="tok")
    assert auth.get_credentials(config, "reg:5000")["identitytoken"] == "tok"
    assert auth.erase_credentials(config, auth.INDEX_SERVER) is True
    assert auth.registry_auth_header(config, "busybox") == ""


@pytest.mark.skipif(not os.access(DOCKER, os.X_OK), reason="no docker CLI")
@pytest.mark.parametrize(
    ("ref", "entry"),
    [
        ("busybox", {"https://index.docker.io/v1/": {"auth": _b64("me:p<w>&d")}}),
        ("localhost:5000/app", {"localhost:5000": {"auth": _b64("u:p"), "identitytoken": "it"}}),
    ],
)
def test_header_bytes_equal_the_docker_clis(
    tmp_path: Path, ref: str, entry: dict[str, object]
) -> None:
    sock = Path("/tmp") / f"dyauth-{os.getpid()}.sock"
    seen: list[Request] = []

    def answer(r: Request) -> bytes:
        seen.append(r)
        return response(body=b"" if r.path == "/_ping" else b'{"status":"done"}\n')

    daemon = FakeDaemon(str(sock), answer)
    try:
        config = _config(tmp_path, {"auths": entry})
        env = {**os.environ, "DOCKER_CONFIG": str(tmp_path), "DOCKER_HOST": daemon.host}
        subprocess.run([DOCKER, "pull", "-q", ref], env=env, capture_output=True, timeout=30)
    finally:
        daemon.close()
    pulls = [r for r in seen if r.path.endswith("/images/create")]
    assert pulls, [r.target for r in seen]
    assert auth.registry_auth_header(config, ref) == pulls[0].headers["x-registry-auth"]
