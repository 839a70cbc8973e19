"""The macvlan driver: endpoints are macvlan ports of a parent host interface, or of an
802.1q sub-interface `<parent>.<vlan id>` that network create makes and network rm removes
(libnetwork drivers/macvlan). Several subnets per network are allowed.

The parent is never configured otherwise: its addresses and state are the host's.
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.network import netlink
from dockyard.network.model import Network

MODES = ("bridge", "private", "vepa", "passthru")


def parent(n: Network) -> str:
    return n.options.get("parent", "")


def check(n: Network) -> None:
    if not parent(n):
        # libnetwork makes a dummy parent here; that needs the dummy module, which this
        # kernel may lack, so a parent is required (one line, as issue 6 asks)
        raise errdefs.InvalidArgument("macvlan needs a host interface: -o parent=<interface>")
    mode = n.options.get("macvlan_mode", "bridge")
    if mode not in MODES:
        raise errdefs.InvalidArgument(f"requested macvlan mode '{mode}' is not valid")


def setup(n: Network) -> None:
    """The parent must exist, or be `<existing>.<vlan id>`, made here (parent_created)."""
    name = parent(n)
    if netlink.link_exists(name):
        return
    if "." not in name:
        # sic: libnetwork's words ("does was")
        raise errdefs.InvalidArgument(f"-o parent interface does was not found on the host: {name}")
    netlink.add_vlan(name)
    n.parent_created = True


def teardown(n: Network) -> None:
    if n.parent_created:
        netlink.delete_link(parent(n))


def add_link(n: Network, sandbox: str) -> tuple[str, str]:
    """A macvlan port moved into the sandbox: ("" (no host end), temporary name inside)."""
    mode = n.options.get("macvlan_mode", "bridge")
    return "", netlink.add_macvlan(parent=parent(n), netns=sandbox, mode=mode)
