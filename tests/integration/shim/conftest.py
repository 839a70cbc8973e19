"""A harness for shim tests: a bundle per container, our runtime, and a cleanup that leaves
no shim, no container, no runtime state and no cgroup behind, even when a test fails."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from dockyard.shim.client import LogConfig, ShimClient, ShimConfig, spawn
from tests.support.bundles import base_config, make_bundle

BIN = Path(sys.executable).parent
RUNTIME = str(BIN / "dockyard-runtime")
SHIM = [str(BIN / "dockyard-shim")]
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def shim_pids(directory: Path) -> list[int]:
    """Shims serving `directory`: their command line names it and their comm is
    dockyard-shim (a runtime the shim forked shares its command line, not its comm)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
        except OSError:
            continue
        if comm != "dockyard-shim":
            continue
        if (
            b"--dir" in argv
            and str(directory).encode() in argv
            and any(a.endswith(b"dockyard-shim") for a in argv)
        ):
            pids.append(int(entry))
    return pids


class Harness:
    """Containers of one test: `new()` writes a bundle and a ShimConfig; `spawn()` starts it."""

    def __init__(self, tmp_path: Path, rootfs: Path) -> None:
        self.tmp = tmp_path
        self.rootfs = rootfs
        self.runtime_root = tmp_path / "rt"
        self.made: list[tuple[str, Path, str]] = []

    def new(
        self,
        args: list[str],
        *,
        tty: bool = False,
        open_stdin: bool = False,
        console_size: tuple[int, int] | None = None,
        log_driver: str = "json-file",
        log_opts: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        directory: Path | None = None,
        runtime: str = RUNTIME,
    ) -> tuple[ShimConfig, Path]:
        cid = f"shimtest-{uuid.uuid4().hex[:12]}"
        spec = config or base_config(args)
        spec["process"]["terminal"] = tty
        bundle = make_bundle(self.tmp, self.rootfs, spec, name=f"bundle-{cid}")
        d = directory or self.tmp / cid
        d.mkdir(parents=True, exist_ok=True)
        log_path = d / (f"{cid}-json.log" if log_driver == "json-file" else "local-logs/c.log")
        cfg = ShimConfig(
            id=cid,
            bundle=str(bundle),
            runtime=runtime,
            runtime_root=str(self.runtime_root),
            tty=tty,
            open_stdin=open_stdin,
            console_size=console_size,
            log=LogConfig(driver=log_driver, path=str(log_path), opts=log_opts or {}),
        )
        self.made.append((cid, d, runtime))
        return cfg, d

    async def spawn(self, args: list[str], **kw: Any) -> tuple[ShimClient, ShimConfig, Path]:
        cfg, d = self.new(args, **kw)
        client = await spawn(shim=SHIM, dir=str(d), config=cfg)
        return client, cfg, d

    def cleanup(self) -> None:
        for cid, d, runtime in self.made:
            for pid in shim_pids(d):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            subprocess.run(
                [runtime, "--root", str(self.runtime_root), "delete", "--force", cid],
                capture_output=True,
                check=False,
            )


@pytest.fixture
def harness(tmp_path: Path, rootfs: Path) -> Iterator[Harness]:
    h = Harness(tmp_path, rootfs)
    try:
        yield h
    finally:
        h.cleanup()
