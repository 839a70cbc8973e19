"""The daemon's nftables table: NAT, isolation and published ports, in one table it owns.

The whole table is generated from the daemon's state (its bridge networks and published
ports) and replaced in one `nft -j -f -` transaction (add table; delete table; add table and
its chains and rules), so applying it twice gives the same ruleset, never duplicates, and a
daemon start reconciles whatever an earlier run (kill -9 included) left. Nothing else on
the host is touched. The table is of family `inet`, so the forward chain's isolation, ICC
and internal rules hold for IPv6 traffic of EnableIPv6 networks too; NAT (masquerade, DNAT
of published ports) is IPv4 only, as Docker's without ip6tables.

Chains (Docker's iptables rules, moby libnetwork/drivers/bridge, as nftables):
  prerouting / output (nat)   local destination -> `ports`: DNAT of published ports
  postrouting (nat)           masquerade outbound per bridge subnet; loopback sources going
                              into a bridge (127.0.0.1:<port> from the host, route_localnet);
                              hairpin: a container reaching its own published port through
                              a host address (DNAT back to itself) is masqueraded, so its
                              answer goes back through the bridge and the un-DNAT (Docker's
                              rule without the userland proxy; the veth is in hairpin mode)
  forward (filter)            established back in; same bridge accept (or drop when ICC is
                              off); bridge to other bridge drop (isolation); internal
                              networks neither in nor out; published ports (ct dnat) in;
                              outbound out; anything else into a bridge dropped
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from dockyard import errdefs
from dockyard.utils.record import record

NFT = "nft"
FAMILY = "inet"


@record(frozen=True)
class BridgeRules:
    """What the table needs to know of one bridge network."""

    bridge: str
    subnet: str
    internal: bool = False
    icc: bool = True
    masquerade: bool = True


@record(frozen=True)
class PortRule:
    """One published port: host (ip, port, proto) -> container (ip, port)."""

    proto: str  # tcp | udp
    host_ip: str  # "" or 0.0.0.0: every local address
    host_port: int
    container_ip: str
    container_port: int


def available() -> bool:
    return shutil.which(NFT) is not None


def _m(left: dict[str, Any], right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


def _meta(key: str) -> dict[str, Any]:
    return {"meta": {"key": key}}


def _payload(proto: str, field: str) -> dict[str, Any]:
    return {"payload": {"protocol": proto, "field": field}}


def _prefix(cidr: str) -> dict[str, Any]:
    addr, _, plen = cidr.partition("/")
    return {"prefix": {"addr": addr, "len": int(plen or 32)}}


_ACCEPT: dict[str, Any] = {"accept": None}
_DROP: dict[str, Any] = {"drop": None}
_LOCAL = _m({"fib": {"result": "type", "flags": ["daddr"]}}, "local")


def ruleset(
    table: str, bridges: Sequence[BridgeRules], ports: Sequence[PortRule]
) -> dict[str, Any]:
    """The `nft -j` document replacing `table` with the rules for this state."""
    t = {"family": FAMILY, "table": table}
    cmds: list[dict[str, Any]] = [
        *_drop_legacy(table),
        {"add": {"table": {"family": FAMILY, "name": table}}},
        {"delete": {"table": {"family": FAMILY, "name": table}}},
        {"add": {"table": {"family": FAMILY, "name": table}}},
    ]

    def chain(name: str, **hook: Any) -> None:
        body = {"family": FAMILY, "table": table, "name": name, **hook}
        cmds.append({"add": {"chain": body}})

    def rule(chain_name: str, *expr: dict[str, Any]) -> None:
        cmds.append({"add": {"rule": {**t, "chain": chain_name, "expr": list(expr)}}})

    chain("ports")
    chain("prerouting", type="nat", hook="prerouting", prio=-100, policy="accept")
    chain("output", type="nat", hook="output", prio=-100, policy="accept")
    chain("postrouting", type="nat", hook="postrouting", prio=100, policy="accept")
    chain("forward", type="filter", hook="forward", prio=0, policy="accept")
    rule("prerouting", _LOCAL, {"jump": {"target": "ports"}})
    rule("output", _LOCAL, {"jump": {"target": "ports"}})
    for p in ports:
        match = [_m(_meta("nfproto"), "ipv4"), _m(_payload(p.proto, "dport"), p.host_port)]
        if p.host_ip and p.host_ip != "0.0.0.0":
            match.insert(1, _m(_payload("ip", "daddr"), p.host_ip))
        dnat = {"family": "ip", "addr": p.container_ip, "port": p.container_port}
        rule("ports", *match, {"dnat": dnat})
    for cip, proto, cport in dict.fromkeys((p.container_ip, p.proto, p.container_port)
                                           for p in ports):  # fmt: skip
        rule(
            "postrouting",
            _m(_payload("ip", "saddr"), cip),
            _m(_payload("ip", "daddr"), cip),
            _m(_payload(proto, "dport"), cport),
            {"masquerade": None},
        )
    names = [b.bridge for b in bridges]
    rule("forward", _m({"ct": {"key": "state"}}, ["established", "related"], "in"), _ACCEPT)
    for b in bridges:
        iif, oif = _m(_meta("iifname"), b.bridge), _m(_meta("oifname"), b.bridge)
        rule("forward", iif, oif, _ACCEPT if b.icc else _DROP)
        others = [n for n in names if n != b.bridge]
        if others:
            rule("forward", iif, _m(_meta("oifname"), {"set": others}), _DROP)
        if b.internal:
            rule("forward", iif, _DROP)
            rule("forward", oif, _DROP)
            continue
        rule("forward", oif, _m({"ct": {"key": "status"}}, "dnat", "in"), _ACCEPT)
        rule("forward", iif, _ACCEPT)
        rule("forward", oif, _DROP)
        if b.masquerade:
            rule(
                "postrouting",
                _m(_payload("ip", "saddr"), _prefix(b.subnet)),
                _m(_meta("oifname"), b.bridge, "!="),
                {"masquerade": None},
            )
        rule(
            "postrouting",
            oif,
            _m(_payload("ip", "saddr"), _prefix("127.0.0.0/8")),
            {"masquerade": None},
        )
    return {"nftables": cmds}


def _drop_legacy(table: str) -> list[dict[str, Any]]:
    """Remove the `ip` family table of earlier versions (add first: delete needs it)."""
    return [
        {"add": {"table": {"family": "ip", "name": table}}},
        {"delete": {"table": {"family": "ip", "name": table}}},
    ]


def apply(doc: dict[str, Any]) -> None:
    """Run one `nft -j -f -` transaction; Unknown with nft's message when it fails."""
    proc = subprocess.run(
        [NFT, "-j", "-f", "-"], input=json.dumps(doc).encode(), capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise errdefs.Unknown(
            "failed to program nftables: " + proc.stderr.decode(errors="replace").strip()
        )


def delete_table(table: str) -> None:
    """Remove the table (clean stop); nothing when it is absent."""
    doc = {
        "nftables": [
            *_drop_legacy(table),
            {"add": {"table": {"family": FAMILY, "name": table}}},
            {"delete": {"table": {"family": FAMILY, "name": table}}},
        ]
    }
    apply(doc)


def list_table(table: str) -> list[dict[str, Any]]:
    """The rules of `table` as `nft -j list table` prints them ([] when absent)."""
    proc = subprocess.run(
        [NFT, "-j", "list", "table", FAMILY, table], capture_output=True, check=False
    )
    if proc.returncode != 0:
        return []
    items: list[dict[str, Any]] = json.loads(proc.stdout).get("nftables", [])
    return [i["rule"] for i in items if "rule" in i]
