"""The daemon's network settings (daemon.json) and its predefined networks: the default
bridge (`bip`, an existing bridge's address, or the first free default pool), host, none."""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import secrets
from collections.abc import Iterable, Iterator

from dockyard.images import timefmt
from dockyard.network import ipam, netlink
from dockyard.network.model import (
    BRIDGE_NAME,
    DEFAULT_BRIDGE,
    ENABLE_ICC,
    ENABLE_MASQ,
    HOST_BINDING,
    MTU,
    Network,
)
from dockyard.utils.record import field, record

IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"
HOST_LOCK = "/run/lock/dockyard-networks.lock"  # several daemons choosing subnets at once


@record(frozen=True)
class Settings:
    """daemon.json's network settings and the host-wide names this daemon owns."""

    netns_dir: str  # <exec-root>/netns
    bridge: str = "dockyard0"
    table: str = "dockyard"
    bip: str = ""
    pools: list[tuple[str, int]] = field(default_factory=lambda: list(ipam.DEFAULT_POOLS))
    iptables: bool = True
    ip_forward: bool = True
    icc: bool = True


def new_id() -> str:
    return secrets.token_hex(32)


def network(name: str, driver: str) -> Network:
    """`host` or `none`: no pools, no endpoints."""
    return Network(id=new_id(), name=name, driver=driver, created=timefmt.now_rfc3339())


def default_bridge(s: Settings, taken: Iterable[ipaddress.IPv4Network]) -> Network:
    """The `bridge` network on Settings.bridge."""
    if s.bip:
        iface = ipaddress.ip_interface(s.bip)
        pool = ipam.Pool(subnet=str(iface.network), gateway=str(iface.ip))
    else:
        have = netlink.bridge_address(s.bridge)
        if have is not None:
            iface = ipaddress.ip_interface(f"{have[0]}/{have[1]}")
            pool = ipam.Pool(subnet=str(iface.network), gateway=str(iface.ip))
        else:
            pool = ipam.make_pool(subnet=str(ipam.choose_subnet(s.pools, list(taken))))
    options = {
        DEFAULT_BRIDGE: "true", ENABLE_ICC: "true" if s.icc else "false",
        ENABLE_MASQ: "true", HOST_BINDING: "0.0.0.0", BRIDGE_NAME: s.bridge, MTU: "1500",
    }  # fmt: skip
    return Network(
        id=new_id(), name="bridge", driver="bridge", created=timefmt.now_rfc3339(),
        pools=[pool], options=options,
    )  # fmt: skip


@contextlib.contextmanager
def host_lock() -> Iterator[None]:
    """Serialise subnet choice and bridge creation with other daemons on this host."""
    os.makedirs(os.path.dirname(HOST_LOCK), exist_ok=True)
    with open(HOST_LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
