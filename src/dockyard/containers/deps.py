"""What the container operations need from the rest of the daemon, built in daemon/wiring.py."""

from __future__ import annotations

from dockyard.containers.events import EventSink
from dockyard.images.service import ImageService
from dockyard.network.dns import EmbeddedDNS
from dockyard.network.service import NetworkService
from dockyard.snapshots.snapshotter import Snapshotter
from dockyard.utils.record import field, record
from dockyard.volumes.service import VolumeService


@record(frozen=True)
class RuntimeInfo:
    """An OCI runtime the daemon can use (daemon.json `runtimes`, `--runtime NAME`)."""

    path: str
    args: tuple[str, ...] = ()


@record(frozen=True)
class Defaults:
    """Daemon-wide defaults for new containers (daemon.json)."""

    log_driver: str = "json-file"
    log_opts: dict[str, str] = field(default_factory=dict)
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    default_ulimits: dict[str, dict[str, int]] = field(default_factory=dict)  # name -> {Soft, Hard}
    cgroup_parent: str = "/dockyard"
    init_path: str = "/usr/bin/tini-static"  # bind-mounted as /sbin/docker-init for --init
    shm_size: int = 64 * 1024 * 1024


@record(frozen=True)
class ContainerDeps:
    """Everything ContainerService and its operation modules use; no globals."""

    data_root: str
    exec_root: str
    images: ImageService
    snapshotter: Snapshotter
    events: EventSink
    runtimes: dict[str, RuntimeInfo]
    default_runtime: str
    shim: tuple[str, ...]  # argv prefix that runs dockyard-shim
    defaults: Defaults = field(default_factory=Defaults)
    live_restore: bool = True
    volumes: VolumeService | None = None  # None: volumes refused (tests without a daemon)
    networks: NetworkService | None = None  # None: bridge mode is loopback only (unit tests)
    dns: EmbeddedDNS | None = None  # the resolver at 127.0.0.11 on user-defined networks

    def runtime_root(self, name: str) -> str:
        """The `--root` a runtime keeps its state in."""
        return f"{self.exec_root}/runtime/{name}"
