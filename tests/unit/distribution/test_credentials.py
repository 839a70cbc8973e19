"""config.json credentials and docker-credential-* helpers, as the docker CLI keeps them."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
from pathlib import Path

import pytest

from dockyard.distribution.credentials import INDEX_SERVER, AuthConfig, DockerConfig


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def _write(directory: Path, document: dict[str, object]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(document))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_auths_entries_are_found_by_host_however_the_key_is_spelt(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "auths": {
                "https://reg.lan:5000/v1/": {"auth": _b64("bob:pa:ss")},
                INDEX_SERVER: {"auth": _b64("hubuser:"), "identitytoken": "refresh-me"},
            }
        },
    )
    config = DockerConfig(str(tmp_path))
    assert run(config.get("reg.lan:5000")) == AuthConfig(username="bob", password="pa:ss")
    assert run(config.get("docker.io")) == AuthConfig(
        username="hubuser", identity_token="refresh-me"
    )
    assert run(config.get("other.lan")) is None


def test_docker_config_env_names_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    assert DockerConfig().path == str(tmp_path / "cfg" / "config.json")


def test_store_and_erase_keep_other_settings_and_a_private_mode(tmp_path: Path) -> None:
    _write(tmp_path, {"psFormat": "table {{.ID}}", "auths": {"https://reg.lan/v1/": {}}})
    config = DockerConfig(str(tmp_path))
    run(config.store("reg.lan", AuthConfig(username="alice", password="secret")))
    document = json.loads((tmp_path / "config.json").read_text())
    assert document["psFormat"] == "table {{.ID}}"
    assert document["auths"] == {"reg.lan": {"auth": _b64("alice:secret")}}
    assert stat.S_IMODE(os.stat(tmp_path / "config.json").st_mode) == 0o600
    assert run(config.erase("reg.lan"))
    assert not run(config.erase("reg.lan"))
    assert json.loads((tmp_path / "config.json").read_text())["auths"] == {}


HELPER = """#!/bin/sh
# A docker-credential helper keeping one secret per server in files (a test double).
store="$(dirname "$0")/store"
mkdir -p "$store"
case "$1" in
get)  read -r server; f="$store/$(echo "$server" | tr '/:' '__')"
      [ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }
      cat "$f" ;;
store) payload="$(cat)"; server=$(echo "$payload" | sed 's/.*"ServerURL": *"\\([^"]*\\)".*/\\1/')
      echo "$payload" > "$store/$(echo "$server" | tr '/:' '__')" ;;
erase) read -r server; rm -f "$store/$(echo "$server" | tr '/:' '__')" ;;
esac
"""


@pytest.fixture
def helper_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-testhelper"
    helper.write_text(HELPER)
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return bin_dir


@pytest.mark.parametrize("setting", ["credsStore", "credHelpers"])
def test_credential_helpers_get_store_and_erase(
    tmp_path: Path, helper_path: Path, setting: str
) -> None:
    value: object = "testhelper" if setting == "credsStore" else {"reg.lan": "testhelper"}
    _write(tmp_path / "cfg", {setting: value})
    config = DockerConfig(str(tmp_path / "cfg"))
    assert run(config.get("reg.lan")) is None  # "credentials not found" is not an error
    run(config.store("reg.lan", AuthConfig(username="carol", password="s3cret")))
    assert run(config.get("reg.lan")) == AuthConfig(username="carol", password="s3cret")
    document = json.loads((tmp_path / "cfg" / "config.json").read_text())
    assert document["auths"]["reg.lan"] == {}  # the secret lives in the helper only
    assert run(config.erase("reg.lan"))
    assert run(config.get("reg.lan")) is None


def test_identity_tokens_go_to_helpers_as_the_token_user(tmp_path: Path, helper_path: Path) -> None:
    _write(tmp_path / "cfg", {"credsStore": "testhelper"})
    config = DockerConfig(str(tmp_path / "cfg"))
    run(config.store("docker.io", AuthConfig(username="dave", identity_token="tok")))
    stored = json.loads((helper_path / "store" / "https___index.docker.io_v1_").read_text())
    assert stored == {"ServerURL": INDEX_SERVER, "Username": "<token>", "Secret": "tok"}
    assert run(config.get("docker.io")) == AuthConfig(identity_token="tok")
