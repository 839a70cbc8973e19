"""`dockyard network ...` on the session's Debian dockerd (dockyardd does not serve /networks
yet): our CLI and docker 28 side by side. Networks are internal or in 10.213.0.0/16, and
always removed."""

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


def docker28(d: Docker, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DOCKER28, *args], env=d.env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def net(dockerd: Docker) -> Iterator[str]:
    name = f"t-{secrets.token_hex(3)}"
    yield name
    dockerd("network", "rm", name, check=False)


def test_create_pairs_ipam_flags_as_docker(dockerd: Docker, net: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    created = run_cli(
        host, "network", "create", "--internal", "--subnet", "10.213.7.0/24",
        "--ip-range", "10.213.7.128/25", "--gateway", "10.213.7.1",
        "--aux-address", "r=10.213.7.5", "--label", "h5=yes", "-o", "com.example=1", net,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert len(created.stdout.strip()) == 64
    info = json.loads(dockerd("network", "inspect", net).stdout)[0]
    assert info["Internal"] is True
    assert info["Labels"] == {"h5": "yes"}
    assert info["Options"] == {"com.example": "1"}
    assert info["IPAM"]["Config"] == [
        {
            "Subnet": "10.213.7.0/24",
            "IPRange": "10.213.7.128/25",
            "Gateway": "10.213.7.1",
            "AuxiliaryAddresses": {"r": "10.213.7.5"},
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gateway", "10.213.8.1"], "every ip-range or gateway must have a corresponding subnet"),
        (
            ["--subnet", "10.213.8.0/24", "--gateway", "10.213.9.1"],
            "no matching subnet for gateway 10.213.9.1",
        ),
        (
            ["--subnet", "10.213.8.0/24", "--subnet", "10.213.8.0/25"],
            "multiple overlapping subnet configuration is not supported",
        ),
    ],
)
def test_create_refuses_what_docker_refuses(
    dockerd: Docker, net: str, args: list[str], message: str
) -> None:
    ours = run_cli(dockerd.env["DOCKER_HOST"], "network", "create", *args, net)
    theirs = docker28(dockerd, "network", "create", *args, net)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr == theirs.stderr == message + "\n"


def test_ls_and_inspect_match_docker(dockerd: Docker, net: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    assert run_cli(host, "network", "create", "--internal", net).returncode == 0
    for args in (
        ["network", "ls"],
        ["network", "ls", "-q"],
        ["network", "ls", "--no-trunc"],
        ["network", "ls", "--filter", f"name={net}", "--format", "{{.Name}} {{.Driver}}"],
        ["network", "inspect", "-f", "{{.Name}} {{.Internal}} {{.IPAM.Driver}}", net],
        ["network", "inspect", net],
    ):
        ours, theirs = run_cli(host, *args), docker28(dockerd, *args)
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout, args


def test_rm_prints_names_and_reports_each_failure(dockerd: Docker, net: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    assert run_cli(host, "network", "create", "--internal", net).returncode == 0
    ours = run_cli(host, "network", "rm", net, "nosuch-h5")
    assert ours.returncode == 1
    assert ours.stdout == f"{net}\n"
    theirs = docker28(dockerd, "network", "rm", "nosuch-h5")
    assert ours.stderr == theirs.stderr
    assert run_cli(host, "network", "rm", "-f", "nosuch-h5").returncode == 0


def test_connect_and_disconnect(dockerd: Docker, net: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    name = f"t-{secrets.token_hex(3)}"
    assert (
        run_cli(
            host, "network", "create", "--subnet", "10.213.10.0/24", "--internal", net
        ).returncode
        == 0
    )
    dockerd("create", "--name", name, "--network", "none", "busybox", "true")
    try:
        dockerd("network", "disconnect", "none", name)
        connected = run_cli(
            host, "network", "connect", "--ip", "10.213.10.9", "--alias", "h5a", net, name
        )
        assert connected.returncode == 0, connected.stderr
        settings = json.loads(dockerd("inspect", name).stdout)[0]["NetworkSettings"]["Networks"]
        assert settings[net]["IPAMConfig"]["IPv4Address"] == "10.213.10.9"
        assert "h5a" in settings[net]["Aliases"]
        assert run_cli(host, "network", "disconnect", "-f", net, name).returncode == 0
        assert (
            net not in json.loads(dockerd("inspect", name).stdout)[0]["NetworkSettings"]["Networks"]
        )
    finally:
        dockerd("rm", "-f", name, check=False)


def test_prune_removes_unused_networks(dockerd: Docker, net: str) -> None:
    host = dockerd.env["DOCKER_HOST"]
    assert (
        run_cli(host, "network", "create", "--internal", "--label", f"h5={net}", net).returncode
        == 0
    )
    declined = run_cli(host, "network", "prune", input="n\n")
    assert declined.stdout == (
        "WARNING! This will remove all custom networks not used by at least one container.\n"
        "Are you sure you want to continue? [y/N] "
    )
    pruned = run_cli(host, "network", "prune", "-f", "--filter", f"label=h5={net}")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout == f"Deleted Networks:\n{net}\n\n"
