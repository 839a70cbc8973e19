"""The one place dockyardd's objects are built and handed to each other (STYLE.md).

    data-root/metadata.db           images (ImageStore) and containers (their own table)
    data-root/content/              LocalStore
    data-root/snapshots/overlay/    OverlaySnapshotter
    data-root/engine-id             the daemon's ID (`docker info` ID), made once
    data-root/volumes/              the local volume driver (volumes live in metadata.db too)
    exec-root/netns/<container id>  the containers' network sandboxes (networks: metadata.db)

Host-wide network names: the daemon on the default exec-root owns bridge `dockyard0` and the
nftables table `dockyard`; a daemon on another exec-root (tests, benchmarks, several daemons
on one host) owns `dy<8 hex>` and `dockyard-<8 hex>` (a hash of its exec-root), so daemons
never share a bridge or rewrite each other's rules. Subnets are chosen clear of the host's
routes, which keeps their networks apart too.

Volume plugins are found where Docker looks (/run/docker/plugins, /etc/docker/plugins,
/usr/lib/docker/plugins); DOCKYARD_PLUGINS_DIRS="sockets_dir:specs_dir..." in the daemon's
environment replaces them (tests put a plugin's socket in a directory of their own).

Choices are explicit here: the OCI runtimes by name ("dockyard" -> our dockyard-runtime next
to this interpreter, "runc" -> /usr/bin/runc when installed, plus daemon.json `runtimes`),
the shim binary, and the container defaults from daemon.json.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import shutil
import sys
import uuid
from collections.abc import Callable
from typing import Any

from dockyard.containers.deps import ContainerDeps, Defaults, RuntimeInfo
from dockyard.containers.service import ContainerService
from dockyard.content.local import LocalStore
from dockyard.daemon.config import DaemonConfig
from dockyard.daemon.daemon import Daemon
from dockyard.daemon.events import EventBus
from dockyard.daemon.imageops import ImageOps
from dockyard.daemon.system import System
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.hosts import RegistryHosts
from dockyard.images.service import ImageService
from dockyard.images.store import ImageStore
from dockyard.network import ipam
from dockyard.network.dns import EmbeddedDNS
from dockyard.network.service import NetworkService, Settings
from dockyard.network.store import NetworkStore
from dockyard.snapshots.overlay import OverlaySnapshotter
from dockyard.volumes import plugins
from dockyard.volumes.local import LocalDriver
from dockyard.volumes.service import VolumeService
from dockyard.volumes.store import VolumeStore

RUNC = "/usr/bin/runc"
INIT = "/usr/bin/tini-static"


def build(config: DaemonConfig) -> Daemon:
    """Every object of a daemon running with `config`; the directories must exist."""
    closers: list[Callable[[], Any]] = []
    data = config.data_root
    content = LocalStore(os.path.join(data, "content"))
    snapshotter = OverlaySnapshotter(os.path.join(data, "snapshots", "overlay"))
    closers.append(snapshotter.close)
    image_store = ImageStore(os.path.join(data, "metadata.db"))
    closers.append(image_store.close)
    images = ImageService(store=image_store, content=content, snapshotter=snapshotter)
    registry = RegistryClient(
        hosts=RegistryHosts(
            insecure_registries=config.insecure_registries, mirrors=config.registry_mirrors
        )
    )
    events = EventBus()
    volume_store = VolumeStore(os.path.join(data, "metadata.db"))
    closers.append(volume_store.close)
    volumes = VolumeService(
        store=volume_store,
        drivers=plugins.Drivers(
            local=LocalDriver(os.path.join(data, "volumes")), plugins=plugin_registry()
        ),
        events=events,
    )
    volumes.restore()  # the mount users of the last run, before containers restore refs
    network_store = NetworkStore(os.path.join(data, "metadata.db"))
    closers.append(network_store.close)
    networks = NetworkService(store=network_store, settings=network_settings(config), events=events)
    # pyroute2's synchronous API runs an event loop of its own: not in the daemon's thread
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(networks.start).result()
    dns = EmbeddedDNS(lookup=networks.dns_view)
    runtimes = runtimes_for(config)
    deps = ContainerDeps(
        data_root=data,
        exec_root=config.exec_root,
        images=images,
        snapshotter=snapshotter,
        events=events,
        runtimes=runtimes,
        default_runtime=config.default_runtime,
        shim=(sibling_binary("dockyard-shim"),),
        defaults=defaults_for(config),
        live_restore=config.live_restore,
        volumes=volumes,
        networks=networks,
        dns=dns,
    )
    containers = ContainerService(deps=deps)
    image_ops = ImageOps(
        images=images,
        events=events,
        registry=registry,
        in_use=containers.image_users,
        max_concurrent_downloads=config.max_concurrent_downloads,
    )
    daemon: Daemon
    system = System(
        daemon_id=engine_id(data),
        config=lambda: daemon.config,
        containers=containers,
        images=images,
        events=events,
        registry=registry,
        runtimes=runtimes,
        volumes=volumes,
    )
    daemon = Daemon(
        config=config,
        containers=containers,
        images=images,
        events=events,
        image_ops=image_ops,
        system=system,
        registry=registry,
        volumes=volumes,
        networks=networks,
        dns=dns,
        closers=closers,
    )
    return daemon


def host_network_names(exec_root: str) -> tuple[str, str]:
    """The default bridge and the nftables table this daemon owns on the host: `dockyard0`
    and `dockyard` for the default exec-root; another daemon (a test's, a second one) gets
    names of its own, `dy<hash8>` and `dockyard-<hash8>`, so they never fight."""
    if os.path.abspath(exec_root) == "/run/dockyard":
        return "dockyard0", "dockyard"
    tag = hashlib.sha256(os.path.abspath(exec_root).encode()).hexdigest()[:8]
    return f"dy{tag}", f"dockyard-{tag}"


def network_settings(config: DaemonConfig) -> Settings:
    """The network service's settings: daemon.json's keys and this daemon's host-wide names."""
    bridge, table = host_network_names(config.exec_root)
    return Settings(
        netns_dir=os.path.join(config.exec_root, "netns"),
        bridge=bridge,
        table=table,
        bip=config.bip,
        pools=ipam.pools_from_config(list(config.default_address_pools)),
        iptables=config.iptables,
        ip_forward=config.ip_forward,
        icc=config.icc,
    )


def plugin_registry(environ: dict[str, str] | None = None) -> plugins.Registry:
    """Where volume plugins are discovered: Docker's directories, or DOCKYARD_PLUGINS_DIRS
    (the sockets directory first, then spec directories, colon-separated)."""
    env = os.environ if environ is None else environ
    dirs = [d for d in env.get("DOCKYARD_PLUGINS_DIRS", "").split(":") if d]
    if not dirs:
        return plugins.Registry()
    return plugins.Registry(sockets_dir=dirs[0], specs_dirs=dirs[1:] or dirs[:1])


def runtimes_for(config: DaemonConfig) -> dict[str, RuntimeInfo]:
    """The OCI runtimes by name: ours, runc when installed, then daemon.json's."""
    runtimes = {"dockyard": RuntimeInfo(path=sibling_binary("dockyard-runtime"))}
    if os.path.exists(RUNC):
        runtimes["runc"] = RuntimeInfo(path=RUNC)
    for name, spec in config.runtimes.items():
        runtimes[name] = RuntimeInfo(path=spec.path, args=spec.args)
    return runtimes


def defaults_for(config: DaemonConfig) -> Defaults:
    """Container defaults from daemon.json (log driver, DNS, ulimits, cgroup parent)."""
    return Defaults(
        log_driver=config.log_driver,
        log_opts=dict(config.log_opts),
        dns=config.dns,
        dns_search=config.dns_search,
        dns_options=config.dns_opts,
        default_ulimits={name: dict(limit) for name, limit in config.default_ulimits.items()},
        cgroup_parent=config.cgroup_parent,
        init_path=INIT,
    )


def sibling_binary(name: str) -> str:
    """A dockyard console script installed beside this interpreter (the venv's bin/), else
    the one on PATH, so the daemon runs the shim and runtime of its own installation."""
    beside = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(beside):
        return beside
    return shutil.which(name) or beside


def engine_id(data_root: str) -> str:
    """The daemon's ID, kept in data-root/engine-id (moby keeps one the same way)."""
    path = os.path.join(data_root, "engine-id")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
        if text:
            return text
    except FileNotFoundError:
        pass
    new = str(uuid.uuid4())
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(new)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return new
