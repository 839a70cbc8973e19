"""The documents Docker prints for containers: inspect, the `ps` summary, and its filters."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.containers.state import Status
from dockyard.images import timefmt
from dockyard.images.filters import Filters
from dockyard.utils.humantime import human_duration

LIST_FILTERS = frozenset(
    {"id", "name", "label", "status", "exited", "ancestor", "before", "since", "volume",
     "network", "publish", "expose", "health", "isolation", "is-task"}
)  # fmt: skip
_STATUSES = frozenset(s.value for s in Status)
_HEALTH = frozenset({"starting", "healthy", "unhealthy", "none"})


def command_line(config: dict[str, Any]) -> tuple[str, list[str]]:
    """Path and Args: the first word of Entrypoint + Cmd and the rest."""
    words = list(config.get("Entrypoint") or []) + list(config.get("Cmd") or [])
    return (words[0], words[1:]) if words else ("", [])


def network_settings(c: Container) -> dict[str, Any]:
    """NetworkSettings: the endpoints stored by containers/netuse (keyed by network name),
    with Docker's legacy top-level fields (those of the default bridge's endpoint)."""
    doc: dict[str, Any] = {
        "Bridge": "", "SandboxID": "", "SandboxKey": "", "Ports": {}, "HairpinMode": False,
        "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0, "SecondaryIPAddresses": None,
        "SecondaryIPv6Addresses": None, "EndpointID": "", "Gateway": "", "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
        "MacAddress": "", "Networks": {},
    }  # fmt: skip
    mode = c.host_config.get("NetworkMode") or "default"
    if "Networks" not in c.network_settings and not mode.startswith("container:"):
        # a container stored before it had networks: show the mode's endpoint as Docker would
        doc["Networks"] = {"none" if mode in ("default", "bridge") else mode: _empty_endpoint()}
    doc.update(c.network_settings)
    return doc


def _empty_endpoint() -> dict[str, Any]:
    return {
        "IPAMConfig": None, "Links": None, "Aliases": None, "MacAddress": "",
        "DriverOpts": None, "GwPriority": 0, "NetworkID": "", "EndpointID": "", "Gateway": "",
        "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "", "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0, "DNSNames": None,
    }  # fmt: skip


def inspect_doc(
    c: Container, *, graph_driver: dict[str, Any], sizes: tuple[int, int] | None
) -> dict[str, Any]:
    """ContainerInspectResponse."""
    path, args = command_line(c.config)
    doc: dict[str, Any] = {
        "Id": c.id,
        "Created": c.created,
        "Path": path,
        "Args": args,
        "State": c.state.doc(),
        "Image": c.image_id,
        "ResolvConfPath": c.resolv_conf_path,
        "HostnamePath": c.hostname_path,
        "HostsPath": c.hosts_path,
        "LogPath": c.log_path,
        "Name": "/" + c.name,
        "RestartCount": c.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": sorted(c.exec_ids) or None,
        "HostConfig": c.host_config,
        "GraphDriver": graph_driver,
        "Mounts": c.mounts,
        "Config": c.config,
        "NetworkSettings": network_settings(c),
    }
    if sizes is not None:
        doc["SizeRw"], doc["SizeRootFs"] = sizes
    return doc


def summary_doc(c: Container, *, sizes: tuple[int, int] | None) -> dict[str, Any]:
    """ContainerSummary (one row of `docker ps`)."""
    path, args = command_line(c.config)
    doc: dict[str, Any] = {
        "Id": c.id,
        "Names": ["/" + c.name],
        "Image": c.config.get("Image") or c.image_id,
        "ImageID": c.image_id,
        "Command": " ".join([path, *args]),
        "Created": timefmt.to_ns(c.created) // 1_000_000_000,
        "Ports": summary_ports(c),
        "Labels": c.config.get("Labels") or {},
        "State": c.state.status.value,
        "Status": status_text(c),
        "HostConfig": {"NetworkMode": c.host_config.get("NetworkMode") or "default"},
        "NetworkSettings": {"Networks": network_settings(c)["Networks"]},
        "Mounts": c.mounts,
    }
    if sizes is not None:
        doc["SizeRw"], doc["SizeRootFs"] = sizes
    return doc


def summary_ports(c: Container) -> list[dict[str, Any]]:
    """ContainerSummary.Ports: published ports with their host side, exposed ones without."""
    ports = c.network_settings.get("Ports") or {}
    out: list[dict[str, Any]] = []
    seen = set()
    for key, binds in ports.items():
        port, _, proto = key.partition("/")
        seen.add(key)
        for b in binds or []:
            public = int(b.get("HostPort") or 0)
            ip = b.get("HostIp", "")
            out.append({"IP": ip, "PrivatePort": int(port), "PublicPort": public,
                        "Type": proto or "tcp"})  # fmt: skip
        if not binds:
            out.append({"PrivatePort": int(port), "Type": proto or "tcp"})
    for key in c.config.get("ExposedPorts") or {}:
        if key not in seen:
            port, _, proto = key.partition("/")
            out.append({"PrivatePort": int(port), "Type": proto or "tcp"})
    return out


def status_text(c: Container, now_ns: int | None = None) -> str:
    """`Up 3 seconds (healthy)`, `Exited (0) 5 minutes ago`, `Created`... as Docker words it."""
    now = now_ns if now_ns is not None else time.time_ns()
    s = c.state
    if s.status is Status.RESTARTING:
        ago = human_duration((now - timefmt.to_ns(s.finished_at)) / 1e9)
        return f"Restarting ({s.exit_code}) {ago} ago"
    if s.status in (Status.RUNNING, Status.PAUSED):
        text = "Up " + human_duration((now - timefmt.to_ns(s.started_at)) / 1e9)
        if s.status is Status.PAUSED:
            return text + " (Paused)"
        health = (s.health or {}).get("Status", "")
        if health == "starting":
            return text + " (health: starting)"
        return text + (f" ({health})" if health else "")
    if s.status is Status.REMOVING:
        return "Removal In Progress"
    if s.status is Status.DEAD:
        return "Dead"
    if s.status is Status.EXITED and s.finished_at != timefmt.ZERO_TIME:
        ago = human_duration((now - timefmt.to_ns(s.finished_at)) / 1e9)
        return f"Exited ({s.exit_code}) {ago} ago"
    return "Created"


class ListFilter:
    """`docker ps --filter` (moby's list filters), checked against one container at a time."""

    def __init__(
        self, raw: dict[str, list[str]] | None, resolve: Callable[[str], Container]
    ) -> None:
        self.f = Filters(raw, accepted=LIST_FILTERS)
        for status in self.f.get("status"):
            if status not in _STATUSES:
                raise errdefs.InvalidArgument(f"invalid filter 'status={status}'")
        for health in self.f.get("health"):
            if health not in _HEALTH:
                raise errdefs.InvalidArgument(f"Unrecognised filter value for health: {health}")
        self.exited = [_int_filter("exited", v) for v in self.f.get("exited")]
        # before/since name containers: an unknown one is NotFound, as Docker answers
        self.before = [resolve(r).created for r in self.f.get("before")]
        self.since = [resolve(r).created for r in self.f.get("since")]
        self.ancestors = self.f.get("ancestor")

    @property
    def implies_all(self) -> bool:
        """Docker lists stopped containers when these filters ask for them."""
        return any(k in self.f for k in ("exited", "status", "before", "since"))

    def match(self, c: Container, ancestor_ids: set[str]) -> bool:
        f = self.f
        if "id" in f and not any(c.id.startswith(v) for v in f.get("id")):
            return False
        if "name" in f and not any(_name_matches(v, c.name) for v in f.get("name")):
            return False
        if not f.match_kv_list("label", c.config.get("Labels")):
            return False
        if "status" in f and c.state.status.value not in f.get("status"):
            return False
        if self.exited and (
            c.state.status is not Status.EXITED or c.state.exit_code not in self.exited
        ):
            return False
        if self.before and not all(c.created < t for t in self.before):
            return False
        if self.since and not all(c.created > t for t in self.since):
            return False
        if self.ancestors and c.image_id not in ancestor_ids:
            return False
        if "health" in f:
            health = (c.state.health or {}).get("Status") or "none"
            if health not in f.get("health"):
                return False
        if "network" in f:
            nets = set(network_settings(c)["Networks"])
            if not nets & set(f.get("network")):
                return False
        if "volume" in f:
            names = {m.get("Name") for m in c.mounts} | {m.get("Destination") for m in c.mounts}
            if not names & set(f.get("volume")):
                return False
        return not ("publish" in f or "expose" in f) or _ports_match(c, f)


def _ports_match(c: Container, f: Filters) -> bool:
    exposed = set((c.config.get("ExposedPorts") or {}).keys())
    for value in f.get("expose"):
        if _normal_port(value) not in exposed:
            return False
    bindings = set((c.host_config.get("PortBindings") or {}).keys())
    return all(_normal_port(v) in bindings for v in f.get("publish"))


def _normal_port(value: str) -> str:
    return value if "/" in value else value + "/tcp"


def _name_matches(pattern: str, name: str) -> bool:
    """moby matches names with a regular expression against "/name"."""
    try:
        return re.search(pattern, "/" + name) is not None
    except re.error:
        return False


def _int_filter(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise errdefs.InvalidArgument(f"invalid filter '{name}={value}'") from None
