"""A volume removal racing a mount never leaves a container on a deleted volume (issue 7,
data safety): whichever wins, a running container's volume is listed, its directory exists,
and what the container writes lands in it."""

from __future__ import annotations

import secrets
import subprocess
import threading
from collections.abc import Iterator

import pytest

from tests.compat.conftest import Engine
from tests.support.dockerd import Docker
from tests.support.dockyardd import docker_clis

pytestmark = [pytest.mark.root, pytest.mark.compat, pytest.mark.timeout(300, method="signal")]

LABEL = "dockyard.test=volume-races"
ROUNDS = 8


@pytest.fixture
def docker(engine: Engine) -> Iterator[Docker]:
    clis = docker_clis()
    cli = engine.docker("/usr/local/bin/docker" if "/usr/local/bin/docker" in clis else clis[0])
    yield cli
    ids = cli("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    if ids:
        cli("rm", "-f", *ids, check=False, timeout=120)


def _race(
    docker: Docker, volume: str, name: str
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    results: dict[str, subprocess.CompletedProcess[str]] = {}
    start = threading.Barrier(2)

    def mount() -> None:
        start.wait()
        results["run"] = docker(
            "run", "-d", "--label", LABEL, "--name", name, "-v", f"{volume}:/data",
            "busybox", "sleep", "60", check=False,
        )  # fmt: skip

    def remove() -> None:
        start.wait()
        results["rm"] = docker("volume", "rm", volume, check=False)

    threads = [threading.Thread(target=mount), threading.Thread(target=remove)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results["run"], results["rm"]


def test_a_removal_racing_a_mount_never_strands_a_container(docker: Docker, engine: Engine) -> None:
    assert engine.daemon is not None
    for _round in range(ROUNDS):
        volume, name = f"race{secrets.token_hex(4)}", f"r{secrets.token_hex(4)}"
        docker("volume", "create", volume)
        try:
            ran, removed = _race(docker, volume, name)
            assert ran.returncode == 0, ran.stderr
            if removed.returncode != 0:
                assert "volume is in use" in removed.stderr, removed.stderr
            # Either way the running container's volume exists and is the one it writes to:
            # a removal that won created a fresh volume for the mount, never a stranded one.
            marker = secrets.token_hex(8)
            docker("exec", name, "sh", "-c", f"echo {marker} > /data/marker")
            mountpoint = docker("volume", "inspect", "-f", "{{.Mountpoint}}", volume).stdout.strip()
            assert (engine.daemon.data_root / "volumes" / volume / "_data").as_posix() == mountpoint
            with open(f"{mountpoint}/marker") as f:
                assert f.read().strip() == marker
            refused = docker("volume", "rm", volume, check=False)
            assert refused.returncode != 0 and "volume is in use" in refused.stderr
        finally:
            docker("rm", "-f", name, check=False)
            docker("volume", "rm", "-f", volume, check=False)
