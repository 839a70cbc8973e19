"""The embedded resolver's answers for container names, aliases, short ids and PTR."""

from __future__ import annotations

import struct

from dockyard.network import dns
from dockyard.network.model import Endpoint


def _query(name: str, qtype: int) -> bytes:
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"
    return struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + q + struct.pack("!HH", qtype, 1)


def _server() -> dns.EmbeddedDNS:
    ep = Endpoint(id="e", network_id="n", container_id="abcdef0123456789" * 4,
                  container_name="c1", address="172.18.0.2", aliases=["one"])  # fmt: skip
    return dns.EmbeddedDNS(lookup=lambda asker: [(ep, "localnet")])


def _answers(reply: bytes) -> tuple[int, int]:
    flags, _, ancount = struct.unpack("!HHH", reply[2:8])
    return flags & 0xF, ancount


def test_a_record_for_name_alias_and_short_id() -> None:
    srv = _server()
    for name in ("c1", "ONE", "abcdef012345"):
        reply = srv.local_answer("x", _query(name, dns.A))
        assert reply is not None and _answers(reply) == (0, 1)
        assert reply.endswith(bytes([172, 18, 0, 2]))
        assert reply[:2] == b"\x12\x34"


def test_unknown_names_are_forwarded_and_aaaa_has_no_data() -> None:
    srv = _server()
    assert srv.local_answer("x", _query("example.org", dns.A)) is None
    reply = srv.local_answer("x", _query("c1", dns.AAAA))
    assert reply is not None and _answers(reply) == (0, 0)


def test_ptr_names_the_container_on_its_network() -> None:
    reply = _server().local_answer("x", _query("2.0.18.172.in-addr.arpa", dns.PTR))
    assert reply is not None and b"\x02c1\x08localnet\x00" in reply


def test_malformed_queries_are_ignored() -> None:
    assert dns.parse_question(b"\x00" * 5) is None


def test_aaaa_and_ip6_ptr_for_ipv6_endpoints() -> None:
    ep = Endpoint(id="e", network_id="n", container_id="0123456789ab" * 5 + "cdef",
                  container_name="v6", address="172.18.0.3", address6="fd00::3")  # fmt: skip
    srv = dns.EmbeddedDNS(lookup=lambda asker: [(ep, "v6net")])
    reply = srv.local_answer("x", _query("v6", dns.AAAA))
    assert reply is not None and _answers(reply) == (0, 1)
    assert reply.endswith(bytes.fromhex("fd00" + "0" * 26 + "03"))
    name = ".".join(reversed("fd00" + "0" * 27 + "3")) + ".ip6.arpa"
    ptr = srv.local_answer("x", _query(name, dns.PTR))
    assert ptr is not None and b"\x02v6\x05v6net\x00" in ptr


def test_upstreams_of_dns_options_are_asked_from_the_container() -> None:
    got = dns.upstreams(["127.0.0.1", "192.0.2.53", "fd00::53", "bogus"], ["10.0.0.1"])
    assert got == [dns.Upstream("127.0.0.1"), dns.Upstream("192.0.2.53"),
                   dns.Upstream("fd00::53")]  # fmt: skip


def test_host_resolvers_that_only_work_on_the_host_are_asked_from_there() -> None:
    got = dns.upstreams([], ["127.0.0.53", "10.0.0.1", "fe80::1%eth0", "2001:db8::1"])
    assert [(u.address, u.host_ns) for u in got] == [
        ("127.0.0.53", True), ("10.0.0.1", False), ("fe80::1%eth0", True),
        ("2001:db8::1", True),
    ]  # fmt: skip


def test_port_53_is_redirected_to_the_resolver_ports() -> None:
    cmds = dns.redirect_rules(40001, 40002)["nftables"]
    assert [next(iter(c)) for c in cmds[:3]] == ["add", "delete", "add"]  # replaced whole
    rules = [c["add"]["rule"]["expr"] for c in cmds if "rule" in c.get("add", {})]
    assert [r[-1]["dnat"] for r in rules] == [
        {"addr": "127.0.0.11", "port": 40001}, {"addr": "127.0.0.11", "port": 40002},
    ]  # fmt: skip
    assert [r[1]["match"]["left"]["payload"]["protocol"] for r in rules] == ["udp", "tcp"]
