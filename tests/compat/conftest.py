"""Fixtures of the compat suite: our daemon (one per session) and the engine tests talk to.

`dockyardd` is the session's private dockyardd (tests/support/dockyardd.py). `engine` is what
the docker CLI and docker-py tests drive: dockyardd, or with DOCKYARD_COMPAT_REFERENCE=dockerd
the session's private Debian dockerd (tests/conftest.py `dockerd`), which checks the tests
themselves against Docker's real behaviour:

    DOCKYARD_COMPAT_REFERENCE=dockerd .venv/bin/pytest -q tests/compat/test_docker_cli.py

Tests that restart a daemon make their own `private_dockyardd` (see `private_daemon`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import dockerd as dockerd_support
from tests.support import dockyardd as dockyardd_support
from tests.support.dockerd import Docker
from tests.support.dockyardd import Dockyardd, private_dockyardd, short_base

REFERENCE = os.environ.get("DOCKYARD_COMPAT_REFERENCE", "")


@dataclass(frozen=True, kw_only=True)
class Engine:
    """A daemon under test as its clients see it: a socket and an environment for the CLI."""

    name: str  # "dockyardd" | "dockerd"
    env: dict[str, str]
    daemon: Dockyardd | None  # None for the reference dockerd

    @property
    def host(self) -> str:
        return self.env["DOCKER_HOST"]

    @property
    def socket(self) -> str:
        return self.host.removeprefix("unix://")

    def docker(self, cli: str) -> Docker:
        return Docker(cli=cli, env=self.env)

    def log_tail(self, lines: int = 40) -> str:
        return self.daemon.log_tail(lines) if self.daemon is not None else "(reference dockerd)"


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest) -> Engine:
    """dockyardd, or the reference dockerd with DOCKYARD_COMPAT_REFERENCE=dockerd."""
    if REFERENCE == "dockerd":
        docker: Docker = request.getfixturevalue("dockerd")
        return Engine(name="dockerd", env=dict(docker.env), daemon=None)
    daemon: Dockyardd = request.getfixturevalue("dockyardd")
    return Engine(name="dockyardd", env=dict(daemon.env), daemon=daemon)


@pytest.fixture(scope="session")
def reference_docker(request: pytest.FixtureRequest) -> Docker | None:
    """Debian's dockerd for side-by-side comparisons; None where it is not installed."""
    if dockerd_support.available() is not None:
        return None
    docker: Docker = request.getfixturevalue("dockerd")
    return docker


PrivateDaemon = Callable[..., AbstractContextManager[Dockyardd]]


@pytest.fixture
def private_daemon(rootfs: Path, tmp_path: Path) -> PrivateDaemon:
    """A factory of private dockyardds for tests that restart the daemon; each keeps its
    log in the test's tmp_path (daemon-N.log) after the daemon's dirs are gone."""
    why = dockyardd_support.unavailable()
    if why is not None:
        pytest.skip(why)
    counter = iter(range(1000))

    def make(**kwargs: Any) -> AbstractContextManager[Dockyardd]:
        log = tmp_path / f"daemon-{next(counter)}.log"
        return private_dockyardd(short_base(), busybox=rootfs, log=log, **kwargs)

    return make


def cli_params() -> list[Any]:
    """The docker CLIs to run the CLI tests with (ids: the version family)."""
    found = dockyardd_support.docker_clis()
    ids = {"/usr/bin/docker": "cli20", "/usr/local/bin/docker": "cli28"}
    return [pytest.param(c, id=ids.get(c, os.path.basename(c))) for c in found] or [
        pytest.param(shutil.which("docker") or "/usr/bin/docker", id="cli")
    ]


def inspect(docker: Docker, ref: str, fmt: str) -> str:
    """`docker inspect --format fmt ref`, stripped."""
    return docker("inspect", "--format", fmt, ref).stdout.strip()


def wait_for(what: Callable[[], bool], *, timeout: float = 15, step: float = 0.1) -> bool:
    """Poll `what` until it holds or `timeout` passes; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(step)
    return what()


def failed(proc: subprocess.CompletedProcess[str]) -> str:
    """A finished command, for assertion messages."""
    return f"rc={proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
