"""A container's networks: checked at create, attached while it runs (moby daemon
container_operations.go: allocateNetwork, connectToNetwork, releaseNetwork).

    prepare(deps, c, networking_config)        # create: NetworkSettings.Networks skeleton
    path, ips = await attach(deps, c)           # start: sandbox, endpoints, ports, DNS
    await release(deps, c)                      # exit / failed start: all of it undone
    await connect(deps, c, name, cfg) / disconnect(deps, c, name)   # on a running container

`none` keeps the runtime's own namespace (loopback only: nothing to do, and fast), `host`
uses the host's; every other mode gets a sandbox made by the daemon that the spec joins by
path. NetworkSettings.Networks is keyed by network name, in the order endpoints are made:
the NetworkMode network first (eth0, the default route), then the others (eth1, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
from collections.abc import Callable
from typing import Any

from dockyard import errdefs
from dockyard.containers import netmode
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.containers.state import Status
from dockyard.network.model import Endpoint, Network
from dockyard.network.ports import requested

log = logging.getLogger(__name__)

_OWN_NS = ("none", "host")
Lookup = Callable[[str], Container]  # a container by id, name or prefix (NotFound otherwise)


def endpoint_doc(cfg: dict[str, Any] | None = None, network_id: str = "") -> dict[str, Any]:
    """EndpointSettings as inspect shows it for a container that is not running."""
    cfg = cfg or {}
    return {
        "IPAMConfig": cfg.get("IPAMConfig") or None,
        "Links": cfg.get("Links") or None,
        "Aliases": cfg.get("Aliases") or None,
        "MacAddress": cfg.get("MacAddress") or "",
        "DriverOpts": cfg.get("DriverOpts") or None,
        "GwPriority": int(cfg.get("GwPriority") or 0),
        "NetworkID": network_id,
        "EndpointID": "",
        "Gateway": "",
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DNSNames": None,
    }


def prepare(
    deps: ContainerDeps, c: Container, networking: dict[str, Any], *, lookup: Lookup
) -> None:
    """Validate the network mode and endpoint configs of a create (moby's messages) and
    store the NetworkSettings.Networks skeleton."""
    hc = c.host_config
    mode = hc.get("NetworkMode") or "bridge"
    endpoints: dict[str, Any] = dict(networking.get("EndpointsConfig") or {})
    if netmode.joined(mode):
        # stored by full id when it exists, as Docker's inspect shows it; an unknown one is
        # the start's "No such container" (a 404 here would make `docker run` pull)
        with contextlib.suppress(errdefs.NotFound):
            hc["NetworkMode"] = netmode.PREFIX + lookup(netmode.joined(mode)).id
        c.network_settings = {"Networks": {}}
        return
    if deps.networks is None:
        name = "none" if mode == "bridge" else mode  # loopback only without a network service
        c.network_settings = {"Networks": {name: endpoint_doc()}}
        return
    nets = deps.networks
    docs: dict[str, Any] = {}
    for name in [mode] + [k for k in endpoints if k != mode]:
        n = nets.get(name)
        cfg = endpoints.get(name) or endpoints.get(n.id) or {}
        _check_endpoint(n, cfg, mode)
        docs[n.name] = endpoint_doc(cfg, n.id)
    if len(docs) > 1 and any(nets.get(k).driver in ("host", "null") for k in docs):
        raise errdefs.InvalidArgument(
            "container cannot be disconnected from host network or connected to host network"
        )
    c.network_settings = {"Networks": docs}


def _check_endpoint(n: Network, cfg: dict[str, Any], mode: str) -> None:
    ipam = cfg.get("IPAMConfig") or {}
    if (ipam.get("IPv4Address") or ipam.get("IPv6Address")) and (
        n.is_default_bridge or n.driver in ("host", "null")
    ):
        raise errdefs.InvalidArgument(
            "user specified IP address is supported on user defined networks only"
        )
    if cfg.get("Aliases") and (n.is_default_bridge or n.driver in ("host", "null")):
        raise errdefs.InvalidArgument(
            "network-scoped alias is supported only for containers in user defined networks"
        )


def join_container(deps: ContainerDeps, c: Container, lookup: Lookup) -> str:
    """--network container:<id>: the other container's namespace (its sandbox, or its
    PID 1's for `none`/`host`), and its hostname and /etc files (moby
    getNetworkedContainer, initializeNetworking). Refused when it does not run."""
    ref = netmode.joined(c.host_config.get("NetworkMode") or "")
    other = lookup(ref)
    if other.id == c.id:
        raise errdefs.InvalidArgument("cannot join own network")
    if other.state.status is Status.RESTARTING:  # Docker counts it running, then refuses
        raise errdefs.Conflict(
            f"Container {ref} is restarting, wait until the container is running"
        )
    if not other.running or not other.state.pid:
        raise errdefs.Conflict(f"cannot join network of a non running container: {ref}")
    c.etc_dir = other.etc_dir or other.data_dir
    c.config["Hostname"] = other.config.get("Hostname", "")
    c.config["Domainname"] = other.config.get("Domainname", "")
    if deps.networks is not None and uses_sandbox(deps, other):
        path = deps.networks.sandbox_path(other.id)
        if os.path.exists(path):
            return path
    return f"/proc/{other.state.pid}/ns/net"


def internal_dns(deps: ContainerDeps, c: Container) -> bool:
    """True when resolv.conf names the embedded resolver (a user-defined network)."""
    nets = deps.networks
    if nets is None or deps.dns is None or not uses_sandbox(deps, c):
        return False
    return any(_exists(nets, n) and nets.get(n).dns for n in c.network_settings.get("Networks", {}))


def host_gateway_ip(deps: ContainerDeps) -> str:
    """`host-gateway` in --add-host: the default bridge's gateway, as Docker's default."""
    if deps.networks is None:
        return ""
    pools = deps.networks.get("bridge").pools
    return pools[0].gateway if pools else ""


def uses_sandbox(deps: ContainerDeps, c: Container) -> bool:
    mode = c.host_config.get("NetworkMode") or "bridge"
    return deps.networks is not None and mode not in _OWN_NS and not mode.startswith("container:")


async def attach(
    deps: ContainerDeps, c: Container, *, lookup: Lookup
) -> tuple[str | None, list[str]]:
    """Before `runtime create`: the network namespace path for the spec (None: the
    runtime's own or the host's namespace) and the container's addresses for /etc/hosts."""
    if netmode.joined(c.host_config.get("NetworkMode") or ""):
        return join_container(deps, c, lookup), []
    if not uses_sandbox(deps, c):
        return None, []
    nets = deps.networks
    assert nets is not None
    path = await asyncio.to_thread(nets.create_sandbox, c.id)
    docs = c.network_settings.setdefault("Networks", {})
    try:
        for i, name in enumerate(list(docs)):
            await _join(deps, c, name, docs, ifname=f"eth{i}", primary=i == 0, sandbox=path)
        first = next(iter(docs), "")
        ep = _endpoint(deps, c, first)
        ports: dict[str, Any] = {}
        if ep is not None:
            binds = requested(
                c.host_config.get("PortBindings"),
                publish_all=bool(c.host_config.get("PublishAllPorts")),
                exposed=c.config.get("ExposedPorts"),
            )
            ports = await asyncio.to_thread(nets.publish, ep, binds, endpoint_name=c.name)
        _fill_top(c, path, ports)
        if deps.dns is not None and any(nets.get(n).dns for n in docs):
            await deps.dns.start(c.id, path, _external_dns(deps, c))
    except BaseException:
        await release(deps, c)
        raise
    ips = [d[k] for d in docs.values() for k in ("IPAddress", "GlobalIPv6Address") if d.get(k)]
    return path, ips


async def _join(
    deps: ContainerDeps, c: Container, name: str, docs: dict[str, Any], *, ifname: str,
    primary: bool, sandbox: str,
) -> None:  # fmt: skip
    nets = deps.networks
    assert nets is not None
    n = nets.get(name)
    doc = docs[name]
    ipam = doc.get("IPAMConfig") or {}
    ep = await asyncio.to_thread(
        lambda: nets.join(
            n, container_id=c.id, container_name=c.name, sandbox_path=sandbox, ifname=ifname,
            primary=primary, ip=ipam.get("IPv4Address") or "", ip6=ipam.get("IPv6Address") or "",
            aliases=list(doc.get("Aliases") or []),
            mac=doc.get("MacAddress") or (c.config.get("MacAddress") or "" if primary else ""),
        )
    )  # fmt: skip
    _fill_endpoint(doc, n, ep, c)


def _fill_endpoint(doc: dict[str, Any], n: Network, ep: Endpoint, c: Container) -> None:
    doc.update(
        NetworkID=n.id, EndpointID=ep.id, Gateway=ep.gateway, IPAddress=ep.address,
        IPPrefixLen=ep.prefixlen, MacAddress=ep.mac, IPv6Gateway=ep.gateway6,
        GlobalIPv6Address=ep.address6, GlobalIPv6PrefixLen=ep.prefixlen6,
        DNSNames=None if not n.dns else [c.name, c.id[:12], *(doc.get("Aliases") or [])],
    )  # fmt: skip


def _fill_top(c: Container, path: str, ports: dict[str, Any]) -> None:
    """The legacy top-level fields mirror the default bridge's endpoint (as Docker's)."""
    ns = c.network_settings
    bridge = ns.get("Networks", {}).get("bridge") or {}
    ns.update(
        SandboxID=c.id, SandboxKey=path, Ports=ports, EndpointID=bridge.get("EndpointID", ""),
        Gateway=bridge.get("Gateway", ""), IPAddress=bridge.get("IPAddress", ""),
        IPPrefixLen=bridge.get("IPPrefixLen", 0), MacAddress=bridge.get("MacAddress", ""),
    )  # fmt: skip


def _endpoint(deps: ContainerDeps, c: Container, name: str) -> Endpoint | None:
    nets = deps.networks
    if nets is None or not name:
        return None
    n = nets.get(name)
    found = nets.endpoints(network_id=n.id, container_id=c.id)
    return found[0] if found else None


def _external_dns(deps: ContainerDeps, c: Container) -> list[str]:
    return list(c.host_config.get("Dns") or deps.defaults.dns)


async def release(deps: ContainerDeps, c: Container) -> None:
    """Undo `attach`: DNS, endpoints (addresses, ports, interfaces) and the sandbox."""
    nets = deps.networks
    if nets is None or not uses_sandbox(deps, c):
        return
    if deps.dns is not None:
        await deps.dns.stop(c.id)
    for ep in nets.endpoints(container_id=c.id):
        try:
            await asyncio.to_thread(nets.leave, ep.network_id, c.id)
        except (OSError, errdefs.DockyardError) as err:
            log.warning("failed to release endpoint of %s: %s", c.id[:12], err)
    try:
        await asyncio.to_thread(nets.remove_sandbox, c.id)
    except OSError as err:
        log.warning("failed to remove the sandbox of %s: %s", c.id[:12], err)
    ns = c.network_settings
    for doc in ns.get("Networks", {}).values():
        doc.update(EndpointID="", Gateway="", IPAddress="", IPPrefixLen=0, DNSNames=None,
                   IPv6Gateway="", GlobalIPv6Address="", GlobalIPv6PrefixLen=0)  # fmt: skip
        if not (doc.get("IPAMConfig") or {}) and not doc.get("MacAddress"):
            pass
    for key in ("EndpointID", "Gateway", "IPAddress", "MacAddress", "SandboxID", "SandboxKey"):
        ns[key] = ""
    ns["IPPrefixLen"] = 0
    ns["Ports"] = {}


async def restore(deps: ContainerDeps, c: Container) -> None:
    """Live restore of a running container: its endpoints are still there; the resolver and
    the reserved ports come back."""
    nets = deps.networks
    if nets is None or not uses_sandbox(deps, c) or deps.dns is None:
        return
    if any(nets.get(n).dns for n in c.network_settings.get("Networks", {}) if _exists(nets, n)):
        try:
            await deps.dns.start(c.id, nets.sandbox_path(c.id), _external_dns(deps, c))
        except (OSError, errdefs.DockyardError) as err:
            log.warning("failed to restore DNS of %s: %s", c.id[:12], err)


def _exists(nets: Any, name: str) -> bool:
    try:
        nets.get(name)
    except errdefs.NotFound:
        return False
    return True


async def connect(deps: ContainerDeps, c: Container, ref: str, cfg: dict[str, Any] | None) -> None:
    """POST /networks/{id}/connect: the skeleton for a stopped container, an interface
    (eth1, ...) for a running one."""
    nets = deps.networks
    if nets is None:
        raise errdefs.Unimplemented("networks are not available in this daemon")
    n = nets.get(ref)
    mode = c.host_config.get("NetworkMode") or "bridge"
    if mode in _OWN_NS or mode.startswith("container:"):
        raise errdefs.InvalidArgument(
            "container cannot be disconnected from host network or connected to host network"
            if mode == "host" or n.driver == "host"
            else "container sharing network namespace with another container or host cannot "
            "be connected to any other network"
        )
    docs = c.network_settings.setdefault("Networks", {})
    if n.name in docs:
        raise errdefs.Conflict(f"endpoint with name {c.name} already exists in network {n.name}")
    cfg = copy.deepcopy(cfg or {})
    _check_endpoint(n, cfg, mode)
    docs[n.name] = endpoint_doc(cfg, n.id)
    if not c.running:
        return
    try:
        await _join(deps, c, n.name, docs, ifname=f"eth{len(docs) - 1}", primary=False,
                    sandbox=nets.sandbox_path(c.id))  # fmt: skip
    except BaseException:
        docs.pop(n.name, None)
        raise
    if n.dns and deps.dns is not None:
        await deps.dns.start(c.id, nets.sandbox_path(c.id), _external_dns(deps, c))


async def disconnect(deps: ContainerDeps, c: Container, ref: str, *, force: bool) -> None:
    nets = deps.networks
    if nets is None:
        raise errdefs.Unimplemented("networks are not available in this daemon")
    n = nets.get(ref)
    docs = c.network_settings.get("Networks", {})
    if n.name not in docs:
        raise errdefs.Conflict(f"container {c.id} is not connected to network {n.name}")
    # moby (DisconnectFromNetwork): a container that does not run just loses the entry,
    # whatever the network; a running one cannot leave host or none.
    if c.running and n.driver in ("host", "null"):
        raise errdefs.InvalidArgument(
            "container cannot be disconnected from host network or connected to host network"
        )
    if c.running:
        await asyncio.to_thread(nets.leave, n.id, c.id)
    del docs[n.name]
