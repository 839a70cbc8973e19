"""Shared fixtures: one busybox rootfs per session, per-test bundles, root-only skips."""

from __future__ import annotations

import io
import os
import shutil
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import dockerd as dockerd_support
from tests.support import dockyardd as dockyardd_support
from tests.support import runtimes as runtimes_support
from tests.support.bundles import busybox_rootfs
from tests.support.dockerd import Docker
from tests.support.dockyardd import Dockyardd, private_dockyardd, short_base

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUNTIME = str(BIN / "dockyard-runtime")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root: namespaces, mounts and cgroups")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busybox root filesystem, made once per session; never write into it."""
    return busybox_rootfs(tmp_path_factory.mktemp("images") / "busybox")


@pytest.fixture(scope="session")
def busybox_tar(rootfs: Path) -> bytes:
    """The busybox rootfs as `docker import` takes it: an uncompressed tar of "./..."."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        tar.add(rootfs, arcname=".")
    return out.getvalue()


@pytest.fixture
def state_root(tmp_path: Path) -> Iterator[Path]:
    """A private --root for the runtime under test, so tests never see each other's state."""
    root = tmp_path / "state"
    root.mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dockerd(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Docker]:
    """One private Debian dockerd for the whole session (busybox imported, our runtime and
    runc registered as `dockyard` and `refrunc`); skipped where docker.io is not installed."""
    why = dockerd_support.available()
    if why is not None:
        pytest.skip(why)
    runtimes = {"dockyard": os.path.abspath(RUNTIME), "refrunc": runtimes_support.RUNC}
    with dockerd_support.private_dockerd(
        tmp_path_factory.mktemp("dockerd"), runtimes=runtimes, busybox_rootfs=rootfs
    ) as docker:
        yield docker


def _logs_dir(factory: pytest.TempPathFactory, name: str) -> Path:
    return factory.mktemp(name)


@pytest.fixture(scope="session")
def dockyardd(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dockyardd]:
    """One private dockyardd for the whole session (busybox:latest imported), shared by the
    compat tests and the CLI tests; tests that restart a daemon make their own."""
    why = dockyardd_support.unavailable()
    if why is not None:
        pytest.skip(why)
    log = _logs_dir(tmp_path_factory, "dockyardd") / "dockyardd.log"
    with private_dockyardd(short_base(), busybox=rootfs, log=log) as daemon:
        yield daemon
