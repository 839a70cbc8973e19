"""A ContainerService over real stores, the real shim and dockyard-runtime (root)."""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from tests.support.mounts import unmount_under

from dockyard.containers.deps import ContainerDeps, Defaults, RuntimeInfo
from dockyard.containers.service import ContainerService
from dockyard.content.local import LocalStore
from dockyard.images.service import ImageService
from dockyard.images.store import ImageStore
from dockyard.snapshots.overlay import OverlaySnapshotter

BIN = Path(sys.executable).parent


class Events:
    """An EventSink that records (type, action, id, attributes)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, dict[str, str]]] = []

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        self.seen.append((type, action, actor_id, dict(attributes or {})))

    def actions(self, actor_id: str) -> list[str]:
        return [a for _, a, i, _ in self.seen if i == actor_id]


class Env:
    """One data-root + exec-root and the objects a daemon would build over them."""

    def __init__(self, base: Path, busybox: bytes) -> None:
        self.base = base
        self.data_root = base / "d"
        self.exec_root = base / "e"
        self.cgroup_parent = f"/dockyard-test-{secrets.token_hex(4)}"
        self.events = Events()
        self.data_root.mkdir(parents=True)
        self.images = ImageService(
            store=ImageStore(str(self.data_root / "metadata.db")),
            content=LocalStore(str(self.data_root / "content")),
            snapshotter=OverlaySnapshotter(str(self.data_root / "snapshots" / "overlay")),
        )
        self.images.import_image(
            io.BytesIO(busybox), repo_tag="busybox:latest", changes=['CMD ["sh"]']
        )

    def deps(self, *, live_restore: bool = True) -> ContainerDeps:
        return ContainerDeps(
            data_root=str(self.data_root),
            exec_root=str(self.exec_root),
            images=self.images,
            snapshotter=self.images.snapshotter,
            events=self.events,
            runtimes={"dockyard": RuntimeInfo(path=str(BIN / "dockyard-runtime"))},
            default_runtime="dockyard",
            shim=(str(BIN / "dockyard-shim"),),
            defaults=Defaults(cgroup_parent=self.cgroup_parent),
            live_restore=live_restore,
        )

    def service(self, *, live_restore: bool = True) -> ContainerService:
        return ContainerService(deps=self.deps(live_restore=live_restore))

    def cleanup(self) -> None:
        for pid in shim_pids(self.exec_root):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        unmount_under(self.base)
        for controller in os.listdir("/sys/fs/cgroup"):
            top = Path("/sys/fs/cgroup", controller, self.cgroup_parent.lstrip("/"))
            if top.is_dir():
                for child in sorted(top.rglob("*"), reverse=True):
                    if child.is_dir():
                        child.rmdir()
                top.rmdir()
        self.images.store.close()
        shutil.rmtree(self.base, ignore_errors=True)


def shim_pids(exec_root: Path) -> list[int]:
    """Shims serving containers under exec_root (found by their --dir argument)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path("/proc", entry, "cmdline").read_bytes().split(b"\0")
            comm = Path("/proc", entry, "comm").read_text().strip()
        except OSError:
            continue
        if comm != "dockyard-shim":
            continue  # a runtime forked by a shim, or a container's init before execve
        if any(a.startswith(str(exec_root).encode()) for a in argv) and any(
            a.endswith(b"dockyard-shim") for a in argv
        ):
            pids.append(int(entry))
    return pids


@pytest.fixture
def env(busybox_tar: bytes) -> Iterator[Env]:
    base = Path(tempfile.mkdtemp(prefix="dy", dir="/tmp"))  # short: shim.sock paths
    e = Env(base, busybox_tar)
    try:
        yield e
    finally:
        e.cleanup()


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]
