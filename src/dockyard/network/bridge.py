"""The bridge driver: a Linux bridge per network (its gateways as the bridge's addresses),
a veth pair per endpoint with the host end enslaved to it (libnetwork drivers/bridge).

Traffic between two ports of one bridge is switched, not routed: the nftables forward
chain sees it only with br_netfilter's bridge-nf-call-iptables on, which ICC off and the
hairpin to a published port through the gateway need (moby setupBridgeNetFiltering). The
daemon turns it on (loading br_netfilter when missing), as Docker does."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess

from dockyard import errdefs
from dockyard.network import netlink
from dockyard.network.model import Network, Refused

log = logging.getLogger(__name__)
BRIDGE_NF = "/proc/sys/net/bridge/bridge-nf-call-"


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


def bridge_netfilter(ipv6: bool) -> None:
    """bridge-nf-call-iptables (and -ip6tables) on; a warning when that cannot be done."""
    if not os.path.exists(BRIDGE_NF + "iptables"):
        with contextlib.suppress(OSError):
            subprocess.run(["modprobe", "br_netfilter"], capture_output=True, check=False)
    for family in ("iptables", "ip6tables") if ipv6 else ("iptables",):
        try:
            with open(BRIDGE_NF + family, "r+") as f:
                if f.read().strip() != "1":
                    f.seek(0)
                    f.write("1")
        except OSError as err:
            log.warning("cannot enable bridge-nf-call-%s (ICC off and hairpin need it): %s",
                        family, err)  # fmt: skip


def teardown(n: Network) -> None:
    netlink.delete_link(n.bridge)


def add_link(n: Network, sandbox: str) -> tuple[str, str]:
    """A veth pair for an endpoint: (host end, temporary name inside the sandbox)."""
    return netlink.add_veth(bridge=n.bridge, netns=sandbox, mtu=n.mtu)
