"""The bridge driver: a Linux bridge per network (its gateways as the bridge's addresses),
a veth pair per endpoint with the host end enslaved to it (libnetwork drivers/bridge)."""

from __future__ import annotations

from dockyard import errdefs
from dockyard.network import netlink
from dockyard.network.model import Network, Refused


def check(n: Network) -> None:
    """network create's refusals: one subnet per family (moby's 403), a bridge name in use."""
    if len(n.v4_pools) > 1 or len([p for p in n.pools if p.version == 6]) > 1:
        raise Refused("bridge driver doesn't support multiple subnets")
    if n.bridge != f"br-{n.id[:12]}" and netlink.link_exists(n.bridge):
        raise errdefs.Conflict(f"bridge name {n.bridge} is already in use")


def setup(n: Network) -> None:
    """The bridge, up, with the IPv4 gateway (and the IPv6 one when EnableIPv6)."""
    v4, v6 = n.v4_pools[:1], n.v6_pools[:1]
    netlink.ensure_bridge(
        n.bridge,
        address=v4[0].gateway if v4 else "",
        prefixlen=v4[0].prefixlen if v4 else 0,
        mtu=n.mtu,
        address6=v6[0].gateway if v6 else "",
        prefixlen6=v6[0].prefixlen if v6 else 0,
    )


def teardown(n: Network) -> None:
    netlink.delete_link(n.bridge)


def add_link(n: Network, sandbox: str) -> tuple[str, str]:
    """A veth pair for an endpoint: (host end, temporary name inside the sandbox)."""
    return netlink.add_veth(bridge=n.bridge, netns=sandbox, mtu=n.mtu)
