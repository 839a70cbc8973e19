"""`dockyard volume ...` on the session's Debian dockerd (dockyardd does not serve /volumes
yet), with docker 28 on the same daemon as the reference."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator

import pytest

from tests.support.cli import run_cli
from tests.support.dockerd import Docker

pytestmark = [pytest.mark.root, pytest.mark.integration]
DOCKER28 = "/usr/local/bin/docker"


def docker28(d: Docker, *args: str, input: str = "n\n") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOCKER28, *args], env=d.env, input=input, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip


@pytest.fixture
def vol(dockerd: Docker) -> Iterator[str]:
    name = f"t-{secrets.token_hex(3)}"
    yield name
    dockerd("volume", "rm", "-f", name, check=False)


def test_create_with_driver_options_and_labels(dockerd: Docker, vol: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    created = run_cli(
        host, "volume", "create", "-d", "local", "-o", "type=tmpfs", "-o", "device=tmpfs",
        "--label", "h5=yes", vol,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout == f"{vol}\n"
    info = json.loads(dockerd("volume", "inspect", vol).stdout)[0]
    assert info["Labels"] == {"h5": "yes"}
    assert info["Options"] == {"type": "tmpfs", "device": "tmpfs"}


def test_ls_and_inspect_match_docker(dockerd: Docker, vol: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    assert run_cli(host, "volume", "create", vol).returncode == 0
    for args in (
        ["volume", "ls"],
        ["volume", "ls", "-q"],
        ["volume", "ls", "--filter", f"name={vol}", "--format", "{{.Name}} {{.Driver}}"],
        ["volume", "inspect", vol],
        ["volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Mountpoint}}", vol],
    ):
        ours, theirs = run_cli(host, *args), docker28(dockerd, *args)
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout, args


def test_rm_reports_each_failure(dockerd: Docker, vol: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    assert run_cli(host, "volume", "create", vol).returncode == 0
    ours = run_cli(host, "volume", "rm", vol, "nosuch-h5")
    theirs = docker28(dockerd, "volume", "rm", "nosuch-h5")
    assert ours.returncode == theirs.returncode == 1
    assert ours.stdout == f"{vol}\n"
    assert ours.stderr == theirs.stderr


def test_prune_all_with_a_label_filter(dockerd: Docker, vol: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    assert run_cli(host, "volume", "create", "--label", f"h5={vol}", vol).returncode == 0
    declined = run_cli(host, "volume", "prune", input="n\n")
    assert declined.returncode == 0
    # dockerd 20.10 speaks API 1.41: below 1.42 docker warns of "all" volumes either way.
    assert declined.stdout == docker28(dockerd, "volume", "prune", "--filter", "label=none").stdout
    assert declined.stdout.endswith("Are you sure you want to continue? [y/N] ")
    pruned = run_cli(host, "volume", "prune", "-a", "-f", "--filter", f"label=h5={vol}")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout == f"Deleted Volumes:\n{vol}\n\nTotal reclaimed space: 0B\n"
