"""`dockyard volume ...` on both of the session's daemons, the Debian dockerd (API 1.41) and
our dockyardd (1.51), with docker 28 on the same daemon as the reference."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest

from tests.support.cli import Daemon

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def vol(daemon: Daemon) -> Iterator[str]:
    name = f"t-{secrets.token_hex(3)}"
    yield name
    daemon.docker("volume", "rm", "-f", name, check=False)


def test_create_with_driver_options_and_labels(daemon: Daemon, vol: str) -> None:
    created = daemon.cli(
        "volume", "create", "-d", "local", "-o", "type=tmpfs", "-o", "device=tmpfs",
        "--label", "h5=yes", vol,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout == f"{vol}\n"
    info = json.loads(daemon.docker("volume", "inspect", vol).stdout)[0]
    assert info["Labels"] == {"h5": "yes"}
    assert info["Options"] == {"type": "tmpfs", "device": "tmpfs"}


def test_ls_and_inspect_match_docker(daemon: Daemon, vol: str) -> None:
    assert daemon.cli("volume", "create", vol).returncode == 0
    for args in (
        ["volume", "ls"],
        ["volume", "ls", "-q"],
        ["volume", "ls", "--filter", f"name={vol}", "--format", "{{.Name}} {{.Driver}}"],
        ["volume", "inspect", vol],
        ["volume", "inspect", "-f", "{{.Name}} {{.Driver}} {{.Mountpoint}}", vol],
    ):
        ours, theirs = daemon.cli(*args), daemon.docker28(*args)
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout, args


def test_rm_reports_each_failure(daemon: Daemon, vol: str) -> None:
    assert daemon.cli("volume", "create", vol).returncode == 0
    ours = daemon.cli("volume", "rm", vol, "nosuch-h5")
    theirs = daemon.docker28("volume", "rm", "nosuch-h5")
    assert ours.returncode == theirs.returncode == 1
    assert ours.stdout == f"{vol}\n"
    assert ours.stderr == theirs.stderr


def test_rm_of_a_volume_in_use_is_the_daemons_conflict(daemon: Daemon, vol: str) -> None:
    name = f"t-{secrets.token_hex(3)}"
    daemon.docker("create", "--name", name, "-v", f"{vol}:/data", "busybox", "true")
    try:
        ours = daemon.cli("volume", "rm", vol)
        theirs = daemon.docker28("volume", "rm", vol)
        assert ours.returncode == theirs.returncode == 1
        assert ours.stderr == theirs.stderr
        assert ours.stderr.startswith(f"Error response from daemon: remove {vol}: volume is in use")
    finally:
        daemon.docker("rm", "-f", name, check=False)


def test_prune_all_with_a_label_filter(daemon: Daemon, vol: str) -> None:
    assert daemon.cli("volume", "create", "--label", f"h5={vol}", vol).returncode == 0
    declined = daemon.cli("volume", "prune", input="n\n")
    assert declined.returncode == 0
    # dockerd 20.10 speaks API 1.41: below 1.42 docker warns of "all" volumes either way.
    assert declined.stdout == daemon.docker28("volume", "prune", "--filter", "label=none").stdout
    assert declined.stdout.endswith("Are you sure you want to continue? [y/N] ")
    pruned = daemon.cli("volume", "prune", "-a", "-f", "--filter", f"label=h5={vol}")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout == f"Deleted Volumes:\n{vol}\n\nTotal reclaimed space: 0B\n"


def test_prune_without_all_keeps_named_volumes_on_dockyardd(ours: Daemon) -> None:
    """From API 1.42 a prune removes anonymous volumes only unless --all (dockerd 20.10 is
    older and removes named ones too, so only dockyardd shows it)."""
    vol = f"t-{secrets.token_hex(3)}"
    assert ours.cli("volume", "create", "--label", f"h5={vol}", vol).returncode == 0
    try:
        declined = ours.cli("volume", "prune", input="n\n")
        assert declined.stdout == (
            "WARNING! This will remove anonymous local volumes not used by at least one "
            "container.\nAre you sure you want to continue? [y/N] "
        )
        pruned = ours.cli("volume", "prune", "-f", "--filter", f"label=h5={vol}")
        assert (pruned.returncode, pruned.stdout) == (0, "Total reclaimed space: 0B\n")
        assert ours.docker("volume", "inspect", vol, check=False).returncode == 0
    finally:
        ours.docker("volume", "rm", "-f", vol, check=False)
