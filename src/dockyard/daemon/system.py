"""System: the documents of /version, /info, /system/df, POST /auth and /_ping's headers.

Shapes are moby's api/types (system.Info, types.Version, types.DiskUsage): the docker CLI
decodes them into Go structs, so every field has Docker's JSON type (a string where Go has
a string, null or a list where Go has a slice). Host facts come from /proc and /sys.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import platform
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from dockyard import __version__, errdefs
from dockyard.containers.deps import RuntimeInfo
from dockyard.daemon import hostinfo
from dockyard.daemon.config import DaemonConfig
from dockyard.distribution.client import RegistryClient
from dockyard.distribution.hosts import LOOPBACK
from dockyard.distribution.platforms import host_platform
from dockyard.images.delete import ImageUser
from dockyard.images.service import ImageService
from dockyard.images.timefmt import format_ns
from dockyard.network import request

API_VERSION = "1.51"
MIN_API_VERSION = "1.24"
INDEX_SERVER = "https://index.docker.io/v1/"
GIT_COMMIT = "dockyard"  # no build stamping yet: the package version names the code
_BRIDGE_NF = "/proc/sys/net/bridge/bridge-nf-call"


class Containers(Protocol):
    """What System reads from ContainerService."""

    def list(self, *, all: bool = False, size: bool = False) -> builtins.list[dict[str, Any]]: ...

    def image_users(self, image_id: str) -> builtins.list[ImageUser]: ...


class Volumes(Protocol):
    """What System reads from the VolumeService."""

    def usage(self) -> builtins.list[dict[str, Any]]: ...

    def driver_names(self) -> builtins.list[str]: ...


class Listeners(Protocol):
    """What System reads from the event bus."""

    @property
    def listeners(self) -> int: ...


class System:
    """The daemon-wide documents; reads the current config at each call (SIGHUP swaps it)."""

    def __init__(
        self,
        *,
        daemon_id: str,
        config: Callable[[], DaemonConfig],
        containers: Containers,
        images: ImageService,
        events: Listeners,
        registry: RegistryClient,
        runtimes: dict[str, RuntimeInfo],
        volumes: Volumes | None = None,
    ) -> None:
        self.daemon_id = daemon_id
        self._volumes = volumes
        self._config = config
        self._containers = containers
        self._images = images
        self._events = events
        self._registry = registry
        self._runtimes = runtimes
        self._init_commit = ""  # tini's version, probed at the first `docker info`

    def hostname(self) -> str:
        return socket.gethostname()

    # -- GET /version, /_ping --------------------------------------------------------------

    def version(self) -> dict[str, Any]:
        """types.Version (`docker version`'s Server part)."""
        arch = host_platform().architecture
        kernel = platform.release()
        build_time = format_ns(hostinfo.build_time_ns())
        python = "python" + ".".join(str(n) for n in sys.version_info[:3])
        engine = {
            "Name": "Engine",
            "Version": __version__,
            "Details": {
                "ApiVersion": API_VERSION,
                "Arch": arch,
                "BuildTime": build_time,
                "Experimental": "false",
                "GitCommit": GIT_COMMIT,
                "GoVersion": python,
                "KernelVersion": kernel,
                "MinAPIVersion": MIN_API_VERSION,
                "Os": "linux",
            },
        }
        runtime = self._runtimes.get(self._config().default_runtime)
        components = [engine]
        if runtime is not None:
            components.append(
                {
                    "Name": self._config().default_runtime,
                    "Version": __version__ if runtime.path.endswith("dockyard-runtime") else "",
                    "Details": {"GitCommit": GIT_COMMIT},
                }
            )
        return {
            "Platform": {"Name": "dockyard"},
            "Components": components,
            "Version": __version__,
            "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": GIT_COMMIT,
            "GoVersion": python,
            "Os": "linux",
            "Arch": arch,
            "KernelVersion": kernel,
            "Experimental": False,
            "BuildTime": build_time,
        }

    def ping_headers(self) -> dict[str, str]:
        """The headers of GET/HEAD /_ping that the docker CLI reads."""
        return {
            "API-Version": API_VERSION,
            "Builder-Version": "1",  # the classic builder: the CLI then posts to /build
            "Docker-Experimental": "false",
            "OSType": "linux",
            "Swarm": "inactive",
            "Cache-Control": "no-cache, no-store, must-revalidate",
            "Pragma": "no-cache",
        }

    # -- GET /info -------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """system.Info (`docker info`)."""
        config = self._config()
        states = [c.get("State", "") for c in self._containers.list(all=True)]
        running = states.count("running")
        paused = states.count("paused")
        cgroups = hostinfo.cgroup_features()
        doc: dict[str, Any] = {
            "ID": self.daemon_id,
            "Containers": len(states),
            "ContainersRunning": running,
            "ContainersPaused": paused,
            "ContainersStopped": len(states) - running - paused,
            "Images": len(self._images.store.list()),
            "Driver": "overlay2",
            "DriverStatus": hostinfo.driver_status(config.data_root),
            "Plugins": {
                "Volume": self._volumes.driver_names() if self._volumes else ["local"],
                "Network": list(request.PLUGINS),
                "Authorization": None,
                "Log": ["json-file", "local"],
            },
            **cgroups,
            "IPv4Forwarding": hostinfo.read_text("/proc/sys/net/ipv4/ip_forward") == "1",
            # Gone from API 1.50's Info, but the 20.10 CLI warns when they are absent/false.
            "BridgeNfIptables": hostinfo.read_text(f"{_BRIDGE_NF}-iptables") == "1",
            "BridgeNfIp6tables": hostinfo.read_text(f"{_BRIDGE_NF}-ip6tables") == "1",
            "Debug": config.debug,
            "NFd": hostinfo.open_fds(),
            "NGoroutines": _tasks(),
            "SystemTime": format_ns(time.time_ns(), time.localtime().tm_gmtoff // 60),
            "LoggingDriver": config.log_driver,
            "CgroupDriver": "cgroupfs",
            "CgroupVersion": hostinfo.cgroup_version(),
            "NEventsListener": self._events.listeners,
            "KernelVersion": platform.release(),
            **hostinfo.os_release(),
            "OSType": "linux",
            "Architecture": platform.machine(),
            "IndexServerAddress": INDEX_SERVER,
            "RegistryConfig": registry_config(config),
            "NCPU": os.cpu_count() or 1,
            "MemTotal": hostinfo.mem_total(),
            "GenericResources": None,
            "DockerRootDir": config.data_root,
            **hostinfo.proxies(),
            "Name": self.hostname(),
            "Labels": list(config.labels),
            "ExperimentalBuild": False,
            "ServerVersion": __version__,
            "Runtimes": {name: _runtime_doc(info) for name, info in self._runtimes.items()},
            "DefaultRuntime": config.default_runtime,
            "Swarm": _SWARM_INACTIVE,
            "LiveRestoreEnabled": config.live_restore,
            "Isolation": "",
            "InitBinary": "docker-init",
            "ContainerdCommit": _commit(f"dockyard-shim {__version__}"),
            "RuncCommit": _commit(f"dockyard-runtime {__version__}"),
            "InitCommit": _commit(self._init_version()),
            "SecurityOptions": _security_options(),
            "CDISpecDirs": [],
            "Warnings": _warnings(config, cgroups),
        }
        if config.default_address_pools:
            doc["DefaultAddressPools"] = [
                {"Base": p["base"], "Size": p["size"]} for p in config.default_address_pools
            ]
        return doc

    def _init_version(self) -> str:
        if not self._init_commit:
            self._init_commit = hostinfo.tini_version()
        return self._init_commit

    # -- GET /system/df --------------------------------------------------------------------

    async def df(self) -> dict[str, Any]:
        """types.DiskUsage (`docker system df`); sizes are measured in a worker thread."""
        return await asyncio.to_thread(self._df)

    def _df(self) -> dict[str, Any]:
        in_use = self._containers.image_users
        images = self._images.list(all=True, shared_size=True, in_use=in_use)
        chains = {c for record in self._images.store.list() for c in record.chain_ids}
        return {
            "LayersSize": sum(self._images.layer_size(c) for c in chains),
            "Images": images,
            "Containers": self._containers.list(all=True, size=True),
            "Volumes": self._volumes.usage() if self._volumes else [],
            "BuildCache": [],
        }

    # -- POST /auth ------------------------------------------------------------------------

    async def auth(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check credentials against a registry (`docker login`); nothing is stored daemon-side.
        A refusal keeps the registry's reason, as moby's registry service does."""
        username = body.get("username") or body.get("Username") or ""
        password = body.get("password") or body.get("Password") or ""
        server = body.get("serveraddress") or body.get("ServerAddress") or INDEX_SERVER
        if not isinstance(username, str) or not isinstance(password, str):
            raise errdefs.InvalidArgument("invalid username or password")
        result = await self._registry.login(login_domain(str(server)), username, password)
        return {"Status": result.status, "IdentityToken": result.identity_token}


def login_domain(server: str) -> str:
    """moby's registry.ConvertToHostname, with Docker Hub's index names mapped to docker.io."""
    host = server.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    if host in ("index.docker.io", "registry-1.docker.io", "docker.io", ""):
        return "docker.io"
    return host


def registry_config(config: DaemonConfig) -> dict[str, Any]:
    """registry.ServiceConfig: insecure CIDRs and per-registry index configs."""
    cidrs = [*LOOPBACK]
    hosts: list[str] = []
    for entry in config.insecure_registries:
        (cidrs if "/" in entry else hosts).append(entry)
    index_configs: dict[str, Any] = {
        "docker.io": {
            "Name": "docker.io",
            "Mirrors": list(config.registry_mirrors),
            "Secure": True,
            "Official": True,
        }
    }
    for host in hosts:
        index_configs[host] = {"Name": host, "Mirrors": [], "Secure": False, "Official": False}
    return {
        "InsecureRegistryCIDRs": cidrs,
        "IndexConfigs": index_configs,
        "Mirrors": list(config.registry_mirrors),
    }


_SWARM_INACTIVE: dict[str, Any] = {
    "NodeID": "",
    "NodeAddr": "",
    "LocalNodeState": "inactive",
    "ControlAvailable": False,
    "Error": "",
    "RemoteManagers": None,
}


def _commit(commit_id: str) -> dict[str, str]:
    # "Expected" equal to ID: the 20.10 CLI prints "(expected: ...)" when they differ.
    return {"ID": commit_id, "Expected": commit_id}


def _runtime_doc(info: RuntimeInfo) -> dict[str, Any]:
    doc: dict[str, Any] = {"path": info.path}
    if info.args:
        doc["runtimeArgs"] = list(info.args)
    return doc


def _security_options() -> list[str]:
    options = ["name=seccomp,profile=builtin"]
    if hostinfo.cgroup_version() == "2":
        options.append("name=cgroupns")
    return options


def _warnings(config: DaemonConfig, cgroups: dict[str, bool]) -> list[str]:
    """Docker's daemon warnings (moby daemon/info_unix.go, info.go) that apply here."""
    warnings = []
    if not cgroups["SwapLimit"]:
        warnings.append("WARNING: No swap limit support")
    for host in config.hosts:
        if not host.startswith("tcp://") or config.tlsverify:
            continue
        address = host.removeprefix("tcp://")
        if config.tls:
            warnings.append(
                f"WARNING: API is accessible on https://{address} without TLS client"
                " verification. Access to the remote API is equivalent to root access on the"
                " host."
            )
        else:
            warnings.append(
                f"WARNING: API is accessible on http://{address} without encryption. Access to"
                " the remote API is equivalent to root access on the host."
            )
    return warnings


def _tasks() -> int:
    """NGoroutines: our asyncio tasks plus threads."""
    try:
        tasks = len(asyncio.all_tasks())
    except RuntimeError:  # no running loop (called from a thread)
        tasks = 0
    return tasks + threading.active_count()
