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
calls them from worker threads. Drivers: `bridge` (a Linux bridge per network, veth pairs),
`macvlan` (a macvlan of the parent per endpoint), `host` and `null` (no endpoints).
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import ipaddress
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from dockyard import errdefs
from dockyard.images import timefmt
from dockyard.images.filters import Filters
from dockyard.network import ipam, netlink, nft, sandbox
from dockyard.network.model import (
    BRIDGE_NAME,
    DEFAULT_BRIDGE,
    ENABLE_ICC,
    ENABLE_MASQ,
    HOST_BINDING,
    MTU,
    Endpoint,
    Network,
)
from dockyard.network.ports import Binding, Reservations
from dockyard.network.store import NetworkStore
from dockyard.utils.record import field, record

log = logging.getLogger(__name__)

DRIVERS = ("bridge", "macvlan", "ipvlan", "host", "null", "overlay")
IP_FORWARD = "/proc/sys/net/ipv4/ip_forward"
HOST_LOCK = "/run/lock/dockyard-networks.lock"  # several daemons choosing subnets at once


class EventSink(Protocol):
    def publish(self, type: str, action: str, id: str, attributes: dict[str, str]) -> None: ...


class ActiveEndpoints(errdefs.Conflict):
    """network rm of a network with running containers (Docker answers 403)."""


class Predefined(errdefs.Conflict):
    """An operation refused on bridge/host/none (Docker answers 403)."""


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
        with self._lock, _host_lock():
            self._nets = {n.id: n for n in self.store.networks()}
            self._eps = {(e.network_id, e.container_id): e for e in self.store.endpoints()}
            names = {n.name for n in self._nets.values()}
            if "bridge" not in names:
                self._add(self._default_bridge())
            for name, driver in (("host", "host"), ("none", "null")):
                if name not in names:
                    self._add(Network(id=_new_id(), name=name, driver=driver,
                                      created=timefmt.now_rfc3339()))  # fmt: skip
            for n in self._nets.values():
                if n.driver == "bridge":
                    self._ensure_bridge(n)
            if self.settings.ip_forward:
                with contextlib.suppress(OSError), open(IP_FORWARD, "w") as f:
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
                    netlink.delete_link(n.bridge)

    def _default_bridge(self) -> Network:
        s = self.settings
        if s.bip:
            iface = ipaddress.ip_interface(s.bip)
            pool = ipam.Pool(subnet=str(iface.network), gateway=str(iface.ip))
        else:
            have = netlink.bridge_address(s.bridge)
            if have is not None:
                iface = ipaddress.ip_interface(f"{have[0]}/{have[1]}")
                pool = ipam.Pool(subnet=str(iface.network), gateway=str(iface.ip))
            else:
                pool = ipam.make_pool(subnet=str(ipam.choose_subnet(s.pools, self._taken())))
        options = {
            DEFAULT_BRIDGE: "true", ENABLE_ICC: "true" if s.icc else "false",
            ENABLE_MASQ: "true", HOST_BINDING: "0.0.0.0", BRIDGE_NAME: s.bridge, MTU: "1500",
        }  # fmt: skip
        return Network(
            id=_new_id(), name="bridge", driver="bridge", created=timefmt.now_rfc3339(),
            pools=[pool], options=options,
        )  # fmt: skip

    def _taken(self) -> builtins.list[ipaddress.IPv4Network]:
        mine = [ipaddress.IPv4Network(p.subnet) for n in self._nets.values() for p in n.pools]
        return mine + netlink.host_routes()

    def _ensure_bridge(self, n: Network) -> None:
        for i, p in enumerate(n.pools[:1]):
            netlink.ensure_bridge(n.bridge, address=p.gateway, prefixlen=p.prefixlen, mtu=n.mtu)
            del i

    def _program(self) -> None:
        """Regenerate the nftables table from the networks and published ports."""
        if not self._nft:
            return
        bridges = [
            nft.BridgeRules(bridge=n.bridge, subnet=n.pools[0].subnet, internal=n.internal,
                            icc=n.icc, masquerade=n.masquerade)
            for n in sorted(self._nets.values(), key=lambda n: n.created)
            if n.driver == "bridge" and n.pools
        ]  # fmt: skip
        rules = [r for e in self._eps.values() for r in _rules(e)]
        nft.apply(nft.ruleset(self.settings.table, bridges, rules))

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
                "IPv6Address": "",
            }
            for e in self.endpoints(network_id=n.id)
        }  # fmt: skip
        return n.doc(containers)

    def list(
        self, filters: dict[str, builtins.list[str]] | None = None
    ) -> builtins.list[dict[str, Any]]:
        f = Filters(
            filters,
            accepted=frozenset({"driver", "id", "label", "name", "scope", "type", "dangling"}),
        )
        for t in f.get("type"):
            if t not in ("custom", "builtin"):
                raise errdefs.InvalidArgument(f"invalid filter: 'type'='{t}'")
        out = []
        with self._lock:
            nets = sorted(self._nets.values(), key=lambda n: n.created)
        for n in nets:
            if "driver" in f and n.driver not in f.get("driver"):
                continue
            if "id" in f and not any(n.id.startswith(v) for v in f.get("id")):
                continue
            if "name" in f and not any(v in n.name for v in f.get("name")):
                continue
            if "scope" in f and "local" not in f.get("scope"):
                continue
            if "type" in f and ("builtin" if n.predefined else "custom") not in f.get("type"):
                continue
            if not f.match_labels(n.labels):
                continue
            if "dangling" in f:
                dangling = not n.predefined and not self.endpoints(network_id=n.id)
                if str(dangling).lower() not in [v.lower() for v in f.get("dangling")]:
                    continue
            out.append(self.inspect(n.id))
        return out

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /networks/create: {"Id", "Warning"}."""
        name = str(body.get("Name") or "")
        if not name:
            raise errdefs.InvalidArgument("network name is required")  # hmm
        driver = str(body.get("Driver") or "bridge")
        if driver in ("host", "null") or name in ("host", "none", "bridge"):
            with self._lock:
                if any(n.name == name for n in self._nets.values()):
                    raise errdefs.Conflict(f"network with name {name} already exists")
            raise Predefined(f'only one instance of "{driver}" network is allowed')
        if driver == "ipvlan":
            raise errdefs.FailedPrecondition(
                "ipvlan is not available: this kernel has no ipvlan support (CONFIG_IPVLAN)"
            )
        if driver == "overlay":
            raise errdefs.Unimplemented(
                "overlay networks need swarm mode, which is not available yet"
            )
        if driver not in DRIVERS:
            raise errdefs.NotFound(f'plugin "{driver}" not found')
        options = {str(k): str(v) for k, v in (body.get("Options") or {}).items()}
        if body.get("EnableIPv6"):
            raise errdefs.Unimplemented("IPv6 networks are not supported yet")
        ipam_doc = body.get("IPAM") or {}
        with self._lock, _host_lock():
            if any(n.name == name for n in self._nets.values()):
                raise errdefs.Conflict(f"network with name {name} already exists")
            pools = self._pools(ipam_doc.get("Config") or [])
            n = Network(
                id=_new_id(), name=name, driver=driver, created=timefmt.now_rfc3339(),
                pools=pools, options=options, labels=dict(body.get("Labels") or {}),
                internal=bool(body.get("Internal")), attachable=bool(body.get("Attachable")),
                ipam_options=dict(ipam_doc.get("Options") or {}),
                ipam_driver=str(ipam_doc.get("Driver") or "default"),
            )  # fmt: skip
            if driver == "bridge":
                if n.bridge != f"br-{n.id[:12]}" and netlink.link_exists(n.bridge):
                    raise errdefs.Conflict(f"bridge name {n.bridge} is already in use")
                self._ensure_bridge(n)
            elif driver == "macvlan":
                self._check_parent(options.get("parent", ""))
            try:
                self._add(n)
                self._program()
            except BaseException:
                if driver == "bridge":
                    netlink.delete_link(n.bridge)
                self._nets.pop(n.id, None)
                raise
        self.events.publish("network", "create", n.id, {"name": n.name, "type": n.driver})
        return {"Id": n.id, "Warning": ""}

    def _pools(self, configs: builtins.list[dict[str, Any]]) -> builtins.list[ipam.Pool]:
        taken = self._taken()
        if not configs:
            return [ipam.make_pool(subnet=str(ipam.choose_subnet(self.settings.pools, taken)))]
        pools = []
        for c in configs:
            subnet = c.get("Subnet") or ""
            if not subnet:
                subnet = str(ipam.choose_subnet(self.settings.pools, taken))
            mine = [ipaddress.IPv4Network(p.subnet) for m in self._nets.values() for p in m.pools]
            pool = ipam.make_pool(subnet=subnet, gateway=c.get("Gateway") or "",
                                  ip_range=c.get("IPRange") or "", taken=mine)  # fmt: skip
            pools.append(pool)
            taken.append(ipaddress.IPv4Network(pool.subnet))
        return pools

    def _check_parent(self, parent: str) -> None:
        if not parent:
            raise errdefs.InvalidArgument("macvlan needs -o parent=<host interface> here")
        if "." in parent and not netlink.link_exists(parent):
            raise errdefs.FailedPrecondition(
                f"cannot create 802.1q sub-interface {parent}: this kernel has no VLAN support "
                "(CONFIG_VLAN_8021Q)"
            )
        if not netlink.link_exists(parent):
            raise errdefs.InvalidArgument(
                f"-o parent interface was not found on the host: {parent}"
            )

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
            if n.driver == "bridge":
                netlink.delete_link(n.bridge)
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
        aliases: builtins.list[str] | None = None,
        mac: str = "",
    ) -> Endpoint:
        """Attach a container's sandbox to `network`: address, interface, default route."""
        if network.driver not in ("bridge", "macvlan"):
            raise errdefs.InvalidArgument(f"network {network.name} has no endpoints")
        with self._lock:
            if (network.id, container_id) in self._eps:
                raise errdefs.Conflict(
                    f"endpoint with name {container_name} already exists in network {network.name}"
                )
            if network.id not in self._nets:
                raise errdefs.NotFound(f"network {network.name} not found")
            pool = network.pools[0]
            used = [e.address for e in self.endpoints(network_id=network.id)]
            if ip and network.is_default_bridge:
                raise errdefs.InvalidArgument(
                    "user specified IP address is supported on user defined networks only"
                )
            address = ipam.allocate(pool, used=used, requested=ip)
            ep = Endpoint(
                id=secrets.token_hex(32), network_id=network.id, container_id=container_id,
                container_name=container_name, ifname=ifname, address=address,
                prefixlen=pool.prefixlen, gateway=pool.gateway,
                mac=mac or ipam.mac_for(address), aliases=list(aliases or []),
                sandbox=sandbox_path, requested_ip=ip,
            )  # fmt: skip
            self.store.save_endpoint(ep)  # the address is taken from here on
            self._eps[(network.id, container_id)] = ep
        try:
            if network.driver == "bridge":
                ep.host_ifname, temp = netlink.add_veth(
                    bridge=network.bridge, netns=sandbox_path, mtu=network.mtu
                )
            else:
                temp = netlink.add_macvlan(
                    parent=network.options.get("parent", ""), netns=sandbox_path,
                    mode=network.options.get("macvlan_mode", "bridge"),
                )  # fmt: skip
            gateway = pool.gateway if primary and not network.internal else ""
            netlink.configure(
                netns=sandbox_path, temp=temp, ifname=ifname, mac=ep.mac, address=address,
                prefixlen=pool.prefixlen, gateway=gateway, mtu=network.mtu,
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


@contextlib.contextmanager
def _host_lock() -> Iterator[None]:
    """Serialise subnet choice and bridge creation with other daemons on this host."""
    os.makedirs(os.path.dirname(HOST_LOCK), exist_ok=True)
    with open(HOST_LOCK, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
