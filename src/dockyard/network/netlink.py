"""Links and addresses through netlink (pyroute2): bridges, veth pairs, macvlans, and the
interfaces inside sandboxes. Synchronous: called from worker threads."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import os
import secrets
import socket

# pyroute2 ships no type information (no py.typed): its objects are used as Any here
from pyroute2 import IPRoute  # type: ignore[import-untyped]
from pyroute2.netlink.exceptions import NetlinkError  # type: ignore[import-untyped]

from dockyard import errdefs
from dockyard.network import sandbox

log = logging.getLogger(__name__)

NETLINK_ROUTE = 0
IFA_F_NODAD = 0x02  # linux/if_addr.h


def _ipr(netns: str = "") -> IPRoute:
    if not netns:
        return IPRoute()
    sock = sandbox.socket_in(netns, socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_ROUTE)
    return IPRoute(use_socket=sock)


def _index(ipr: IPRoute, name: str) -> int | None:
    found = ipr.link_lookup(ifname=name)
    return int(found[0]) if found else None


def link_exists(name: str) -> bool:
    with _ipr() as ipr:
        return _index(ipr, name) is not None


def host_routes() -> list[ipaddress.IPv4Network]:
    """Destinations of the host's IPv4 routes (main table), default route excluded."""
    out = []
    with _ipr() as ipr:
        for r in ipr.route("dump", family=socket.AF_INET):
            dst, plen = r.get("RTA_DST"), r["dst_len"]
            if dst and plen and r.get("RTA_TABLE", r["table"]) == 254:
                out.append(ipaddress.IPv4Network(f"{dst}/{plen}", strict=False))
    return out


def ensure_bridge(
    name: str, *, address: str, prefixlen: int, mtu: int = 1500, address6: str = "",
    prefixlen6: int = 0,
) -> None:  # fmt: skip
    """Make bridge `name` (if missing) with `address/prefixlen` (and the IPv6 gateway
    `address6/prefixlen6`) and bring it up."""
    with _ipr() as ipr:
        idx = _index(ipr, name)
        if idx is None:
            try:
                ipr.link("add", ifname=name, kind="bridge", mtu=mtu)
            except NetlinkError as err:
                raise errdefs.Unknown(f"failed to create bridge {name}: {err}") from err
            idx = _index(ipr, name)
            assert idx is not None
        have = {(a.get("IFA_ADDRESS"), a["prefixlen"]) for a in ipr.addr("dump", index=idx)}
        if address and (address, prefixlen) not in have:
            with contextlib.suppress(NetlinkError):
                ipr.addr("add", index=idx, address=address, prefixlen=prefixlen)
        if address6 and (address6, prefixlen6) not in have:
            # no duplicate address detection: the gateway is usable at once, as Docker's
            with contextlib.suppress(NetlinkError):
                ipr.addr("add", index=idx, address=address6, prefixlen=prefixlen6,
                         flags=IFA_F_NODAD)  # fmt: skip
        ipr.link("set", index=idx, state="up")
    # 127.0.0.1:<published port> from the host: DNAT to a container keeps the loopback
    # source, which the kernel only routes out of an interface with route_localnet.
    with (
        contextlib.suppress(OSError),
        open(f"/proc/sys/net/ipv4/conf/{name}/route_localnet", "w") as f,
    ):
        f.write("1")


def bridge_address(name: str) -> tuple[str, int] | None:
    """The first IPv4 address of an existing bridge, or None."""
    with _ipr() as ipr:
        idx = _index(ipr, name)
        if idx is None:
            return None
        for a in ipr.addr("dump", index=idx, family=socket.AF_INET):
            return str(a.get("IFA_ADDRESS")), int(a["prefixlen"])
    return None


def delete_link(name: str) -> None:
    with _ipr() as ipr:
        idx = _index(ipr, name)
        if idx is not None:
            with contextlib.suppress(NetlinkError):
                ipr.link("del", index=idx)


def _temp_name() -> str:
    return "dy" + secrets.token_hex(5)


def add_veth(*, bridge: str, netns: str, mtu: int) -> tuple[str, str]:
    """A veth pair: the host end on `bridge`, the other moved into `netns` under a temporary
    name. Returns (host end, temporary name inside)."""
    host = "veth" + secrets.token_hex(4)[:7]
    peer = _temp_name()
    with _ipr() as ipr:
        br = _index(ipr, bridge)
        if br is None:
            raise errdefs.NotFound(f"bridge {bridge} not found")
        ipr.link("add", ifname=host, kind="veth", peer={"ifname": peer}, mtu=mtu)
        try:
            hidx, pidx = _index(ipr, host), _index(ipr, peer)
            assert hidx is not None and pidx is not None
            ipr.link("set", index=hidx, master=br, state="up")
            _hairpin(host)
            fd = os.open(netns, os.O_RDONLY)
            try:
                ipr.link("set", index=pidx, net_ns_fd=fd)
            finally:
                os.close(fd)
        except BaseException:
            with contextlib.suppress(NetlinkError):
                ipr.link("del", ifname=host)
            raise
    return host, peer


def _hairpin(port: str) -> None:
    """Let the bridge send a frame back out of the port it came in by: a container reaching
    its own published port through the host (DNAT back to itself), as Docker sets it
    without the userland proxy."""
    try:
        with open(f"/sys/class/net/{port}/brport/hairpin_mode", "w") as f:
            f.write("1")
    except OSError as err:  # the container works, only its hairpin does not
        log.warning("cannot set hairpin mode on %s: %s", port, err)


def add_macvlan(*, parent: str, netns: str, mode: str = "bridge") -> str:
    """A macvlan on `parent` moved into `netns`; its temporary name inside."""
    name = _temp_name()
    with _ipr() as ipr:
        pidx = _index(ipr, parent)
        if pidx is None:
            raise errdefs.InvalidArgument(
                f"-o parent interface does was not found on the host: {parent}"
            )
        try:
            ipr.link("add", ifname=name, kind="macvlan", link=pidx, macvlan_mode=mode)
        except NetlinkError as err:
            raise errdefs.FailedPrecondition(f"failed to create the macvlan port: {err}") from err
        idx = _index(ipr, name)
        assert idx is not None
        fd = os.open(netns, os.O_RDONLY)
        try:
            ipr.link("set", index=idx, net_ns_fd=fd)
        finally:
            os.close(fd)
    return name


def configure(
    *,
    netns: str,
    temp: str,
    ifname: str,
    mac: str,
    address: str,
    prefixlen: int,
    gateway: str,
    mtu: int,
    address6: str = "",
    prefixlen6: int = 0,
    gateway6: str = "",
) -> None:
    """Inside the sandbox: rename, MAC, addresses, up, and the default routes when
    `gateway` / `gateway6`."""
    with _ipr(netns) as ipr:
        idx = _index(ipr, temp)
        if idx is None:
            raise errdefs.NotFound(f"interface {temp} not found in sandbox")
        ipr.link("set", index=idx, ifname=ifname, address=mac, mtu=mtu)
        ipr.addr("add", index=idx, address=address, prefixlen=prefixlen)
        if address6:
            ipr.addr("add", index=idx, address=address6, prefixlen=prefixlen6, flags=IFA_F_NODAD)
        ipr.link("set", index=idx, state="up")
        if gateway:
            ipr.route("add", dst="0.0.0.0/0", gateway=gateway)
        if gateway6:
            ipr.route("add", dst="::/0", gateway=gateway6, family=socket.AF_INET6)


def add_vlan(name: str) -> None:
    """The 802.1q sub-interface `name` (<parent>.<vlan id>) of a host interface, as
    `-o parent=eth0.100` makes it; moby's messages, and the kernel's reason on failure."""
    base, _, vid = name.rpartition(".")
    with _ipr() as ipr:
        pidx = _index(ipr, base)
        if pidx is None:
            # sic: libnetwork's words ("does was")
            raise errdefs.InvalidArgument(
                f"-o parent interface does was not found on the host: {base}"
            )
        if not vid.isdigit() or not 0 < int(vid) < 4095:
            raise errdefs.InvalidArgument(f"vlan id out of range: {vid}")
        try:
            ipr.link("add", ifname=name, kind="vlan", link=pidx, vlan_id=int(vid))
        except NetlinkError as err:
            hint = ""
            if err.code in (errno.EOPNOTSUPP, errno.ENOTSUP):
                hint = " (this kernel has no 802.1q VLAN support: CONFIG_VLAN_8021Q)"
            raise errdefs.FailedPrecondition(
                f"failed to create {name} vlan link: {os.strerror(err.code).lower()}{hint}"
            ) from err
        idx = _index(ipr, name)
        if idx is not None:
            ipr.link("set", index=idx, state="up")


def delete_in(netns: str, ifname: str) -> None:
    """Delete an interface inside a sandbox (disconnect); its veth peer goes with it."""
    with _ipr(netns) as ipr:
        idx = _index(ipr, ifname)
        if idx is not None:
            with contextlib.suppress(NetlinkError):
                ipr.link("del", index=idx)
