"""login / logout through the daemon's POST /auth against a local docker-registry with
basic auth, credentials kept in config.json as docker keeps them; search answers with the
daemon's error."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.dockyardd import Dockyardd
from tests.support.registry import REGISTRY, Registry, running_registry

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    if not os.access(REGISTRY, os.X_OK):
        pytest.skip(f"{REGISTRY} is not installed")
    with running_registry(tmp_path / "registry", users={"alice": "s3cret"}) as reg:
        yield reg


def _auths(config: Path) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, dict[str, str]]] = json.loads((config / "config.json").read_text())
    return data.get("auths", {})


def test_login_stores_and_logout_erases(
    dockyardd: Dockyardd, registry: Registry, tmp_path: Path
) -> None:
    cfg = tmp_path / "config"
    result = run_cli(
        dockyardd.host, "login", "-u", "alice", "--password-stdin", registry.host,
        input="s3cret\n", config_dir=cfg,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Login Succeeded\n"
    entry = _auths(cfg)[registry.host]
    assert base64.b64decode(entry["auth"]).decode() == "alice:s3cret"

    again = run_cli(dockyardd.host, "login", registry.host, config_dir=cfg)
    assert again.returncode == 0, again.stderr
    assert again.stdout == "Login Succeeded\n"
    assert again.stderr.startswith("Authenticating with existing credentials... [Username: alice]")

    out = run_cli(dockyardd.host, "logout", registry.host, config_dir=cfg)
    assert (out.returncode, out.stdout) == (0, f"Removing login credentials for {registry.host}\n")
    assert registry.host not in _auths(cfg)


def test_login_with_a_wrong_password_fails(
    dockyardd: Dockyardd, registry: Registry, tmp_path: Path
) -> None:
    cfg = tmp_path / "config"
    result = run_cli(
        dockyardd.host, "login", "-u", "alice", "-p", "wrong", registry.host, config_dir=cfg
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n"
        "Error response from daemon: "
    )
    assert not (cfg / "config.json").exists() or registry.host not in _auths(cfg)


def test_login_flag_errors(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "login", "--password-stdin", "localhost:1")
    assert (result.returncode, result.stderr) == (
        1,
        "the --password-stdin option requires --username to be set\n",
    )
    result = run_cli(dockyardd.host, "login", "localhost:1")
    assert (result.returncode, result.stderr) == (
        1,
        "Error: Cannot perform an interactive login from a non TTY device\n",
    )
    result = run_cli(dockyardd.host, "login", "-p", "x", "--password-stdin", "-u", "a")
    assert result.stderr == (
        "conflicting options: cannot specify both --password and --password-stdin\n"
    )


def test_search_prints_the_daemons_error(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "search", "busybox")
    assert result.returncode == 1
    assert result.stderr.startswith("Error response from daemon: ")
