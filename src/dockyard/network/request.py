"""POST /networks/create bodies: Docker's refusals by driver, and the network's address
pools (moby daemon/network.go createNetwork, libnetwork's default IPAM)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.network import ipam
from dockyard.network.model import PREDEFINED, Refused

DRIVERS = ("bridge", "macvlan", "ipvlan", "host", "null", "overlay")
# `docker info` Plugins.Network: the drivers that work here (ipvlan: not in this kernel;
# overlay: no swarm mode yet)
PLUGINS = ("bridge", "host", "macvlan", "null")


def check_driver(name: str, driver: str, *, exists: bool) -> None:
    """Predefined names and drivers, and the drivers this host cannot run."""
    if driver in ("host", "null") or name in PREDEFINED:
        if exists:
            raise errdefs.Conflict(f"network with name {name} already exists")
        raise Refused(f'only one instance of "{driver}" network is allowed')
    if driver == "ipvlan":
        raise errdefs.FailedPrecondition(
            "ipvlan is not available: this kernel has no ipvlan support (CONFIG_IPVLAN)"
        )
    if driver == "overlay":
        raise errdefs.Unimplemented("overlay networks need swarm mode, which is not available yet")
    if driver not in DRIVERS:
        raise errdefs.NotFound(f'plugin "{driver}" not found')


def pools(
    configs: Sequence[dict[str, Any]],
    *,
    ipv6: bool,
    defaults: Sequence[tuple[str, int]],
    taken: Iterable[ipam.Net4],
    mine: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network],
) -> list[ipam.Pool]:
    """IPAM.Config to pools: every given subnet validated (no overlap with this daemon's
    networks), an IPv4 subnet chosen from `defaults` clear of `taken` when none is given,
    IPv4 pools first. With `ipv6`, an IPv6 subnet must be given (Docker 20.10 has no
    default IPv6 pools)."""
    taken4 = list(taken)
    mine_nets = list(mine)
    out: list[ipam.Pool] = []
    for c in configs:
        subnet = str(c.get("Subnet") or "")
        if not subnet:
            subnet = str(ipam.choose_subnet(defaults, taken4))
        pool = ipam.make_pool(
            subnet=subnet,
            gateway=str(c.get("Gateway") or ""),
            ip_range=str(c.get("IPRange") or ""),
            aux={str(k): str(v) for k, v in (c.get("AuxiliaryAddresses") or {}).items()},
            taken=[
                m for m in mine_nets if m.version == ipaddress.ip_network(subnet, False).version
            ],
        )
        net = ipaddress.ip_network(pool.subnet)
        if any(
            net.overlaps(ipaddress.ip_network(p.subnet)) for p in out if p.version == net.version
        ):
            raise errdefs.Conflict("Pool overlaps with other one on this address space")
        out.append(pool)
        if isinstance(net, ipaddress.IPv4Network):
            taken4.append(net)
    if not any(p.version == 4 for p in out):
        out.insert(0, ipam.make_pool(subnet=str(ipam.choose_subnet(defaults, taken4))))
    if ipv6 and not any(p.version == 6 for p in out):
        raise errdefs.FailedPrecondition(
            "could not find an available, non-overlapping IPv6 address pool among the "
            "defaults to assign to the network"
        )
    return sorted(out, key=lambda p: p.version)
