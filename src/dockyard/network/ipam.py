"""IPAM: choosing subnets for new networks and addresses for endpoints (libnetwork's default
IPAM driver; IPv4, and IPv6 subnets given with --ipv6).

Subnets come from address pools: daemon.json `default-address-pools` ({"base", "size"}) or
Docker's local defaults (172.17.0.0/16 ... 172.31.0.0/16 as /16s, then 192.168.0.0/16 as
/20s). A subnet is free when it overlaps neither another network of this daemon nor a route
of the host (moby netutils.CheckRouteOverlaps), which is also how several daemons on one host
stay apart. Addresses are not stored here: what is allocated is the gateway plus the
addresses of the network's endpoints (the endpoint store), so the two cannot disagree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from dockyard import errdefs
from dockyard.utils.record import record

Net4 = ipaddress.IPv4Network
Addr4 = ipaddress.IPv4Address

DEFAULT_POOLS: tuple[tuple[str, int], ...] = (
    *((f"172.{n}.0.0/16", 16) for n in range(17, 32)),
    ("192.168.0.0/16", 20),
)


@record(frozen=True)
class Pool:
    """One IPAM.Config entry of a network: subnet, gateway and the range endpoints get."""

    subnet: str
    gateway: str
    ip_range: str = ""
    aux: tuple[tuple[str, str], ...] = ()  # AuxiliaryAddresses: name -> address, never given out

    def doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"Subnet": self.subnet, "Gateway": self.gateway}
        if self.ip_range:
            doc["IPRange"] = self.ip_range
        if self.aux:
            doc["AuxiliaryAddresses"] = dict(self.aux)
        return doc

    @property
    def prefixlen(self) -> int:
        return ipaddress.ip_network(self.subnet).prefixlen

    @property
    def version(self) -> int:
        return ipaddress.ip_network(self.subnet).version


def pools_from_config(raw: Sequence[dict[str, Any]]) -> list[tuple[str, int]]:
    """daemon.json default-address-pools as (base, size); Docker's defaults when empty."""
    if not raw:
        return list(DEFAULT_POOLS)
    out = []
    for p in raw:
        base = ipaddress.ip_network(str(p["base"]), strict=False)
        size = int(p["size"])
        if size < base.prefixlen or size > 32:
            raise errdefs.InvalidArgument(
                f"invalid pools size: {size} (base {base}): size must be >= prefix length"
            )
        out.append((str(base), size))
    return out


def candidates(pools: Iterable[tuple[str, int]]) -> Iterator[Net4]:
    for base, size in pools:
        net = ipaddress.ip_network(base, strict=False)
        if not isinstance(net, Net4):
            continue
        yield from net.subnets(new_prefix=size)


def choose_subnet(pools: Iterable[tuple[str, int]], taken: Iterable[Net4]) -> Net4:
    """The first pool subnet overlapping nothing in `taken`; Docker's error when none is."""
    used = list(taken)
    for net in candidates(pools):
        if not any(net.overlaps(t) for t in used):
            return net
    raise errdefs.FailedPrecondition("all predefined address pools have been fully subnetted")


def make_pool(
    *,
    subnet: str,
    gateway: str = "",
    ip_range: str = "",
    aux: Mapping[str, str] | None = None,
    taken: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
) -> Pool:
    """A validated pool, IPv4 or IPv6 (network create's --subnet/--gateway/--ip-range,
    moby's messages)."""
    try:
        net = ipaddress.ip_network(subnet, strict=False)
    except ValueError:
        raise errdefs.InvalidArgument(f"invalid subnet {subnet}") from None
    if net.prefixlen > (30 if isinstance(net, Net4) else 126):
        raise errdefs.InvalidArgument(f"subnet {subnet} is too small")
    for t in taken:
        if net.overlaps(t):
            raise errdefs.Conflict("Pool overlaps with other one on this address space")
    if ip_range:
        try:
            rng = ipaddress.ip_network(ip_range, strict=False)
        except ValueError:
            raise errdefs.InvalidArgument(f"invalid ip-range {ip_range}") from None
        if rng.version != net.version or not rng.subnet_of(net):  # type: ignore[arg-type]
            raise errdefs.InvalidArgument(
                f"invalid pool request: ip-range {ip_range} is not in subnet {subnet}"
            )
        ip_range = str(rng)
    if gateway:
        try:
            gw = ipaddress.ip_address(gateway)
        except ValueError:
            raise errdefs.InvalidArgument(f"invalid gateway address {gateway}") from None
        if gw not in net:
            raise errdefs.InvalidArgument(f"no matching subnet for gateway {gateway}")
    else:
        gw = net.network_address + 1
    reserved: list[tuple[str, str]] = []
    for name, address in (aux or {}).items():
        try:
            addr = ipaddress.ip_address(address)
        except ValueError:
            raise errdefs.InvalidArgument(f"invalid auxiliary address {address}") from None
        if addr not in net:
            raise errdefs.InvalidArgument(f"no matching subnet for aux-address {address}")
        reserved.append((name, str(addr)))
    return Pool(subnet=str(net), gateway=str(gw), ip_range=ip_range, aux=tuple(reserved))


def allocate(pool: Pool, *, used: Iterable[str], requested: str = "") -> str:
    """An address of `pool` not in `used` (the lowest free one in the range, or `requested`,
    which must be in the subnet and free: Docker's messages)."""
    net = ipaddress.ip_network(pool.subnet)
    busy = {ipaddress.ip_address(a) for a in used} | {ipaddress.ip_address(pool.gateway)}
    busy |= {ipaddress.ip_address(a) for _name, a in pool.aux}  # libnetwork reserves them
    if requested:
        addr = ipaddress.ip_address(requested)
        if addr not in net:
            raise errdefs.InvalidArgument(
                f"no configured subnet or ip-range contain the IP address {requested}"
            )
        if addr in busy:
            raise errdefs.Conflict("Address already in use")
        return str(addr)
    # every address of the range but the subnet's own network and broadcast addresses
    rng = ipaddress.ip_network(pool.ip_range) if pool.ip_range else net
    for addr in rng:
        if addr not in busy and addr != net.network_address and addr != net.broadcast_address:
            return str(addr)
    raise errdefs.Unavailable(
        f"no available IPv{net.version} addresses on this network's address pools: {pool.subnet}"
    )


def allocate_from(
    pools: Sequence[Pool], *, used: Iterable[str], requested: str = ""
) -> tuple[Pool, str]:
    """An address from the first pool with room (libnetwork's default IPAM walks a
    network's pools in order), or `requested` from the pool whose subnet holds it."""
    used = list(used)
    if requested:
        addr = ipaddress.ip_address(requested)
        for pool in pools:
            if addr in ipaddress.ip_network(pool.subnet):
                return pool, allocate(pool, used=used, requested=requested)
        raise errdefs.InvalidArgument(
            f"no configured subnet or ip-range contain the IP address {requested}"
        )
    for pool in pools:
        try:
            return pool, allocate(pool, used=used)
        except errdefs.Unavailable:
            continue
    subnets = ", ".join(p.subnet for p in pools)
    raise errdefs.Unavailable(
        f"no available IPv4 addresses on this network's address pools: {subnets}"
    )


def mac_for(address: str) -> str:
    """Docker's classic MAC for an IPv4 endpoint: 02:42 then the four address bytes."""
    packed = ipaddress.ip_address(address).packed
    return "02:42:" + ":".join(f"{b:02x}" for b in packed)
