"""The bundle and the shim of a start: /etc files, the OCI spec as config.json, and the shim
that runs `runtime create` on them."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.etcfiles import write_etc_files
from dockyard.containers.spec import generate_spec
from dockyard.shim.client import LogConfig, ShimClient, ShimConfig, Spawner
from dockyard.utils import jsonfast


async def create_task(
    c: Container,
    *,
    deps: ContainerDeps,
    spawner: Spawner,
    runtime: str,
    rootfs: str,
    netns_path: str | None = None,
    ips: list[str] | None = None,
    internal_dns: bool = False,
    host_gateway_ip: str = "",
) -> ShimClient:
    """Write the bundle and spawn the shim, which runs `runtime create`: the container
    exists (created, not started) when this returns. `netns_path` is the sandbox the
    container joins (None: a new namespace, or the host's for --network host), `ips` its
    addresses for /etc/hosts, `internal_dns` puts the embedded resolver in resolv.conf."""
    defaults = deps.defaults
    host_network = c.host_config.get("NetworkMode") == "host"
    if not c.etc_dir:  # --network container:<id> shares the other container's files
        await asyncio.to_thread(
            lambda: write_etc_files(
                c, defaults=defaults, host_network=host_network, ips=ips or [],
                internal_dns=internal_dns, host_gateway_ip=host_gateway_ip,
            )
        )  # fmt: skip
    spec = await asyncio.to_thread(
        generate_spec,
        c,
        rootfs=rootfs,
        defaults=defaults,
        netns_path=netns_path,
        init=bool(c.host_config.get("Init")),
    )
    await asyncio.to_thread(_write_bundle, c, spec)
    info = deps.runtimes[runtime]
    log_config = c.host_config.get("LogConfig") or {}
    config = ShimConfig(
        id=c.id,
        bundle=c.bundle,
        runtime=info.path,
        runtime_root=deps.runtime_root(runtime),
        runtime_args=tuple(info.args),
        tty=c.tty,
        open_stdin=bool(c.config.get("OpenStdin")),
        console_size=_console_size(c),
        log=LogConfig(
            driver=log_config.get("Type") or "json-file",
            path=c.log_path,
            opts=dict(log_config.get("Config") or {}),
        ),
    )
    return await spawner.spawn(dir=c.exec_dir, config=config)


def _console_size(c: Container) -> tuple[int, int] | None:
    size = c.host_config.get("ConsoleSize") or [0, 0]
    return (int(size[0]), int(size[1])) if c.tty and size[0] and size[1] else None


def _write_bundle(c: Container, spec: dict[str, Any]) -> None:
    os.makedirs(c.bundle, mode=0o700, exist_ok=True)
    path = os.path.join(c.bundle, "config.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(jsonfast.dumps(spec))
    os.replace(tmp, path)
