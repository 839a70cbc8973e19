"""NetworkService: the daemon's networks and the endpoints of running containers.

    svc = NetworkService(store=..., settings=Settings(...), events=bus)   # daemon/wiring.py
    svc.start()                 # predefined networks, bridges, the nftables table (in a thread)
    svc.create(...); svc.inspect("localnet"); svc.remove("localnet"); svc.prune({})
    path = svc.create_sandbox(cid)                      # a container start (containers/netuse)
    ep = svc.join(net, container_id=cid, ..., sandbox=path, ifname="eth0", primary=True)
    rules, ports = svc.publish(cid, ep, bindings)       # DNAT + reserved host ports
    svc.leave(net.id, cid); svc.remove_sandbox(cid)    # its exit
    svc.stop(live=...)          # daemon stop: keep all for live restore, else clean up

Every method is synchronous (netlink, nft, SQLite) and serialised by one lock; the daemon
calls them from worker threads. Drivers: `bridge` (bridge.py: a Linux bridge per network,
veth pairs), `macvlan` (macvlan.py: a macvlan port of the parent per endpoint), `host` and
`null` (no endpoints). Create bodies are read by request.py, list filters by listing.py,
the predefined networks made by predefined.py.
"""

from __future__ import annotations

import builtins
import contextlib
import ipaddress
import logging
import os
import secrets
import threading
from typing import Any, Protocol

from dockyard import errdefs
from dockyard.images import timefmt
from dockyard.images.filters import Filters
from dockyard.network import (
    bridge,
    drivers,
    ipam,
    listing,
    netlink,
    nft,
    predefined,
    request,
    sandbox,
)
from dockyard.network.model import Endpoint, Network, Refused
from dockyard.network.ports import Binding, Reservations
from dockyard.network.predefined import Settings
from dockyard.network.store import NetworkStore

__all__ = ["ActiveEndpoints", "NetworkService", "Predefined", "Settings"]

log = logging.getLogger(__name__)


class EventSink(Protocol):
    def publish(self, type: str, action: str, id: str, attributes: dict[str, str]) -> None: ...


class ActiveEndpoints(Refused):
    """network rm of a network with running containers."""


class Predefined(Refused):
    """An operation refused on bridge/host/none."""


class NetworkService:
    """All networks of one daemon."""

    def __init__(self, *, store: NetworkStore, settings: Settings, events: EventSink) -> None:
        self.store = store
        self.settings = settings
        self.events = events
        self._lock = threading.RLock()
        self._nets: dict[str, Network] = {}
        self._eps: dict[tuple[str, str], Endpoint] = {}
        self.reservations = Reservations()
        self._nft = settings.iptables and nft.available()

    # -- daemon start and stop ----------------------------------------------------------------

    def start(self) -> None:
        """Predefined networks, every bridge up, ip_forward, the nftables table reconciled."""
        with self._lock, predefined.host_lock():
            self._nets = {n.id: n for n in self.store.networks()}
            self._eps = {(e.network_id, e.container_id): e for e in self.store.endpoints()}
            names = {n.name for n in self._nets.values()}
            if "bridge" not in names:
                self._add(predefined.default_bridge(self.settings, self._taken()))
            for name, driver in (("host", "host"), ("none", "null")):
                if name not in names:
                    self._add(predefined.network(name, driver))
            for n in self._nets.values():
                if n.driver == "bridge":
                    bridge.setup(n)
            if self.settings.ip_forward:
                with contextlib.suppress(OSError), open(predefined.IP_FORWARD, "w") as f:
                    f.write("1")
            for e in self._eps.values():
                if e.ports:
                    self.reservations.restore(e.container_id, _rules(e))
            self._program()

    def stop(self, *, keep: bool) -> None:
        """Daemon stop. `keep` (live restore with containers running): leave bridges and
        rules as they are. Otherwise remove this daemon's table and bridges (they are made
        again at start)."""
        with self._lock:
            self.reservations.close()
            if keep or any(self._eps):
                return
            if self._nft:
                try:
                    nft.delete_table(self.settings.table)
                except errdefs.DockyardError as err:
                    log.warning("failed to remove nftables table: %s", err)
            for n in self._nets.values():
                if n.driver == "bridge":
                    bridge.teardown(n)

    def _mine(self) -> builtins.list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p.subnet) for n in self._nets.values() for p in n.pools]

    def _taken(self) -> builtins.list[ipaddress.IPv4Network]:
        mine = [m for m in self._mine() if isinstance(m, ipaddress.IPv4Network)]
        return mine + netlink.host_routes()

    def _program(self) -> None:
        """Regenerate the nftables table from the networks and published ports."""
        if not self._nft:
            return
        bridges = [
            nft.BridgeRules(bridge=n.bridge, subnet=n.v4_pools[0].subnet, internal=n.internal,
                            icc=n.icc, masquerade=n.masquerade)
            for n in sorted(self._nets.values(), key=lambda n: n.created)
            if n.driver == "bridge" and n.v4_pools
        ]  # fmt: skip
        rules = [r for e in self._eps.values() for r in _rules(e)]
        nft.apply(nft.ruleset(self.settings.table, bridges, rules))
        if bridges:
            bridge.bridge_netfilter(ipv6=any(n.ipv6 for n in self._nets.values()))

    def _add(self, n: Network) -> None:
        self.store.add(n)
        self._nets[n.id] = n

    # -- lookups ------------------------------------------------------------------------------

    def get(self, ref: str) -> Network:
        """By full id, name, then unique id prefix (moby's FindNetwork); NotFound otherwise."""
        with self._lock:
            if ref in self._nets:
                return self._nets[ref]
            for n in self._nets.values():
                if n.name == ref:
                    return n
            found = [n for n in self._nets.values() if ref and n.id.startswith(ref)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise errdefs.InvalidArgument(
                    f"network {ref} is ambiguous ({len(found)} matches found based on ID prefix)"
                )
        raise errdefs.NotFound(f"network {ref} not found")

    def endpoints(self, *, network_id: str = "", container_id: str = "") -> builtins.list[Endpoint]:
        with self._lock:
            return [
                e for e in self._eps.values()
                if (not network_id or e.network_id == network_id)
                and (not container_id or e.container_id == container_id)
            ]  # fmt: skip

    def dns_view(self, asker: str) -> builtins.list[tuple[Endpoint, str]]:
        """(endpoint, network name) of every container the asker shares a DNS-enabled
        network with (the embedded DNS answers only for those)."""
        with self._lock:
            mine = {e.network_id for e in self._eps.values() if e.container_id == asker}
            return [
                (e, self._nets[e.network_id].name)
                for e in self._eps.values()
                if e.network_id in mine and self._nets[e.network_id].dns
            ]

    # -- the API ------------------------------------------------------------------------------

    def inspect(self, ref: str) -> dict[str, Any]:
        n = self.get(ref)
        containers = {
            e.container_id: {
                "Name": e.container_name, "EndpointID": e.id, "MacAddress": e.mac,
                "IPv4Address": f"{e.address}/{e.prefixlen}" if e.address else "",
                "IPv6Address": f"{e.address6}/{e.prefixlen6}" if e.address6 else "",
            }
            for e in self.endpoints(network_id=n.id)
        }  # fmt: skip
        return n.doc(containers)

    def list(
        self, filters: dict[str, builtins.list[str]] | None = None
    ) -> builtins.list[dict[str, Any]]:
        f = listing.parse(filters)
        with self._lock:
            nets = sorted(self._nets.values(), key=lambda n: n.created)
        return [
            self.inspect(n.id)
            for n in nets
            if listing.matches(n, f, in_use=bool(self.endpoints(network_id=n.id)))
        ]

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /networks/create: {"Id", "Warning"}."""
        name = str(body.get("Name") or "")
        if not name:
            raise errdefs.InvalidArgument("network name is required")
        driver = str(body.get("Driver") or "bridge")
        with self._lock:
            exists = any(n.name == name for n in self._nets.values())
        request.check_driver(name, driver, exists=exists)
        ipam_doc = body.get("IPAM") or {}
        with self._lock, predefined.host_lock():
            if any(n.name == name for n in self._nets.values()):
                raise errdefs.Conflict(f"network with name {name} already exists")
            pools = request.pools(
                ipam_doc.get("Config") or [], ipv6=bool(body.get("EnableIPv6")),
                defaults=self.settings.pools, taken=self._taken(), mine=self._mine(),
            )  # fmt: skip
            n = Network(
                id=predefined.new_id(), name=name, driver=driver, created=timefmt.now_rfc3339(),
                pools=pools, labels=dict(body.get("Labels") or {}),
                options={str(k): str(v) for k, v in (body.get("Options") or {}).items()},
                internal=bool(body.get("Internal")), attachable=bool(body.get("Attachable")),
                ipv6=bool(body.get("EnableIPv6")),
                ipam_options=dict(ipam_doc.get("Options") or {}),
                ipam_driver=str(ipam_doc.get("Driver") or "default"),
            )  # fmt: skip
            kernel = drivers.DRIVERS.get(driver)
            if kernel is not None:
                kernel.check(n)
                kernel.setup(n)
            try:
                self._add(n)
                self._program()
            except BaseException:
                if kernel is not None:
                    kernel.teardown(n)
                self._nets.pop(n.id, None)
                raise
        self.events.publish("network", "create", n.id, {"name": n.name, "type": n.driver})
        return {"Id": n.id, "Warning": ""}

    def remove(self, ref: str) -> None:
        n = self.get(ref)
        if n.predefined:
            raise Predefined(f"{n.name} is a pre-defined network and cannot be removed")
        with self._lock:
            if self.endpoints(network_id=n.id):
                raise ActiveEndpoints(
                    f"error while removing network: network {n.name} id {n.id} has active endpoints"
                )
            self.store.delete(n.id)
            del self._nets[n.id]
            kernel = drivers.DRIVERS.get(n.driver)
            if kernel is not None:
                kernel.teardown(n)
            self._program()
        self.events.publish("network", "destroy", n.id, {"name": n.name, "type": n.driver})

    def prune(self, filters: dict[str, builtins.list[str]] | None = None) -> dict[str, Any]:
        f = Filters(filters, accepted=frozenset({"until", "label", "label!"}))
        until = f.until()
        deleted = []
        with self._lock:
            nets = list(self._nets.values())
        for n in nets:
            if n.predefined or self.endpoints(network_id=n.id):
                continue
            if until is not None and timefmt.to_ns(n.created) >= until:
                continue
            if not f.match_labels(n.labels):
                continue
            with contextlib.suppress(errdefs.DockyardError):
                self.remove(n.id)
                deleted.append(n.name)
        self.events.publish("network", "prune", "", {"reclaimed": "0"})
        return {"NetworksDeleted": deleted or None}

    # -- sandboxes and endpoints (a container's start and exit) -------------------------------

    def sandbox_path(self, container_id: str) -> str:
        return os.path.join(self.settings.netns_dir, container_id)

    def create_sandbox(self, container_id: str) -> str:
        path = self.sandbox_path(container_id)
        if sandbox.exists(path):
            sandbox.remove(path)  # a leftover of a crash: start afresh
        sandbox.create(path)
        return path

    def remove_sandbox(self, container_id: str) -> None:
        sandbox.remove(self.sandbox_path(container_id))

    def join(
        self,
        network: Network,
        *,
        container_id: str,
        container_name: str,
        sandbox_path: str,
        ifname: str,
        primary: bool,
        ip: str = "",
        ip6: str = "",
        aliases: builtins.list[str] | None = None,
        mac: str = "",
    ) -> Endpoint:
        """Attach a container's sandbox to `network`: addresses, interface, default routes."""
        kernel = drivers.DRIVERS.get(network.driver)
        if kernel is None:
            raise errdefs.InvalidArgument(f"network {network.name} has no endpoints")
        with self._lock:
            ep = self._allocate(network, container_id, container_name, ip, ip6)
            ep.ifname, ep.sandbox, ep.aliases = ifname, sandbox_path, list(aliases or [])
            ep.mac = mac or ipam.mac_for(ep.address)
            self.store.save_endpoint(ep)  # the addresses are taken from here on
            self._eps[(network.id, container_id)] = ep
        try:
            ep.host_ifname, temp = kernel.add_link(network, sandbox_path)
            routed = primary and not network.internal
            netlink.configure(
                netns=sandbox_path, temp=temp, ifname=ifname, mac=ep.mac, address=ep.address,
                prefixlen=ep.prefixlen, gateway=ep.gateway if routed else "", mtu=network.mtu,
                address6=ep.address6, prefixlen6=ep.prefixlen6,
                gateway6=ep.gateway6 if routed else "",
            )  # fmt: skip
        except BaseException:
            self.leave(network.id, container_id)
            raise
        with self._lock:
            self.store.save_endpoint(ep)
        self.events.publish(
            "network", "connect", network.id,
            {"container": container_id, "name": network.name, "type": network.driver},
        )  # fmt: skip
        return ep

    def _allocate(self, n: Network, cid: str, name: str, ip: str, ip6: str) -> Endpoint:
        """A new endpoint's addresses: IPv4 from the first pool with room (or `ip`), IPv6
        likewise on an EnableIPv6 network. Called with the lock held."""
        if (n.id, cid) in self._eps:
            raise errdefs.Conflict(f"endpoint with name {name} already exists in network {n.name}")
        if n.id not in self._nets:
            raise errdefs.NotFound(f"network {n.name} not found")
        if (ip or ip6) and n.is_default_bridge:
            raise errdefs.InvalidArgument(
                "user specified IP address is supported on user defined networks only"
            )
        used = [a for e in self.endpoints(network_id=n.id) for a in (e.address, e.address6) if a]
        pool, address = ipam.allocate_from(n.v4_pools, used=used, requested=ip)
        ep = Endpoint(
            id=secrets.token_hex(32), network_id=n.id, container_id=cid, container_name=name,
            address=address, prefixlen=pool.prefixlen, gateway=pool.gateway, requested_ip=ip,
        )  # fmt: skip
        if n.v6_pools:
            pool6, ep.address6 = ipam.allocate_from(n.v6_pools, used=used, requested=ip6)
            ep.prefixlen6, ep.gateway6 = pool6.prefixlen, pool6.gateway
        elif ip6:
            raise errdefs.InvalidArgument(
                f"no configured subnet or ip-range contain the IP address {ip6}"
            )
        return ep

    def publish(
        self, ep: Endpoint, bindings: builtins.list[Binding], *, endpoint_name: str
    ) -> dict[str, builtins.list[dict[str, str]]]:
        """Reserve host ports and DNAT them to the endpoint; NetworkSettings.Ports."""
        if not bindings:
            return {}
        with self._lock:
            rules, doc = self.reservations.reserve(
                ep.container_id, endpoint_name, ep.id, bindings, ep.address
            )
            ep.ports = [[r.proto, r.host_ip, r.host_port, r.container_ip, r.container_port]
                        for r in rules]  # fmt: skip
            self.store.save_endpoint(ep)
            try:
                self._program()
            except BaseException:
                ep.ports = []
                self.store.save_endpoint(ep)
                self.reservations.release(ep.container_id)
                raise
        return doc

    def leave(self, network_id: str, container_id: str, *, delete_link: bool = True) -> None:
        """Detach: the interface goes, the address and the ports are free again."""
        with self._lock:
            ep = self._eps.pop((network_id, container_id), None)
            if ep is None:
                return
            self.store.delete_endpoint(network_id, container_id)
            had_ports = bool(ep.ports)
            if had_ports:
                self.reservations.release(container_id)
                with contextlib.suppress(errdefs.DockyardError):
                    self._program()
        if delete_link and ep.host_ifname:
            netlink.delete_link(ep.host_ifname)
        elif delete_link and ep.ifname and sandbox.exists(ep.sandbox):
            with contextlib.suppress(OSError, errdefs.DockyardError):
                netlink.delete_in(ep.sandbox, ep.ifname)
        n = self._nets.get(network_id)
        self.events.publish(
            "network", "disconnect", network_id,
            {"container": container_id, "name": n.name if n else "", "type": n.driver if n else ""},
        )  # fmt: skip


def _rules(e: Endpoint) -> builtins.list[nft.PortRule]:
    return [nft.PortRule(str(p[0]), str(p[1]), int(p[2]), str(p[3]), int(p[4])) for p in e.ports]


def _new_id() -> str:
    return secrets.token_hex(32)
