"""The nftables document: one table replaced whole, Docker's rules per bridge and port."""

from __future__ import annotations

import json

from dockyard.network import nft


def _doc() -> dict[str, object]:
    return nft.ruleset(
        "dockyard",
        [nft.BridgeRules("br-a", "172.18.0.0/16"),
         nft.BridgeRules("br-b", "172.19.0.0/16", internal=True, icc=False)],
        [nft.PortRule("tcp", "", 5000, "172.18.0.2", 80),
         nft.PortRule("udp", "127.0.0.1", 5001, "172.18.0.2", 53)],
    )  # fmt: skip


def test_table_is_replaced_in_one_transaction() -> None:
    cmds = _doc()["nftables"]
    assert isinstance(cmds, list)
    # the legacy `ip` table of earlier versions goes, then the `inet` table is replaced
    assert [next(iter(c)) for c in cmds[:5]] == ["add", "delete", "add", "delete", "add"]
    families = [c[next(iter(c))]["table"]["family"] for c in cmds[:5]]
    assert families == ["ip", "ip", "inet", "inet", "inet"]


def _rules(chain: str) -> list[str]:
    cmds = _doc()["nftables"]
    assert isinstance(cmds, list)
    return [json.dumps(c["add"]["rule"]["expr"]) for c in cmds
            if "rule" in c.get("add", {}) and c["add"]["rule"]["chain"] == chain]  # fmt: skip


def test_ports_are_dnat_rules_with_host_ip_when_given() -> None:
    ports = _rules("ports")
    assert len(ports) == 2
    dnat = '"dnat": {"family": "ip", "addr": "172.18.0.2", "port": 80}'
    assert dnat in ports[0] and "daddr" not in ports[0] and '"right": "ipv4"' in ports[0]
    assert '"right": "127.0.0.1"' in ports[1] and '"protocol": "udp"' in ports[1]


def test_masquerade_only_for_networks_with_outbound() -> None:
    post = _rules("postrouting")
    assert any("172.18.0.0" in r and "masquerade" in r for r in post)
    assert not any("172.19.0.0" in r for r in post)


def test_isolation_internal_and_icc() -> None:
    fwd = _rules("forward")
    assert any('"br-b"' in r and '"set": ["br-a"]' in r and "drop" in r for r in fwd)
    same_b = [r for r in fwd if r.count('"br-b"') == 2]
    assert same_b and "drop" in same_b[0]  # icc off
    assert not any('"br-b"' in r and "ct" in r and "dnat" in r for r in fwd)  # internal


def test_masquerade_off_keeps_the_network_routed_without_nat() -> None:
    doc = nft.ruleset("t", [nft.BridgeRules("br-c", "172.20.0.0/16", masquerade=False)], [])
    rules = [json.dumps(c["add"]["rule"]) for c in doc["nftables"] if "rule" in c.get("add", {})]
    assert not any("172.20.0.0" in r and '"postrouting"' in r for r in rules)
    assert any('"br-c"' in r and "accept" in r and '"forward"' in r for r in rules)


def test_hairpin_masquerades_a_container_reaching_its_own_published_port() -> None:
    post = _rules("postrouting")
    hairpin = [r for r in post if r.count('"172.18.0.2"') == 2]
    assert len(hairpin) == 2  # tcp/80 and udp/53, one rule each
    assert all("masquerade" in r for r in hairpin)
    assert '"protocol": "tcp", "field": "dport"}}, "right": 80}' in hairpin[0]
    assert '"protocol": "udp", "field": "dport"}}, "right": 53}' in hairpin[1]
