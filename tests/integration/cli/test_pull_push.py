"""push to and pull from a local registry (Debian's docker-registry on 127.0.0.1, which
dockyardd and dockerd both treat as insecure), with docker 28's lines."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.dockyardd import Dockyardd
from tests.support.registry import REGISTRY, Registry, running_registry

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    import os

    if not os.access(REGISTRY, os.X_OK):
        pytest.skip(f"{REGISTRY} is not installed")
    with running_registry(tmp_path / "registry") as reg:
        yield reg


def test_push_then_pull_prints_dockers_lines(dockyardd: Dockyardd, registry: Registry) -> None:
    repo = f"{registry.host}/h5/{secrets.token_hex(3)}"
    assert run_cli(dockyardd.host, "tag", "busybox", repo).returncode == 0
    try:
        pushed = run_cli(dockyardd.host, "push", repo)
        assert pushed.returncode == 0, pushed.stderr
        lines = pushed.stdout.splitlines()
        assert lines[0] == "Using default tag: latest"
        assert lines[1] == f"The push refers to repository [{repo}]"
        assert lines[-1].startswith("latest: digest: sha256:") and " size: " in lines[-1]
        quiet = run_cli(dockyardd.host, "push", "-q", repo + ":latest")
        assert quiet.stdout == f"{repo}:latest\n"

        assert run_cli(dockyardd.host, "rmi", repo).returncode == 0
        pulled = run_cli(dockyardd.host, "pull", repo)
        assert pulled.returncode == 0, pulled.stderr
        lines = pulled.stdout.splitlines()
        assert lines[0] == "Using default tag: latest"
        assert lines[1] == f"latest: Pulling from {repo.split('/', 1)[1]}"
        assert f"Status: Downloaded newer image for {repo}:latest" in lines
        assert lines[-1] == f"{repo}:latest"
        again = run_cli(dockyardd.host, "pull", "-q", repo)
        assert again.stdout == f"{repo}:latest\n"
    finally:
        run_cli(dockyardd.host, "rmi", "-f", repo)


def test_pull_all_tags_refuses_a_tag(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "pull", "-a", "busybox:latest")
    assert result.returncode == 1
    assert result.stderr == "tag can't be used with --all-tags/-a\n"


def test_pull_of_an_unknown_repository_fails_cleanly(
    dockyardd: Dockyardd, registry: Registry
) -> None:
    result = run_cli(dockyardd.host, "pull", f"{registry.host}/h5/nosuch")
    assert result.returncode == 1
    assert result.stdout == "Using default tag: latest\n"
    assert result.stderr.startswith("Error response from daemon: ")
