"""`dockyard network ...` on both of the session's daemons, the Debian dockerd and our
dockyardd, with docker 28 on the same daemon as the reference. Networks are internal or in
10.213.0.0/16 (dockerd) / 10.214.0.0/16 (dockyardd), and always removed."""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Iterator

import pytest

from tests.support.cli import Daemon

pytestmark = [pytest.mark.root, pytest.mark.integration]


def subnet(daemon: Daemon, third: int) -> str:
    """10.213.<third> on dockerd, 10.214.<third> on dockyardd: the two never overlap."""
    return f"10.{213 if daemon.kind == 'dockerd' else 214}.{third}"


@pytest.fixture
def net(daemon: Daemon) -> Iterator[str]:
    name = f"t-{secrets.token_hex(3)}"
    yield name
    daemon.docker("network", "rm", name, check=False)


def test_create_pairs_ipam_flags_as_docker(daemon: Daemon, net: str) -> None:
    s = subnet(daemon, 7)
    created = daemon.cli(
        "network", "create", "--internal", "--subnet", f"{s}.0/24", "--ip-range", f"{s}.128/25",
        "--gateway", f"{s}.1", "--aux-address", f"r={s}.5", "--label", "h5=yes",
        "-o", "com.example=1", net,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert len(created.stdout.strip()) == 64
    info = json.loads(daemon.docker("network", "inspect", net).stdout)[0]
    assert info["Id"] == created.stdout.strip()
    assert info["Internal"] is True
    assert info["Labels"] == {"h5": "yes"}
    assert info["Options"] == {"com.example": "1"}
    [config] = info["IPAM"]["Config"]
    aux = config.pop("AuxiliaryAddresses", None)
    assert config == {"Subnet": f"{s}.0/24", "IPRange": f"{s}.128/25", "Gateway": f"{s}.1"}
    assert aux == {"r": f"{s}.5"}


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
    daemon: Daemon, net: str, args: list[str], message: str
) -> None:
    ours = daemon.cli("network", "create", *args, net)
    theirs = daemon.docker28("network", "create", *args, net)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr == theirs.stderr == message + "\n"


def test_create_of_an_existing_name_is_the_daemons_error(daemon: Daemon, net: str) -> None:
    assert daemon.cli("network", "create", "--internal", net).returncode == 0
    ours = daemon.cli("network", "create", "--internal", net)
    theirs = daemon.docker28("network", "create", "--internal", net)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr == theirs.stderr
    assert ours.stderr.startswith("Error response from daemon: ")


def test_ls_and_inspect_match_docker(daemon: Daemon, net: str) -> None:
    assert daemon.cli("network", "create", "--internal", net).returncode == 0
    for args in (
        ["network", "ls"],
        ["network", "ls", "-q"],
        ["network", "ls", "--no-trunc"],
        ["network", "ls", "--filter", f"name={net}", "--format", "{{.Name}} {{.Driver}}"],
        ["network", "inspect", "-f", "{{.Name}} {{.Internal}} {{.IPAM.Driver}}", net],
        ["network", "inspect", net],
    ):
        ours, theirs = daemon.cli(*args), daemon.docker28(*args)
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout, args


def test_rm_prints_names_and_reports_each_failure(daemon: Daemon, net: str) -> None:
    assert daemon.cli("network", "create", "--internal", net).returncode == 0
    ours = daemon.cli("network", "rm", net, "nosuch-h5")
    assert ours.returncode == 1
    assert ours.stdout == f"{net}\n"
    theirs = daemon.docker28("network", "rm", "nosuch-h5")
    assert ours.stderr == theirs.stderr
    assert daemon.cli("network", "rm", "-f", "nosuch-h5").returncode == 0


def test_connect_and_disconnect(daemon: Daemon, net: str) -> None:
    s = subnet(daemon, 10)
    name, first = f"t-{secrets.token_hex(3)}", f"t-{secrets.token_hex(3)}"
    created = daemon.cli("network", "create", "--subnet", f"{s}.0/24", "--internal", net)
    assert created.returncode == 0, created.stderr
    daemon.docker("network", "create", "--internal", first)
    daemon.docker("create", "--name", name, "--network", first, "busybox", "true")
    try:
        connected = daemon.cli("network", "connect", "--ip", f"{s}.9", "--alias", "h5a", net, name)
        assert (connected.returncode, connected.stdout) == (0, ""), connected.stderr
        settings = json.loads(daemon.docker("inspect", name).stdout)[0]["NetworkSettings"]
        assert settings["Networks"][net]["IPAMConfig"]["IPv4Address"] == f"{s}.9"
        assert "h5a" in settings["Networks"][net]["Aliases"]
        again = daemon.cli("network", "connect", net, name)
        theirs = daemon.docker28("network", "connect", net, name)
        assert (again.returncode, again.stderr) == (theirs.returncode, theirs.stderr)
        assert daemon.cli("network", "disconnect", "-f", net, name).returncode == 0
        settings = json.loads(daemon.docker("inspect", name).stdout)[0]["NetworkSettings"]
        assert sorted(settings["Networks"]) == [first]
    finally:
        daemon.docker("rm", "-f", name, check=False)
        daemon.docker("network", "rm", first, check=False)


def test_prune_removes_unused_networks(daemon: Daemon, net: str) -> None:
    created = daemon.cli("network", "create", "--internal", "--label", f"h5={net}", net)
    assert created.returncode == 0, created.stderr
    declined = daemon.cli("network", "prune", input="n\n")
    assert declined.stdout == (
        "WARNING! This will remove all custom networks not used by at least one container.\n"
        "Are you sure you want to continue? [y/N] "
    )
    pruned = daemon.cli("network", "prune", "-f", "--filter", f"label=h5={net}")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout == f"Deleted Networks:\n{net}\n\n"


def _http_status(address: str) -> str:
    """The status line busybox httpd answers on `address` ("127.0.0.1:32768")."""
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=5) as conn:
                conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                return conn.makefile("rb").readline().decode().strip()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_run_publish_then_connect_and_disconnect_on_dockyardd(ours: Daemon) -> None:
    """Through our CLI alone: `run -d -p`, `port`, then a second network joined and left
    while the container runs; the published port answers throughout."""
    name, net = f"t-{secrets.token_hex(3)}", f"t-{secrets.token_hex(3)}"
    try:
        created = ours.cli("network", "create", "--subnet", "10.214.20.0/24", net)
        assert created.returncode == 0, created.stderr
        ran = ours.cli(
            "run", "-d", "--name", name, "-p", "127.0.0.1::80", "busybox", "httpd", "-f", "-p", "80"
        )
        assert ran.returncode == 0, ran.stderr
        port = ours.cli("port", name, "80")
        assert port.returncode == 0, port.stderr
        address = port.stdout.strip()
        assert address.startswith("127.0.0.1:"), address
        assert _http_status(address).startswith("HTTP/1.")

        connected = ours.cli("network", "connect", "--ip", "10.214.20.7", net, name)
        assert (connected.returncode, connected.stdout) == (0, ""), connected.stderr
        addrs = ours.cli("exec", name, "ip", "-o", "-4", "addr", "show")
        assert " inet 10.214.20.7/24 " in addrs.stdout, addrs.stdout
        fmt = f'{{{{(index .NetworkSettings.Networks "{net}").IPAddress}}}}'
        assert ours.cli("inspect", "-f", fmt, name).stdout == "10.214.20.7\n"

        left = ours.cli("network", "disconnect", net, name)
        assert (left.returncode, left.stdout) == (0, ""), left.stderr
        addrs = ours.cli("exec", name, "ip", "-o", "-4", "addr", "show")
        assert "10.214.20.7" not in addrs.stdout
        assert ours.cli("port", name, "80").stdout.strip() == address
        assert _http_status(address).startswith("HTTP/1.")
    finally:
        ours.cli("rm", "-f", name)
        ours.cli("network", "rm", net)
