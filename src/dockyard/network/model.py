"""Network and Endpoint: what a network is, and one container's attachment to it.

A Network keeps the fields of Docker's network inspect document (without `Containers`,
which the service fills from the endpoints). An Endpoint is one container's interface on
one network while the container runs: its sandbox interface, addresses, aliases and the
host side of its veth. Both are persisted (network/store.py) so a restarted daemon finds
them again (live restore).
"""

from __future__ import annotations

from typing import Any

from dockyard import errdefs
from dockyard.network.ipam import Pool
from dockyard.utils.record import field, record

BRIDGE_NAME = "com.docker.network.bridge.name"
DEFAULT_BRIDGE = "com.docker.network.bridge.default_bridge"
ENABLE_ICC = "com.docker.network.bridge.enable_icc"
ENABLE_MASQ = "com.docker.network.bridge.enable_ip_masquerade"
HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4"
MTU = "com.docker.network.driver.mtu"
PREDEFINED = ("bridge", "host", "none")


class Refused(errdefs.Conflict):
    """What libnetwork refuses as forbidden (Docker answers 403): removing a network in use
    or a predefined one, a second subnet on a bridge..."""


@record
class Network:
    """One network (Docker's NetworkResource without Containers)."""

    id: str
    name: str
    driver: str
    created: str
    pools: list[Pool] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    internal: bool = False
    attachable: bool = False
    ipv6: bool = False
    ipam_options: dict[str, str] = field(default_factory=dict)
    ipam_driver: str = "default"
    parent_created: bool = False  # macvlan: network create made the 802.1q parent; rm removes it

    @property
    def v4_pools(self) -> list[Pool]:
        return [p for p in self.pools if p.version == 4]

    @property
    def v6_pools(self) -> list[Pool]:
        """The IPv6 pools endpoints draw from (none unless EnableIPv6)."""
        return [p for p in self.pools if p.version == 6] if self.ipv6 else []

    @property
    def predefined(self) -> bool:
        return self.name in PREDEFINED

    @property
    def is_default_bridge(self) -> bool:
        return self.options.get(DEFAULT_BRIDGE) == "true"

    @property
    def bridge(self) -> str:
        """The Linux bridge of a bridge network (`br-<12 hex>` unless named by -o)."""
        return self.options.get(BRIDGE_NAME) or f"br-{self.id[:12]}"

    @property
    def icc(self) -> bool:
        return self.options.get(ENABLE_ICC, "true") != "false"

    @property
    def masquerade(self) -> bool:
        return self.options.get(ENABLE_MASQ, "true") != "false"

    @property
    def mtu(self) -> int:
        try:
            return int(self.options.get(MTU, "0")) or 1500
        except ValueError:
            return 1500

    @property
    def dns(self) -> bool:
        """Embedded DNS: user-defined networks only (the default bridge has none)."""
        return self.driver in ("bridge", "macvlan", "ipvlan") and not self.is_default_bridge

    def doc(self, containers: dict[str, Any] | None = None) -> dict[str, Any]:
        """Docker's network inspect document."""
        doc: dict[str, Any] = {
            "Name": self.name,
            "Id": self.id,
            "Created": self.created,
            "Scope": "local",
            "Driver": self.driver,
            "EnableIPv4": True,
            "EnableIPv6": self.ipv6,
            "IPAM": {
                "Driver": self.ipam_driver,
                "Options": self.ipam_options or None,
                "Config": [p.doc() for p in self.pools] or None,
            },
            "Internal": self.internal,
            "Attachable": self.attachable,
            "Ingress": False,
            "ConfigFrom": {"Network": ""},
            "ConfigOnly": False,
            "Containers": containers if containers is not None else {},
            "Options": dict(self.options),
            "Labels": dict(self.labels),
        }
        if self.driver in ("host", "null"):
            doc["IPAM"]["Config"] = None if self.driver == "null" else []
        return doc

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "driver": self.driver, "created": self.created,
            "pools": [[p.subnet, p.gateway, p.ip_range, dict(p.aux)] for p in self.pools],
            "options": self.options, "labels": self.labels, "internal": self.internal,
            "attachable": self.attachable, "ipv6": self.ipv6,
            "ipam_options": self.ipam_options, "ipam_driver": self.ipam_driver,
            "parent_created": self.parent_created,
        }  # fmt: skip

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Network:
        return cls(
            id=d["id"], name=d["name"], driver=d["driver"], created=d["created"],
            pools=[_pool(*p) for p in d.get("pools", [])],
            options=dict(d.get("options", {})), labels=dict(d.get("labels", {})),
            internal=bool(d.get("internal")), attachable=bool(d.get("attachable")),
            ipv6=bool(d.get("ipv6")), ipam_options=dict(d.get("ipam_options", {})),
            ipam_driver=d.get("ipam_driver", "default"),
            parent_created=bool(d.get("parent_created")),
        )  # fmt: skip


@record
class Endpoint:
    """A container's interface on a network (present while the container runs)."""

    id: str
    network_id: str
    container_id: str
    container_name: str
    ifname: str = ""  # inside the sandbox: eth0, eth1...
    host_ifname: str = ""  # the host end of the veth (bridge) or "" (macvlan)
    address: str = ""  # IPv4 without prefix
    prefixlen: int = 0
    gateway: str = ""
    address6: str = ""  # IPv6 (EnableIPv6 networks), without prefix
    prefixlen6: int = 0
    gateway6: str = ""
    mac: str = ""
    aliases: list[str] = field(default_factory=list)
    dns_names: list[str] = field(default_factory=list)
    sandbox: str = ""  # the netns path
    requested_ip: str = ""
    ports: list[list[Any]] = field(default_factory=list)  # PortRule fields, primary only

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "network_id": self.network_id, "container_id": self.container_id,
            "container_name": self.container_name, "ifname": self.ifname,
            "host_ifname": self.host_ifname, "address": self.address,
            "prefixlen": self.prefixlen, "gateway": self.gateway, "mac": self.mac,
            "aliases": self.aliases, "dns_names": self.dns_names, "sandbox": self.sandbox,
            "requested_ip": self.requested_ip, "ports": self.ports,
            "address6": self.address6, "prefixlen6": self.prefixlen6, "gateway6": self.gateway6,
        }  # fmt: skip

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Endpoint:
        return cls(**d)


def _pool(subnet: str, gateway: str, ip_range: str, aux: dict[str, str] | None = None) -> Pool:
    """A stored pool: [subnet, gateway, ip_range] (older records) or with its aux addresses."""
    return Pool(subnet=subnet, gateway=gateway, ip_range=ip_range, aux=tuple((aux or {}).items()))
